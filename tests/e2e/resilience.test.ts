/**
 * The dashboard when its parts misbehave, on the three real Wasm components chained through the local
 * runtime: partial answers, traps, per-call time limits inside the deadline, the overall deadline, every
 * part failing, the strict policy, retries, the key-value cache (fresh and stale-if-error), ETag / 304,
 * request ids and trace context across the components' logs, and the caller's time budget.
 *
 * Faults are injected with the runtime's own fault rules (runtime/src/faults.ts), which apply to the chained
 * calls the aggregates component makes; the same behaviours are tested in-process with an injected fetch in
 * tests/unit/aggregates-resilience.test.ts. Timings are only ever generous upper bounds that prove an answer
 * did not wait for an injected delay.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { FaultRule } from '../../runtime/src/index.js';
import { readProblem, type ProblemBody } from '../contract/target';
import { referenceDashboard } from '../support/reference-dashboard';
import { removeStateDir, startApp, type AppRuntime } from './app-runtime';

const DASHBOARD = '/aggregates/dashboard';
const SECTIONS = ['customerCount', 'topCustomers', 'customersWithMostIncidents', 'customersWithHighestIncidentVolume'] as const;
const PROBLEM = 'urn:aggregates-dashboard:problem:';

interface SectionError {
  section: string;
  source: string;
  status: number | null;
  code: string;
  detail: string;
}
interface SourceStatus {
  status: 'ok' | 'timeout' | 'error';
  latencyMs: number;
  stale: boolean;
}
type PartialDashboard = Record<(typeof SECTIONS)[number], unknown> & {
  errors: SectionError[];
  sources: Record<'customers' | 'incidents', SourceStatus>;
};
type FailureEntry = { source: string; path: string; status: number | null; code: string };
type GatewayProblem = ProblemBody & { failures: FailureEntry[] };

// ---------------------------------------------------------------------------------------------------------
// Apps. Each set of variables needs its own app (variables are read at start); every app has its own state
// directory, so the key-value cache of one test never leaks into another.

type Variables = Record<string, string>;
/** The response cache off, so every request calls the data components and sees the current rows. */
const NO_CACHE: Variables = { cache_ttl_ms: '0', cache_stale_if_error_ms: '0' };

const started: AppRuntime[] = [];
async function start(variables: Variables): Promise<AppRuntime> {
  const app = await startApp({ variables });
  started.push(app);
  return app;
}
async function stop(app: AppRuntime): Promise<void> {
  app.spin.setFaults([]);
  await app.dispose();
  removeStateDir(app.stateDir);
}
afterAll(async () => {
  for (const app of started.splice(0)) await stop(app);
});

/** One app per set of variables, started on first use and shared by the tests that need those variables. */
function shared(variables: Variables): () => Promise<AppRuntime> {
  let app: Promise<AppRuntime> | undefined;
  return () => (app ??= start(variables));
}
/** Defaults (downstream_retries=1, 2 s per call, 5 s deadline, partial policy), cache off. */
const defaults = shared(NO_CACHE);
/**
 * A short per-call limit (1 s) inside a 4 s deadline, no retries, cache off: well above a loaded machine's
 * worst answer time (the tests share 2 cores), with injected delays well above it.
 */
const tight = shared({ ...NO_CACHE, downstream_timeout_ms: '1000', downstream_retries: '0', dashboard_deadline_ms: '4000' });

/** Faults are set per test; none outlives it. */
afterEach(() => {
  for (const app of started) app.spin.setFaults([]);
});

const faults = (app: AppRuntime, ...rules: FaultRule[]): void => app.spin.setFaults(rules);

async function dashboard(app: AppRuntime, path = DASHBOARD, init?: RequestInit): Promise<{ response: Response; text: string; ms: number }> {
  const t0 = performance.now();
  const response = await app.spin.fetch(path, init);
  const text = await response.text();
  return { response, text, ms: performance.now() - t0 };
}

