/**
 * OpenAPI 3.1 documents generated from the route table a component serves.
 *
 * Every method of a route is an {@link Operation}: its handler and its description (parameters, body, answers,
 * the problems it may answer) side by side, so a route cannot exist undocumented. `createApp` serves the
 * handlers; {@link openApiDocument} writes the same table as a document, adding what the shared HTTP layer
 * does for every route (304 to `If-None-Match`, 412 to a false `If-Match` on GET, the 504 of a spent budget, the
 * 500 of a failure, the 400 of a malformed path parameter, 401/403 of a write without the token, and the 405 with
 * `Allow` that any other method gets: in the path item's description and its `x-method-not-allowed` answer).
 *
 * HEAD and OPTIONS are answered for every route by the same code (method-dispatch.ts), the same way: HEAD is GET
 * without the body, OPTIONS is `204` with `Allow`. Listed as operations of every path they would triple the
 * catalog with copies that say nothing new, so they are documented once, in the document's
 * `x-head-and-options` (and in words in its description); each path item's description and its `Allow`
 * still name them among the path's methods.
 *
 * Schemas are JSON Schema 2020-12 (the dialect of OpenAPI 3.1). A schema worth a name is declared with
 * {@link named}: operations refer to it, and the document lists it once under `components.schemas`.
 *
 * @example
 * const Count = named('Count', { type: 'object', required: ['count'], properties: { count: { type: 'integer' } } });
 * const route = { path: '/customers/count', get: { operationId: 'customers.count', summary: 'How many customers', responses: { 200: ok(Count) }, problems: [], handle } };
 */
import {
  ROUTE_METHODS,
  type JsonSchema,
  type OperationDoc,
  type ParameterDoc,
  type ResponseDoc,
  type RouteDefinition,
} from './routes';
import { APP_VERSION } from './app-info';
import { allowOf } from './method-dispatch';
import { PROBLEM_CONTENT_TYPE, PROBLEM_STATUS, problemType, type ProblemCode } from './problem';

export type { JsonSchema, Operation, OperationDoc, ParameterDoc, ResponseDoc } from './routes';

const DEFINITION = Symbol('schema definition');

/** A reference to a schema that the document lists once under `components.schemas.<name>`. */
export function named(name: string, schema: JsonSchema): JsonSchema {
  return { $ref: `#/components/schemas/${name}`, [DEFINITION]: { name, schema } };
}

/** A `200` JSON answer. */
export const jsonResponse = (
  schema: JsonSchema,
  description = 'OK',
  headers?: Record<string, ParameterDoc>,
): ResponseDoc => ({
  description,
  content: { 'application/json': schema },
  ...(headers ? { headers } : {}),
});

/** An object with exactly these members, every one present. */
export const objectSchema = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  required: Object.keys(properties),
  additionalProperties: false,
  properties,
});

/** An array of `items`. */
export const arrayOf = (items: JsonSchema, description?: string): JsonSchema => ({
  type: 'array',
  ...(description ? { description } : {}),
  items,
});

/** `{"type": ["string", "null"], ...}`: the schema, or null. */
export const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type, 'null'] });

/** The problem+json body (RFC 9457) every error answer carries; extensions vary by problem. */
export const ProblemSchema = named('Problem', {
  type: 'object',
  description:
    'An error, as application/problem+json (RFC 9457). Some problems add members (errors, allowed, currentVersion...).',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'urn:aggregates-dashboard:problem:<code>' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The path of the request' },
  },
});

/** An OpenAPI document, as far as its readers rely on it (the full rules are the OpenAPI 3.1 schema's). */
export const OpenApiDocumentSchema = named('OpenApiDocument', {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.' },
    info: { type: 'object' },
    paths: { type: 'object' },
    components: { type: 'object' },
  },
});

export const BUDGET_PARAMETER: ParameterDoc = {
  description: 'Milliseconds the caller will still wait; a request whose budget is spent is answered 504 at once.',
  schema: { type: 'string', pattern: '^-?[0-9]{1,9}$' },
};

/** The problems the shared HTTP layer may answer to any operation. */
const SHARED_PROBLEMS: readonly ProblemCode[] = ['gateway-timeout', 'internal-error'];

export interface DocumentInfo {
  title: string;
  /** The component's version (the app's, from spin.toml). */
  version: string;
  description: string;
  /** The component's name in spin.toml: the tag of its operations. */
  component: string;
}

/** A component's document info: titled and tagged with its spin.toml name, at the app's version. */
export function componentInfo(component: string, description: string): DocumentInfo {
  return { title: component, version: APP_VERSION, component, description };
}

export type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes?: Record<string, unknown> };
  [extension: `x-${string}`]: unknown;
};

export const OPENAPI_VERSION = '3.1.1';

