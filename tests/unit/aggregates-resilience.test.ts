/**
 * The resilience contract (tests/contract/resilience.contract.ts) on the three in-process apps over a SQLite
 * file, faults injected into the chained fetch the way the runtime injects them; then what only the
 * in-process apps can show: answers no fault rule can make (a body of the wrong shape, a network error), the
 * headers of the chained calls (time budget, trace context), and the cache driven by a manual clock and an
 * inspectable store. The same contract runs on the real Wasm in tests/e2e/resilience.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAggregatesApp } from '../../aggregates-service/src/app';
import type { Clock, Fetch } from '../../aggregates-service/src/downstream';
import type { AccessLogEntry, App } from '@aggregates/common/http';
import { createCustomersApp } from '../../customers-service/src/app';
import { createIncidentsApp } from '../../incidents-service/src/app';
import {
  resilienceContract,
  type ResilienceApp,
  type ResilienceTarget,
  type Served,
} from '../contract/resilience.contract';
import { TEST_API_TOKEN } from '../contract/target';
import { FaultTable } from '../../runtime/src/faults';
import { inProcessAggregates, memoryStore, NO_CACHE, type InProcessOptions } from '../support/in-process-app';
import { referenceDashboard } from '../support/reference-dashboard';
import { databasesPerTest, type TestDatabase } from '../support/sqlite';

const seeded = databasesPerTest();

// ---------------------------------------------------------------------------------------------------------
// The contract's target: every app its own database and in-memory store; faults applied to the chained fetch
// as the runtime applies its fault rules (runtime/src/faults.ts, the dispatcher).

/** `x-request-id` as the runtime logs it. */
function requestIdOf(init?: RequestInit): string | null {
  const id = new Headers(init?.headers).get('x-request-id');
  return id === null ? null : id.slice(0, 128).replace(/\s/g, '_');
}

/** Holds an answer back without keeping the process alive (the aggregates component may have given up on it). */
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function inProcessApp(variables: Record<string, string>): ResilienceApp {
  const db = seeded();
  const store = memoryStore();
  const served: Served[] = [];
  const logs: string[] = [];
  const access: AccessLogEntry[] = [];
  // The runtime's own rule table (matching, `times` counts, the summary its log line shows).
  const faultTable = new FaultTable(['customers-service', 'incidents-service']);
  const options = {
    openDatabase: () => db.database,
    apiToken: () => TEST_API_TOKEN,
    accessLog: (entry: AccessLogEntry) => void access.push(entry),
    log: (line: string) => void logs.push(line),
  };
  const data: Record<string, App> = {
    'customers-service': createCustomersApp(options),
    'incidents-service': createIncidentsApp(options),
  };

  const chained: Fetch = async (url, init) => {
    const { host, origin, pathname } = new URL(url);
    const component = host.replace(/\.spin\.internal$/, '');
    const app = data[component];
    if (!app || !host.endsWith('.spin.internal')) throw new TypeError(`no route to ${url}`);
    const fault = faultTable.take(component, pathname);
    const response =
      fault?.status !== undefined
        ? new Response(`Injected fault: status ${fault.status}`, {
            status: fault.status,
            headers: { 'content-type': 'text/plain' },
          })
        : fault?.trap
          ? new Response('Internal Server Error', { status: 500, headers: { 'content-type': 'text/plain' } })
          : await app.fetch(new Request(url, init));
    // As in the runtime, the component has answered; only the answer waits.
    if (fault && fault.delayMs > 0) await delay(fault.delayMs);
    served.push({
      method: init?.method ?? 'GET',
      url: `${origin}${pathname}`,
      component,
      status: response.status,
      requestId: requestIdOf(init),
      chained: true,
      fault: fault?.summary ?? null,
    });
    return response;
  };
  const aggregates = createAggregatesApp({
    fetch: chained,
    getVariable: (name) => variables[name] ?? null,
    openStore: () => store,
    ...options,
  });
  const apps: Record<string, App> = { ...data, 'aggregates-service': aggregates };

  return {
    async fetch(path, init) {
      const url = new URL(path, 'http://127.0.0.1:3000');
      const component = `${url.pathname.split('/')[1] ?? ''}-service`;
      const app = apps[component];
      if (!app) throw new Error(`no component serves ${path}`);
      const response = await app.fetch(new Request(url, init));
      served.push({
        method: init?.method ?? 'GET',
        url: url.pathname,
        component,
        status: response.status,
        requestId: requestIdOf(init),
        chained: false,
        fault: null,
      });
      return response;
    },
    setFaults: (next) => faultTable.replace(next),
    sql: (statements) => db.exec(statements),
    reference: () => referenceDashboard(db),
    served: () => [...served],
    logs: () => [...logs],
    accessLog: () => [...access],
  };
}