const partialOf = (text: string): PartialDashboard => JSON.parse(text) as PartialDashboard;
const completeOf = (app: AppRuntime): Record<string, unknown> => JSON.parse(referenceDashboard(app.db)) as Record<string, unknown>;

/** The runtime's log lines for chained calls to `url` (e.g. `http://customers-service.spin.internal/customers/count`). */
const chainedCalls = (app: AppRuntime, url: string): string[] => app.logs.filter((line) => line.includes(`GET ${url} `) && line.includes('(chained)'));

/** Checks the headers every partial (or stale) dashboard has: no-store, no ETag, Server-Timing. */
function expectUncacheable(response: Response): void {
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('etag')).toBeNull();
  expect(response.headers.get('server-timing')).toMatch(/^customers;dur=\d+;desc="\w+ \/customers\/count"/);
}

// ---------------------------------------------------------------------------------------------------------

describe('partial answers and traps', () => {
  it('answers 200 with the failed section null, errors and sources, when one chained call answers 500', async () => {
    const app = await defaults();
    faults(app, { component: 'incidents-service', path: '/incidents/top/by-volume/', status: 500 });
    const { response, text } = await dashboard(app);
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customersWithHighestIncidentVolume');
    expect(response.headers.get('dashboard-stale')).toBeNull();
    expectUncacheable(response);
    const body = partialOf(text);
    const complete = completeOf(app);
    expect(body).toEqual({
      ...complete,
      customersWithHighestIncidentVolume: null,
      errors: [
        {
          section: 'customersWithHighestIncidentVolume',
          source: 'incidents-service',
          status: 500,
          code: 'bad-status',
          detail: 'incidents-service GET /incidents/top/by-volume/5 answered 500',
        },
      ],
      sources: {
        customers: { status: 'ok', latencyMs: expect.any(Number), stale: false },
        incidents: { status: 'error', latencyMs: expect.any(Number), stale: false },
      },
    });
    // The documented member order: the four sections, then errors and sources.
    expect(Object.keys(body)).toEqual([...SECTIONS, 'errors', 'sources']);
    // The fault hit the chained call, the real one; the internal body never reaches the client.
    expect(chainedCalls(app, 'http://incidents-service.spin.internal/incidents/top/by-volume/5').at(-1)).toMatch(/ 500 .*- fault: status 500$/);
    expect(text).not.toContain('Injected fault');
    expect(app.logs.join('\n')).toContain('dashboard: incidents-service /incidents/top/by-volume/5: answered 500');
  });

  it('treats a trapping component as a 500 (partial answer) and keeps serving afterwards', async () => {
    const app = await defaults();
    faults(app, { component: 'customers-service', trap: true });
    const { response, text } = await dashboard(app);
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customerCount, topCustomers');
    expectUncacheable(response);
    const body = partialOf(text);
    const complete = completeOf(app);
    expect(body).toMatchObject({
      customerCount: null,
      topCustomers: null,
      customersWithMostIncidents: complete.customersWithMostIncidents,
      customersWithHighestIncidentVolume: complete.customersWithHighestIncidentVolume,
    });
    expect(body.errors).toEqual([
      { section: 'customerCount', source: 'customers-service', status: 500, code: 'bad-status', detail: 'customers-service GET /customers/count answered 500' },
      { section: 'topCustomers', source: 'customers-service', status: 500, code: 'bad-status', detail: 'customers-service GET /customers/top/5 answered 500' },
    ]);
    expect(body.sources.customers).toMatchObject({ status: 'error', stale: false });
    expect(body.sources.incidents).toMatchObject({ status: 'ok', stale: false });
    // It really trapped (the runtime's trap path, not an injected status), on the chained calls.
    const trapped = chainedCalls(app, 'http://customers-service.spin.internal/customers/count');
    expect(trapped.at(-1)).toMatch(/ 500 .*- fault: trap - trap: /);

    // The worker stays and the app goes on: with the fault gone, the next answer is complete.
    faults(app);
    const after = await dashboard(app);
    expect(after.response.status).toBe(200);
    expect(after.text).toBe(referenceDashboard(app.db));
    expect((await app.spin.fetch('/customers/count')).status).toBe(200);
  });
});

