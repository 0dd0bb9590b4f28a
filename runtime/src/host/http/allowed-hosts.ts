/**
 * `allowed_outbound_hosts`: parsing the rules and matching a URL against them, with Spin's rules for
 * service chaining: `http://<id>.spin.internal` is reachable only through a rule naming that host or
 * `*.spin.internal`; a bare `*` host (as in `*://*:*`) does not grant it.
 */
import type { HttpErrorCode } from '../../protocol.js';

/** One rule of `allowed_outbound_hosts`, parsed. */
export interface AllowedHost {
  /** `*` or a scheme without `://`. */
  scheme: string;
  /** `*`, `*.suffix` or an exact host name. */
  host: string;
  /** Port range, inclusive; `[0, 65535]` for `*`. */
  ports: [number, number];
  /** The rule as written, for error messages. */
  raw: string;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };
const RULE = /^([a-z][a-z0-9+.-]*|\*):\/\/([^/:]+)(?::([0-9]+(?:-[0-9]+)?|\*))?\/?$/;

/** Parses one rule; returns an error message instead when it is malformed. */
export function parseAllowedHost(raw: string): AllowedHost | string {
  const match = RULE.exec(raw);
  if (!match) return `'${raw}' is not of the form scheme://host[:port] (use * as a wildcard)`;
  const [, scheme = '', host = '', port] = match;
  if (host.includes('*') && host !== '*' && !(host.startsWith('*.') && !host.slice(2).includes('*'))) {
    return `'${raw}': a wildcard host must be '*' or '*.domain'`;
  }
  let ports: [number, number];
  if (port === '*') ports = [0, 65535];
  else if (port !== undefined) {
    const [from = 0, to = from] = port.split('-').map(Number);
    if (from > to || to > 65535) return `'${raw}': invalid port range`;
    ports = [from, to];
  } else {
    const known = DEFAULT_PORTS[scheme];
    if (known === undefined) return `'${raw}': a port is required for scheme '${scheme}'`;
    ports = [known, known];
  }
  return { scheme, host: host.toLowerCase(), ports, raw };
}

function hostMatches(rule: string, host: string): boolean {
  if (host.endsWith('.spin.internal')) return rule === host || rule === '*.spin.internal';
  if (rule === '*') return true;
  if (rule.startsWith('*.')) return host.endsWith(rule.slice(1));
  return rule === host;
}

export function isAllowed(rules: AllowedHost[], url: URL): boolean {
  const scheme = url.protocol.slice(0, -1);
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port);
  if (port === undefined) return false;
  const host = url.hostname.toLowerCase();
  return rules.some(
    (r) =>
      (r.scheme === '*' || r.scheme === scheme) &&
      hostMatches(r.host, host) &&
      port >= r.ports[0] &&
      port <= r.ports[1],
  );
}

/**
 * The outbound check of a component's `wasi:http` requests: nothing when `url` is allowed, else Spin's error
 * `HTTP-request-denied` (which the guest receives through the response future).
 */
export function outboundDenial(rules: AllowedHost[], url: URL): HttpErrorCode | undefined {
  return isAllowed(rules, url) ? undefined : { tag: 'HTTP-request-denied' };
}
