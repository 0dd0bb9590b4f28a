/**
 * The dashboard when its parts misbehave: partial answers, failure policies, deadlines, retries, the
 * key-value cache (fresh and stale-if-error), HTTP caching and trace propagation. In-process, with real
 * SQLite behind the data apps; faults are injected into the chained fetch. The same behaviours are tested
 * on the real Wasm in tests/e2e/resilience.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, Fetch } from '../../aggregates-service/src/downstream';
import { readProblem } from '../contract/target';
import { inProcessAggregates, memoryStore, NO_CACHE, type InProcessOptions } from '../support/in-process-app';
import { referenceDashboard } from '../support/reference-dashboard';
import { createTestDatabase, type TestDatabase } from '../support/sqlite';

const opened: TestDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));
function seeded(): TestDatabase {
  const db = createTestDatabase();
  opened.push(db);
  return db;
}

type Answer = () => Promise<Response>;
const status = (code: number): Answer => () => Promise.resolve(new Response('{"oops":true}', { status: code }));
const never: Answer = () => new Promise<Response>(() => {});
/** Answers matching calls with `answer`, passes the others through; records every call. */
function faults(rules: Array<[match: string, answer: Answer]>, calls: Array<{ url: string; headers: Headers }> = []) {
  return (inner: Fetch): Fetch =>
    (url, init) => {
      calls.push({ url, headers: new Headers(init?.headers) });
      const rule = rules.find(([match]) => url.includes(match));
      return rule ? rule[1]() : inner(url, init);
    };
}

const dashboard = (db: TestDatabase, options: InProcessOptions = {}) =>
  inProcessAggregates(db, { ...options, variables: { ...NO_CACHE, ...options.variables } });

describe('partial answers (failure_policy=partial, the default)', () => {
  it('answers 200 with the sections that could be computed, the failed ones null, and says what is missing', async () => {
    const db = seeded();
    const response = await dashboard(db, { wrapFetch: faults([['/incidents/top/by-volume/', status(500)]]) })();
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customersWithHighestIncidentVolume');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    const body = await response.json();
    const complete = JSON.parse(referenceDashboard(db));
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
    expect(Object.keys(body)).toEqual([...Object.keys(complete), 'errors', 'sources']);
  });

  it.each([
    ['a body that is not JSON', () => Promise.resolve(new Response('<html>')), 'malformed', 'not JSON'],
    ['a JSON body of the wrong shape', () => Promise.resolve(Response.json({ total: 3 })), 'malformed', 'unexpected shape'],
    ['a network error', () => Promise.reject(new TypeError('connection refused')), 'unreachable', 'could not be reached'],
  ])('reports %s as code %s', async (_, answer, code, phrase) => {
    const logged: string[] = [];
    const response = await dashboard(seeded(), { wrapFetch: faults([['/customers/count', answer]]), log: (l) => logged.push(l) })();
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.customerCount).toBeNull();
    expect(body.errors).toEqual([{ section: 'customerCount', source: 'customers-service', status: code === 'unreachable' ? null : 200, code, detail: expect.stringContaining(phrase) }]);
    expect(logged.join('\n')).toContain('customers-service /customers/count');
  });

  it('answers 502 problem+json when no section could be computed', async () => {
    const response = await dashboard(seeded(), { wrapFetch: faults([['/', status(500)]]) })();
    expect(response.status).toBe(502);
    const problem = await readProblem(response);
    expect(problem).toMatchObject({ type: 'urn:aggregates-dashboard:problem:bad-gateway', status: 502 });
    expect((problem as unknown as { failures: unknown[] }).failures).toHaveLength(4);
  });

  it('answers 504 problem+json when no section could be computed because every call timed out', async () => {
    const response = await dashboard(seeded(), { variables: { downstream_timeout_ms: '30', downstream_retries: '0' }, wrapFetch: faults([['/', never]]) })();
    expect(response.status).toBe(504);
    expect(await readProblem(response)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:gateway-timeout', status: 504 });
  });

  it('answers 502, not 504, when the calls failed in mixed ways', async () => {
    const wrapFetch = faults([['/customers/', never], ['/incidents/', status(500)]]);
    const response = await dashboard(seeded(), { variables: { downstream_timeout_ms: '30', downstream_retries: '0' }, wrapFetch })();
    expect(response.status).toBe(502);
  });
});

