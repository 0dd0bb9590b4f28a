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

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** `/customers/events/last`, `/incidents/events/last`: `{seq}`, the component's data version. */
export const lastSeq: Validator<number> = (body) => {
  if (!isRecord(body) || !Number.isSafeInteger(body.seq) || (body.seq as number) < 0) throw new Error('expected {seq} with a non-negative whole number');
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
    if (!isRecord(item) || typeof item.customerName !== 'string' || !Number.isSafeInteger(item.numberOfIncidents) || (item.numberOfIncidents as number) < 0) {
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

/** Rankings as the naive strategy caches them: `{mostIncidents, highestVolume}`. */
export const incidentRankings: Validator<{ mostIncidents: IncidentCount[]; highestVolume: IncidentVolume[] }> = (body) => {
  if (!isRecord(body)) throw new Error('expected {mostIncidents, highestVolume}');
  return { mostIncidents: incidentCounts(body.mostIncidents), highestVolume: incidentVolumes(body.highestVolume) };
};
