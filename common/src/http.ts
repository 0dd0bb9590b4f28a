/**
 * The small HTTP layer every component shares: route table -> `(Request) => Promise<Response>`.
 *
 * Routing is itty-router's; this module adds what a demanding client expects on top of it:
 * - `GET`, `POST`, `PUT`, `PATCH`, `DELETE` handlers per route; `HEAD` for every `GET`, `OPTIONS`, and `405`
 *   with an `Allow` header listing what the route answers; a problem+json `404` for unknown paths (pointing to
 *   the app's operation catalog), and for a path with a trailing slash that no route declares;
 * - every method of a route is an `Operation`: its handler beside its description, from which the component's
 *   OpenAPI document is written (openapi.ts);
 * - percent-decoded path parameters (malformed encoding is a `400`, not a crash);
 * - one place that turns thrown errors into problem+json (5xx details go to the log only);
 * - `ETag` on every `200` and `304 Not Modified` for a matching `If-None-Match`; `Cache-Control: no-cache`
 *   unless the route says otherwise (the data can change with any SQL write, so clients must revalidate);
 * - the `x-request-id` / `traceparent` of the request, echoed and written in one structured log line;
 * - the caller's remaining time budget (`x-budget-ms`): a request whose budget is already spent is
 *   answered `504` at once instead of doing work nobody waits for.
 *
 * @example
 * const count = { operationId: 'customers.count', summary: 'How many customers', responses: { 200: jsonResponse({ type: 'object' }) }, problems: [], handle: () => json({ count: 3 }) };
 * const app = createApp([{ path: '/customers/count', get: count }], { component: 'customers-service' });
 * const response = await app.fetch(new Request('http://localhost/customers/count'));
 */
import { IttyRouter, type IRequest } from 'itty-router';
import { etagOf, ifNoneMatchMatches } from './etag';
import type { Operation } from './openapi';
import { HttpError, problemResponse } from './problem';
import { readTrace, REQUEST_ID_HEADER, traceId, type Trace } from './trace';

/** The header a caller sets to the milliseconds it will still wait for an answer. */
export const BUDGET_HEADER = 'x-budget-ms';

/** What a route handler receives. */
export interface RouteContext {
  request: Request;
  url: URL;
  /** Decoded path parameters. */
  params: Record<string, string>;
  trace: Trace;
  /** The caller's remaining budget in ms (`x-budget-ms`), or `null` when it set none. */
  budgetMs: number | null;
}

export type RouteHandler = (context: RouteContext) => Response | Promise<Response>;

/** The methods a route may answer besides the HEAD and OPTIONS every route gets. */
export const ROUTE_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];

/**
 * A route: its path and, per method, an {@link Operation} (the handler and its description, from which the
 * component's OpenAPI document is written: see openapi.ts).
 */
export type RouteDefinition = {
  /** An itty-router pattern such as `/customers/items/:id`. */
  path: string;
} & { [M in RouteMethod]?: Operation };

/** Where the operations of the whole app are listed (the aggregates component's catalog). */
export const CATALOG_PATH = '/aggregates/openapi.json';

export interface App {
  fetch(request: Request): Promise<Response>;
}

/** One line per request, written by {@link AppOptions.accessLog}. */
export interface AccessLogEntry {
  component: string;
  requestId: string;
  traceId: string | null;
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

export interface AppOptions {
  /** The component's name in spin.toml, for the access log. */
  component?: string;
  /** Where 5xx details go; defaults to `console.error` (Spin forwards it to the component's log). */
  log?: (line: string) => void;
  /** Receives one entry per request; defaults to a JSON line on `console.log`. */
  accessLog?: (entry: AccessLogEntry) => void;
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
}

/** The `Allow` header of a route: its methods, with HEAD beside GET, and OPTIONS. */
function allowOf(route: RouteDefinition): string {
  const methods = ROUTE_METHODS.filter((m) => route[m]).flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
  return [...methods, 'OPTIONS'].join(', ');
}

/** A response whose body is JSON text already written (e.g. by `jsonGroups`). */
export function jsonText(body: string, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return new Response(body, { ...init, headers });
}

/** A JSON response; `JSON.stringify` output is deterministic for the same data. */
export function json(data: unknown, init: ResponseInit = {}): Response {
  return jsonText(JSON.stringify(data), init);
}

/**
 * A query parameter's decoded value, or `null` when absent. Parsed by hand from the raw query: inside the
 * component, `URL.searchParams` returned `null` for a present but empty parameter (`?strategy=`).
 */
export function queryParam(url: URL, name: string): string | null {
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    const equals = pair.indexOf('=');
    // Other parameters are none of this component's business, even malformed ones.
    if (decodeQueryPart(equals === -1 ? pair : pair.slice(0, equals)) !== name) continue;
    const value = equals === -1 ? '' : decodeQueryPart(pair.slice(equals + 1));
    if (value === null) throw new HttpError(400, 'invalid-query', `The value of ${name} is not valid percent-encoded UTF-8.`);
    return value;
  }
  return null;
}

