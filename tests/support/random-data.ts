/** Seeded random data with many ties and awkward names, for property tests. Same seed, same rows. */
import { prng } from '../../bench/prng.mjs';
import { sqlText } from './sqlite';

export { prng };

const NAME_PARTS = ['Acme', 'acme', 'Ａcme', '😀', 'Émile', "O'Neil", 'Zed', 'zed', '42', '__proto__', 'Δ', 'a b', ''];

export interface RandomData {
  customers: string;
  incidents: string;
}

/** SQL inserting `customers` customers and `incidents` incidents; few distinct values, so many ties. */
export function randomDataSql(seed: number, customers: number, incidents: number): RandomData {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const name = () => `${pick(NAME_PARTS)}${pick(NAME_PARTS)}`.trim() || 'x';
  const names = Array.from({ length: customers }, name);
  const customerRows = names.map(
    (n, i) =>
      `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('c${seed}-${i}', ${sqlText(n)}, 'c', 'c', ${Math.floor(random() * 4)});`,
  );
  const incidentRows = Array.from({ length: incidents }, (_, i) => {
    // Whole, two-decimal and six-decimal amounts, a few negative; names mostly of customers, some not.
    const scale = pick([1, 100, 1_000_000]);
    const amount = (Math.floor(random() * 2000 * scale) - (random() < 0.1 ? 500 * scale : 0)) / scale;
    const customerName = random() < 0.8 && names.length > 0 ? pick(names) : name();
    return `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('i${seed}-${i}', ${amount}, ${sqlText(customerName)}, 'A');`;
  });
  return { customers: customerRows.join('\n'), incidents: incidentRows.join('\n') };
}
