/**
 * The OpenAPI 3.1 documents, in-process: each component's document (and the aggregates component's catalog
 * of them all) is valid against the official OpenAPI 3.1 schema with valid JSON Schemas inside, its operation
 * ids are unique, its problem answers agree with PROBLEM_STATUS, and the generator keeps its promises (a route
 * cannot be served undocumented). The real Wasm components are checked in tests/e2e/openapi-conformance.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createAggregatesApp } from '../../aggregates-service/src/app';
import type { Fetch } from '../../aggregates-service/src/downstream';
import { createCustomersApp } from '../../customers-service/src/app';
import { createDocsApp } from '../../docs-service/src/app';
import { createApp, type App } from '@aggregates/common/http';
import { json } from '@aggregates/common/responses';
import { allowOf } from '@aggregates/common/method-dispatch';
import { ROUTE_METHODS, type RouteDefinition } from '@aggregates/common/routes';
import {
  METHOD_NOT_ALLOWED_EXTENSION,
  named,
  objectSchema,
  openApiDocument,
  templatePath,
  type Operation,
} from '@aggregates/common/openapi';
import { HttpError, PROBLEM_STATUS, problemType, type ProblemCode } from '@aggregates/common/problem';
import { createIncidentsApp } from '../../incidents-service/src/app';
import { createPageApp } from '../../page-service/src/app';
import { TEST_API_TOKEN } from '../contract/target';
import { memoryStore, NO_CACHE, QUIET } from '../support/in-process-app';
import {
  answeredMethods,
  documentedMethods,
  HEAD_AND_OPTIONS,
  loadOpenApiSchema,
  mediaTypeOf,
  openApiSchemaForAjv,
  operations,
  pointerFragment,
  problemTypesByStatus,
  PROBLEM_MEDIA_TYPE,
  PROBLEM_TYPE_PREFIX,
  responseValidator,
  schemaErrors,
  schemaValidator,
  structureErrors,
  validateDocument,
  withHeadAndOptions,
  type OpenApiDoc,
} from '../support/openapi';
import { createTestDatabase } from '../support/sqlite';

/** Where each component serves its own document, by the host Spin gives it for chaining. */
const DOCUMENTS = {
  'customers-service': '/customers/openapi.json',
  'incidents-service': '/incidents/openapi.json',
  'page-service': '/page/openapi.json',
  'docs-service': '/aggregates/docs/openapi.json',
} as const;
const CATALOG = '/aggregates/openapi.json';

/** Every component in one process over one SQLite file, chained by host name as Spin does. */
function wholeApp() {
  const db = createTestDatabase();
  const apps: Record<string, App> = {};
  const fetch: Fetch = async (url, init) => {
    const app = apps[new URL(url).host];
    if (!app) throw new TypeError(`no route to ${url}`);
    return app.fetch(new Request(url, init));
  };
  apps['customers-service.spin.internal'] = createCustomersApp({
    openDatabase: () => db.database,
    apiToken: () => TEST_API_TOKEN,
    ...QUIET,
  });
  apps['incidents-service.spin.internal'] = createIncidentsApp({
    openDatabase: () => db.database,
    apiToken: () => TEST_API_TOKEN,
    ...QUIET,
  });
  apps['page-service.spin.internal'] = createPageApp({
    fetch,
    assets: { script: 'console.log("page")', style: 'body{}' },
    ...QUIET,
  });
  apps['docs-service.spin.internal'] = createDocsApp({
    fetch,
    assets: { swaggerScript: '/* ui */', swaggerStyle: '/* ui */', script: '/* docs */', style: '/* docs */' },
    ...QUIET,
  });
  const variables: Record<string, string> = { ...NO_CACHE };
  apps['aggregates-service.spin.internal'] = createAggregatesApp({
    fetch,
    getVariable: (name) => variables[name] ?? null,
    openStore: () => memoryStore(),
    ...QUIET,
  });
  const request = (component: string, path: string, init?: RequestInit) =>
    fetch(`http://${component}.spin.internal${path}`, init);
  return { db, request };
}

async function documentOf(response: Response): Promise<OpenApiDoc> {
  expect(response.status).toBe(200);
  expect(mediaTypeOf(response.headers.get('content-type'))).toBe('application/json');
  return (await response.json()) as OpenApiDoc;
}