describe('failure_policy=strict', () => {
  it('answers 502 as soon as one section is missing, selected by variable or by ?policy=', async () => {
    const wrapFetch = faults([['/customers/top/', status(500)]]);
    const byVariable = await dashboard(seeded(), { variables: { failure_policy: 'strict' }, wrapFetch })();
    expect(byVariable.status).toBe(502);
    const problem = await readProblem(byVariable);
    expect(problem.detail).toContain('customers-service GET /customers/top/5 answered 500');
    const byQuery = await dashboard(seeded(), { wrapFetch })('/aggregates/dashboard?policy=strict');
    expect(byQuery.status).toBe(502);
    const partialOverride = await dashboard(seeded(), { variables: { failure_policy: 'strict' }, wrapFetch })('/aggregates/dashboard?policy=partial');
    expect(partialOverride.status).toBe(200);
  });

  it('rejects an unknown policy with 400', async () => {
    const response = await dashboard(seeded())('/aggregates/dashboard?policy=lenient');
    expect(response.status).toBe(400);
    expect((await readProblem(response)).detail).toBe('policy must be one of partial, strict; got "lenient".');
  });
});

describe('time limits', () => {
  it('never holds the dashboard past its deadline, however long the per-call limit', async () => {
    const calls: Array<{ url: string; headers: Headers }> = [];
    const variables = { downstream_timeout_ms: '60000', dashboard_deadline_ms: '80', downstream_retries: '0' };
    const response = await dashboard(seeded(), { variables, wrapFetch: faults([['/incidents/', never]], calls) })();
    // Without the deadline this request would wait 60 s and the test would time out.
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.errors.map((e: { code: string }) => e.code)).toEqual(['timeout', 'timeout']);
    expect(body.sources.incidents.status).toBe('timeout');
  });

  it('passes each call its remaining budget in x-budget-ms, never more than the per-call limit', async () => {
    const calls: Array<{ url: string; headers: Headers }> = [];
    await dashboard(seeded(), { variables: { downstream_timeout_ms: '700' }, wrapFetch: faults([], calls) })();
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      const budget = Number(call.headers.get('x-budget-ms'));
      expect(budget).toBeGreaterThan(0);
      expect(budget).toBeLessThanOrEqual(700);
    }
  });

  it('shortens its deadline to a budget its own caller sends', async () => {
    const calls: Array<{ url: string; headers: Headers }> = [];
    await dashboard(seeded(), { wrapFetch: faults([], calls) })('/aggregates/dashboard', { headers: { 'x-budget-ms': '300' } });
    for (const call of calls) expect(Number(call.headers.get('x-budget-ms'))).toBeLessThanOrEqual(300);
  });
});

describe('retries', () => {
  /** Fails the first `times` calls matching `match` with `answer`. */
  function flaky(match: string, times: number, answer: Answer, counter: { calls: number }) {
    return (inner: Fetch): Fetch =>
      (url, init) => {
        if (!url.includes(match)) return inner(url, init);
        counter.calls++;
        return counter.calls <= times ? answer() : inner(url, init);
      };
  }

  it.each([
    ['503', status(503)],
    ['a network error', () => Promise.reject(new TypeError('reset'))],
  ])('retries a call that failed with %s once, and the answer is complete', async (_, answer) => {
    const counter = { calls: 0 };
    const db = seeded();
    const response = await dashboard(db, { wrapFetch: flaky('/customers/count', 1, answer, counter) })();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(referenceDashboard(db));
    expect(counter.calls).toBe(2);
  });

  it('does not retry a 500, a 404 or a malformed answer', async () => {
    for (const answer of [status(500), status(404), () => Promise.resolve(new Response('nope'))]) {
      const counter = { calls: 0 };
      await dashboard(seeded(), { wrapFetch: flaky('/customers/count', 1, answer, counter) })();
      expect(counter.calls).toBe(1);
    }
  });

  it('makes at most downstream_retries extra attempts, and none with downstream_retries=0', async () => {
    for (const [retries, expected] of [['0', 1], ['2', 3]] as const) {
      const counter = { calls: 0 };
      await dashboard(seeded(), { variables: { downstream_retries: retries }, wrapFetch: flaky('/customers/count', 9, status(503), counter) })();
      expect(counter.calls).toBe(expected);
    }
  });
});

