/**
 * A paged list's order, declared once: the text columns it sorts on (binary collation, ascending: code-point
 * order) and how each is read from an item. From it come the SQL `ORDER BY`, the keyset condition of the next
 * page, the order the rows are put back in after SQLite packs them, the cursor of an item, and the cursor's arity,
 * so the five cannot disagree.
 *
 * @example
 * const BY_NAME = keyset<Customer>([['Name', (c) => c.name ?? ''], ['Id', (c) => c.id ?? '']]);
 * q.add(...BY_NAME.after(cursor));           // (Name COLLATE BINARY, Id COLLATE BINARY) > (?, ?)
 * `... ORDER BY ${BY_NAME.orderBy} LIMIT ?`;  // Name COLLATE BINARY, Id COLLATE BINARY
 */
import { compareCodePoints } from './collation';
import type { Cursor } from './params';

/** What paging needs of an order: how many strings a cursor holds, and an item's cursor. */
export interface CursorOrder<T> {
  arity: number;
  cursorOf(item: T): Cursor;
}

export interface Keyset<T> extends CursorOrder<T> {
  /** `Name COLLATE BINARY, Id COLLATE BINARY`. */
  orderBy: string;
  /** The condition "after `cursor`" and its values, for `sqlConditions().add`. */
  after(cursor: Cursor): [condition: string, ...values: string[]];
  /** The items in this order (code points, as SQLite's BINARY collation compares UTF-8). */
  sort(items: T[]): T[];
}

export function keyset<T>(keys: ReadonlyArray<readonly [column: string, of: (item: T) => string]>): Keyset<T> {
  const columns = keys.map(([column]) => `${column} COLLATE BINARY`);
  const placeholders = keys.map(() => '?');
  const condition = keys.length === 1 ? `${columns[0]} > ?` : `(${columns.join(', ')}) > (${placeholders.join(', ')})`;
  return {
    arity: keys.length,
    orderBy: columns.join(', '),
    after: (cursor) => [condition, ...keys.map((_, i) => cursor[i] ?? '')],
    cursorOf: (item) => keys.map(([, of]) => of(item)),
    sort: (items) =>
      items.sort((a, b) => {
        for (const [, of] of keys) {
          const order = compareCodePoints(of(a), of(b));
          if (order !== 0) return order;
        }
        return 0;
      }),
  };
}
