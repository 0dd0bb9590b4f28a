/** `fermyon:spin/sqlite@2.0.0`: a connection per label the component declares, errors as WIT errors. */
import { connection, prepared, type Connection as Db } from './databases.js';
import { witError } from './wit-error.js';

type Value = { tag: 'integer'; val: bigint } | { tag: 'real'; val: number } | { tag: 'text'; val: string } | { tag: 'blob'; val: Uint8Array } | { tag: 'null' };
type BindValue = bigint | number | string | Buffer | null;

/**
 * Spin binds parameters by index. better-sqlite3 binds `?` by position but treats `?1`, `?2` as named
 * parameters "1", "2": statements that number their parameters get them as an object keyed that way.
 */
const NUMBERED_PARAMETER = /\?\d/;
function bindArgs(sql: string, values: BindValue[]): BindValue[] | [Record<string, BindValue>] {
  return NUMBERED_PARAMETER.test(sql) ? [Object.fromEntries(values.map((v, i) => [String(i + 1), v]))] : values;
}

function toBind(value: Value): BindValue {
  switch (value.tag) {
    case 'integer':
    case 'real':
    case 'text':
      return value.val;
    case 'blob':
      return Buffer.from(value.val.buffer, value.val.byteOffset, value.val.byteLength);
    case 'null':
      return null;
  }
}

function toValue(value: unknown): Value {
  if (typeof value === 'bigint') return { tag: 'integer', val: value };
  if (typeof value === 'number') return { tag: 'real', val: value };
  if (typeof value === 'string') return { tag: 'text', val: value };
  if (value instanceof Uint8Array) return { tag: 'blob', val: new Uint8Array(value) };
  return { tag: 'null' };
}

export function sqliteImports(databases: Record<string, string>): Record<string, object> {
  class Connection {
    readonly #db: Db;
    private constructor(db: Db) {
      this.#db = db;
    }

    static open(label: string): Connection {
      const path = databases[label];
      if (path === undefined) throw witError({ tag: 'access-denied' }, `the component may not use database '${label}'`);
      try {
        return new Connection(connection(path));
      } catch (error) {
        throw witError({ tag: 'io', val: error instanceof Error ? error.message : String(error) });
      }
    }

    execute(sql: string, parameters: Value[]): { columns: string[]; rows: { values: Value[] }[] } {
      try {
        const statement = prepared(this.#db, sql).safeIntegers(true);
        const bind = bindArgs(sql, parameters.map(toBind));
        if (!statement.reader) {
          statement.run(...bind);
          return { columns: [], rows: [] };
        }
        const columns = statement.columns().map((c) => c.name);
        const rows = statement.raw(true).all(...bind) as unknown[][];
        return { columns, rows: rows.map((row) => ({ values: row.map(toValue) })) };
      } catch (error) {
        throw witError({ tag: 'io', val: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return { 'fermyon:spin/sqlite': { Connection } };
}