describe('time limits', () => {
  it('gives up on a slow component after the per-call limit, inside the deadline, and answers without it', async () => {
    const app = await tight();
    faults(app, { component: 'incidents-service', delayMs: 8000 });
    const { response, text, ms } = await dashboard(app);
    // Generous: only proves it did not wait for the 8 s delay (the per-call limit is 1 s, the deadline 4 s).
    expect(ms).toBeLessThan(6000);
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    expectUncacheable(response);
    const body = partialOf(text);
    const complete = completeOf(app);
    expect(body).toMatchObject({ customerCount: complete.customerCount, topCustomers: complete.topCustomers, customersWithMostIncidents: null, customersWithHighestIncidentVolume: null });
    expect(body.errors).toEqual([
      { section: 'customersWithMostIncidents', source: 'incidents-service', status: null, code: 'timeout', detail: 'incidents-service GET /incidents/top/by-count/5 did not answer within 1000 ms' },
      { section: 'customersWithHighestIncidentVolume', source: 'incidents-service', status: null, code: 'timeout', detail: 'incidents-service GET /incidents/top/by-volume/5 did not answer within 1000 ms' },
    ]);
    expect(body.sources.incidents).toMatchObject({ status: 'timeout', stale: false });
    expect(body.sources.customers).toMatchObject({ status: 'ok', stale: false });
  });

  it('never holds the dashboard past dashboard_deadline_ms, however long the per-call limit', async () => {
    const app = await start({ ...NO_CACHE, downstream_timeout_ms: '60000', dashboard_deadline_ms: '500' });
    faults(app, { component: 'incidents-service', delayMs: 5000 });
    const { response, text, ms } = await dashboard(app);
    // Generous: without the deadline it would wait for the 5 s delay (the per-call limit alone allows 60 s).
    expect(ms).toBeLessThan(4000);
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    const body = partialOf(text);
    expect(body.customerCount).toBe(completeOf(app).customerCount);
    expect(body.errors.map((e) => [e.section, e.code, e.status])).toEqual([
      ['customersWithMostIncidents', 'timeout', null],
      ['customersWithHighestIncidentVolume', 'timeout', null],
    ]);
    for (const error of body.errors) {
      // The attempt's limit was what was left of the 500 ms deadline, not the 60 s per-call limit.
      const limit = Number(/did not answer within (\d+) ms$/.exec(error.detail)?.[1]);
      expect(limit).toBeGreaterThan(0);
      expect(limit).toBeLessThanOrEqual(500);
    }
    expect(body.sources.incidents.status).toBe('timeout');
  });
});

describe('when no section can be computed', () => {
  it('answers 502 problem+json naming each failed call when every call fails', async () => {
    const app = await defaults();
    faults(app, { component: 'customers-service', status: 500 }, { component: 'incidents-service', status: 500 });
    const response = await app.spin.fetch(DASHBOARD);
    expect(response.status).toBe(502);
    const problem = (await readProblem(response)) as GatewayProblem;
    expect(problem).toMatchObject({ type: `${PROBLEM}bad-gateway`, status: 502, instance: DASHBOARD });
    expect(problem.detail).toMatch(/^No part of the dashboard could be computed: /);
    expect(problem.failures).toEqual([
      { source: 'customers-service', path: '/customers/count', status: 500, code: 'bad-status' },
      { source: 'customers-service', path: '/customers/top/5', status: 500, code: 'bad-status' },
      { source: 'incidents-service', path: '/incidents/top/by-count/5', status: 500, code: 'bad-status' },
      { source: 'incidents-service', path: '/incidents/top/by-volume/5', status: 500, code: 'bad-status' },
    ]);
    expect(JSON.stringify(problem)).not.toContain('Injected fault');
  });

  it('answers 504 problem+json when every call timed out', async () => {
    const app = await tight();
    faults(app, { component: 'customers-service', delayMs: 8000 }, { component: 'incidents-service', delayMs: 8000 });
    const t0 = performance.now();
    const response = await app.spin.fetch(DASHBOARD);
    const problem = (await readProblem(response)) as GatewayProblem;
    expect(performance.now() - t0).toBeLessThan(6000);
    expect(response.status).toBe(504);
    expect(problem).toMatchObject({ type: `${PROBLEM}gateway-timeout`, status: 504 });
    expect(problem.failures).toHaveLength(4);
    expect(problem.failures.map((f) => [f.code, f.status])).toEqual(Array(4).fill(['timeout', null]));
  });
});

