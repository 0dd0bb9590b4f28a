/**
 * The small HTTP layer every component shares: route table -> `(Request) => Promise<Response>`.
 *
 * Routing is itty-router's; this module adds what a demanding client expects on top of it:
 * `HEAD` for every `GET`, `OPTIONS` and `405` with an `Allow` header, a problem+json `404` for unknown paths,
 * percent-decoded path parameters (malformed encoding is a `400`, not a crash), and one place that turns
 * thrown errors into problem+json.
 *
 * @example
 * const app = createApp([{ path: '/customers/count', get: () => json({ count: 3 }) }]);
 * const response = await app.fetch(new Request('http://localhost/customers/count'));
 */
import { IttyRouter, type IRequest } from 'itty-router';
import { HttpError, problemResponse } from './problem';

/** What a route handler receives: the request, its URL and its decoded path parameters. */
export interface RouteContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
}

export type RouteHandler = (context: RouteContext) => Response | Promise<Response>;

export interface RouteDefinition {
  /** An itty-router pattern such as `/customers/items/:id`. */
  path: string;
  get: RouteHandler;
}

export interface App {
  fetch(request: Request): Promise<Response>;
}

export interface AppOptions {
  /** Where 5xx details go; defaults to `console.error` (Spin forwards it to the component's log). */
  log?: (line: string) => void;
}

const ALLOW = 'GET, HEAD, OPTIONS';

function jsonResponse(body: string, init: ResponseInit): Response {
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return new Response(body, { ...init, headers });
}

/** A JSON response; `JSON.stringify` output is deterministic for the same data. */
export function json(data: unknown, init: ResponseInit = {}): Response {
  return jsonResponse(JSON.stringify(data), init);
}

/**
 * A JSON object response whose members keep the given order. A plain object would not: JavaScript puts
 * integer-like keys (a customer named "42") first, and a key named "__proto__" would be lost.
 */
export function jsonObject(entries: ReadonlyArray<readonly [string, unknown]>, init: ResponseInit = {}): Response {
  return jsonResponse(`{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`, init);
}

/** Decodes one path segment; malformed percent-encoding is the client's error. */
export function decodePathParam(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid-path', `The ${name} in the path is not valid percent-encoded UTF-8.`);
  }
}

/**
 * The request URL. Spin gives guests an absolute `request.url`; the `spin-full-url` header is the fallback
 * for hosts that pass only the path.
 */
function requestUrl(request: Request): URL {
  try {
    return new URL(request.url);
  } catch {
    return new URL(request.headers.get('spin-full-url') ?? request.url, 'http://localhost');
  }
}

/** Builds an app from a route table; every route answers GET, HEAD and OPTIONS. */
export function createApp(routes: RouteDefinition[], options: AppOptions = {}): App {
  const router = IttyRouter();
  for (const route of routes) {
    router.all(route.path, (request: IRequest) => dispatch(route, request));
  }
  router.all('*', (request: IRequest) => {
    throw new HttpError(404, 'not-found', `No resource at ${requestUrl(request).pathname}.`);
  });

  return {
    async fetch(request: Request): Promise<Response> {
      const url = requestUrl(request);
      let response: Response;
      try {
        // itty-router reads `request.url`; hand it one that is always absolute.
        const routed = url.href === request.url ? request : new Request(url.href, request);
        response = (await router.fetch(routed)) as Response;
      } catch (error) {
        response = problemResponse(error, url.pathname, options.log);
      }
      return request.method === 'HEAD' ? new Response(null, { status: response.status, headers: response.headers }) : response;
    },
  };
}

async function dispatch(route: RouteDefinition, request: IRequest): Promise<Response> {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow: ALLOW } });
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HttpError(405, 'method-not-allowed', `${request.method} is not supported here; use ${ALLOW}.`, { allow: ALLOW });
  }
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(request.params)) params[name] = decodePathParam(raw, name);
  return route.get({ request, url: requestUrl(request), params });
}
