/**
 * `cache_max_age_ms` on the real Wasm components and the local runtime: within the max-age the dashboard makes
 * no chained call at all (the runtime logs every chained call), so a write, plain SQL or through the API, does
 * not show; with the max-age 0 the same write shows at once. Every answer says how it was made (`Cache-Status`,
 * `Age`), a 304 included, and a max-age above `cache_ttl_ms` is the configuration error of any unusable
 * variable. The decision rules on a manual clock: tests/unit/aggregates-cache-max-age.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readProblem } from '../contract/target';
import { referenceDashboard } from '../support/reference-dashboard';
import { startApp, type AppRuntime } from './app-runtime';

const TOKEN = 'cache-max-age-token';
const DATA_PATHS = ['/customers/count-and-top/5', '/incidents/rankings/5'];
const VERSION_PATHS = ['/customers/events/last', '/incidents/events/last'];

const started: AppRuntime[] = [];
async function start(variables: Record<string, string>): Promise<AppRuntime> {
  const app = await startApp({ variables: { api_token: TOKEN, ...variables } });
  started.push(app);
  return app;
}
afterAll(async () => {
  for (const app of started.splice(0)) await app.stop();
});

/** The paths of the chained calls the runtime logged since the last time, sorted; the log is emptied. */
function chainedPaths(app: AppRuntime): string[] {
  const lines = app.logs.splice(0);
  return lines
    .filter((line) => line.includes('(chained)'))
    .map((line) => new URL(line.split(' ')[1] ?? '', 'http://x').pathname)
    .sort();
}

const dashboard = async (app: AppRuntime, headers: Record<string, string> = {}) => {
  const response = await app.spin.fetch('/aggregates/dashboard', { headers });
  return {
    status: response.status,
    cacheStatus: response.headers.get('cache-status'),
    age: response.headers.get('age'),
    etag: response.headers.get('etag'),
    text: await response.text(),
  };
};

const newcomer = (id: string) =>
  `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('${id}', 'Newcomer ${id}', 'City', 'Country', 10);`;

describe('cache_max_age_ms=60000, real Wasm', () => {
  let app: AppRuntime;

  it('calls both data components for the first dashboard: fwd=miss, no Age', async () => {
    app = await start({ cache_ttl_ms: '60000', cache_max_age_ms: '60000' });
    app.logs.length = 0;
    const first = await dashboard(app);
    expect(first.status).toBe(200);
    expect(first.text).toBe(referenceDashboard(app.db));
    expect(first.cacheStatus).toBe('aggregates; fwd=miss');
    expect(first.age).toBeNull();
    expect(chainedPaths(app)).toEqual(DATA_PATHS);
  });

  it('serves the next ones with no chained call at all, and a write by plain SQL or the API does not show', async () => {
    const before = referenceDashboard(app.db);
    app.db.exec(newcomer('C-SQL-1'));
    const created = await app.spin.fetch('/customers/items', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Newcomer via the API', scoring: 10 }),
    });
    expect(created.status).toBe(201);
    expect(referenceDashboard(app.db)).not.toBe(before);
    app.logs.length = 0;

    const second = await dashboard(app);
    expect(second.status).toBe(200);
    expect(second.text).toBe(before);
    expect(second.cacheStatus).toBe('aggregates; hit; detail=unchecked');
    expect(second.age).toMatch(/^[0-9]+$/);
    expect(Number(second.age)).toBeLessThan(60);
    expect(chainedPaths(app)).toEqual([]);

    // A 304 says the same, and costs no call either; HEAD too.
    const notModified = await app.spin.fetch('/aggregates/dashboard', {
      headers: { 'if-none-match': second.etag ?? '' },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('cache-status')).toBe('aggregates; hit; detail=unchecked');
    expect(notModified.headers.get('age')).toMatch(/^[0-9]+$/);
    const head = await app.spin.fetch('/aggregates/dashboard', { method: 'HEAD' });
    expect([head.status, head.headers.get('cache-status')]).toEqual([200, 'aggregates; hit; detail=unchecked']);
    expect(chainedPaths(app)).toEqual([]);
  });

  it('documents both headers in the OpenAPI document it serves', async () => {
    const catalog = (await (await app.spin.fetch('/aggregates/openapi.json')).json()) as {
      paths: Record<string, { get: { description: string; responses: Record<string, { headers?: object }> } }>;
    };
    const operation = catalog.paths['/aggregates/dashboard']?.get;
    expect(Object.keys(operation?.responses['200']?.headers ?? {})).toEqual(
      expect.arrayContaining(['Cache-Status', 'Age']),
    );
    expect(operation?.description).toContain('may be invisible on the dashboard for up to cache_max_age_ms');
  });
});

describe('cache_max_age_ms=0 (the default), real Wasm', () => {
  it('asks for each data version on every dashboard, so the same write shows at once', async () => {
    const app = await start({ cache_ttl_ms: '60000' });
    const first = await dashboard(app);
    expect(first.cacheStatus).toBe('aggregates; fwd=miss');
    app.logs.length = 0;
    const again = await dashboard(app);
    expect([again.text, again.cacheStatus, again.age]).toEqual([
      first.text,
      'aggregates; hit; detail=revalidated',
      null,
    ]);
    expect(chainedPaths(app)).toEqual(VERSION_PATHS);

    app.db.exec(newcomer('C-SQL-2'));
    const after = await dashboard(app);
    expect(after.text).toBe(referenceDashboard(app.db));
    expect(after.text).not.toBe(first.text);
    expect([after.cacheStatus, after.age]).toEqual(['aggregates; fwd=partial', null]);
    expect(chainedPaths(app)).toEqual(['/customers/count-and-top/5', ...VERSION_PATHS]);
  });

  it('says fwd=request with the cache off (cache_ttl_ms=0)', async () => {
    const app = await start({ cache_ttl_ms: '0' });
    const answer = await dashboard(app);
    expect([answer.status, answer.cacheStatus, answer.age]).toEqual([200, 'aggregates; fwd=request', null]);
  });
});

describe('cache_max_age_ms above cache_ttl_ms, real Wasm', () => {
  it('is the configuration error of any unusable variable: 500 problem+json, the variable named in the log', async () => {
    const app = await start({ cache_ttl_ms: '1000', cache_max_age_ms: '5000' });
    const response = await app.spin.fetch('/aggregates/dashboard');
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await readProblem(response)).type).toBe('urn:aggregates-dashboard:problem:internal-error');
    expect(app.logs.join('\n')).toContain('variable cache_max_age_ms must not exceed cache_ttl_ms (1000); got 5000');
  });
});