describe('failure_policy=strict', () => {
  const rule: FaultRule = { component: 'customers-service', path: '/customers/top/', status: 500 };

  it('answers 502 when one section is missing, with failure_policy=strict set as a variable', async () => {
    const app = await start({ ...NO_CACHE, failure_policy: 'strict' });
    faults(app, rule);
    const response = await app.spin.fetch(DASHBOARD);
    expect(response.status).toBe(502);
    const problem = (await readProblem(response)) as GatewayProblem;
    expect(problem).toMatchObject({ type: `${PROBLEM}bad-gateway`, status: 502 });
    expect(problem.detail).toContain('customers-service GET /customers/top/5 answered 500');
    expect(problem.failures).toEqual([{ source: 'customers-service', path: '/customers/top/5', status: 500, code: 'bad-status' }]);
    // ?policy=partial overrides the variable for one request.
    const partial = await app.spin.fetch(`${DASHBOARD}?policy=partial`);
    expect(partial.status).toBe(200);
    expect(partial.headers.get('dashboard-incomplete')).toBe('topCustomers');
  });

  it('answers 502 when one section is missing, with ?policy=strict on the request', async () => {
    const app = await defaults();
    faults(app, rule);
    const response = await app.spin.fetch(`${DASHBOARD}?policy=strict`);
    expect(response.status).toBe(502);
    const problem = (await readProblem(response)) as GatewayProblem;
    expect(problem.failures).toEqual([{ source: 'customers-service', path: '/customers/top/5', status: 500, code: 'bad-status' }]);
    // Without the override, the same failure is a partial answer.
    expect((await app.spin.fetch(DASHBOARD)).status).toBe(200);
  });
});

describe('retries', () => {
  const COUNT_URL = 'http://customers-service.spin.internal/customers/count';

  it('retries a call that answered 503 and gives the complete document', async () => {
    const app = await defaults();
    const before = chainedCalls(app, COUNT_URL).length;
    faults(app, { component: 'customers-service', path: '/customers/count', status: 503, times: 1 });
    const { response, text } = await dashboard(app);
    expect(response.status).toBe(200);
    expect(text).toBe(referenceDashboard(app.db));
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{16}"$/);
    // Two chained calls: the injected 503, then the retry that succeeded.
    const calls = chainedCalls(app, COUNT_URL).slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/ 503 .*- fault: status 503$/);
    expect(calls[1]).toMatch(/ 200 /);
  });

  it('does not retry with downstream_retries=0: the same 503 gives a partial answer', async () => {
    const app = await tight();
    faults(app, { component: 'customers-service', path: '/customers/count', status: 503, times: 1 });
    const { response, text } = await dashboard(app);
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customerCount');
    const body = partialOf(text);
    expect(body.customerCount).toBeNull();
    expect(body.errors).toEqual([
      { section: 'customerCount', source: 'customers-service', status: 503, code: 'bad-status', detail: 'customers-service GET /customers/count answered 503' },
    ]);
  });

  it('does not retry a 500: a single failure gives a partial answer', async () => {
    const app = await defaults();
    const before = chainedCalls(app, COUNT_URL).length;
    faults(app, { component: 'customers-service', path: '/customers/count', status: 500, times: 1 });
    const { response, text } = await dashboard(app);
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customerCount');
    expect(partialOf(text).errors).toEqual([
      { section: 'customerCount', source: 'customers-service', status: 500, code: 'bad-status', detail: 'customers-service GET /customers/count answered 500' },
    ]);
    // One call only: a retry would have succeeded (the fault applied once) and the answer would be complete.
    expect(chainedCalls(app, COUNT_URL).slice(before)).toHaveLength(1);
  });
});

