/**
 * The write side of both data components, written once and run against every target: the in-process apps
 * on a SQLite file (tests/unit/writes.test.ts) and the real Wasm components on the local runtime
 * (tests/e2e/writes.test.ts). Customers and incidents are versioned aggregates: POST creates, PUT replaces,
 * PATCH merges, DELETE deletes, each conditional on If-Match and authorized by the API token; the database's
 * triggers keep each aggregate's version and append one event per change, for API and plain-SQL writes alike.
 *
 * Every refused request is checked to have changed nothing: the rows of every table the aggregates live in,
 * and the newest sequence number of both event feeds.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseRfc3339 } from '@aggregates/common/params';
import type { Row } from '@aggregates/common/sql';
import { prng } from '../support/random-data';
import { sqlText } from '../support/sqlite';
import { byCodePoint } from './fixtures';
import {
  followPages,
  readProblem,
  RESET_SQL,
  RFC3339_MILLIS,
  TEST_API_TOKEN,
  type ProblemBody,
  type ServiceTarget,
} from './target';
import type { FeedEvent } from '@aggregates/common/event-feed';

export interface WriteTarget extends ServiceTarget {
  /** Runs one query on the components' database directly, bypassing them (INTEGER columns come back as bigint). */
  query(sql: string): Row[];
}

type Json = Record<string, unknown>;