describe('the key-value response cache', () => {
  /** A clock whose time only moves when the test says so. */
  function manualClock(): Clock & { advance(ms: number): void } {
    let now = 1_700_000_000_000;
    return { now: () => now, advance: (ms) => void (now += ms), sleep: () => Promise.resolve(), random: () => 0.5 };
  }
  const cacheVariables = { cache_ttl_ms: '1000', cache_stale_if_error_ms: '60000' };

  it('serves every part from the cache within cache_ttl_ms while its data version is unchanged, asking only for the version', async () => {
    const db = seeded();
    const calls: Array<{ url: string; headers: Headers }> = [];
    const paths = () => calls.splice(0).map((c) => new URL(c.url).pathname).sort();
    const clock = manualClock();
    const call = inProcessAggregates(db, { variables: cacheVariables, clock, store: memoryStore(), wrapFetch: faults([], calls) });
    const first = await (await call()).text();
    expect(paths()).toEqual(['/customers/count', '/customers/top/5', '/incidents/top/by-count/5', '/incidents/top/by-volume/5']);
    clock.advance(500);
    expect(await (await call()).text()).toBe(first);
    expect(paths()).toEqual(['/customers/events/last', '/incidents/events/last']);
    // Any change (plain SQL here, an API write alike) moves the customers' data version: no TTL window.
    // The incidents' version did not move, so their parts still come from the cache.
    db.exec("INSERT INTO Customers (Id, Name, Scoring) VALUES ('C-NEW', 'Newcomer', 1);");
    clock.advance(499);
    expect(JSON.parse(await (await call()).text()).customerCount).toBe(41);
    expect(paths()).toEqual(['/customers/count', '/customers/events/last', '/customers/top/5', '/incidents/events/last']);
    // Past the TTL nothing is served from the cache, so nothing asks for a version.
    clock.advance(1000);
    await call();
    expect(paths()).toEqual(['/customers/count', '/customers/top/5', '/incidents/top/by-count/5', '/incidents/top/by-volume/5']);
  });

  it('serves the cached parts of a source whose data version cannot be read as stale copies, without calling it further', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    const first = await (await inProcessAggregates(db, { variables: cacheVariables, clock, store })()).text();
    const calls: Array<{ url: string; headers: Headers }> = [];
    const logged: string[] = [];
    const versionFails = faults([['/customers/events/last', status(500)]], calls);
    const response = await inProcessAggregates(db, { variables: cacheVariables, clock, store, wrapFetch: versionFails, log: (l) => logged.push(l) })();
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-stale')).toBe('customerCount, topCustomers');
    const { errors, sources, ...sections } = await response.json();
    expect(JSON.stringify(sections)).toBe(first);
    expect(errors.map((e: { section: string; detail: string }) => [e.section, e.detail.split(';')[0]])).toEqual([
      ['customerCount', 'customers-service GET /customers/events/last answered 500'],
      ['topCustomers', 'customers-service GET /customers/events/last answered 500'],
    ]);
    expect({ customers: sources.customers.stale, incidents: sources.incidents.stale }).toEqual({ customers: true, incidents: false });
    // The customers component was asked for its version only; the incidents parts came from the cache.
    expect(calls.map((c) => new URL(c.url).pathname).sort()).toEqual(['/customers/events/last', '/incidents/events/last']);
    expect(logged.join('\n')).toContain('data version of customers-service unknown');
  });

  it('shares no entry between calls that differ in what shapes the answer (base URL, path, top-N, strategy), and serves the others', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    const customers = 'http://customers-service.spin.internal';
    const incidents = 'http://incidents-service.spin.internal';
    const mirror = 'http://customers-mirror.test';
    // Every data call (not the data-version reads) by base URL and path; the mirror is the same component.
    const called: string[] = [];
    const wrapFetch = (inner: Fetch): Fetch => (url, init) => {
      const { origin, pathname } = new URL(url);
      if (!pathname.endsWith('/events/last')) called.push(`${origin}${pathname}`);
      return inner(url.replace(mirror, customers), init);
    };
    const naive = '/aggregates/dashboard?strategy=naive';
    const fast = '/aggregates/dashboard';
    /** Asks within cache_ttl_ms, data unchanged: returns the data calls made, having checked the answer is this call's own. */
    const ask = async (variables: Record<string, string>, path: string) => {
      const response = await inProcessAggregates(db, { variables: { ...cacheVariables, ...variables }, clock, store, wrapFetch })(path);
      expect({ path, variables, body: await response.text() }).toEqual({ path, variables, body: referenceDashboard(db, Number(variables.top_n ?? 5)) });
      return called.splice(0).sort();
    };
    const top3 = { top_n: '3' };
    const viaMirror = { customers_service_url: mirror };
    expect(await ask({}, fast)).toEqual([`${customers}/customers/count`, `${customers}/customers/top/5`, `${incidents}/incidents/top/by-count/5`, `${incidents}/incidents/top/by-volume/5`]);
    expect(await ask({}, fast)).toEqual([]);
    // Another top-N: its own rankings; the count, which top-N does not change, comes from the cache.
    expect(await ask(top3, fast)).toEqual([`${customers}/customers/top/3`, `${incidents}/incidents/top/by-count/3`, `${incidents}/incidents/top/by-volume/3`]);
    expect(await ask(top3, fast)).toEqual([]);
    // The other strategy: its own incident rankings, per top-N; the customers' parts are the same calls.
    expect(await ask({}, naive)).toEqual([`${incidents}/incidents/grouped-by-customer`]);
    expect(await ask(top3, naive)).toEqual([`${incidents}/incidents/grouped-by-customer`]);
    expect(await ask(top3, naive)).toEqual([]);
    expect(await ask({}, naive)).toEqual([]);
    // Another base URL for a source: its calls again; the other source's parts come from the cache.
    expect(await ask(viaMirror, fast)).toEqual([`${mirror}/customers/count`, `${mirror}/customers/top/5`]);
    expect(await ask(viaMirror, fast)).toEqual([]);
    expect(await ask({}, fast)).toEqual([]);
  });

  it('does not read back entries in another layout: neither served within cache_ttl_ms nor as stale copies', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    await inProcessAggregates(db, { variables: cacheVariables, clock, store })();
    const written = [...store.entries.keys()];
    expect(written.length).toBeGreaterThan(0);
    // What another layout might have left under the same keys: a different JSON shape, or not JSON at all.
    written.forEach((key, i) => store.entries.set(key, i % 2 === 0 ? JSON.stringify({ layout: 'other', payload: store.entries.get(key) }) : `\u0000${store.entries.get(key)}`));
    clock.advance(5000);
    const failing = await inProcessAggregates(db, { variables: cacheVariables, clock, store, wrapFetch: faults([['/incidents/', status(503)]]) })();
    expect(failing.status).toBe(200);
    expect(failing.headers.get('dashboard-stale')).toBeNull();
    expect(failing.headers.get('dashboard-incomplete')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    written.forEach((key, i) => store.entries.set(key, i % 2 === 0 ? JSON.stringify({ layout: 'other' }) : 'not json'));
    clock.advance(1);
    const calls: Array<{ url: string; headers: Headers }> = [];
    const response = await inProcessAggregates(db, { variables: cacheVariables, clock, store, wrapFetch: faults([], calls) })();
    expect(await response.text()).toBe(referenceDashboard(db));
    expect(calls.map((c) => new URL(c.url).pathname).sort()).toEqual(['/customers/count', '/customers/top/5', '/incidents/top/by-count/5', '/incidents/top/by-volume/5']);
  });

  it('caches the naive rankings too: served without calling within cache_ttl_ms, and as a stale copy per top-N', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    const naive = '/aggregates/dashboard?strategy=naive';
    const top3 = { ...cacheVariables, top_n: '3' };
    const complete = await (await inProcessAggregates(db, { variables: top3, clock, store })(naive)).text();
    const calls: Array<{ url: string; headers: Headers }> = [];
    expect(await (await inProcessAggregates(db, { variables: top3, clock, store, wrapFetch: faults([], calls) })(naive)).text()).toBe(complete);
    expect(calls.map((c) => new URL(c.url).pathname).sort()).toEqual(['/customers/events/last', '/incidents/events/last']);
    clock.advance(5000);
    const failing = faults([['/incidents/', status(503)]]);
    const response = await inProcessAggregates(db, { variables: top3, clock, store, wrapFetch: failing })(naive);
    expect(response.headers.get('dashboard-stale')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    const { errors, sources, ...sections } = await response.json();
    expect(JSON.stringify(sections)).toBe(complete);
    expect(sections.customersWithMostIncidents).toHaveLength(3);
    // Another top-N has no entry of its own yet: no stale copy of the wrong length stands in.
    const top5 = await inProcessAggregates(db, { variables: cacheVariables, clock, store, wrapFetch: failing })(naive);
    expect(top5.headers.get('dashboard-incomplete')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    expect({ errors: errors.length, incidents: sources.incidents.stale }).toEqual({ errors: 2, incidents: true });
  });

  it('serves a stale copy when a call fails (stale-if-error), and marks it so', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    const complete = await (await inProcessAggregates(db, { variables: cacheVariables, clock, store })()).text();
    clock.advance(5000);
    const failing = inProcessAggregates(db, { variables: cacheVariables, clock, store, wrapFetch: faults([['/incidents/', status(503)]]) });
    const response = await failing();
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-stale')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    expect(response.headers.get('dashboard-incomplete')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    const { errors, sources, ...sections } = body;
    expect(JSON.stringify(sections)).toBe(complete);
    expect(sources.incidents).toEqual({ status: 'error', latencyMs: expect.any(Number), stale: true });
    expect(sources.customers).toEqual({ status: 'ok', latencyMs: expect.any(Number), stale: false });
    expect(errors[0].detail).toContain('a cached copy 5 s old was served instead');
  });

  it('does not serve a copy older than cache_stale_if_error_ms', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    await inProcessAggregates(db, { variables: cacheVariables, clock, store })();
    clock.advance(60_001);
    const response = await inProcessAggregates(db, { variables: cacheVariables, clock, store, wrapFetch: faults([['/incidents/', status(503)]]) })();
    const body = await response.json();
    expect(body.customersWithMostIncidents).toBeNull();
    expect(response.headers.get('dashboard-incomplete')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
  });

  it('goes on without the cache when the key-value store fails, and logs it', async () => {
    const logged: string[] = [];
    const broken = { get: () => { throw new Error('store down'); }, set: () => { throw new Error('store down'); } };
    const db = seeded();
    const response = await inProcessAggregates(db, { variables: cacheVariables, store: broken, log: (l) => logged.push(l) })();
    expect(await response.text()).toBe(referenceDashboard(db));
    expect(logged.some((l) => l.includes('cache: could not read'))).toBe(true);
  });
});

