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

export function spinHeaders(fullUrl: URL, match: RouteMatch | undefined, clientAddr: string): [string, string][] {
  const headers: [string, string][] = [
    ['spin-full-url', fullUrl.href],
    ['spin-path-info', match ? match.pathInfo : fullUrl.pathname],
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
