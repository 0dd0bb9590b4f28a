/**
 * Answering one route: OPTIONS (`204` with `Allow`), HEAD as GET, `405` with `Allow` for a method the route
 * does not declare (method names are case-sensitive), and its path parameters percent-decoded for the handler.
 */
import { HttpError } from './problem';
import { ROUTE_METHODS, type RouteDefinition, type RouteMethod } from './routes';
import type { Trace } from './trace';

/** The `Allow` header of a route: its methods, with HEAD beside GET, and OPTIONS. */
export function allowOf(route: RouteDefinition): string {
  const methods = ROUTE_METHODS.filter((m) => route[m]).flatMap((m) =>
    m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()],
  );
  return [...methods, 'OPTIONS'].join(', ');
}

/** Decodes one path segment; malformed percent-encoding is the client's error. */
export function decodePathParam(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid-path', `The ${name} in the path is not valid percent-encoded UTF-8.`);
  }
}

export async function dispatchMethod(
  route: RouteDefinition,
  request: Request,
  url: URL,
  rawParams: Record<string, string>,
  trace: Trace,
  budgetMs: number | null,
): Promise<Response> {
  const allow = allowOf(route);
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow } });
  // Method names are case-sensitive (RFC 9110, 9.1): `patch` is not PATCH (fetch upper-cases only GET, HEAD,
  // POST, PUT, DELETE and OPTIONS for us).
  const method = request.method === 'HEAD' ? 'get' : request.method.toLowerCase();
  const standard =
    request.method === request.method.toUpperCase() && (ROUTE_METHODS as readonly string[]).includes(method);
  const handler = standard ? route[method as RouteMethod]?.handle : undefined;
  if (!handler)
    throw new HttpError(405, 'method-not-allowed', `${request.method} is not supported here; use ${allow}.`, { allow });
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(rawParams)) params[name] = decodePathParam(raw, name);
  return handler({ request, url, params, trace, budgetMs });
}
