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
 * Everything else: the write methods (POST on the two collections, PUT, PATCH and DELETE on their items; `405`
 * on every other route), methods that no server knows, and case variants (`Request` upper-cases `get`, `head`,
 * `options`, `post`, `put` and `delete`, but not `purge` or `Propfind`). `TRACE`, `CONNECT` and `TRACK` are left
 * out: `Request` refuses them.
 */
export const OTHER_METHODS = [
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'FOO',
  'PROPFIND',
  'QUERY',
  'M-SEARCH',
  'purge',
  'Propfind',
  'get',
  'Head',
  'options',
  'delete',
] as const;

/** `x-budget-ms` values: spent (<= 0), tiny, ample, unreadable (ignored), and edge cases of the `-?[0-9]{1,9}` rule. */
export const BUDGET_VALUES = [
  '0',
  '-0',
  '-1',
  '00',
  '-999999999',
  ' 0 ',
  '\t-5',
  '1',
  '3',
  '25',
  '150',
  '4000',
  '60000',
  '999999999',
  '1000000000',
  '-1000000000',
  '',
  'abc',
  '1e3',
  '1.5',
  '+5',
  '0x10',
  '5ms',
  '1 2',
  '²',
  '½',
  'NaN',
  'Infinity',
  '--1',
  '0-',
] as const;

export const LIMIT_SEGMENTS = [
  '0',
  '-1',
  '1.5',
  '1e3',
  '99999999999',
  'abc',
  '1000',
  '1001',
  '',
  '1',
  '5',
  '7',
  '40',
  '100',
  '01',
  '0001000',
  '10000000',
  '+5',
  '%205',
  '5%20',
  '%35',
  '1%00',
  '%EF%BC%91',
  '0x10',
  '5/',
  '5//',
  '5/6',
  '%2F5',
  '%E0%A4%A',
  ' ',
  '..',
  '.',
  '999',
] as const;

const JUNK_SEGMENTS = [
  "'",
  '"',
  "'; DROP TABLE Customers;--",
  "' OR '1'='1",
  '1 OR 1=1',
  '%00',
  '%0A',
  '%7F',
  '%1F',
  '%E0%A4%A',
  '%C3%28',
  '%ED%A0%80',
  '%F0%9F%98',
  '%',
  '%%',
  '%zz',
  '%2F',
  '%2f..',
  '%2e%2e',
  '..',
  '.',
  '...',
  '😀',
  '%F0%9F%98%80',
  'Zürich Präzision AG',
  'Ålesund',
  'ǅ',
  'İ',
  'ß',
  '\u202e',
  '\u0000',
  ' ',
  '%20',
  '+',
  '~',
  '*',
  ':id',
  '__proto__',
  'constructor',
  'prototype',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '<script>',
  '\\',
  '?',
  '#',
  ';',
  '@',
  '=',
  '&',
  '$',
  '!',
  '(',
  ')',
  ',',
] as const;

const QUERIES = [
  '',
  '',
  '',
  '?strategy=naive',
  '?strategy=pushdown',
  '?strategy=NAIVE',
  '?strategy=',
  '?strategy',
  '?policy=strict',
  '?policy=partial',
  '?policy=lenient',
  '?policy=',
  '?strategy=naive&policy=strict',
  '?strategy=naive&strategy=bogus',
  '?strategy=bogus&strategy=naive',
  '?strategy=%6Eaive',
  '?strategy=naive%00',
  '?policy=strict&policy=partial',
  '?a=%zz&b',
  '?%E0%A4%A=1',
  '?=',
  '?&&&',
  '?limit=5',
  "?id='; DROP TABLE Customers;--",
  '?strategy=pushdown#frag',
  '?__proto__=1',
] as const;

/** Query strings of the paged lists and event feeds: paging, cursors and filters, valid and not. */
const LIST_QUERIES = [
  '?limit=1',
  '?limit=3',
  '?limit=2000',
  '?limit=0',
  '?limit=2001',
  '?limit=-1',
  '?limit=1.5',
  '?limit=abc',
  '?limit=',
  '?limit=%35',
  '?limit=5&limit=5',
  '?LIMIT=5',
  '?limit=5&after=0',
  '?after=0',
  '?after=7',
  '?after=00',
  '?after=-1',
  '?after=1e3',
  '?after=999999999999999',
  '?after=9999999999999999',
  '?after=%5B%22a%22%5D',
  '?after=%5B%22A%22%2C%22b%22%5D',
  '?after=%5B%5D',
  '?after=%5B1%5D',
  '?after=junk',
  '?after=',
  '?country=Norway',
  '?country=',
  '?country=Norway&country=Spain',
  '?country=%E0%A4%A',
  '?minScoring=5',
  '?minScoring=11',
  '?minScoring=-1',
  '?minScoring=5.0',
  '?updatedSince=2020-01-01T00:00:00Z',
  '?updatedSince=2020-01-01T00:00:00.123456789Z',
  '?updatedSince=2020-01-01T00:00:00%2B01:00',
  '?updatedSince=2020-01-01T00:00:00+01:00',
  '?updatedSince=2020-02-30T00:00:00Z',
  '?updatedSince=2024-02-29t23:59:59z',
  '?updatedSince=2023-02-29T00:00:00Z',
  '?updatedSince=2020-01-01',
  '?updatedSince=yesterday',
  '?updatedSince=2020-01-01T24:00:00Z',
  '?customerName=%C3%85lesund%20Seafood',
  '?customerName=Zürich+Präzision+AG',
  '?customerId=x',
  '?customerId=',
  '?category=A',
  '?category=A&customerName=x',
  '?limit=2&country=Norway&minScoring=1',
] as const;

const REQUEST_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@/+=-';
const HEX = '0123456789abcdef';

const PREFIXES = ['/customers/', '/incidents/', '/aggregates/'] as const;
/** Paths outside the three data routes: the page component's (the page, its assets, its 404), or the health check. */
const OUTSIDE = [
  '/',
  '/assets/page.0123456789abcdef.js',
  '/assets/%zz',
  '/assets/',
  '/customersX/items',
  '/Customers/items',
  '/CUSTOMERS/count',
  '/incident/items',
  '/aggregate/dashboard',
  '/favicon.ico',
  '/.well-known/spin/health',
  '/%2Fcustomers/items',
  '/customers%2Fitems',
  '/customers/../x',
  '/incidents/items/%2e%2e/%2e%2e/etc/passwd',
  '/aggregates/..%2F..%2F',
  '/spin.internal/customers/count',
] as const;

