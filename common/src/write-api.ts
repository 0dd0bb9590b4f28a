/**
 * The write side of an aggregate over HTTP, shared by the customers and incidents components:
 *
 * - `POST <collection>` creates (`201`, `Location`, `ETag`, the resource); the server picks the id (a UUID);
 * - `PUT <item>` replaces the writable fields, `PATCH <item>` applies a JSON Merge Patch (RFC 7396) to them
 *   (`application/merge-patch+json`, or `application/json`), `DELETE <item>` deletes (`204`);
 * - optimistic concurrency: an item's `ETag` is its version in quotes (`"3"`); PUT, PATCH and DELETE need a
 *   matching `If-Match` (`428` without one, `412` with a stale one, naming the current version);
 * - writes need `Authorization: Bearer <api_token>` (see auth.ts); reads stay open.
 *
 * Every write runs in one `BEGIN IMMEDIATE` transaction that reads the current version, checks it, and
 * writes; the database's triggers bump the version and append the event in the same statement. Errors
 * answer before anything is written: 401/403, 400 (a query parameter: writes take none), 428, 415, 413, 400,
 * 422, 404, 412, 409. Numbers in bodies are judged on their JSON text (field-rules.ts), not on the double.
 */
import { requireBearer } from './auth';
import { ifMatchAccepts } from './etag';
import type { RouteContext } from './routes';
import { json } from './responses';
import { DATA_VERSION_DOC } from './event-feed';
import type { JsonSchema, Operation, ParameterDoc } from './openapi';
import { MAX_BODY_BYTES, readJsonBody } from './json-body';
import type { BodyMode, Field, FieldError, FieldSet, FieldValues } from './field-rules';
import { checkQueryNames } from './paging';
import { ID_PARAMETER, parseId } from './params';
import { HttpError } from './problem';
import { inTransaction, type Database } from './sql';
import type { Versioned } from './wire/versioned';

/** An aggregate's storage; `create`, `replace` and `remove` run inside the write transaction. */
export interface AggregateStore<W, R extends Versioned> {
  /** The resource with this id (ASCII case ignored), or `null`. */
  find(id: string): R | null;
  /**
   * What is wrong with a new aggregate's fields beyond each field's own rules (a reference to nothing), listed
   * in the same 422 as the rest. `create` checks again inside its transaction.
   */
  createErrors?(valid: Partial<W>): FieldError[];
  /** Inserts a new aggregate with this id; may refuse with an `HttpError` (a reference to nothing: 422). */
  create(id: string, values: W): void;
  /** Writes the given field values over `current`'s, for PUT (all) and PATCH (some); others stay as stored. May refuse, as `create`. */
  update(current: R, values: Partial<W>): void;
  /** Deletes `current` (which may refuse: something still refers to it, 409). */
  remove(current: R): void;
}

export interface WriteApiOptions<F extends Record<string, Field<unknown>>, R extends Versioned> {
  /** `customer`, `incident`: for messages. */
  noun: string;
  /** `customers`, `incidents`: the first part of the operation ids. */
  plural: string;
  /** The schema of the resource every read and write answers. */
  resource: JsonSchema;
  /** Whether something may still refer to an aggregate, so that deleting it can be a 409. */
  referenced?: boolean;
  /** Headers of a read, computed before the data is read: the component's `Data-Version` (event-feed.ts). */
  readHeaders?: () => Record<string, string>;
  /** The collection's path (`/customers/items`); items are `<collection>/<id>`. */
  collection: string;
  fields: FieldSet<F>;
  openDatabase: () => Database;
  store(db: Database): AggregateStore<FieldValues<F>, R>;
  /** The configured API token (`api_token`), or `null` when none is. */
  apiToken: () => string | null;
  newId: () => string;
}

export interface WriteRoutes {
  create: Operation;
  read: Operation;
  replace: Operation;
  patch: Operation;
  remove: Operation;
}

const IF_MATCH: Record<string, ParameterDoc> = {
  'If-Match': {
    required: true,
    description: 'The ETag of the version you read ("3"), or *',
    schema: { type: 'string' },
  },
};
const ETAG_HEADER: Record<string, ParameterDoc> = {
  ETag: { description: 'The version, quoted: "3"', schema: { type: 'string' } },
};
const BODY_PROBLEMS = [
  'invalid-query',
  'invalid-json',
  'unsupported-media-type',
  'payload-too-large',
  'validation-failed',
] as const;
const CONDITIONAL_PROBLEMS = [
  'invalid-query',
  'invalid-id',
  'not-found',
  'precondition-required',
  'precondition-failed',
] as const;

