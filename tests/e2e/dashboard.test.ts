/** GET /aggregates/dashboard on the three real Wasm components, chained through the local runtime. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProblem } from '../contract/target';
import { randomDataSql } from '../support/random-data';
import { referenceDashboard } from '../support/reference-dashboard';
import { removeStateDir, startApp, type AppRuntime } from './app-runtime';

const started: AppRuntime[] = [];
/**
 * The app with the response cache's fresh period off, so every request reads the current rows, and the
 * deadlines raised: nothing here is about time limits (faults are injected as statuses and traps), and on a
 * machine busy with other test files a downstream call past the default limit would be answered from the
 * stale copy, a different (correct) document.
 */
const VARIABLES = { cache_ttl_ms: '0', dashboard_deadline_ms: '60000', downstream_timeout_ms: '30000' };
async function start(options: Parameters<typeof startApp>[0] = {}, stateDir?: string): Promise<AppRuntime> {
  const app = await startApp({ ...options, variables: { ...VARIABLES, ...options.variables } }, stateDir);
  started.push(app);
  return app;
}
afterAll(async () => {
  for (const app of started.splice(0)) {
    await app.stop();
  }
});

describe('GET /aggregates/dashboard, real Wasm on the local runtime', () => {
  let app: AppRuntime;
  beforeAll(async () => {
    app = await start();
  });

  it('answers the seeded data with the independently computed document, for both strategies', async () => {
    const pushdown = await app.spin.fetch('/aggregates/dashboard');
    expect(pushdown.status).toBe(200);
    expect(pushdown.headers.get('content-type')).toBe('application/json');
    const text = await pushdown.text();
    expect(text).toBe(referenceDashboard(app.db));
    expect(await (await app.spin.fetch('/aggregates/dashboard?strategy=naive')).text()).toBe(text);
  });

  it('reaches the data components only through chaining, as the log shows', async () => {
    app.logs.length = 0;
    await app.spin.fetch('/aggregates/dashboard');
    const chained = app.logs.filter((line) => line.includes('(chained)'));
    // One call to each data component.
    expect(chained).toHaveLength(2);
    expect(
      chained.some((line) => line.includes('http://customers-service.spin.internal/customers/count-and-top/5')),
    ).toBe(true);
    expect(chained.some((line) => line.includes('http://incidents-service.spin.internal/incidents/rankings/5'))).toBe(
      true,
    );
  });

  it('serves concurrent dashboard requests, all identical', async () => {
    const responses = await Promise.all(Array.from({ length: 12 }, () => app.spin.fetch('/aggregates/dashboard')));
    const texts = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(new Set(texts).size).toBe(1);
  });

  it('answers 200 without the failed sections, or 502 under ?policy=strict, when a data component fails', async () => {
    const fresh = await start({ variables: { cache_stale_if_error_ms: '0' } });
    // The pushed-down rankings read the totals table; with a column renamed the incidents component answers
    // 500 (a dropped table would just be recreated by the schema bootstrap).
    fresh.db.exec('ALTER TABLE IncidentTotals RENAME COLUMN CustomerName TO Name;');
    const partial = await fresh.spin.fetch('/aggregates/dashboard');
    expect(partial.status).toBe(200);
    expect(partial.headers.get('dashboard-incomplete')).toBe(
      'customersWithMostIncidents, customersWithHighestIncidentVolume',
    );
    const body = await partial.json();
    expect(body).toMatchObject({
      customerCount: 40,
      customersWithMostIncidents: null,
      customersWithHighestIncidentVolume: null,
    });
    expect(body.errors).toEqual(
      ['customersWithMostIncidents', 'customersWithHighestIncidentVolume'].map((section) => ({
        section,
        source: 'incidents-service',
        status: 500,
        code: 'bad-status',
        detail: 'incidents-service GET /incidents/rankings/5 answered 500',
      })),
    );

    const strict = await fresh.spin.fetch('/aggregates/dashboard?policy=strict');
    expect(strict.status).toBe(502);
    const problem = await readProblem(strict);
    expect(problem).toMatchObject({
      status: 502,
      type: 'urn:aggregates-dashboard:problem:bad-gateway',
      failures: [{ source: 'incidents-service', path: '/incidents/rankings/5', status: 500, code: 'bad-status' }],
    });
    expect(JSON.stringify(problem)).not.toContain('no such table');
    expect(fresh.logs.join('\n')).toContain('dashboard: incidents-service /incidents/rankings/5: answered 500');
  });

  it('answers 405 with Allow for a wrong method and 404 problem+json under /aggregates/', async () => {
    const post = await app.spin.fetch('/aggregates/dashboard', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const missing = await app.spin.fetch('/aggregates/elsewhere');
    expect(missing.status).toBe(404);
    expect(await readProblem(missing)).toMatchObject({ instance: '/aggregates/elsewhere' });
  });
});

describe('the dashboard over data loaded with plain SQL, as a user would', () => {
  it('matches the independent computation for data given as --sqlite files and statements', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aggregates-data-'));
    const data = randomDataSql(7, 30, 400);
    writeFileSync(join(dir, 'customers.sql'), data.customers);
    const app = await start({
      sqlite: [
        '@migrations.sql',
        'DELETE FROM Customers',
        'DELETE FROM Incidents',
        `@${join(dir, 'customers.sql')}`,
        ...data.incidents.split('\n'),
      ],
      variables: { top_n: '8' },
    });
    const text = await (await app.spin.fetch('/aggregates/dashboard')).text();
    expect(text).toBe(referenceDashboard(app.db, 8));
    expect(JSON.parse(text).topCustomers).toHaveLength(8);
    // Rows written while it runs show up in the next answer, for both strategies.
    app.db.exec(
      "DELETE FROM Incidents WHERE rowid % 2 = 0; INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('late', 1e6, 'Late Ltd', 'Z');",
    );
    const after = await (await app.spin.fetch('/aggregates/dashboard')).text();
    expect(after).toBe(referenceDashboard(app.db, 8));
    expect(JSON.parse(after).customersWithHighestIncidentVolume[0]).toEqual({
      customerName: 'Late Ltd',
      incidentVolume: 1000000,
    });
    expect(await (await app.spin.fetch('/aggregates/dashboard?strategy=naive')).text()).toBe(after);
    removeStateDir(dir);
  });

  it('keeps the data across a restart: the state directory persists and migrations re-run harmlessly', async () => {
    const first = await startApp();
    first.db.exec(
      "INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('keep-1', 'Kept Ltd', 'Rome', 'Italy', 11);",
    );
    const before = await (await first.spin.fetch('/aggregates/dashboard')).text();
    await first.dispose();
    const second = await start({}, first.stateDir);
    const after = await (await second.spin.fetch('/aggregates/dashboard')).text();
    expect(after).toBe(before);
    expect(JSON.parse(after).customerCount).toBe(41);
    expect(JSON.parse(after).topCustomers[0]).toMatchObject({ customerName: 'Kept Ltd', scoring: 11 });
  });
});
