/** Adapts Spin's SQLite host API (SDK 2.0.0) to the {@link Database} seam. Used only by component entry files. */
import { Sqlite } from '@fermyon/spin-sdk';
import type { Database, Row, SqlParam } from './sql';

/** The SDK passes a raw `null` untagged, which the host rejects; it needs the WIT variant spelled out. */
const toSpinParam = (param: SqlParam) => (param === null ? { tag: 'null' as const } : param);

/** Opens the database with the given label (default: `default`) for the lifetime of one request. */
export function openSpinDatabase(label = 'default'): Database {
  const connection = Sqlite.open(label);
  return {
    query(sql, params = []): Row[] {
      return connection.execute(sql, params.map(toSpinParam)).rows;
    },
  };
}