const started: ResilienceApp[] = [];
afterEach(() => void started.splice(0));

const target: ResilienceTarget = {
  app: (variables) => {
    const app = inProcessApp(variables);
    started.push(app);
    return Promise.resolve(app);
  },
  clearFaults: () => started.forEach((app) => app.setFaults([])),
  // The in-process apps answer in milliseconds: short limits keep the tests fast.
  timings: {
    callLimitMs: 250,
    deadlineMs: 1000,
    withinMs: 3000,
    shortDeadlineMs: 300,
    shortWithinMs: 2000,
    delayMs: 5000,
  },
};

describe('resilience, in-process apps on a SQLite file', () => {
  resilienceContract(() => target);
});

// ---------------------------------------------------------------------------------------------------------
// What only the in-process apps can show.

type Answer = () => Promise<Response>;
const status =
  (code: number): Answer =>
  () =>
    Promise.resolve(new Response('{"oops":true}', { status: code }));
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

/** The dashboard's data calls at the default top-N, by path, sorted: one per data component. */
const DATA_PATHS = ['/customers/count-and-top/5', '/incidents/rankings/5'];

describe('answers no fault rule can make', () => {
  it.each([
    [
      'a JSON body of the wrong shape',
      () => Promise.resolve(Response.json({ total: 3 })),
      'malformed',
      'unexpected shape',
    ],
    [
      'a network error',
      () => Promise.reject(new TypeError('connection refused')),
      'unreachable',
      'could not be reached',
    ],
  ])('reports %s as code %s', async (_, answer, code, phrase) => {
    const logged: string[] = [];
    const response = await dashboard(seeded(), {
      wrapFetch: faults([['/customers/count-and-top/', answer]]),
      log: (l) => logged.push(l),
    })();
    expect(response.status).toBe(200);
    const body = await response.json();
    expect([body.customerCount, body.topCustomers]).toEqual([null, null]);
    expect(body.errors).toEqual(
      ['customerCount', 'topCustomers'].map((section) => ({
        section,
        source: 'customers-service',
        status: code === 'unreachable' ? null : 200,
        code,
        detail: expect.stringContaining(phrase),
      })),
    );
    expect(logged.join('\n')).toContain('customers-service /customers/count-and-top/5');
  });

  it('retries a call that failed with a network error once, and the answer is complete', async () => {
    const counter = { calls: 0 };
    const db = seeded();
    const wrapFetch =
      (inner: Fetch): Fetch =>
      (url, init) => {
        if (!url.includes('/customers/count-and-top/')) return inner(url, init);
        counter.calls++;
        return counter.calls <= 1 ? Promise.reject(new TypeError('reset')) : inner(url, init);
      };
    const response = await dashboard(db, { wrapFetch })();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(referenceDashboard(db));
    expect(counter.calls).toBe(2);
  });
});

describe('the headers of the chained calls', () => {
  it('passes each call its remaining budget in x-budget-ms, never more than the per-call limit', async () => {
    const calls: Array<{ url: string; headers: Headers }> = [];
    await dashboard(seeded(), { variables: { downstream_timeout_ms: '700' }, wrapFetch: faults([], calls) })();
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const budget = Number(call.headers.get('x-budget-ms'));
      expect(budget).toBeGreaterThan(0);
      expect(budget).toBeLessThanOrEqual(700);
    }
  });

  it('shortens its deadline to a budget its own caller sends', async () => {
    const calls: Array<{ url: string; headers: Headers }> = [];
    await dashboard(seeded(), { wrapFetch: faults([], calls) })('/aggregates/dashboard', {
      headers: { 'x-budget-ms': '300' },
    });
    for (const call of calls) expect(Number(call.headers.get('x-budget-ms'))).toBeLessThanOrEqual(300);
  });

  it('forwards a well-formed traceparent unchanged on every chained call, and drops a malformed one', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const forwarded: Array<{ url: string; headers: Headers }> = [];
    await dashboard(seeded(), { wrapFetch: faults([], forwarded) })('/aggregates/dashboard', {
      headers: { 'x-request-id': 'req-42', traceparent },
    });
    expect(forwarded).toHaveLength(2);
    for (const call of forwarded) {
      expect(call.headers.get('x-request-id')).toBe('req-42');
      expect(call.headers.get('traceparent')).toBe(traceparent);
    }
    const dropped: Array<{ url: string; headers: Headers }> = [];
    await dashboard(seeded(), { wrapFetch: faults([], dropped) })('/aggregates/dashboard', {
      headers: { 'x-request-id': 'bad id with spaces', traceparent: 'not-a-traceparent' },
    });
    expect(dropped).toHaveLength(2);
    expect(dropped.every((c) => c.headers.get('traceparent') === null)).toBe(true);
  });
});