type Versioned = {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export type Customer = Versioned & {
  name: string;
  city: string | null;
  country: string | null;
  scoring: number;
};

export type Incident = Versioned & {
  amount: number;
  customerName: string;
  category: string | null;
  customerId: string | null;
};

type Problem = ProblemBody & Json & { errors?: Array<{ field: string; message: string }> };

const CUSTOMER_FIELDS = ['name', 'city', 'country', 'scoring'] as const;
const INCIDENT_FIELDS = ['amount', 'customerName', 'category', 'customerId'] as const;
const CUSTOMERS = '/customers/items';
const INCIDENTS = '/incidents/items';
const CUSTOMER_FEED = '/customers/events';
const INCIDENT_FEED = '/incidents/events';
const CUSTOMER_FILTERS = ['limit', 'after', 'country', 'minScoring', 'updatedSince'];
const INCIDENT_FILTERS = ['limit', 'after', 'customerName', 'customerId', 'category', 'updatedSince'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const AUTH = { authorization: `Bearer ${TEST_API_TOKEN}` };
const DUMPS = [
  'SELECT * FROM Customers ORDER BY Id',
  'SELECT * FROM Incidents ORDER BY Id',
  'SELECT * FROM CustomerMeta ORDER BY Id',
  'SELECT * FROM IncidentMeta ORDER BY Id',
  'SELECT * FROM IncidentTotals ORDER BY CustomerName',
];

/** Waits long enough for the database's millisecond clock to move on. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

const ifMatch = (tag: number | string) => ({ 'if-match': typeof tag === 'number' ? `"${tag}"` : tag });

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** The requests, reads and checks every write test needs, bound to a target. */
function writeClient(getTarget: () => WriteTarget) {
  const t = getTarget;

  interface SendOptions {
    body?: unknown;
    headers?: Record<string, string>;
    /** Sends the API token (default true). */
    auth?: boolean;
    /** `null`: no content-type. Default `application/json` when there is a body. */
    contentType?: string | null;
  }

  const send = (
    method: string,
    path: string,
    { body, headers = {}, auth = true, contentType = 'application/json' }: SendOptions = {},
  ) => {
    const all: Record<string, string> = { ...(auth ? AUTH : {}) };
    if (body !== undefined && contentType !== null) all['content-type'] = contentType;
    return t().fetch(path, {
      method,
      headers: { ...all, ...headers },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' || body instanceof ArrayBuffer ? body : JSON.stringify(body) }),
    });
  };

  /** The JSON body of a response that must have `status`; anything else fails with the body in the message. */
  const expectJson = async <T>(response: Response, status: number): Promise<T> => {
    const text = await response.text();
    if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  };

  const getJson = async <T>(path: string): Promise<T> => expectJson<T>(await t().fetch(path), 200);

  const createCustomer = async (body: Json = {}) =>
    expectJson<Customer>(await send('POST', CUSTOMERS, { body: { name: 'Acme Ltd', scoring: 5, ...body } }), 201);
  const createIncident = async (customerId: string, body: Json = {}) =>
    expectJson<Incident>(await send('POST', INCIDENTS, { body: { amount: 10, customerId, ...body } }), 201);

  const write = async <T>(method: 'PUT' | 'PATCH', path: string, body: Json, tag: number | string): Promise<T> =>
    expectJson<T>(await send(method, path, { body, headers: ifMatch(tag) }), 200);
  const remove = async (path: string, tag: number | string) => {
    const response = await send('DELETE', path, { headers: ifMatch(tag) });
    if (response.status !== 204)
      throw new Error(`DELETE ${path} answered ${response.status}: ${await response.text()}`);
  };

  const lastSeq = async (feed: string) => (await getJson<{ seq: number }>(`${feed}/last`)).seq;
  /** Every event after `seq`, following the feed's Link headers. */
  const eventsAfter = async (feed: string, seq: number, limit?: number) =>
    (
      await followPages(t(), `${feed}?after=${seq}${limit === undefined ? '' : `&limit=${limit}`}`, 1000)
    ).flat() as FeedEvent[];
  const countRows = (table: 'Customers' | 'Incidents') =>
    Number(t().query(`SELECT COUNT(*) AS n FROM ${table}`)[0]?.n ?? -1);

  const snapshot = async () => ({
    customers: countRows('Customers'),
    incidents: countRows('Incidents'),
    seqs: [await lastSeq(CUSTOMER_FEED), await lastSeq(INCIDENT_FEED)],
    rows: DUMPS.map((sql) => t().query(sql)),
  });
  type Snapshot = Awaited<ReturnType<typeof snapshot>>;

  const expectUnchanged = async (before: Snapshot) => expect(await snapshot()).toEqual(before);

  /** Checks a refusal: its status and problem type, and that nothing changed. Returns the problem. */
  const expectRefused = async (
    response: Response,
    status: number,
    code: string,
    before: Snapshot,
  ): Promise<Problem> => {
    const problem = (await readProblem(response)) as Problem;
    expect({ status: response.status, problem }).toMatchObject({
      status,
      problem: { status, type: `urn:aggregates-dashboard:problem:${code}` },
    });
    await expectUnchanged(before);
    return problem;
  };

  return {
    send,
    expectJson,
    getJson,
    createCustomer,
    createIncident,
    write,
    remove,
    lastSeq,
    eventsAfter,
    countRows,
    snapshot,
    expectUnchanged,
    expectRefused,
  };
}

const itemPath = (collection: string, id: string) => `${collection}/${encodeURIComponent(id)}`;

/** A timestamp as the components write it: RFC 3339 UTC with milliseconds, a real date, near now. */
function expectTimestamp(value: unknown): void {
  expect(value).toMatch(RFC3339_MILLIS);
  const time = parseRfc3339(value as string);
  expect(time).not.toBeNull();
  expect(Math.abs((time ?? 0) - Date.now())).toBeLessThan(10 * 60_000);
}

const fieldsOf = (fields: readonly string[], resource: object): Json =>
  Object.fromEntries(fields.map((field) => [field, (resource as Json)[field]]));

/** The diff an event must carry from `before` to `after`: each field that differs, old and new. */
const diffOf = (fields: readonly string[], was: object | null, is: object | null): FeedEvent['diff'] => {
  const before = was as Json | null;
  const after = is as Json | null;
  return Object.fromEntries(
    fields
      .filter((field) => (before?.[field] ?? null) !== (after?.[field] ?? null) || before === null || after === null)
      .map((field) => [field, { old: before?.[field] ?? null, new: after?.[field] ?? null }]),
  );
};

/** What both kinds of aggregate share in the tests below. */
interface Kind {
  noun: 'customer' | 'incident';
  Noun: 'Customer' | 'Incident';
  collection: string;
  feed: string;
  fields: readonly string[];
  /** A create body (making whatever it refers to) and the fields the resource must then have. */
  newBody(): Promise<{ body: Json; expected: Json }>;
  /** Creates one. */
  create(): Promise<Versioned & Json>;
  /** A PUT body that changes something and leaves out every optional field, and the fields it gives. */
  replacement(current: Json): { body: Json; expected: Json };
  /** The n-th merge patch of a series (n from 1), each changing one field to a value no other one sets. */
  patch(n: number): Json;
  /** Bodies that name fields but change nothing: a PATCH and a PUT. */
  unchanged(current: Json): { patch: Json; put: Json };
  clearable: string;
  required: string;
}

/** Registers the write contract; `getTarget` is called inside each test, after the suite's own setup ran. */
export function writesContract(getTarget: () => WriteTarget): void {
  const t = getTarget;
  const api = writeClient(getTarget);
  const {
    send,
    expectJson,
    getJson,
    createCustomer,
    createIncident,
    write,
    remove,
    lastSeq,
    eventsAfter,
    snapshot,
    expectUnchanged,
    expectRefused,
  } = api;

  beforeEach(() => t().sql(RESET_SQL()));

  const KINDS: Kind[] = [
    {
      noun: 'customer',
      Noun: 'Customer',
      collection: CUSTOMERS,
      feed: CUSTOMER_FEED,
      fields: CUSTOMER_FIELDS,
      newBody: async () => ({
        // Trimmed, and normalised to NFC: "e" + combining acute becomes "é".
        body: { name: '  Cafe\u0301 Lumi\u00e8re ', city: ' Oslo', country: 'Norway\t', scoring: 7 },
        expected: { name: 'Caf\u00e9 Lumi\u00e8re', city: 'Oslo', country: 'Norway', scoring: 7 },
      }),
      create: () => createCustomer({ name: 'Acme Ltd', city: 'Oslo', country: 'Norway', scoring: 7 }),
      replacement: () => ({
        body: { name: 'Acme Holdings', scoring: 8 },
        expected: { name: 'Acme Holdings', city: null, country: null, scoring: 8 },
      }),
      patch: (n) => ({ scoring: n % 7 }),
      unchanged: (current) => ({
        patch: { name: ` ${String(current.name)}  `, scoring: current.scoring },
        put: { name: current.name, city: current.city, country: current.country, scoring: current.scoring },
      }),
      clearable: 'city',
      required: 'name',
    },
    {
      noun: 'incident',
      Noun: 'Incident',
      collection: INCIDENTS,
      feed: INCIDENT_FEED,
      fields: INCIDENT_FIELDS,
      newBody: async () => {
        const customer = await createCustomer({ name: 'Incident Owner' });
        // The customer's id is trimmed and matched ignoring ASCII case; the incident stores the customer's own id.
        return {
          body: { amount: 12.345678, category: 'B', customerId: `  ${customer.id.toUpperCase()} ` },
          expected: { amount: 12.345678, customerName: 'Incident Owner', category: 'B', customerId: customer.id },
        };
      },
      create: async () =>
        createIncident((await createCustomer({ name: 'Incident Owner' })).id, { amount: 12.5, category: 'B' }),
      replacement: (current) => ({
        body: { amount: 99.25, customerId: current.customerId },
        expected: { amount: 99.25, customerName: current.customerName, category: null, customerId: current.customerId },
      }),
      patch: (n) => ({ amount: n + 0.75 }),
      unchanged: (current) => ({
        patch: { amount: current.amount, customerId: String(current.customerId).toUpperCase() },
        put: { amount: current.amount, category: current.category, customerId: current.customerId },
      }),
      clearable: 'category',
      required: 'amount',
    },
  ];

  describe.each(KINDS)('$noun writes', (kind) => {
    const path = (id: string) => itemPath(kind.collection, id);

    it('POST creates it: 201, Location, ETag "1", no-store, the full resource with a new UUID, and one Created event', async () => {
      const { body, expected } = await kind.newBody();
      const before = await lastSeq(kind.feed);
      const response = await send('POST', kind.collection, { body });
      const created = await expectJson<Versioned & Json>(response, 201);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('etag')).toBe('"1"');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(created.id).toMatch(UUID);
      expect(response.headers.get('location')).toBe(`${kind.collection}/${created.id}`);
      expect(Object.keys(created)).toEqual(['id', ...kind.fields, 'version', 'createdAt', 'updatedAt']);
      expect(fieldsOf(kind.fields, created)).toEqual(expected);
      expect(created.version).toBe(1);
      expectTimestamp(created.createdAt);
      expect(created.updatedAt).toBe(created.createdAt);

      const read = await t().fetch(response.headers.get('location') ?? '');
      expect(read.status).toBe(200);
      expect(read.headers.get('etag')).toBe('"1"');
      expect(await read.json()).toEqual(created);

      expect(await eventsAfter(kind.feed, before)).toEqual([
        {
          seq: before + 1,
          type: `${kind.Noun}Created`,
          aggregateId: created.id,
          version: 1,
          at: created.createdAt,
          diff: diffOf(kind.fields, null, created),
        },
      ]);
    });

    it('GET answers ETag "<version>", and 304 to an If-None-Match holding it', async () => {
      const created = await kind.create();
      const fresh = await t().fetch(path(created.id), { headers: { 'if-none-match': '"1"' } });
      expect(fresh.status).toBe(304);
      expect(fresh.headers.get('etag')).toBe('"1"');
      expect(await fresh.text()).toBe('');

      const patched = await write<Json>('PATCH', path(created.id), kind.patch(1), 1);
      expect(patched.version).toBe(2);
      const stale = await t().fetch(path(created.id), { headers: { 'if-none-match': '"1"' } });
      expect(stale.status).toBe(200);
      expect(stale.headers.get('etag')).toBe('"2"');
      expect(await stale.json()).toEqual(patched);
      expect((await t().fetch(path(created.id), { headers: { 'if-none-match': '"2"' } })).status).toBe(304);
      const head = await t().fetch(path(created.id), { method: 'HEAD' });
      expect(head.headers.get('etag')).toBe('"2"');
    });

    it('GET and HEAD evaluate If-Match before If-None-Match (RFC 9110 13.2.2): 412 for an old, unknown or weak tag, even beside a matching If-None-Match; "*" and a list holding the tag pass', async () => {
      const created = await kind.create();
      const patched = await write<Json>('PATCH', path(created.id), kind.patch(1), 1);
      expect(patched.version).toBe(2);
      const before = await snapshot();
      for (const method of ['GET', 'HEAD'] as const) {
        for (const tag of ['"1"', 'W/"2"', '"3"', '"1", "3"', '2']) {
          for (const extra of [{}, { 'if-none-match': '"2"' }, { 'if-none-match': '*' }] as Record<string, string>[]) {
            const refused = await t().fetch(path(created.id), { method, headers: { 'if-match': tag, ...extra } });
            expect({ method, tag, extra, status: refused.status }).toEqual({ method, tag, extra, status: 412 });
            if (method === 'HEAD') {
              expect(await refused.text()).toBe('');
              continue;
            }
            expect(await readProblem(refused)).toMatchObject({
              status: 412,
              type: 'urn:aggregates-dashboard:problem:precondition-failed',
              instance: path(created.id),
              currentETag: '"2"',
            });
          }
        }
        for (const tag of ['"2"', '*', '"1", "2"', ' "2" ']) {
          const passed = await t().fetch(path(created.id), { method, headers: { 'if-match': tag } });
          expect({ method, tag, status: passed.status, etag: passed.headers.get('etag') }).toEqual({
            method,
            tag,
            status: 200,
            etag: '"2"',
          });
          if (method === 'GET') expect(await passed.json()).toEqual(patched);
          // If-Match true: If-None-Match decides next.
          const notModified = await t().fetch(path(created.id), {
            method,
            headers: { 'if-match': tag, 'if-none-match': '"2"' },
          });
          expect({ method, tag, status: notModified.status }).toEqual({ method, tag, status: 304 });
        }
        // No resource: the 404 it would be without preconditions, not a 412 (13.2.1).
        for (const tag of ['*', '"1"']) {
          const missing = await t().fetch(path('no-such-item'), { method, headers: { 'if-match': tag } });
          expect({ method, tag, status: missing.status }).toEqual({ method, tag, status: 404 });
        }
      }
      await expectUnchanged(before);
    });

    it('PUT replaces every writable field: omitted optional ones become null, version + 1, updatedAt moves, createdAt stays', async () => {
      const created = await kind.create();
      await tick();
      const { body, expected } = kind.replacement(created);
      const before = await lastSeq(kind.feed);
      const response = await send('PUT', path(created.id), { body, headers: ifMatch(1) });
      const replaced = await expectJson<Versioned & Json>(response, 200);
      expect(response.headers.get('etag')).toBe('"2"');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(replaced).toEqual({
        ...expected,
        id: created.id,
        version: 2,
        createdAt: created.createdAt,
        updatedAt: expect.stringMatching(RFC3339_MILLIS),
      });
      expect(replaced.updatedAt > created.updatedAt).toBe(true);
      expect(await getJson(path(created.id))).toEqual(replaced);

      const diff = diffOf(kind.fields, created, replaced);
      expect(Object.keys(diff).length).toBeGreaterThan(0);
      expect(await eventsAfter(kind.feed, before)).toEqual([
        {
          seq: before + 1,
          type: `${kind.Noun}Updated`,
          aggregateId: created.id,
          version: 2,
          at: replaced.updatedAt,
          diff,
        },
      ]);
    });

    it('PATCH (merge patch, application/merge-patch+json or application/json) changes only the fields it names; null clears an optional one', async () => {
      const created = await kind.create();
      const before = await lastSeq(kind.feed);
      const response = await send('PATCH', path(created.id), {
        body: kind.patch(1),
        contentType: 'application/merge-patch+json',
        headers: ifMatch(1),
      });
      const patched = await expectJson<Versioned & Json>(response, 200);
      expect(patched).toEqual({ ...created, ...kind.patch(1), version: 2, updatedAt: patched.updatedAt });
      const [field, value] = Object.entries(kind.patch(1))[0] ?? [];
      expect(await eventsAfter(kind.feed, before)).toEqual([
        {
          seq: before + 1,
          type: `${kind.Noun}Updated`,
          aggregateId: created.id,
          version: 2,
          at: patched.updatedAt,
          diff: { [field ?? '']: { old: created[field ?? ''], new: value } },
        },
      ]);

      expect(created[kind.clearable]).not.toBeNull();
      const cleared = await write<Versioned & Json>('PATCH', path(created.id), { [kind.clearable]: null }, 2);
      expect(cleared).toEqual({ ...patched, [kind.clearable]: null, version: 3, updatedAt: cleared.updatedAt });
      expect(await eventsAfter(kind.feed, before + 1)).toEqual([
        {
          seq: before + 2,
          type: `${kind.Noun}Updated`,
          aggregateId: created.id,
          version: 3,
          at: cleared.updatedAt,
          diff: { [kind.clearable]: { old: created[kind.clearable], new: null } },
        },
      ]);
      expect(await getJson(path(created.id))).toEqual(cleared);
    });

    it('PATCH with null for a required field is a 422 naming it, and changes nothing', async () => {
      const created = await kind.create();
      const before = await snapshot();
      const problem = await expectRefused(
        await send('PATCH', path(created.id), { body: { [kind.required]: null }, headers: ifMatch(1) }),
        422,
        'validation-failed',
        before,
      );
      expect(problem.errors).toEqual([{ field: kind.required, message: expect.stringContaining('is required') }]);
    });

    it('a write that changes nothing (PATCH {}, the same values, a PUT of what is stored) answers 200 with the same version, and appends no event', async () => {
      const created = await kind.create();
      const before = await snapshot();
      const { patch, put } = kind.unchanged(created);
      for (const [method, body] of [
        ['PATCH', {}],
        ['PATCH', patch],
        ['PUT', put],
      ] as const) {
        const response = await send(method, path(created.id), { body, headers: ifMatch(1) });
        expect({ method, body, status: response.status }).toEqual({ method, body, status: 200 });
        expect(response.headers.get('etag')).toBe('"1"');
        expect(await response.json()).toEqual(created);
      }
      await expectUnchanged(before);
    });

    it('DELETE answers 204 and appends a Deleted event with every old value; the item is then gone, and PUT, PATCH, DELETE on it are 404', async () => {
      const created = await kind.create();
      const before = await lastSeq(kind.feed);
      const response = await send('DELETE', path(created.id), { headers: ifMatch(1) });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      const gone = await t().fetch(path(created.id));
      expect(gone.status).toBe(404);
      expect(await readProblem(gone)).toMatchObject({ detail: `There is no ${kind.noun} with id "${created.id}".` });
      const [deleted, ...more] = await eventsAfter(kind.feed, before);
      expect(more).toEqual([]);
      expect(deleted).toEqual({
        seq: before + 1,
        type: `${kind.Noun}Deleted`,
        aggregateId: created.id,
        version: 2,
        at: expect.any(String),
        diff: diffOf(kind.fields, created, null),
      });
      expectTimestamp(deleted?.at);

      const after = await snapshot();
      for (const [method, body] of [
        ['PUT', kind.replacement(created).body],
        ['PATCH', kind.patch(2)],
        ['DELETE', undefined],
      ] as const) {
        const problem = await expectRefused(
          await send(method, path(created.id), { body, headers: ifMatch('*') }),
          404,
          'not-found',
          after,
        );
        expect(problem.detail).toBe(`There is no ${kind.noun} with id "${created.id}".`);
      }
    });

    it('PUT, PATCH and DELETE need If-Match: 428 without, 412 with a stale or weak tag (naming the current version); "*" and a list holding the tag match', async () => {
      const created = await kind.create();
      await write('PATCH', path(created.id), kind.patch(1), 1);
      const before = await snapshot();
      const bodies = { PUT: kind.replacement(created).body, PATCH: kind.patch(2), DELETE: undefined };
      for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
        const missing = await expectRefused(
          await send(method, path(created.id), { body: bodies[method] }),
          428,
          'precondition-required',
          before,
        );
        expect(missing.detail).toContain('If-Match');
        for (const tag of ['"1"', 'W/"2"', '"3"', '"1", "3"', '2']) {
          const stale = await expectRefused(
            await send(method, path(created.id), { body: bodies[method], headers: ifMatch(tag) }),
            412,
            'precondition-failed',
            before,
          );
          expect({ tag, currentVersion: stale.currentVersion, currentETag: stale.currentETag }).toEqual({
            tag,
            currentVersion: 2,
            currentETag: '"2"',
          });
        }
      }
      expect((await write<Versioned>('PATCH', path(created.id), kind.patch(2), '*')).version).toBe(3);
      expect((await write<Versioned>('PATCH', path(created.id), kind.patch(3), '"1", "3"')).version).toBe(4);
      await remove(path(created.id), '"4"');
    });

    it('writes need the API token: 401 with a WWW-Authenticate challenge when it is missing, another scheme, or wrong', async () => {
      const { body } = await kind.newBody();
      const created = await kind.create();
      const before = await snapshot();
      const requests = [
        ['POST', kind.collection, body],
        ['PUT', path(created.id), kind.replacement(created).body],
        ['PATCH', path(created.id), kind.patch(1)],
        ['DELETE', path(created.id), undefined],
      ] as const;
      const credentials: Array<[Record<string, string>, string]> = [
        [{}, 'Bearer realm="aggregates-dashboard"'],
        [{ authorization: `Basic ${btoa(`user:${TEST_API_TOKEN}`)}` }, 'Bearer realm="aggregates-dashboard"'],
        [
          { authorization: `Bearer ${TEST_API_TOKEN.toUpperCase()}` },
          'Bearer realm="aggregates-dashboard", error="invalid_token"',
        ],
        [{ authorization: `Bearer ${TEST_API_TOKEN}x` }, 'Bearer realm="aggregates-dashboard", error="invalid_token"'],
      ];
      for (const [method, requestPath, requestBody] of requests) {
        for (const [headers, challenge] of credentials) {
          const response = await send(method, requestPath, {
            body: requestBody,
            auth: false,
            headers: { ...headers, ...ifMatch(1) },
          });
          expect({ method, headers, challenge: response.headers.get('www-authenticate') }).toEqual({
            method,
            headers,
            challenge,
          });
          await expectRefused(response, 401, 'unauthorized', before);
        }
      }
    });

    it('refuses bodies it cannot take, changing nothing: 415 for other media types, 413 over 16 KiB, 400 for malformed JSON or duplicate keys', async () => {
      const { body } = await kind.newBody();
      const created = await kind.create();
      const valid = JSON.stringify(body);
      const replacement = JSON.stringify(kind.replacement(created).body);
      const patch = JSON.stringify(kind.patch(1));
      const large = JSON.stringify({ ...body, padding: 'x'.repeat(16 * 1024) });
      const cases: Array<[string, string, string | null, string, number, string]> = [
        ['POST', 'text/plain', valid, 'text/plain', 415, 'unsupported-media-type'],
        ['POST', 'no content-type', valid, '', 415, 'unsupported-media-type'],
        [
          'POST',
          'a charset other than UTF-8',
          valid,
          'application/json; charset=iso-8859-1',
          415,
          'unsupported-media-type',
        ],
        ['POST', 'merge-patch+json', valid, 'application/merge-patch+json', 415, 'unsupported-media-type'],
        ['PUT', 'text/plain', replacement, 'text/plain', 415, 'unsupported-media-type'],
        ['PUT', 'merge-patch+json', replacement, 'application/merge-patch+json', 415, 'unsupported-media-type'],
        ['PATCH', 'application/xml', patch, 'application/xml', 415, 'unsupported-media-type'],
        ['POST', 'a body over 16 KiB', large, 'application/json', 413, 'payload-too-large'],
        ['PUT', 'a body over 16 KiB', large, 'application/json', 413, 'payload-too-large'],
        ['PATCH', 'a body over 16 KiB', large, 'application/merge-patch+json', 413, 'payload-too-large'],
        ['POST', 'malformed JSON', valid.slice(0, -1), 'application/json', 400, 'invalid-json'],
        ['POST', 'an empty body', '', 'application/json', 400, 'invalid-json'],
        ['POST', 'a duplicate key', `{"${kind.required}":1,${valid.slice(1)}`, 'application/json', 400, 'invalid-json'],
        [
          'PUT',
          'a duplicate key',
          `${replacement.slice(0, -1)},"${kind.required}":2}`,
          'application/json',
          400,
          'invalid-json',
        ],
        [
          'PATCH',
          'a duplicate key',
          `{"${kind.clearable}":null,"${kind.clearable}":null}`,
          'application/merge-patch+json',
          400,
          'invalid-json',
        ],
        ['PATCH', 'malformed JSON', "{'single': 'quotes'}", 'application/json', 400, 'invalid-json'],
        ['POST', 'a JSON array', '[]', 'application/json', 422, 'validation-failed'],
        ['PATCH', 'JSON null', 'null', 'application/merge-patch+json', 422, 'validation-failed'],
      ];
      const before = await snapshot();
      for (const [method, label, text, contentType, status, code] of cases) {
        const requestPath = method === 'POST' ? kind.collection : path(created.id);
        // Bytes, so that no content-type is filled in for a body sent without one.
        const body = contentType === '' ? new TextEncoder().encode(text ?? '').buffer : (text ?? undefined);
        const response = await send(method, requestPath, {
          body,
          contentType: contentType === '' ? null : contentType,
          headers: ifMatch(1),
        });
        expect({ method, label, status: response.status }).toEqual({ method, label, status });
        const problem = await expectRefused(response, status, code, before);
        if (status === 413) expect(problem.maxBytes).toBe(16 * 1024);
        if (label === 'a duplicate key') expect(problem.detail).toContain('duplicate member');
        if (status === 422) expect(problem.errors).toEqual([{ field: '', message: 'The body must be a JSON object' }]);
      }
    });
  });

  describe('422: every bad field at once, nothing written', () => {
    const fieldsOfErrors = (problem: Problem) => (problem.errors ?? []).map((e) => e.field).sort();

    it('lists each bad customer field: read-only ones, an unknown one, wrong types, out of range, not whole', async () => {
      const customer = await createCustomer({ name: 'Valid Ltd', city: 'Rome', scoring: 3 });
      const before = await snapshot();
      const body = {
        id: 'my-own-id',
        version: 7,
        createdAt: '2020-01-01T00:00:00.000Z',
        updatedAt: '2020-01-01T00:00:00.000Z',
        nickname: 'Val',
        name: 42,
        city: ['Rome'],
        country: '   ',
        scoring: 11,
      };
      for (const [method, requestPath] of [
        ['POST', CUSTOMERS],
        ['PUT', itemPath(CUSTOMERS, customer.id)],
        ['PATCH', itemPath(CUSTOMERS, customer.id)],
      ] as const) {
        const problem = await expectRefused(
          await send(method, requestPath, { body, headers: ifMatch(1) }),
          422,
          'validation-failed',
          before,
        );
        expect({ method, fields: fieldsOfErrors(problem) }).toEqual({
          method,
          fields: ['city', 'country', 'createdAt', 'id', 'name', 'nickname', 'scoring', 'updatedAt', 'version'],
        });
        const messages = Object.fromEntries((problem.errors ?? []).map((e) => [e.field, e.message]));
        expect(messages).toMatchObject({
          id: expect.stringContaining('set by the server'),
          nickname: expect.stringContaining('not a field'),
          name: expect.stringContaining('string'),
          city: expect.stringContaining('string'),
          country: expect.stringContaining('empty'),
          scoring: expect.stringContaining('11'),
        });
        expect(problem.detail).toContain('9 invalid fields');
      }
      const second = await expectRefused(
        await send('POST', CUSTOMERS, { body: { name: 'x'.repeat(201), scoring: 1.5, country: 'tab\there' } }),
        422,
        'validation-failed',
        before,
      );
      expect(fieldsOfErrors(second)).toEqual(['country', 'name', 'scoring']);
      const missing = await expectRefused(
        await send('POST', CUSTOMERS, { body: { city: 'Rome' } }),
        422,
        'validation-failed',
        before,
      );
      expect(fieldsOfErrors(missing)).toEqual(['name', 'scoring']);
      const negative = await expectRefused(
        await send('PATCH', itemPath(CUSTOMERS, customer.id), { body: { scoring: -1, name: '' }, headers: ifMatch(1) }),
        422,
        'validation-failed',
        before,
      );
      expect(fieldsOfErrors(negative)).toEqual(['name', 'scoring']);
    });

    it('lists each bad incident field: read-only ones (customerName too), an unknown one, 7 decimals, a category not A-F, a non-string customerId', async () => {
      const customer = await createCustomer({ name: 'Valid Ltd' });
      const incident = await createIncident(customer.id, { amount: 1 });
      const before = await snapshot();
      const body = {
        id: 'mine',
        customerName: 'Someone Else',
        version: 1,
        createdAt: '2020-01-01T00:00:00.000Z',
        updatedAt: '2020-01-01T00:00:00.000Z',
        severity: 'high',
        amount: 1.1234567,
        category: 'Z',
        customerId: 42,
      };
      for (const [method, requestPath] of [
        ['POST', INCIDENTS],
        ['PUT', itemPath(INCIDENTS, incident.id)],
        ['PATCH', itemPath(INCIDENTS, incident.id)],
      ] as const) {
        const problem = await expectRefused(
          await send(method, requestPath, { body, headers: ifMatch(1) }),
          422,
          'validation-failed',
          before,
        );
        expect({ method, fields: fieldsOfErrors(problem) }).toEqual({
          method,
          fields: [
            'amount',
            'category',
            'createdAt',
            'customerId',
            'customerName',
            'id',
            'severity',
            'updatedAt',
            'version',
          ],
        });
      }
      for (const [amount, phrase] of [
        [-1, 'from 0'],
        [9_000_000_000.5, 'from 0'],
        [1e-7, 'decimals'],
        ['12', 'a number'],
        [true, 'a number'],
      ] as const) {
        const problem = await expectRefused(
          await send('POST', INCIDENTS, { body: { amount, category: 'a', customerId: customer.id } }),
          422,
          'validation-failed',
          before,
        );
        expect({ amount, fields: fieldsOfErrors(problem) }).toEqual({ amount, fields: ['amount', 'category'] });
        expect(problem.errors?.find((e) => e.field === 'amount')?.message).toContain(phrase);
      }
      const noCustomer = await expectRefused(
        await send('POST', INCIDENTS, { body: { amount: 1 } }),
        422,
        'validation-failed',
        before,
      );
      expect(noCustomer.errors).toEqual([{ field: 'customerId', message: expect.stringContaining('required') }]);
      const unknown = await expectRefused(
        await send('POST', INCIDENTS, { body: { amount: 1, customerId: 'no-such-customer' } }),
        422,
        'validation-failed',
        before,
      );
      expect(unknown.errors).toEqual([
        { field: 'customerId', message: expect.stringContaining('refers to no customer') },
      ]);
    });

    it('lists a customerId that refers to no customer together with the other bad fields of the same body', async () => {
      const before = await snapshot();
      const problem = await expectRefused(
        await send('POST', INCIDENTS, { body: { amount: -1, category: 'Z', customerId: 'no-such-customer' } }),
        422,
        'validation-failed',
        before,
      );
      expect(fieldsOfErrors(problem)).toEqual(['amount', 'category', 'customerId']);
    });

    it('refuses to move an incident to another customer, or to drop its customer in a PUT', async () => {
      const customer = await createCustomer({ name: 'First Owner' });
      const other = await createCustomer({ name: 'Second Owner' });
      const incident = await createIncident(customer.id, { amount: 5, category: 'C' });
      const before = await snapshot();
      const requests: Array<['PUT' | 'PATCH', Json]> = [
        ['PATCH', { customerId: other.id }],
        ['PATCH', { customerId: null }],
        ['PUT', { amount: 5, category: 'C', customerId: other.id }],
        ['PUT', { amount: 5, category: 'C' }],
      ];
      for (const [method, body] of requests) {
        const problem = await expectRefused(
          await send(method, itemPath(INCIDENTS, incident.id), { body, headers: ifMatch(1) }),
          422,
          'validation-failed',
          before,
        );
        expect({ method, body, errors: problem.errors }).toEqual({
          method,
          body,
          errors: [{ field: 'customerId', message: expect.stringContaining('cannot change') }],
        });
      }
    });
  });

  describe('event feeds', () => {
    it('start empty at seq 0 after a reset, and number events from 1 again', async () => {
      const customer = await createCustomer();
      await createIncident(customer.id);
      expect(await lastSeq(CUSTOMER_FEED)).toBe(1);
      t().sql(RESET_SQL());
      for (const feed of [CUSTOMER_FEED, INCIDENT_FEED]) {
        expect(await getJson(`${feed}/last`)).toEqual({ seq: 0 });
        expect(await getJson(feed)).toEqual([]);
      }
      // No event table left a sequence number behind in sqlite_sequence (its rows went with the dropped tables).
      expect(t().query('SELECT name, seq FROM sqlite_sequence WHERE seq <> 0')).toEqual([]);
      const again = await createCustomer();
      await createIncident(again.id);
      expect((await eventsAfter(CUSTOMER_FEED, 0)).map((e) => [e.seq, e.aggregateId])).toEqual([[1, again.id]]);
      expect((await eventsAfter(INCIDENT_FEED, 0)).map((e) => e.seq)).toEqual([1]);
    });

    it('pages with ?limit= and a Link whose after is the last seq of the page; ?after= starts after any seq', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await createCustomer({ name: `Paged ${i}` })).id);
      const first = await t().fetch(`${CUSTOMER_FEED}?limit=2`);
      expect(first.headers.get('link')).toBe(`<${CUSTOMER_FEED}?limit=2&after=2>; rel="next"`);
      const firstPage = (await first.json()) as FeedEvent[];
      expect(Object.keys(firstPage[0] ?? {})).toEqual(['seq', 'type', 'aggregateId', 'version', 'at', 'diff']);
      const pages = (await followPages(t(), `${CUSTOMER_FEED}?limit=2`)) as FeedEvent[][];
      expect(pages.map((page) => page.map((e) => e.seq))).toEqual([[1, 2], [3, 4], [5]]);
      expect(pages.flat().map((e) => e.aggregateId)).toEqual(ids);
      expect(pages.flat().every((e) => e.type === 'CustomerCreated' && e.version === 1)).toBe(true);
      expect((await eventsAfter(CUSTOMER_FEED, 3)).map((e) => e.seq)).toEqual([4, 5]);
      const end = await t().fetch(`${CUSTOMER_FEED}?after=5`);
      expect(end.headers.get('link')).toBeNull();
      expect(await end.json()).toEqual([]);
      expect(await getJson(`${CUSTOMER_FEED}?after=99`)).toEqual([]);
    });

    it.each([
      ['after=-1', 'after must be a sequence number'],
      ['after=abc', 'after must be a sequence number'],
      ['after=1.5', 'after must be a sequence number'],
      [`after=${encodeURIComponent('["3"]')}`, 'after must be a sequence number'],
      ['limit=0', 'limit must be a whole number'],
      ['since=3', 'Unknown query parameter'],
      ['after=1&after=2', 'more than once'],
    ])('answers 400 for ?%s', async (query, phrase) => {
      for (const feed of [CUSTOMER_FEED, INCIDENT_FEED]) {
        const response = await t().fetch(`${feed}?${query}`);
        expect(response.status).toBe(400);
        const problem = (await readProblem(response)) as Problem;
        expect(problem).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-query' });
        expect(problem.detail).toContain(phrase);
        if (phrase !== 'after must be a sequence number' && !phrase.startsWith('limit'))
          expect(problem.allowed).toEqual(['limit', 'after']);
      }
    });

    it('carries every amount exactly: an event of an amount with 16 significant digits rebuilds what GET shows', async () => {
      const customer = await createCustomer();
      // Within 0-9e9 and six decimals, so the API takes it; 16 significant digits need 17 to print exactly.
      const incident = await createIncident(customer.id, { amount: 1234567890.123456 });
      expect(incident.amount).toBe(1234567890.123456);
      expect((await getJson<Incident>(itemPath(INCIDENTS, incident.id))).amount).toBe(1234567890.123456);
      const [created] = await eventsAfter(INCIDENT_FEED, 0);
      expect(created?.diff.amount).toEqual({ old: null, new: 1234567890.123456 });
    });

    it('a consumer that replays both feeds from 0 rebuilds every aggregate exactly as GET shows it, after ~60 random API writes and some plain SQL', async () => {
      const random = prng(20261130);
      const NAMES = ['Acme', 'Birch & Co', 'Cafe\u0301 Nord', "O'Hara", 'Ølstad', '😀 Emoji', 'Zed'];
      const CITIES = [null, 'Oslo', 'Graz', 'Córdoba'];
      const COUNTRIES = [null, 'Norway', 'Austria', 'Spain'];
      const CATEGORIES = [null, 'A', 'B', 'C', 'D', 'E', 'F'];
      const amount = () => (random() < 0.5 ? Math.round(random() * 1e8) / 100 : Math.round(random() * 1e9) / 1e6);
      const customerBody = (n: number) => ({
        name: `${pick(random, NAMES)} ${n}`,
        city: pick(random, CITIES),
        country: pick(random, COUNTRIES),
        scoring: Math.floor(random() * 11),
      });
      const customers: string[] = [];
      const incidents: string[] = [];
      const seqs: Record<string, number> = { [CUSTOMER_FEED]: 0, [INCIDENT_FEED]: 0 };
      const done = new Set<string>();
      /** Whether a body sets some field to a value other than the stored one (text as the API stores it: NFC). */
      const changes = (body: Json, current: object) =>
        Object.entries(body).some(
          ([field, value]) => (typeof value === 'string' ? value.normalize('NFC') : value) !== (current as Json)[field],
        );

      /** Checks the one event (or none) an API write appended to its feed, and catches up with the other feed. */
      const expectEvent = async (feed: string, type: string | null, id: string, version: number) => {
        const events = await eventsAfter(feed, seqs[feed] ?? 0);
        expect({ type, events: events.map((e) => [e.type, e.aggregateId, e.version]) }).toEqual({
          type,
          events: type === null ? [] : [[type, id, version]],
        });
        seqs[feed] = events.at(-1)?.seq ?? seqs[feed] ?? 0;
        for (const other of [CUSTOMER_FEED, INCIDENT_FEED]) if (other !== feed) seqs[other] = await lastSeq(other);
      };

      /** Plain SQL as a user would run it, at a few fixed points of the sequence. */
      const plainSql: Record<number, () => Promise<void>> = {
        10: async () => {
          t()
            .sql(`INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('sql-c-1', 'Solo SQL Ltd', 'Lima', 'Peru', 4);
                   INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('sql-i-1', 42.5, 'Solo SQL Ltd', 'C');`);
          customers.push('sql-c-1');
          incidents.push('sql-i-1');
        },
        25: async () => {
          t().sql(`UPDATE Customers SET Name = 'Solo SQL Renamed', Scoring = 5 WHERE Id = 'sql-c-1';
                   UPDATE Incidents SET Amount = Amount + 1 WHERE Id = ${sqlText(incidents[0] ?? '')};`);
        },
        40: async () => {
          if (!customers.includes('sql-c-1')) customers.push('sql-c-1');
          const incident = incidents.find((id) => id !== 'sql-i-1');
          t()
            .sql(`INSERT OR REPLACE INTO Customers (Id, Name, City, Country, Scoring) VALUES ('sql-c-1', 'Solo SQL Renamed', NULL, 'Peru', 9);
                   ${incident ? `INSERT OR REPLACE INTO Incidents (Id, Amount, CustomerName, Category) SELECT Id, 7.25, CustomerName, 'F' FROM Incidents WHERE Id = ${sqlText(incident)};` : ''}`);
        },
        50: async () => {
          t().sql(`DELETE FROM Customers WHERE Id = 'sql-c-1';
                   INSERT INTO Incidents (Id, Amount, CustomerName) VALUES ('sql-i-2', 3, 'Nobody At All');`);
          if (customers.includes('sql-c-1')) customers.splice(customers.indexOf('sql-c-1'), 1);
          incidents.push('sql-i-2');
        },
      };

      for (let step = 0; step < 60; step++) {
        const sql = plainSql[step];
        if (sql) {
          await sql();
          done.add('sql');
          for (const feed of [CUSTOMER_FEED, INCIDENT_FEED]) seqs[feed] = await lastSeq(feed);
        }
        const roll = random();
        if (customers.length < 3 || roll < 0.12) {
          const created = await createCustomer(customerBody(step));
          customers.push(created.id);
          await expectEvent(CUSTOMER_FEED, 'CustomerCreated', created.id, 1);
          done.add('create customer');
        } else if (roll < 0.3) {
          const created = await createIncident(pick(random, customers), {
            amount: amount(),
            category: pick(random, CATEGORIES),
          });
          incidents.push(created.id);
          await expectEvent(INCIDENT_FEED, 'IncidentCreated', created.id, 1);
          done.add('create incident');
        } else if (roll < 0.5) {
          const id = pick(random, customers);
          const current = await getJson<Customer>(itemPath(CUSTOMERS, id));
          const full = customerBody(step);
          const body = random() < 0.4 ? full : Object.fromEntries(Object.entries(full).filter(() => random() < 0.5));
          const method = body === full ? 'PUT' : 'PATCH';
          const updated = await write<Customer>(method, itemPath(CUSTOMERS, id), body, current.version);
          const changed = updated.version !== current.version;
          expect({ body, changed }).toEqual({ body, changed: changes(body, current) });
          expect(updated.version).toBe(current.version + (changed ? 1 : 0));
          await expectEvent(CUSTOMER_FEED, changed ? 'CustomerUpdated' : null, id, updated.version);
          done.add(`${method} customer`);
        } else if (roll < 0.72) {
          if (incidents.length === 0) continue;
          const id = pick(random, incidents);
          const current = await getJson<Incident>(itemPath(INCIDENTS, id));
          const full = { amount: amount(), category: pick(random, CATEGORIES), customerId: current.customerId };
          const body =
            random() < 0.4
              ? full
              : Object.fromEntries(Object.entries(full).filter(([key]) => key !== 'customerId' && random() < 0.6));
          const method = body === full ? 'PUT' : 'PATCH';
          const updated = await write<Incident>(method, itemPath(INCIDENTS, id), body, current.version);
          const changed = updated.version !== current.version;
          expect({ body, changed }).toEqual({ body, changed: changes(body, current) });
          expect(updated.version).toBe(current.version + (changed ? 1 : 0));
          await expectEvent(INCIDENT_FEED, changed ? 'IncidentUpdated' : null, id, updated.version);
          done.add(`${method} incident`);
        } else if (roll < 0.85) {
          if (incidents.length === 0) continue;
          const id = pick(random, incidents);
          const current = await getJson<Incident>(itemPath(INCIDENTS, id));
          await remove(itemPath(INCIDENTS, id), current.version);
          incidents.splice(incidents.indexOf(id), 1);
          await expectEvent(INCIDENT_FEED, 'IncidentDeleted', id, current.version + 1);
          done.add('delete incident');
        } else {
          const id = pick(random, customers);
          const current = await getJson<Customer>(itemPath(CUSTOMERS, id));
          const response = await send('DELETE', itemPath(CUSTOMERS, id), { headers: ifMatch(current.version) });
          if (response.status === 409) {
            await expectEvent(CUSTOMER_FEED, null, id, current.version);
            done.add('delete customer refused');
          } else {
            expect(response.status).toBe(204);
            customers.splice(customers.indexOf(id), 1);
            await expectEvent(CUSTOMER_FEED, 'CustomerDeleted', id, current.version + 1);
            done.add('delete customer');
          }
        }
      }
      expect([...done].sort()).toEqual(
        [
          'PATCH customer',
          'PATCH incident',
          'PUT customer',
          'PUT incident',
          'create customer',
          'create incident',
          'delete customer',
          'delete customer refused',
          'delete incident',
          'sql',
        ].sort(),
      );

      // The consumer: Created sets every field, Updated sets the changed ones, Deleted removes; versions follow.
      for (const [feed, collection, fields] of [
        [CUSTOMER_FEED, CUSTOMERS, CUSTOMER_FIELDS],
        [INCIDENT_FEED, INCIDENTS, INCIDENT_FIELDS],
      ] as const) {
        const events = await eventsAfter(feed, 0, 25);
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        const state = new Map<string, Json>();
        for (const event of events) {
          const current = state.get(event.aggregateId);
          expect({ seq: event.seq, version: event.version }).toEqual({
            seq: event.seq,
            version: Number(current?.version ?? 0) + 1,
          });
          const next: Json = { ...(event.type.endsWith('Created') ? {} : current), version: event.version };
          for (const [field, change] of Object.entries(event.diff)) next[field] = change.new;
          if (event.type.endsWith('Deleted')) state.delete(event.aggregateId);
          else state.set(event.aggregateId, next);
        }
        const listed = ((await followPages(t(), `${collection}?limit=7`)) as Array<Array<{ id: string }>>)
          .flat()
          .map((item) => item.id);
        expect([...state.keys()].sort()).toEqual([...listed].sort());
        for (const [id, replayed] of state) {
          const resource = await getJson<Json>(itemPath(collection, id));
          expect({ id, ...replayed }).toEqual({ id, ...fieldsOf(fields, resource), version: resource.version });
        }
      }

      // And every incident that refers to a customer carries that customer's name.
      for (const id of incidents) {
        const incident = await getJson<Incident>(itemPath(INCIDENTS, id));
        if (incident.customerId !== null)
          expect(incident.customerName).toBe((await getJson<Customer>(itemPath(CUSTOMERS, incident.customerId))).name);
      }
    });
  });

  describe('plain SQL writes', () => {
    it('a customer INSERT, UPDATE and DELETE each append their event and bump the version; one that changes nothing appends none', async () => {
      t().sql("INSERT INTO Customers (Scoring, Name, Id) VALUES (4, 'Shell Ltd', 'sql-c1');");
      const inserted = await getJson<Customer>(itemPath(CUSTOMERS, 'sql-c1'));
      expect(inserted).toEqual({
        id: 'sql-c1',
        name: 'Shell Ltd',
        city: null,
        country: null,
        scoring: 4,
        version: 1,
        createdAt: inserted.createdAt,
        updatedAt: inserted.createdAt,
      });
      expectTimestamp(inserted.createdAt);
      await tick();
      t().sql("UPDATE Customers SET Country = 'Chile' WHERE Id = 'sql-c1';");
      t().sql("UPDATE Customers SET Country = 'Chile', Name = Name WHERE Id = 'sql-c1';");
      const updated = await getJson<Customer>(itemPath(CUSTOMERS, 'sql-c1'));
      expect(updated).toMatchObject({ country: 'Chile', version: 2, createdAt: inserted.createdAt });
      expect(updated.updatedAt > inserted.updatedAt).toBe(true);
      // The API sees the new version: the old ETag is stale.
      expect(
        (await send('PATCH', itemPath(CUSTOMERS, 'sql-c1'), { body: { scoring: 1 }, headers: ifMatch(1) })).status,
      ).toBe(412);
      t().sql("DELETE FROM Customers WHERE Id = 'sql-c1';");
      expect((await t().fetch(itemPath(CUSTOMERS, 'sql-c1'))).status).toBe(404);
      const events = await eventsAfter(CUSTOMER_FEED, 0);
      expect(events.map(({ type, aggregateId, version, diff }) => ({ type, aggregateId, version, diff }))).toEqual([
        { type: 'CustomerCreated', aggregateId: 'sql-c1', version: 1, diff: diffOf(CUSTOMER_FIELDS, null, inserted) },
        { type: 'CustomerUpdated', aggregateId: 'sql-c1', version: 2, diff: { country: { old: null, new: 'Chile' } } },
        { type: 'CustomerDeleted', aggregateId: 'sql-c1', version: 3, diff: diffOf(CUSTOMER_FIELDS, updated, null) },
      ]);
    });

    it('an incident INSERT, UPDATE and DELETE each append their event and bump the version', async () => {
      t().sql(
        "INSERT INTO Incidents (Category, CustomerName, Amount, Id) VALUES ('D', 'Nobody Ltd', 19.99, 'sql-i1');",
      );
      const inserted = await getJson<Incident>(itemPath(INCIDENTS, 'sql-i1'));
      expect(inserted).toEqual({
        id: 'sql-i1',
        amount: 19.99,
        customerName: 'Nobody Ltd',
        category: 'D',
        customerId: null,
        version: 1,
        createdAt: inserted.createdAt,
        updatedAt: inserted.createdAt,
      });
      t().sql(
        "UPDATE Incidents SET Amount = 20.5, Category = NULL WHERE Id = 'sql-i1'; UPDATE Incidents SET Amount = 20.5 WHERE Id = 'sql-i1';",
      );
      const updated = await getJson<Incident>(itemPath(INCIDENTS, 'sql-i1'));
      expect(updated).toMatchObject({ amount: 20.5, category: null, version: 2 });
      expect(await write<Incident>('PATCH', itemPath(INCIDENTS, 'sql-i1'), { category: 'E' }, 2)).toMatchObject({
        category: 'E',
        version: 3,
      });
      t().sql("DELETE FROM Incidents WHERE Id = 'sql-i1';");
      const events = await eventsAfter(INCIDENT_FEED, 0);
      expect(events.map(({ type, version, diff }) => ({ type, version, diff }))).toEqual([
        { type: 'IncidentCreated', version: 1, diff: diffOf(INCIDENT_FIELDS, null, inserted) },
        {
          type: 'IncidentUpdated',
          version: 2,
          diff: { amount: { old: 19.99, new: 20.5 }, category: { old: 'D', new: null } },
        },
        { type: 'IncidentUpdated', version: 3, diff: { category: { old: null, new: 'E' } } },
        { type: 'IncidentDeleted', version: 4, diff: diffOf(INCIDENT_FIELDS, { ...updated, category: 'E' }, null) },
      ]);
    });

    it('INSERT OR REPLACE counts as a new creation with the next version', async () => {
      const customer = await createCustomer({ name: 'Replace Me', scoring: 2 });
      const incident = await createIncident(customer.id, { amount: 4, category: 'A' });
      const seqs = [await lastSeq(CUSTOMER_FEED), await lastSeq(INCIDENT_FEED)] as const;
      t()
        .sql(`INSERT OR REPLACE INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(customer.id)}, 'Replace Me', 'Bern', NULL, 3);
               INSERT OR REPLACE INTO Incidents (Id, Amount, CustomerName, Category) VALUES (${sqlText(incident.id)}, 8, 'Replace Me', NULL);`);
      const replacedCustomer = await getJson<Customer>(itemPath(CUSTOMERS, customer.id));
      const replacedIncident = await getJson<Incident>(itemPath(INCIDENTS, incident.id));
      expect(replacedCustomer).toMatchObject({
        name: 'Replace Me',
        city: 'Bern',
        country: null,
        scoring: 3,
        version: 2,
      });
      expect(replacedIncident).toMatchObject({
        amount: 8,
        customerName: 'Replace Me',
        category: null,
        customerId: customer.id,
        version: 2,
      });
      expect(await eventsAfter(CUSTOMER_FEED, seqs[0])).toEqual([
        {
          seq: seqs[0] + 1,
          type: 'CustomerCreated',
          aggregateId: customer.id,
          version: 2,
          at: replacedCustomer.updatedAt,
          diff: diffOf(CUSTOMER_FIELDS, null, replacedCustomer),
        },
      ]);
      expect(await eventsAfter(INCIDENT_FEED, seqs[1])).toEqual([
        {
          seq: seqs[1] + 1,
          type: 'IncidentCreated',
          aggregateId: incident.id,
          version: 2,
          at: replacedIncident.updatedAt,
          diff: diffOf(INCIDENT_FIELDS, null, replacedIncident),
        },
      ]);
      // The totals count the replaced incident once.
      expect(await getJson('/incidents/top/by-volume/10')).toEqual([{ customerName: 'Replace Me', incidentVolume: 8 }]);
    });

    it('an id deleted and inserted again goes on from the next version, so the old ETag never matches the new row', async () => {
      t().sql("INSERT INTO Customers (Id, Name, Scoring) VALUES ('again', 'First Life', 1);");
      const first = await getJson<Customer>(itemPath(CUSTOMERS, 'again'));
      await tick();
      t().sql(
        "DELETE FROM Customers WHERE Id = 'again'; INSERT INTO Customers (Id, Name, Scoring) VALUES ('again', 'Second Life', 2);",
      );
      const second = await t().fetch(itemPath(CUSTOMERS, 'again'));
      expect(second.headers.get('etag')).toBe('"3"');
      const body = (await second.json()) as Customer;
      expect(body).toMatchObject({ name: 'Second Life', version: 3 });
      expect(body.createdAt > (first.createdAt ?? '')).toBe(true);
      expect((await t().fetch(itemPath(CUSTOMERS, 'again'), { headers: { 'if-none-match': '"1"' } })).status).toBe(200);
      expect(
        (await send('PATCH', itemPath(CUSTOMERS, 'again'), { body: { scoring: 3 }, headers: ifMatch(1) })).status,
      ).toBe(412);
      expect((await eventsAfter(CUSTOMER_FEED, 0)).map((e) => [e.type, e.version])).toEqual([
        ['CustomerCreated', 1],
        ['CustomerDeleted', 2],
        ['CustomerCreated', 3],
      ]);
    });

    it('a new Id given with plain SQL is a new aggregate: the old one deleted, the new one created at version 1', async () => {
      t().sql("INSERT INTO Customers (Id, Name, Scoring) VALUES ('old-id', 'Rekeyed Ltd', 6);");
      t().sql("UPDATE Customers SET Id = 'new-id' WHERE Id = 'old-id';");
      expect((await t().fetch(itemPath(CUSTOMERS, 'old-id'))).status).toBe(404);
      expect(await getJson(itemPath(CUSTOMERS, 'new-id'))).toMatchObject({ name: 'Rekeyed Ltd', version: 1 });
      expect((await eventsAfter(CUSTOMER_FEED, 1)).map((e) => [e.type, e.aggregateId, e.version])).toEqual([
        ['CustomerDeleted', 'old-id', 2],
        ['CustomerCreated', 'new-id', 1],
      ]);
    });
  });

  describe('incidents refer to their customer (an aggregate reference)', () => {
    const topOf = async () => ({
      count: await getJson<Array<{ customerName: string; numberOfIncidents: number }>>('/incidents/top/by-count/10'),
      volume: await getJson<Array<{ customerName: string; incidentVolume: number }>>('/incidents/top/by-volume/10'),
    });

    it('renaming a customer moves its incidents: each gets the new name, version + 1 and one IncidentUpdated; the totals follow', async () => {
      const owner = await createCustomer({ name: 'Old Name Ltd', scoring: 5 });
      const bystander = await createCustomer({ name: 'Bystander', scoring: 5 });
      const mine = [
        await createIncident(owner.id, { amount: 10.25 }),
        await createIncident(owner.id, { amount: 5.5, category: 'A' }),
      ];
      const theirs = await createIncident(bystander.id, { amount: 1 });
      expect(mine.map((i) => [i.customerId, i.customerName])).toEqual([
        [owner.id, 'Old Name Ltd'],
        [owner.id, 'Old Name Ltd'],
      ]);
      const before = await topOf();
      expect(before.count).toContainEqual({ customerName: 'Old Name Ltd', numberOfIncidents: 2 });
      expect(before.volume).toContainEqual({ customerName: 'Old Name Ltd', incidentVolume: 15.75 });
      const seqs = [await lastSeq(CUSTOMER_FEED), await lastSeq(INCIDENT_FEED)] as const;
      await tick();

      const renamed = await write<Customer>('PATCH', itemPath(CUSTOMERS, owner.id), { name: 'New Name Ltd' }, 1);
      expect(renamed).toMatchObject({ name: 'New Name Ltd', version: 2 });
      for (const incident of mine) {
        const moved = await getJson<Incident>(itemPath(INCIDENTS, incident.id));
        expect(moved).toEqual({ ...incident, customerName: 'New Name Ltd', version: 2, updatedAt: moved.updatedAt });
        expect(moved.updatedAt > incident.updatedAt).toBe(true);
      }
      expect(await getJson(itemPath(INCIDENTS, theirs.id))).toEqual(theirs);
      expect(
        (await eventsAfter(CUSTOMER_FEED, seqs[0])).map((e) => [e.type, e.aggregateId, e.version, e.diff]),
      ).toEqual([['CustomerUpdated', owner.id, 2, { name: { old: 'Old Name Ltd', new: 'New Name Ltd' } }]]);
      const incidentEvents = await eventsAfter(INCIDENT_FEED, seqs[1]);
      expect(
        incidentEvents
          .map((e) => [e.type, e.aggregateId, e.version, e.diff])
          .sort((a, b) => byCodePoint(String(a[1]), String(b[1]))),
      ).toEqual(
        mine
          .map((i) => i.id)
          .sort(byCodePoint)
          .map((id) => ['IncidentUpdated', id, 2, { customerName: { old: 'Old Name Ltd', new: 'New Name Ltd' } }]),
      );

      const after = await topOf();
      const rename = <T extends { customerName: string }>(rows: T[]) =>
        rows
          .map((row) => (row.customerName === 'Old Name Ltd' ? { ...row, customerName: 'New Name Ltd' } : row))
          .sort((a, b) => byCodePoint(a.customerName, b.customerName));
      const byName = <T extends { customerName: string }>(rows: T[]) =>
        [...rows].sort((a, b) => byCodePoint(a.customerName, b.customerName));
      expect(byName(after.count)).toEqual(rename(before.count));
      expect(byName(after.volume)).toEqual(rename(before.volume));
      expect(JSON.stringify(after)).not.toContain('Old Name Ltd');
      expect(
        (await getJson<Incident[]>(`${INCIDENTS}?customerName=${encodeURIComponent('New Name Ltd')}`)).length,
      ).toBe(2);
      expect(await getJson(`${INCIDENTS}?customerName=${encodeURIComponent('Old Name Ltd')}`)).toEqual([]);
    });

    it('refuses to delete a customer its incidents refer to (409 with their number), changing nothing; allows it once they are gone', async () => {
      const owner = await createCustomer({ name: 'Still Referenced' });
      const incidents = [await createIncident(owner.id), await createIncident(owner.id)];
      const before = await snapshot();
      const problem = await expectRefused(
        await send('DELETE', itemPath(CUSTOMERS, owner.id), { headers: ifMatch(1) }),
        409,
        'conflict',
        before,
      );
      expect(problem.incidents).toBe(2);
      expect(problem.detail).toContain('2 incidents');
      for (const incident of incidents) await remove(itemPath(INCIDENTS, incident.id), 1);
      await remove(itemPath(CUSTOMERS, owner.id), 1);
      expect((await t().fetch(itemPath(CUSTOMERS, owner.id))).status).toBe(404);
    });

    it('a plain-SQL incident under the name of exactly one customer refers to it, follows its renames, and blocks its deletion', async () => {
      const solo = await createCustomer({ name: 'Solo Name' });
      await createCustomer({ name: 'Solo Name Two' });
      t().sql(
        "INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('sql-linked', 7.5, 'Solo Name', 'C');",
      );
      expect(await getJson(itemPath(INCIDENTS, 'sql-linked'))).toMatchObject({
        customerName: 'Solo Name',
        customerId: solo.id,
        version: 1,
      });
      const [created] = await eventsAfter(INCIDENT_FEED, 0);
      expect(created?.diff.customerId).toEqual({ old: null, new: solo.id });
      await write('PATCH', itemPath(CUSTOMERS, solo.id), { name: 'Solo Renamed' }, 1);
      expect(await getJson(itemPath(INCIDENTS, 'sql-linked'))).toMatchObject({
        customerName: 'Solo Renamed',
        customerId: solo.id,
        version: 2,
      });
      expect((await send('DELETE', itemPath(CUSTOMERS, solo.id), { headers: ifMatch(2) })).status).toBe(409);
    });

    it('a plain-SQL incident under a name two customers share, or none has, refers to none and keeps its name', async () => {
      const twins = [await createCustomer({ name: 'Twin Name' }), await createCustomer({ name: 'Twin Name' })];
      t().sql(`INSERT INTO Incidents (Id, Amount, CustomerName) VALUES ('sql-twin', 1, 'Twin Name');
               INSERT INTO Incidents (Id, Amount, CustomerName) VALUES ('sql-ghost', 2, 'Nobody Ltd');`);
      const twin = await getJson<Incident>(itemPath(INCIDENTS, 'sql-twin'));
      const ghost = await getJson<Incident>(itemPath(INCIDENTS, 'sql-ghost'));
      expect(twin).toMatchObject({ customerName: 'Twin Name', customerId: null, version: 1 });
      expect(ghost).toMatchObject({ customerName: 'Nobody Ltd', customerId: null, version: 1 });
      await write('PATCH', itemPath(CUSTOMERS, twins[0]?.id ?? ''), { name: 'Twin Renamed' }, 1);
      await remove(itemPath(CUSTOMERS, twins[1]?.id ?? ''), 1);
      expect(await getJson(itemPath(INCIDENTS, 'sql-twin'))).toEqual(twin);
      expect(await getJson(itemPath(INCIDENTS, 'sql-ghost'))).toEqual(ghost);
      expect((await eventsAfter(INCIDENT_FEED, 2)).length).toBe(0);
    });

    it('a customer deleted with plain SQL leaves its incidents in place, with their name and in the totals, referring to none (an IncidentUpdated each)', async () => {
      const owner = await createCustomer({ name: 'Deleted By SQL' });
      const incidents = [await createIncident(owner.id, { amount: 3 }), await createIncident(owner.id, { amount: 4 })];
      const seqs = [await lastSeq(CUSTOMER_FEED), await lastSeq(INCIDENT_FEED)] as const;
      t().sql(`DELETE FROM Customers WHERE Id = ${sqlText(owner.id)};`);
      for (const incident of incidents) {
        const orphan = await getJson<Incident>(itemPath(INCIDENTS, incident.id));
        expect(orphan).toEqual({ ...incident, customerId: null, version: 2, updatedAt: orphan.updatedAt });
      }
      expect((await eventsAfter(CUSTOMER_FEED, seqs[0])).map((e) => [e.type, e.aggregateId, e.version])).toEqual([
        ['CustomerDeleted', owner.id, 2],
      ]);
      expect(
        (await eventsAfter(INCIDENT_FEED, seqs[1]))
          .map((e) => [e.type, e.aggregateId, e.version, e.diff])
          .sort((a, b) => byCodePoint(String(a[1]), String(b[1]))),
      ).toEqual(
        incidents
          .map((i) => i.id)
          .sort(byCodePoint)
          .map((id) => ['IncidentUpdated', id, 2, { customerId: { old: owner.id, new: null } }]),
      );
      expect(await getJson('/incidents/top/by-count/10')).toEqual([
        { customerName: 'Deleted By SQL', numberOfIncidents: 2 },
      ]);
      expect(
        await write<Incident>('PATCH', itemPath(INCIDENTS, incidents[0]?.id ?? ''), { amount: 5 }, 2),
      ).toMatchObject({ customerName: 'Deleted By SQL', customerId: null, version: 3 });
    });

    it('a plain-SQL INSERT OR REPLACE that puts an incident under another customer’s name refers it to that customer, so renaming the first leaves it alone', async () => {
      const first = await createCustomer({ name: 'First Owner' });
      const second = await createCustomer({ name: 'Second Owner' });
      const incident = await createIncident(first.id, { amount: 6 });
      t().sql(
        `INSERT OR REPLACE INTO Incidents (Id, Amount, CustomerName, Category) VALUES (${sqlText(incident.id)}, 6, 'Second Owner', NULL);`,
      );
      expect(await getJson(itemPath(INCIDENTS, incident.id))).toMatchObject({
        customerName: 'Second Owner',
        customerId: second.id,
        version: 2,
      });
      await write('PATCH', itemPath(CUSTOMERS, first.id), { name: 'First Renamed' }, 1);
      expect(await getJson(itemPath(INCIDENTS, incident.id))).toMatchObject({ customerName: 'Second Owner' });
    });

    it('a customer renamed with a plain-SQL INSERT OR REPLACE takes its incidents with it', async () => {
      const owner = await createCustomer({ name: 'Replaced Name', scoring: 1 });
      const incident = await createIncident(owner.id, { amount: 2 });
      t().sql(
        `INSERT OR REPLACE INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(owner.id)}, 'Replacing Name', NULL, NULL, 1);`,
      );
      expect(await getJson(itemPath(CUSTOMERS, owner.id))).toMatchObject({ name: 'Replacing Name', version: 2 });
      expect(await getJson(itemPath(INCIDENTS, incident.id))).toMatchObject({
        customerName: 'Replacing Name',
        customerId: owner.id,
        version: 2,
      });
    });
  });

  describe('list filters', () => {
    interface Seeded {
      customers: Customer[];
      incidents: Incident[];
      /** The updatedAt of the first write after a pause: updatedSince= from it selects the later writes. */
      cutoff: string;
      /** The first of the two customers named "Nordic Alpha": three incidents refer to it, one to the other. */
      alpha: string;
    }

    /** Customers and incidents with shared countries, scorings, names and categories, some updated later. */
    const seed = async (): Promise<Seeded> => {
      const specs: Json[] = [
        { name: 'Nordic Alpha', country: 'Norway', scoring: 9 },
        { name: 'Nordic Beta', country: 'Norway', scoring: 4 },
        { name: 'Nordic Gamma', country: 'Norway', scoring: 7, city: 'Bergen' },
        { name: 'Gallic One', country: 'France', scoring: 7 },
        { name: 'Gallic Two', country: 'France', scoring: 2 },
        { name: 'Stateless', scoring: 8 },
        { name: 'Nordic Alpha', country: 'Norway', scoring: 9 },
      ];
      const customers: Customer[] = [];
      for (const spec of specs) customers.push(await createCustomer(spec));
      const [alpha, , , gallic, , stateless, alpha2] = customers as [
        Customer,
        Customer,
        Customer,
        Customer,
        Customer,
        Customer,
        Customer,
      ];
      const incidents: Incident[] = [];
      for (const [customer, category] of [
        [alpha, 'A'],
        [alpha, 'B'],
        [alpha, 'A'],
        [gallic, 'A'],
        [gallic, null],
        [stateless, 'C'],
        [alpha2, 'A'],
      ] as const) {
        incidents.push(await createIncident(customer.id, { amount: incidents.length + 1, category }));
      }
      t().sql("INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('sql-ghost', 9, 'Ghost Ltd', 'A');");
      await tick();
      const late = await write<Customer>('PATCH', itemPath(CUSTOMERS, customers[1]?.id ?? ''), { scoring: 8 }, 1);
      await write('PATCH', itemPath(CUSTOMERS, customers[4]?.id ?? ''), { country: 'Norway' }, 1);
      await write('PATCH', itemPath(INCIDENTS, incidents[4]?.id ?? ''), { category: 'A' }, 1);
      await write('PATCH', itemPath(INCIDENTS, incidents[1]?.id ?? ''), { amount: 50 }, 1);
      const all = async <T extends { id: string }>(collection: string) =>
        Promise.all(
          ((await followPages(t(), collection)) as T[][])
            .flat()
            .map((item) => getJson<T>(itemPath(collection, item.id))),
        );
      return {
        customers: await all<Customer>(CUSTOMERS),
        incidents: await all<Incident>(INCIDENTS),
        cutoff: late.updatedAt,
        alpha: alpha.id,
      };
    };

    /** Follows a filtered list to its end; checks each Link carries the filters; returns the items in order. */
    const followFiltered = async (collection: string, query: Record<string, string>, limit: number) => {
      const filters = Object.entries(query).map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
      const start = `${collection}?${[...filters, `limit=${limit}`].join('&')}`;
      const items: Json[] = [];
      let pages = 0;
      for (let next: string | null = start; next !== null; pages++) {
        const response = await t().fetch(next);
        items.push(...(await expectJson<Json[]>(response, 200)));
        const link = response.headers.get('link');
        next = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null);
        if (next !== null) for (const filter of filters) expect(next.split('?')[1]?.split('&')).toContain(filter);
        if (pages > 50) throw new Error(`no end to ${start}`);
      }
      return { items, pages };
    };

    const customerSummary = (c: Customer) => ({ id: c.id, name: c.name, country: c.country, scoring: c.scoring });
    const incidentSummary = (i: Incident) => ({ id: i.id, amount: i.amount, customerName: i.customerName });
    const plusTwoHours = (stamp: string) =>
      new Date(Date.parse(stamp) + 2 * 3600_000).toISOString().replace('Z', '+02:00');

    it('filters customers by country, minScoring and updatedSince, alone and combined, paging with the filters carried on', async () => {
      const { customers, cutoff } = await seed();
      const cases: Array<[Record<string, string>, (c: Customer) => boolean]> = [
        [{ country: 'Norway' }, (c) => c.country === 'Norway'],
        [{ country: 'France' }, (c) => c.country === 'France'],
        [{ country: 'Atlantis' }, () => false],
        [{ minScoring: '7' }, (c) => c.scoring >= 7],
        [{ minScoring: '0' }, () => true],
        [{ updatedSince: cutoff }, (c) => c.updatedAt >= cutoff],
        [{ updatedSince: plusTwoHours(cutoff) }, (c) => c.updatedAt >= cutoff],
        [{ country: 'Norway', minScoring: '7' }, (c) => c.country === 'Norway' && c.scoring >= 7],
        [
          { minScoring: '5', country: 'Norway', updatedSince: cutoff },
          (c) => c.country === 'Norway' && c.scoring >= 5 && c.updatedAt >= cutoff,
        ],
      ];
      for (const [query, keep] of cases) {
        const expected = customers
          .filter(keep)
          .sort((a, b) => byCodePoint(a.name, b.name) || byCodePoint(a.id, b.id))
          .map(customerSummary);
        const { items, pages } = await followFiltered(CUSTOMERS, query, 2);
        expect({ query, items }).toEqual({ query, items: expected });
        expect(pages).toBe(Math.max(1, Math.ceil(expected.length / 2)));
      }
      // The cases test something: the updated ones, and only they, are since the cutoff.
      expect(
        customers
          .filter((c) => c.updatedAt >= cutoff)
          .map((c) => c.name)
          .sort(),
      ).toEqual(['Gallic Two', 'Nordic Beta']);
    });

    it('filters incidents by customerName, customerId, category and updatedSince, alone and combined, paging with the filters carried on', async () => {
      const { incidents, cutoff, alpha } = await seed();
      const cases: Array<[Record<string, string>, (i: Incident) => boolean]> = [
        [{ customerName: 'Nordic Alpha' }, (i) => i.customerName === 'Nordic Alpha'],
        [{ customerName: 'Ghost Ltd' }, (i) => i.customerName === 'Ghost Ltd'],
        [{ customerId: alpha }, (i) => i.customerId === alpha],
        [{ category: 'A' }, (i) => i.category === 'A'],
        [{ updatedSince: cutoff }, (i) => i.updatedAt >= cutoff],
        [{ updatedSince: plusTwoHours(cutoff) }, (i) => i.updatedAt >= cutoff],
        [
          { customerName: 'Nordic Alpha', category: 'A' },
          (i) => i.customerName === 'Nordic Alpha' && i.category === 'A',
        ],
        [
          { category: 'A', customerId: alpha, updatedSince: '2000-01-01T00:00:00Z' },
          (i) => i.category === 'A' && i.customerId === alpha,
        ],
        [{ category: 'A', updatedSince: cutoff }, (i) => i.category === 'A' && i.updatedAt >= cutoff],
        [{ customerId: 'no-such-customer' }, () => false],
      ];
      for (const [query, keep] of cases) {
        const expected = incidents
          .filter(keep)
          .sort((a, b) => byCodePoint(a.id, b.id))
          .map(incidentSummary);
        const { items, pages } = await followFiltered(INCIDENTS, query, 2);
        expect({ query, items }).toEqual({ query, items: expected });
        expect(pages).toBe(Math.max(1, Math.ceil(expected.length / 2)));
      }
      expect(incidents.filter((i) => i.customerName === 'Nordic Alpha' && i.customerId !== alpha).length).toBe(1);
      expect(incidents.filter((i) => i.updatedAt >= cutoff).length).toBe(2);
    });

    it('matches ?customerId= ignoring ASCII case, like ids everywhere, and text filters in their NFC form', async () => {
      const customer = await createCustomer({ name: 'Cafe\u0301 Filter', scoring: 3, country: 'Co\u0302te d’Ivoire' });
      const incident = await createIncident(customer.id, { amount: 1, category: 'A' });
      const ids = async (path: string) => ((await getJson<Array<{ id: string }>>(path)) ?? []).map((i) => i.id);
      expect(await ids(`${INCIDENTS}?customerId=${encodeURIComponent(customer.id.toUpperCase())}`)).toEqual([
        incident.id,
      ]);
      expect(await ids(`${INCIDENTS}?customerName=${encodeURIComponent('Cafe\u0301 Filter')}`)).toEqual([incident.id]);
      expect(await ids(`${CUSTOMERS}?country=${encodeURIComponent('Co\u0302te d’Ivoire')}`)).toEqual([customer.id]);
    });

    it.each([
      [CUSTOMERS, 'county=Norway', 'Unknown query parameter "county"', CUSTOMER_FILTERS],
      [CUSTOMERS, 'category=A', 'Unknown query parameter "category"', CUSTOMER_FILTERS],
      [INCIDENTS, 'customer=Acme', 'Unknown query parameter "customer"', INCIDENT_FILTERS],
      [INCIDENTS, 'country=Norway', 'Unknown query parameter "country"', INCIDENT_FILTERS],
      [CUSTOMERS, 'country=Norway&country=France', 'more than once', CUSTOMER_FILTERS],
      [CUSTOMERS, 'limit=1&limit=2', 'more than once', CUSTOMER_FILTERS],
      [INCIDENTS, 'category=A&category=A', 'more than once', INCIDENT_FILTERS],
      [CUSTOMERS, 'minScoring=abc', 'minScoring must be a whole number from 0 to 10', null],
      [CUSTOMERS, 'minScoring=11', 'minScoring must be a whole number from 0 to 10', null],
      [CUSTOMERS, 'minScoring=1.5', 'minScoring must be a whole number from 0 to 10', null],
      [CUSTOMERS, 'minScoring=', 'minScoring must be a whole number from 0 to 10', null],
      [CUSTOMERS, 'updatedSince=yesterday', 'updatedSince must be an RFC 3339 date-time', null],
      [CUSTOMERS, 'updatedSince=2026-02-30T00:00:00Z', 'updatedSince must be an RFC 3339 date-time', null],
      [CUSTOMERS, 'updatedSince=2026-11-30', 'updatedSince must be an RFC 3339 date-time', null],
      [CUSTOMERS, 'updatedSince=2026-11-30T24:00:00Z', 'updatedSince must be an RFC 3339 date-time', null],
      [CUSTOMERS, 'updatedSince=2026-11-30T08:00:00', 'updatedSince must be an RFC 3339 date-time', null],
      [INCIDENTS, 'updatedSince=2026-11-30T08:00:00%2B24:00', 'updatedSince must be an RFC 3339 date-time', null],
      [CUSTOMERS, 'country=', 'country must be 1 to 200 characters', null],
      [INCIDENTS, 'customerName=', 'customerName must be 1 to 200 characters', null],
      [INCIDENTS, 'category=Z', 'category must be one of A, B, C, D, E, F', null],
      [CUSTOMERS, 'updatedSince=9999-12-31T23:00:00-02:00', 'updatedSince must be an RFC 3339 date-time', null],
    ])('%s?%s answers 400 invalid-query (%s)', async (collection, query, phrase, allowed) => {
      const response = await t().fetch(`${collection}?${query}`);
      expect(response.status).toBe(400);
      const problem = (await readProblem(response)) as Problem;
      expect(problem).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-query' });
      expect(problem.detail).toContain(phrase);
      if (allowed) {
        expect(problem.allowed).toEqual(allowed);
        for (const name of allowed) expect(problem.detail).toContain(name);
      }
    });
  });
}

