/**
 * The dashboard as a set of parts: one call to a data component each, filling one or more sections.
 * Which parts there are depends on the strategy; each part is fetched (or read from the cache) on its own,
 * so a failure costs only the sections that part fills.
 */
import type { Strategy } from './config';
import { rankIncidents, rerankCounts, rerankVolumes, type Dashboard } from './dashboard';
import type { Source, Validator } from './downstream';
import * as shapes from './shapes';
import { topByValue } from './ranking';

export type Section = keyof Dashboard;

/** The four sections, in document order. */
export const SECTIONS: readonly Section[] = ['customerCount', 'topCustomers', 'customersWithMostIncidents', 'customersWithHighestIncidentVolume'];

export interface Part {
  source: Source;
  /** Path and query, appended to the source's base URL. */
  path: string;
  sections: readonly Section[];
  /** Turns a response body into this part's value (checking its shape). */
  decode: Validator<unknown>;
  /** Checks a value read back from the cache (written by an older version, or corrupted). */
  check: Validator<unknown>;
  /** The sections this part's value fills. */
  fill(value: unknown): Partial<Dashboard>;
}

/** Builds a part; the casts are safe because `fill` only ever sees values that passed `decode` or `check`. */
function part<T>(source: Source, path: string, sections: Section[], decode: Validator<T>, check: Validator<T>, fill: (value: T) => Partial<Dashboard>): Part {
  return { source, path, sections, decode, check, fill: (value) => fill(value as T) };
}

export function planParts(strategy: Strategy, topN: number): Part[] {
  const customers = [
    part('customers-service', '/customers/count', ['customerCount'], shapes.customerCount, shapes.customerCount, (v) => ({ customerCount: v.count })),
    part('customers-service', `/customers/top/${topN}`, ['topCustomers'], shapes.topCustomers, shapes.topCustomers, (v) => ({
      topCustomers: topByValue(v, (c) => c.scoring, topN).map((c) => ({ customerName: c.name, scoring: c.scoring })),
    })),
  ];
  if (strategy === 'naive') {
    // The whole incident list is ranked here, and only the small rankings are kept (and cached).
    const decode = (body: unknown) => rankIncidents(shapes.groupedIncidents(body), topN);
    return [
      ...customers,
      part('incidents-service', '/incidents/grouped-by-customer', ['customersWithMostIncidents', 'customersWithHighestIncidentVolume'], decode, shapes.incidentRankings, (v) => ({
        customersWithMostIncidents: v.mostIncidents,
        customersWithHighestIncidentVolume: v.highestVolume,
      })),
    ];
  }
  return [
    ...customers,
    part('incidents-service', `/incidents/top/by-count/${topN}`, ['customersWithMostIncidents'], shapes.incidentCounts, shapes.incidentCounts, (v) => ({
      customersWithMostIncidents: rerankCounts(v, topN),
    })),
    part('incidents-service', `/incidents/top/by-volume/${topN}`, ['customersWithHighestIncidentVolume'], shapes.incidentVolumes, shapes.incidentVolumes, (v) => ({
      customersWithHighestIncidentVolume: rerankVolumes(v, topN),
    })),
  ];
}
