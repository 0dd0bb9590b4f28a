/**
 * The incidents component's HTTP contract, written once and run against every target:
 * the in-process app on a SQLite file (tests/unit) and the real Wasm component on the local runtime (tests/e2e).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH } from '@aggregates/common/params';
import { byCodePoint, INCIDENTS, insertIncidentsSql, type IncidentRow } from './fixtures';
import { httpContract } from './http.contract';
import { followPages, readProblem, RESET_SQL, RFC3339_MILLIS, type ServiceTarget } from './target';

const summary = (i: IncidentRow) => ({ id: i.id, amount: i.amount, customerName: i.customerName });

/** The expected `/incidents/grouped-by-customer` body, built member by member so key order is kept. */
function expectedGroupedText(rows: IncidentRow[]): string {
  const names = [...new Set(rows.map((i) => i.customerName))].sort(byCodePoint);
  const members = names.map((name) => {
    const group = rows.filter((i) => i.customerName === name).sort((a, b) => byCodePoint(a.id, b.id));
    return `${JSON.stringify(name)}:${JSON.stringify(group.map(summary))}`;
  });
  return `{${members.join(',')}}`;
}

export function incidentsContract(getTarget: () => ServiceTarget, countRows: () => number): void {
  const get = async (path: string) => {
    const response = await getTarget().fetch(path);
    return { response, body: (await response.json()) as unknown };
  };

  beforeEach(() => getTarget().sql(RESET_SQL() + insertIncidentsSql()));

  describe('GET /incidents/items', () => {
    it('lists every incident as {id, amount, customerName}, by id in code-point order', async () => {
      const { response, body } = await get('/incidents/items');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(body).toEqual([...INCIDENTS].sort((a, b) => byCodePoint(a.id, b.id)).map(summary));
      expect(Object.keys((body as object[])[0] ?? {})).toEqual(['id', 'amount', 'customerName']);
    });

    it('pages with ?limit= and Link headers, the pages together being the whole list', async () => {
      const pages = (await followPages(getTarget(), '/incidents/items?limit=4')) as object[][];
      expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
      expect(pages.flat()).toEqual([...INCIDENTS].sort((a, b) => byCodePoint(a.id, b.id)).map(summary));
    });

    it('keeps the decimals of amounts and returns them as JSON numbers', async () => {
      const text = await (await getTarget().fetch('/incidents/items')).text();
      expect(text).toContain('"amount":0.1,');
      expect(text).toContain('"amount":1234.56,');
      expect(text).toContain('"amount":7,');
      expect(text).toContain('"amount":0.01,');
    });
  });

  describe('GET /incidents/items/:id', () => {
    it('returns {id, amount, customerName, category, customerId, version, createdAt, updatedAt}, with the version as ETag', async () => {
      const { response, body } = await get('/incidents/items/I-003');
      expect(response.status).toBe(200);
      // Inserted with plain SQL under a name no customer has: it refers to no customer.
      expect(body).toEqual({
        id: 'I-003',
        amount: 1234.56,
        customerName: 'Ghost Customer',
        category: 'C',
        customerId: null,
        version: 1,
        createdAt: expect.stringMatching(RFC3339_MILLIS),
        updatedAt: expect.stringMatching(RFC3339_MILLIS),
      });
      expect(Object.keys(body as object)).toEqual([
        'id',
        'amount',
        'customerName',
        'category',
        'customerId',
        'version',
        'createdAt',
        'updatedAt',
      ]);
      expect(response.headers.get('etag')).toBe('"1"');
    });

    it('matches the id case-insensitively', async () => {
      expect((await get('/incidents/items/I-002')).body).toMatchObject({ id: 'i-002', amount: 0.1 });
    });

    it('finds a percent-encoded emoji id', async () => {
      expect((await get(`/incidents/items/${encodeURIComponent('I-😀')}`)).body).toMatchObject({
        id: 'I-😀',
        amount: 0.01,
      });
    });

    it('returns 404 problem+json for an unknown id, and 400 for a malformed one', async () => {
      const missing = await getTarget().fetch('/incidents/items/I-999');
      expect(missing.status).toBe(404);
      expect(await readProblem(missing)).toMatchObject({ detail: 'There is no incident with id "I-999".' });
      const tooLong = await getTarget().fetch(`/incidents/items/${'y'.repeat(MAX_ID_LENGTH + 1)}`);
      expect(tooLong.status).toBe(400);
      expect(await readProblem(tooLong)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-id' });
    });
  });

  describe('GET /incidents/grouped-by-customer', () => {
    it('groups by customer name as stored, names and ids in code-point order, keys in that order', async () => {
      const response = await getTarget().fetch('/incidents/grouped-by-customer');
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toBe(expectedGroupedText(INCIDENTS));
      // A name with no customer row, an integer-like name and "__proto__" are groups like any other.
      const body = JSON.parse(text) as Record<string, unknown[]>;
      expect(Object.hasOwn(body, '__proto__')).toBe(true);
      expect(body['Ghost Customer']).toEqual([{ id: 'I-003', amount: 1234.56, customerName: 'Ghost Customer' }]);
      expect(text.indexOf('"42"')).toBeLessThan(text.indexOf('"Ghost Customer"'));
      expect(body['Zed Corp']?.map((i) => (i as { id: string }).id)).toEqual(['I-000', 'I-001', 'I-005']);
    });

    it('pages by incidents: a group may continue on the next page under the same key', async () => {
      const pages = (await followPages(getTarget(), '/incidents/grouped-by-customer?limit=2')) as Array<
        Record<string, unknown[]>
      >;
      expect(pages).toHaveLength(5);
      // A Map, because one of the names is "__proto__".
      const merged = new Map<string, unknown[]>();
      for (const page of pages)
        for (const [name, group] of Object.entries(page)) merged.set(name, [...(merged.get(name) ?? []), ...group]);
      const byName = (a: [string, unknown], b: [string, unknown]) => byCodePoint(a[0], b[0]);
      expect([...merged].sort(byName)).toEqual(
        Object.entries(JSON.parse(expectedGroupedText(INCIDENTS)) as Record<string, unknown[]>).sort(byName),
      );
      // "Zed Corp" has three incidents: one ends a page, the other two fill the next.
      expect(pages.filter((page) => 'Zed Corp' in page).map((page) => page['Zed Corp']?.length)).toEqual([1, 2]);
    });

    it('returns {} for an empty table and reflects rows inserted later with plain SQL', async () => {
      getTarget().sql('DELETE FROM Incidents;');
      expect(await (await getTarget().fetch('/incidents/grouped-by-customer')).text()).toBe('{}');
      getTarget().sql("INSERT INTO Incidents (Id, CustomerName, Amount) VALUES ('late', 'Late Ltd', 12.5);");
      expect((await get('/incidents/grouped-by-customer')).body).toEqual({
        'Late Ltd': [{ id: 'late', amount: 12.5, customerName: 'Late Ltd' }],
      });
    });
  });

  describe('GET /incidents/top/by-count/:limit', () => {
    it('ranks customer names by number of incidents, ties by name in code-point order', async () => {
      const { response, body } = await get('/incidents/top/by-count/4');
      expect(response.status).toBe(200);
      expect(body).toEqual([
        { customerName: 'Zed Corp', numberOfIncidents: 3 },
        { customerName: '42', numberOfIncidents: 1 },
        { customerName: 'Ghost Customer', numberOfIncidents: 1 },
        { customerName: "O'Brien & Sons", numberOfIncidents: 1 },
      ]);
    });

    it('stays exact after plain SQL inserts, updates and deletes', async () => {
      getTarget().sql(`
        DELETE FROM Incidents WHERE CustomerName = 'Zed Corp' AND Id <> 'I-005';
        UPDATE Incidents SET CustomerName = 'alpha Ltd' WHERE Id = 'I-006';
        INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('n1', 1, 'alpha Ltd', 'A');
        INSERT OR REPLACE INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('I-003', 1, 'alpha Ltd', 'A');`);
      expect((await get('/incidents/top/by-count/2')).body).toEqual([
        { customerName: 'alpha Ltd', numberOfIncidents: 4 },
        { customerName: "O'Brien & Sons", numberOfIncidents: 1 },
      ]);
    });
  });

  describe('GET /incidents/top/by-volume/:limit', () => {
    it('ranks customer names by the sum of their amounts in cents, ties by name in code-point order', async () => {
      getTarget().sql(
        "INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('tie', 7, 'Another 7', 'A');",
      );
      const { response, body } = await get(`/incidents/top/by-volume/${INCIDENTS.length + 5}`);
      expect(response.status).toBe(200);
      expect(body).toEqual([
        { customerName: 'Ghost Customer', incidentVolume: 1234.56 },
        { customerName: 'Zed Corp', incidentVolume: 113.79 },
        { customerName: 'Another 7', incidentVolume: 7 },
        { customerName: "O'Brien & Sons", incidentVolume: 7 },
        { customerName: '42', incidentVolume: 5 },
        { customerName: '__proto__', incidentVolume: 1.25 },
        { customerName: 'alpha Ltd', incidentVolume: 0.1 },
        { customerName: '😀 Emoji Inc', incidentVolume: 0.01 },
      ]);
    });

    it('returns [] once every incident is deleted', async () => {
      getTarget().sql('DELETE FROM Incidents;');
      expect((await get('/incidents/top/by-volume/5')).body).toEqual([]);
      expect((await get('/incidents/top/by-count/5')).body).toEqual([]);
    });

    it.each(['0', '-3', 'x', '1001'])('returns 400 problem+json for limit %j', async (limit) => {
      const response = await getTarget().fetch(`/incidents/top/by-volume/${limit}`);
      expect(response.status).toBe(400);
      expect(await readProblem(response)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-limit' });
    });
  });

  describe('GET /incidents/rankings/:limit', () => {
    it('answers both rankings in one body, as the two top-N operations do, with their Data-Version', async () => {
      getTarget().sql(
        "INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('tie', 7, 'Another 7', 'A');",
      );
      for (const limit of [1, 4, INCIDENTS.length + 5]) {
        const { response, body } = await get(`/incidents/rankings/${limit}`);
        expect(response.status).toBe(200);
        expect(body).toEqual({
          mostIncidents: (await get(`/incidents/top/by-count/${limit}`)).body,
          highestVolume: (await get(`/incidents/top/by-volume/${limit}`)).body,
        });
        const { seq } = (await get('/incidents/events/last')).body as { seq: number };
        expect(response.headers.get('data-version')).toBe(String(seq));
      }
      // Spelled out, ties included, so the test does not rest on the two other operations alone.
      expect((await get('/incidents/rankings/3')).body).toEqual({
        mostIncidents: [
          { customerName: 'Zed Corp', numberOfIncidents: 3 },
          { customerName: '42', numberOfIncidents: 1 },
          { customerName: 'Another 7', numberOfIncidents: 1 },
        ],
        highestVolume: [
          { customerName: 'Ghost Customer', incidentVolume: 1234.56 },
          { customerName: 'Zed Corp', incidentVolume: 113.79 },
          { customerName: 'Another 7', incidentVolume: 7 },
        ],
      });
    });

    it('stays exact after plain SQL writes, and is empty without incidents', async () => {
      getTarget().sql("UPDATE Incidents SET CustomerName = 'alpha Ltd' WHERE CustomerName = 'Zed Corp';");
      expect(((await get('/incidents/rankings/1')).body as { mostIncidents: unknown }).mostIncidents).toEqual([
        { customerName: 'alpha Ltd', numberOfIncidents: 4 },
      ]);
      getTarget().sql('DELETE FROM Incidents;');
      expect((await get('/incidents/rankings/5')).body).toEqual({ mostIncidents: [], highestVolume: [] });
    });

    it.each(['0', '-3', 'x', '1001'])('returns 400 problem+json for limit %j', async (limit) => {
      const response = await getTarget().fetch(`/incidents/rankings/${limit}`);
      expect(response.status).toBe(400);
      expect(await readProblem(response)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-limit' });
    });
  });

  describe('HTTP behaviour', () => {
    httpContract(getTarget, {
      readablePath: '/incidents/grouped-by-customer',
      routes: {
        '/incidents/items': 'GET, HEAD, POST, OPTIONS',
        '/incidents/items/I-003': 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS',
        '/incidents/items/I-999': 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS',
        '/incidents/grouped-by-customer': 'GET, HEAD, OPTIONS',
        '/incidents/top/by-count/5': 'GET, HEAD, OPTIONS',
        '/incidents/top/by-volume/5': 'GET, HEAD, OPTIONS',
        '/incidents/rankings/5': 'GET, HEAD, OPTIONS',
        '/incidents/events': 'GET, HEAD, OPTIONS',
        '/incidents/events/last': 'GET, HEAD, OPTIONS',
      },
      unknownPath: '/incidents/nope/deeper',
      countSql: countRows,
    });
  });
}
