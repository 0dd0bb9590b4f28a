/**
 * `GET /aggregates/incidents/by-country`: incident counts and volumes per customer country, a join of the two
 * aggregates that neither data component can answer alone (incidents know customer names, customers know
 * countries).
 *
 * Pushed down: the incidents component sums its incidents per customer name (`/incidents/totals`, read from
 * the totals its triggers keep), so what crosses the wire is one entry per customer name and one per
 * customer (`/customers/items`), page after page, fetched concurrently. The cost grows with the numbers of
 * customers and of distinct customer names, not with the number of incidents.
 *
 * Rules: an incident counts toward the country of the customer whose name it carries (names as stored, as in
 * the dashboard). A name that no customer has counts under `withoutCustomer`; a name that customers in
 * different countries share counts under `ambiguous`; customers without a country count under `country: null`.
 * Volumes are exact sums of micro-units, rounded once to cents; countries are ordered by number of incidents
 * (descending), then by name in code-point order, with `null` last.
 */
import { compareCodePoints } from '@aggregates/common/collation';
import { json } from '@aggregates/common/responses';
import { compose } from './compose';
import type { FailurePolicy } from './config';
import { fetchParts, type FetchContext } from './fetch-parts';
import { centsToAmount, microsToCents } from './money';
import { pagedPart } from './parts';
import type { NameTotals } from '@aggregates/common/wire/incident';
import { isRecord } from '@aggregates/common/wire/shape';
import * as shapes from './shapes';

/** The countries of each customer name: one entry per distinct country (`null`: no country given). */
export type CountriesByName = Record<string, Array<string | null>>;

/** The two halves of the join, as the sections the failure rules (and the headers) name. */
interface Parts {
  customerCountries: CountriesByName;
  incidentTotals: NameTotals[];
}

export interface CountryTotals {
  country: string | null;
  numberOfIncidents: number;
  incidentVolume: number;
  /** How many customer names count toward it. */
  customerNames: number;
}

type Bucket = Omit<CountryTotals, 'country'>;

export interface IncidentsByCountry {
  countries: CountryTotals[];
  withoutCustomer: Bucket;
  ambiguous: Bucket;
}

/** The composition's name: its headers are `Incidents-By-Country-Incomplete` and `-Stale`. */
export const BY_COUNTRY = 'incidents by country';

/** Rows per page of both lists (the largest page they allow). */
export const BY_COUNTRY_PAGE = 2000;

const countriesFold = {
  start() {
    const byName: CountriesByName = Object.create(null) as CountriesByName;
    return {
      add(body: unknown) {
        for (const { name, country } of shapes.customerSummaries(body)) {
          if (name === null) continue;
          const list = (byName[name] ??= []);
          if (!list.includes(country)) list.push(country);
        }
      },
      value: () => byName,
    };
  },
  check(value: unknown): CountriesByName {
    if (!isRecord(value)) throw new Error('expected countries by name');
    for (const list of Object.values(value)) {
      if (!Array.isArray(list) || !list.every((c) => c === null || typeof c === 'string'))
        throw new Error('expected lists of countries');
    }
    return value as CountriesByName;
  },
};

const totalsFold = {
  start() {
    const all: NameTotals[] = [];
    return { add: (body: unknown) => void all.push(...shapes.nameTotals(body)), value: () => all };
  },
  check: shapes.nameTotals,
};

/** The join: each name's totals into its country's, micro-units summed exactly. */
export function byCountry(countries: CountriesByName, totals: NameTotals[]): IncidentsByCountry {
  type Sum = { numberOfIncidents: number; micros: number; customerNames: number };
  const add = (sum: Sum, t: NameTotals) => {
    sum.numberOfIncidents += t.numberOfIncidents;
    sum.micros += t.volumeMicros;
    sum.customerNames += 1;
  };
  const empty = (): Sum => ({ numberOfIncidents: 0, micros: 0, customerNames: 0 });
  const perCountry = new Map<string | null, Sum>();
  const withoutCustomer = empty();
  const ambiguous = empty();
  for (const t of totals) {
    const list = Object.prototype.hasOwnProperty.call(countries, t.customerName)
      ? countries[t.customerName]
      : undefined;
    if (!list || list.length === 0) add(withoutCustomer, t);
    else if (list.length > 1) add(ambiguous, t);
    else {
      const country = list[0] ?? null;
      const sum = perCountry.get(country) ?? empty();
      perCountry.set(country, sum);
      add(sum, t);
    }
  }
  const bucket = ({ numberOfIncidents, micros, customerNames }: Sum): Bucket => ({
    numberOfIncidents,
    incidentVolume: centsToAmount(microsToCents(micros)),
    customerNames,
  });
  const list = [...perCountry]
    .map(([country, sum]) => ({ country, ...bucket(sum) }))
    .sort((a, b) => {
      if (a.numberOfIncidents !== b.numberOfIncidents) return b.numberOfIncidents - a.numberOfIncidents;
      if (a.country === null || b.country === null) return a.country === b.country ? 0 : a.country === null ? 1 : -1;
      return compareCodePoints(a.country, b.country);
    });
  return { countries: list, withoutCustomer: bucket(withoutCustomer), ambiguous: bucket(ambiguous) };
}

export async function incidentsByCountry(context: FetchContext, policy: FailurePolicy): Promise<Response> {
  const parts = [
    pagedPart<CountriesByName, Parts>(
      'customers-service',
      `/customers/items?limit=${BY_COUNTRY_PAGE}`,
      ['customerCountries'],
      countriesFold,
      (customerCountries) => ({ customerCountries }),
      `/customers/items?limit=${BY_COUNTRY_PAGE}#countries-by-name`,
    ),
    pagedPart<NameTotals[], Parts>(
      'incidents-service',
      `/incidents/totals?limit=${BY_COUNTRY_PAGE}`,
      ['incidentTotals'],
      totalsFold,
      (incidentTotals) => ({ incidentTotals }),
    ),
  ];
  const outcomes = await fetchParts<Parts>(parts, context);
  // Both halves of the join are needed: without one there is nothing true to say.
  const { document, complete, errors, sources, headers } = compose(outcomes, policy, {
    name: BY_COUNTRY,
    sections: ['customerCountries', 'incidentTotals'],
    essential: ['customerCountries', 'incidentTotals'],
  });
  const result = byCountry(document.customerCountries ?? {}, document.incidentTotals ?? []);
  return json(complete ? result : { ...result, errors, sources }, { headers });
}
