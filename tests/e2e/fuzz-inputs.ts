/**
 * Random bad input for the fuzz test (fuzz.test.ts): methods, paths, query strings, headers and bodies, all
 * drawn from one seeded PRNG, so the same seed always gives the same requests. The generator knows nothing
 * about what the app should answer; the oracle in the test works that out from the request alone.
 */
import { prng } from '../support/random-data';

export interface FuzzRequest {
  /** Position in the run, for the failure message. */
  index: number;
  method: string;
  /** Path and query as sent (relative; the runtime resolves it against http://localhost). */
  path: string;
  headers: Array<[string, string]>;
  body: string | Uint8Array<ArrayBuffer> | null;
}

/** Ids known to be in the database; the generator mixes them (and variants of them) into paths. */
export interface FuzzIds {
  customers: readonly string[];
  incidents: readonly string[];
}

/** Real ETags seen before the run, so some `If-None-Match` headers actually match. */
export type KnownEtags = readonly string[];

/** The methods every route answers. */
export const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;
/**
 * Everything else: methods a route refuses with 405, some that no server knows, and case variants (`Request`
 * upper-cases `get`, `head`, `options`, `post`, `put` and `delete`, but not `purge` or `Propfind`). `TRACE`,
 * `CONNECT` and `TRACK` are left out: `Request` refuses them.
 */
export const OTHER_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'FOO', 'PROPFIND', 'QUERY', 'M-SEARCH', 'purge', 'Propfind', 'get', 'Head', 'options', 'delete'] as const;

/** `x-budget-ms` values: spent (<= 0), tiny, ample, unreadable (ignored), and edge cases of the `-?[0-9]{1,9}` rule. */
export const BUDGET_VALUES = [
  '0', '-0', '-1', '00', '-999999999', ' 0 ', '\t-5',
  '1', '3', '25', '150',
  '4000', '60000', '999999999',
  '1000000000', '-1000000000', '', 'abc', '1e3', '1.5', '+5', '0x10', '5ms', '1 2', '²', '½', 'NaN', 'Infinity', '--1', '0-',
] as const;

export const LIMIT_SEGMENTS = [
  '0', '-1', '1.5', '1e3', '99999999999', 'abc', '1000', '1001', '', '1', '5', '7', '40', '100', '01', '0001000', '10000000',
  '+5', '%205', '5%20', '%35', '1%00', '%EF%BC%91', '0x10', '5/', '5//', '5/6', '%2F5', '%E0%A4%A', ' ', '..', '.', '999',
] as const;

const JUNK_SEGMENTS = [
  "'", '"', "'; DROP TABLE Customers;--", "' OR '1'='1", '1 OR 1=1', '%00', '%0A', '%7F', '%1F', '%E0%A4%A', '%C3%28', '%ED%A0%80',
  '%F0%9F%98', '%', '%%', '%zz', '%2F', '%2f..', '%2e%2e', '..', '.', '...', '😀', '%F0%9F%98%80', 'Zürich Präzision AG',
  'Ålesund', 'ǅ', 'İ', 'ß', '\u202e', '\u0000', ' ', '%20', '+', '~', '*', ':id', '__proto__', 'constructor', 'prototype',
  'null', 'undefined', 'true', '[]', '{}', '<script>', '\\', '?', '#', ';', '@', '=', '&', '$', '!', '(', ')', ',',
] as const;

const QUERIES = [
  '', '', '', '?strategy=naive', '?strategy=pushdown', '?strategy=NAIVE', '?strategy=', '?strategy', '?policy=strict',
  '?policy=partial', '?policy=lenient', '?policy=', '?strategy=naive&policy=strict', '?strategy=naive&strategy=bogus',
  '?strategy=bogus&strategy=naive', '?strategy=%6Eaive', '?strategy=naive%00', '?policy=strict&policy=partial', '?a=%zz&b',
  '?%E0%A4%A=1', '?=', '?&&&', '?limit=5', "?id='; DROP TABLE Customers;--", '?strategy=pushdown#frag', '?__proto__=1',
] as const;