/**
 * Registers the contract of components that have no API token configured: every write is a 403 that
 * changes nothing, whatever the request carries; reads still answer.
 */
export function writesDisabledContract(getTarget: () => WriteTarget): void {
  const { send, getJson, snapshot, expectRefused } = writeClient(getTarget);

  beforeEach(() =>
    getTarget().sql(`${RESET_SQL()}
      INSERT INTO Customers (Id, Name, Scoring) VALUES ('c-1', 'Read Only Ltd', 5);
      INSERT INTO Incidents (Id, Amount, CustomerName) VALUES ('i-1', 5, 'Read Only Ltd');`),
  );

  it.each([
    ['POST', CUSTOMERS, { name: 'New', scoring: 1 }],
    ['PUT', `${CUSTOMERS}/c-1`, { name: 'New', scoring: 1 }],
    ['PATCH', `${CUSTOMERS}/c-1`, { scoring: 1 }],
    ['DELETE', `${CUSTOMERS}/c-1`, undefined],
    ['POST', INCIDENTS, { amount: 1, customerId: 'c-1' }],
    ['PUT', `${INCIDENTS}/i-1`, { amount: 1, customerId: 'c-1' }],
    ['PATCH', `${INCIDENTS}/i-1`, { amount: 1 }],
    ['DELETE', `${INCIDENTS}/i-1`, undefined],
  ] as const)(
    'answers %s %s with 403 writes-disabled, with or without a token, and changes nothing',
    async (method, path, body) => {
      const before = await snapshot();
      for (const auth of [true, false]) {
        const problem = await expectRefused(
          await send(method, path, { body, auth, headers: ifMatch('*') }),
          403,
          'writes-disabled',
          before,
        );
        expect(problem.detail).toContain('api_token');
      }
    },
  );

  it('still answers reads', async () => {
    expect(await getJson(`${CUSTOMERS}/c-1`)).toMatchObject({ name: 'Read Only Ltd', version: 1 });
    expect(await getJson(`${INCIDENTS}/i-1`)).toMatchObject({ customerId: 'c-1', version: 1 });
    expect(await getJson(`${CUSTOMER_FEED}/last`)).toEqual({ seq: 1 });
  });
}
