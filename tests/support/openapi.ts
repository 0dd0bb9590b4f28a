/**
 * Checks of the components' OpenAPI 3.1 documents, shared by the unit and end-to-end tests:
 *
 * - {@link validateDocument}: the document against the official OpenAPI 3.1 schema (vendored in
 *   schemas/openapi-3.1.schema.json, see schemas/README.md), plus every schema object in it checked as JSON
 *   Schema 2020-12 and compiled with its `#/components/schemas/...` references resolved against the document;
 * - {@link responseValidator} / {@link requestBodyValidator}: Ajv validators of a documented body;
 * - {@link operations}: every (path template, method, operation) of a document;
 * - small readers of an operation: its statuses, problem types, parameters.
 *
 * Ajv 8 (`ajv/dist/2020`) with `strict: false`, since OpenAPI adds keywords of its own (`example`, `xml`...).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';

/** A JSON Schema (2020-12) object, as a document holds it. */
export type JsonSchema = Record<string, unknown> | boolean;

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

export interface MediaTypeObject {
  schema?: JsonSchema;
}

export interface HeaderObject {
  description?: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject>;
  security?: Record<string, string[]>[];
}

/** An OpenAPI 3.1 document, as far as these helpers read it (the vendored schema checks the rest). */
export interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, JsonSchema>; securitySchemes?: Record<string, unknown> };
  [extension: string]: unknown;
}

/** The methods a path item may hold operations for, in the order OpenAPI lists them. */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface OperationEntry {
  /** The path template (`/customers/items/{id}`). */
  path: string;
  method: HttpMethod;
  operation: OperationObject;
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_PREFIX = 'urn:aggregates-dashboard:problem:';

const SCHEMA_FILE = new URL('../../schemas/openapi-3.1.schema.json', import.meta.url);

/** The official OpenAPI 3.1 schema (version 2022-10-07), exactly as vendored. */
export function loadOpenApiSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
}

/**
 * The vendored schema as Ajv can run it. Ajv 8 resolves a `$dynamicRef` to the root of the function being
 * compiled instead of the outermost `$dynamicAnchor` (ajv-validator/ajv#1573; the TODO in its dynamicRef.js),
 * so `"schema": {"$dynamicRef": "#meta"}` inside a parameter was checked as a parameter. In this schema,
 * used on its own, the only `meta` anchor is `$defs/schema`: the dynamic reference can only resolve there, so
 * it is replaced by the equivalent static `$ref`, in memory only (the file stays unmodified).
 */
export function openApiSchemaForAjv(schema = loadOpenApiSchema()): Record<string, unknown> {
  const anchors = collect(schema, (node) => typeof node.$dynamicAnchor === 'string').map((node) => node.$dynamicAnchor);
  if (JSON.stringify(anchors) !== JSON.stringify(['meta']))
    throw new Error(`expected one $dynamicAnchor "meta" in the OpenAPI schema, found ${JSON.stringify(anchors)}`);
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replace);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) =>
        key === '$dynamicRef' && item === '#meta' ? ['$ref', '#/$defs/schema'] : [key, replace(item)],
      ),
    );
  };
  return replace(schema) as Record<string, unknown>;
}

/** Every object node of a JSON value for which `test` holds, depth first. */
function collect(
  value: unknown,
  test: (node: Record<string, unknown>) => boolean,
  found: Record<string, unknown>[] = [],
): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const item of value) collect(item, test, found);
  else if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (test(node)) found.push(node);
    for (const item of Object.values(node)) collect(item, test, found);
  }
  return found;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The formats the OpenAPI schema and the documents use, checked loosely (their exact grammars are not what
 * these tests are about). Any other format is reported by {@link validateDocument}.
 */
const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value.toUpperCase())),
  uri: (value) => /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(value),
  'uri-reference': (value) => !/\s/.test(value),
  email: (value) => /^[^\s@]+@[^\s@]+$/.test(value),
  'media-range': (value) => /^[^\s/]+\/[^\s/;]+(?:\s*;.*)?$/.test(value),
};

interface AjvHandle {
  ajv: Ajv2020;
  warnings: string[];
}

