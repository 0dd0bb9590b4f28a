/**
 * Spin's HTTP routing, reproduced rule for rule from Spin's router (spinframework/spin, crates/routes/src/lib.rs,
 * formerly crates/http/src/routes.rs) and the route matcher it builds on (the `routefinder` crate, 0.5.4):
 *
 * - A route is exact (`/a/b`), has `:name` segments that each match one path segment (`/users/:id`), and may
 *   end in a trailing wildcard `/...` (`/*` is accepted too) that matches the prefix itself and anything
 *   under it. Leading and trailing slashes of the request path are ignored when matching (`/a/` matches `/a`),
 *   but a trailing wildcard's remainder keeps one trailing slash (`spin-path-info`).
 * - Precedence, segment by segment from the left: literal text beats `:name`, which beats the wildcard;
 *   when one route's segments are a prefix of the other's, the shorter wins. So exact beats parameterised
 *   beats wildcard, and the longest wildcard prefix wins. Routes that tie are tried in manifest order.
 * - Two triggers with the same route string: Spin keeps the last one (at the place of the first) and says
 *   so at start; it starts anyway. Paths under `/.well-known/spin/` never reach a component.
 * - A chained request (`http://<component>.spin.internal/...`) bypasses the routes: the component sees the
 *   route `/...` and the whole path as `spin-path-info`, with no `:name` values, whatever its own routes are.
 */
/** A `[[trigger.http]]` of spin.toml, as manifest.ts validates it and the router takes it. */
export interface HttpTrigger {
  /** A route (`/a`, `/a/...`, `/users/:id`) or `private` for a component reachable only by chaining. */
  route: string | { private: true };
  component: string;
}

/** Spin answers every path under this prefix itself (health, info, else 404). */
export const WELL_KNOWN_PREFIX = '/.well-known/spin/';

/** One piece of a parsed route, as routefinder splits it at `/` and `.`. */
export type Segment =
  | { kind: 'slash' }
  | { kind: 'dot' }
  | { kind: 'exact'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'wildcard' };

export interface Route {
  /** The route as written in spin.toml, e.g. `/users/:id/...` (`spin-raw-component-route`). */
  pattern: string;
  component: string;
  /** Ends with a trailing wildcard (`/...` or `/*`). */
  wildcard: boolean;
  /** How Spin lists the route: `matched` without its trailing wildcard (`''` for `/...` and for `/`). */
  prefix: string;
  /** The route with a leading `/` ensured and one trailing `/` dropped (`spin-matched-route`). */
  matched: string;
  /** `pattern` without a trailing `/...` (`spin-component-route`). */
  componentRoute: string;
  segments: readonly Segment[];
}

export interface RouteMatch {
  route: Route;
  /** What the trailing wildcard matched (`spin-path-info`); `''` for a route without one. */
  pathInfo: string;
  /** The `:name` values in route order (`spin-path-match-<name>`). */
  params: [string, string][];
}

/** A route string Spin refuses to start with: an unnamed `:`, a named `*x`, or a `*` segment before the end. */
export class RouteSyntaxError extends Error {
  override readonly name = 'RouteSyntaxError';
}

/** Splits a route the way routefinder 0.5.4 does (`RouteSpec::from_str`); throws for what it refuses. */
export function parseSegments(source: string): Segment[] {
  const trimmed = source.replace(/^\/+/, '').replace(/\/+$/, '');
  const ends: number[] = [];
  for (let i = 0; i < trimmed.length; i++) if (trimmed[i] === '/' || trimmed[i] === '.') ends.push(i);
  ends.push(trimmed.length);
  const segments: Segment[] = [];
  let start = 0;
  for (const end of ends) {
    const separator = start === 0 ? undefined : trimmed[start - 1];
    const section = trimmed.slice(start, end);
    start = end + 1;
    let segment: Segment | undefined;
    if (section === '*') segment = { kind: 'wildcard' };
    else if (section.startsWith('*'))
      throw new RouteSyntaxError(`'${section}': a wildcard has no name; write '*' (or end the route with '/...')`);
    else if (section === ':') throw new RouteSyntaxError("':' must be followed by a parameter name, as in ':id'");
    else if (section.startsWith(':')) segment = { kind: 'param', name: section.slice(1) };
    else if (section !== '') segment = { kind: 'exact', text: section };
    if (separator === '.') {
      // A dot after literal text belongs to that text; anywhere else it is a segment of its own.
      const last = segments.at(-1);
      if (last?.kind === 'exact') segments[segments.length - 1] = { kind: 'exact', text: `${last.text}.` };
      else segments.push({ kind: 'dot' });
    }
    if (segment) {
      if (separator === '/') segments.push({ kind: 'slash' });
      segments.push(segment);
    }
  }
  // routefinder panics on the first request that reaches a `*` that is not last; refuse it up front instead.
  if (segments.slice(0, -1).some((s) => s.kind === 'wildcard'))
    throw new RouteSyntaxError("'*' (or '...') may only end a route");
  return segments;
}