const operationIds = (doc: OpenApiDoc) => operations(doc).map(({ operation }) => operation.operationId ?? '');

const duplicates = (values: string[]) => values.filter((value, i) => values.indexOf(value) !== i);

const handle = () => json({});

describe('the vendored OpenAPI 3.1 schema', () => {
  it('is the 2022-10-07 version, and Ajv runs it with only its $dynamicRef made static', () => {
    const schema = loadOpenApiSchema();
    expect(schema.$id).toBe('https://spec.openapis.org/oas/3.1/schema/2022-10-07');
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const original = JSON.stringify(schema);
    const adapted = JSON.stringify(openApiSchemaForAjv(schema));
    const dynamic = original.split('"$dynamicRef":"#meta"').length - 1;
    expect(dynamic).toBeGreaterThan(0);
    expect(adapted).toBe(original.replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'));
  });

  it('accepts a small valid document and rejects broken ones', () => {
    const doc = {
      openapi: '3.1.1',
      info: { title: 't', version: '1' },
      paths: {
        '/things/{id}': {
          get: {
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
              },
            },
          },
        },
      },
      components: { schemas: { Thing: { type: 'object', properties: { id: { type: 'string' } } } } },
    };
    expect(validateDocument(doc)).toEqual([]);
    const withoutVersion = { ...doc, openapi: '3.0.3' };
    expect(structureErrors(withoutVersion)).not.toEqual([]);
    const badParameterSchema = structuredClone(doc);
    (badParameterSchema.paths['/things/{id}'].get.parameters[0] as { schema: unknown }).schema = 7;
    expect(structureErrors(badParameterSchema)).not.toEqual([]);
    const noResponses = structuredClone(doc) as { paths: Record<string, { get: { responses: unknown } }> };
    (noResponses.paths['/things/{id}'] ?? { get: { responses: null } }).get.responses = {};
    expect(structureErrors(noResponses)).not.toEqual([]);
    // Valid structure, but a schema inside is not JSON Schema, or refers to nothing.
    const badSchema = structuredClone(doc) as OpenApiDoc;
    (badSchema.components as { schemas: Record<string, unknown> }).schemas.Thing = { type: 'thing' };
    expect(schemaErrors(badSchema).join('\n')).toMatch(/components\/schemas\/Thing: not JSON Schema/);
    const dangling = structuredClone(doc) as OpenApiDoc;
    (dangling.components as { schemas: Record<string, unknown> }).schemas.Thing = {
      $ref: '#/components/schemas/Nothing',
    };
    expect(schemaErrors(dangling).join('\n')).toMatch(/does not compile/);
  });

  it('writes JSON Pointer fragments with ~0, ~1 and percent-encoding', () => {
    expect(
      pointerFragment(['paths', '/a~b/{id}', 'get', 'responses', '200', 'content', 'application/problem+json']),
    ).toBe('#/paths/~1a~0b~1%7Bid%7D/get/responses/200/content/application~1problem%2Bjson');
  });
});

