/**
 * How the components' SQL values cross Spin's SQLite interface (`fermyon:spin/sqlite@2.0.0`): parameters to
 * WIT `value`s, query results back to rows. It imports no host interface, so the tests' database
 * (tests/support/sqlite.ts) converts with these same functions, then binds with the local runtime's host
 * conversion (runtime/src/host/sqlite/values.ts): the unit tests bind exactly as the components do.
 */
import type { QueryResult, Value } from 'fermyon:spin/sqlite@2.0.0';
import type { Row, SqlParam, SqlValue } from '../sql';

const describe = (value: unknown): string =>
  typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);

/**
 * A parameter as a WIT value. Whole numbers within ±(2^53 - 1) travel as SQLite INTEGER (-0 as 0), every other
 * number (fractions, 2^53 and beyond, NaN, ±Infinity) as REAL, as Spin's own JS SDK binds them: a double
 * beyond 2^53 is not known to be the integer it shows. Anything that is not a {@link SqlParam} (a boolean,
 * `undefined`, a bigint, an object) throws a TypeError: Spin's SDK 2.0.0 would drop it silently and shift
 * every later parameter.
 */
export function toSpinValue(param: SqlParam): Value {
  const value: unknown = param;
  if (value === null) return { tag: 'null' };
  if (typeof value === 'string') return { tag: 'text', val: value };
  if (typeof value === 'number')
    return Number.isSafeInteger(value) ? { tag: 'integer', val: BigInt(value) } : { tag: 'real', val: value };
  throw new TypeError(`a SQL parameter is a string, a number or null, not ${typeof value} ${describe(value)}`);
}

/** A WIT value as the components see it: INTEGER as bigint, REAL as number, TEXT, BLOB as Uint8Array, NULL. */
export function fromSpinValue(value: Value): SqlValue {
  return value.tag === 'null' ? null : value.val;
}

/** The rows of a query result, keyed by column name (a name that repeats keeps its last column's value). */
export function rowsOf({ columns, rows }: QueryResult): Row[] {
  return rows.map(({ values }) => {
    const row: Row = {};
    for (let i = 0; i < columns.length; i++) {
      const value = values[i];
      row[columns[i] ?? String(i)] = value === undefined ? null : fromSpinValue(value);
    }
    return row;
  });
}
