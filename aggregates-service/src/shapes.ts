/** Validators for the answers of the data components: the aggregator trusts nothing it did not check. */
import type { Validator } from './downstream';

export interface CustomerCount {
  count: number;
}

export interface TopCustomer {
  name: string;
  scoring: number;
}

export interface IncidentEntry {
  amount: number | null;
  customerName: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

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
