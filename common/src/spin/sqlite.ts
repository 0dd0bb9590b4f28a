/**
 * Spin's SQLite host API (`fermyon:spin/sqlite@2.0.0`) behind the {@link Database} seam. Used only by the
 * components' entry files; everything else takes a `Database`, so it also runs on Node against a real file.
 */
import { Connection, type Value } from 'fermyon:spin/sqlite@2.0.0';
import type { Database, Row, SqlParam, SqlValue } from '../sql';
import { hostCall } from './host-error';

/** Whole numbers travel as SQLite INTEGER, others as REAL, as Spin's own JS SDK binds them. */
export function toSpinValue(param: SqlParam): Value {
  if (param === null) return { tag: 'null' };
  if (typeof param === 'string') return { tag: 'text', val: param };
  return Number.isSafeInteger(param) ? { tag: 'integer', val: BigInt(param) } : { tag: 'real', val: param };
}

function fromSpinValue(value: Value): SqlValue {
  return value.tag === 'null' ? null : value.val;
}

/**
 * Opens the database with the given label (default: `default`) for the lifetime of one request. A failed
 * statement throws an Error whose message holds SQLite's own (`io: no such table: Customers`).
 */
export function openSpinDatabase(label = 'default'): Database {
  const connection = hostCall(`opening SQLite database '${label}'`, () => Connection.open(label));
  return {
    query(sql, params = []): Row[] {
      const { columns, rows } = hostCall('SQLite execute', () => connection.execute(sql, params.map(toSpinValue)));
      return rows.map(({ values }) => {
        const row: Row = {};
        for (let i = 0; i < columns.length; i++) {
          const value = values[i];
          row[columns[i] ?? String(i)] = value === undefined ? null : fromSpinValue(value);
        }
        return row;
      });
    },
  };
}