/** `/customers/items/:id` -> `/customers/items/{id}`. */
export const templatePath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The names of a route's path parameters, in order. */
export const pathParameterNames = (path: string): string[] =>
  [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');

function problemResponses(codes: readonly ProblemCode[]): Record<string, ResponseDoc> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const status = PROBLEM_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ResponseDoc> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const types = list.map(problemType);
    responses[String(status)] = {
      description: list.join(', '),
      content: { [PROBLEM_CONTENT_TYPE]: { allOf: [ProblemSchema, { properties: { type: { enum: types } } }] } },
    };
  }
  return responses;
}

function parameters(route: RouteDefinition, operation: OperationDoc): unknown[] {
  const list: unknown[] = [];
  for (const name of pathParameterNames(route.path)) {
    const doc = operation.path?.[name];
    if (!doc)
      throw new Error(`${operation.operationId}: the path parameter ${name} of ${route.path} is not documented`);
    list.push({ name, in: 'path', required: true, description: doc.description, schema: doc.schema });
  }
  for (const name of Object.keys(operation.path ?? {})) {
    if (!pathParameterNames(route.path).includes(name))
      throw new Error(`${operation.operationId}: ${route.path} has no path parameter ${name}`);
  }
  for (const [name, doc] of Object.entries(operation.query ?? {})) {
    list.push({ name, in: 'query', required: doc.required ?? false, description: doc.description, schema: doc.schema });
  }
  for (const [name, doc] of Object.entries(operation.headers ?? {})) {
    list.push({
      name,
      in: 'header',
      required: doc.required ?? false,
      description: doc.description,
      schema: doc.schema,
    });
  }
  list.push({
    name: 'x-budget-ms',
    in: 'header',
    required: false,
    description: BUDGET_PARAMETER.description,
    schema: BUDGET_PARAMETER.schema,
  });
  return list;
}

function responseObject(doc: ResponseDoc, withBody: boolean): Record<string, unknown> {
  return {
    description: doc.description,
    ...(doc.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(doc.headers).map(([name, h]) => [name, { description: h.description, schema: h.schema }]),
          ),
        }
      : {}),
    ...(doc.content && withBody
      ? { content: Object.fromEntries(Object.entries(doc.content).map(([type, schema]) => [type, { schema }])) }
      : {}),
  };
}

/** The operation object of `method`. */
function operationObject(
  route: RouteDefinition,
  method: string,
  operation: OperationDoc,
  component: string,
): Record<string, unknown> {
  const problems = [
    ...operation.problems,
    ...(pathParameterNames(route.path).length > 0 ? (['invalid-path'] as const) : []),
    ...(operation.bearer ? (['unauthorized', 'writes-disabled'] as const) : []),
    // A read's If-Match (etag.ts): 412 when it names none of the current strong ETag.
    ...(method === 'get' ? (['precondition-failed'] as const) : []),
    ...SHARED_PROBLEMS,
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(operation.responses)) responses[status] = responseObject(doc, true);
  if (method === 'get')
    responses['304'] = { description: 'Not modified: the If-None-Match of the request names the current ETag' };
  for (const [status, doc] of Object.entries(problemResponses(problems))) responses[status] = responseObject(doc, true);
  const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
  const parameterList = parameters(route, operation);
  if (method === 'get') {
    parameterList.push(
      {
        name: 'If-Match',
        in: 'header',
        required: false,
        description:
          'An ETag (strong comparison: a weak one never matches) or *: 412 unless it names the current ETag, checked before If-None-Match',
        schema: { type: 'string' },
      },
      {
        name: 'If-None-Match',
        in: 'header',
        required: false,
        description: 'An ETag of an earlier answer: 304 while it is current',
        schema: { type: 'string' },
      },
    );
  }
  return {
    tags: [component],
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    parameters: parameterList,
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            ...(operation.body.description ? { description: operation.body.description } : {}),
            content: Object.fromEntries(
              operation.body.contentTypes.map((type) => [type, { schema: operation.body?.schema }]),
            ),
          },
        }
      : {}),
    ...(operation.bearer ? { security: [{ bearer: [] }] } : {}),
    responses: sorted,
  };
}

/** The extension of a document that documents, once for all its paths, the HEAD and OPTIONS every path answers. */
export const HEAD_AND_OPTIONS_EXTENSION = 'x-head-and-options';

/** What every document says in words of HEAD and OPTIONS (its `x-head-and-options` says it in detail). */
export const HEAD_AND_OPTIONS_SENTENCE =
  'Every path also answers OPTIONS, and HEAD wherever it answers GET; they are documented once, in x-head-and-options, not as operations of each path.';

