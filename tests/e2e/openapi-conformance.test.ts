/**
 * The app against its own catalog, on the real Wasm components (local runtime, one start): `GET
 * /aggregates/openapi.json` is a valid OpenAPI 3.1 document listing every component's operations, and every
 * operation it lists answers as it says.
 *
 * - Every documented operation (path x method) is called with a request built from the document, and so are
 *   HEAD beside every GET and OPTIONS on every path, which the document states once, in `x-head-and-options`
 *   (written out per path for the walk by `withHeadAndOptions`): path parameters from the sample data, query parameters and bodies from their schemas, the
 *   API token, `If-Match` from a GET's ETag. Its status must be documented, its content type one documented for
 *   that status, its body valid against that schema (problems too, `type` enum included), its documented headers
 *   valid; a 201 has `ETag` and `Location`.
 * - Invalid calls (bad path parameter, unknown or invalid query parameter, no token, no or stale If-Match,
 *   malformed or invalid body) answer a problem whose status and type the operation documents.
 * - Paths nobody documents answer 404 problem+json pointing to the catalog; documented paths answer 405 with
 *   `Allow` (exactly the documented methods, HEAD and OPTIONS with them) to every other method.
 *
 * Findings are collected and compared with `[]` at the end of each test, so one run lists every deviation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_TOKEN } from '../contract/target';
import {
  answeredMethods,
  describeErrors,
  documentedMethods,
  HEAD_AND_OPTIONS,
  documentedStatuses,
  matchPath,
  mediaTypeOf,
  operations,
  parametersIn,
  PROBLEM_MEDIA_TYPE,
  PROBLEM_TYPE_PREFIX,
  problemTypes,
  requestBodyValidator,
  responseFor,
  responseValidator,
  schemaValidator,
  validateDocument,
  valueAt,
  withHeadAndOptions,
  type HttpMethod,
  type JsonSchema,
  type OpenApiDoc,
  type OperationEntry,
  type OperationObject,
  type ParameterObject,
} from '../support/openapi';
import { startApp, type AppRuntime } from './app-runtime';

const CATALOG_PATH = '/aggregates/openapi.json';

/** Where each component publishes its own document (the catalog must hold each whole), by component (= tag). */
const COMPONENT_DOCUMENTS: Record<string, string | null> = {
  'customers-service': '/customers/openapi.json',
  'incidents-service': '/incidents/openapi.json',
  'page-service': '/page/openapi.json',
  'docs-service': '/aggregates/docs/openapi.json',
  // The aggregates component's own operations are published in the catalog only.
  'aggregates-service': null,
};

/** Operations that must be in the catalog whatever else it lists. */
const REQUIRED_OPERATIONS = [
  'GET /customers/items',
  'GET /incidents/items',
  'GET /aggregates/dashboard',
  'GET /aggregates/customers/{id}/overview',
  'GET /aggregates/incidents/by-country',
  'GET /aggregates/openapi.json',
  'GET /customers/openapi.json',
  'GET /incidents/openapi.json',
  'GET /page/openapi.json',
  'GET /aggregates/docs/openapi.json',
  'GET /',
];

const AUTH = { authorization: `Bearer ${TEST_API_TOKEN}` };

/** Reads first, then writes in the order that leaves something to write to: create, replace, patch, delete. */
const METHOD_ORDER: HttpMethod[] = ['get', 'head', 'options', 'trace', 'post', 'put', 'patch', 'delete'];

/** Methods sent to documented paths that do not document them (lower-case `patch` is not PATCH: RFC 9110, 9.1). */
const PROBE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PURGE', 'patch'];

/** Top-level path prefixes of the components, for random unknown paths under each (`''`: the root, page-service's). */
const PREFIXES = [
  '/customers',
  '/incidents',
  '/aggregates',
  '/aggregates/docs',
  '/aggregates/docs/assets',
  '/page',
  '/assets',
  '',
];

interface Samples {
  customerId: string;
  customerName: string;
  country: string;
  incidentId: string;
  /** Same-origin links of the app's HTML pages (asset names change with every build). */
  links: string[];
}

interface Call {
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

let app: AppRuntime;
let catalog: OpenApiDoc | undefined;
/** The catalog with HEAD and OPTIONS written out per path (see theCatalog). */
let walked: OpenApiDoc | undefined;
let catalogProblem = '';
/** The `Catalog-Incomplete` header of the catalog's answer (absent when every component answered). */
let catalogIncomplete: string | null = null;
let samples: Samples;
/** The ids POST created, by collection template (`/customers/items`), for PUT, PATCH and DELETE to use. */
const created = new Map<string, string>();

/**
 * Node's fetch warns once per process when a request's method is `patch` (it is not upper-cased, as RFC 9110
 * wants, and this test means to send it): that one warning is kept out of the output.
 */
function quietly<T>(method: string, make: () => T): T {
  if (method !== 'patch') return make();
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = (rest[0] as { code?: string } | undefined)?.code;
    if (code !== 'UNDICI-FETCH-patch') (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return make();
  } finally {
    process.emitWarning = emitWarning;
  }
}

async function send(call: Call): Promise<Answer> {
  const response = await quietly(call.method, () =>
    app.target.fetch(call.path, {
      method: call.method,
      headers: call.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
    }),
  );
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const omit = (headers: Record<string, string>, name: string) =>
  Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));