describe('the components’ OpenAPI documents, in-process', () => {
  const app = wholeApp();
  afterAll(() => app.db.close());
  const documents = new Map<string, OpenApiDoc>();
  const load = async (component: keyof typeof DOCUMENTS) => {
    const known = documents.get(component);
    if (known) return known;
    const doc = await documentOf(await app.request(component, DOCUMENTS[component]));
    documents.set(component, doc);
    return doc;
  };

  for (const component of Object.keys(DOCUMENTS) as (keyof typeof DOCUMENTS)[]) {
    describe(component, () => {
      it(`serves ${DOCUMENTS[component]}: a valid OpenAPI 3.1 document whose schemas are valid JSON Schema 2020-12`, async () => {
        const doc = await load(component);
        expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
        expect(validateDocument(doc)).toEqual([]);
      });

      it('has unique operation ids, each operation tagged with the component', async () => {
        const doc = await load(component);
        expect(duplicates(operationIds(doc))).toEqual([]);
        expect(operationIds(doc)).not.toContain('');
        for (const { operation } of operations(doc)) expect(operation.tags).toEqual([component]);
      });

      it('answers OPTIONS on every documented path with exactly the documented methods, and 405 for the others', async () => {
        const doc = await load(component);
        // HEAD and OPTIONS are stated once for the document, not per path: no path item lists them.
        for (const path of Object.keys(doc.paths))
          expect({ path, shared: documentedMethods(doc, path).filter((m) => m === 'HEAD' || m === 'OPTIONS') }).toEqual(
            {
              path,
              shared: [],
            },
          );
        for (const path of Object.keys(doc.paths)) {
          const concrete = path.replace(/\{[^}]+\}/g, 'x');
          const options = await app.request(component, concrete, { method: 'OPTIONS' });
          expect({ path, status: options.status }).toEqual({ path, status: 204 });
          const allow = (options.headers.get('allow') ?? '').split(',').map((m) => m.trim());
          expect({ path, allow: [...allow].sort() }).toEqual({ path, allow: answeredMethods(doc, path).sort() });
          for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !allow.includes(m))) {
            const refused = await app.request(component, concrete, { method });
            expect({ path, method, status: refused.status }).toEqual({ path, method, status: 405 });
          }
        }
      });

      it('documents the 405 of every other method on each path (the path item says it, x-method-not-allowed holds the answer), and the 405 matches it', async () => {
        const doc = await load(component);
        for (const path of Object.keys(doc.paths)) {
          const item = doc.paths[path] as {
            description?: string;
            [METHOD_NOT_ALLOWED_EXTENSION]?: { headers?: Record<string, { schema?: { const?: string } }> };
          };
          const concrete = path.replace(/\{[^}]+\}/g, 'x');
          const method =
            ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((m) => !answeredMethods(doc, path).includes(m)) ?? 'PURGE';
          const refused = await app.request(component, concrete, { method });
          const documentedAllow = item[METHOD_NOT_ALLOWED_EXTENSION]?.headers?.Allow?.schema?.const;
          expect({
            path,
            status: refused.status,
            allow: refused.headers.get('allow'),
            description: item.description,
          }).toEqual({
            path,
            status: 405,
            allow: documentedAllow,
            description: expect.stringContaining(
              `Methods: ${String(documentedAllow)}. Any other method is answered 405`,
            ),
          });
          const validate = schemaValidator(doc, [
            'paths',
            path,
            METHOD_NOT_ALLOWED_EXTENSION,
            'content',
            PROBLEM_MEDIA_TYPE,
            'schema',
          ]);
          const body: unknown = await refused.json();
          expect({ path, valid: validate(body), errors: validate.errors ?? null }).toEqual({
            path,
            valid: true,
            errors: null,
          });
          expect(validate({ ...(body as object), type: problemType('not-found') })).toBe(false);
        }
      });

      it('answers HEAD on every path that answers GET, as GET without the body (the document says so once)', async () => {
        const doc = await load(component);
        const reads = operations(doc).filter(({ method }) => method === 'get');
        expect(reads.length).toBeGreaterThan(0);
        for (const { path } of reads) {
          const concrete = path.replace(/\{[^}]+\}/g, 'x');
          const get = await app.request(component, concrete);
          const head = await app.request(component, concrete, { method: 'HEAD' });
          expect({
            path,
            status: head.status,
            type: head.headers.get('content-type'),
            body: await head.text(),
          }).toEqual({
            path,
            status: get.status,
            type: get.headers.get('content-type'),
            body: '',
          });
        }
        expect(doc.info.description).toContain(HEAD_AND_OPTIONS);
      });

      it('documents the preconditions of every GET (HEAD follows it): optional If-Match (412 precondition-failed) before If-None-Match (304)', async () => {
        const doc = await load(component);
        const reads = operations(doc).filter(({ method }) => method === 'get');
        expect(reads.length).toBeGreaterThan(0);
        for (const { path, method, operation } of reads) {
          const headers = (operation.parameters ?? [])
            .filter((p) => p.in === 'header')
            .map((p) => [p.name, p.required ?? false]);
          expect({ path, method, headers }).toEqual({
            path,
            method,
            headers: expect.arrayContaining([
              ['If-Match', false],
              ['If-None-Match', false],
            ]),
          });
          const names = headers.map(([name]) => name);
          expect(names.indexOf('If-Match'), `${method} ${path}: If-Match listed before If-None-Match`).toBeLessThan(
            names.indexOf('If-None-Match'),
          );
          expect({ path, method, statuses: Object.keys(operation.responses) }).toEqual({
            path,
            method,
            statuses: expect.arrayContaining(['304', '412']),
          });
          expect({ path, 412: problemTypesByStatus(operation)['412'] }).toEqual({
            path,
            412: [problemType('precondition-failed')],
          });
        }
      });

      it('lists problems under the status PROBLEM_STATUS gives them, as problem+json with their type URNs', async () => {
        const doc = await load(component);
        for (const { path, method, operation } of operations(doc)) {
          for (const [status, types] of Object.entries(problemTypesByStatus(operation))) {
            for (const type of types) {
              expect(type.startsWith(PROBLEM_TYPE_PREFIX)).toBe(true);
              const code = type.slice(PROBLEM_TYPE_PREFIX.length) as ProblemCode;
              expect({ path, method, type, status: PROBLEM_STATUS[code] }).toEqual({
                path,
                method,
                type,
                status: Number(status),
              });
            }
          }
          for (const [status, response] of Object.entries(operation.responses)) {
            const isProblem = Number(status) >= 400;
            if (!isProblem) continue;
            // Errors are problem+json; the one exception is a page for browsers (page-service's 404 and 502 pages).
            const types = Object.keys(response.content ?? {});
            expect({
              path,
              method,
              status,
              types: types.includes(PROBLEM_MEDIA_TYPE) ? [PROBLEM_MEDIA_TYPE] : types,
            }).toEqual({
              path,
              method,
              status,
              types: component === 'page-service' && types.includes('text/html') ? ['text/html'] : [PROBLEM_MEDIA_TYPE],
            });
          }
        }
      });
    });
  }

  it('answers its problems with bodies that validate against what the document says', async () => {
    const doc = await load('customers-service');
    const checks: Array<[string, string, RequestInit | undefined]> = [
      ['/customers/items/{id}', '/customers/items/no-such-customer', undefined],
      ['/customers/top/{limit}', '/customers/top/0', undefined],
      ['/customers/items', '/customers/items?bogus=1', undefined],
      ['/customers/items', '/customers/items', { method: 'POST', body: '{' }],
      [
        '/customers/items/{id}',
        `/customers/items/${'x'.repeat(201)}`,
        { method: 'DELETE', headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'if-match': '"1"' } },
      ],
    ];
    for (const [template, path, init] of checks) {
      const response = await app.request('customers-service', path, init);
      const method = (init?.method ?? 'GET').toLowerCase();
      const body: unknown = await response.json();
      const validate = responseValidator(
        doc,
        template,
        method,
        response.status,
        response.headers.get('content-type') ?? '',
      );
      expect({ path, valid: validate(body), errors: validate.errors ?? null }).toEqual({
        path,
        valid: true,
        errors: null,
      });
    }
    // The type enum is enforced: the same body with another problem's type does not validate.
    const validate = responseValidator(doc, '/customers/items/{id}', 'get', 404, PROBLEM_MEDIA_TYPE);
    expect(validate({ type: problemType('not-found'), title: 'Not found', status: 404, detail: 'd' })).toBe(true);
    expect(validate({ type: problemType('conflict'), title: 'Not found', status: 404, detail: 'd' })).toBe(false);
  });

  it('answers reads with bodies that validate against the documented 200 schemas', async () => {
    for (const component of ['customers-service', 'incidents-service'] as const) {
      const doc = await load(component);
      for (const { path, method } of operations(doc).filter((o) => o.method === 'get' && !o.path.includes('{'))) {
        if (path === '/incidents/standing' || path === '/incidents/latest') continue;
        const response = await app.request(component, path);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        const validate = responseValidator(doc, path, method, 200, response.headers.get('content-type') ?? '');
        expect({ path, valid: validate(await response.json()), errors: validate.errors ?? null }).toEqual({
          path,
          valid: true,
          errors: null,
        });
      }
    }
  });

  describe('the catalog (aggregates-service)', () => {
    let catalog: OpenApiDoc | undefined;
    const loadCatalog = async () => (catalog ??= await documentOf(await app.request('aggregates-service', CATALOG)));

    it('is a valid OpenAPI 3.1 document with unique operation ids, complete (no x-errors)', async () => {
      const doc = await loadCatalog();
      expect(validateDocument(doc)).toEqual([]);
      expect(duplicates(operationIds(doc))).toEqual([]);
      expect(doc['x-errors']).toBeUndefined();
      expect(doc['x-conflicts']).toBeUndefined();
    });

    it('holds every operation of every component’s document, under the same path, method and operation id', async () => {
      const doc = await loadCatalog();
      for (const component of Object.keys(DOCUMENTS) as (keyof typeof DOCUMENTS)[]) {
        const own = await load(component);
        for (const { path, method, operation } of operations(own)) {
          expect({
            component,
            path,
            method,
            operationId: (doc.paths[path]?.[method] as { operationId?: string } | undefined)?.operationId,
          }).toEqual({
            component,
            path,
            method,
            operationId: operation.operationId,
          });
        }
      }
      const tags = new Set(operations(doc).flatMap(({ operation }) => operation.tags ?? []));
      expect([...tags].sort()).toEqual([
        'aggregates-service',
        'customers-service',
        'docs-service',
        'incidents-service',
        'page-service',
      ]);
    });
  });
});

