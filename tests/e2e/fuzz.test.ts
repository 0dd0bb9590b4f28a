/**
 * Bad input at scale, on the three real Wasm components on the local runtime: a few hundred seeded random
 * requests (methods, paths, ids, limits, query strings, headers, bodies). For each one an oracle works out
 * from the request alone what the app must answer (the route, the `x-budget-ms` rule, the method, the
 * percent-decoding, the id and limit rules, the data), and the answer is checked against it:
 *
 * - no 5xx, except `504` for a request whose `x-budget-ms` is already spent, and a dashboard whose caller
 *   gave it a tiny budget (a partial `200` or a `502`/`504`, as the failure policy says);
 * - every error under a component's route is problem+json with `type`, `title`, `status` (the HTTP status),
 *   `detail` and `instance`; `405` carries `Allow`; paths outside the data routes are the page component's;
 * - `HEAD` answers have no body; `200`s are JSON with an ETag, the same bytes for the same resource;
 *   `304` only for a matching `If-None-Match`; `x-request-id` is echoed when usable;
 * - the write methods are real operations where the routes have them (POST on the collections, PUT, PATCH and
 *   DELETE on items): this app has no API token, so each is a `403`; the paged lists refuse a query parameter
 *   they do not know or one given twice (`400`);
 * - afterwards every table holds exactly the rows it held before, and the dashboard is the same bytes.
 *
 * A second run configures an API token and sends a few hundred hostile writes to the real write routes, with
 * the token and a valid If-Match (fuzz-inputs.ts, createWriteFuzzCases): bodies of wrong types and shapes,
 * sizes either side of 16 KiB, nesting past depth 32, prototype member names, duplicate names, bytes that are
 * not UTF-8, numbers JSON allows and the fields do not, BOMs, empty bodies, wrong media types and charsets.
 * Each case carries the answer its defect decides (401, 428, 415, 413, 400, 422, 404, 412, 409), never a 5xx;
 * valid writes are mixed in and must succeed. Afterwards the database is exactly the one before plus what the
 * valid writes changed, row by row, events and totals included, and reads answer as before.
 *
 * Reproduce a failure with the seed it prints: `FUZZ_SEED=<seed> npx vitest run tests/e2e/fuzz.test.ts`
 * (`FUZZ_COUNT` and `FUZZ_WRITE_COUNT` change the number of requests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlText } from '../support/sqlite';
import { startApp, type AppRuntime } from './app-runtime';
import {
  createFuzzInputs,
  createWriteFuzzCases,
  MAX_BODY_BYTES,
  type CustomerTarget,
  type FuzzRequest,
  type IncidentTarget,
  type WriteCase,
  type WriteEffect,
} from './fuzz-inputs';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611) >>> 0;
const COUNT = Number(process.env.FUZZ_COUNT ?? 400);
/** The write run's number of requests (`FUZZ_WRITE_COUNT`); it uses the same seed. */
const WRITE_COUNT = Number(process.env.FUZZ_WRITE_COUNT ?? 400);
/** The API token of the write run (the Spin variable `api_token`). */
const WRITE_TOKEN = 'fuzz-writes-token-7c41d9b0';
const CONCURRENCY = 8;
/** A dashboard caller budget below this may run out: then a partial 200, or 502/504, is a correct answer. */
const SMALL_BUDGET_MS = 1000;
const ALLOW = 'GET, HEAD, OPTIONS';
const HEALTH_PATH = '/.well-known/spin/health';
const PROBLEM = 'urn:aggregates-dashboard:problem:';
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Awkward ids, loaded with plain SQL before the run: quotes, SQL, emoji, `%`, `/`, the 200-character limit, case twins. */
const EXTRA_CUSTOMER_IDS = [
  'fuzz-case-a',
  'FUZZ-CASE-A',
  "O'Brien/1",
  'emoji-😀-id',
  "'; DROP TABLE Customers;--",
  '100%',
  'a b',
  'Ünïcode-ß',
  'x'.repeat(200),
  '?#&',
  'é'.repeat(200),
];
const EXTRA_INCIDENT_IDS = [
  'inc-😀',
  "inc-'quote",
  'INC-case',
  'inc-case',
  '%2F',
  'Zürich/1',
  'ǅ-title',
  "'); DELETE FROM Incidents;--",
];

type Expectation =
  | { kind: 'runtime'; status: 200 | 404 }
  /** The dashboard page (`/`): HTML, a new one each time (it carries the time of the data). */
  | { kind: 'page' }
  | { kind: 'problem'; status: number; code: string; allow?: string }
  | { kind: 'options'; allow: string }
  /** A 200 (or 304): `key` names the resource, so every answer for it must be the same bytes. */
  | { kind: 'ok'; key: string; check: (body: unknown) => string | null }
  | { kind: 'dashboard'; smallBudget: boolean };

interface Data {
  customerIds: string[];
  incidentIds: string[];
  customerCount: number;
  incidentCount: number;
  incidentNameCount: number;
  /** Events in each feed, numbered 1..n. */
  customerEvents: number;
  incidentEvents: number;
}

/** The methods each kind of route answers (its `Allow`): the collections take POST, their items PUT, PATCH and DELETE. */
const ALLOW_COLLECTION = 'GET, HEAD, POST, OPTIONS';
const ALLOW_ITEM = 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS';
const allowOf = (route: string): string =>
  route === 'customers-list' || route === 'incidents-list'
    ? ALLOW_COLLECTION
    : route === 'customer' || route === 'incident'
      ? ALLOW_ITEM
      : ALLOW;

/** The paged lists (common/src/paging.ts): their filters, each with its validity rule, and their `?after=` cursor. */
interface ListSpec {
  filters: Record<string, (raw: string) => boolean>;
  /** A JSON array of this many strings, or a sequence number (the event feeds). */
  cursor: number | 'seq';
}
const textFilter = (raw: string) => raw.length >= 1 && raw.length <= 200;
const LISTS: Record<string, ListSpec> = {
  'customers-list': {
    filters: {
      country: textFilter,
      minScoring: (raw) => /^-?[0-9]{1,9}$/.test(raw) && Number(raw) >= 0 && Number(raw) <= 10,
      updatedSince: isRfc3339,
    },
    cursor: 2,
  },
  'incidents-list': {
    filters: { customerName: textFilter, customerId: textFilter, category: textFilter, updatedSince: isRfc3339 },
    cursor: 1,
  },
  'incidents-grouped': { filters: {}, cursor: 2 },
  'customer-events': { filters: {}, cursor: 'seq' },
  'incident-events': { filters: {}, cursor: 'seq' },
};

/** An RFC 3339 date-time with an offset, a real calendar date and time (the `?updatedSince=` rule). */
function isRfc3339(raw: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/.exec(
    raw,
  );
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  const offsetOk = match[7] === undefined || (Number(match[7]) < 24 && Number(match[8]) < 60);
  return day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60 && offsetOk;
}

