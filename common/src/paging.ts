/**
 * Paged lists: `?limit=` items after `?after=`, and a `Link: <...>; rel="next"` header while more follow.
 * Keyset paging (the cursor is the sort key of the last item), so a page costs the same wherever it is.
 * Without parameters a list answers its first page, which for up to 1000 items is the whole list.
 */
import { jsonText, nextPageLink, queryParam } from './http';
import { encodeCursor, parseCursor, parsePageLimit, type Cursor } from './params';

export interface Page<T> {
  items: T[];
  more: boolean;
}

export interface PagedListOptions<T> {
  /** How many strings a cursor of this list holds. */
  cursorArity: number;
  read(limit: number, after: Cursor | null): Page<T>;
  /** The sort key of an item, which the next page starts after. */
  cursorOf(item: T): Cursor;
  /** The page's JSON text (default: a JSON array of the items). */
  render?: (items: T[]) => string;
}

export function pagedList<T>(url: URL, { cursorArity, read, cursorOf, render = (items) => JSON.stringify(items) }: PagedListOptions<T>): Response {
  const limit = parsePageLimit(queryParam(url, 'limit'));
  const after = parseCursor(queryParam(url, 'after'), cursorArity);
  const { items, more } = read(limit, after);
  const last = items[items.length - 1];
  return jsonText(render(items), { headers: more && last ? { link: nextPageLink(url, limit, encodeCursor(cursorOf(last))) } : {} });
}
