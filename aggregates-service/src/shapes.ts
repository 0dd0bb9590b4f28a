/** Validators for the answers of the data components: the aggregator trusts nothing it did not check. */
import type { Validator } from './downstream';

export interface CustomerCount {
  count: number;
}

export interface TopCustomer {
  name: string;
  scoring: number;
}

/** An entry of `/incidents/top/by-count/:limit` and of the dashboard's `customersWithMostIncidents`. */
export interface IncidentCount {
  customerName: string;
  numberOfIncidents: number;
}

/** An entry of `/incidents/top/by-volume/:limit` and of the dashboard's `customersWithHighestIncidentVolume`. */
export interface IncidentVolume {
  customerName: string;
  incidentVolume: number;
}

export interface IncidentEntry {
  amount: number | null;
  customerName: string;
}

/** A JSON object (not an array, not null). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** `/customers/events/last`, `/incidents/events/last`: `{seq}`, the component's data version. */
export const lastSeq: Validator<number> = (body) => {
  if (!isRecord(body) || !Number.isSafeInteger(body.seq) || (body.seq as number) < 0)
    throw new Error('expected {seq} with a non-negative whole number');
  return body.seq as number;
};

/** `/customers/count`: `{count}` with a non-negative whole number. */
export const customerCount: Validator<CustomerCount> = (body) => {
  if (!isRecord(body) || !Number.isSafeInteger(body.count) || (body.count as number) < 0) {
    throw new Error('expected {count} with a non-negative whole number');
  }
  return { count: body.count as number };
};

/** `/customers/top/:limit`: `[{name, scoring}]` (other members ignored). */
export const topCustomers: Validator<TopCustomer[]> = (body) => {
  if (!Array.isArray(body)) throw new Error('expected an array of customers');
  return body.map((item: unknown, index) => {
    if (!isRecord(item) || typeof item.name !== 'string' || !isFiniteNumber(item.scoring)) {
      throw new Error(`item ${index} lacks a string name or a numeric scoring`);
    }
    return { name: item.name, scoring: item.scoring };
  });
};

/** `/customers/count-and-top/:limit`: `{count, top}`, the two answers above in one. */
export const customerCountAndTop: Validator<CustomerCount & { top: TopCustomer[] }> = (body) => {
  if (!isRecord(body)) throw new Error('expected {count, top}');
  return { ...customerCount(body), top: topCustomers(body.top) };
};

/** `/incidents/grouped-by-customer`: `{"<name>": [{amount, customerName}]}`, flattened. */
export const groupedIncidents: Validator<IncidentEntry[]> = (body) => {
  if (!isRecord(body)) throw new Error('expected an object of incident groups');
  const entries: IncidentEntry[] = [];
  for (const [name, group] of Object.entries(body)) {
    if (!Array.isArray(group)) throw new Error(`group ${JSON.stringify(name)} is not an array`);
    for (const item of group as unknown[]) {
      if (!isRecord(item) || !(item.amount === null || isFiniteNumber(item.amount))) {
        throw new Error(`an incident of ${JSON.stringify(name)} lacks a numeric amount`);
      }
      entries.push({ amount: item.amount, customerName: name });
    }
  }
  return entries;
};

/** `/incidents/top/by-count/:limit`: `[{customerName, numberOfIncidents}]`. */
export const incidentCounts: Validator<IncidentCount[]> = (body) => {
  if (!Array.isArray(body)) throw new Error('expected an array of incident counts');
  return body.map((item: unknown, index) => {
    if (
      !isRecord(item) ||
      typeof item.customerName !== 'string' ||
      !Number.isSafeInteger(item.numberOfIncidents) ||
      (item.numberOfIncidents as number) < 0
    ) {
      throw new Error(`item ${index} lacks a string customerName or a whole numberOfIncidents`);
    }
    return { customerName: item.customerName, numberOfIncidents: item.numberOfIncidents as number };
  });
};

/** `/incidents/top/by-volume/:limit`: `[{customerName, incidentVolume}]`. */
export const incidentVolumes: Validator<IncidentVolume[]> = (body) => {
  if (!Array.isArray(body)) throw new Error('expected an array of incident volumes');
  return body.map((item: unknown, index) => {
    if (!isRecord(item) || typeof item.customerName !== 'string' || !isFiniteNumber(item.incidentVolume)) {
      throw new Error(`item ${index} lacks a string customerName or a numeric incidentVolume`);
    }
    return { customerName: item.customerName, incidentVolume: item.incidentVolume };
  });
};

/** `/incidents/rankings/:limit`, and the rankings as the naive strategy caches them: `{mostIncidents, highestVolume}`. */
export const incidentRankings: Validator<{ mostIncidents: IncidentCount[]; highestVolume: IncidentVolume[] }> = (
  body,
) => {
  if (!isRecord(body)) throw new Error('expected {mostIncidents, highestVolume}');
  return { mostIncidents: incidentCounts(body.mostIncidents), highestVolume: incidentVolumes(body.highestVolume) };
};

