/**
 * The database seam: components take a {@link Database} instead of calling Spin's SQLite API directly,
 * so the same code runs inside Wasm (see `spin/sqlite.ts`) and in Node tests against a real SQLite file.
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

/**
 * SQL for a numeric column as text that reads back as the same double (17 significant digits; checked for
 * |x| < 1e15), or NULL when the column holds no number. JSON from SQLite has only 15 digits, not enough.
 */
export const exactNumberSql = (column: string): string =>
  `CASE WHEN typeof(${column}) IN ('integer', 'real') THEN printf('%!.17g', ${column}) END`;

/**
 * Runs `select` and returns its rows as arrays of the `columns` expressions, all packed by SQLite into one
 * JSON text. A component pays for every value an `execute` returns (the host lowers each into the guest's
 * memory as a tagged variant, and the guest makes objects of them); packed, a page is one text value.
 * Measured on 2,000-row pages (componentize-js 0.19.3 on the local runtime): plain rows cost 1.27-1.32x the
 * CPU of packed ones; for 10 rows it makes no difference. The order of the arrays is not guaranteed: sort them.
 */
export function queryPacked(db: Database, select: string, columns: string[], params: readonly SqlParam[]): unknown[][] {
  const [row] = db.query(
    `SELECT json_group_array(json_array(${columns.join(', ')})) AS Packed FROM (${select})`,
    params,
  );
  const packed = row?.Packed;
  return typeof packed === 'string' ? (JSON.parse(packed) as unknown[][]) : [];
}

/** A packed text value, or `null`. */
export const packedText = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** A packed {@link exactNumberSql} value as a number, or `null`. */
export const packedNumber = (value: unknown): number | null => (typeof value === 'string' ? Number(value) : null);

/** A page of a list read with one row more than asked for: the items, and whether more follow. */
export function pageOf<T>(rows: T[], limit: number): { items: T[]; more: boolean } {
  return { items: rows.slice(0, limit), more: rows.length > limit };
}

/**
 * Runs `work` in one `BEGIN IMMEDIATE` transaction: it takes the write lock first, so the reads it makes
 * (the current version, say) still hold when it writes, and concurrent writers queue on SQLite's busy
 * timeout instead of failing. Commits what `work` returns; rolls back when it throws.
 */
export function inTransaction<T>(db: Database, work: () => T): T {
  db.query('BEGIN IMMEDIATE');
  let result: T;
  try {
    result = work();
  } catch (error) {
    try {
      db.query('ROLLBACK');
    } catch {
      // SQLite may have rolled back already (after some errors it does); the first error is the one to report.
    }
    throw error;
  }
  db.query('COMMIT');
  return result;
}

/**
 * A `WHERE` clause built from optional conditions, with numbered parameters (`?1`, `?2`, ...).
 *
 * @example
 * const q = sqlConditions();
 * if (country) q.add('Country = ?', country);
 * db.query(`SELECT Id FROM Customers${q.where()} LIMIT ${q.param(10)}`, q.params);
 */
export function sqlConditions() {
  const conditions: string[] = [];
  const params: SqlParam[] = [];
  const param = (value: SqlParam): string => `?${params.push(value)}`;
  return {
    params,
    /** Adds a condition; each `?` in it takes the next of `values`. */
    add(condition: string, ...values: SqlParam[]): void {
      let next = 0;
      conditions.push(condition.replace(/\?/g, () => param(values[next++] ?? null)));
    },
    /** The placeholder of a value used elsewhere in the statement (a `LIMIT`). */
    param,
    where: (): string => (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''),
  };
}
