import type { TestDatabase } from './sqlite';

/** Counts a table's rows directly in SQLite, bypassing the component under test. */
export function countRows(
  db: TestDatabase,
  table: 'Customers' | 'Incidents' | 'CustomerEvents' | 'IncidentEvents',
): number {
  const [row] = db.database.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n ?? -1);
}
