/** Starting without `--sqlite`, as on SpinKube: the real Wasm components create the schema on first use. */
import { afterEach, describe, expect, it } from 'vitest';
import { referenceDashboard } from '../support/reference-dashboard';
import { startApp, type AppRuntime } from './app-runtime';

let app: AppRuntime | undefined;
afterEach(async () => {
  if (app) {
    await app.stop();
    app = undefined;
  }
});

describe('schema bootstrap without --sqlite, real Wasm on the local runtime', () => {
  it('answers concurrent first requests to both data components and the dashboard from an empty database', async () => {
    app = await startApp({ sqlite: [], variables: { cache_ttl_ms: '0' } });
    const paths = [
      '/customers/count',
      '/incidents/top/by-count/3',
      '/customers/top/2',
      '/customers/count-and-top/2',
      '/incidents/rankings/3',
      '/incidents/items',
      '/aggregates/dashboard',
    ];
    const responses = await Promise.all(Array.from({ length: 4 }, () => paths.map((p) => app?.spin.fetch(p))).flat());
    expect(responses.map((r) => r?.status)).toEqual(Array(responses.length).fill(200));
    expect(await (await app.spin.fetch('/customers/count')).json()).toEqual({ count: 40 });
    expect(await (await app.spin.fetch('/aggregates/dashboard')).text()).toBe(referenceDashboard(app.db));
    // The sample data went in once, whatever the number of concurrent bootstraps.
    expect(app.db.database.query('SELECT COUNT(*) AS n FROM Incidents')).toEqual([{ n: 100n }]);
    expect(app.logs.some((line) => line.includes('schema: a table is missing; applying migrations.sql'))).toBe(true);
  });
});
