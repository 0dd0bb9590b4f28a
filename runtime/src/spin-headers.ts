/**
 * The `spin-*` request headers a component sees. Clients cannot set them: any incoming `spin-*` header is
 * dropped first, so a guest can trust them.
 */
import type { RouteMatch } from './router.js';

export function spinHeaders(fullUrl: URL, match: RouteMatch | undefined, clientAddr: string): [string, string][] {
  const pattern = match?.route.pattern ?? '/...';
  const prefix = match?.route.prefix ?? '';
  return [
    ['spin-full-url', fullUrl.href],
    ['spin-path-info', match ? match.pathInfo : fullUrl.pathname],
    ['spin-matched-route', pattern],
    ['spin-component-route', prefix],
    ['spin-raw-component-route', pattern],
    ['spin-base-path', '/'],
    ['spin-client-addr', clientAddr],
  ];
}

export function withSpinHeaders(headers: [string, string][], spin: [string, string][]): [string, string][] {
  return [...headers.filter(([name]) => !name.toLowerCase().startsWith('spin-')), ...spin];
}
