/**
 * The `spin-*` request headers a component sees, with the values Spin gives them (spinframework/spin,
 * crates/trigger-http/src/headers.rs, `compute_default_headers`). Clients cannot set them: any incoming
 * `spin-*` header is dropped first, so a guest can trust them.
 */
import type { RouteMatch } from './router.js';

/** An HTTP field name (RFC 9110 token); Spin silently leaves out a header whose name is not one. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `spin-path-match-<name>` for `:name`: ASCII letters lower-cased, `_` turned into `-` (`:user_id` -> `spin-path-match-user-id`). */
export function pathMatchHeader(name: string): string {
  return `spin-path-match-${name.replace(/[A-Z]/g, (c) => c.toLowerCase()).replaceAll('_', '-')}`;
}

/** The part of a request the `spin-*` headers are computed from, raw as received. */
export interface RequestTarget {
  /** `http` or `https`. */
  scheme: string;
  authority: string;
  /** Path and query as received: dot segments and percent-encoding kept. */
  pathWithQuery: string;
}

/** The path of a raw path-with-query (no query), unchanged. */
export function pathOf(pathWithQuery: string): string {
  const query = pathWithQuery.indexOf('?');
  return query < 0 ? pathWithQuery : pathWithQuery.slice(0, query);
}

/**
 * As Spin's `compute_default_headers`: `spin-full-url` is `<scheme>://<host><path and query>` with the path
 * and query exactly as hyper received them (no dot segment resolved, nothing decoded or re-encoded).
 */
export function spinHeaders(
  request: RequestTarget | URL,
  match: RouteMatch | undefined,
  clientAddr: string,
): [string, string][] {
  // A URL (tests, Spin's own header cases) is taken as already split: its path is whatever it normalised to.
  const target =
    request instanceof URL
      ? {
          scheme: request.protocol.slice(0, -1),
          authority: request.host,
          pathWithQuery: request.pathname + request.search,
        }
      : request;
  const headers: [string, string][] = [
    ['spin-full-url', `${target.scheme}://${target.authority}${target.pathWithQuery}`],
    ['spin-path-info', match ? match.pathInfo : pathOf(target.pathWithQuery)],
    ['spin-matched-route', match?.route.matched ?? '/...'],
    ['spin-component-route', match?.route.componentRoute ?? ''],
    ['spin-raw-component-route', match?.route.pattern ?? '/...'],
    ['spin-base-path', '/'],
    ['spin-client-addr', clientAddr],
  ];
  // Spin collects the values by name, so a name used twice in one route gets the last value.
  const params = new Map<string, string>();
  for (const [name, value] of match?.params ?? []) params.set(name, value);
  for (const [name, value] of params) {
    const header = pathMatchHeader(name);
    if (TOKEN.test(header)) headers.push([header, value]);
  }
  return headers;
}

export function withSpinHeaders(headers: [string, string][], spin: [string, string][]): [string, string][] {
  return [...headers.filter(([name]) => !name.toLowerCase().startsWith('spin-')), ...spin];
}