describe('HTTP caching and tracing', () => {
  it('gives the complete dashboard an ETag and answers a matching If-None-Match with 304', async () => {
    const call = dashboard(seeded());
    const first = await call();
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const second = await call('/aggregates/dashboard', { headers: { 'if-none-match': `"other", ${etag}` } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
    expect(second.headers.get('etag')).toBe(etag);
    expect((await call('/aggregates/dashboard', { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
  });

  it('reports each source’s latency in Server-Timing', async () => {
    const response = await dashboard(seeded())();
    expect(response.headers.get('server-timing')).toMatch(/^customers;dur=\d+;desc="fresh \/customers\/count", customers;dur=\d+;desc="fresh \/customers\/top\/5", incidents;dur=\d+;desc="fresh \/incidents\/top\/by-count\/5", incidents;dur=\d+;desc="fresh \/incidents\/top\/by-volume\/5"$/);
  });

  it('forwards x-request-id and traceparent on every chained call and echoes the request id', async () => {
    const calls: Array<{ url: string; headers: Headers }> = [];
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const response = await dashboard(seeded(), { wrapFetch: faults([], calls) })('/aggregates/dashboard', {
      headers: { 'x-request-id': 'req-42', traceparent },
    });
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      expect(call.headers.get('x-request-id')).toBe('req-42');
      expect(call.headers.get('traceparent')).toBe(traceparent);
    }
  });

  it('makes up a request id when none (or a malformed one) is given, and drops a malformed traceparent', async () => {
    const calls: Array<{ url: string; headers: Headers }> = [];
    const response = await dashboard(seeded(), { wrapFetch: faults([], calls) })('/aggregates/dashboard', {
      headers: { 'x-request-id': 'bad id with spaces', traceparent: 'not-a-traceparent' },
    });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(calls.map((c) => c.headers.get('x-request-id')))).toEqual(new Set([id]));
    expect(calls.every((c) => c.headers.get('traceparent') === null)).toBe(true);
  });
});