/** Spin's "based route": a leading `/` ensured and one trailing `/` removed (`/` itself becomes `''`). */
function basedRoute(pattern: string): string {
  const absolute = pattern.startsWith('/') ? pattern : `/${pattern}`;
  return absolute.endsWith('/') ? absolute.slice(0, -1) : absolute;
}

/** Parses a route as Spin does; throws a {@link RouteSyntaxError} for a route Spin refuses. */
export function toRoute(pattern: string, component: string): Route {
  const matched = basedRoute(pattern);
  let prefix = matched;
  let source = matched;
  if (matched.endsWith('/...')) {
    prefix = matched.slice(0, -4);
    source = `${prefix}/*`;
  } else if (matched.endsWith('/*')) {
    prefix = matched.slice(0, -2);
  }
  return {
    pattern,
    component,
    wildcard: prefix !== matched,
    prefix,
    matched,
    componentRoute: pattern.endsWith('/...') ? pattern.slice(0, -4) : pattern,
    segments: parseSegments(source),
  };
}

/** routefinder's `RouteSpec::matches`: the captures (params, then the wildcard) or undefined. */
function capture(segments: readonly Segment[], path: string): string[] | undefined {
  let rest = path.replace(/^\/+/, '').replace(/\/+$/, '');
  const captures: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const next = segments[i + 1];
    switch (segment?.kind) {
      case 'exact':
        if (!rest.startsWith(segment.text)) return undefined;
        rest = rest.slice(segment.text.length);
        break;
      case 'param': {
        if (rest === '') return undefined;
        if (next?.kind === 'dot') {
          const stop = rest.search(/[./]/);
          if (stop < 0 || rest[stop] !== '.') return undefined;
          captures.push(rest.slice(0, stop));
          rest = rest.slice(stop);
        } else {
          // The parser puts only a slash, a dot or nothing after a parameter.
          const slash = rest.indexOf('/');
          const value = slash < 0 ? rest : rest.slice(0, slash);
          captures.push(value);
          rest = rest.slice(value.length);
        }
        break;
      }
      case 'wildcard':
        captures.push(rest);
        rest = '';
        break;
      case 'slash':
        if (rest.startsWith('/') && next !== undefined) rest = rest.slice(1);
        else if (!(rest === '' && (next === undefined || next.kind === 'wildcard'))) return undefined;
        break;
      case 'dot':
        if (!rest.startsWith('.')) return undefined;
        rest = rest.slice(1);
        break;
      case undefined:
        return undefined;
    }
  }
  return rest === '' || rest === '/' ? captures : undefined;
}

export function matchRoute(route: Route, path: string): RouteMatch | undefined {
  const captures = capture(route.segments, path);
  if (!captures) return undefined;
  const params: [string, string][] = [];
  let wildcard: string | undefined;
  let index = 0;
  for (const segment of route.segments) {
    if (segment.kind === 'param') params.push([segment.name, captures[index++] ?? '']);
    else if (segment.kind === 'wildcard') wildcard = captures[index++] ?? '';
  }
  // As Spin: the remainder starts with `/` unless empty, and keeps a trailing slash of the path.
  let pathInfo = '';
  if (wildcard !== undefined) {
    const slash = path.endsWith('/');
    if (wildcard === '') pathInfo = slash ? '/' : '';
    else pathInfo = slash ? `/${wildcard}/` : `/${wildcard}`;
  }
  return { route, pathInfo, params };
}

type Order = -1 | 0 | 1;

/** routefinder's `Segment::cmp`, quirks included (a dot is "greater" than everything but a slash or a dot). */
function compareSegments(a: Segment, b: Segment): Order {
  const x = a.kind;
  const y = b.kind;
  if (x === y || (x === 'dot' && y === 'slash') || (x === 'slash' && y === 'dot')) return 0;
  if (x === 'dot' || x === 'exact') return 1;
  if (x === 'param') return y === 'exact' ? -1 : 1;
  if (x === 'wildcard') return y === 'exact' || y === 'param' ? -1 : 1;
  return -1;
}

