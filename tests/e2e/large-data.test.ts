/**
 * Lists far longer than one page, on the real Wasm: following the `Link` headers gives every row in
 * order, and both dashboard strategies (the naive one reads every page) agree with the independent
 * computation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followPages } from '../contract/target';
import { referenceDashboard } from '../support/reference-dashboard';
import { startApp, type AppRuntime } from './app-runtime';

const INCIDENTS = 30_000;
const CUSTOMERS = 5_000;
let app: AppRuntime;
beforeAll(async () => {
  // Deadlines raised: this is about correctness; the naive strategy's speed is the benchmark's business.
  app = await startApp({
    variables: { cache_ttl_ms: '0', dashboard_deadline_ms: '120000', downstream_timeout_ms: '60000' },
  });
  app.db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${INCIDENTS})
    INSERT INTO Incidents (Id, Amount, CustomerName, Category)
    SELECT printf('big-%06d', i), (i * 7919 % 100000) / 100.0, 'Bulk customer ' || (i * i % 331), 'A' FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${CUSTOMERS})
    INSERT INTO Customers (Id, Name, City, Country, Scoring) SELECT printf('cust-%05d', i), 'Bulk customer ' || i, 'Oslo', 'Norway', i % 10 FROM n;`);
});
afterAll(async () => {
  await app.stop();
});

describe('lists longer than one page, real Wasm on the local runtime', () => {
  it('gives every incident of /incidents/items across its pages, in id order', async () => {
    const pages = (await followPages(app.target, '/incidents/items?limit=2000')) as Array<Array<{ id: string }>>;
    expect(pages).toHaveLength(16);
    expect(pages.flat().map((i) => i.id)).toEqual(
      app.db.database.query('SELECT Id FROM Incidents ORDER BY Id').map((r) => r.Id),
    );
  });

  it('answers the first 1000 incidents, with a Link to the rest, when no page is asked for', async () => {
    const response = await app.spin.fetch('/incidents/items');
    expect(((await response.json()) as unknown[]).length).toBe(1000);
    expect(response.headers.get('link')).toMatch(/^<\/incidents\/items\?limit=1000&after=/);
  });

  it('gives every customer of /customers/items across its pages, by name then id', async () => {
    const pages = (await followPages(app.target, '/customers/items?limit=2000')) as Array<Array<{ id: string }>>;
    expect(pages.flat().map((c) => c.id)).toEqual(
      app.db.database.query('SELECT Id FROM Customers ORDER BY Name, Id').map((r) => r.Id),
    );
  });

  it('gives every incident of /incidents/grouped-by-customer in its group across the pages', async () => {
    const pages = (await followPages(app.target, '/incidents/grouped-by-customer?limit=2000')) as Array<
      Record<string, unknown[]>
    >;
    const counts = new Map<string, number>();
    for (const page of pages)
      for (const [name, group] of Object.entries(page)) counts.set(name, (counts.get(name) ?? 0) + group.length);
    const expected = app.db.database.query('SELECT CustomerName, COUNT(*) AS n FROM Incidents GROUP BY CustomerName');
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(expected.map((r) => [r.CustomerName, Number(r.n)])));
  });

  it('gives the same dashboard with both strategies, equal to the independent computation', async () => {
    const pushdown = await (await app.spin.fetch('/aggregates/dashboard')).text();
    expect(pushdown).toBe(referenceDashboard(app.db));
    expect(await (await app.spin.fetch('/aggregates/dashboard?strategy=naive')).text()).toBe(pushdown);
  });
});
