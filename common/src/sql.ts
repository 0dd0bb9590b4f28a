/**
 * The database seam: components take a {@link Database} instead of calling Spin's SQLite API directly,
 * so the same code runs inside Wasm (see `spin-sqlite.ts`) and in Node tests against a real SQLite file.
 */

/** A value as SQLite hands it back. Spin returns INTEGER columns as `bigint`. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/**
 * A bound parameter. Booleans and `undefined` are excluded on purpose: Spin's SDK 2.0.0 silently drops them,
 * which shifts every later parameter.
 */
export type SqlParam = string | number | null;

export type Row = Record<string, SqlValue>;

export interface Database {
  /** Runs one statement with positional parameters (`?1`, `?2`, ...) and returns its rows. */
  query(sql: string, params?: readonly SqlParam[]): Row[];
}

/**
 * A column as a JSON number; `null` for NULL and for values SQLite does not hold as a number (text that a
 * numeric column could not convert, blobs), the same rule as `typeof(x) IN ('integer', 'real')` in SQL.
 */
export function numberColumn(row: Row, column: string): number | null {
  const value = row[column];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

/** A column as text; numbers stored in a text column come back as their decimal form. */
export function textColumn(row: Row, column: string): string | null {
  const value = row[column];
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return String(value);
}

/** A page of a list read with one row more than asked for: the items, and whether more follow. */
export function pageOf<T>(rows: T[], limit: number): { items: T[]; more: boolean } {
  return { items: rows.slice(0, limit), more: rows.length > limit };
}
