/**
 * Spin's SQLite host API (`fermyon:spin/sqlite@2.0.0`) behind the {@link Database} seam. Used only by the
 * components' entry files; everything else takes a `Database`, so it also runs on Node against a real file.
 */
import { Connection } from 'fermyon:spin/sqlite@2.0.0';
import type { Database, Row } from '../sql';
import { hostCall } from './host-error';
import { rowsOf, toSpinValue } from './sqlite-values';

/**
 * Opens the database with the given label (default: `default`) for the lifetime of one request. A failed
 * statement throws an Error whose message holds SQLite's own (`io: no such table: Customers`).
 */
export function openSpinDatabase(label = 'default'): Database {
  const connection = hostCall(`opening SQLite database '${label}'`, () => Connection.open(label));
  return {
    query(sql, params = []): Row[] {
      return rowsOf(hostCall('SQLite execute', () => connection.execute(sql, params.map(toSpinValue))));
    },
  };
}