describe('the key-value response cache (the runtime’s real store, in the state directory)', () => {
  it('serves every part from the cache within cache_ttl_ms while the data is unchanged, and sees any change at once', async () => {
    const app = await start({ cache_ttl_ms: '60000' });
    const chained = () => app.logs.filter((line) => line.includes('(chained)'));
    const first = await dashboard(app);
    expect(first.response.status).toBe(200);
    expect(first.text).toBe(referenceDashboard(app.db));
    expect(first.response.headers.get('server-timing')).not.toContain('cached');

    // Nothing changed: every part comes from the cache, after one data version check per component.
    const before = chained().length;
    const second = await dashboard(app);
    expect(second.text).toBe(first.text);
    expect(second.response.headers.get('etag')).toBe(first.response.headers.get('etag'));
    const timing = second.response.headers.get('server-timing') ?? '';
    for (const path of ['/customers/count', '/customers/top/5', '/incidents/top/by-count/5', '/incidents/top/by-volume/5']) {
      expect(timing).toContain(`desc="cached ${path}"`);
    }
    const checks = chained().slice(before);
    expect(checks).toHaveLength(2);
    expect(checks.every((line) => line.includes('/events/last'))).toBe(true);

    // Rows changed with plain SQL move both data versions: the next answer is the new document, within the TTL.
    app.db.exec(`DELETE FROM Customers WHERE rowid % 2 = 0;
      INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('cache-e2e', 1e6, 'Cache Ltd', 'Z');`);
    const third = await dashboard(app);
    expect(third.text).toBe(referenceDashboard(app.db));
    expect(third.text).not.toBe(first.text);
    expect(third.response.headers.get('server-timing')).not.toContain('cached');
  });

  it('serves a stale cached copy when a call fails (stale-if-error), and says so', async () => {
    const app = await start({ cache_ttl_ms: '0', cache_stale_if_error_ms: '600000', downstream_retries: '0' });
    const first = await dashboard(app);
    expect(first.response.status).toBe(200);
    expect(first.text).toBe(referenceDashboard(app.db));

    faults(app, { component: 'incidents-service', status: 503 });
    const { response, text } = await dashboard(app);
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-stale')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    expect(response.headers.get('dashboard-incomplete')).toBeNull();
    expectUncacheable(response);
    const { errors, sources, ...sections } = partialOf(text);
    expect(JSON.stringify(sections)).toBe(first.text);
    expect(sources.incidents).toEqual({ status: 'error', latencyMs: expect.any(Number), stale: true });
    expect(sources.customers).toEqual({ status: 'ok', latencyMs: expect.any(Number), stale: false });
    expect(errors.map((e) => [e.section, e.status, e.code])).toEqual([
      ['customersWithMostIncidents', 503, 'bad-status'],
      ['customersWithHighestIncidentVolume', 503, 'bad-status'],
    ]);
    for (const error of errors) expect(error.detail).toMatch(/answered 503; a cached copy \d+ s old was served instead$/);
    const timing = response.headers.get('server-timing') ?? '';
    expect(timing).toContain('desc="stale /incidents/top/by-count/5"');
    expect(timing).toContain('desc="fresh /customers/count"');
  });
});