/** A query component decoded as a form value (`+` is a space); `null` when the percent-encoding is bad. */
function decodeQueryPart(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

/**
 * A paged list's query, read by the rules of the README ("Paged lists"): only its own parameters, each once;
 * `limit` 1-2000 (default 1000); `after` a cursor; the filters by their rules. `null` means a 400.
 */
function readListQuery(
  url: URL,
  spec: ListSpec,
): { limit: number; after: string | null; filters: Record<string, string> } | null {
  const values = new Map<string, string>();
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeQueryPart(equals === -1 ? pair : pair.slice(0, equals));
    const value = decodeQueryPart(equals === -1 ? '' : pair.slice(equals + 1));
    if (name === null || value === null || values.has(name)) return null;
    if (name !== 'limit' && name !== 'after' && !Object.hasOwn(spec.filters, name)) return null;
    values.set(name, value);
  }
  const limitText = values.get('limit');
  if (
    limitText !== undefined &&
    !(/^[0-9]{1,7}$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 2000)
  )
    return null;
  const after = values.get('after') ?? null;
  if (after !== null) {
    if (spec.cursor === 'seq') {
      if (!/^[0-9]{1,15}$/.test(after)) return null;
    } else {
      let cursor: unknown;
      try {
        cursor = JSON.parse(after);
      } catch {
        return null;
      }
      if (!Array.isArray(cursor) || cursor.length !== spec.cursor || !cursor.every((part) => typeof part === 'string'))
        return null;
    }
  }
  const filters: Record<string, string> = {};
  for (const [name, valid] of Object.entries(spec.filters)) {
    const value = values.get(name);
    if (value === undefined) continue;
    if (!valid(value)) return null;
    filters[name] = value;
  }
  return {
    limit: limitText === undefined ? 1000 : Number(limitText),
    after: spec.cursor === 'seq' && after !== null ? String(Number(after)) : after,
    filters,
  };
}

