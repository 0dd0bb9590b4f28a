/**
 * The customers component's HTTP contract, written once and run against every target:
 * the in-process app on a SQLite file (tests/unit) and the real Wasm component on the local runtime (tests/e2e).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH, MAX_LIMIT } from '@aggregates/common/params';
import { byCodePoint, CUSTOMERS, insertCustomersSql, type CustomerRow } from './fixtures';
import { httpContract } from './http.contract';
import { followPages, readProblem, RESET_SQL, RFC3339_MILLIS, type ServiceTarget } from './target';

const summary = (c: CustomerRow) => ({ id: c.id, name: c.name, country: c.country, scoring: c.scoring });
const byNameThenId = (a: CustomerRow, b: CustomerRow) => byCodePoint(a.name, b.name) || byCodePoint(a.id, b.id);
const byTop = (a: CustomerRow, b: CustomerRow) => b.scoring - a.scoring || byNameThenId(a, b);

/** Registers the contract; `getTarget` is called inside each test, after the suite's own setup ran. */
export function customersContract(getTarget: () => ServiceTarget, countRows: () => number): void {
  const get = async (path: string) => {
    const response = await getTarget().fetch(path);
    return { response, body: (await response.json()) as unknown };
  };

  beforeEach(() => getTarget().sql(RESET_SQL() + insertCustomersSql()));

  describe('GET /customers/items', () => {
    it('lists every customer as {id, name, country, scoring}, by name then id in code-point order', async () => {
      const { response, body } = await get('/customers/items');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(body).toEqual([...CUSTOMERS].sort(byNameThenId).map(summary));
      // Key order is part of the shape users diff against.
      expect(Object.keys((body as object[])[0] ?? {})).toEqual(['id', 'name', 'country', 'scoring']);
    });

    it('pages with ?limit= and a Link to the next page, the pages together being the whole list', async () => {
      const pages = (await followPages(getTarget(), '/customers/items?limit=3')) as object[][];
      expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
      expect(pages.flat()).toEqual([...CUSTOMERS].sort(byNameThenId).map(summary));
      const first = await getTarget().fetch('/customers/items?limit=3');
      expect(first.headers.get('link')).toMatch(/^<\/customers\/items\?limit=3&after=[^>]+>; rel="next"$/);
    });

    it.each([
      ['limit=0', 'limit must be a whole number from 1 to 2000'],
      ['limit=2001', 'limit must be a whole number from 1 to 2000'],
      ['limit=two', 'limit must be a whole number from 1 to 2000'],
      ['after=nope', 'after must be a cursor from a Link header of this list'],
      [`after=${encodeURIComponent('["only one"]')}`, 'after must be a cursor from a Link header of this list'],
    ])('answers 400 problem+json for ?%s', async (query, phrase) => {
      const response = await getTarget().fetch(`/customers/items?${query}`);
      expect(response.status).toBe(400);
      const problem = await readProblem(response);
      expect(problem).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-query' });
      expect(problem.detail).toContain(phrase);
    });

    it('returns an empty list for an empty table', async () => {
      getTarget().sql('DELETE FROM Customers;');
      expect((await get('/customers/items')).body).toEqual([]);
    });
  });

  describe('GET /customers/items/:id', () => {
    it('returns {id, name, city, country, scoring, version, createdAt, updatedAt}, with the version as ETag', async () => {
      const { response, body } = await get('/customers/items/C-006');
      expect(response.status).toBe(200);
      expect(body).toEqual({
        id: 'C-006',
        name: "O'Brien & Sons",
        city: 'Cork',
        country: 'Ireland',
        scoring: 7,
        version: 1,
        createdAt: expect.stringMatching(RFC3339_MILLIS),
        updatedAt: expect.stringMatching(RFC3339_MILLIS),
      });
      expect(Object.keys(body as object)).toEqual([
        'id',
        'name',
        'city',
        'country',
        'scoring',
        'version',
        'createdAt',
        'updatedAt',
      ]);
      expect(response.headers.get('etag')).toBe('"1"');
    });

    it('matches the id case-insensitively', async () => {
      expect((await get('/customers/items/c-006')).body).toMatchObject({ id: 'C-006' });
      expect((await get('/customers/items/C-002')).body).toMatchObject({ id: 'c-002' });
    });

    it('treats a percent-encoded id with quotes, slashes and spaces as data', async () => {
      const id = 'id with space/slash%percent"quote';
      const { response, body } = await get(`/customers/items/${encodeURIComponent(id)}`);
      expect(response.status).toBe(200);
      expect(body).toMatchObject({ id, name: 'Odd Id Ltd' });
    });

    it('treats SQL in an id as data, and leaves the table intact', async () => {
      const response = await getTarget().fetch(`/customers/items/${encodeURIComponent("x' OR '1'='1")}`);
      expect(response.status).toBe(404);
      expect(countRows()).toBe(CUSTOMERS.length);
    });

    it('returns 404 problem+json for an unknown id', async () => {
      const response = await getTarget().fetch('/customers/items/NOPE-404');
      expect(response.status).toBe(404);
      expect(await readProblem(response)).toEqual({
        type: 'urn:aggregates-dashboard:problem:not-found',
        title: 'Not found',
        status: 404,
        detail: 'There is no customer with id "NOPE-404".',
        instance: '/customers/items/NOPE-404',
      });
    });

    it.each([
      ['malformed percent-encoding', '%E0%A4%A', 'invalid-path'],
      ['a control character', 'abc%00def', 'invalid-id'],
      ['an id that is too long', 'x'.repeat(MAX_ID_LENGTH + 1), 'invalid-id'],
    ])('returns 400 for %s', async (_, rawId, code) => {
      const response = await getTarget().fetch(`/customers/items/${rawId}`);
      expect(response.status).toBe(400);
      expect(await readProblem(response)).toMatchObject({
        status: 400,
        type: `urn:aggregates-dashboard:problem:${code}`,
      });
    });
  });

  describe('GET /customers/count', () => {
    it('returns {count} as a JSON number', async () => {
      const { body } = await get('/customers/count');
      expect(body).toEqual({ count: CUSTOMERS.length });
    });

    it('counts rows inserted later with plain SQL', async () => {
      getTarget().sql("INSERT INTO Customers (Name, Id, Scoring) VALUES ('Late Ltd', 'late-1', 4);");
      expect((await get('/customers/count')).body).toEqual({ count: CUSTOMERS.length + 1 });
    });
  });

  describe('GET /customers/top/:limit', () => {
    it('returns the best-scored customers, ties by name then id in code-point order', async () => {
      const { response, body } = await get('/customers/top/6');
      expect(response.status).toBe(200);
      expect(body).toEqual([...CUSTOMERS].sort(byTop).slice(0, 6).map(summary));
      // Spelled out, so the test does not depend on the comparator above being right.
      expect((body as Array<{ name: string }>).map((c) => c.name)).toEqual([
        'Top Scorer',
        'Zed Corp',
        'Zed Corp',
        'alpha Ltd',
        'Émile SA',
        'Ａ Fullwidth KK',
      ]);
      expect((body as Array<{ id: string }>).slice(1, 3).map((c) => c.id)).toEqual(['C-000', 'C-001']);
    });

    it('returns every customer when the limit exceeds the count', async () => {
      const { body } = await get(`/customers/top/${MAX_LIMIT}`);
      expect(body).toEqual([...CUSTOMERS].sort(byTop).map(summary));
    });

    it('includes customers inserted later with plain SQL', async () => {
      getTarget().sql(
        "INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('new-top', 'AAA New', 'Rome', 'Italy', 10);",
      );
      expect((await get('/customers/top/1')).body).toEqual([
        { id: 'new-top', name: 'AAA New', country: 'Italy', scoring: 10 },
      ]);
    });

    it.each(['0', '-1', '1.5', 'abc', '1e3', String(MAX_LIMIT + 1), '99999999999999999999', '%20'])(
      'returns 400 problem+json naming the allowed range for limit %j',
      async (limit) => {
        const response = await getTarget().fetch(`/customers/top/${limit}`);
        expect(response.status).toBe(400);
        const problem = await readProblem(response);
        expect(problem).toMatchObject({
          status: 400,
          title: 'Invalid limit',
          type: 'urn:aggregates-dashboard:problem:invalid-limit',
        });
        expect(problem.detail).toContain(`from 1 to ${MAX_LIMIT}`);
      },
    );
  });

  describe('GET /customers/count-and-top/:limit', () => {
    it('answers what /customers/count and /customers/top/:limit answer, in one body, with their Data-Version', async () => {
      for (const limit of [1, 6, MAX_LIMIT]) {
        const { response, body } = await get(`/customers/count-and-top/${limit}`);
        expect(response.status).toBe(200);
        expect(body).toEqual({ count: CUSTOMERS.length, top: [...CUSTOMERS].sort(byTop).slice(0, limit).map(summary) });
        const parts = {
          count: ((await get('/customers/count')).body as { count: number }).count,
          top: (await get(`/customers/top/${limit}`)).body,
        };
        expect(body).toEqual(parts);
        const { seq } = (await get('/customers/events/last')).body as { seq: number };
        expect(response.headers.get('data-version')).toBe(String(seq));
      }
    });

    it('follows plain SQL writes: the count, the order and the data version move together', async () => {
      const before = await get('/customers/count-and-top/1');
      getTarget().sql(
        "INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('new-top', 'AAA New', 'Rome', 'Italy', 10);",
      );
      const after = await get('/customers/count-and-top/1');
      expect(after.body).toEqual({
        count: CUSTOMERS.length + 1,
        top: [{ id: 'new-top', name: 'AAA New', country: 'Italy', scoring: 10 }],
      });
      expect(Number(after.response.headers.get('data-version'))).toBeGreaterThan(
        Number(before.response.headers.get('data-version')),
      );
      getTarget().sql('DELETE FROM Customers;');
      expect((await get('/customers/count-and-top/5')).body).toEqual({ count: 0, top: [] });
    });

    it.each(['0', 'x', String(MAX_LIMIT + 1)])('returns 400 problem+json for limit %j', async (limit) => {
      const response = await getTarget().fetch(`/customers/count-and-top/${limit}`);
      expect(response.status).toBe(400);
      expect(await readProblem(response)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-limit' });
    });
  });

  describe('errors', () => {
    it('answers 500 problem+json without internals when the database fails', async () => {
      // A schema the component does not expect (a missing table would be recreated by the schema bootstrap).
      getTarget().sql('ALTER TABLE Customers RENAME COLUMN Name TO FullName;');
      const response = await getTarget().fetch('/customers/items');
      expect(response.status).toBe(500);
      expect(await readProblem(response)).toEqual({
        type: 'urn:aggregates-dashboard:problem:internal-error',
        title: 'Internal server error',
        status: 500,
        detail: 'The server failed to answer this request; the cause is in its log.',
        instance: '/customers/items',
      });
    });
  });

  describe('HTTP behaviour', () => {
    httpContract(getTarget, {
      readablePath: '/customers/count',
      routes: {
        '/customers/items': 'GET, HEAD, POST, OPTIONS',
        '/customers/items/C-006': 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS',
        '/customers/items/NOPE-404': 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS',
        '/customers/count': 'GET, HEAD, OPTIONS',
        '/customers/top/5': 'GET, HEAD, OPTIONS',
        '/customers/count-and-top/5': 'GET, HEAD, OPTIONS',
        '/customers/events': 'GET, HEAD, OPTIONS',
        '/customers/events/last': 'GET, HEAD, OPTIONS',
      },
      unknownPath: '/customers/nope',
      countSql: countRows,
    });
  });
}