const isText = (value: unknown): value is string => typeof value === 'string';
const textOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';
const numberOrNull = (value: unknown): value is number | null => value === null || isFiniteNumber(value);
const isPosition = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** `/customers/items/{id}`: the customer resource. */
export interface CustomerResource {
  id: string;
  name: string | null;
  city: string | null;
  country: string | null;
  scoring: number | null;
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
}

export const customerResource: Validator<CustomerResource> = (body) => {
  if (!isRecord(body) || !isText(body.id) || !isPosition(body.version))
    throw new Error('expected a customer with a string id and a version');
  const { id, name, city, country, scoring, version, createdAt, updatedAt } = body;
  if (
    !textOrNull(name) ||
    !textOrNull(city) ||
    !textOrNull(country) ||
    !numberOrNull(scoring) ||
    !textOrNull(createdAt) ||
    !textOrNull(updatedAt)
  ) {
    throw new Error('a member of the customer has the wrong type');
  }
  return { id, name, city, country, scoring, version: version as number, createdAt, updatedAt };
};

/** `/customers/items/{id}/rank`. */
export interface CustomerRank {
  byScoring: number;
  customers: number;
}

export const customerRank: Validator<CustomerRank> = (body) => {
  if (!isRecord(body) || !isPosition(body.byScoring) || !isCount(body.customers))
    throw new Error('expected {byScoring, customers} with whole numbers');
  return { byScoring: body.byScoring, customers: body.customers };
};

/** `/incidents/standing?customerName=`. */
export interface NameStanding {
  numberOfIncidents: number;
  incidentVolume: number;
  rank: { byCount: number; byVolume: number } | null;
  customerNames: number;
}

export const nameStanding: Validator<NameStanding> = (body) => {
  if (
    !isRecord(body) ||
    !isCount(body.numberOfIncidents) ||
    !isFiniteNumber(body.incidentVolume) ||
    !isCount(body.customerNames)
  ) {
    throw new Error('expected {numberOfIncidents, incidentVolume, rank, customerNames}');
  }
  const { rank } = body;
  if (rank !== null && !(isRecord(rank) && isPosition(rank.byCount) && isPosition(rank.byVolume)))
    throw new Error('rank must be null or {byCount, byVolume}');
  return {
    numberOfIncidents: body.numberOfIncidents,
    incidentVolume: body.incidentVolume,
    rank: rank === null ? null : { byCount: rank.byCount as number, byVolume: rank.byVolume as number },
    customerNames: body.customerNames,
  };
};

/** `/incidents/items/{id}` and each item of `/incidents/latest`. */
export interface IncidentResource {
  id: string;
  amount: number | null;
  customerName: string | null;
  category: string | null;
  customerId: string | null;
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
}

export const incidentResources: Validator<IncidentResource[]> = (body) => {
  if (!Array.isArray(body)) throw new Error('expected an array of incidents');
  return body.map((item: unknown, index) => {
    if (!isRecord(item) || !isText(item.id) || !isPosition(item.version))
      throw new Error(`incident ${index} lacks a string id or a version`);
    const { id, amount, customerName, category, customerId, version, createdAt, updatedAt } = item;
    if (
      !numberOrNull(amount) ||
      !textOrNull(customerName) ||
      !textOrNull(category) ||
      !textOrNull(customerId) ||
      !textOrNull(createdAt) ||
      !textOrNull(updatedAt)
    ) {
      throw new Error(`a member of incident ${index} has the wrong type`);
    }
    return { id, amount, customerName, category, customerId, version: version as number, createdAt, updatedAt };
  });
};

/** An item of `/customers/items`: the name and the country are what incidents by country needs. */
export const customerSummaries: Validator<Array<{ name: string | null; country: string | null }>> = (body) => {
  if (!Array.isArray(body)) throw new Error('expected an array of customers');
  return body.map((item: unknown, index) => {
    if (!isRecord(item) || !textOrNull(item.name) || !textOrNull(item.country))
      throw new Error(`customer ${index} lacks a name or a country of the right type`);
    return { name: item.name, country: item.country };
  });
};

/** An item of `/incidents/totals`. */
export interface NameTotals {
  customerName: string;
  numberOfIncidents: number;
  volumeMicros: number;
}

export const nameTotals: Validator<NameTotals[]> = (body) => {
  if (!Array.isArray(body)) throw new Error('expected an array of totals');
  return body.map((item: unknown, index) => {
    if (
      !isRecord(item) ||
      !isText(item.customerName) ||
      !isCount(item.numberOfIncidents) ||
      !Number.isSafeInteger(item.volumeMicros)
    ) {
      throw new Error(`totals ${index} lack a string customerName, a whole numberOfIncidents or whole volumeMicros`);
    }
    return {
      customerName: item.customerName,
      numberOfIncidents: item.numberOfIncidents,
      volumeMicros: item.volumeMicros as number,
    };
  });
};