/** SQLite's NOCASE: ASCII letters only. */
const foldAscii = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
/** The first of `ids` in binary (code point) order that equals `id` ignoring ASCII case, as the components pick it. */
function lookup(ids: readonly string[], id: string): string | undefined {
  const matches = ids.filter((candidate) => foldAscii(candidate) === foldAscii(id));
  const codePoints = (text: string) => Array.from(text, (c) => c.codePointAt(0) ?? 0);
  return matches.sort((a, b) => {
    const [x, y] = [codePoints(a), codePoints(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
    return x.length - y.length;
  })[0];
}

const budgetOf = (headers: Headers): number | null => {
  const raw = headers.get('x-budget-ms');
  return raw !== null && /^-?[0-9]{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : null;
};

/** If-None-Match against an ETag, as RFC 9110 (weak comparison) and common/src/etag.ts have it. */
function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

/**
 * If-Match against the current ETag, as RFC 9110 has it (13.1.1, strong comparison): `*`, or a listed tag equal
 * to a strong current one; an answer without a tag matches only `*`. Empty is as good as no If-Match at all.
 */
function ifMatchAccepts(header: string, etag: string | null): boolean {
  if (header.trim() === '' || header.trim() === '*') return true;
  return etag !== null && !etag.startsWith('W/') && header.split(',').some((candidate) => candidate.trim() === etag);
}

const isArrayOfLength = (length: number) => (body: unknown) =>
  Array.isArray(body) && body.length === length
    ? null
    : `expected an array of ${length}, got ${JSON.stringify(body).slice(0, 120)}`;

/** A path with a trailing slash (but not `/` itself): no component declares one the fuzzer sends. */
const trailingSlash = (path: string): boolean => path.length > 1 && path.endsWith('/');

/**
 * Every path outside the three data routes belongs to the page component (`route = "/..."`): `/` and
 * `/assets/:file`; anything else is its problem+json 404. The fuzzer never guesses an asset's content hash.
 */
function pageExpectation(request: Request, path: string): Expectation {
  const budget = budgetOf(request.headers);
  if (budget !== null && budget <= 0) return { kind: 'problem', status: 504, code: 'gateway-timeout' };
  if (trailingSlash(path)) return { kind: 'problem', status: 404, code: 'not-found' };
  const asset = /^\/assets\/([^/]+?)$/.exec(path);
  if (path !== '/' && !asset) return { kind: 'problem', status: 404, code: 'not-found' };
  const allow = 'GET, HEAD, OPTIONS';
  if (request.method === 'OPTIONS') return { kind: 'options', allow };
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return { kind: 'problem', status: 405, code: 'method-not-allowed', allow };
  if (!asset) return { kind: 'page' };
  try {
    decodeURIComponent(asset[1] ?? '');
  } catch {
    return { kind: 'problem', status: 400, code: 'invalid-path' };
  }
  return { kind: 'problem', status: 404, code: 'not-found' };
}

/** What the app must answer to `request`, worked out from the request alone. */
function expectationFor(request: Request, data: Data): Expectation {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === HEALTH_PATH) return { kind: 'runtime', status: 200 };
  const component = ['customers', 'incidents', 'aggregates'].find(
    (name) => path === `/${name}` || path.startsWith(`/${name}/`),
  );
  if (component === undefined) return pageExpectation(request, path);

  const budget = budgetOf(request.headers);
  if (budget !== null && budget <= 0) return { kind: 'problem', status: 504, code: 'gateway-timeout' };

  // One resource, one URL: the shared HTTP layer answers a path with a trailing slash 404 before routing it.
  if (trailingSlash(path)) return { kind: 'problem', status: 404, code: 'not-found' };
  // The components' route tables, matched the way itty-router does (one segment per parameter).
  const routes: Array<[RegExp, string]> = {
    customers: [
      [/^\/customers\/items\/*$/, 'customers-list'],
      [/^\/customers\/items\/([^/]+?)\/*$/, 'customer'],
      [/^\/customers\/count\/*$/, 'customers-count'],
      [/^\/customers\/top\/([^/]+?)\/*$/, 'customers-top'],
      [/^\/customers\/events\/*$/, 'customer-events'],
      [/^\/customers\/events\/last\/*$/, 'customer-events-last'],
    ] as Array<[RegExp, string]>,
    incidents: [
      [/^\/incidents\/items\/*$/, 'incidents-list'],
      [/^\/incidents\/items\/([^/]+?)\/*$/, 'incident'],
      [/^\/incidents\/grouped-by-customer\/*$/, 'incidents-grouped'],
      [/^\/incidents\/top\/by-count\/([^/]+?)\/*$/, 'incidents-by-count'],
      [/^\/incidents\/top\/by-volume\/([^/]+?)\/*$/, 'incidents-by-volume'],
      [/^\/incidents\/events\/*$/, 'incident-events'],
      [/^\/incidents\/events\/last\/*$/, 'incident-events-last'],
    ] as Array<[RegExp, string]>,
    aggregates: [[/^\/aggregates\/dashboard\/*$/, 'dashboard']] as Array<[RegExp, string]>,
  }[component as 'customers' | 'incidents' | 'aggregates'];
  let route: string | undefined;
  let raw: string | undefined;
  for (const [pattern, name] of routes) {
    const match = pattern.exec(path);
    if (match) {
      route = name;
      raw = match[1];
      break;
    }
  }
  if (route === undefined) return { kind: 'problem', status: 404, code: 'not-found' };
  const allow = allowOf(route);
  if (request.method === 'OPTIONS') return { kind: 'options', allow };
  // The write methods are real operations on the collections and their items; no other method is.
  const write =
    (request.method === 'POST' && allow === ALLOW_COLLECTION) ||
    (['PUT', 'PATCH', 'DELETE'].includes(request.method) && allow === ALLOW_ITEM);
  if (request.method !== 'GET' && request.method !== 'HEAD' && !write)
    return { kind: 'problem', status: 405, code: 'method-not-allowed', allow };

  let param = '';
  if (raw !== undefined) {
    try {
      param = decodeURIComponent(raw);
    } catch {
      return { kind: 'problem', status: 400, code: 'invalid-path' };
    }
  }
  // This app has no API token: every write is refused before its body, id or If-Match is looked at.
  if (write) return { kind: 'problem', status: 403, code: 'writes-disabled' };
  const list = LISTS[route];
  if (list !== undefined) {
    const query = readListQuery(url, list);
    if (query === null) return { kind: 'problem', status: 400, code: 'invalid-query' };
    const unfiltered = query.after === null && Object.keys(query.filters).length === 0;
    const total =
      route === 'customers-list'
        ? data.customerCount
        : route === 'customer-events'
          ? data.customerEvents
          : route === 'incident-events'
            ? data.incidentEvents
            : data.incidentCount;
    // Without filters, a page holds `limit` of what there is after `after` (feeds: numbered 1..n, so n - after).
    const expectedLength = unfiltered
      ? Math.min(query.limit, total)
      : list.cursor === 'seq' && Object.keys(query.filters).length === 0
        ? Math.min(query.limit, Math.max(0, total - Number(query.after ?? 0)))
        : null;
    return {
      kind: 'ok',
      key: `${route}?${JSON.stringify(query)}`,
      check: (body) => {
        const items =
          route === 'incidents-grouped' && typeof body === 'object' && body !== null && !Array.isArray(body)
            ? Object.values(body).flat()
            : body;
        if (!Array.isArray(items)) return `expected a list, got ${JSON.stringify(body).slice(0, 120)}`;
        return expectedLength === null || items.length === expectedLength
          ? null
          : `expected ${expectedLength} items, got ${items.length}`;
      },
    };
  }
  switch (route) {
    case 'customer':
    case 'incident': {
      // eslint-disable-next-line no-control-regex
      if (param.length === 0 || param.length > 200 || /[\u0000-\u001f\u007f]/.test(param))
        return { kind: 'problem', status: 400, code: 'invalid-id' };
      const found = lookup(route === 'customer' ? data.customerIds : data.incidentIds, param);
      if (found === undefined) return { kind: 'problem', status: 404, code: 'not-found' };
      return {
        kind: 'ok',
        key: `${route}:${found}`,
        check: (body) =>
          typeof body === 'object' && body !== null && 'id' in body && body.id === found
            ? null
            : `expected the row with id ${JSON.stringify(found)}`,
      };
    }
    case 'customers-top':
    case 'incidents-by-count':
    case 'incidents-by-volume': {
      if (!/^[0-9]{1,7}$/.test(param) || Number(param) < 1 || Number(param) > 1000)
        return { kind: 'problem', status: 400, code: 'invalid-limit' };
      const rows = route === 'customers-top' ? data.customerCount : data.incidentNameCount;
      return { kind: 'ok', key: `${route}:${Number(param)}`, check: isArrayOfLength(Math.min(Number(param), rows)) };
    }
    case 'dashboard': {
      for (const [name, allowed] of [
        ['strategy', ['pushdown', 'naive']],
        ['policy', ['partial', 'strict']],
      ] as const) {
        const value = url.searchParams.get(name);
        if (value !== null && !(allowed as readonly string[]).includes(value))
          return { kind: 'problem', status: 400, code: 'invalid-query' };
      }
      return { kind: 'dashboard', smallBudget: budget !== null && budget < SMALL_BUDGET_MS };
    }
    case 'customer-events-last':
    case 'incident-events-last': {
      const seq = route === 'customer-events-last' ? data.customerEvents : data.incidentEvents;
      return {
        kind: 'ok',
        key: route,
        check: (body) => (JSON.stringify(body) === JSON.stringify({ seq }) ? null : `expected {"seq":${seq}}`),
      };
    }
    default:
      return {
        kind: 'ok',
        key: route,
        check: (body) => (typeof body === 'object' && body !== null ? null : 'expected a JSON object or array'),
      };
  }
}

describe('fuzz: random bad input to the three real Wasm components on the local runtime', () => {
  let app: AppRuntime;
  let data: Data;
  let snapshotBefore: string;
  let dashboardBefore: { text: string; etag: string };
  const knownEtags: string[] = [];

  /** Every table and the schema, row by row, in a fixed order. */
  function snapshot(): string {
    const tables = app.db.database.query(
      "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    const dump: Record<string, unknown> = {
      schema: app.db.database.query('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name'),
    };
    for (const { name } of tables) {
      const columns = app.db.database.query(`SELECT name FROM pragma_table_xinfo(${sqlText(String(name))})`).length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      dump[String(name)] = app.db.database.query(`SELECT * FROM "${String(name)}" ORDER BY ${order}`);
    }
    return JSON.stringify(dump, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value), 1);
  }

  async function dashboard(): Promise<{ text: string; etag: string }> {
    const response = await app.spin.fetch('/aggregates/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBeNull();
    return { text: await response.text(), etag: response.headers.get('etag') ?? '' };
  }

  beforeAll(async () => {
    app = await startApp({ variables: { cache_ttl_ms: '0' } });
    app.db.exec(
      [
        ...EXTRA_CUSTOMER_IDS.map(
          (id, i) =>
            `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(id)}, ${sqlText(`Fuzz ${id.slice(0, 20)}`)}, 'c', 'c', ${i % 4});`,
        ),
        ...EXTRA_INCIDENT_IDS.map(
          (id, i) =>
            `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES (${sqlText(id)}, ${i * 10.25}, ${sqlText(i % 2 ? 'Zürich Präzision AG' : `Fuzz ${id}`)}, 'F');`,
        ),
      ].join('\n'),
    );
    const column = (sql: string) => app.db.database.query(sql).map((row) => String(Object.values(row)[0]));
    data = {
      customerIds: column('SELECT Id FROM Customers'),
      incidentIds: column('SELECT Id FROM Incidents'),
      customerCount: Number(column('SELECT COUNT(*) FROM Customers')[0]),
      incidentCount: Number(column('SELECT COUNT(*) FROM Incidents')[0]),
      incidentNameCount: Number(column('SELECT COUNT(*) FROM IncidentTotals')[0]),
      customerEvents: Number(column('SELECT COUNT(*) FROM CustomerEvents')[0]),
      incidentEvents: Number(column('SELECT COUNT(*) FROM IncidentEvents')[0]),
    };
    // The feeds' expected page sizes assume sequence numbers 1..n.
    expect(column('SELECT MAX(Seq) FROM CustomerEvents')).toEqual([String(data.customerEvents)]);
    expect(column('SELECT MAX(Seq) FROM IncidentEvents')).toEqual([String(data.incidentEvents)]);
    snapshotBefore = snapshot();
    dashboardBefore = await dashboard();
    for (const path of [
      '/customers/count',
      '/incidents/top/by-count/5',
      `/customers/items/${encodeURIComponent(data.customerIds[0] ?? '')}`,
    ]) {
      knownEtags.push((await app.spin.fetch(path)).headers.get('etag') ?? '"missing"');
    }
    knownEtags.push(dashboardBefore.etag);
  });

  afterAll(async () => {
    await app.stop();
  });

  it(
    `answers ${COUNT} random requests (seed ${SEED}) without a 5xx, every error as problem+json, and changes no data`,
    { timeout: 180_000 },
    async () => {
      const next = createFuzzInputs(SEED, { customers: data.customerIds, incidents: data.incidentIds }, knownEtags);
      const inputs = Array.from({ length: COUNT }, (_, i) => next(i));
      const failures: string[] = [];
      /** The first body and ETag seen per resource: the same data must give the same bytes. */
      const seen = new Map<string, { text: string | null; etag: string }>([
        ['dashboard', { text: dashboardBefore.text, etag: dashboardBefore.etag }],
      ]);
      const statuses = new Map<number, number>();

      async function run(input: FuzzRequest): Promise<void> {
        let request: Request;
        try {
          request = new Request(new URL(input.path, 'http://localhost'), {
            method: input.method,
            headers: input.headers,
            body: input.body,
          });
        } catch (error) {
          // The generator's fault, not the app's: every input must be a request a client can send.
          failures.push(
            `  [seed ${SEED} #${input.index}] ${input.method} ${JSON.stringify(input.path)} headers=${JSON.stringify(input.headers)}: not a valid Request: ${String(error)}`,
          );
          return;
        }
        const expected = expectationFor(request, data);
        const ifNoneMatch = request.headers.get('if-none-match');
        const head = request.method === 'HEAD';
        let response: Response;
        try {
          response = await app.spin.fetch(request);
        } catch (error) {
          failures.push(describeFailure(input, request, null, '', `fetch threw: ${String(error)}`));
          return;
        }
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const problems: string[] = [];
        const check = (ok: boolean, message: string) => {
          if (!ok) problems.push(message);
        };
        const contentType = response.headers.get('content-type');
        if (head) check(text === '', 'HEAD answer has a body');
        if (response.status === 304) check(ifNoneMatch !== null, '304 without If-None-Match');
        check(
          response.status < 500 ||
            (expected.kind === 'problem' && expected.status === 504) ||
            (expected.kind === 'dashboard' && expected.smallBudget),
          `5xx not allowed here`,
        );

        const checkProblem = (status: number, code?: string, allow = ALLOW) => {
          check(response.status === status, `expected status ${status}${code ? ` (${code})` : ''}`);
          check(contentType === 'application/problem+json', `expected application/problem+json, got ${contentType}`);
          if (response.status === 405)
            check(
              response.headers.get('allow') === allow,
              `405 with Allow ${response.headers.get('allow')} (expected ${allow})`,
            );
          if (head) return;
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            problems.push('problem body is not JSON');
            return;
          }
          const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
          check(
            typeof problem.type === 'string' && (code === undefined || problem.type === `${PROBLEM}${code}`),
            `problem type ${String(problem.type)}`,
          );
          check(typeof problem.title === 'string' && problem.title !== '', 'problem title');
          check(problem.status === response.status, `problem status ${String(problem.status)} is not the HTTP status`);
          check(typeof problem.detail === 'string', 'problem detail');
          check(
            problem.instance === new URL(request.url).pathname,
            `problem instance ${JSON.stringify(problem.instance)}`,
          );
        };

        /** A 200 (or a 304 for a matching If-None-Match) of the resource `key`. */
        const checkOk = (key: string, body: (value: unknown) => string | null) => {
          const etag = response.headers.get('etag');
          check(etag !== null, 'no ETag on a 200/304');
          if (response.status === 304) {
            check(
              ifNoneMatch !== null && etag !== null && ifNoneMatchMatches(ifNoneMatch, etag),
              `304 although If-None-Match does not match ${etag}`,
            );
            check(text === '', '304 with a body');
          } else {
            check(response.status === 200, 'expected 200');
            check(contentType === 'application/json', `expected application/json, got ${contentType}`);
            check(
              ifNoneMatch === null || etag === null || !ifNoneMatchMatches(ifNoneMatch, etag),
              `200 although If-None-Match matches ${etag}`,
            );
            if (!head && response.status === 200) {
              try {
                const problem = body(JSON.parse(text));
                if (problem !== null) problems.push(problem);
              } catch {
                problems.push('200 body is not JSON');
              }
            }
          }
          if (etag === null || (response.status !== 200 && response.status !== 304)) return;
          const before = seen.get(key);
          const current = { text: !head && response.status === 200 ? text : null, etag };
          if (before === undefined) seen.set(key, current);
          else {
            check(before.etag === etag, `ETag ${etag} differs from the earlier ${before.etag} for the same resource`);
            if (before.text !== null && current.text !== null)
              check(before.text === current.text, 'body differs from the earlier answer for the same resource');
            if (before.text === null) before.text = current.text;
          }
        };

        if (expected.kind !== 'runtime') {
          const sent = request.headers.get('x-request-id');
          const echoed = response.headers.get('x-request-id') ?? '';
          check(
            sent !== null && REQUEST_ID.test(sent) ? echoed === sent : /^[0-9a-f]{32}$/.test(echoed),
            `x-request-id echoed as ${JSON.stringify(echoed)}`,
          );
        }
        // A read with If-Match: 412 when it does not match the answer the read would otherwise get (RFC 9110
        // 13.2.2, before If-None-Match); a 2xx only when it does.
        const ifMatch = request.headers.get('if-match');
        const conditionalRead =
          ifMatch !== null &&
          (request.method === 'GET' || head) &&
          (expected.kind === 'ok' || expected.kind === 'dashboard' || expected.kind === 'page');
        if (conditionalRead && response.status === 412) {
          checkProblem(412, 'precondition-failed');
          check(!ifMatchAccepts(ifMatch, null), `412 although If-Match is ${JSON.stringify(ifMatch)}`);
          const key =
            expected.kind === 'ok'
              ? expected.key
              : expected.kind === 'dashboard' && !expected.smallBudget
                ? 'dashboard'
                : null;
          const known = key === null ? undefined : seen.get(key)?.etag;
          if (known !== undefined)
            check(!ifMatchAccepts(ifMatch, known), `412 although If-Match accepts the current ETag ${known}`);
          if (problems.length > 0) failures.push(describeFailure(input, request, response, text, problems.join('; ')));
          return;
        }
        if (conditionalRead && ((response.status >= 200 && response.status < 300) || response.status === 304)) {
          check(
            ifMatchAccepts(ifMatch, response.headers.get('etag')),
            `${response.status} although If-Match does not accept ETag ${response.headers.get('etag')}`,
          );
        }
        switch (expected.kind) {
          case 'runtime':
            check(response.status === expected.status, `expected the runtime's own ${expected.status}`);
            check(
              contentType?.startsWith('text/plain') ?? false,
              `expected text/plain from the runtime, got ${contentType}`,
            );
            break;
          case 'problem':
            checkProblem(expected.status, expected.code, expected.allow);
            break;
          case 'page':
            check(
              response.status === 200 || (response.status === 304 && request.headers.get('if-none-match') !== null),
              `expected the page (200), got ${response.status}`,
            );
            if (response.status === 200)
              check(contentType === 'text/html; charset=utf-8', `expected the page as HTML, got ${contentType}`);
            if (response.status === 200 && !head)
              check(text.startsWith('<!doctype html>'), 'the page is not an HTML document');
            break;
          case 'options':
            check(response.status === 204, 'expected 204 for OPTIONS');
            check(
              response.headers.get('allow') === expected.allow,
              `OPTIONS with Allow ${response.headers.get('allow')} (expected ${expected.allow})`,
            );
            check(text === '', '204 with a body');
            break;
          case 'ok':
            checkOk(expected.key, expected.check);
            break;
          case 'dashboard': {
            const incomplete = response.headers.get('dashboard-incomplete') ?? response.headers.get('dashboard-stale');
            if (expected.smallBudget && (response.status === 502 || response.status === 504))
              checkProblem(response.status);
            else if (expected.smallBudget && response.status === 200 && incomplete !== null) {
              // The budget ran out for some part: the sections that made it, plus `errors`.
              check(contentType === 'application/json', `expected application/json, got ${contentType}`);
              check(
                response.headers.get('cache-control') === 'no-store' && response.headers.get('etag') === null,
                'a partial dashboard must be no-store, without ETag',
              );
              if (!head) check(/"errors":\[\{/.test(text), 'a partial dashboard without errors');
            } else {
              check(incomplete === null, `dashboard incomplete without a reason: ${incomplete}`);
              checkOk('dashboard', () =>
                text === dashboardBefore.text ? null : 'the dashboard differs from the one before the run',
              );
            }
            break;
          }
        }
        if (problems.length > 0) failures.push(describeFailure(input, request, response, text, problems.join('; ')));
      }

      let cursor = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (cursor < inputs.length) {
            const input = inputs[cursor++];
            if (input) await run(input);
          }
        }),
      );

      const summary = [...statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ');
      const report = `${failures.length} of ${COUNT} answers were wrong (seed ${SEED}, reproduce with FUZZ_SEED=${SEED}; statuses ${summary}):\n${failures.slice(0, 15).join('\n')}`;
      expect.soft(failures.length, report).toBe(0);

      // Nothing the run sent changed a row, the schema, or the dashboard.
      expect.soft(snapshot(), `the database changed during the run (seed ${SEED})`).toBe(snapshotBefore);
      expect.soft(await dashboard(), `the dashboard changed during the run (seed ${SEED})`).toEqual(dashboardBefore);
    },
  );
});

function describeFailure(
  input: FuzzRequest,
  request: Request,
  response: Response | null,
  text: string,
  problem: string,
): string {
  const body =
    input.body === null
      ? ''
      : ` body=${typeof input.body === 'string' ? JSON.stringify(input.body.slice(0, 80)) : `<${input.body.length} bytes>`}`;
  const answer =
    response === null
      ? ''
      : ` -> ${response.status} ${response.headers.get('content-type') ?? '-'} ${JSON.stringify(text.slice(0, 200))}`;
  return `  [seed ${SEED} #${input.index}] ${request.method} ${JSON.stringify(input.path)} (sent as ${new URL(request.url).pathname}${new URL(request.url).search}) headers=${JSON.stringify(input.headers)}${body}${answer}: ${problem}`;
}

/** A table as rows: INTEGER values as `<n>n`, so an integer and a real never compare equal. */
type DumpRow = Record<string, unknown>;
type Dump = Record<string, DumpRow[]>;

const int = (value: number): string => `${value}n`;
const micros = (amount: number): number => Math.round(amount * 1_000_000);
/** IncidentTotals.VolumeCents: the micro-units rounded once to cents, half away from zero. */
const cents = (volumeMicros: number): number =>
  volumeMicros >= 0 ? Math.floor((volumeMicros + 5000) / 10000) : -Math.floor((5000 - volumeMicros) / 10000);
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** What a write that succeeded answered, beside what its case said it would change. */
interface Applied {
  effect: WriteEffect;
  /** The id of what it created, or of its target. */
  id: string;
  /** createdAt of a create, updatedAt of an update; deletes answer none. */
  at?: string;
}

describe('fuzz: hostile writes with a valid token to the real Wasm components', () => {
  let app: AppRuntime;
  let targets: Parameters<typeof createWriteFuzzCases>[1];
  /** Each target as GET answered before the run: text, ETag. */
  const readsBefore = new Map<string, { text: string; etag: string | null }>();
  /** Reads the run must leave byte-identical. */
  const STABLE_READS = ['/customers/items?country=Sweden', '/incidents/items?category=E&limit=7'];

  function dump(): Dump {
    const tables = app.db.database
      .query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .map((row) => String(row.name));
    const result: Dump = {
      sqlite_master: app.db.database.query('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name'),
    };
    for (const name of tables) {
      result[name] = app.db.database
        .query(`SELECT * FROM "${name}"`)
        .map((row) =>
          Object.fromEntries(
            Object.entries(row).map(([column, value]) => [column, typeof value === 'bigint' ? `${value}n` : value]),
          ),
        );
    }
    return result;
  }

  async function get(path: string): Promise<{ status: number; text: string; etag: string | null }> {
    const response = await app.spin.fetch(path);
    return { status: response.status, text: await response.text(), etag: response.headers.get('etag') };
  }

  async function readCustomer(id: string): Promise<CustomerTarget> {
    const answer = await get(`/customers/items/${encodeURIComponent(id)}`);
    expect(answer.status, `GET customer ${id}`).toBe(200);
    readsBefore.set(`customers/${id}`, answer);
    return JSON.parse(answer.text) as CustomerTarget;
  }

  async function readIncident(id: string): Promise<IncidentTarget> {
    const answer = await get(`/incidents/items/${encodeURIComponent(id)}`);
    expect(answer.status, `GET incident ${id}`).toBe(200);
    readsBefore.set(`incidents/${id}`, answer);
    return JSON.parse(answer.text) as IncidentTarget;
  }

  beforeAll(async () => {
    app = await startApp({ variables: { api_token: WRITE_TOKEN, cache_ttl_ms: '0' } });
    // Aggregates the valid writes change, loaded with plain SQL (the triggers give each version 1 and its event).
    const customer = (id: string, name: string, city: string | null, country: string | null, scoring: number) =>
      `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(id)}, ${sqlText(name)}, ${city === null ? 'NULL' : sqlText(city)}, ${country === null ? 'NULL' : sqlText(country)}, ${scoring});`;
    const incident = (id: string, amount: number, category: string) =>
      `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES (${sqlText(id)}, ${amount}, 'Fuzz Holder', ${sqlText(category)});`;
    app.db.exec(
      [
        ...Array.from({ length: 6 }, (_, i) =>
          customer(`Fuzz-Patch-${i}`, `Fuzz Patchable ${i}`, 'Old City', 'Norway', i),
        ),
        ...Array.from({ length: 4 }, (_, i) =>
          customer(`Fuzz-Delete-${i}`, `Fuzz Deletable ${i}`, i % 2 ? null : 'Leeds', 'Spain', 10 - i),
        ),
        customer('Fuzz-Holder', 'Fuzz Holder', 'Leeds', null, 5),
        customer('Fuzz-Ref-A', 'Fuzz Referable A', 'Oslo', 'Norway', 7),
        customer('Fuzz-Ref-B', 'Fuzz Referable B', null, null, 0),
        ...Array.from({ length: 6 }, (_, i) => incident(`Fuzz-Inc-Put-${i}`, 100.5 + i, 'ABCDEF'[i] ?? 'A')),
        ...Array.from({ length: 5 }, (_, i) => incident(`Fuzz-Inc-Del-${i}`, 20.75 * (i + 1), 'C')),
      ].join('\n'),
    );
    const ids = (sql: string) => app.db.database.query(sql).map((row) => String(row.Id));
    // Hostile writes go to sample customers that incidents refer to (so a DELETE is a 409), with clean names
    // (a PUT of the same values changes nothing), and to sample incidents, one of them referring to no customer.
    const hostileCustomers = ids(
      `SELECT Id FROM Customers c WHERE Id NOT LIKE 'Fuzz-%' AND EXISTS (SELECT 1 FROM IncidentMeta m WHERE m.CustomerId = c.Id) ORDER BY Id LIMIT 12`,
    );
    const hostileIncidents = [
      ...ids(
        `SELECT Id FROM Incidents WHERE Id NOT LIKE 'Fuzz-%' AND CustomerName <> 'Wrenfield Partners' ORDER BY Id LIMIT 8`,
      ),
      ...ids(`SELECT Id FROM Incidents WHERE CustomerName = 'Wrenfield Partners' ORDER BY Id LIMIT 1`),
    ];
    const customers = (await Promise.all(hostileCustomers.map(readCustomer)))
      .filter((c) => c.name === c.name.trim().normalize('NFC'))
      .slice(0, 8);
    const incidents = await Promise.all(hostileIncidents.map(readIncident));
    expect(customers.length).toBe(8);
    expect(incidents.some((i) => i.customerId === null)).toBe(true);
    targets = {
      token: WRITE_TOKEN,
      customers,
      incidents,
      patchable: await Promise.all(
        ids("SELECT Id FROM Customers WHERE Id LIKE 'Fuzz-Patch-%' ORDER BY Id").map(readCustomer),
      ),
      deletableCustomers: await Promise.all(
        ids("SELECT Id FROM Customers WHERE Id LIKE 'Fuzz-Delete-%' ORDER BY Id").map(readCustomer),
      ),
      referable: await Promise.all(['Fuzz-Ref-A', 'Fuzz-Ref-B'].map(readCustomer)),
      replaceable: await Promise.all(
        ids("SELECT Id FROM Incidents WHERE Id LIKE 'Fuzz-Inc-Put-%' ORDER BY Id").map(readIncident),
      ),
      deletableIncidents: await Promise.all(
        ids("SELECT Id FROM Incidents WHERE Id LIKE 'Fuzz-Inc-Del-%' ORDER BY Id").map(readIncident),
      ),
    };
    expect(targets.replaceable.every((i) => i.customerId === 'Fuzz-Holder')).toBe(true);
    for (const path of STABLE_READS) readsBefore.set(path, await get(path));
  });

  afterAll(async () => {
    await app.stop();
  });

  it(
    `answers ${WRITE_COUNT} hostile writes (seed ${SEED}) with the 4xx their defects decide, lets the valid ones through, and changes nothing else`,
    { timeout: 240_000 },
    async () => {
      const cases = createWriteFuzzCases(SEED, targets, WRITE_COUNT);
      const before = dump();
      const failures: string[] = [];
      const applied: Applied[] = [];
      const statuses = new Map<number, number>();

      async function run(input: WriteCase): Promise<void> {
        const request = new Request(new URL(input.path, 'http://localhost'), {
          method: input.method,
          headers: input.headers,
          body: input.body,
        });
        let response: Response;
        try {
          response = await app.spin.fetch(request);
        } catch (error) {
          failures.push(describeWrite(input, null, '', `fetch threw: ${String(error)}`));
          return;
        }
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const problems: string[] = [];
        const check = (ok: boolean, message: string) => {
          if (!ok) problems.push(message);
        };
        const { expected, effect } = input;
        check(response.status < 500, '5xx');
        check(
          response.status === expected.status,
          `expected ${expected.status}${expected.code ? ` ${expected.code}` : ''}`,
        );
        let body: Record<string, unknown> = {};
        try {
          body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          problems.push('the body is not JSON');
        }

        if (expected.code !== undefined) {
          check(
            response.headers.get('content-type') === 'application/problem+json',
            `content-type ${response.headers.get('content-type')}`,
          );
          check(body.type === `${PROBLEM}${expected.code}`, `problem type ${String(body.type)}`);
          check(
            body.status === response.status && typeof body.title === 'string' && typeof body.detail === 'string',
            'problem status/title/detail',
          );
          check(body.instance === new URL(request.url).pathname, `problem instance ${JSON.stringify(body.instance)}`);
          if (expected.status === 401)
            check(
              /^Bearer realm="/.test(response.headers.get('www-authenticate') ?? ''),
              'a 401 without a Bearer challenge',
            );
          if (expected.status === 412)
            check(
              body.currentVersion === expected.currentVersion && body.currentETag === `"${expected.currentVersion}"`,
              `412 names version ${String(body.currentVersion)}`,
            );
          if (expected.status === 413) check(body.maxBytes === MAX_BODY_BYTES, `413 maxBytes ${String(body.maxBytes)}`);
          if (expected.status === 422) {
            const errors = Array.isArray(body.errors) ? (body.errors as Array<{ field?: unknown }>) : [];
            check(errors.length > 0, '422 without errors');
            if (expected.field !== undefined)
              check(
                errors.some((e) => e.field === expected.field),
                `422 does not name field ${JSON.stringify(expected.field)}: ${JSON.stringify(errors).slice(0, 200)}`,
              );
          }
        } else if (effect !== undefined && response.status === expected.status) {
          // An answer that carries the resource must not be stored (a 204 to a DELETE carries none and is never cacheable).
          if (response.status !== 204)
            check(response.headers.get('cache-control') === 'no-store', 'a write answer must be no-store');
          const result = checkSuccess(effect, response, body, text);
          if (typeof result === 'string') problems.push(result);
          else applied.push(result);
        }
        if (problems.length > 0) failures.push(describeWrite(input, response, text, problems.join('; ')));
      }

      /** Checks a write that succeeded against what its case said; returns what it did, or what is wrong. */
      function checkSuccess(
        effect: WriteEffect,
        response: Response,
        body: Record<string, unknown>,
        text: string,
      ): Applied | string {
        const etag = response.headers.get('etag');
        switch (effect.kind) {
          case 'create-customer':
          case 'create-incident': {
            const collection = effect.kind === 'create-customer' ? 'customers' : 'incidents';
            const id = typeof body.id === 'string' ? body.id : '';
            const wanted = { id, ...effect.fields, version: 1, createdAt: body.createdAt, updatedAt: body.createdAt };
            if (
              JSON.stringify(Object.keys(body).sort()) !== JSON.stringify(Object.keys(wanted).sort()) ||
              !isDeepEqual(body, wanted)
            )
              return `created ${text}, expected ${JSON.stringify(wanted)}`;
            if (typeof body.createdAt !== 'string' || !RFC3339_MS.test(body.createdAt))
              return `createdAt ${String(body.createdAt)}`;
            if (etag !== '"1"' || response.headers.get('location') !== `/${collection}/items/${encodeURIComponent(id)}`)
              return `ETag ${etag}, Location ${response.headers.get('location')}`;
            return { effect, id, at: body.createdAt };
          }
          case 'update-customer':
          case 'replace-incident': {
            const collection = effect.kind === 'update-customer' ? 'customers' : 'incidents';
            const previous = JSON.parse(readsBefore.get(`${collection}/${effect.target.id}`)?.text ?? '{}') as Record<
              string,
              unknown
            >;
            const changed =
              effect.kind === 'update-customer' ? effect.fields : { amount: effect.amount, category: effect.category };
            const wanted = { ...previous, ...changed, version: effect.target.version + 1, updatedAt: body.updatedAt };
            if (!isDeepEqual(body, wanted)) return `updated ${text}, expected ${JSON.stringify(wanted)}`;
            if (
              typeof body.updatedAt !== 'string' ||
              !RFC3339_MS.test(body.updatedAt) ||
              body.updatedAt < String(previous.updatedAt)
            )
              return `updatedAt ${String(body.updatedAt)} before ${String(previous.updatedAt)}`;
            if (etag !== `"${effect.target.version + 1}"`) return `ETag ${etag}`;
            return { effect, id: effect.target.id, at: body.updatedAt };
          }
          case 'delete-customer':
          case 'delete-incident':
            return text === '' ? { effect, id: effect.target.id } : `204 with a body ${text.slice(0, 80)}`;
          case 'unchanged': {
            const previous = readsBefore.get(`${effect.collection}/${effect.id}`);
            if (previous === undefined || !isDeepEqual(body, JSON.parse(previous.text)) || etag !== previous.etag)
              return `a write that changes nothing answered ${text} (ETag ${etag}), not ${previous?.text} (${previous?.etag})`;
            return { effect, id: effect.id };
          }
        }
      }

      let cursor = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (cursor < cases.length) {
            const input = cases[cursor++];
            if (input) await run(input);
          }
        }),
      );

      const summary = [...statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ');
      const report = `${failures.length} of ${cases.length} write answers were wrong (seed ${SEED}, reproduce with FUZZ_SEED=${SEED}; statuses ${summary}):\n${failures.slice(0, 15).join('\n')}`;
      expect.soft(failures.length, report).toBe(0);
      // The run is not "everything fails": every valid write went through, and most of the others did not.
      const valid = cases.filter((c) => c.effect !== undefined && c.effect.kind !== 'unchanged').length;
      expect
        .soft(applied.filter((a) => a.effect.kind !== 'unchanged').length, 'valid writes that succeeded')
        .toBe(valid);
      expect.soft(valid).toBeGreaterThanOrEqual(40);
      expect.soft(cases.filter((c) => c.expected.status >= 400).length).toBeGreaterThanOrEqual(WRITE_COUNT * 0.7);

      // The database: what it held before, plus exactly what the valid writes changed.
      const after = dump();
      const expected = expectedDump(before, applied, after);
      for (const table of Object.keys({ ...before, ...after })) {
        if (table === 'CustomerEvents' || table === 'IncidentEvents') continue;
        expect
          .soft(sortRows(after[table] ?? []), `table ${table} after the run (seed ${SEED})`)
          .toEqual(sortRows(expected.tables[table] ?? []));
      }
      for (const table of ['CustomerEvents', 'IncidentEvents'] as const) {
        const old = (before[table] ?? []).map((row) => JSON.stringify(row));
        const rows = (after[table] ?? [])
          .slice()
          .sort((a, b) => Number(String(a.Seq).slice(0, -1)) - Number(String(b.Seq).slice(0, -1)));
        // The old events are untouched, and the new ones follow them with no gap.
        expect
          .soft(
            rows.slice(0, old.length).map((row) => JSON.stringify(row)),
            `${table}: the events before the run`,
          )
          .toEqual(old);
        const added = rows.slice(old.length);
        expect
          .soft(
            added.map((row) => row.Seq),
            `${table}: new sequence numbers`,
          )
          .toEqual(added.map((_, i) => int(old.length + 1 + i)));
        const shape = (event: DumpRow | ExpectedEvent) => ({
          Type: event.Type,
          AggregateId: event.AggregateId,
          Version: event.Version,
          Diff: typeof event.Diff === 'string' ? (JSON.parse(event.Diff) as unknown) : event.Diff,
          At: event.At,
        });
        const got = added.map(shape);
        const wanted = expected.events[table];
        const order = (a: { AggregateId: unknown; Version: unknown }, b: { AggregateId: unknown; Version: unknown }) =>
          `${String(a.AggregateId)}/${String(a.Version)}` < `${String(b.AggregateId)}/${String(b.Version)}` ? -1 : 1;
        expect.soft(got.sort(order), `${table}: the events the run added`).toEqual(wanted.map(shape).sort(order));
      }

      // Reads answer as before: no prototype of anything was polluted, in the components or here.
      for (const [key, previous] of readsBefore) {
        const [collection, id] = key.startsWith('/') ? [null, key] : (key.split(/\/(.*)/s) as [string, string]);
        const changedByRun = applied.some((a) => a.id === id && a.effect.kind !== 'unchanged');
        if (changedByRun) continue;
        const now = await get(collection === null ? id : `/${collection}/items/${encodeURIComponent(id)}`);
        expect
          .soft({ key, status: now.status, text: now.text, etag: now.etag })
          .toEqual({ key, status: 200, text: previous.text, etag: previous.etag });
      }
      const probe = await app.spin.fetch('/customers/items', {
        method: 'POST',
        headers: { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' },
        body: '{"name":"After the fuzz","scoring":2}',
      });
      expect.soft(probe.status).toBe(201);
      expect
        .soft(Object.keys((await probe.json()) as object).sort())
        .toEqual(['city', 'country', 'createdAt', 'id', 'name', 'scoring', 'updatedAt', 'version']);
      for (const name of ['polluted', 'x', 'admin']) expect.soft(Object.prototype).not.toHaveProperty(name);
    },
  );

  // Found while writing the oracles above; each is a deterministic case of what the random runs may hit.

  it('a method is case-sensitive (RFC 9110, 9.1): `patch` is not PATCH, so it is refused (405) and changes nothing', async () => {
    const target = targets.customers[0] as CustomerTarget;
    const path = `/customers/items/${encodeURIComponent(target.id)}`;
    const response = await app.spin.fetch(path, {
      method: 'patch',
      headers: {
        authorization: `Bearer ${WRITE_TOKEN}`,
        'content-type': 'application/merge-patch+json',
        'if-match': `"${target.version}"`,
      },
      body: JSON.stringify({ scoring: (target.scoring + 1) % 11 }),
    });
    const text = await response.text();
    const now = (await get(path)).text;
    expect.soft(response.status, `patch answered ${response.status} ${text.slice(0, 200)}`).toBe(405);
    expect.soft(response.headers.get('allow')).toBe('GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
    expect
      .soft(JSON.parse(now), 'the customer after a `patch` request')
      .toEqual(JSON.parse(readsBefore.get(`customers/${target.id}`)?.text ?? '{}'));
  });

  it('?updatedSince= takes any RFC 3339 date-time, years 0000-0099 included (date-fullyear is 4DIGIT)', async () => {
    const all = await get('/customers/items');
    expect(all.status).toBe(200);
    for (const since of ['0001-01-01T00:00:00Z', '0099-12-31T23:59:59Z', '0100-01-01T00:00:00Z']) {
      const answer = await get(`/customers/items?updatedSince=${since}`);
      // Every row was updated after any of these times: the filter keeps them all.
      expect
        .soft({ since, status: answer.status, sameAsUnfiltered: answer.text === all.text }, answer.text.slice(0, 200))
        .toEqual({ since, status: 200, sameAsUnfiltered: true });
    }
  });
});

interface ExpectedEvent {
  Type: string;
  AggregateId: string;
  Version: string;
  Diff: Record<string, { old: unknown; new: unknown }>;
  At: unknown;
}

/**
 * `before` with the changes of the writes that succeeded applied, as the triggers of migrations.sql make them.
 * A delete answers no time; its tombstone's UpdatedAt (taken from `after`, if it is a time at all) is its event's.
 */
function expectedDump(
  before: Dump,
  applied: Applied[],
  after: Dump,
): { tables: Dump; events: Record<'CustomerEvents' | 'IncidentEvents', ExpectedEvent[]> } {
  const tombstoneAt = (table: string, id: string): string => {
    const at = (after[table] ?? []).find((row) => row.Id === id)?.UpdatedAt;
    return typeof at === 'string' && RFC3339_MS.test(at) ? at : `(no tombstone time for ${id}: ${String(at)})`;
  };
  const keyed = (table: string, key: string) =>
    new Map((before[table] ?? []).map((row) => [String(row[key]), { ...row }]));
  const customers = keyed('Customers', 'Id');
  const customerMeta = keyed('CustomerMeta', 'Id');
  const incidents = keyed('Incidents', 'Id');
  const incidentMeta = keyed('IncidentMeta', 'Id');
  const ledger = keyed('IncidentLedger', 'Id');
  const totals = keyed('IncidentTotals', 'CustomerName');
  const events: Record<'CustomerEvents' | 'IncidentEvents', ExpectedEvent[]> = {
    CustomerEvents: [],
    IncidentEvents: [],
  };
  const num = (value: unknown) => Number(String(value).replace(/n$/, ''));

  const addToTotals = (name: string, count: number, volume: number) => {
    const row = totals.get(name) ?? {
      CustomerName: name,
      IncidentCount: int(0),
      VolumeMicros: int(0),
      VolumeCents: int(0),
    };
    const newCount = num(row.IncidentCount) + count;
    const newVolume = num(row.VolumeMicros) + volume;
    if (newCount <= 0) totals.delete(name);
    else
      totals.set(name, {
        ...row,
        IncidentCount: int(newCount),
        VolumeMicros: int(newVolume),
        VolumeCents: int(cents(newVolume)),
      });
  };
  const changes = (pairs: Array<[string, unknown, unknown]>) =>
    Object.fromEntries(pairs.filter(([, a, b]) => a !== b).map(([name, a, b]) => [name, { old: a, new: b }]));

  for (const { effect, id, at } of applied) {
    switch (effect.kind) {
      case 'create-customer': {
        const { name, city, country, scoring } = effect.fields;
        customers.set(id, { Id: id, Name: name, City: city, Country: country, Scoring: int(scoring) });
        customerMeta.set(id, { Id: id, Version: int(1), CreatedAt: at, UpdatedAt: at, Deleted: int(0) });
        // A creation's diff has every field, null ones too.
        const diff = {
          name: { old: null, new: name },
          city: { old: null, new: city },
          country: { old: null, new: country },
          scoring: { old: null, new: scoring },
        };
        events.CustomerEvents.push({ Type: 'CustomerCreated', AggregateId: id, Version: int(1), At: at, Diff: diff });
        break;
      }
      case 'update-customer': {
        const old = customers.get(id) ?? {};
        const { name, city, country, scoring } = effect.fields;
        customers.set(id, { Id: id, Name: name, City: city, Country: country, Scoring: int(scoring) });
        const version = effect.target.version + 1;
        customerMeta.set(id, { ...customerMeta.get(id), Version: int(version), UpdatedAt: at });
        events.CustomerEvents.push({
          Type: 'CustomerUpdated',
          AggregateId: id,
          Version: int(version),
          At: at,
          Diff: changes([
            ['name', old.Name, name],
            ['city', old.City, city],
            ['country', old.Country, country],
            ['scoring', num(old.Scoring), scoring],
          ]),
        });
        break;
      }
      case 'delete-customer': {
        const old = customers.get(id) ?? {};
        const when = tombstoneAt('CustomerMeta', id);
        customers.delete(id);
        // The id keeps a tombstone: its version goes on from here if the id is used again.
        customerMeta.set(id, {
          ...customerMeta.get(id),
          Version: int(effect.target.version + 1),
          UpdatedAt: when,
          Deleted: int(1),
        });
        events.CustomerEvents.push({
          Type: 'CustomerDeleted',
          AggregateId: id,
          Version: int(effect.target.version + 1),
          At: when,
          Diff: {
            name: { old: old.Name, new: null },
            city: { old: old.City, new: null },
            country: { old: old.Country, new: null },
            scoring: { old: num(old.Scoring), new: null },
          },
        });
        break;
      }
      case 'create-incident': {
        const { amount, category, customerId, customerName } = effect.fields;
        incidents.set(id, { Id: id, Amount: amount, CustomerName: customerName, Category: category });
        incidentMeta.set(id, {
          Id: id,
          Version: int(1),
          CreatedAt: at,
          UpdatedAt: at,
          Deleted: int(0),
          CustomerId: customerId,
        });
        ledger.set(id, { Id: id, CustomerName: customerName, Micros: int(micros(amount)) });
        addToTotals(customerName, 1, micros(amount));
        events.IncidentEvents.push({
          Type: 'IncidentCreated',
          AggregateId: id,
          Version: int(1),
          At: at,
          Diff: {
            amount: { old: null, new: amount },
            customerName: { old: null, new: customerName },
            category: { old: null, new: category },
            customerId: { old: null, new: customerId },
          },
        });
        break;
      }
      case 'replace-incident': {
        const old = incidents.get(id) ?? {};
        const oldMicros = num(ledger.get(id)?.Micros);
        incidents.set(id, { ...old, Amount: effect.amount, Category: effect.category });
        const version = effect.target.version + 1;
        incidentMeta.set(id, { ...incidentMeta.get(id), Version: int(version), UpdatedAt: at });
        ledger.set(id, { ...ledger.get(id), Micros: int(micros(effect.amount)) });
        addToTotals(String(old.CustomerName), 0, micros(effect.amount) - oldMicros);
        events.IncidentEvents.push({
          Type: 'IncidentUpdated',
          AggregateId: id,
          Version: int(version),
          At: at,
          Diff: changes([
            ['amount', old.Amount, effect.amount],
            ['category', old.Category, effect.category],
          ]),
        });
        break;
      }
      case 'delete-incident': {
        const old = incidents.get(id) ?? {};
        const meta = incidentMeta.get(id) ?? {};
        const when = tombstoneAt('IncidentMeta', id);
        addToTotals(String(old.CustomerName), -1, -num(ledger.get(id)?.Micros));
        incidents.delete(id);
        // A tombstone refers to no customer, so it never holds a customer's delete back.
        incidentMeta.set(id, {
          ...meta,
          Version: int(effect.target.version + 1),
          UpdatedAt: when,
          Deleted: int(1),
          CustomerId: null,
        });
        ledger.delete(id);
        events.IncidentEvents.push({
          Type: 'IncidentDeleted',
          AggregateId: id,
          Version: int(effect.target.version + 1),
          At: when,
          Diff: {
            amount: { old: old.Amount, new: null },
            customerName: { old: old.CustomerName, new: null },
            category: { old: old.Category, new: null },
            customerId: { old: meta.CustomerId, new: null },
          },
        });
        break;
      }
      case 'unchanged':
        break;
    }
  }
  const tables: Dump = { ...before };
  tables.Customers = [...customers.values()];
  tables.CustomerMeta = [...customerMeta.values()];
  tables.Incidents = [...incidents.values()];
  tables.IncidentMeta = [...incidentMeta.values()];
  tables.IncidentLedger = [...ledger.values()];
  tables.IncidentTotals = [...totals.values()];
  tables.sqlite_sequence = (before.sqlite_sequence ?? []).map((row) => {
    const added = events[row.name as 'CustomerEvents' | 'IncidentEvents']?.length ?? 0;
    return { ...row, seq: int(num(row.seq) + added) };
  });
  return { tables, events };
}

const sortRows = (rows: DumpRow[]): DumpRow[] =>
  rows.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  )
    return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return (
    keysA.length === keysB.length &&
    keysA.every(
      (key) =>
        Object.hasOwn(b, key) && isDeepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

function describeWrite(input: WriteCase, response: Response | null, text: string, problem: string): string {
  const preview =
    input.body === null
      ? ''
      : typeof input.body === 'string'
        ? input.body
        : new TextDecoder().decode(input.body.slice(0, 120));
  const answer =
    response === null
      ? ''
      : ` -> ${response.status} ${response.headers.get('content-type') ?? '-'} ${JSON.stringify(text.slice(0, 240))}`;
  return `  [seed ${SEED} #${input.index}] ${input.label} | ${input.method} ${input.path} headers=${JSON.stringify(input.headers)} body(${input.body?.length ?? 0})=${JSON.stringify(preview.slice(0, 120))}${answer}: ${problem}`;
}
