/**
 * Spin's SQLite values (the WIT `value` of `fermyon:spin/sqlite@2.0.0`) to and from better-sqlite3, as Spin's
 * host converts them to and from rusqlite's: `integer` binds a 64-bit INTEGER, `real` a REAL, `text` TEXT,
 * `blob` a BLOB, `null` NULL, and a result column comes back by its storage class (INTEGER as `integer`, a
 * bigint, whatever its size). The one place this is done: the host (`connection.ts`) and the tests' database
 * over a SQLite file (`tests/support/sqlite.ts`, which first turns the app's parameters into values with the
 * components' own `toSpinValue`) both call {@link execute}, so the unit tests bind exactly as the components do.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** A WIT `value` as the host receives (lifted by jco) and returns it. */
export type SqliteValue =
  | { tag: 'integer'; val: bigint }
  | { tag: 'real'; val: number }
  | { tag: 'text'; val: string }
  | { tag: 'blob'; val: Uint8Array }
  | { tag: 'null' };

/** A WIT `query-result`. */
export interface SqliteResult {
  columns: string[];
  rows: { values: SqliteValue[] }[];
}

/** What better-sqlite3 binds: bigint as INTEGER (64-bit), number as REAL, string, Buffer, null. */
export type SqliteBinding = bigint | number | string | Buffer | null;

const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

const describe = (value: unknown): string =>
  typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);

/**
 * A WIT string holds Unicode scalar values only: a guest's lowering (and jco's lifting) turns a lone surrogate
 * into U+FFFD, so one never reaches SQLite. jco's values are already well formed; this keeps a value made in
 * Node (the tests' path) the same. (better-sqlite3 would write a lone surrogate as invalid UTF-8.)
 */
const wellFormed = (text: string): string => (text as string & { toWellFormed(): string }).toWellFormed();

/**
 * The binding of one value. Refuses, with a TypeError, what no guest can send: a variant whose `val` is not of
 * its WIT type (an `integer` must be a bigint within s64; a number there, even a whole one, is refused rather
 * than bound as something else), or an unknown tag.
 */
export function toBinding(value: SqliteValue): SqliteBinding {
  const val: unknown = 'val' in value ? value.val : undefined;
  switch (value.tag) {
    case 'integer':
      if (typeof val !== 'bigint' || val < S64_MIN || val > S64_MAX)
        throw new TypeError(`SQLite value integer: ${describe(val)} is not a WIT s64 (a bigint)`);
      return val;
    case 'real':
      if (typeof val !== 'number')
        throw new TypeError(`SQLite value real: ${describe(val)} is not a WIT f64 (a number)`);
      return val;
    case 'text':
      if (typeof val !== 'string') throw new TypeError(`SQLite value text: ${describe(val)} is not a WIT string`);
      return wellFormed(val);
    case 'blob':
      if (!(val instanceof Uint8Array))
        throw new TypeError(`SQLite value blob: ${describe(val)} is not a WIT list<u8> (a Uint8Array)`);
      return Buffer.from(val.buffer, val.byteOffset, val.byteLength);
    case 'null':
      return null;
    default:
      throw new TypeError(`not a SQLite value: ${describe((value as { tag?: unknown }).tag)}`);
  }
}

/**
 * The value of one result column, read with `safeIntegers(true)`: INTEGER arrives as a bigint (never rounded
 * to a number), REAL as a number, TEXT as a string, BLOB as a Buffer (returned as a plain Uint8Array copy, as
 * a guest receives it), NULL as null.
 */
export function fromColumn(value: unknown): SqliteValue {
  if (typeof value === 'bigint') return { tag: 'integer', val: value };
  if (typeof value === 'number') return { tag: 'real', val: value };
  if (typeof value === 'string') return { tag: 'text', val: value };
  if (value instanceof Uint8Array) return { tag: 'blob', val: new Uint8Array(value) };
  if (value === null) return { tag: 'null' };
  throw new TypeError(`better-sqlite3 returned ${describe(value)}, which is no SQLite value`);
}

/**
 * Walks `sql` outside string literals, quoted identifiers and comments: calls `visit` with the index of each
 * character of code, and stops (returning true) as soon as it returns true. The one SQL scanner of the host:
 * parameter numbering and statement classification (statement-kind.ts) both read SQL through it.
 */