/** An item's entity tag: its version, quoted (a strong tag). */
export const versionTag = (version: number): string => `"${version}"`;

/**
 * A write the database's own schema refuses: a database made with the upstream sample's schema declares
 * `City`, `Country` and `Category` NOT NULL, which the API's rules allow to be null. Reported as the 422 it is,
 * naming the field (the column with its first letter lower-cased), not as a server error.
 */
function schemaRefusal(error: unknown): HttpError | null {
  const message = error instanceof Error ? error.message : '';
  const column = /NOT NULL constraint failed: \w+\.(\w+)/.exec(message)?.[1];
  if (!column) return null;
  const field = `${column.charAt(0).toLowerCase()}${column.slice(1)}`;
  return new HttpError(
    422,
    'validation-failed',
    `The body has an invalid field: ${field} is required by this database's schema.`,
    {},
    {
      errors: [{ field, message: "is required by this database's schema (a NOT NULL column)" }],
    },
  );
}

/** Runs a write transaction, turning the schema's refusals into 422s. */
function writeTransaction<T>(db: Database, work: () => T): T {
  try {
    return inTransaction(db, work);
  } catch (error) {
    throw schemaRefusal(error) ?? error;
  }
}

const JSON_TYPES = ['application/json'];
const MERGE_PATCH_TYPES = ['application/merge-patch+json', 'application/json'];