/** HEAD and OPTIONS, as every route answers them (method-dispatch.ts, http.ts): said once per document. */
function headAndOptions(): Record<string, unknown> {
  const shared = Object.fromEntries(
    Object.entries(problemResponses(SHARED_PROBLEMS)).map(([status, doc]) => [status, responseObject(doc, true)]),
  );
  return {
    description:
      "The two methods every path answers the same way, whatever its operations: HEAD wherever GET is answered, and OPTIONS everywhere. Each path item's description lists them among its methods, and the Allow of its 405 and of OPTIONS names them.",
    head: {
      description:
        "GET's answer without its body: the same status and headers (ETag, Content-Type...), with the same If-Match (412) and If-None-Match (304) rules and the same problems, each without its body. The GET operation's parameters and responses are HEAD's.",
    },
    options: {
      description:
        'The methods of the path: 204, no body, with Allow. Path parameters are not read, so any value is answered.',
      responses: {
        '204': {
          description: 'No content; the methods are in Allow',
          headers: { Allow: { description: 'The methods of this path', schema: { type: 'string' } } },
        },
        ...shared,
      },
    },
  };
}

/** The extension of a path item that documents the `405` every method it does not list is answered. */
export const METHOD_NOT_ALLOWED_EXTENSION = 'x-method-not-allowed';

/** What a path answers to a method it does not list: `405` problem+json with `Allow`, as a response object. */
function methodNotAllowed(allow: string): { description: string; object: Record<string, unknown> } {
  const description = `Methods: ${allow}. Any other method is answered 405 (method-not-allowed, application/problem+json) with Allow listing these.`;
  const [response] = Object.values(problemResponses(['method-not-allowed']));
  return {
    description,
    object: {
      ...responseObject({ ...(response as ResponseDoc), description: `Another method than ${allow}` }, true),
      headers: {
        Allow: { description: `The methods of this path: ${allow}`, schema: { type: 'string', const: allow } },
      },
    },
  };
}

/** Puts every named schema reachable from `value` into `schemas` (by name; two different ones with one name is a bug). */
function collectSchemas(value: unknown, schemas: Record<string, JsonSchema>): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) collectSchemas(item, schemas);
    return;
  }
  const definition = (value as { [DEFINITION]?: { name: string; schema: JsonSchema } })[DEFINITION];
  if (definition) {
    const known = schemas[definition.name];
    if (known && known !== definition.schema) throw new Error(`two different schemas are named ${definition.name}`);
    if (!known) {
      schemas[definition.name] = definition.schema;
      collectSchemas(definition.schema, schemas);
    }
  }
  for (const item of Object.values(value)) collectSchemas(item, schemas);
}

/** Plain JSON: drops the symbol-keyed definitions that `named` attaches to references. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The OpenAPI 3.1 document of a component's route table. */
export function openApiDocument(routes: RouteDefinition[], info: DocumentInfo): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, JsonSchema> = {};
  let bearer = false;
  for (const route of routes) {
    const item: Record<string, unknown> = {};
    for (const method of ROUTE_METHODS) {
      const operation = route[method];
      if (!operation) continue;
      bearer ||= operation.bearer === true;
      item[method] = operationObject(route, method, operation, info.component);
    }
    const notAllowed = methodNotAllowed(allowOf(route));
    item.description = notAllowed.description;
    item[METHOD_NOT_ALLOWED_EXTENSION] = notAllowed.object;
    collectSchemas(item, schemas);
    paths[templatePath(route.path)] = item;
  }
  const shared = headAndOptions();
  collectSchemas(shared, schemas);
  collectSchemas(ProblemSchema, schemas);
  const sortedSchemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return plain({
    openapi: OPENAPI_VERSION,
    info: { title: info.title, version: info.version, description: `${info.description} ${HEAD_AND_OPTIONS_SENTENCE}` },
    tags: [{ name: info.component, description: info.description }],
    paths,
    components: {
      schemas: sortedSchemas,
      ...(bearer
        ? {
            securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The api_token Spin variable' } },
          }
        : {}),
    },
    [HEAD_AND_OPTIONS_EXTENSION]: shared,
  });
}

/**
 * `routes` plus the route that answers their document, `GET <path>`, which lists itself too. The document is
 * written here, when the app is made: in a component that is at build time (the module's top level is
 * snapshotted), so no request pays for it.
 */
export function withOpenApi(routes: RouteDefinition[], path: string, info: DocumentInfo): RouteDefinition[] {
  let text = '';
  const documentRoute: RouteDefinition = {
    path,
    get: {
      operationId: `${info.component.replace(/-service$/, '')}.openapi`,
      summary: `The OpenAPI 3.1 document of ${info.component}`,
      responses: { 200: jsonResponse(OpenApiDocumentSchema, 'An OpenAPI 3.1 document') },
      problems: [],
      handle: () => new Response(text, { headers: { 'content-type': 'application/json' } }),
    },
  };
  const all = [...routes, documentRoute];
  text = JSON.stringify(openApiDocument(all, info));
  return all;
}
