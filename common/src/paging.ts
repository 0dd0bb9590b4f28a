/**
 * Paged lists: `?limit=` items after `?after=`, and a `Link: <...>; rel="next"` header while more follow.
 * Keyset paging (the cursor is the sort key of the last item), so a page costs the same wherever it is.
 * Without parameters a list answers its first page, which for up to 1000 items is the whole list.
 *
 * A list may accept filters (`?country=Norway`); the next-page link carries them on. A query parameter the
 * list does not know, or one given twice, is a `400` that names the parameters it accepts.
 */
import type { CursorOrder } from './keyset';
import { decodeQueryPart, queryParam } from './query';
import { jsonText } from './responses';
import type { JsonSchema, Operation, OperationDoc, ParameterDoc } from './openapi';
import {
  encodeCursor,
  PAGE_DEFAULT,
  PAGE_MAX,
  parseCursor,
  parsePageLimit,
  type Cursor,
  type QueryFilter,
} from './params';
import { HttpError } from './problem';

export interface Page<T> {
  items: T[];
  more: boolean;
}

/** The filters a list accepts, by query parameter name: each parses its raw value (or throws a 400 `HttpError`). */
export type FilterParsers<F> = { [N in keyof F]-?: QueryFilter<NonNullable<F[N]>> };

export interface PagedListOptions<T, F extends object = Record<never, never>> {
  /** The list's order: its cursor's arity and an item's cursor (keyset.ts). */
  order: CursorOrder<T>;
  filters?: FilterParsers<F>;
  /** Reads a page; `filters` holds the filters the request gave. */
  read(limit: number, after: Cursor | null, filters: F): Page<T>;
  /** The page's JSON text (default: a JSON array of the items). */
  render?: (items: T[]) => string;
  /** How a cursor is written in `?after=` (default: a JSON array of strings). */
  cursorText?: CursorText;
  /** Headers of the answer, computed once the query is validated and before `read` (a data version). */
  headers?: () => Record<string, string>;
}

export interface CursorText {
  parse(raw: string | null, arity: number): Cursor | null;
  format(cursor: Cursor): string;
}

const JSON_CURSOR: CursorText = { parse: parseCursor, format: encodeCursor };

const PAGING_PARAMETERS = ['limit', 'after'];

/** The names of the query parameters present, in order; refuses unknown and repeated ones. */
export function checkQueryNames(url: URL, allowed: readonly string[]): string[] {
  const names: string[] = [];
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeQueryPart(equals === -1 ? pair : pair.slice(0, equals));
    if (name === null)
      throw new HttpError(400, 'invalid-query', 'A query parameter name is not valid percent-encoded UTF-8.');
    const accepted =
      allowed.length === 0
        ? 'This operation takes no query parameters.'
        : `This resource accepts ${allowed.join(', ')}.`;
    if (!allowed.includes(name))
      throw new HttpError(
        400,
        'invalid-query',
        `Unknown query parameter ${JSON.stringify(name.slice(0, 40))}. ${accepted}`,
        {},
        { allowed },
      );
    if (names.includes(name))
      throw new HttpError(
        400,
        'invalid-query',
        `The query parameter ${name} is given more than once. ${accepted}`,
        {},
        { allowed },
      );
    names.push(name);
  }
  return names;
}

export function pagedList<T, F extends object = Record<never, never>>(
  url: URL,
  options: PagedListOptions<T, F>,
): Response {
  const { order, read, render = (items) => JSON.stringify(items), cursorText = JSON_CURSOR } = options;
  const filterParsers = (options.filters ?? {}) as Record<string, QueryFilter<unknown>>;
  const filterNames = Object.keys(filterParsers);
  checkQueryNames(url, [...PAGING_PARAMETERS, ...filterNames]);
  const limit = parsePageLimit(queryParam(url, 'limit'));
  const after = cursorText.parse(queryParam(url, 'after'), order.arity);
  const filters: Record<string, unknown> = {};
  const carried: string[] = [];
  for (const name of filterNames) {
    const raw = queryParam(url, name);
    if (raw === null) continue;
    filters[name] = filterParsers[name]?.parse(raw);
    carried.push(`${encodeURIComponent(name)}=${encodeURIComponent(raw)}`);
  }
  const headers = options.headers?.() ?? {};
  const { items, more } = read(limit, after, filters as F);
  const last = items[items.length - 1];
  if (!more || !last) return jsonText(render(items), { headers });
  const query = [
    `limit=${limit}`,
    ...carried,
    `after=${encodeURIComponent(cursorText.format(order.cursorOf(last)))}`,
  ].join('&');
  return jsonText(render(items), { headers: { ...headers, link: `<${url.pathname}?${query}>; rel="next"` } });
}

/** What a paged list's document says besides its query parameters: the operation, and the page's schema. */
export interface ListDoc extends Pick<OperationDoc, 'operationId' | 'summary' | 'description'> {
  /** The schema of a page's body (an array of the items, or what `render` makes of them). */
  page: JsonSchema;
  /** How `?after=` is described (default: a cursor from the Link header). */
  after?: ParameterDoc;
  /** Headers of the answer besides `Link`. */
  headers?: Record<string, ParameterDoc>;
}

/** A paged list as an operation: `pagedList` answers it, and its query parameters are documented from the same filters. */
export function pagedListOperation<T, F extends object = Record<never, never>>(
  doc: ListDoc,
  options: PagedListOptions<T, F>,
): Operation {
  const filterDocs = Object.fromEntries(
    Object.entries((options.filters ?? {}) as Record<string, QueryFilter<unknown>>).map(([name, filter]) => [
      name,
      filter.doc,
    ]),
  );
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    query: {
      limit: {
        description: `Items per page (default ${PAGE_DEFAULT})`,
        schema: { type: 'integer', minimum: 1, maximum: PAGE_MAX },
      },
      after: doc.after ?? {
        description: 'Where the page starts: the cursor in the Link header of the previous page',
        schema: { type: 'string' },
      },
      ...filterDocs,
    },
    responses: {
      200: {
        description: 'A page; `Link: <...>; rel="next"` while more follow',
        content: { 'application/json': doc.page },
        headers: {
          Link: { description: 'The next page, while more follow', schema: { type: 'string' } },
          ...doc.headers,
        },
      },
    },
    problems: ['invalid-query'],
    handle: ({ url }) => pagedList(url, options),
  };
}