const REQUEST_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@/+=-';
const HEX = '0123456789abcdef';

const PREFIXES = ['/customers/', '/incidents/', '/aggregates/'] as const;
/** Paths outside the three routes: the runtime answers them itself (404 text/plain, or the health check). */
const OUTSIDE = [
  '/', '/customersX/items', '/Customers/items', '/CUSTOMERS/count', '/incident/items', '/aggregate/dashboard', '/favicon.ico',
  '/.well-known/spin/health', '/%2Fcustomers/items', '/customers%2Fitems', '/customers/../x', '/incidents/items/%2e%2e/%2e%2e/etc/passwd',
  '/aggregates/..%2F..%2F', '/spin.internal/customers/count',
] as const;

export function createFuzzInputs(seed: number, ids: FuzzIds, etags: KnownEtags) {
  const random = prng(seed);
  const chance = (p: number) => random() < p;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(random() * items.length)] as T;
  };
  const chars = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[int(0, alphabet.length - 1)] ?? '').join('');

  /** Flips the case of ASCII letters only (ids match ignoring ASCII case). */
  const flipAscii = (id: string) => id.replace(/[A-Za-z]/g, (c) => (chance(0.5) ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c));
  /** Upper-cases everything, non-ASCII letters included (those must not match). */
  const flipUnicode = (id: string) => (chance(0.5) ? id.toUpperCase() : id.toLowerCase());
  /** A path segment for a text: percent-encoded, or raw when the URL parser copes (it encodes what it must). */
  const segmentFor = (text: string) => (chance(0.5) || /[/?#%\\]/.test(text) ? encodeURIComponent(text) : text);

  function idSegment(known: readonly string[]): string {
    const real = known.length > 0 ? pick(known) : 'none';
    switch (int(0, 9)) {
      case 0:
      case 1:
        return segmentFor(real);
      case 2:
        return segmentFor(flipAscii(real));
      case 3:
        return segmentFor(flipUnicode(real));
      case 4:
        return pick(JUNK_SEGMENTS);
      case 5:
        // Long ids around the 200-character limit, and beyond.
        return 'x'.repeat(pick([199, 200, 201, 250, 300]));
      case 6:
        return encodeURIComponent('é'.repeat(pick([100, 199, 200, 201])));
      case 7:
        return `${segmentFor(real)}${pick(['%00', '%0A', '%20', '%2F', '/', '//', '/extra', '%E0%A4%A', '.', '%'])}`;
      case 8:
        return `${pick(JUNK_SEGMENTS)}${pick(JUNK_SEGMENTS)}${pick(JUNK_SEGMENTS)}`;
      default:
        return encodeURIComponent(String.fromCodePoint(...Array.from({ length: int(1, 12) }, () => pick([int(0x20, 0x7e), int(0xa0, 0x2fff), int(0x1f300, 0x1f64f), int(0, 0x1f)]))));
    }
  }

  function limitSegment(): string {
    return chance(0.85) ? pick(LIMIT_SEGMENTS) : String(int(-5, 2000));
  }

  function junkPath(): string {
    const prefix = pick(PREFIXES);
    const segments = Array.from({ length: int(0, 4) }, () => (chance(0.5) ? pick(['items', 'top', 'by-count', 'by-volume', 'count', 'dashboard', 'grouped-by-customer', '']) : pick(JUNK_SEGMENTS)));
    return `${chance(0.1) ? '/' : ''}${prefix}${segments.join('/')}`;
  }

  function path(): string {
    const roll = random();
    let base: string;
    if (roll < 0.05) base = pick(OUTSIDE);
    else if (roll < 0.15) base = junkPath();
    else {
      base = pick([
        () => `/customers/items/${idSegment(ids.customers)}`,
        () => `/incidents/items/${idSegment(ids.incidents)}`,
        () => `/customers/items/${idSegment(ids.customers)}`,
        () => `/incidents/items/${idSegment(ids.incidents)}`,
        () => `/customers/top/${limitSegment()}`,
        () => `/incidents/top/by-count/${limitSegment()}`,
        () => `/incidents/top/by-volume/${limitSegment()}`,
        () => '/incidents/grouped-by-customer',
        () => '/aggregates/dashboard',
        () => '/aggregates/dashboard',
        () => '/aggregates/',
        () => pick(['/customers/items', '/customers/count', '/incidents/items', '/customers', '/incidents', '/aggregates', '/customers/top', '/incidents/top/', '/incidents/top/by-count']),
      ])();
      if (chance(0.1)) base += pick(['/', '//', '/x', '/..', '/.', '%2F']);
    }
    return `${base}${chance(0.4) ? pick(QUERIES) : ''}`;
  }

  function headers(method: string): Array<[string, string]> {
    const list: Array<[string, string]> = [];
    if (chance(0.5)) {
      list.push([
        'x-request-id',
        pick([
          () => chars(REQUEST_ID_CHARS, int(1, 128)),
          () => chars(REQUEST_ID_CHARS, int(129, 300)),
          () => '',
          () => 'has space',
          () => 'quote"s',
          () => 'é-latin1',
          () => 'ctl\u0001char',
          () => '../../etc/passwd',
          () => 'id;drop',
          () => '<script>alert(1)</script>',
        ])(),
      ]);
    }
    if (chance(0.3)) {
      const valid = `00-${chars(HEX, 32)}-${chars(HEX, 16)}-0${int(0, 1)}`;
      list.push(['traceparent', pick([valid, valid, valid.toUpperCase(), `00-${'0'.repeat(32)}-${chars(HEX, 16)}-01`, `ff-${chars(HEX, 32)}-${chars(HEX, 16)}-01`, valid.slice(0, 40), 'garbage', '', `${valid}-extra`])]);
    }
    if (chance(0.35)) list.push(['x-budget-ms', pick(BUDGET_VALUES)]);
    if (chance(0.25)) {
      const etag = etags.length > 0 ? pick(etags) : '"none"';
      list.push(['if-none-match', pick(['*', ' * ', '"abc"', 'W/"abc"', etag, `W/${etag}`, `"x", ${etag}`, `${etag.slice(0, -1)}`, 'junk,,,', '', '**'])]);
    }
    if (chance(0.2)) list.push(['accept', pick(['text/html', '*/*', 'application/xml;q=0.9', 'application/json', '', 'ü/ö', 'a\u0001b', '*/*;q=abc'])]);
    if (chance(0.15) || (method !== 'GET' && method !== 'HEAD' && chance(0.5))) {
      list.push(['content-type', pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=', 'junk', '', 'application/problem+json'])]);
    }
    if (chance(0.1)) list.push([pick(['spin-full-url', 'spin-path-info', 'spin-matched-route', 'spin-client-addr', 'x-forwarded-host']), pick(['http://evil.example/customers/items', '/../../x', '', '/customers/count'])]);
    if (chance(0.1)) list.push([`x-fuzz-${int(0, 99)}`, chars('abc \t;,="\'é', int(0, 40)).trim()]);
    return list;
  }

  function body(method: string): string | Uint8Array<ArrayBuffer> | null {
    if (method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' || chance(0.3)) return null;
    return pick([
      () => '{}',
      () => JSON.stringify({ id: "'; DROP TABLE Customers;--", name: 'Mallory', scoring: 1e308 }),
      () => "DELETE FROM Customers; DROP TABLE Incidents;",
      () => 'x'.repeat(int(1, 16_384)),
      () => new Uint8Array(Array.from({ length: int(1, 2048) }, () => int(0, 255))),
      () => '',
      () => '{"unterminated": ',
      () => 'a=1&b=%zz',
    ])();
  }

  /** The next request; `index` numbers them from 0. */
  return (index: number): FuzzRequest => {
    const method = chance(0.6) ? pick(READ_METHODS) : pick(OTHER_METHODS);
    return { index, method, path: path(), headers: headers(method), body: body(method) };
  };
}