/** A query string's name or value, percent- and `+`-decoded; `null` when its encoding is malformed. */
export function decodeQueryPart(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

/** Decodes one path segment; malformed percent-encoding is the client's error. */
export function decodePathParam(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid-path', `The ${name} in the path is not valid percent-encoded UTF-8.`);
  }
}

/** The request URL: Spin gives guests an absolute `request.url` (and a `Request` cannot be made with another). */
const requestUrl = (request: Request): URL => new URL(request.url);

/** `x-budget-ms` as a whole number of ms; absent or unreadable means no budget was set. */
function readBudget(headers: Headers): number | null {
  const raw = headers.get(BUDGET_HEADER);
  if (raw === null || !/^-?[0-9]{1,9}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

const defaultAccessLog = (entry: AccessLogEntry) => console.log(JSON.stringify(entry));

/** Builds an app from a route table; every route answers its methods, HEAD beside GET, and OPTIONS. */
export function createApp(routes: RouteDefinition[], options: AppOptions = {}): App {
  const { component = 'app', accessLog = defaultAccessLog, now = () => Date.now() } = options;
  const router = IttyRouter();
  // itty-router cannot tell `/a/` from `/a`: a route declared with its trailing slash is dispatched here.
  const withSlash = new Map(routes.filter((route) => route.path.length > 1 && route.path.endsWith('/')).map((route) => [route.path, route]));
  for (const route of routes) {
    router.all(route.path, (request: IRequest, trace: Trace, budgetMs: number | null) => dispatch(route, request, request.params, trace, budgetMs));
  }
  router.all('*', (request: IRequest) => {
    throw new HttpError(404, 'not-found', `No operation of this app answers ${requestUrl(request).pathname}; they are all listed at ${CATALOG_PATH}.`);
  });

  return {
    async fetch(request: Request): Promise<Response> {
      const started = now();
      const url = requestUrl(request);
      const trace = readTrace(request.headers);
      let response: Response;
      try {
        const budgetMs = readBudget(request.headers);
        if (budgetMs !== null && budgetMs <= 0) {
          throw new HttpError(504, 'gateway-timeout', 'The caller’s time budget (x-budget-ms) was spent before this request started.');
        }
        let answer: Response;
        if (url.pathname.length > 1 && url.pathname.endsWith('/')) {
          const route = withSlash.get(url.pathname);
          if (!route) {
            // itty-router would answer `/customers/count/` as `/customers/count`: one resource, one URL.
            const bare = url.pathname.replace(/\/+$/, '') || '/';
            throw new HttpError(404, 'not-found', `No operation of this app answers ${url.pathname} (did you mean ${bare}?); they are all listed at ${CATALOG_PATH}.`);
          }
          answer = await dispatch(route, request, {}, trace, budgetMs);
        } else {
          answer = (await router.fetch(request, trace, budgetMs)) as Response;
        }
        response = await conditional(request, answer);
      } catch (error) {
        response = problemResponse(error, url.pathname, options.log);
      }
      response.headers.set(REQUEST_ID_HEADER, trace.requestId);
      accessLog({
        component,
        requestId: trace.requestId,
        traceId: traceId(trace),
        method: request.method,
        path: url.pathname,
        status: response.status,
        durationMs: now() - started,
      });
      return request.method === 'HEAD' ? new Response(null, { status: response.status, headers: response.headers }) : response;
    },
  };
}

/**
 * Adds `ETag` (unless the route set its own) and `Cache-Control` to a `200` answer to GET or HEAD, or turns
 * it into a `304` when the client's copy is current. Answers to writes are left as the route made them.
 */
async function conditional(request: Request, response: Response): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return response;
  if (response.status !== 200 || response.headers.get('cache-control') === 'no-store') return response;
  const body = await response.text();
  const headers = new Headers(response.headers);
  const etag = headers.get('etag') ?? etagOf(body);
  headers.set('etag', etag);
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-cache');
  if (ifNoneMatchMatches(request.headers.get('if-none-match'), etag)) {
    headers.delete('content-type');
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { status: 200, headers });
}

async function dispatch(route: RouteDefinition, request: Request, rawParams: Record<string, string>, trace: Trace, budgetMs: number | null): Promise<Response> {
  const allow = allowOf(route);
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow } });
  // Method names are case-sensitive (RFC 9110, 9.1): `patch` is not PATCH (fetch upper-cases only GET, HEAD,
  // POST, PUT, DELETE and OPTIONS for us).
  const method = request.method === 'HEAD' ? 'get' : request.method.toLowerCase();
  const standard = request.method === request.method.toUpperCase() && (ROUTE_METHODS as readonly string[]).includes(method);
  const handler = standard ? route[method as RouteMethod]?.handle : undefined;
  if (!handler) throw new HttpError(405, 'method-not-allowed', `${request.method} is not supported here; use ${allow}.`, { allow });
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(rawParams)) params[name] = decodePathParam(raw, name);
  return handler({ request, url: requestUrl(request), params, trace, budgetMs });
}
