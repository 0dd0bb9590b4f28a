/**
 * The naive strategy at 100,000 incidents with the response cache on, on the real Wasm: the aggregates
 * component reads every incident over 50 chained calls, then writes its rankings to key-value storage and
 * reads them back. Built with componentize-js 0.10 (the old toolchain), that key-value call trapped once the
 * component's memory had grown, which is why the naive rankings used not to be cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceDashboard } from '../support/reference-dashboard';
import { startApp, type AppRuntime } from './app-runtime';

const INCIDENTS = 100_000;
const NAIVE = '/aggregates/dashboard?strategy=naive';

let app: AppRuntime;
beforeAll(async () => {
  // A long fresh window so the second request below is served from the cache; deadlines raised because
  // this is about correctness on a shared 2-core machine (the naive strategy's speed is the benchmark's).
  app = await startApp({
    variables: { cache_ttl_ms: '600000', dashboard_deadline_ms: '120000', downstream_timeout_ms: '60000' },
  });
  app.db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${INCIDENTS})
    INSERT INTO Incidents (Id, Amount, CustomerName, Category)
    SELECT printf('scale-%06d', i), (i * 7919 % 100000) / 100.0, 'Scale customer ' || (i * i % 997), 'B' FROM n;`);
});
afterAll(async () => {
  await app.stop();
});

describe('GET /aggregates/dashboard?strategy=naive at 100,000 incidents, cache on, real Wasm', () => {
  it('answers the exact dashboard, caches the rankings, and serves them back (stale) while the incidents component fails', async () => {
    const first = await app.spin.fetch(NAIVE);
    const text = await first.text();
    expect(first.status).toBe(200);
    expect(text).toBe(referenceDashboard(app.db));
    expect(app.logs.filter((line) => line.includes('/incidents/grouped-by-customer')).length).toBeGreaterThanOrEqual(
      INCIDENTS / 2000,
    );
    expect(app.logs.some((line) => line.includes('cache: could not'))).toBe(false);

    // Every incidents call now fails, its data version check included: the rankings can only come from what the
    // first request stored, served as a stale copy (the cache cannot tell whether the incidents changed).
    app.spin.setFaults([{ component: 'incidents-service', status: 500 }]);
    const second = await app.spin.fetch(NAIVE);
    expect(second.status).toBe(200);
    expect(second.headers.get('dashboard-stale')).toBe(
      'customersWithMostIncidents, customersWithHighestIncidentVolume',
    );
    const { errors, sources, ...sections } = (await second.json()) as Record<string, unknown>;
    expect(JSON.stringify(sections)).toBe(text);
    expect({
      errors: (errors as unknown[]).length,
      stale: (sources as { incidents: { stale: boolean } }).incidents.stale,
    }).toEqual({ errors: 2, stale: true });
    app.spin.setFaults([]);
  }, 180_000);
});