describe('HTTP caching', () => {
  it('answers a matching If-None-Match with 304, on the dashboard and on a data endpoint', async () => {
    const app = await defaults();
    for (const path of [DASHBOARD, '/customers/count']) {
      const first = await app.spin.fetch(path);
      expect(first.status).toBe(200);
      await first.text();
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
      expect(first.headers.get('cache-control')).toBe('no-cache');

      const revalidated = await app.spin.fetch(path, { headers: { 'if-none-match': `"other", ${etag ?? ''}` } });
      expect(revalidated.status).toBe(304);
      expect(await revalidated.text()).toBe('');
      expect(revalidated.headers.get('etag')).toBe(etag);

      const changed = await app.spin.fetch(path, { headers: { 'if-none-match': '"0000000000000000"' } });
      expect(changed.status).toBe(200);
      expect(await changed.text()).not.toBe('');
    }
  });
});

describe('tracing', () => {
  it('follows one request id and trace id across the three components’ logs and the chained calls', async () => {
    const app = await defaults();
    const requestId = 'e2e-trace-1';
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
    const response = await app.spin.fetch(DASHBOARD, { headers: { 'x-request-id': requestId, traceparent } });
    expect(response.status).toBe(200);
    await response.text();
    expect(response.headers.get('x-request-id')).toBe(requestId);

    // The runtime's lines: the request itself, and the four chained calls carrying the same id.
    const runtimeLines = app.logs.filter((line) => line.includes(` id=${requestId}`));
    expect(runtimeLines.some((line) => line.startsWith(`GET ${DASHBOARD} aggregates-service 200 `) && !line.includes('(chained)'))).toBe(true);
    const chained = runtimeLines.filter((line) => line.includes('(chained)'));
    expect(chained.map((line) => line.split(' ')[1]).sort()).toEqual([
      'http://customers-service.spin.internal/customers/count',
      'http://customers-service.spin.internal/customers/top/5',
      'http://incidents-service.spin.internal/incidents/top/by-count/5',
      'http://incidents-service.spin.internal/incidents/top/by-volume/5',
    ]);

    // Each component's own JSON access-log line (its stdout), with the request id and the trace id.
    interface AccessLine {
      component: string;
      requestId: string;
      traceId: string | null;
      path: string;
      status: number;
    }
    const accessLines = (): AccessLine[] =>
      app.logs
        .flatMap((entry) => entry.split('\n'))
        .map((line) => /^\[[\w-]+\] (\{.*\})$/.exec(line.trim())?.[1])
        .flatMap((raw) => {
          if (raw === undefined) return [];
          try {
            return [JSON.parse(raw) as AccessLine];
          } catch {
            return [];
          }
        })
        .filter((entry) => entry.requestId === requestId);
    // Guest output reaches the log from the worker threads; give it a moment to arrive.
    await vi.waitFor(() => expect(accessLines()).toHaveLength(5), { timeout: 5000, interval: 20 });
    const lines = accessLines();
    expect(lines.every((line) => line.traceId === traceId && line.status === 200)).toBe(true);
    expect(lines.map((line) => `${line.component} ${line.path}`).sort()).toEqual([
      `aggregates-service ${DASHBOARD}`,
      'customers-service /customers/count',
      'customers-service /customers/top/5',
      'incidents-service /incidents/top/by-count/5',
      'incidents-service /incidents/top/by-volume/5',
    ]);
  });
});

describe('the caller’s time budget', () => {
  it('answers 504 at once to a request whose x-budget-ms is already spent', async () => {
    const app = await defaults();
    const response = await app.spin.fetch('/customers/count', { headers: { 'x-budget-ms': '0' } });
    expect(response.status).toBe(504);
    expect(await readProblem(response)).toMatchObject({ type: `${PROBLEM}gateway-timeout`, status: 504 });
    // The same for the dashboard, which then calls nothing.
    const before = app.logs.filter((line) => line.includes('(chained)')).length;
    const spent = await app.spin.fetch(DASHBOARD, { headers: { 'x-budget-ms': '0' } });
    expect(spent.status).toBe(504);
    expect(await readProblem(spent)).toMatchObject({ type: `${PROBLEM}gateway-timeout` });
    expect(app.logs.filter((line) => line.includes('(chained)')).length).toBe(before);
  });
});
