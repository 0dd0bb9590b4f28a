/**
 * `GET /aggregates/customers/{id}/overview`: one customer, composed from concurrent calls to both data
 * components under the dashboard's deadline, retry, cache and partial-answer rules.
 *
 * First, at once: the customer (customers-service `/customers/items/{id}`), where it stands by scoring
 * (`/customers/items/{id}/rank`) and its newest incidents (incidents-service `/incidents/latest?customerId=`,
 * its own incidents by reference). Then, with the customer's name: its incident count, volume and positions
 * in the two incident rankings (`/incidents/standing?customerName=`), counted by name as the dashboard does.
 * Every position is one the dashboard's order defines; `inDashboard` says whether it makes the top `top_n`.
 */
import { json } from '@aggregates/common/responses';
import { HttpError } from '@aggregates/common/problem';
import { compose } from './compose';
import type { FailurePolicy } from './config';
import { fetchParts, type FetchContext, type PartOutcome } from './fetch-parts';
import { part } from './parts';
import type { Customer, CustomerRank } from '@aggregates/common/wire/customer';
import type { Incident, NameStanding } from '@aggregates/common/wire/incident';
import * as shapes from './shapes';

/** Where the customer stands in one of the dashboard's lists. */
export interface Standing {
  /** 1-based position in the list's full order. */
  rank: number;
  /** How many entries the full order has. */
  of: number;
  /** Whether the position is within the dashboard's top `top_n`. */
  inDashboard: boolean;
}

export interface Overview {
  customer: Customer;
  /** In the dashboard's `topCustomers` order (scoring, then name and id). */
  topCustomers: Standing;
  /** The customer name's incidents, by the dashboard's rules (grouped by name as stored, volume exact). */
  incidents: {
    numberOfIncidents: number;
    incidentVolume: number;
    customersWithMostIncidents: Standing | null;
    customersWithHighestIncidentVolume: Standing | null;
  };
  /** The customer's own incidents (those that refer to it), newest first. */
  latestIncidents: Incident[];
}

/** The composition's name: its headers are `Overview-Incomplete` and `Overview-Stale`. */
export const OVERVIEW = 'overview';

export const OVERVIEW_SECTIONS = ['customer', 'topCustomers', 'incidents', 'latestIncidents'] as const;

/** How many of the newest incidents an overview lists. */
export const OVERVIEW_LATEST = 5;

const standing = (rank: number, of: number, topN: number): Standing => ({ rank, of, inDashboard: rank <= topN });

/** The first phase's parts: everything the customer's id alone is enough for. */
function byIdParts(id: string, topN: number) {
  const path = encodeURIComponent(id);
  return [
    part<Customer, Overview>(
      'customers-service',
      `/customers/items/${path}`,
      ['customer'],
      shapes.customerResource,
      (customer) => ({ customer }),
    ),
    part<CustomerRank, Overview>(
      'customers-service',
      `/customers/items/${path}/rank`,
      ['topCustomers'],
      shapes.customerRank,
      (r) => ({
        topCustomers: standing(r.byScoring, r.customers, topN),
      }),
    ),
    part<Incident[], Overview>(
      'incidents-service',
      `/incidents/latest?customerId=${path}&limit=${OVERVIEW_LATEST}`,
      ['latestIncidents'],
      shapes.incidentResources,
      (latestIncidents) => ({
        latestIncidents,
      }),
    ),
  ];
}

/** The second phase's part: the name's totals and positions. */
const byNamePart = (name: string, topN: number) =>
  part<NameStanding, Overview>(
    'incidents-service',
    `/incidents/standing?customerName=${encodeURIComponent(name)}`,
    ['incidents'],
    shapes.nameStanding,
    (s) => ({
      incidents: {
        numberOfIncidents: s.numberOfIncidents,
        incidentVolume: s.incidentVolume,
        customersWithMostIncidents: s.rank && standing(s.rank.byCount, s.customerNames, topN),
        customersWithHighestIncidentVolume: s.rank && standing(s.rank.byVolume, s.customerNames, topN),
      },
    }),
  );

export async function overview(id: string, context: FetchContext, policy: FailurePolicy): Promise<Response> {
  const topN = context.config.topN;
  const first = await fetchParts<Overview>(byIdParts(id, topN), context);
  const [customerOutcome] = first;
  if (customerOutcome?.state === 'failed' && customerOutcome.error?.status === 404) {
    throw new HttpError(404, 'not-found', `There is no customer with id ${JSON.stringify(id)}.`);
  }
  const customer = customerOutcome?.value as Customer | undefined;
  let second: PartOutcome<Overview>[] = [];
  if (customer && customer.name !== null)
    second = await fetchParts<Overview>([byNamePart(customer.name, topN)], context);
  const outcomes = [...first, ...second];
  const { document, complete, errors, sources, headers } = compose(outcomes, policy, {
    name: OVERVIEW,
    sections: OVERVIEW_SECTIONS,
    essential: ['customer'],
  });
  // A customer without a name (plain SQL may leave one) has no incidents by name: nothing to ask.
  if (customer && customer.name === null) {
    document.incidents = {
      numberOfIncidents: 0,
      incidentVolume: 0,
      customersWithMostIncidents: null,
      customersWithHighestIncidentVolume: null,
    };
  }
  const ordered = {
    customer: document.customer,
    topCustomers: document.topCustomers,
    incidents: document.incidents,
    latestIncidents: document.latestIncidents,
  };
  return json(complete ? ordered : { ...ordered, errors, sources }, { headers });
}
