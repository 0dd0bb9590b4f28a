/**
 * The small HTTP layer every component shares: route table -> `(Request) => Promise<Response>`. Each stage is
 * its own module, composed here in one place, in this order:
 *
 * 1. tracing (trace.ts): the request's `x-request-id` / `traceparent`, echoed, and one access-log line (by
 *    default only for a 5xx answer or a request sent with `x-access-log: 1`; see trace.ts);
 * 2. the time budget (budget.ts): a request whose `x-budget-ms` is already spent is answered `504` at once;
 * 3. routing (itty-router, and here): a path no route declares, or a documented path with a trailing slash, is
 *    a problem+json `404` pointing to the app's operation catalog;
 * 4. the route (method-dispatch.ts): OPTIONS, HEAD as GET, `405` with `Allow`, decoded path parameters, the handler;
 * 5. conditional GET (etag.ts): `ETag`, `Cache-Control: no-cache` unless the route says otherwise, `412` to a
 *    false `If-Match` (strong comparison, evaluated first), then `304` to a matching `If-None-Match`;
 * 6. errors (problem.ts): anything thrown becomes problem+json (5xx details go to the log only);
 * 7. HEAD answers lose their body.
 *
 * Every method of a route is an `Operation` (routes.ts, openapi.ts): its handler beside its description, from
 * which the component's OpenAPI document is written.
 *
 * @example
 * const count = { operationId: 'customers.count', summary: 'How many customers', responses: { 200: jsonResponse({ type: 'object' }) }, problems: [], handle: () => json({ count: 3 }) };
 * const app = createApp([{ path: '/customers/count', get: count }], { component: 'customers-service' });
 * const response = await app.fetch(new Request('http://localhost/customers/count'));
 */
import { IttyRouter, type IRequest } from 'itty-router';
import { budgetOf } from './budget';
import { dispatchMethod } from './method-dispatch';
import { conditional } from './etag';
import { HttpError, problemResponse } from './problem';
import { CATALOG_PATH, type RouteDefinition } from './routes';
import { readTrace, REQUEST_ID_HEADER, traceId, type Trace } from './trace';

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
  /**
   * Receives one entry per request. Default: a JSON line on `console.log` for a 5xx answer, or for a request
   * that asks for it with `x-access-log: 1` (trace.ts), so a terminal shows one line per request (the runtime's).
   */
  accessLog?: (entry: AccessLogEntry) => void;
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
}

const defaultAccessLog = (entry: AccessLogEntry) => console.log(JSON.stringify(entry));

const notFound = (path: string, hint = '') =>
  new HttpError(
    404,
    'not-found',
    `No operation of this app answers ${path}${hint}; they are all listed at ${CATALOG_PATH}.`,
  );

/** Routing: the route table as a function from a request to the route's answer (stage 3, then 4). */
function router(
  routes: RouteDefinition[],
): (request: Request, url: URL, trace: Trace, budgetMs: number | null) => Promise<Response> {
  const itty = IttyRouter();
  for (const route of routes) {
    itty.all(route.path, (request: IRequest, url: URL, trace: Trace, budgetMs: number | null) =>
      dispatchMethod(route, request, url, request.params, trace, budgetMs),
    );
  }
  itty.all('*', (_request: IRequest, url: URL) => {
    throw notFound(url.pathname);
  });
  // itty-router cannot tell `/a/` from `/a`: a route declared with its trailing slash is dispatched here, and any
  // other path with one is no route at all (one resource, one URL).
  const withSlash = new Map(
    routes.filter((route) => route.path.length > 1 && route.path.endsWith('/')).map((route) => [route.path, route]),
  );
  return async (request, url, trace, budgetMs) => {
    const { pathname } = url;
    if (pathname.length === 1 || !pathname.endsWith('/'))
      return (await itty.fetch(request, url, trace, budgetMs)) as Response;
    const route = withSlash.get(pathname);
    if (!route) throw notFound(pathname, ` (did you mean ${pathname.replace(/\/+$/, '') || '/'}?)`);
    return dispatchMethod(route, request, url, {}, trace, budgetMs);
  };
}

/** Builds an app from a route table; every route answers its methods, HEAD beside GET, and OPTIONS. */
export function createApp(routes: RouteDefinition[], options: AppOptions = {}): App {
  const { component = 'app', accessLog = defaultAccessLog, now = () => Date.now() } = options;
  // A logger of the caller's own gets every entry; the default one only those worth a line of their own.
  const wanted = (trace: Trace, status: number): boolean =>
    options.accessLog !== undefined || trace.accessLog === true || status >= 500;
  const route = router(routes);
  return {
    async fetch(request: Request): Promise<Response> {
      const started = now();
      // Parsed once: the routing, the route's handler, the problem and the access log all read this one.
      const url = new URL(request.url);
      const { pathname } = url;
      const trace = readTrace(request.headers);
      let response: Response;
      try {
        response = await conditional(request, await route(request, url, trace, budgetOf(request)));
      } catch (error) {
        response = problemResponse(error, pathname, options.log);
      }
      response.headers.set(REQUEST_ID_HEADER, trace.requestId);
      if (wanted(trace, response.status))
        accessLog({
          component,
          requestId: trace.requestId,
          traceId: traceId(trace),
          method: request.method,
          path: pathname,
          status: response.status,
          durationMs: now() - started,
        });
      return request.method === 'HEAD'
        ? new Response(null, { status: response.status, headers: response.headers })
        : response;
    },
  };
}