const dots = (segments: readonly Segment[]): number => segments.filter((s) => s.kind === 'dot').length;
const sign = (n: number): Order => (n > 0 ? 1 : n < 0 ? -1 : 0);

/**
 * routefinder's `RouteSpec::cmp`: -1 when `a` is tried before `b`. It never says "equal": the first
 * segment pair of different kinds decides, then more dot segments, then fewer segments; a full tie counts
 * as `a` after `b`, so a route added later goes after the routes it ties with.
 */
export function compareRoutes(a: readonly Segment[], b: readonly Segment[]): -1 | 1 {
  let forward: Order = 0;
  for (let i = 0; i < Math.min(a.length, b.length) && forward === 0; i++) {
    const x = a[i];
    const y = b[i];
    if (x && y) forward = compareSegments(x, y);
  }
  if (forward === 0) forward = sign(dots(a) - dots(b));
  if (forward === 0) forward = sign(b.length - a.length);
  return forward === 0 ? 1 : forward === 1 ? -1 : 1;
}

/** Two triggers with the same route string: Spin keeps `effective` and never calls `replaced`. */
export interface DuplicateRoute {
  route: string;
  replaced: string;
  effective: string;
}

export interface RouterOptions {
  /** Receives the start-up warnings (duplicate and reserved routes); default: stderr, as Spin prints them. */
  warn?: (line: string) => void;
}

export class Router {
  /** Public routes in the order Spin tries (and lists) them: the first that matches a path wins. */
  readonly routes: Route[];
  readonly duplicates: DuplicateRoute[] = [];
  /** The start-up warnings, also passed to `warn`. */
  readonly warnings: string[] = [];

  constructor(triggers: readonly HttpTrigger[], options: RouterOptions = {}) {
    // Same route string twice: the later trigger wins, in the place of the first (Spin's IndexMap).
    const byPattern = new Map<string, Route>();
    for (const trigger of triggers) {
      if (typeof trigger.route !== 'string') continue;
      let route: Route;
      try {
        route = toRoute(trigger.route, trigger.component);
      } catch (error) {
        throw new RouteSyntaxError(
          `route '${trigger.route}' of component '${trigger.component}': ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const replaced = byPattern.get(trigger.route);
      if (replaced)
        this.duplicates.push({
          route: replaced.matched || '/',
          replaced: replaced.component,
          effective: trigger.component,
        });
      byPattern.set(trigger.route, route);
    }
    // Inserted one by one as routefinder's BTreeMap does: before the first route it sorts ahead of.
    this.routes = [];
    for (const route of byPattern.values()) {
      const at = this.routes.findIndex((other) => compareRoutes(route.segments, other.segments) < 0);
      this.routes.splice(at < 0 ? this.routes.length : at, 0, route);
    }

    for (const d of this.duplicates) {
      this.warnings.push(
        `warning: route '${d.route}' is declared more than once: component '${d.replaced}' will never be called for it, '${d.effective}' (declared later) serves it`,
      );
    }
    const reserved = this.routes.filter((r) => r.matched.startsWith(WELL_KNOWN_PREFIX));
    if (reserved.length > 0) {
      const list = reserved.map((r) => `'${r.pattern}' (${r.component})`).join(', ');
      this.warnings.push(
        `warning: ${list}: paths under ${WELL_KNOWN_PREFIX} are answered by the runtime itself and never reach a component`,
      );
    }
    const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
    for (const line of this.warnings) warn(line);
  }

  /** The route Spin would pick for a request path, raw as received (dot segments and percent-encoding kept, no query). */
  match(path: string): RouteMatch | undefined {
    if (path.startsWith(WELL_KNOWN_PREFIX)) return undefined;
    for (const route of this.routes) {
      const match = matchRoute(route, path);
      if (match) return match;
    }
    return undefined;
  }

  /**
   * A chained call straight to `component` (`http://<component>.spin.internal<path>`), private or not:
   * Spin skips routing and presents it as matched by `/...`, the whole path as `spin-path-info`, and no
   * `:name` values, whatever routes the component has (Spin's `RouteMatch::synthetic`).
   */
  matchFor(component: string, path: string): RouteMatch {
    return { route: chainedRoute(component), pathInfo: path, params: [] };
  }
}

function chainedRoute(component: string): Route {
  return {
    pattern: '/...',
    component,
    wildcard: true,
    prefix: '',
    matched: '/...',
    componentRoute: '',
    segments: [{ kind: 'wildcard' }],
  };
}
