/** Rows for the contract tests, chosen for the orderings and encodings that are easy to get wrong. */
import { sqlText } from '../support/sqlite';

export interface CustomerRow {
  id: string;
  name: string;
  city: string;
  country: string;
  scoring: number;
}

export interface IncidentRow {
  id: string;
  amount: number;
  customerName: string;
  category: string;
}

export const CUSTOMERS: CustomerRow[] = [
  { id: 'C-001', name: 'Zed Corp', city: 'Oslo', country: 'Norway', scoring: 9 },
  { id: 'C-000', name: 'Zed Corp', city: 'Bergen', country: 'Norway', scoring: 9 },
  { id: 'c-002', name: 'alpha Ltd', city: 'Lyon', country: 'France', scoring: 9 },
  { id: 'C-003', name: 'Émile SA', city: 'Paris', country: 'France', scoring: 9 },
  // U+FF21 sorts before U+1F600 by code point, but after it in UTF-16 code units (JavaScript's `<`).
  { id: 'C-004', name: '😀 Emoji Inc', city: 'Tokyo', country: 'Japan', scoring: 8 },
  { id: 'C-005', name: 'Ａ Fullwidth KK', city: 'Osaka', country: 'Japan', scoring: 8 },
  { id: 'C-006', name: "O'Brien & Sons", city: 'Cork', country: 'Ireland', scoring: 7 },
  { id: 'C-007', name: "x'); DROP TABLE Customers;--", city: 'Nowhere', country: 'Nowhere', scoring: 3 },
  { id: 'id with space/slash%percent"quote', name: 'Odd Id Ltd', city: 'Graz', country: 'Austria', scoring: 1 },
  { id: 'C-009', name: 'Top Scorer', city: 'Quito', country: 'Ecuador', scoring: 10 },
];

export const INCIDENTS: IncidentRow[] = [
  { id: 'I-001', amount: 10.5, customerName: 'Zed Corp', category: 'A' },
  { id: 'i-002', amount: 0.1, customerName: 'alpha Ltd', category: 'B' },
  { id: 'I-003', amount: 1234.56, customerName: 'Ghost Customer', category: 'C' },
  { id: 'I-004', amount: 7, customerName: "O'Brien & Sons", category: 'A' },
  { id: 'I-005', amount: 99.99, customerName: 'Zed Corp', category: 'D' },
  // Integer-like and prototype-like keys: a plain JavaScript object would reorder or drop them.
  { id: 'I-006', amount: 5, customerName: '42', category: 'E' },
  { id: 'I-007', amount: 1.25, customerName: '__proto__', category: 'F' },
  { id: 'I-000', amount: 3.3, customerName: 'Zed Corp', category: 'A' },
  { id: 'I-😀', amount: 0.01, customerName: '😀 Emoji Inc', category: 'B' },
];

/** Plain INSERT statements with the columns in a different order than the table, as a user might write them. */
export const insertCustomersSql = (rows: CustomerRow[] = CUSTOMERS): string =>
  rows
    .map(
      (c) =>
        `INSERT INTO Customers (Scoring, Country, City, Name, Id) VALUES (${c.scoring}, ${sqlText(c.country)}, ${sqlText(c.city)}, ${sqlText(c.name)}, ${sqlText(c.id)});`,
    )
    .join('\n');

export const insertIncidentsSql = (rows: IncidentRow[] = INCIDENTS): string =>
  rows
    .map(
      (i) =>
        `INSERT INTO Incidents (CustomerName, Category, Amount, Id) VALUES (${sqlText(i.customerName)}, ${sqlText(i.category)}, ${i.amount}, ${sqlText(i.id)});`,
    )
    .join('\n');

/** Orders strings by Unicode code point, which is what SQLite's BINARY collation does on UTF-8. */
export function byCodePoint(a: string, b: string): number {
  const left = [...a].map((ch) => ch.codePointAt(0) ?? 0);
  const right = [...b].map((ch) => ch.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
