/**
 * Spin's HTTP routing: exact routes (`/a/b`) and wildcards (`/a/...`, which also match `/a`); an exact
 * match beats any wildcard and the longest wildcard prefix wins. Private triggers never match from outside.
 */
import type { HttpTrigger } from './manifest.js';

export interface Route {
  /** The route as written in spin.toml, e.g. `/customers/...`. */
  pattern: string;
  component: string;
  wildcard: boolean;
  /** The pattern without `/...`: `''` for the catch-all `/...`. */
  prefix: string;
}

export interface RouteMatch {
  route: Route;
  /** The path after the route's prefix (`spin-path-info`). */
  pathInfo: string;
}

export function toRoute(pattern: string, component: string): Route {
  const wildcard = pattern.endsWith('/...');
  return { pattern, component, wildcard, prefix: wildcard ? pattern.slice(0, -4) : pattern };
}

export function matchRoute(route: Route, path: string): RouteMatch | undefined {
  if (!route.wildcard) return route.pattern === path ? { route, pathInfo: '' } : undefined;
  if (path === route.prefix || path.startsWith(`${route.prefix}/`)) return { route, pathInfo: path.slice(route.prefix.length) };
  return undefined;
}

export class Router {
  /** Exact routes first, then wildcards from the longest prefix: the first match is the most specific. */
  readonly routes: Route[];

  constructor(triggers: HttpTrigger[]) {
    this.routes = triggers
      .flatMap((t) => (typeof t.route === 'string' ? [toRoute(t.route, t.component)] : []))
      .sort((a, b) => Number(a.wildcard) - Number(b.wildcard) || b.prefix.length - a.prefix.length);
  }

  match(path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      const match = matchRoute(route, path);
      if (match) return match;
    }
    return undefined;
  }

  /** For a chained call straight to `component`: its most specific public route that fits, if any. */
  matchFor(component: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.component !== component) continue;
      const match = matchRoute(route, path);
      if (match) return match;
    }
    return undefined;
  }
}
