/**
 * Checks of the answers of the data components: the aggregator trusts nothing it did not check. Each check is
 * the one of the shape its producer declares (common/src/wire/), so what is checked here is what the
 * producer's document states; what this component needs beyond it (a top customer with a name and a scoring)
 * is checked here too.
 */
import {
  CustomerCountAndTopShape,
  CustomerRankShape,
  CustomerShape,
  CustomerSummaryShape,
  type Customer,
  type CustomerRank,
  type CustomerSummary,
} from '@aggregates/common/wire/customer';
import {
  IncidentGroupsShape,
  IncidentRankingsShape,
  IncidentShape,
  NameStandingShape,
  NameTotalsShape,
  type Incident,
  type IncidentRankings,
  type NameStanding,
  type NameTotals,
} from '@aggregates/common/wire/incident';
import { array } from '@aggregates/common/wire/shape';
import { DataVersionShape } from '@aggregates/common/wire/data-version';
import type { Validator } from './downstream';

/** A customer of the dashboard's `topCustomers`: one with a name and a scoring. */
export type TopCustomer = CustomerSummary & { name: string; scoring: number };

/** An incident as the naive strategy tallies it: under the name of its group. */
export interface IncidentEntry {
  amount: number | null;
  customerName: string;
}

/** `/customers/events/last`, `/incidents/events/last`: `{seq}`, the component's data version. */
export const lastSeq: Validator<number> = (body) => DataVersionShape.check(body).seq;

/**
 * `/customers/count-and-top/:limit`: `{count, top}`. The dashboard ranks and shows each top customer's name
 * and scoring, so one without either (plain SQL may leave them empty) is refused. What passes is kept whole,
 * so the value the cache keeps passes again when read back.
 */
export const customerCountAndTop: Validator<{ count: number; top: TopCustomer[] }> = (body) => {
  const { count, top } = CustomerCountAndTopShape.check(body);
  return {
    count,
    top: top.map((customer, index) => {
      const { name, scoring } = customer;
      if (name === null || scoring === null) throw new Error(`top[${index}] lacks a name or a scoring`);
      return { ...customer, name, scoring };
    }),
  };
};

/** `/incidents/grouped-by-customer`: `{"<name>": [{id, amount, customerName}]}`, flattened under each group's name. */
export const groupedIncidents: Validator<IncidentEntry[]> = (body) =>
  Object.entries(IncidentGroupsShape.check(body)).flatMap(([customerName, group]) =>
    group.map(({ amount }) => ({ amount, customerName })),
  );

/** `/incidents/rankings/:limit`, and the rankings as the naive strategy caches them: `{mostIncidents, highestVolume}`. */
export const incidentRankings: Validator<IncidentRankings> = IncidentRankingsShape.check;

/** `/customers/items/{id}`: the customer resource. */
export const customerResource: Validator<Customer> = CustomerShape.check;

/** `/customers/items/{id}/rank`. */
export const customerRank: Validator<CustomerRank> = CustomerRankShape.check;

/** `/incidents/standing?customerName=`. */
export const nameStanding: Validator<NameStanding> = NameStandingShape.check;

const IncidentList = array(IncidentShape);
/** `/incidents/latest`: incident resources. */
export const incidentResources: Validator<Incident[]> = IncidentList.check;

const CustomerList = array(CustomerSummaryShape);
/** A page of `/customers/items`: the name and the country are what incidents by country needs. */
export const customerSummaries: Validator<Array<{ name: string | null; country: string | null }>> = (body) =>
  CustomerList.check(body).map(({ name, country }) => ({ name, country }));

const TotalsList = array(NameTotalsShape);
/** A page of `/incidents/totals`, and the totals as incidents by country caches them. */
export const nameTotals: Validator<NameTotals[]> = TotalsList.check;
