/**
 * The dashboard as a set of parts: one call to a data component each, filling one or more sections.
 * Which parts there are depends on the strategy; each part is fetched (or read from the cache) on its own,
 * so a failure costs only the sections that part fills.
 */
import type { Strategy } from './config';
import type { IncidentRankings } from '@aggregates/common/wire/incident';
import { IncidentTally, rerankCounts, rerankVolumes, type Dashboard } from './dashboard';
import type { Source, Validator } from './downstream';
import * as shapes from './shapes';
import { topByValue } from './ranking';

export type Section = keyof Dashboard;

/** The four sections, in document order. */
export const SECTIONS: readonly Section[] = [
  'customerCount',
  'topCustomers',
  'customersWithMostIncidents',
  'customersWithHighestIncidentVolume',
];

/** Takes the pages of a part's answer one at a time (most parts have one) and gives the part's value. */
export interface PageFold {
  /** Checks a page's body (throwing a message when its shape is wrong) and takes it in. */
  add(body: unknown): void;
  value(): unknown;
}

/**
 * One call whose value fills sections of a document `D` (the dashboard by default). A part is `versioned`
 * (the default) when its source publishes a data version (`<prefix>/events/last`) that its cache entries are
 * checked against; an unversioned one (an OpenAPI document) is fresh for the cache's TTL alone.
 */
export interface Part<D = Dashboard> {
  source: Source;
  versioned?: boolean;
  /** Path and query of the first page, appended to the source's base URL. */
  path: string;
  /**
   * What identifies the value in the key-value cache, appended to the source's base URL: the path, plus
   * whatever else shapes the value (the naive rankings depend on top-N, which their path does not name).
   */
  cacheKey: string;
  sections: readonly (keyof D & string)[];
  fold(): PageFold;
  /** Checks a value read back from the cache (written by an older version, or corrupted). */
  check: Validator<unknown>;
  /** The sections this part's value fills. */
  fill(value: unknown): Partial<D>;
}

/** A one-page part; the casts are safe because `fill` only ever sees values that passed `decode` or `check`. */
export function part<T, D = Dashboard>(
  source: Source,
  path: string,
  sections: (keyof D & string)[],
  decode: Validator<T>,
  fill: (value: T) => Partial<D>,
): Part<D> {
  return {
    source,
    path,
    cacheKey: path,
    sections,
    check: decode,
    fill: (value) => fill(value as T),
    fold() {
      let value: T | undefined;
      return { add: (body) => void (value = decode(body)), value: () => value };
    },
  };
}

/**
 * A part read page after page (`Link: rel="next"`), each page checked by `add` and folded into one value by the
 * fold `start` makes; the value is what the cache keeps and `check` reads back.
 */
export function pagedPart<V, D>(
  source: Source,
  path: string,
  sections: (keyof D & string)[],
  fold: { start(): { add(body: unknown): void; value(): V }; check: Validator<V> },
  fill: (value: V) => Partial<D>,
  cacheKey = path,
): Part<D> {
  return { source, path, cacheKey, sections, check: fold.check, fill: (value) => fill(value as V), fold: fold.start };
}

/** Incidents per page of `/incidents/grouped-by-customer` in the naive strategy (the largest page allowed). */
export const NAIVE_PAGE = 2000;

/**
 * The parts of the dashboard: one call per data component. The customers component answers the count and the
 * top together (`/customers/count-and-top/N`, one snapshot). The pushdown strategy asks the incidents
 * component for both rankings at once (`/incidents/rankings/N`, from its trigger-kept totals); the naive one
 * reads every incident, page by page, and tallies them here.
 */
export function planParts(strategy: Strategy, topN: number): Part[] {
  const customers = part(
    'customers-service',
    `/customers/count-and-top/${topN}`,
    ['customerCount', 'topCustomers'],
    shapes.customerCountAndTop,
    (v) => ({
      customerCount: v.count,
      topCustomers: topByValue(v.top, (c) => c.scoring, topN).map((c) => ({
        customerId: c.id,
        customerName: c.name,
        scoring: c.scoring,
      })),
    }),
  );
  if (strategy === 'naive') {
    // Every incident is read, page by page, and tallied here; the cache keeps the resulting rankings.
    const path = `/incidents/grouped-by-customer?limit=${NAIVE_PAGE}`;
    const naive: Part = {
      source: 'incidents-service',
      path,
      cacheKey: `${path}#rankings-top-${topN}`,
      sections: ['customersWithMostIncidents', 'customersWithHighestIncidentVolume'],
      check: shapes.incidentRankings,
      // The value is this part's own `tally.rank()`, or the same read back from the cache and checked.
      fill: (value) => {
        const rankings = value as IncidentRankings;
        return {
          customersWithMostIncidents: rankings.mostIncidents,
          customersWithHighestIncidentVolume: rankings.highestVolume,
        };
      },
      fold() {
        const tally = new IncidentTally();
        return {
          add: (body) => shapes.groupedIncidents(body).forEach((incident) => tally.add(incident)),
          value: () => tally.rank(topN),
        };
      },
    };
    return [customers, naive];
  }
  return [
    customers,
    part(
      'incidents-service',
      `/incidents/rankings/${topN}`,
      ['customersWithMostIncidents', 'customersWithHighestIncidentVolume'],
      shapes.incidentRankings,
      (v) => ({
        customersWithMostIncidents: rerankCounts(v.mostIncidents, topN),
        customersWithHighestIncidentVolume: rerankVolumes(v.highestVolume, topN),
      }),
    ),
  ];
}