function newAjv(): AjvHandle {
  const warnings: string[] = [];
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    // Unknown formats are warned about under strict: false; they are collected instead of printed.
    logger: {
      log: () => {},
      warn: (...args: unknown[]) => void warnings.push(args.map(String).join(' ')),
      error: (...args: unknown[]) => void warnings.push(args.map(String).join(' ')),
    },
  });
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate });
  return { ajv, warnings };
}

let documentValidator: ValidateFunction | undefined;

/** `instancePath message` lines of Ajv errors. */
export const describeErrors = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.keyword === 'enum' || e.keyword === 'const' ? ` ${JSON.stringify(e.params)}` : ''}`,
  );

/** The errors of `doc` against the OpenAPI 3.1 schema alone. */
export function structureErrors(doc: unknown): string[] {
  documentValidator ??= newAjv().ajv.compile(openApiSchemaForAjv());
  return documentValidator(doc) ? [] : describeErrors(documentValidator.errors);
}

/** JSON Pointer (RFC 6901) escaping of one reference token. */
export const escapePointerToken = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');

/** A URI fragment holding the JSON Pointer to `tokens` (each escaped, then percent-encoded for the URI). */
export const pointerFragment = (tokens: readonly string[]): string =>
  `#${tokens.map((t) => `/${encodeURIComponent(escapePointerToken(t))}`).join('')}`;

interface DocumentAjv extends AjvHandle {
  id: string;
  compiled: Map<string, ValidateFunction>;
}

const documentAjvs = new WeakMap<object, DocumentAjv>();
let documentCount = 0;

/** An Ajv instance that knows `doc` as a schema under its own `$id`, so pointers into it can be compiled. */
function ajvFor(doc: OpenApiDoc): DocumentAjv {
  let handle = documentAjvs.get(doc);
  if (!handle) {
    const id = `https://openapi-documents.test/${++documentCount}/openapi.json`;
    const made = newAjv();
    // Not meta-validated as a whole: a document is not a schema; its schema objects are checked one by one.
    made.ajv.addSchema(doc, id, undefined, false);
    handle = { ...made, id, compiled: new Map() };
    documentAjvs.set(doc, handle);
  }
  return handle;
}

/** A validator of the schema at `tokens` inside `doc` (its `$ref`s resolved against the document). */
export function schemaValidator(doc: OpenApiDoc, tokens: readonly string[]): ValidateFunction {
  const handle = ajvFor(doc);
  const ref = `${handle.id}${pointerFragment(tokens)}`;
  let validate = handle.compiled.get(ref);
  if (!validate) {
    if (valueAt(doc, tokens) === undefined) throw new Error(`the document has nothing at ${pointerFragment(tokens)}`);
    validate = handle.ajv.compile({ $ref: ref });
    handle.compiled.set(ref, validate);
  }
  return validate;
}

/** The value at a JSON Pointer given as tokens, or `undefined`. */
export function valueAt(value: unknown, tokens: readonly string[]): unknown {
  let node = value;
  for (const token of tokens) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, token))
      return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** Every schema object of a document, as pointer tokens: component schemas, parameters, bodies, answers and their headers. */
export function schemaLocations(doc: OpenApiDoc): string[][] {
  const locations: string[][] = Object.keys(doc.components?.schemas ?? {}).map((name) => [
    'components',
    'schemas',
    name,
  ]);
  for (const { path, method, operation } of operations(doc)) {
    const at = ['paths', path, method];
    (operation.parameters ?? []).forEach((parameter, index) => {
      if (parameter.schema !== undefined) locations.push([...at, 'parameters', String(index), 'schema']);
    });
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
      if (media.schema !== undefined) locations.push([...at, 'requestBody', 'content', type, 'schema']);
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      for (const [name, header] of Object.entries(response.headers ?? {})) {
        if (header.schema !== undefined) locations.push([...at, 'responses', status, 'headers', name, 'schema']);
      }
      for (const [type, media] of Object.entries(response.content ?? {})) {
        if (media.schema !== undefined) locations.push([...at, 'responses', status, 'content', type, 'schema']);
      }
    }
  }
  return locations;
}

/**
 * What is wrong with the schema objects of `doc`: each must be valid JSON Schema 2020-12 (checked against the
 * meta-schema), compile with its references resolved against the document, and use only known formats.
 */