const snippet = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/** The catalog as served. */
function rawCatalog(): OpenApiDoc {
  if (!catalog) throw new Error(`GET ${CATALOG_PATH} gave no catalog to check: ${catalogProblem}`);
  return catalog;
}

/** The catalog the walk calls: as served, with HEAD and OPTIONS written out per path as it says they are answered. */
function theCatalog(): OpenApiDoc {
  walked ??= withHeadAndOptions(rawCatalog());
  return walked;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows a `#/components/schemas/...` reference. */
function resolve(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!isRecord(schema) || typeof schema.$ref !== 'string') return schema;
  const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
  return resolve(
    name === undefined
      ? undefined
      : theCatalog().components?.schemas?.[name.replaceAll('~1', '/').replaceAll('~0', '~')],
  );
}

/** Values from the sample data for parameters and members of these names. */
function namedSample(name: string): unknown {
  const values: Record<string, unknown> = {
    customerId: samples.customerId,
    customerName: samples.customerName,
    country: samples.country,
    name: 'Conformance Checks Ltd',
    city: 'Bergen',
    'x-budget-ms': '20000',
  };
  return values[name];
}

const CANDIDATE_STRINGS = ['1', '10', 'conformance', 'x', 'A', '2024-01-02T03:04:05Z'];

/** A value valid against `schema` (as far as a small generator can tell), preferring sample data by name. */
function exampleOf(schema: JsonSchema | undefined, name?: string): unknown {
  const sample = name === undefined ? undefined : namedSample(name);
  if (sample !== undefined) return sample;
  const resolved = resolve(schema);
  if (!isRecord(resolved)) return 'conformance';
  if ('const' in resolved) return resolved.const;
  if (Array.isArray(resolved.enum)) return resolved.enum.find((v) => v !== null) ?? null;
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const parts = resolved[key];
    if (Array.isArray(parts) && parts.length > 0) return exampleOf(parts[0] as JsonSchema, name);
  }
  const types = (Array.isArray(resolved.type) ? resolved.type : [resolved.type]).filter(
    (t) => t !== 'null' && t !== undefined,
  );
  const type = types[0] ?? (isRecord(resolved.properties) ? 'object' : 'string');
  const bounded = (value: number) => {
    const min =
      typeof resolved.minimum === 'number'
        ? resolved.minimum
        : typeof resolved.exclusiveMinimum === 'number'
          ? resolved.exclusiveMinimum + 1
          : undefined;
    const max =
      typeof resolved.maximum === 'number'
        ? resolved.maximum
        : typeof resolved.exclusiveMaximum === 'number'
          ? resolved.exclusiveMaximum - 1
          : undefined;
    return Math.min(max ?? Infinity, Math.max(min ?? -Infinity, value));
  };
  switch (type) {
    case 'integer':
      return Math.ceil(bounded(1));
    case 'number':
      return bounded(1);
    case 'boolean':
      return true;
    case 'array':
      return typeof resolved.minItems === 'number' && resolved.minItems > 0
        ? [exampleOf(resolved.items as JsonSchema)]
        : [];
    case 'object': {
      const properties = isRecord(resolved.properties) ? resolved.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, exampleOf(value as JsonSchema, key)]),
      );
    }
    default: {
      if (resolved.format === 'date-time') return '2024-01-02T03:04:05Z';
      const pattern = typeof resolved.pattern === 'string' ? new RegExp(resolved.pattern, 'u') : null;
      const min = typeof resolved.minLength === 'number' ? resolved.minLength : 0;
      const max = typeof resolved.maxLength === 'number' ? resolved.maxLength : Infinity;
      return (
        CANDIDATE_STRINGS.find((s) => (!pattern || pattern.test(s)) && s.length >= min && s.length <= max) ??
        'x'.repeat(Math.max(min, 1))
      );
    }
  }
}

/** Values a parameter's schema refuses (none when it constrains nothing a string could break). */
function invalidValuesOf(schema: JsonSchema | undefined): string[] {
  const resolved = resolve(schema);
  if (!isRecord(resolved)) return [];
  const values: string[] = [];
  if (Array.isArray(resolved.enum)) values.push('not-a-member');
  if (typeof resolved.maxLength === 'number') values.push('x'.repeat(resolved.maxLength + 1));
  if (typeof resolved.minLength === 'number' && resolved.minLength > 0) values.push('');
  if (typeof resolved.pattern === 'string') values.push('!not matching!');
  if (resolved.type === 'integer' || resolved.type === 'number') values.push('not-a-number');
  if (typeof resolved.minimum === 'number') values.push(String(resolved.minimum - 1));
  if (typeof resolved.maximum === 'number') values.push(String(resolved.maximum + 1));
  if (resolved.format === 'date-time') values.push('yesterday');
  return values;
}

/** The segments of a template, each `{name}` marked. */
const templateSegments = (template: string) =>
  template.split('/').map((part) => ({ part, parameter: /^\{([^}]+)\}$/.exec(part)?.[1] }));