export function createFuzzInputs(seed: number, ids: FuzzIds, etags: KnownEtags) {
  const random = prng(seed);
  const chance = (p: number) => random() < p;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(random() * items.length)] as T;
  };
  const chars = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[int(0, alphabet.length - 1)] ?? '').join('');

  /** Flips the case of ASCII letters only (ids match ignoring ASCII case). */
  const flipAscii = (id: string) =>
    id.replace(/[A-Za-z]/g, (c) => (chance(0.5) ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c));
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
        return encodeURIComponent(
          String.fromCodePoint(
            ...Array.from({ length: int(1, 12) }, () =>
              pick([int(0x20, 0x7e), int(0xa0, 0x2fff), int(0x1f300, 0x1f64f), int(0, 0x1f)]),
            ),
          ),
        );
    }
  }

  function limitSegment(): string {
    return chance(0.85) ? pick(LIMIT_SEGMENTS) : String(int(-5, 2000));
  }

  function junkPath(): string {
    const prefix = pick(PREFIXES);
    const segments = Array.from({ length: int(0, 4) }, () =>
      chance(0.5)
        ? pick(['items', 'top', 'by-count', 'by-volume', 'count', 'dashboard', 'grouped-by-customer', ''])
        : pick(JUNK_SEGMENTS),
    );
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
        () =>
          pick([
            '/customers/items',
            '/customers/count',
            '/incidents/items',
            '/customers',
            '/incidents',
            '/aggregates',
            '/customers/top',
            '/incidents/top/',
            '/incidents/top/by-count',
          ]),
        () =>
          pick([
            '/customers/items',
            '/incidents/items',
            '/incidents/grouped-by-customer',
            '/customers/events',
            '/incidents/events',
          ]),
        () =>
          pick([
            '/customers/events',
            '/incidents/events',
            '/customers/events/last',
            '/incidents/events/last',
            '/customers/events/x',
            '/incidents/events/last/1',
          ]),
      ])();
      if (chance(0.1)) base += pick(['/', '//', '/x', '/..', '/.', '%2F']);
    }
    const roll2 = random();
    return `${base}${roll2 < 0.25 ? pick(QUERIES) : roll2 < 0.5 ? pick(LIST_QUERIES) : ''}`;
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
      list.push([
        'traceparent',
        pick([
          valid,
          valid,
          valid.toUpperCase(),
          `00-${'0'.repeat(32)}-${chars(HEX, 16)}-01`,
          `ff-${chars(HEX, 32)}-${chars(HEX, 16)}-01`,
          valid.slice(0, 40),
          'garbage',
          '',
          `${valid}-extra`,
        ]),
      ]);
    }
    if (chance(0.35)) list.push(['x-budget-ms', pick(BUDGET_VALUES)]);
    if (chance(0.25)) {
      const etag = etags.length > 0 ? pick(etags) : '"none"';
      list.push([
        'if-none-match',
        pick([
          '*',
          ' * ',
          '"abc"',
          'W/"abc"',
          etag,
          `W/${etag}`,
          `"x", ${etag}`,
          `${etag.slice(0, -1)}`,
          'junk,,,',
          '',
          '**',
        ]),
      ]);
    }
    if (chance(0.2))
      list.push([
        'accept',
        pick(['text/html', '*/*', 'application/xml;q=0.9', 'application/json', '', 'ü/ö', 'a\u0001b', '*/*;q=abc']),
      ]);
    if (chance(0.15) || (method !== 'GET' && method !== 'HEAD' && chance(0.5))) {
      list.push([
        'content-type',
        pick([
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=',
          'junk',
          '',
          'application/problem+json',
        ]),
      ]);
    }
    // Write headers: with no token configured a write is refused (403) whatever they say.
    if (chance(0.2))
      list.push(['authorization', pick(['Bearer test', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer x', ''])]);
    if (chance(0.2)) list.push(['if-match', pick(['"1"', '*', 'W/"1"', '"0", "1"', '', 'junk'])]);
    if (chance(0.1))
      list.push([
        pick(['spin-full-url', 'spin-path-info', 'spin-matched-route', 'spin-client-addr', 'x-forwarded-host']),
        pick(['http://evil.example/customers/items', '/../../x', '', '/customers/count']),
      ]);
    if (chance(0.1)) list.push([`x-fuzz-${int(0, 99)}`, chars('abc \t;,="\'é', int(0, 40)).trim()]);
    return list;
  }

  function body(method: string): string | Uint8Array<ArrayBuffer> | null {
    if (method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' || chance(0.3)) return null;
    return pick([
      () => '{}',
      () => JSON.stringify({ id: "'; DROP TABLE Customers;--", name: 'Mallory', scoring: 1e308 }),
      () => 'DELETE FROM Customers; DROP TABLE Incidents;',
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

// -------------------------------------------------------------------------------------------------------------
// Hostile writes with a valid token: the second run of fuzz.test.ts.
//
// Unlike the requests above, each write case is built with the defects that decide its answer, so it carries
// its expected answer: the README's order of checks ("Checks run in that order: the token, If-Match present,
// content type, size, JSON, fields, then in one transaction the item (404) and its version (412)", and last
// what the store refuses: 409, or an incident's customerId that cannot change) picks which defect answers.
// A case without a defect is a write that must succeed, and says what it changes.
// -------------------------------------------------------------------------------------------------------------

/** The largest write body accepted (common/src/json-body.ts). */
export const MAX_BODY_BYTES = 16 * 1024;

/** A customer as GET /customers/items/:id answers it. */
export interface CustomerTarget {
  id: string;
  name: string;
  city: string | null;
  country: string | null;
  scoring: number;
  version: number;
}

/** An incident as GET /incidents/items/:id answers it. */
export interface IncidentTarget {
  id: string;
  amount: number;
  customerName: string;
  category: string | null;
  customerId: string | null;
  version: number;
}

/** What the write run may touch, and how. Every list is disjoint from the others. */
export interface WriteTargets {
  token: string;
  /** Customers that incidents refer to, and their incidents: they get only failing writes and writes that change nothing. */
  customers: readonly CustomerTarget[];
  incidents: readonly IncidentTarget[];
  /** Customers without incidents, each PATCHed once (successfully). */
  patchable: readonly CustomerTarget[];
  /** Incidents each PUT once, and incidents each deleted once. */
  replaceable: readonly IncidentTarget[];
  deletableIncidents: readonly IncidentTarget[];
  /** Customers without incidents, each deleted once. */
  deletableCustomers: readonly CustomerTarget[];
  /** Customers that valid incident creates refer to. */
  referable: readonly CustomerTarget[];
}

export interface CustomerFields {
  name: string;
  city: string | null;
  country: string | null;
  scoring: number;
}

export interface IncidentFields {
  amount: number;
  category: string | null;
  customerId: string;
  customerName: string;
}

/** What a write that must succeed changes. */
export type WriteEffect =
  | { kind: 'create-customer'; fields: CustomerFields }
  | { kind: 'create-incident'; fields: IncidentFields }
  | { kind: 'update-customer'; target: CustomerTarget; fields: CustomerFields }
  | { kind: 'replace-incident'; target: IncidentTarget; amount: number; category: string | null }
  | { kind: 'delete-customer'; target: CustomerTarget }
  | { kind: 'delete-incident'; target: IncidentTarget }
  /** A PUT or PATCH that leaves every field as it is: 200, the same version, no event. */
  | { kind: 'unchanged'; collection: 'customers' | 'incidents'; id: string };

export interface WriteExpectation {
  status: number;
  /** The problem type's code, for a 4xx. */
  code?: string;
  /** A 422 must name this field among its errors. */
  field?: string;
  /** A 412 must name this version. */
  currentVersion?: number;
}

export interface WriteCase extends FuzzRequest {
  /** What was done to the request, for failure messages. */
  label: string;
  expected: WriteExpectation;
  /** Set for a write that must succeed. */
  effect?: WriteEffect;
}

/** JSON object members in order, each a name and the raw JSON text of its value (so names may repeat). */
type Members = Array<[string, string]>;

interface Defect {
  /** Position in the order of checks: the lowest answers. */
  rank: number;
  label: string;
  expected: WriteExpectation;
}

const RANK = {
  route: 0,
  auth: 1,
  ifMatch: 2,
  mediaType: 3,
  size: 4,
  json: 5,
  fields: 6,
  item: 7,
  version: 8,
  store: 9,
} as const;
const problem = (status: number, code: string, extra: Partial<WriteExpectation> = {}): WriteExpectation => ({
  status,
  code,
  ...extra,
});
const INVALID_JSON = problem(400, 'invalid-json');

/** Media types each write accepts (any case, optional `charset=utf-8`, empty parameters allowed). */
const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'Application/JSON',
  'application/json ; charset="utf-8"',
  'application/json;',
  'APPLICATION/JSON; CHARSET=UTF-8',
];
const MERGE_PATCH_TYPES = [
  ...JSON_TYPES,
  'application/merge-patch+json',
  'application/merge-patch+json; charset=utf-8',
];
/** Media types no write accepts; `null` sends none. */
const BAD_TYPES: ReadonlyArray<string | null> = [
  null,
  '',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json; charset=iso-8859-1',
  'application/json; charset=utf-16',
  'application/json; charset=utf8',
  'application/json; charset=utf-8; q',
  'application/jsonx',
  'application/problem+json',
  '*/*',
  'application/*',
  'json',
  'application/json, text/plain',
  'application/json; charset="latin1"',
];

/** Byte sequences that are not UTF-8: stray, truncated and overlong sequences, an encoded surrogate, beyond U+10FFFF, Latin-1 é. */
const BAD_UTF8 = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc3],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe9],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
];
const BOM = [0xef, 0xbb, 0xbf];

/** Whole bodies that are not JSON. */
const SYNTAX_ERRORS = [
  'NaN',
  'Infinity',
  '-Infinity',
  'nul',
  'True',
  'undefined',
  "{'name': 'x'}",
  '{name: "x"}',
  '{"name": "x",}',
  '{,}',
  '{"a" 1}',
  '{"a":1,,"b":2}',
  '[1,]',
  '{"a":1}{"b":2}',
  '{"a":1} x',
  '{"a":1} // comment',
  '/* c */ {}',
  '{"name": "unterminated',
  '{"name": "x"',
  '{"scoring": -}',
  '{"name": "\\x41"}',
  '{"name": "\\u12"}',
  '{"name": "\\uZZZZ"}',
  '\u0000{}',
  '{}\u0000',
  '{"a":\u00a01}',
  'a=1&b=2',
  '<xml/>',
  '{"name"}',
  '{:1}',
  '"unterminated',
];
/** Values that are not JSON (numbers outside its grammar), placed as a member's value. */
const BAD_VALUES = [
  'NaN',
  'Infinity',
  '-Infinity',
  '+1',
  '01',
  '-01',
  '1.',
  '.5',
  '0x10',
  '1e',
  '1e+',
  '-',
  '--1',
  '1_000',
  '١',
  'undefined',
  "'x'",
  '"a\tb"',
  '"a\u0000b"',
  '"\\ud800"',
  '"a\\udc00"',
  '"\\ud800\\u0041"',
  '"\\udbff"',
  '"\\ud800\\ud800"',
];

/** Member names that are never writable: the server's own fields, prototype names, near-misses and junk. */
const READ_ONLY = ['id', 'version', 'createdAt', 'updatedAt'];
const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
];
const UNKNOWN_NAMES = ['Name', 'nAme', 'name ', ' name', 'extra', '', '\u0000', 'näme', 'scoring\u0000'];
const EXTRA_VALUES = [
  '1',
  'null',
  '{}',
  '[]',
  '"x"',
  'true',
  '{"polluted":true}',
  '{"prototype":{"polluted":true}}',
  '{"__proto__":{"polluted":true}}',
];

/** Bad values for each field, valid JSON all of them. */
const BAD_FIELD_VALUES: Record<string, readonly string[]> = {
  name: [
    '123',
    'true',
    '[]',
    '{}',
    '""',
    '"   "',
    '"\\u0000x"',
    '"a\\nb"',
    '"\\u007f"',
    '"x\\u0085"',
    '"\\t"',
    JSON.stringify('x'.repeat(201)),
    JSON.stringify('é'.repeat(201)),
    JSON.stringify('e\u0301'.repeat(201)),
    '{"__proto__":{"x":1}}',
    '["a"]',
    'null',
  ],
  city: ['5', '""', JSON.stringify('c'.repeat(101)), '"\\u0001"', 'false', '{}', '["Oslo"]', '"  "'],
  country: ['5', '""', JSON.stringify('c'.repeat(101)), '"\\u001f"', 'true', '[]'],
  scoring: [
    '"5"',
    'true',
    'null',
    '[5]',
    '1e400',
    '-1e400',
    '-0',
    '-0.0',
    '1e-7',
    '9007199254740993',
    '10.5',
    '11',
    '-1',
    '0.1',
    '99999999999999999999',
    '1e1000',
    '{"valueOf":5}',
    '"NaN"',
    '"Infinity"',
  ],
  amount: [
    '"12.5"',
    'null',
    'true',
    '1e400',
    '-1e400',
    '-0',
    '-0.0',
    '1e-7',
    '0.0000001',
    '12.3456789',
    '9007199254740993',
    '9000000000.5',
    '9000000001',
    '-0.01',
    '0.30000000000000004',
    '[1]',
    '{}',
    '"NaN"',
    '1.0000001',
  ],
  category: ['"G"', '"a"', '""', '1', '"AB"', '" A"', '"Ａ"', 'true', '["A"]'],
  customerId: ['5', 'true', '[]', '""', '"   "', JSON.stringify('x'.repeat(201)), '{}', '"\\u0000"'],
};

const AUTH_REFUSED = (token: string): ReadonlyArray<string | null> => [
  null,
  '',
  'Bearer wrong-token',
  'Basic dXNlcjpwYXNz',
  'Bearer',
  'Bearer  ',
  `Bearer ${token.toUpperCase()}`,
  `Bearer ${token}x`,
  `Token ${token}`,
  `Bearer ${token.slice(0, -1)}`,
  token,
  `Bearer "${token}"`,
];
const AUTH_ACCEPTED = (token: string) => [`Bearer ${token}`, `bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`];
const IF_MATCH_ACCEPTED = (v: number) => [
  `"${v}"`,
  '*',
  ` "${v}" `,
  `"x", "${v}"`,
  `W/"${v}", "${v}"`,
  `"${v}","${v + 1}"`,
];
const IF_MATCH_STALE = (v: number) => [
  `"${v + 1}"`,
  `W/"${v}"`,
  `${v}`,
  '"0"',
  `"${v} "`,
  '"abc"',
  ',',
  `"${v}"x`,
  '"',
  `*, "${v + 1}"`,
  `"${v + 100}"`,
];

const serialize = (members: Members, pretty = false): string =>
  `{${members.map(([name, value]) => `${JSON.stringify(name)}${pretty ? ': ' : ':'}${value}`).join(pretty ? ',\n  ' : ',')}}`;
const encoder = new TextEncoder();
const bytesOf = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text) as Uint8Array<ArrayBuffer>;
const concat = (...parts: ArrayLike<number>[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(Array.from(part), offset);
    offset += part.length;
  }
  return out;
};
/** `text` padded with JSON whitespace to exactly `size` bytes (it must be shorter). */
const padTo = (text: string, size: number): string => {
  const missing = size - bytesOf(text).length;
  if (missing < 0) throw new Error(`padTo: ${bytesOf(text).length} bytes is over ${size}`);
  return `${text}${' \n\t\r'.repeat(Math.ceil(missing / 4)).slice(0, missing)}`;
};
/** Text as it is stored: trimmed, NFC. */
const normal = (text: string): string => text.trim().normalize('NFC');

export function createWriteFuzzCases(seed: number, targets: WriteTargets, count: number): WriteCase[] {
  const random = prng(seed);
  const chance = (p: number) => random() < p;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(random() * items.length)] as T;
  };
  const flipAscii = (id: string) =>
    id.replace(/[A-Za-z]/g, (c) => (chance(0.5) ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c));
  const { token } = targets;
  const cases: Array<Omit<WriteCase, 'index'>> = [];

  const auth = (): Array<[string, string]> => [['authorization', pick(AUTH_ACCEPTED(token))]];
  const jsonType = (method: string) => pick(method === 'PATCH' ? MERGE_PATCH_TYPES : JSON_TYPES);
  const itemPath = (collection: string, id: string) => `/${collection}/items/${encodeURIComponent(flipAscii(id))}`;

  // ---- Writes that must succeed, each on its own aggregate ---------------------------------------------------

  for (let i = 0; i < 14; i++) {
    let members: Members;
    let fields: CustomerFields;
    let body: string | Uint8Array<ArrayBuffer>;
    let label: string;
    switch (i % 7) {
      case 0:
        fields = { name: `Fuzz Valid ${i}`, city: 'Oslo', country: 'Norway', scoring: i % 11 };
        members = [
          ['name', JSON.stringify(fields.name)],
          ['city', '"Oslo"'],
          ['country', '"Norway"'],
          ['scoring', String(fields.scoring)],
        ];
        body = serialize(members);
        label = 'plain';
        break;
      case 1: {
        const raw = `  Cafe\u0301 Fuzz ${i}\t`;
        fields = { name: normal(raw), city: null, country: null, scoring: 1 };
        body = serialize([
          ['name', JSON.stringify(raw)],
          ['country', 'null'],
          ['scoring', '1e0'],
        ]);
        label = 'trimmed, NFC, scoring 1e0, city absent';
        break;
      }
      case 2:
        fields = { name: `Fuzz BOM ${i}`, city: 'Graz', country: null, scoring: 5 };
        body = concat(
          BOM,
          bytesOf(
            serialize([
              ['scoring', '5.0'],
              ['name', JSON.stringify(fields.name)],
              ['city', '"Graz"'],
            ]),
          ),
        );
        label = 'UTF-8 BOM first, scoring 5.0';
        break;
      case 3:
        fields = { name: `Fuzz Padded ${i}`, city: null, country: 'Japan', scoring: 10 };
        body = padTo(
          serialize(
            [
              ['name', JSON.stringify(fields.name)],
              ['country', '"Japan"'],
              ['scoring', '1E1'],
            ],
            true,
          ),
          MAX_BODY_BYTES,
        );
        label = `padded to exactly ${MAX_BODY_BYTES} bytes, scoring 1E1`;
        break;
      case 4:
        fields = { name: `Ålesund 😀 Fuzz ${i}`, city: null, country: '東京', scoring: 0 };
        body = serialize([
          ['name', `"\\u00c5lesund \\ud83d\\ude00 Fuzz ${i}"`],
          ['city', 'null'],
          ['country', '"\\u6771\\u4eac"'],
          ['scoring', '0'],
        ]);
        label = 'escaped non-ASCII and a surrogate pair, scoring 0';
        break;
      case 5: {
        const prefix = `F${i}-`;
        const raw = i % 2 ? prefix + 'u\u0308'.repeat(200 - prefix.length) : prefix + 'ü'.repeat(200 - prefix.length);
        fields = { name: normal(raw), city: 'Wien', country: 'Austria', scoring: 3 };
        body = serialize([
          ['name', JSON.stringify(raw)],
          ['city', '"Wien"'],
          ['country', '"Austria"'],
          ['scoring', '3'],
        ]);
        label = `name of exactly 200 characters after NFC (${[...raw].length} code points sent)`;
        break;
      }
      default:
        fields = { name: `Fuzz Reordered ${i}`, city: 'Kraków', country: 'Poland', scoring: 10 };
        body = serialize(
          [
            ['scoring', '10'],
            ['country', '"Poland"'],
            ['city', '"Krak\\u00f3w"'],
            ['name', JSON.stringify(fields.name)],
          ],
          true,
        );
        label = 'members reordered, pretty-printed';
    }
    cases.push({
      label: `POST customer (valid: ${label})`,
      method: 'POST',
      path: '/customers/items',
      headers: [...auth(), ['content-type', jsonType('POST')]],
      body: typeof body === 'string' ? bytesOf(body) : body,
      expected: { status: 201 },
      effect: { kind: 'create-customer', fields },
    });
  }

  const AMOUNTS: Array<[string, number]> = [
    ['1e-6', 0.000001],
    ['9e9', 9_000_000_000],
    ['0', 0],
    ['1.000000', 1],
    ['12.345678', 12.345678],
    ['0.1', 0.1],
    ['4321.5', 4321.5],
    ['7E0', 7],
    ['100.25', 100.25],
    ['55.55', 55.55],
  ];
  AMOUNTS.forEach(([text, amount], i) => {
    const customer = targets.referable[i % targets.referable.length] as CustomerTarget;
    const category = ['A', 'F', null, null, 'C'][i % 5] ?? null;
    const customerId = i % 3 === 0 ? customer.id.toLowerCase() : i % 3 === 1 ? customer.id.toUpperCase() : customer.id;
    const members: Members = [
      ['amount', text],
      ['customerId', JSON.stringify(customerId)],
    ];
    if (category !== null || i % 5 === 2) members.push(['category', JSON.stringify(category)]);
    cases.push({
      label: `POST incident (valid: amount ${text}, customerId in another case)`,
      method: 'POST',
      path: '/incidents/items',
      headers: [...auth(), ['content-type', jsonType('POST')]],
      body: bytesOf(serialize(members)),
      expected: { status: 201 },
      effect: {
        kind: 'create-incident',
        fields: { amount, category, customerId: customer.id, customerName: customer.name },
      },
    });
  });

  targets.patchable.forEach((customer, i) => {
    const raw = `  Fuzz Patched Zoe\u0308 ${i} `;
    const scoring = (customer.scoring + 3) % 11;
    const [members, fields]: [Members, CustomerFields] =
      i % 2 === 0
        ? [
            [
              ['name', JSON.stringify(raw)],
              ['city', 'null'],
              ['scoring', String(scoring)],
            ],
            { name: normal(raw), city: null, country: customer.country, scoring },
          ]
        : [
            [
              ['scoring', `${scoring}.0`],
              ['country', '"Portugal"'],
            ],
            { name: customer.name, city: customer.city, country: 'Portugal', scoring },
          ];
    cases.push({
      label: 'PATCH customer (valid)',
      method: 'PATCH',
      path: itemPath('customers', customer.id),
      headers: [
        ...auth(),
        ['content-type', jsonType('PATCH')],
        ['if-match', pick(IF_MATCH_ACCEPTED(customer.version))],
      ],
      body: bytesOf(serialize(members)),
      expected: { status: 200 },
      effect: { kind: 'update-customer', target: customer, fields },
    });
  });

  targets.replaceable.forEach((incident, i) => {
    const amount = Math.round((incident.amount + 1.25) * 100) / 100;
    const category = incident.category === 'B' ? 'D' : 'B';
    const customerId = i % 2 ? incident.customerId?.toLowerCase() : incident.customerId;
    cases.push({
      label: 'PUT incident (valid)',
      method: 'PUT',
      path: itemPath('incidents', incident.id),
      headers: [...auth(), ['content-type', jsonType('PUT')], ['if-match', pick(IF_MATCH_ACCEPTED(incident.version))]],
      body: bytesOf(
        serialize([
          ['amount', String(amount)],
          ['category', JSON.stringify(category)],
          ['customerId', JSON.stringify(customerId ?? null)],
        ]),
      ),
      expected: { status: 200 },
      effect: { kind: 'replace-incident', target: incident, amount, category },
    });
  });

  /** A body a DELETE ignores: junk of any type. */
  const ignoredBody = (): { headers: Array<[string, string]>; body: Uint8Array<ArrayBuffer> | null } =>
    chance(0.3)
      ? { headers: [], body: null }
      : {
          headers: [
            [
              'content-type',
              pick(['text/plain', 'application/json', 'application/octet-stream', 'application/json; charset=latin1']),
            ],
          ],
          body: pick([
            () => bytesOf('{"name":"x","name":"y"}'),
            () => new Uint8Array([0xff, 0xfe, 0x00]),
            () => bytesOf('x'.repeat(MAX_BODY_BYTES + 10)),
            () => bytesOf('[[[[['),
          ])(),
        };
  for (const [collection, list] of [
    ['customers', targets.deletableCustomers],
    ['incidents', targets.deletableIncidents],
  ] as const) {
    for (const target of list) {
      const ignored = ignoredBody();
      cases.push({
        label: `DELETE ${collection === 'customers' ? 'customer' : 'incident'} (valid, with a body it ignores)`,
        method: 'DELETE',
        path: itemPath(collection, target.id),
        headers: [...auth(), ['if-match', pick(IF_MATCH_ACCEPTED(target.version))], ...ignored.headers],
        body: ignored.body,
        expected: { status: 204 },
        effect:
          collection === 'customers'
            ? { kind: 'delete-customer', target: target as CustomerTarget }
            : { kind: 'delete-incident', target: target as IncidentTarget },
      });
    }
  }

  // ---- The brief's list of hostile inputs, each once whatever the seed (POST /customers/items) -------------------

  const valid = (i: number): Members => [
    ['name', JSON.stringify(`Fuzz Fixed ${i}`)],
    ['scoring', '4'],
  ];
  const fixed: Array<[string, Uint8Array<ArrayBuffer>, WriteExpectation, string?]> = [
    [
      'a valid body padded to one byte over 16 KiB',
      bytesOf(padTo(serialize(valid(0)), MAX_BODY_BYTES + 1)),
      problem(413, 'payload-too-large'),
    ],
    [
      'a name that makes the body exactly 16 KiB',
      bytesOf(
        serialize([
          [
            'name',
            JSON.stringify(
              'n'.repeat(
                MAX_BODY_BYTES -
                  bytesOf(
                    serialize([
                      ['name', '""'],
                      ['scoring', '4'],
                    ]),
                  ).length,
              ),
            ),
          ],
          ['scoring', '4'],
        ]),
      ),
      problem(422, 'validation-failed', { field: 'name' }),
    ],
    [
      'nesting depth 32 where a string belongs',
      bytesOf(
        serialize([
          ['name', `${'['.repeat(31)}"x"${']'.repeat(31)}`],
          ['scoring', '4'],
        ]),
      ),
      problem(422, 'validation-failed', { field: 'name' }),
    ],
    [
      'nesting depth 33',
      bytesOf(
        serialize([
          ['name', `${'['.repeat(32)}"x"${']'.repeat(32)}`],
          ['scoring', '4'],
        ]),
      ),
      INVALID_JSON,
    ],
    [
      'member __proto__',
      bytesOf(serialize([...valid(1), ['__proto__', '{"city":"Polluted"}']])),
      problem(422, 'validation-failed', { field: '__proto__' }),
    ],
    [
      'member constructor',
      bytesOf(serialize([...valid(2), ['constructor', '{"prototype":{"polluted":true}}']])),
      problem(422, 'validation-failed', { field: 'constructor' }),
    ],
    [
      'member prototype',
      bytesOf(serialize([...valid(3), ['prototype', '{"polluted":true}']])),
      problem(422, 'validation-failed', { field: 'prototype' }),
    ],
    ['duplicate member name', bytesOf('{"name":"Fuzz Fixed 4","scoring":4,"name":"Fuzz Fixed 4b"}'), INVALID_JSON],
    ['invalid UTF-8', concat(bytesOf('{"name":"Fuzz '), [0xc3, 0x28], bytesOf('","scoring":4}')), INVALID_JSON],
    [
      'scoring 1e400',
      bytesOf(
        serialize([
          ['name', '"Fuzz Fixed 5"'],
          ['scoring', '1e400'],
        ]),
      ),
      problem(422, 'validation-failed', { field: 'scoring' }),
    ],
    [
      'scoring -0',
      bytesOf(
        serialize([
          ['name', '"Fuzz Fixed 6"'],
          ['scoring', '-0'],
        ]),
      ),
      problem(422, 'validation-failed', { field: 'scoring' }),
    ],
    [
      'scoring 1e-7',
      bytesOf(
        serialize([
          ['name', '"Fuzz Fixed 7"'],
          ['scoring', '1e-7'],
        ]),
      ),
      problem(422, 'validation-failed', { field: 'scoring' }),
    ],
    [
      'scoring 9007199254740993',
      bytesOf(
        serialize([
          ['name', '"Fuzz Fixed 8"'],
          ['scoring', '9007199254740993'],
        ]),
      ),
      problem(422, 'validation-failed', { field: 'scoring' }),
    ],
    ['scoring NaN', bytesOf('{"name":"Fuzz Fixed 9","scoring":NaN}'), INVALID_JSON],
    ['two BOMs', concat(BOM, BOM, bytesOf(serialize(valid(10)))), INVALID_JSON],
    ['empty body', new Uint8Array(0), INVALID_JSON],
    ['an array', bytesOf(`[${serialize(valid(11))}]`), problem(422, 'validation-failed', { field: '' })],
    ['null', bytesOf('null'), problem(422, 'validation-failed', { field: '' })],
    ['a valid body as text/plain', bytesOf(serialize(valid(12))), problem(415, 'unsupported-media-type'), 'text/plain'],
    [
      'a valid body in charset=latin1',
      bytesOf(serialize(valid(13))),
      problem(415, 'unsupported-media-type'),
      'application/json; charset=latin1',
    ],
    ['a valid body with no content-type', bytesOf(serialize(valid(14))), problem(415, 'unsupported-media-type'), ''],
  ];
  for (const [label, body, expected, type = 'application/json'] of fixed) {
    cases.push({
      label: `POST customer (fixed: ${label})`,
      method: 'POST',
      path: '/customers/items',
      headers: [...auth(), ...(type === '' ? [] : [['content-type', type] as [string, string]])],
      body,
      expected,
    });
  }

  // ---- Hostile writes -------------------------------------------------------------------------------------------

  const ROUTES = [
    ['POST', 'customers'],
    ['POST', 'customers'],
    ['POST', 'customers'],
    ['POST', 'incidents'],
    ['POST', 'incidents'],
    ['PUT', 'customers'],
    ['PUT', 'customers'],
    ['PATCH', 'customers'],
    ['PATCH', 'customers'],
    ['PATCH', 'customers'],
    ['DELETE', 'customers'],
    ['PUT', 'incidents'],
    ['PUT', 'incidents'],
    ['PATCH', 'incidents'],
    ['PATCH', 'incidents'],
    ['PATCH', 'incidents'],
    ['DELETE', 'incidents'],
  ] as const;

  const customerMembers = (c: CustomerTarget): Members => [
    ['name', JSON.stringify(c.name)],
    ['city', JSON.stringify(c.city)],
    ['country', JSON.stringify(c.country)],
    ['scoring', String(c.scoring)],
  ];
  const incidentMembers = (i: IncidentTarget): Members => [
    ['amount', JSON.stringify(i.amount)],
    ['category', JSON.stringify(i.category)],
    ['customerId', JSON.stringify(i.customerId)],
  ];
  const subset = (members: Members): Members => members.filter(() => chance(0.4));
  const otherCustomer = (id: string | null) => pick(targets.customers.filter((c) => c.id !== id));

  while (cases.length < count) {
    const [method, collection] = pick(ROUTES);
    const customers = collection === 'customers';
    const target = method === 'POST' ? undefined : customers ? pick(targets.customers) : pick(targets.incidents);
    const defects: Defect[] = [];
    const labels: string[] = [];
    const headers: Array<[string, string]> = [];
    let path = method === 'POST' ? `/${collection}/items` : itemPath(collection, target?.id ?? '');
    // One resource, one URL: the collection with a trailing slash is no route at all, decided before anything else.
    if (method === 'POST' && chance(0.05)) {
      path = `${path}/`;
      defects.push({ rank: RANK.route, label: 'trailing slash', expected: problem(404, 'not-found') });
    }

    // The token.
    if (chance(0.05)) {
      const value = pick(AUTH_REFUSED(token));
      if (value !== null) headers.push(['authorization', value]);
      defects.push({
        rank: RANK.auth,
        label: `authorization ${JSON.stringify(value)}`,
        expected: problem(401, 'unauthorized'),
      });
    } else headers.push(...auth());

    // The item and its If-Match.
    if (target !== undefined) {
      if (chance(0.05)) {
        path = `/${collection}/items/${encodeURIComponent(`fuzz-no-such-${int(0, 999)}`)}`;
        defects.push({ rank: RANK.item, label: 'no such item', expected: problem(404, 'not-found') });
      } else if (chance(0.03)) {
        path = `/${collection}/items/${pick(['x'.repeat(201), '%01abc', 'a%7Fb', encodeURIComponent('é'.repeat(201))])}`;
        defects.push({ rank: RANK.item, label: 'invalid id', expected: problem(400, 'invalid-id') });
      }
      if (chance(0.05)) {
        if (chance(0.5)) headers.push(['if-match', '']);
        defects.push({ rank: RANK.ifMatch, label: 'no If-Match', expected: problem(428, 'precondition-required') });
      } else if (chance(0.12)) {
        const value = pick(IF_MATCH_STALE(target.version));
        headers.push(['if-match', value]);
        defects.push({
          rank: RANK.version,
          label: `If-Match ${value}`,
          expected: problem(412, 'precondition-failed', { currentVersion: target.version }),
        });
      } else headers.push(['if-match', pick(IF_MATCH_ACCEPTED(target.version))]);
    }

    let body: Uint8Array<ArrayBuffer> | null = null;
    if (method === 'DELETE') {
      const ignored = ignoredBody();
      headers.push(...ignored.headers);
      body = ignored.body;
      if (customers)
        defects.push({ rank: RANK.store, label: 'a customer incidents refer to', expected: problem(409, 'conflict') });
      else if (defects.length === 0) {
        // Nothing else stops this DELETE, and these incidents must stay: a stale If-Match does.
        const value = pick(IF_MATCH_STALE(target?.version ?? 1));
        const index = headers.findIndex(([name]) => name === 'if-match');
        headers[index] = ['if-match', value];
        defects.push({
          rank: RANK.version,
          label: `If-Match ${value}`,
          expected: problem(412, 'precondition-failed', { currentVersion: target?.version ?? 1 }),
        });
      }
    } else {
      // The media type.
      if (chance(0.1)) {
        const value = pick([...BAD_TYPES, ...(method === 'PATCH' ? [] : ['application/merge-patch+json'])]);
        if (value !== null) headers.push(['content-type', value]);
        defects.push({
          rank: RANK.mediaType,
          label: `content-type ${JSON.stringify(value)}`,
          expected: problem(415, 'unsupported-media-type'),
        });
      } else headers.push(['content-type', jsonType(method)]);

      // The body: what the item holds already (PUT, PATCH), or a new one (POST); a change only where a defect stops it.
      const changing = defects.length > 0 && chance(0.5);
      let members: Members;
      if (method === 'POST') {
        members = customers
          ? [
              ['name', JSON.stringify(`Fuzz Hostile ${cases.length}`)],
              ['city', '"Bergen"'],
              ['country', 'null'],
              ['scoring', String(int(0, 10))],
            ]
          : [
              ['amount', '12.5'],
              ['category', '"A"'],
              ['customerId', JSON.stringify(pick(targets.referable).id)],
            ];
      } else if (customers) {
        const c = target as CustomerTarget;
        members = changing
          ? [
              ['name', '"Changed by a write that failed"'],
              ['scoring', String((c.scoring + 1) % 11)],
            ]
          : method === 'PUT'
            ? customerMembers(c)
            : subset(customerMembers(c));
        if (method === 'PUT' && changing) members.push(['city', 'null']);
      } else {
        const i = target as IncidentTarget;
        members = changing
          ? [
              ['amount', String(i.amount + 1)],
              ['category', '"F"'],
              ['customerId', JSON.stringify(i.customerId)],
            ]
          : method === 'PUT'
            ? incidentMembers(i)
            : subset(incidentMembers(i));
      }

      const mode = method === 'PATCH' ? 'partial' : 'full';
      const field = (name: string, value: string): Members => [...members.filter(([n]) => n !== name), [name, value]];
      let text: string | null = null;
      let bytes: Uint8Array<ArrayBuffer> | null = null;
      const mustFail = method === 'POST' && defects.length === 0;
      if (mustFail || chance(0.75)) {
        // One defect in the body.
        const jsonDefects: Array<() => string> = [
          () => {
            const bad = pick(BAD_UTF8);
            const json = serialize(field('name', '"ab"'));
            const at = json.indexOf('ab') + 1;
            bytes = concat(bytesOf(json.slice(0, at)), bad, bytesOf(json.slice(at)));
            return `invalid UTF-8 ${bad.map((b) => b.toString(16)).join(' ')}`;
          },
          () => {
            bytes = bytesOf(pick(['', ' ', ' \r\n\t ']));
            return 'empty body';
          },
          () => {
            bytes = concat(BOM, bytesOf(pick(['', '  '])));
            return 'a BOM and nothing else';
          },
          () => {
            const json = serialize(members);
            bytes = pick([
              () => concat(BOM, BOM, bytesOf(json)),
              () => concat(bytesOf(json.slice(0, 1)), BOM, bytesOf(json.slice(1))),
            ])();
            return 'a BOM where none may be';
          },
          () => {
            const json = serialize(members);
            const utf16 = new Uint8Array(2 + json.length * 2);
            utf16.set([0xff, 0xfe]);
            for (let k = 0; k < json.length; k++)
              utf16.set([json.charCodeAt(k) & 0xff, json.charCodeAt(k) >> 8], 2 + k * 2);
            bytes = utf16;
            return 'UTF-16LE';
          },
          () => {
            text = pick(SYNTAX_ERRORS);
            return `not JSON: ${JSON.stringify(text)}`;
          },
          () => {
            const value = pick(BAD_VALUES);
            text = serialize(
              field(pick(customers ? ['name', 'scoring', 'city'] : ['amount', 'category', 'customerId']), value),
            );
            return `not a JSON value: ${value}`;
          },
          () => {
            const [name, value] = members[0] ?? (customers ? ['scoring', '1'] : ['amount', '1']);
            const twin = pick([
              () => `${JSON.stringify(name)}:${value}`,
              () => `${JSON.stringify(name)}:${customers ? '"other"' : '2'}`,
              () =>
                `"\\u${(name.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}${JSON.stringify(name).slice(2)}:${value}`,
            ])();
            text = `${serialize([[name, value], ...members.slice(1)]).slice(0, -1)},${twin}}`;
            return `duplicate member ${name}`;
          },
          () => {
            text = pick([
              `{"__proto__":{},"__proto__":{}}`,
              `{"constructor":1,"constructor":1}`,
              serialize([...members, ['note', '{"a":1,"b":{"c":1,"c":2}}']]),
            ]);
            return 'duplicate member (prototype name, or nested)';
          },
          () => {
            const depth = pick([33, 34, 40, 100, 1000, 5000]);
            const shape = int(0, 2);
            text =
              shape === 0
                ? serialize(field(customers ? 'name' : 'amount', `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`))
                : shape === 1
                  ? `${'['.repeat(depth)}${']'.repeat(depth)}`
                  : serialize([...members, ['note', `${'{"a":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}`]]);
            return `nesting depth ${depth}`;
          },
          () => {
            text = `${'['.repeat(pick([33, 5000]))}`;
            return 'deep and unclosed';
          },
        ];
        const fieldDefects: Array<() => { label: string; field?: string; rank?: number }> = [
          () => {
            const name = pick(
              customers ? ['name', 'city', 'country', 'scoring'] : ['amount', 'category', 'customerId'],
            );
            const value = pick(BAD_FIELD_VALUES[name] ?? []);
            text = serialize(field(name, value));
            return { label: `${name}: ${value.length > 40 ? `${value.slice(0, 40)}…` : value}`, field: name };
          },
          () => {
            const name = pick([
              ...READ_ONLY,
              ...PROTO_NAMES,
              ...UNKNOWN_NAMES,
              ...(customers ? ['customerName', 'amount'] : ['customerName', 'name']),
            ]);
            text = serialize(
              chance(0.5) ? [...members, [name, pick(EXTRA_VALUES)]] : [[name, pick(EXTRA_VALUES)], ...members],
            );
            return { label: `member ${JSON.stringify(name)}`, field: name };
          },
          () => {
            text = pick([
              'null',
              '[]',
              '"text"',
              '1',
              'true',
              '[{"name":"a","scoring":1}]',
              '1e400',
              '-0',
              '""',
              '[null]',
            ]);
            return { label: `not an object: ${text}`, field: '' };
          },
          () => {
            // A string that makes the body just fit (or just not reach) the limit: a field too long, not a body too large.
            const name = customers ? 'name' : 'customerId';
            const size = pick([MAX_BODY_BYTES, MAX_BODY_BYTES - 1, MAX_BODY_BYTES - 700]);
            const without = serialize(field(name, '""'));
            const unit = pick(['x', 'é']);
            const room = size - bytesOf(without).length;
            text = serialize(field(name, JSON.stringify(unit.repeat(Math.floor(room / bytesOf(unit).length)))));
            text = padTo(text, size);
            return { label: `${name} of ${bytesOf(text).length} bytes in all`, field: name };
          },
          () => {
            const name = customers ? pick(['name', 'scoring']) : 'amount';
            text = serialize(field(name, `${'['.repeat(31)}${name === 'name' ? '"x"' : '1'}${']'.repeat(31)}`));
            return { label: 'nesting depth 32 (allowed) where a scalar belongs', field: name };
          },
          () => {
            if (mode === 'partial') {
              const name = customers ? pick(['name', 'scoring']) : 'amount';
              text = serialize(field(name, 'null'));
              return { label: `${name}: null`, field: name };
            }
            const name = customers ? pick(['name', 'scoring']) : 'amount';
            text = serialize(members.filter(([n]) => n !== name));
            return { label: `${name} missing`, field: name };
          },
        ];
        if (!customers) {
          if (method === 'POST') {
            fieldDefects.push(() => {
              const value = pick(['"fuzz-no-such-customer"', 'null', undefined]);
              text = serialize(
                value === undefined ? members.filter(([n]) => n !== 'customerId') : field('customerId', value),
              );
              return { label: `customerId ${value ?? 'absent'} on create`, field: 'customerId' };
            });
          } else {
            fieldDefects.push(() => {
              const incident = target as IncidentTarget;
              const value = chance(0.5)
                ? JSON.stringify(otherCustomer(incident.customerId).id)
                : incident.customerId === null
                  ? JSON.stringify(pick(targets.customers).id)
                  : 'null';
              text = serialize(field('customerId', value));
              return { label: `customerId changed to ${value}`, field: 'customerId', rank: RANK.store };
            });
          }
        }
        if (chance(0.4)) {
          labels.push(pick(jsonDefects)());
          defects.push({ rank: RANK.json, label: labels.at(-1) ?? '', expected: INVALID_JSON });
        } else {
          const defect = pick(fieldDefects)();
          labels.push(defect.label);
          defects.push({
            rank: defect.rank ?? RANK.fields,
            label: defect.label,
            expected: problem(422, 'validation-failed', defect.field === undefined ? {} : { field: defect.field }),
          });
        }
      } else {
        text = serialize(members, chance(0.3));
      }
      body = bytes ?? bytesOf(text ?? '');
      if (chance(0.07)) {
        const size = pick([MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 2, 20_000, 65_536, 1_000_000]);
        const padding = new Uint8Array(size - body.length > 0 ? size - body.length : 1).fill(0x20);
        body = concat(body, padding);
      }
      if (body.length > MAX_BODY_BYTES)
        defects.push({ rank: RANK.size, label: `${body.length} bytes`, expected: problem(413, 'payload-too-large') });
    }

    defects.sort((a, b) => a.rank - b.rank);
    const decisive = defects[0];
    const label = `${method} ${collection === 'customers' ? 'customer' : 'incident'}: ${defects.map((d) => d.label).join('; ') || 'nothing to change'}`;
    if (decisive === undefined) {
      cases.push({
        label,
        method,
        path,
        headers,
        body,
        expected: { status: 200 },
        effect: { kind: 'unchanged', collection, id: target?.id ?? '' },
      });
    } else {
      cases.push({ label, method, path, headers, body, expected: decisive.expected });
    }
  }

  // A seeded shuffle, so valid and hostile writes interleave.
  for (let i = cases.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [cases[i], cases[j]] = [cases[j] as Omit<WriteCase, 'index'>, cases[i] as Omit<WriteCase, 'index'>];
  }
  return cases.map((c, index) => ({ ...c, index }));
}