export function writeRoutes<F extends Record<string, Field<unknown>>, R extends Versioned>(
  options: WriteApiOptions<F, R>,
): WriteRoutes {
  const { noun, plural, collection, fields, resource } = options;
  const bodyDoc = (mode: BodyMode, contentTypes: readonly string[]) => ({
    contentTypes,
    schema: fields.bodySchema(mode),
    description: `At most ${MAX_BODY_BYTES / 1024} KiB of strict JSON (no duplicate member names, nesting to depth 32). Read-only members (${fields.readOnly.join(', ')}) are refused. Numbers are judged on their exact value as written.`,
  });
  const answer = (description: string, headers: Record<string, ParameterDoc> = ETAG_HEADER) => ({
    description,
    content: { 'application/json': resource },
    headers,
  });
  const idPath = { id: ID_PARAMETER };
  const notFound = (id: string) =>
    new HttpError(404, 'not-found', `There is no ${noun} with id ${JSON.stringify(id)}.`);
  const resourceResponse = (resource: R, status: number, headers: Record<string, string> = {}) =>
    json(resource, {
      status,
      headers: { etag: versionTag(resource.version), 'cache-control': 'no-store', ...headers },
    });

  /** The `If-Match` of a conditional write: required before anything else is looked at. */
  const requireIfMatch = (request: Request): string => {
    const header = request.headers.get('if-match');
    if (header === null || header.trim() === '') {
      throw new HttpError(
        428,
        'precondition-required',
        `Send If-Match with the ETag of the ${noun} you read (its version in quotes, e.g. If-Match: "1"), so a concurrent change is not overwritten.`,
      );
    }
    return header;
  };

  /** In one transaction: the current resource (404), the If-Match check (412), then `write`, then the result. */
  const conditionalWrite = (
    context: RouteContext,
    ifMatch: string,
    write: (store: AggregateStore<FieldValues<F>, R>, current: R) => 'deleted' | 'updated',
  ): R | null => {
    const id = parseId(context.params.id ?? '');
    const db = options.openDatabase();
    const store = options.store(db);
    return writeTransaction(db, () => {
      const current = store.find(id);
      if (!current) throw notFound(id);
      const tag = versionTag(current.version);
      if (!ifMatchAccepts(ifMatch, tag)) {
        throw new HttpError(
          412,
          'precondition-failed',
          `The ${noun} has changed since you read it: it is at version ${current.version} (ETag ${tag}); read it again and retry.`,
          {},
          {
            currentVersion: current.version,
            currentETag: tag,
          },
        );
      }
      if (write(store, current) === 'deleted') return null;
      const updated = store.find(current.id);
      if (!updated) throw new Error(`${noun} ${current.id} vanished inside its own write transaction`);
      return updated;
    });
  };

  // A token read from a file (a Kubernetes Secret made with --from-file) may end in a newline: not part of it.
  // Then the query: writes take no query parameter, and one is refused as a list refuses one it does not know.
  const authorize = (request: Request, url: URL) => {
    requireBearer(request, options.apiToken()?.trim() ?? null);
    checkQueryNames(url, []);
  };

  const update = (context: RouteContext, ifMatch: string, values: Partial<FieldValues<F>>): Response => {
    const updated = conditionalWrite(context, ifMatch, (store, current) => {
      store.update(current, values);
      return 'updated';
    });
    return resourceResponse(updated as R, 200);
  };

  /** PUT (`full`: every field) or PATCH (`partial`: the fields the body names), conditional on `If-Match`. */
  const updateOperation = (
    verb: string,
    mode: 'full' | 'partial',
    contentTypes: readonly string[],
    summary: string,
  ): Operation => ({
    operationId: `${plural}.${verb}`,
    summary,
    bearer: true,
    path: idPath,
    headers: IF_MATCH,
    body: bodyDoc(mode, contentTypes),
    responses: { 200: answer(`The ${noun} as written`) },
    problems: [...CONDITIONAL_PROBLEMS, ...BODY_PROBLEMS],
    handle: async (context) => {
      authorize(context.request, context.url);
      const ifMatch = requireIfMatch(context.request);
      const body = await readJsonBody(context.request, contentTypes, { numbers: 'text' });
      const values = mode === 'full' ? fields.parse(body, 'full') : fields.parse(body, 'partial');
      return update(context, ifMatch, values);
    },
  });

  return {
    read: {
      operationId: `${plural}.read`,
      summary: `One ${noun}`,
      path: idPath,
      responses: { 200: answer(`The ${noun}`, { ...ETAG_HEADER, ...(options.readHeaders ? DATA_VERSION_DOC : {}) }) },
      problems: ['invalid-id', 'not-found'],
      handle: ({ params }) => {
        const id = parseId(params.id ?? '');
        const headers = options.readHeaders?.() ?? {};
        const found = options.store(options.openDatabase()).find(id);
        if (!found) throw notFound(id);
        return json(found, { headers: { ...headers, etag: versionTag(found.version) } });
      },
    },

    create: {
      operationId: `${plural}.create`,
      summary: `Creates a ${noun}`,
      description: 'The server picks the id (a UUID). Every bad field is listed at once in the 422.',
      bearer: true,
      body: bodyDoc('create', JSON_TYPES),
      responses: {
        201: answer(`The new ${noun}`, {
          ...ETAG_HEADER,
          Location: { description: `The ${noun}'s URL`, schema: { type: 'string' } },
        }),
      },
      problems: BODY_PROBLEMS,
      handle: async ({ request, url }) => {
        authorize(request, url);
        const body = await readJsonBody(request, JSON_TYPES, { numbers: 'text' });
        const db = options.openDatabase();
        const store = options.store(db);
        const values = fields.parse(body, 'create', (valid) => store.createErrors?.(valid) ?? []);
        const id = options.newId();
        const created = writeTransaction(db, () => {
          store.create(id, values);
          return store.find(id);
        });
        if (!created) throw new Error(`${noun} ${id} was not found right after it was created`);
        return resourceResponse(created, 201, { location: `${collection}/${encodeURIComponent(created.id)}` });
      },
    },

    replace: updateOperation('replace', 'full', JSON_TYPES, `Replaces a ${noun}'s writable fields`),

    patch: updateOperation(
      'patch',
      'partial',
      MERGE_PATCH_TYPES,
      `Changes some of a ${noun}'s fields (JSON Merge Patch)`,
    ),

    remove: {
      operationId: `${plural}.delete`,
      summary: `Deletes a ${noun}`,
      bearer: true,
      path: idPath,
      headers: IF_MATCH,
      responses: { 204: { description: 'Deleted' } },
      problems: [...CONDITIONAL_PROBLEMS, ...(options.referenced ? (['conflict'] as const) : [])],
      handle: (context) => {
        authorize(context.request, context.url);
        const ifMatch = requireIfMatch(context.request);
        conditionalWrite(context, ifMatch, (store, current) => {
          store.remove(current);
          return 'deleted';
        });
        return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
      },
    },
  };
}