/** The links of the app's pages that fit `template` (the current names of the assets). */
function linksOf(template: string): string[] {
  if (!template.includes('{')) return [];
  const single: OpenApiDoc = { openapi: '3.1.0', info: { title: '', version: '' }, paths: { [template]: {} } };
  return [...new Set(samples.links.filter((link) => matchPath(single, link) === template))];
}

/** A concrete path for an operation: a link of the app's pages when one fits, else each parameter from the samples (or `overrides`, raw). */
function concretePath(
  entry: Pick<OperationEntry, 'path' | 'method' | 'operation'>,
  overrides: Record<string, string> = {},
): string {
  const [linked] = Object.keys(overrides).length === 0 ? linksOf(entry.path) : [];
  if (linked !== undefined) return linked;
  return templateSegments(entry.path)
    .map(({ part, parameter }) => {
      if (parameter === undefined) return part;
      if (parameter in overrides) return overrides[parameter];
      const doc = parametersIn(entry.operation, 'path').find((p) => p.name === parameter);
      return encodeURIComponent(pathValue(entry, parameter, doc));
    })
    .join('/');
}

function pathValue(
  entry: Pick<OperationEntry, 'path' | 'method'>,
  name: string,
  parameter: ParameterObject | undefined,
): string {
  if (name === 'id') {
    const collection = entry.path.slice(0, entry.path.indexOf('/{id}'));
    const mine = created.get(collection);
    if (mine !== undefined && ['put', 'patch', 'delete'].includes(entry.method)) return mine;
    // A customer's: its items, its overview (the aggregates component's JSON, the page component's page).
    if (/^\/(aggregates\/)?customers\//.test(entry.path) || entry.path.startsWith('/overview/'))
      return samples.customerId;
    if (entry.path.startsWith('/incidents/')) return samples.incidentId;
  }
  if (name === 'limit') return '3';
  return String(exampleOf(parameter?.schema, name));
}

/** The query string of an operation: its required parameters, plus `extra` (name -> raw value). */
function queryString(operation: OperationObject, extra: Record<string, string> = {}, withOptional = false): string {
  const pairs: [string, string][] = [];
  for (const parameter of parametersIn(operation, 'query')) {
    if (parameter.name in extra) continue;
    // A cursor comes from a Link header, never from a generator.
    if (parameter.required || (withOptional && parameter.name !== 'after'))
      pairs.push([parameter.name, String(exampleOf(parameter.schema, parameter.name))]);
  }
  pairs.push(...Object.entries(extra));
  return pairs.length === 0
    ? ''
    : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

/** The documented request headers an operation gets by default (the API token when it is secured). */
function baseHeaders(operation: OperationObject, withOptional = false): Record<string, string> {
  const headers: Record<string, string> = operation.security ? { ...AUTH } : {};
  for (const parameter of parametersIn(operation, 'header')) {
    const lower = parameter.name.toLowerCase();
    if (lower === 'if-match' || lower === 'if-none-match') continue;
    if (parameter.required || withOptional) headers[lower] = String(exampleOf(parameter.schema, parameter.name));
  }
  return headers;
}

/** A valid body of each documented media type (checked against the documented schema before it is sent). */
function bodiesOf(entry: OperationEntry, findings: string[]): { contentType: string; text: string }[] {
  return Object.entries(entry.operation.requestBody?.content ?? {}).map(([contentType, media]) => {
    const value = exampleOf(media.schema);
    const validate = requestBodyValidator(theCatalog(), entry.path, entry.method, contentType);
    if (!validate(value))
      findings.push(
        `TEST BUG ${entry.operation.operationId}: the generated ${contentType} body ${JSON.stringify(value)} is invalid: ${describeErrors(validate.errors).join('; ')}`,
      );
    return { contentType, text: JSON.stringify(value) };
  });
}

/** The ETag a GET of `path` answers, for If-Match. */
async function currentETag(path: string): Promise<string | null> {
  const answer = await send({ path, method: 'GET', headers: {} });
  return answer.status === 200 ? answer.headers.get('etag') : null;
}

interface Expectation {
  /** The status the call must get (beyond being documented). */
  status?: number | 'success' | 'error';
  /** The problem code the body must carry. */
  problem?: string;
}

/**
 * Checks one answer against what `entry` documents: status, media type, body schema (problems included),
 * documented headers, and for a 201 its ETag and Location. Returns the findings (empty: conforming).
 */
function conformance(entry: OperationEntry, call: Call, answer: Answer, expectation: Expectation = {}): string[] {
  const doc = theCatalog();
  const findings: string[] = [];
  const fail = (what: string) =>
    findings.push(`${entry.operation.operationId ?? entry.method}: ${call.method} ${call.path}: ${what}`);
  const { status } = answer;
  // Success: a 2xx, or a redirect the operation documents as its answer (the docs page's trailing-slash form).
  const documentedRedirect =
    status >= 300 && status < 400 && status !== 304 && responseFor(entry.operation, status) !== undefined;
  if (expectation.status === 'success' && (status < 200 || status > 299) && !documentedRedirect)
    fail(`a valid request answered ${status}, not 2xx: ${snippet(answer.text)}`);
  if (expectation.status === 'error' && status < 400) fail(`an invalid request answered ${status}, not 4xx/5xx`);
  if (typeof expectation.status === 'number' && status !== expectation.status)
    fail(`answered ${status}, expected ${expectation.status}: ${snippet(answer.text)}`);
  const found = responseFor(entry.operation, status);
  if (!found) {
    fail(
      `answered ${status}, which it does not document (${documentedStatuses(entry.operation).join(', ')}): ${snippet(answer.text)}`,
    );
    return findings;
  }
  const media = mediaTypeOf(answer.headers.get('content-type'));
  if (entry.method === 'head') {
    if (answer.text !== '') fail('HEAD answered a body');
    const get = doc.paths[entry.path]?.get as OperationObject | undefined;
    const types = Object.keys((get && responseFor(get, status)?.response.content) ?? {});
    if (media !== null && types.length > 0 && !types.includes(media))
      fail(`content-type ${media} is not what GET documents for ${status} (${types.join(', ')})`);
  } else if (found.response.content) {
    const types = Object.keys(found.response.content);
    if (media === null || !types.includes(media))
      fail(`content-type ${media} is not documented for ${found.key} (${types.join(', ')})`);
    else {
      let body: unknown = answer.text;
      const isJson = media === 'application/json' || media.endsWith('+json');
      let parsed = true;
      if (isJson) {
        try {
          body = JSON.parse(answer.text);
        } catch {
          parsed = false;
          fail(`the ${media} body is not JSON: ${snippet(answer.text)}`);
        }
      }
      if (parsed) {
        const validate = responseValidator(doc, entry.path, entry.method, found.key, media);
        if (!validate(body))
          fail(
            `the body does not match the documented schema: ${describeErrors(validate.errors).slice(0, 6).join('; ')}; body ${snippet(answer.text)}`,
          );
      }
      if (media === PROBLEM_MEDIA_TYPE && isRecord(body)) {
        if (body.status !== status) fail(`the problem says status ${String(body.status)}, the answer is ${status}`);
        if (expectation.problem !== undefined && body.type !== `${PROBLEM_TYPE_PREFIX}${expectation.problem}`)
          fail(`the problem is ${String(body.type)}, expected ${expectation.problem}`);
        const types = problemTypes(entry.operation, status);
        if (!types.includes(String(body.type)))
          fail(`the problem type ${String(body.type)} is not documented for ${status} (${types.join(', ')})`);
      }
    }
  } else if (answer.text !== '') fail(`answered a body where ${found.key} documents none: ${snippet(answer.text)}`);
  for (const [name, header] of Object.entries(found.response.headers ?? {})) {
    const value = answer.headers.get(name);
    if (value === null) {
      if (header.required) fail(`the required header ${name} is missing`);
      continue;
    }
    if (header.schema !== undefined) {
      const validate = schemaValidator(doc, [
        'paths',
        entry.path,
        entry.method,
        'responses',
        found.key,
        'headers',
        name,
        'schema',
      ]);
      if (!validate(value)) fail(`the header ${name}: ${value} does not match its schema`);
    }
  }
  if (status === 201) {
    for (const name of ['etag', 'location']) if (answer.headers.get(name) === null) fail(`a 201 without ${name}`);
  }
  if (entry.method === 'options' && status === 204) {
    const allow = (answer.headers.get('allow') ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)
      .sort();
    const documented = answeredMethods(rawCatalog(), entry.path).sort();
    if (JSON.stringify(allow) !== JSON.stringify(documented))
      fail(`Allow: ${allow.join(', ')}, but the document lists ${documented.join(', ')}`);
  }
  if (expectation.problem !== undefined && media !== PROBLEM_MEDIA_TYPE && entry.method !== 'head')
    fail(`expected the problem ${expectation.problem}, got ${media}`);
  return findings;
}

/** Sends `call` and checks the answer; returns the answer for what follows (ETags, Location, Link). */
async function exercise(
  entry: OperationEntry,
  call: Call,
  findings: string[],
  expectation: Expectation = {},
): Promise<Answer> {
  const answer = await send(call);
  findings.push(...conformance(entry, call, answer, expectation));
  return answer;
}

/** Runs `work` on every item, at most `limit` at a time (the runtime has a worker per core). */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>, limit = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Every concrete path of a read: each link of the app's pages that fits its template (every asset), or one from the samples. */
function concretePaths(entry: OperationEntry): string[] {
  const linked = linksOf(entry.path);
  return linked.length > 0 ? linked : [concretePath(entry)];
}

const sortedOperations = (doc: OpenApiDoc) =>
  operations(doc).sort((a, b) => METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method));

/** Every query variant of a read: required parameters only, every optional one, and each other value of each enum. */
function readVariants(operation: OperationObject): string[] {
  const variants = [queryString(operation), queryString(operation, {}, true)];
  for (const parameter of parametersIn(operation, 'query')) {
    const values = resolve(parameter.schema);
    if (!isRecord(values) || !Array.isArray(values.enum)) continue;
    for (const value of values.enum.slice(1))
      if (value !== null) variants.push(queryString(operation, { [parameter.name]: String(value) }));
  }
  return [...new Set(variants)];
}

beforeAll(async () => {
  // Generous deadlines: this test is about what the operations answer, not about their time limits (tested
  // elsewhere), and other test files may load the machine's two cores at the same time.
  app = await startApp({
    variables: { api_token: TEST_API_TOKEN, downstream_timeout_ms: '10000', dashboard_deadline_ms: '20000' },
  });
  const [customer] = app.db.database.query(
    'SELECT c.Id AS id, c.Name AS name, c.Country AS country FROM Customers c WHERE c.Country IS NOT NULL AND EXISTS (SELECT 1 FROM Incidents i WHERE i.CustomerName = c.Name) ORDER BY c.Id LIMIT 1',
  );
  const [incident] = app.db.database.query('SELECT Id AS id FROM Incidents ORDER BY Id LIMIT 1');
  if (!customer || !incident) throw new Error('the sample data has no customer with incidents');
  samples = {
    customerId: String(customer.id),
    customerName: String(customer.name),
    country: String(customer.country),
    incidentId: String(incident.id),
    links: [],
  };
  // Each component's first request instantiates it (about a second each on 2 cores); the catalog's chained
  // calls, made all at once on a cold app, could each outlast downstream_timeout_ms. This test is about what
  // the catalog says, so the components are started first.
  for (const path of Object.values(COMPONENT_DOCUMENTS)) if (path !== null) await (await app.target.fetch(path)).text();
  const response = await app.target.fetch(CATALOG_PATH);
  const text = await response.text();
  catalogIncomplete = response.headers.get('catalog-incomplete');
  if (response.status !== 200) catalogProblem = `it answered ${response.status}: ${snippet(text)}`;
  else {
    try {
      catalog = JSON.parse(text) as OpenApiDoc;
    } catch {
      catalogProblem = `its body is not JSON: ${snippet(text)}`;
    }
  }
  // The links of the app's pages: the current names of their assets.
  for (const { path, method, operation } of catalog ? operations(catalog) : []) {
    if (method !== 'get' || path.includes('{') || !operation.responses['200']?.content?.['text/html']) continue;
    const page = await send({ path, method: 'GET', headers: { accept: 'text/html' } });
    for (const match of page.text.matchAll(/(?:href|src)="(\/[^"#?]*)"/g))
      if (match[1] !== undefined) samples.links.push(match[1]);
  }
}, 180_000);

afterAll(async () => {
  await app?.stop();
});

describe('the catalog, real Wasm on the local runtime', () => {
  it(`GET ${CATALOG_PATH} is a valid OpenAPI 3.1 document, complete (x-sources all ok)`, () => {
    const doc = rawCatalog();
    expect(validateDocument(doc)).toEqual([]);
    const ids = operations(doc).map(({ operation }) => operation.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(catalogIncomplete).toBeNull();
    expect(doc['x-errors'] ?? []).toEqual([]);
    // No path claimed by two components (the merge would keep the first and say so here).
    expect(doc['x-conflicts'] ?? []).toEqual([]);
    const sources = doc['x-sources'];
    if (sources !== undefined) {
      expect(isRecord(sources)).toBe(true);
      for (const [name, source] of Object.entries(sources as Record<string, unknown>))
        expect({ name, status: isRecord(source) ? source.status : source }).toEqual({ name, status: 'ok' });
    }
  });

  it('states HEAD and OPTIONS once, in x-head-and-options, and names them among the methods of every path', () => {
    const doc = rawCatalog();
    expect(Object.keys(doc[HEAD_AND_OPTIONS] as object).sort()).toEqual(['description', 'head', 'options']);
    expect(doc.info.description).toContain(HEAD_AND_OPTIONS);
    for (const [path, item] of Object.entries(doc.paths)) {
      const methods = documentedMethods(doc, path);
      const allow = answeredMethods(doc, path);
      expect({ path, listed: methods.filter((m) => m === 'HEAD' || m === 'OPTIONS') }).toEqual({ path, listed: [] });
      const named = /^Methods: ([A-Z, ]+)\./.exec(String(item.description))?.[1]?.split(', ') ?? [];
      expect({ path, named: [...named].sort() }).toEqual({ path, named: [...allow].sort() });
    }
  });

  it('lists the operations of every component, each component’s own document whole', async () => {
    const doc = rawCatalog();
    const listed = operations(doc).map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(REQUIRED_OPERATIONS.filter((op) => !listed.includes(op))).toEqual([]);
    const tags = new Set(operations(doc).flatMap(({ operation }) => operation.tags ?? []));
    expect([...tags].sort()).toEqual(Object.keys(COMPONENT_DOCUMENTS).sort());
    for (const [component, path] of Object.entries(COMPONENT_DOCUMENTS)) {
      if (path === null) continue;
      const answer = await send({ path, method: 'GET', headers: {} });
      expect({ component, status: answer.status }).toEqual({ component, status: 200 });
      const own = JSON.parse(answer.text) as OpenApiDoc;
      expect({ component, errors: validateDocument(own) }).toEqual({ component, errors: [] });
      const missing = operations(own).filter(
        ({ path: p, method, operation }) =>
          (doc.paths[p]?.[method] as OperationObject | undefined)?.operationId !== operation.operationId,
      );
      expect({ component, missing: missing.map(({ path: p, method }) => `${method} ${p}`) }).toEqual({
        component,
        missing: [],
      });
    }
  });
});

describe('every documented operation, real Wasm on the local runtime', () => {
  /** Reads (GET, HEAD, OPTIONS): every query variant, a conditional GET, a second page. Changes nothing. */
  async function read(entry: OperationEntry, findings: string[]): Promise<void> {
    const { method, operation } = entry;
    const verb = method.toUpperCase();
    for (const concrete of concretePaths(entry)) {
      if (method === 'options') {
        await exercise(entry, { path: concrete, method: verb, headers: {} }, findings, { status: 204 });
        continue;
      }
      for (const query of readVariants(operation)) {
        const call = {
          path: `${concrete}${query}`,
          method: verb,
          headers: baseHeaders(operation, query !== queryString(operation)),
        };
        const answer = await exercise(entry, call, findings, { status: 'success' });
        const etag = answer.headers.get('etag');
        if (method !== 'get' || answer.status !== 200 || etag === null) continue;
        // 304 while the ETag is current: nothing changes the data meanwhile, and an ETag is a function of the
        // data (the page, which shows the time it was made, has a weak one that leaves the time out).
        const conditional = await exercise(
          entry,
          { ...call, headers: { ...call.headers, 'if-none-match': etag } },
          findings,
        );
        if (conditional.status !== 304) {
          findings.push(
            `${operation.operationId}: GET ${call.path} with If-None-Match: ${etag} answered ${conditional.status} with ETag ${conditional.headers.get('etag')}, not 304`,
          );
        }
        // If-Match comes first (RFC 9110 13.2.2): a tag that is not the current one is the documented 412.
        await exercise(
          entry,
          { ...call, headers: { ...call.headers, 'if-match': '"zz-not-the-etag"', 'if-none-match': etag } },
          findings,
          { status: 412, problem: 'precondition-failed' },
        );
      }
      // A paged list: a page of one, then the page its Link leads to.
      if (
        method === 'get' &&
        parametersIn(operation, 'query').some((p) => p.name === 'limit') &&
        operation.responses['200']?.headers?.Link
      ) {
        const first = await exercise(
          entry,
          { path: `${concrete}${queryString(operation, { limit: '1' })}`, method: verb, headers: {} },
          findings,
          { status: 'success' },
        );
        const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.get('link') ?? '')?.[1];
        if (next === undefined) findings.push(`${operation.operationId}: a page of one has no Link to the next`);
        else await exercise(entry, { path: next, method: verb, headers: {} }, findings, { status: 'success' });
      }
    }
  }

  /** A write with a valid body of each documented media type, the token, and If-Match from a fresh GET. */
  async function write(entry: OperationEntry, findings: string[]): Promise<void> {
    const { path, method, operation } = entry;
    for (const body of operation.requestBody ? bodiesOf(entry, findings) : [undefined]) {
      const target = concretePath(entry);
      const headers: Record<string, string> = {
        ...baseHeaders(operation),
        ...(body ? { 'content-type': body.contentType } : {}),
      };
      if (parametersIn(operation, 'header').some((p) => p.name.toLowerCase() === 'if-match')) {
        const etag = await currentETag(target);
        if (etag === null) findings.push(`TEST BUG ${operation.operationId}: no ETag from GET ${target} for If-Match`);
        else headers['if-match'] = etag;
      }
      const call = {
        path: `${target}${queryString(operation)}`,
        method: method.toUpperCase(),
        headers,
        ...(body ? { body: body.text } : {}),
      };
      const answer = await exercise(entry, call, findings, { status: 'success' });
      const location = answer.headers.get('location');
      if (method === 'post' && answer.status === 201 && location !== null) {
        const item = matchPath(theCatalog(), location.split('?')[0] ?? '');
        if (item === undefined || !theCatalog().paths[item]?.get)
          findings.push(`${operation.operationId}: Location ${location} is not a documented readable path`);
        created.set(path, decodeURIComponent(location.split('/').pop() ?? ''));
      }
    }
  }

  it('answers valid requests as documented', async () => {
    const findings: string[] = [];
    const all = sortedOperations(theCatalog());
    const reads = all.filter(({ method }) => method === 'get' || method === 'head' || method === 'options');
    await inParallel(reads, (entry) => read(entry, findings));
    // Writes one after the other: create, then replace, patch and delete what was created.
    for (const entry of all.filter((e) => !reads.includes(e))) await write(entry, findings);
    expect(findings.sort()).toEqual([]);
  }, 120_000);

  /** Invalid calls of one operation; none of them changes anything (they go to the sample rows). */
  async function invalid(entry: OperationEntry, findings: string[]): Promise<void> {
    const { method, operation } = entry;
    const verb = method.toUpperCase();
    const body = operation.requestBody ? bodiesOf(entry, findings)[0] : undefined;
    const needsIfMatch = parametersIn(operation, 'header').some(
      (p) => p.name.toLowerCase() === 'if-match' && p.required,
    );
    const valid = async (): Promise<Call> => {
      const target = concretePath(entry);
      const headers: Record<string, string> = {
        ...baseHeaders(operation),
        ...(body ? { 'content-type': body.contentType } : {}),
      };
      if (needsIfMatch) headers['if-match'] = (await currentETag(target)) ?? '"1"';
      return {
        path: `${target}${queryString(operation)}`,
        method: verb,
        headers,
        ...(body ? { body: body.text } : {}),
      };
    };

    // A path parameter its schema refuses, and one that is not valid percent-encoding.
    for (const parameter of parametersIn(operation, 'path')) {
      for (const raw of [
        ...invalidValuesOf(parameter.schema)
          .filter((v) => v !== '')
          .map(encodeURIComponent),
        '%E0%A4%A',
      ]) {
        const call = await valid();
        const path = `${concretePath(entry, { [parameter.name]: raw })}${queryString(operation)}`;
        await exercise(entry, { ...call, path }, findings, method === 'options' ? {} : { status: 'error' });
      }
    }

    // A path parameter its schema accepts that names nothing (`zz-no-such-id`): a 404, or whatever else is documented.
    for (const parameter of parametersIn(operation, 'path')) {
      const index = (operation.parameters ?? []).indexOf(parameter);
      const value = `zz-no-such-${parameter.name}`;
      if (
        method === 'options' ||
        !schemaValidator(theCatalog(), ['paths', entry.path, method, 'parameters', String(index), 'schema'])(value)
      )
        continue;
      const call = await valid();
      await exercise(
        entry,
        { ...call, path: `${concretePath(entry, { [parameter.name]: value })}${queryString(operation)}` },
        findings,
        { status: 'error' },
      );
    }

    if (method === 'get' || method === 'head') {
      // A query parameter nobody documents: refused or ignored, but answered as documented.
      await exercise(
        entry,
        {
          path: `${concretePath(entry)}${queryString(operation, { 'zz-undocumented': '1' })}`,
          method: verb,
          headers: {},
        },
        findings,
      );
      for (const parameter of parametersIn(operation, 'query')) {
        for (const value of invalidValuesOf(parameter.schema)) {
          await exercise(
            entry,
            {
              path: `${concretePath(entry)}${queryString(operation, { [parameter.name]: value })}`,
              method: verb,
              headers: {},
            },
            findings,
            { status: 'error' },
          );
        }
        if (parameter.required) {
          const others = parametersIn(operation, 'query').filter((p) => p.required && p !== parameter);
          const query = others
            .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(String(exampleOf(p.schema, p.name)))}`)
            .join('&');
          await exercise(
            entry,
            { path: `${concretePath(entry)}${query ? `?${query}` : ''}`, method: verb, headers: {} },
            findings,
            { status: 'error' },
          );
        }
      }
    }

    if (operation.security) {
      const call = await valid();
      await exercise(entry, { ...call, headers: omit(call.headers, 'authorization') }, findings, {
        status: 401,
        problem: 'unauthorized',
      });
      await exercise(
        entry,
        { ...call, headers: { ...call.headers, authorization: 'Bearer not-the-token' } },
        findings,
        { status: 401, problem: 'unauthorized' },
      );
    }

    if (needsIfMatch) {
      const call = await valid();
      await exercise(entry, { ...call, headers: omit(call.headers, 'if-match') }, findings, {
        status: 428,
        problem: 'precondition-required',
      });
      await exercise(entry, { ...call, headers: { ...call.headers, 'if-match': '"999999"' } }, findings, {
        status: 412,
        problem: 'precondition-failed',
      });
    }

    if (body) {
      const call = await valid();
      await exercise(entry, { ...call, body: '{"name": ' }, findings, { status: 400, problem: 'invalid-json' });
      await exercise(entry, { ...call, headers: { ...call.headers, 'content-type': 'text/plain' } }, findings, {
        status: 415,
        problem: 'unsupported-media-type',
      });
      await exercise(entry, { ...call, body: '{"zz-undocumented": 1}' }, findings, {
        status: 422,
        problem: 'validation-failed',
      });
      await exercise(entry, { ...call, body: '[]' }, findings, { status: 422, problem: 'validation-failed' });
    }
  }

  it('answers invalid requests with problems it documents', async () => {
    const findings: string[] = [];
    // The items created above are deleted: invalid writes go to the sample rows.
    created.clear();
    await inParallel(sortedOperations(theCatalog()), (entry) => invalid(entry, findings));
    expect(findings.sort()).toEqual([]);
  }, 120_000);
});

describe('the route walk: what is not documented is not served, real Wasm on the local runtime', () => {
  /** The concrete path of each documented template (sample values in its parameters). */
  const documentedPaths = () => {
    const doc = theCatalog();
    return Object.keys(doc.paths).map((template) => {
      const first = operations({ ...doc, paths: { [template]: doc.paths[template] ?? {} } })[0];
      return { template, concrete: first ? concretePath(first) : template };
    });
  };

  /** Paths next to the documented ones: deeper, with a trailing slash, their parents, and random ones under each prefix. */
  function undocumentedPaths(): string[] {
    const probes = new Set<string>([
      '/customers',
      '/customers/',
      '/incidents',
      '/incidents/',
      '/incidents/top',
      '/aggregates',
      '/aggregates/',
      '/index.html',
      '/favicon.ico',
    ]);
    for (const { concrete } of documentedPaths()) {
      if (concrete !== '/') {
        probes.add(`${concrete}/zz-undocumented`);
        probes.add(`${concrete}/`);
      }
      const segments = concrete.split('/');
      for (let i = 2; i < segments.length; i++) {
        const parent = segments.slice(0, i).join('/');
        probes.add(parent);
        probes.add(`${parent}/`);
      }
    }
    for (const prefix of PREFIXES) {
      probes.add(`${prefix}/zz-${Math.random().toString(36).slice(2, 10)}`);
      probes.add(`${prefix}/zz-undocumented/deeper/still`);
    }
    return [...probes].filter((path) => path !== '/' && matchPath(theCatalog(), path) === undefined).sort();
  }

  it('answers 404 problem+json pointing to the catalog for undocumented paths, whatever the method', async () => {
    const findings: string[] = [];
    const probes = undocumentedPaths();
    expect(probes.length).toBeGreaterThan(20);
    await inParallel(probes, async (path) => {
      for (const method of ['GET', 'HEAD', 'POST', 'DELETE', 'PURGE']) {
        const post = method === 'POST';
        const answer = await send({
          path,
          method,
          headers: post ? { ...AUTH, 'content-type': 'application/json' } : {},
          ...(post ? { body: '{}' } : {}),
        });
        const where = `${method} ${path}`;
        if (answer.status !== 404) {
          findings.push(
            `${where}: answered ${answer.status}, not 404${answer.status === 405 ? ` (Allow: ${answer.headers.get('allow')})` : ''}`,
          );
          continue;
        }
        if (method === 'HEAD') {
          if (answer.text !== '') findings.push(`${where}: a body to HEAD`);
          continue;
        }
        const media = mediaTypeOf(answer.headers.get('content-type'));
        if (media !== PROBLEM_MEDIA_TYPE) {
          findings.push(`${where}: ${media}, not problem+json`);
          continue;
        }
        const problem = JSON.parse(answer.text) as Record<string, unknown>;
        if (problem.type !== `${PROBLEM_TYPE_PREFIX}not-found` || problem.status !== 404)
          findings.push(`${where}: problem ${answer.text}`);
        if (!String(problem.detail).includes(CATALOG_PATH))
          findings.push(`${where}: the detail does not point to ${CATALOG_PATH}: ${String(problem.detail)}`);
      }
    });
    expect(findings.sort()).toEqual([]);
  }, 120_000);

  it('answers 405 with Allow listing exactly the documented methods to every other method of a documented path', async () => {
    const doc = theCatalog();
    const findings: string[] = [];
    await inParallel(documentedPaths(), async ({ template, concrete }) => {
      const documented = answeredMethods(rawCatalog(), template);
      for (const method of PROBE_METHODS.filter((m) => !documented.includes(m))) {
        const answer = await send({ path: concrete, method, headers: {} });
        const where = `${method} ${concrete}`;
        if (answer.status !== 405) {
          findings.push(`${where}: answered ${answer.status}, not 405`);
          continue;
        }
        const allow = (answer.headers.get('allow') ?? '')
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean)
          .sort();
        if (JSON.stringify(allow) !== JSON.stringify([...documented].sort()))
          findings.push(`${where}: Allow: ${allow.join(', ')}; documented: ${documented.join(', ')}`);
        if (method === 'HEAD') continue;
        if (mediaTypeOf(answer.headers.get('content-type')) !== PROBLEM_MEDIA_TYPE)
          findings.push(`${where}: not problem+json`);
        else if ((JSON.parse(answer.text) as { type?: string }).type !== `${PROBLEM_TYPE_PREFIX}method-not-allowed`)
          findings.push(`${where}: problem ${answer.text}`);
        else {
          // The path item documents this answer (x-method-not-allowed): its body and its Allow.
          const validate = schemaValidator(doc, [
            'paths',
            template,
            'x-method-not-allowed',
            'content',
            PROBLEM_MEDIA_TYPE,
            'schema',
          ]);
          if (!validate(JSON.parse(answer.text)))
            findings.push(
              `${where}: the 405 body does not match the document: ${describeErrors(validate.errors).join('; ')}`,
            );
          const documentedAllow = valueAt(doc, [
            'paths',
            template,
            'x-method-not-allowed',
            'headers',
            'Allow',
            'schema',
            'const',
          ]);
          if (answer.headers.get('allow') !== documentedAllow)
            findings.push(`${where}: Allow ${answer.headers.get('allow')}, documented ${String(documentedAllow)}`);
        }
      }
    });
    expect(findings.sort()).toEqual([]);
  }, 120_000);

  it('answers an unknown path a browser asks for with a 404, as problem+json or an HTML page', async () => {
    const answer = await send({
      path: '/zz-no-such-page',
      method: 'GET',
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(answer.status).toBe(404);
    expect([PROBLEM_MEDIA_TYPE, 'text/html']).toContain(mediaTypeOf(answer.headers.get('content-type')));
  });
});