describe('openApiDocument: a route cannot be served undocumented', () => {
  const operation = (extra: Partial<Operation> = {}): Operation => ({
    operationId: 'things.read',
    summary: 'A thing',
    responses: { 200: { description: 'OK' } },
    problems: [],
    handle,
    ...extra,
  });
  const info = { title: 'things', version: '1', description: 'Things', component: 'things-service' };

  it('documents every route and method of the table, and once for all of them HEAD beside GET and OPTIONS everywhere', () => {
    const Thing = named('Thing', objectSchema({ id: { type: 'string' } }));
    const routes: RouteDefinition[] = [
      {
        path: '/things',
        get: operation({ operationId: 'things.list' }),
        post: operation({
          operationId: 'things.create',
          bearer: true,
          body: { contentTypes: ['application/json'], schema: Thing },
          problems: ['validation-failed'],
        }),
      },
      {
        path: '/things/:id',
        get: operation({
          path: { id: { description: 'id', schema: { type: 'string' } } },
          responses: { 200: { description: 'OK', content: { 'application/json': Thing } } },
        }),
        delete: operation({
          operationId: 'things.delete',
          path: { id: { description: 'id', schema: { type: 'string' } } },
          problems: ['not-found', 'conflict'],
        }),
      },
      {
        path: '/things/:id/parts/:part',
        put: operation({
          operationId: 'things.part',
          path: {
            id: { description: 'id', schema: { type: 'string' } },
            part: { description: 'part', schema: { type: 'string' } },
          },
        }),
      },
    ];
    const doc = openApiDocument(routes, info) as unknown as OpenApiDoc;
    expect(validateDocument(doc)).toEqual([]);
    for (const route of routes) {
      const methods = ROUTE_METHODS.filter((m) => route[m]).map((m) => m.toUpperCase());
      expect(documentedMethods(doc, templatePath(route.path)).sort()).toEqual([...methods].sort());
      const expected = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].sort();
      expect(answeredMethods(doc, templatePath(route.path)).sort()).toEqual(expected);
      // The path item names them all among its methods (and its 405's Allow does too).
      expect(doc.paths[templatePath(route.path)]?.description).toContain(`Methods: ${allowOf(route)}.`);
      expect(allowOf(route).split(', ').sort()).toEqual(expected);
    }
    expect(Object.keys(doc.paths)).toEqual(['/things', '/things/{id}', '/things/{id}/parts/{part}']);
    expect(operationIds(doc).sort()).toEqual(
      ['things.create', 'things.delete', 'things.list', 'things.read', 'things.part'].sort(),
    );
    // Once for the document: what HEAD is, and OPTIONS' 204 with Allow and its shared problems.
    const shared = doc[HEAD_AND_OPTIONS] as {
      head: { description: string };
      options: { responses: Record<string, { headers?: Record<string, unknown> }> };
    };
    expect(shared.head.description).toContain("GET's answer without its body");
    expect(Object.keys(shared.options.responses)).toEqual(['204', '500', '504']);
    expect(shared.options.responses['204']?.headers?.Allow).toBeDefined();
    expect(doc.info.description).toContain(HEAD_AND_OPTIONS);
    // Written out per path for a test that calls every operation (tests/e2e/openapi-conformance.test.ts).
    const walked = withHeadAndOptions(doc);
    expect(validateDocument(walked)).toEqual([]);
    expect(operationIds(walked).sort()).toEqual(
      [
        'things.create',
        'things.delete',
        'things.list',
        'things.list.head',
        'things.list.options',
        'things.read',
        'things.read.head',
        'things.read.options',
        'things.part',
        'things.part.options',
      ].sort(),
    );
    for (const route of routes)
      expect(documentedMethods(walked, templatePath(route.path)).sort()).toEqual(
        answeredMethods(doc, templatePath(route.path)).sort(),
      );
    expect(() => withHeadAndOptions(walked)).toThrow(/lists HEAD or OPTIONS itself/);
    expect(doc.components?.schemas?.Thing).toBeDefined();
    expect(doc.components?.schemas?.Problem).toBeDefined();
    // The shared layer's problems are listed: 400 invalid-path with a path parameter, 401/403 for bearer ones.
    const create = doc.paths['/things']?.post as Parameters<typeof problemTypesByStatus>[0];
    expect(Object.keys(problemTypesByStatus(create)).sort()).toEqual(['401', '403', '422', '500', '504']);
    const remove = doc.paths['/things/{id}']?.delete as Parameters<typeof problemTypesByStatus>[0];
    expect(problemTypesByStatus(remove)['400']).toEqual([problemType('invalid-path')]);
  });

  it('throws for a route whose path parameter is not documented, or documents one the path lacks', () => {
    expect(() => openApiDocument([{ path: '/things/:id', get: operation() }], info)).toThrow(/path parameter id/);
    expect(() =>
      openApiDocument(
        [
          {
            path: '/things/:id/:part',
            get: operation({ path: { id: { description: 'id', schema: { type: 'string' } } } }),
          },
        ],
        info,
      ),
    ).toThrow(/part/);
    expect(() =>
      openApiDocument(
        [{ path: '/things', get: operation({ path: { id: { description: 'id', schema: { type: 'string' } } } }) }],
        info,
      ),
    ).toThrow(/no path parameter id/);
  });

  it('throws for two different schemas under one name', () => {
    const one = named('Thing', { type: 'string' });
    const other = named('Thing', { type: 'integer' });
    const routes: RouteDefinition[] = [
      {
        path: '/a',
        get: operation({
          operationId: 'a',
          responses: { 200: { description: 'OK', content: { 'application/json': one } } },
        }),
      },
      {
        path: '/b',
        get: operation({
          operationId: 'b',
          responses: { 200: { description: 'OK', content: { 'application/json': other } } },
        }),
      },
    ];
    expect(() => openApiDocument(routes, info)).toThrow(/two different schemas are named Thing/);
  });

  it('HttpError refuses a status that disagrees with PROBLEM_STATUS, so no problem is answered undocumented', () => {
    for (const [code, status] of Object.entries(PROBLEM_STATUS) as [ProblemCode, number][]) {
      expect(() => new HttpError(status, code, 'fine')).not.toThrow();
      expect(() => new HttpError(status === 400 ? 404 : 400, code, 'wrong')).toThrow(
        new RegExp(`${code} is answered with ${status}`),
      );
    }
  });

  it('serves and documents the same table: the app answers what its document lists', async () => {
    const routes: RouteDefinition[] = [
      { path: '/things/:id', get: operation({ path: { id: { description: 'id', schema: { type: 'string' } } } }) },
    ];
    const doc = openApiDocument(routes, info) as unknown as OpenApiDoc;
    const app = createApp(routes, QUIET);
    const options = await app.fetch(new Request('http://x/things/1', { method: 'OPTIONS' }));
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(documentedMethods(doc, '/things/{id}')).toEqual(['GET']);
    expect(answeredMethods(doc, '/things/{id}')).toEqual(['GET', 'HEAD', 'OPTIONS']);
    const head = await app.fetch(new Request('http://x/things/1', { method: 'HEAD' }));
    expect({ status: head.status, body: await head.text() }).toEqual({ status: 200, body: '' });
    expect((await app.fetch(new Request('http://x/things/1', { method: 'PUT' }))).status).toBe(405);
    const unknown = await app.fetch(new Request('http://x/nothing'));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toContain(CATALOG);
  });
});
