/**
 * The composed operations of the aggregates component on the real Wasm components: the customer overview and
 * incidents by country answer exactly what the in-process apps answer over the same SQLite file (which
 * tests/unit/composed-operations.test.ts checks against an independent computation), after plain-SQL loads and
 * API writes too; and they follow the dashboard's failure rules when the runtime injects faults.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readProblem, TEST_API_TOKEN } from '../contract/target';
import { inProcessAggregates, NO_CACHE } from '../support/in-process-app';
import { sqlText } from '../support/sqlite';
import { useApp } from './app-runtime';

const app = useApp({ variables: { ...NO_CACHE, api_token: TEST_API_TOKEN } });
afterAll(() => app.spin.setFaults([]));

const overviewPath = (id: string) => `/aggregates/customers/${encodeURIComponent(id)}/overview`;
const BY_COUNTRY = '/aggregates/incidents/by-country';

/** The body the real Wasm answers, which must be a complete 200. */
async function wasm(path: string): Promise<string> {
  const response = await app.spin.fetch(path);
  const body = await response.text();
  expect({ path, status: response.status }).toEqual({ path, status: 200 });
  return body;
}

/** The same request to the in-process apps over the same file. */
async function inProcess(path: string): Promise<string> {
  const response = await inProcessAggregates(app.db, { variables: NO_CACHE })(path);
  expect({ path, status: response.status }).toEqual({ path, status: 200 });
  return response.text();
}

const customerIds = () =>
  (app.db.database.query('SELECT Id FROM Customers ORDER BY Id') as Array<{ Id: string }>).map((row) => row.Id);

describe('composed operations on the real Wasm', () => {
  it('answers every sample customer’s overview and incidents by country exactly as the in-process apps do', async () => {
    for (const id of customerIds()) expect(await wasm(overviewPath(id))).toBe(await inProcess(overviewPath(id)));
    expect(await wasm(BY_COUNTRY)).toBe(await inProcess(BY_COUNTRY));
  }, 120_000);

  it('follows plain-SQL loads and API writes: awkward names, ambiguous countries, new incidents', async () => {
    app.db.exec(
      [
        `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('e2e-1', ${sqlText('Zürich Präzision AG')}, 'Basel', 'Norway', 10);`,
        `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('e2e 2/%', ${sqlText('__proto__')}, 'X', NULL, 3);`,
        `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('e2e-i1', 0.125, ${sqlText('__proto__')}, 'A');`,
        `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('e2e-i2', 10.005, ${sqlText('Nobody 😀')}, 'B');`,
      ].join('\n'),
    );
    const created = await app.spin.fetch('/incidents/items', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'E2E-1', amount: 1.5, category: 'C' }),
    });
    expect(created.status).toBe(201);
    for (const id of ['e2e-1', 'E2E-1', 'e2e 2/%'])
      expect(await wasm(overviewPath(id))).toBe(await inProcess(overviewPath(id)));
    const overview = JSON.parse(await wasm(overviewPath('e2e-1')));
    expect(overview.latestIncidents.map((i: { customerId: string }) => i.customerId)).toEqual(['e2e-1']);
    const byCountry = JSON.parse(await wasm(BY_COUNTRY));
    expect(byCountry.ambiguous.customerNames).toBe(1); // "Zürich Präzision AG" now lives in two countries
    expect(await wasm(BY_COUNTRY)).toBe(await inProcess(BY_COUNTRY));
  }, 60_000);

  it('answers 404 problem+json for a customer that does not exist', async () => {
    const response = await app.spin.fetch(overviewPath('no such customer'));
    expect(response.status).toBe(404);
    expect((await readProblem(response)).type).toBe('urn:aggregates-dashboard:problem:not-found');
  });

  it('answers partially when the incidents component fails, and 502 when the customers component does', async () => {
    const [id = ''] = customerIds();
    app.spin.setFaults([{ component: 'incidents-service', status: 500 }]);
    const partial = await app.spin.fetch(overviewPath(id));
    expect(partial.status).toBe(200);
    expect(partial.headers.get('overview-incomplete')).toBe('incidents, latestIncidents');
    const body = await partial.json();
    expect(body.customer.id).toBe(id);
    expect(body.incidents).toBeNull();
    expect(body.errors.map((e: { source: string; status: number }) => [e.source, e.status])).toEqual([
      ['incidents-service', 500],
      ['incidents-service', 500],
    ]);
    const byCountry = await app.spin.fetch(BY_COUNTRY);
    expect(byCountry.status).toBe(502);
    expect((await readProblem(byCountry)).type).toBe('urn:aggregates-dashboard:problem:bad-gateway');
    app.spin.setFaults([{ component: 'customers-service', status: 503 }]);
    const failed = await app.spin.fetch(overviewPath(id));
    expect(failed.status).toBe(502);
    app.spin.setFaults([]);
  }, 60_000);
});