describe('the key-value response cache, on a manual clock and an inspectable store', () => {
  /** A clock whose time only moves when the test says so. */
  function manualClock(): Clock & { advance(ms: number): void } {
    let now = 1_700_000_000_000;
    return { now: () => now, advance: (ms) => void (now += ms), sleep: () => Promise.resolve(), random: () => 0.5 };
  }
  const cacheVariables = { cache_ttl_ms: '1000', cache_stale_if_error_ms: '60000' };

  it('asks for every part again, and for no data version, once cache_ttl_ms has passed', async () => {
    const db = seeded();
    const calls: Array<{ url: string; headers: Headers }> = [];
    const paths = () =>
      calls
        .splice(0)
        .map((c) => new URL(c.url).pathname)
        .sort();
    const clock = manualClock();
    const call = inProcessAggregates(db, {
      variables: cacheVariables,
      clock,
      store: memoryStore(),
      wrapFetch: faults([], calls),
    });
    const first = await (await call()).text();
    expect(paths()).toEqual(DATA_PATHS);
    // Just within the TTL: only the data versions are asked for.
    clock.advance(999);
    expect(await (await call()).text()).toBe(first);
    expect(paths()).toEqual(['/customers/events/last', '/incidents/events/last']);
    // Past the TTL nothing is served from the cache, so nothing asks for a version.
    clock.advance(1000);
    await call();
    expect(paths()).toEqual(DATA_PATHS);
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
    const wrapFetch =
      (inner: Fetch): Fetch =>
      (url, init) => {
        const { origin, pathname } = new URL(url);
        if (!pathname.endsWith('/events/last')) called.push(`${origin}${pathname}`);
        return inner(url.replace(mirror, customers), init);
      };
    const naive = '/aggregates/dashboard?strategy=naive';
    const fast = '/aggregates/dashboard';
    /** Asks within cache_ttl_ms, data unchanged: returns the data calls made, having checked the answer is this call's own. */
    const ask = async (variables: Record<string, string>, path: string) => {
      const response = await inProcessAggregates(db, {
        variables: { ...cacheVariables, ...variables },
        clock,
        store,
        wrapFetch,
      })(path);
      expect({ path, variables, body: await response.text() }).toEqual({
        path,
        variables,
        body: referenceDashboard(db, Number(variables.top_n ?? 5)),
      });
      return called.splice(0).sort();
    };
    const top3 = { top_n: '3' };
    const viaMirror = { customers_service_url: mirror };
    expect(await ask({}, fast)).toEqual([
      `${customers}/customers/count-and-top/5`,
      `${incidents}/incidents/rankings/5`,
    ]);
    expect(await ask({}, fast)).toEqual([]);
    // Another top-N: its own calls (the count comes with the top, so it is asked again).
    expect(await ask(top3, fast)).toEqual([
      `${customers}/customers/count-and-top/3`,
      `${incidents}/incidents/rankings/3`,
    ]);
    expect(await ask(top3, fast)).toEqual([]);
    // The other strategy: its own incident rankings, per top-N; the customers' parts are the same calls.
    expect(await ask({}, naive)).toEqual([`${incidents}/incidents/grouped-by-customer`]);
    expect(await ask(top3, naive)).toEqual([`${incidents}/incidents/grouped-by-customer`]);
    expect(await ask(top3, naive)).toEqual([]);
    expect(await ask({}, naive)).toEqual([]);
    // Another base URL for a source: its calls again; the other source's parts come from the cache.
    expect(await ask(viaMirror, fast)).toEqual([`${mirror}/customers/count-and-top/5`]);
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
    written.forEach((key, i) =>
      store.entries.set(
        key,
        i % 2 === 0
          ? JSON.stringify({ layout: 'other', payload: store.entries.get(key) })
          : `\u0000${store.entries.get(key)}`,
      ),
    );
    clock.advance(5000);
    const failing = await inProcessAggregates(db, {
      variables: cacheVariables,
      clock,
      store,
      wrapFetch: faults([['/incidents/', status(503)]]),
    })();
    expect(failing.status).toBe(200);
    expect(failing.headers.get('dashboard-stale')).toBeNull();
    expect(failing.headers.get('dashboard-incomplete')).toBe(
      'customersWithMostIncidents, customersWithHighestIncidentVolume',
    );
    written.forEach((key, i) => store.entries.set(key, i % 2 === 0 ? JSON.stringify({ layout: 'other' }) : 'not json'));
    clock.advance(1);
    const calls: Array<{ url: string; headers: Headers }> = [];
    const response = await inProcessAggregates(db, {
      variables: cacheVariables,
      clock,
      store,
      wrapFetch: faults([], calls),
    })();
    expect(await response.text()).toBe(referenceDashboard(db));
    expect(calls.map((c) => new URL(c.url).pathname).sort()).toEqual(DATA_PATHS);
  });

  it('caches the naive rankings too: served without calling within cache_ttl_ms, and as a stale copy per top-N', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    const naive = '/aggregates/dashboard?strategy=naive';
    const top3 = { ...cacheVariables, top_n: '3' };
    const complete = await (await inProcessAggregates(db, { variables: top3, clock, store })(naive)).text();
    const calls: Array<{ url: string; headers: Headers }> = [];
    expect(
      await (
        await inProcessAggregates(db, { variables: top3, clock, store, wrapFetch: faults([], calls) })(naive)
      ).text(),
    ).toBe(complete);
    expect(calls.map((c) => new URL(c.url).pathname).sort()).toEqual([
      '/customers/events/last',
      '/incidents/events/last',
    ]);
    clock.advance(5000);
    const failing = faults([['/incidents/', status(503)]]);
    const response = await inProcessAggregates(db, { variables: top3, clock, store, wrapFetch: failing })(naive);
    expect(response.headers.get('dashboard-stale')).toBe(
      'customersWithMostIncidents, customersWithHighestIncidentVolume',
    );
    const { errors, sources, ...sections } = await response.json();
    expect(JSON.stringify(sections)).toBe(complete);
    expect(sections.customersWithMostIncidents).toHaveLength(3);
    // Another top-N has no entry of its own yet: no stale copy of the wrong length stands in.
    const top5 = await inProcessAggregates(db, { variables: cacheVariables, clock, store, wrapFetch: failing })(naive);
    expect(top5.headers.get('dashboard-incomplete')).toBe(
      'customersWithMostIncidents, customersWithHighestIncidentVolume',
    );
    expect({ errors: errors.length, incidents: sources.incidents.stale }).toEqual({ errors: 2, incidents: true });
  });

  it('says how old the stale copy it serves is, by the clock', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    const complete = await (await inProcessAggregates(db, { variables: cacheVariables, clock, store })()).text();
    clock.advance(5000);
    const response = await inProcessAggregates(db, {
      variables: cacheVariables,
      clock,
      store,
      wrapFetch: faults([['/incidents/', status(503)]]),
    })();
    expect(response.headers.get('dashboard-stale')).toBe(
      'customersWithMostIncidents, customersWithHighestIncidentVolume',
    );
    const { errors, sources, ...sections } = await response.json();
    expect(JSON.stringify(sections)).toBe(complete);
    expect(sources.incidents.stale).toBe(true);
    expect(errors[0].detail).toContain('a cached copy 5 s old was served instead');
  });

  it('does not serve a copy older than cache_stale_if_error_ms', async () => {
    const db = seeded();
    const store = memoryStore();
    const clock = manualClock();
    await inProcessAggregates(db, { variables: cacheVariables, clock, store })();
    clock.advance(60_001);
    const response = await inProcessAggregates(db, {
      variables: cacheVariables,
      clock,
      store,
      wrapFetch: faults([['/incidents/', status(503)]]),
    })();
    const body = await response.json();
    expect(body.customersWithMostIncidents).toBeNull();
    expect(response.headers.get('dashboard-incomplete')).toBe(
      'customersWithMostIncidents, customersWithHighestIncidentVolume',
    );
  });

  it('goes on without the cache when the key-value store fails, and logs it', async () => {
    const logged: string[] = [];
    const broken = {
      get: () => {
        throw new Error('store down');
      },
      set: () => {
        throw new Error('store down');
      },
    };
    const db = seeded();
    const response = await inProcessAggregates(db, {
      variables: cacheVariables,
      store: broken,
      log: (l) => logged.push(l),
    })();
    expect(await response.text()).toBe(referenceDashboard(db));
    expect(logged.some((l) => l.includes('cache: could not read'))).toBe(true);
  });
});