export function scanCode(sql: string, visit: (index: number) => boolean | undefined): boolean {
  const skipTo = (close: string, from: number): number => {
    const end = sql.indexOf(close, from);
    return end < 0 ? sql.length : end + close.length - 1;
  };
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    const next = sql[i + 1] ?? '';
    // A doubled quote inside a literal ('it''s') closes it and opens another: the same characters are skipped.
    if (c === "'" || c === '"' || c === '`') i = skipTo(c, i + 1);
    else if (c === '[') i = skipTo(']', i + 1);
    else if (c === '-' && next === '-') i = skipTo('\n', i + 2);
    else if (c === '/' && next === '*') i = skipTo('*/', i + 2);
    else if (visit(i) === true) return true;
  }
  return false;
}

/**
 * Whether `sql` numbers its parameters: a `?` followed by a digit outside string literals, quoted identifiers
 * and comments (a `'?1'` in a literal is text, not a parameter).
 */
export function numbersParameters(sql: string): boolean {
  return scanCode(sql, (i) => {
    const next = sql[i + 1] ?? '';
    return sql[i] === '?' && next >= '0' && next <= '9';
  });
}

const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_$]/;

/**
 * The bare words of `sql` (keywords and unquoted identifiers), upper-cased, in order: what {@link scanCode}
 * leaves outside literals, quoted identifiers and comments. A word glued to a quote (`x'ff'`) ends there.
 */
export function codeWords(sql: string): string[] {
  const words: string[] = [];
  let start = -1;
  let last = -2;
  const flush = (): void => {
    if (start >= 0) words.push(sql.slice(start, last + 1).toUpperCase());
    start = -1;
  };
  scanCode(sql, (i) => {
    const c = sql[i] ?? '';
    // A word continues only over consecutive code characters: a skipped literal or comment ends it.
    if (start >= 0 && (i !== last + 1 || !WORD_PART.test(c))) flush();
    if (start < 0 && WORD_START.test(c) && !(i > 0 && i === last + 1 && WORD_PART.test(sql[i - 1] ?? ''))) start = i;
    last = i;
    return undefined;
  });
  flush();
  return words;
}

/**
 * The arguments for better-sqlite3's `run`/`all`. Spin binds parameters by index, 1 to n. better-sqlite3
 * binds `?` by position but treats `?1`, `?2` as named parameters "1", "2": a statement that numbers its
 * parameters gets them as one object keyed that way.
 */
export function bindArguments(
  sql: string,
  parameters: readonly SqliteValue[],
): SqliteBinding[] | [Record<string, SqliteBinding>] {
  const bindings = parameters.map(toBinding);
  return numbersParameters(sql)
    ? [Object.fromEntries(bindings.map((binding, i) => [String(i + 1), binding]))]
    : bindings;
}

/**
 * The bytes a row takes in the guest's memory once lowered (canonical ABI): its `list<value>` (8), each
 * `value` variant (16), and the bytes of each text (UTF-8) or blob.
 */
function rowBytes(row: readonly unknown[]): number {
  let bytes = 8 + 16 * row.length;
  for (const value of row) {
    if (typeof value === 'string') bytes += Buffer.byteLength(value, 'utf8');
    else if (value instanceof Uint8Array) bytes += value.byteLength;
  }
  return bytes;
}

const MIB = 1024 * 1024;

/**
 * Runs one statement as Spin's `connection.execute` does: binds `parameters`, and returns the columns and rows
 * of a statement that returns data (`columns` and `rows` empty for one that does not). SQLite's errors are
 * thrown as they come (the host makes them WIT `io` errors). A result is read row by row and refused as soon
 * as it passes `maxBytes` (as the rows will take in the guest's memory), as Spin refuses one past
 * `MAX_HOST_BUFFERED_BYTES`: the rest is never read.
 */
export function execute(
  statement: BetterSqlite3.Statement,
  sql: string,
  parameters: readonly SqliteValue[],
  maxBytes = Infinity,
): SqliteResult {
  const bind = bindArguments(sql, parameters);
  statement.safeIntegers(true);
  if (!statement.reader) {
    statement.run(...bind);
    return { columns: [], rows: [] };
  }
  const columns = statement.columns().map((column) => column.name);
  const rows: { values: SqliteValue[] }[] = [];
  let bytes = 0;
  // Leaving the loop early (the throw) resets the statement: SQLite stops there.
  for (const row of statement.raw(true).iterate(...bind) as IterableIterator<unknown[]>) {
    bytes += rowBytes(row);
    if (bytes > maxBytes) {
      const limit = maxBytes % MIB === 0 ? `${maxBytes / MIB} MiB` : `${maxBytes} bytes`;
      throw new Error(
        `query result too large: over ${limit} after ${rows.length + 1} rows (the host's limit for one result)`,
      );
    }
    rows.push({ values: row.map(fromColumn) });
  }
  return { columns, rows };
}