export function schemaErrors(doc: OpenApiDoc): string[] {
  const handle = ajvFor(doc);
  const errors: string[] = [];
  for (const tokens of schemaLocations(doc)) {
    const where = pointerFragment(tokens);
    const schema = valueAt(doc, tokens);
    if (!handle.ajv.validateSchema(schema as JsonSchema))
      errors.push(...describeErrors(handle.ajv.errors).map((e) => `${where}: not JSON Schema 2020-12: ${e}`));
    try {
      schemaValidator(doc, tokens);
    } catch (error) {
      errors.push(`${where}: does not compile: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const schemas = schemaLocations(doc).map((tokens) => valueAt(doc, tokens));
  for (const format of new Set(collect(schemas, (n) => typeof n.format === 'string').map((n) => String(n.format)))) {
    if (!(format in FORMATS)) errors.push(`unknown format ${format}`);
  }
  errors.push(...handle.warnings.map((w) => `Ajv: ${w}`));
  return errors;
}

/** Every way `doc` is not a valid OpenAPI 3.1 document with valid schemas: the structure, then the schemas. */
export function validateDocument(doc: unknown): string[] {
  const structure = structureErrors(doc);
  if (structure.length > 0) return structure;
  return schemaErrors(doc as OpenApiDoc);
}

/** Every operation of `doc`: (path template, method, operation), in document order. */
export function operations(doc: OpenApiDoc): OperationEntry[] {
  const list: OperationEntry[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation !== undefined) list.push({ path, method, operation: operation as OperationObject });
    }
  }
  return list;
}

/** The methods `doc` documents as operations on `path`, upper case, in OpenAPI's order. */
export const documentedMethods = (doc: OpenApiDoc, path: string): string[] =>
  HTTP_METHODS.filter((method) => doc.paths[path]?.[method] !== undefined).map((method) => method.toUpperCase());

/** Where a document says, once for all its paths, that every path answers HEAD (beside GET) and OPTIONS. */
export const HEAD_AND_OPTIONS = 'x-head-and-options';

/**
 * The methods `doc` says `path` answers: its operations, plus HEAD beside GET and OPTIONS, which the document
 * states once in `x-head-and-options` rather than per path. Throws for a document that does not say so.
 */
export function answeredMethods(doc: OpenApiDoc, path: string): string[] {
  const shared = doc[HEAD_AND_OPTIONS] as { head?: unknown; options?: unknown } | undefined;
  if (shared?.head === undefined || shared.options === undefined)
    throw new Error(`the document does not say in ${HEAD_AND_OPTIONS} how HEAD and OPTIONS are answered`);
  const methods = documentedMethods(doc, path);
  return [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
}

/**
 * `doc` with HEAD and OPTIONS written out as operations of each path, as its `x-head-and-options` says every
 * path answers them: HEAD beside each GET (GET's parameters and answers, without bodies), OPTIONS on every path
 * (the answers `x-head-and-options` gives it, the path's parameters as text). For a test that calls every
 * operation: it calls these too, and holds them to what the document says of them. Throws for a document that
 * does not say how HEAD and OPTIONS are answered, or that lists them as operations itself.
 */
export function withHeadAndOptions(doc: OpenApiDoc): OpenApiDoc {
  const shared = doc[HEAD_AND_OPTIONS] as { head?: unknown; options?: { responses?: unknown } } | undefined;
  if (shared?.head === undefined || !shared.options?.responses)
    throw new Error(`the document does not say in ${HEAD_AND_OPTIONS} how HEAD and OPTIONS are answered`);
  const copy = JSON.parse(JSON.stringify(doc)) as OpenApiDoc;
  for (const [path, item] of Object.entries(copy.paths)) {
    if (item.head !== undefined || item.options !== undefined)
      throw new Error(`${path} lists HEAD or OPTIONS itself, beside ${HEAD_AND_OPTIONS}`);
    const first = HTTP_METHODS.map((method) => item[method] as OperationObject | undefined).find(Boolean);
    const get = item.get as OperationObject | undefined;
    if (get) {
      const head = JSON.parse(JSON.stringify(get)) as OperationObject;
      delete head.requestBody;
      for (const response of Object.values(head.responses)) delete response.content;
      item.head = { ...head, operationId: `${get.operationId}.head` };
    }
    item.options = {
      ...(first?.tags ? { tags: first.tags } : {}),
      operationId: `${first?.operationId ?? path}.options`,
      parameters: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      responses: JSON.parse(JSON.stringify(shared.options.responses)) as Record<string, ResponseObject>,
    };
  }
  return copy;
}

/** The response object `operation` documents for `status` (exact code, then `4XX`-style range, then `default`), with its key. */
export function responseFor(
  operation: OperationObject,
  status: number,
): { key: string; response: ResponseObject } | undefined {
  for (const key of [String(status), `${String(status).charAt(0)}XX`, 'default']) {
    const response = operation.responses[key];
    if (response) return { key, response };
  }
  return undefined;
}

/** The statuses `operation` documents, as the keys of its responses. */
export const documentedStatuses = (operation: OperationObject): string[] => Object.keys(operation.responses);

/** The media type of a `content-type` header, lower case, without parameters. */
export const mediaTypeOf = (contentType: string | null): string | null =>
  contentType === null ? null : (contentType.split(';')[0] ?? '').trim().toLowerCase();

/**
 * A validator of the body `doc` documents for this answer: `path` a template of `doc.paths`, `method` lower
 * case, `contentType` a key of the response's content (parameters are ignored).
 */
export function responseValidator(
  doc: OpenApiDoc,
  path: string,
  method: string,
  status: number | string,
  contentType: string,
): ValidateFunction {
  const operation = doc.paths[path]?.[method] as OperationObject | undefined;
  if (!operation) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
  const found =
    typeof status === 'number'
      ? responseFor(operation, status)
      : { key: status, response: operation.responses[status] };
  if (!found?.response) throw new Error(`${method.toUpperCase()} ${path} documents no answer ${status}`);
  const media = mediaTypeOf(contentType) ?? contentType;
  const type = Object.keys(found.response.content ?? {}).find((t) => t.toLowerCase() === media);
  if (type === undefined)
    throw new Error(`${method.toUpperCase()} ${path} documents no ${media} body for ${found.key}`);
  return schemaValidator(doc, ['paths', path, method, 'responses', found.key, 'content', type, 'schema']);
}

/** A validator of the request body `doc` documents for this operation and media type. */
export function requestBodyValidator(
  doc: OpenApiDoc,
  path: string,
  method: string,
  contentType: string,
): ValidateFunction {
  const operation = doc.paths[path]?.[method] as OperationObject | undefined;
  const type = Object.keys(operation?.requestBody?.content ?? {}).find(
    (t) => t.toLowerCase() === contentType.toLowerCase(),
  );
  if (!operation || type === undefined)
    throw new Error(`${method.toUpperCase()} ${path} documents no ${contentType} request body`);
  return schemaValidator(doc, ['paths', path, method, 'requestBody', 'content', type, 'schema']);
}

/**
 * The problem types `operation` documents for `status`: the `enum` of the `type` member that the problem+json
 * schema adds to `#/components/schemas/Problem` (`allOf`). Empty when it documents no problem for it.
 */
export function problemTypes(operation: OperationObject, status: number): string[] {
  const schema = responseFor(operation, status)?.response.content?.[PROBLEM_MEDIA_TYPE]?.schema;
  if (typeof schema !== 'object') return [];
  const types: string[] = [];
  for (const part of (schema.allOf as unknown[] | undefined) ?? [schema]) {
    const values = valueAt(part, ['properties', 'type', 'enum']);
    if (Array.isArray(values)) types.push(...values.map(String));
  }
  return types;
}

/** Every problem type `operation` documents, by status. */
export function problemTypesByStatus(operation: OperationObject): Record<string, string[]> {
  const byStatus: Record<string, string[]> = {};
  for (const status of documentedStatuses(operation)) {
    const types = /^\d+$/.test(status) ? problemTypes(operation, Number(status)) : [];
    if (types.length > 0) byStatus[status] = types;
  }
  return byStatus;
}

/** The parameters of `operation` in `location`. */
export const parametersIn = (operation: OperationObject, location: ParameterObject['in']): ParameterObject[] =>
  (operation.parameters ?? []).filter((p) => p.in === location);

/** The path template of `doc` that a concrete path matches (a `{name}` matches one non-empty segment), or `undefined`. */
export function matchPath(doc: OpenApiDoc, concrete: string): string | undefined {
  const segments = concrete.split('/');
  return Object.keys(doc.paths).find((template) => {
    const parts = template.split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, i) => (/^\{[^}]+\}$/.test(part) ? (segments[i] ?? '') !== '' : part === segments[i]))
    );
  });
}
