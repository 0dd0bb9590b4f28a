/**
 * The resilience contract (tests/contract/resilience.contract.ts) on the three real Wasm components chained
 * through the local runtime, faults injected with the runtime's own fault rules (`setFaults`), which apply to
 * the chained calls the aggregates component makes; then what only the runtime can show: a component that
 * really traps. The same contract runs in-process in tests/unit/aggregates-resilience.test.ts.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '@aggregates/common/http';
import {
  NO_CACHE,
  resilienceContract,
  type ResilienceApp,
  type ResilienceTarget,
  type Served,
  type Variables,
} from '../contract/resilience.contract';
import { referenceDashboard } from '../support/reference-dashboard';
import { startApp, type AppRuntime } from './app-runtime';

// ---------------------------------------------------------------------------------------------------------
// Apps. Each set of variables needs its own app (variables are read at start); every app has its own state
// directory, so the key-value cache of one test never leaks into another.

const started: AppRuntime[] = [];
async function start(variables: Variables): Promise<AppRuntime> {
  const app = await startApp({ variables });
  started.push(app);
  return app;
}
afterAll(async () => {
  for (const app of started.splice(0)) {
    app.spin.setFaults([]);
    await app.stop();
  }
});

/** Apps with the cache off, one per set of variables, started on first use and shared by the tests that need them. */
const shared = new Map<string, Promise<AppRuntime>>();
function appFor(variables: Variables): Promise<AppRuntime> {
  const cacheOff =
    variables.cache_ttl_ms === NO_CACHE.cache_ttl_ms &&
    variables.cache_stale_if_error_ms === NO_CACHE.cache_stale_if_error_ms;
  if (!cacheOff) return start(variables);
  const key = JSON.stringify(Object.entries(variables).sort(([a], [b]) => (a < b ? -1 : 1)));
  let app = shared.get(key);
  if (app === undefined) shared.set(key, (app = start(variables)));
  return app;
}

/** The runtime's line per request: `GET <where> <component> <status> <ms>ms[ id=<id>][ (chained)][ - fault: <what>][ - trap: ...]`. */
const REQUEST_LINE =
  /^(?<method>[A-Z]+) (?<url>\S+) (?<component>\S+) (?<status>\d{3}) [\d.]+ms(?: id=(?<id>\S+))?(?<chained> \(chained\))?(?: - fault: (?<fault>.*?))?(?: - (?:trap: .*|request time limit exceeded))?$/;

function served(app: AppRuntime): Served[] {
  return app.logs.flatMap((line) => {
    const groups = REQUEST_LINE.exec(line)?.groups;
    if (groups === undefined) return [];
    return [
      {
        method: groups.method ?? '',
        url: groups.url ?? '',
        component: groups.component ?? '',
        status: Number(groups.status),
        requestId: groups.id ?? null,
        chained: groups.chained !== undefined,
        fault: groups.fault ?? null,
      },
    ];
  });
}

/** Each component's own JSON access-log lines (their stdout, `[component] {...}`). */
function accessLog(app: AppRuntime): AccessLogEntry[] {
  return app.logs
    .flatMap((entry) => entry.split('\n'))
    .map((line) => /^\[[\w-]+\] (\{.*\})$/.exec(line.trim())?.[1])
    .flatMap((raw) => {
      if (raw === undefined) return [];
      try {
        return [JSON.parse(raw) as AccessLogEntry];
      } catch {
        return [];
      }
    });
}

/** Every request asks for the components' access-log lines (`x-access-log: 1`, forwarded on chained calls). */
function withAccessLog(init?: RequestInit): RequestInit {
  const headers = new Headers(init?.headers);
  headers.set('x-access-log', '1');
  return { ...init, headers };
}

const resilienceApp = (app: AppRuntime): ResilienceApp => ({
  fetch: (path, init) => app.spin.fetch(path, withAccessLog(init)),
  setFaults: (rules) => app.spin.setFaults(rules),
  sql: (statements) => app.db.exec(statements),
  reference: () => referenceDashboard(app.db),
  served: () => served(app),
  logs: () => [...app.logs],
  accessLog: () => accessLog(app),
});

const target: ResilienceTarget = {
  app: async (variables) => resilienceApp(await appFor(variables)),
  clearFaults: () => started.forEach((app) => app.spin.setFaults([])),
  // Limits well above a loaded machine's worst answer time (the tests share 2 cores), delays well above them.
  timings: {
    callLimitMs: 1000,
    deadlineMs: 4000,
    withinMs: 6000,
    shortDeadlineMs: 500,
    shortWithinMs: 4000,
    delayMs: 8000,
  },
};

describe('resilience, real Wasm on the local runtime', () => {
  resilienceContract(() => target);
});

// ---------------------------------------------------------------------------------------------------------
// What only the runtime can show.

describe('traps', () => {
  afterEach(() => target.clearFaults());

  it('treats a trapping component as a 500 (partial answer) and keeps serving afterwards', async () => {
    const app = await appFor(NO_CACHE);
    app.spin.setFaults([{ component: 'customers-service', trap: true }]);
    const response = await app.spin.fetch('/aggregates/dashboard');
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBe('customerCount, topCustomers');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    expect(response.headers.get('server-timing')).toMatch(
      /^customers;dur=\d+;desc="\w+ \/customers\/count-and-top\/5"/,
    );
    const body = JSON.parse(text) as Record<string, unknown> & { errors: unknown[]; sources: Record<string, unknown> };
    const complete = JSON.parse(referenceDashboard(app.db)) as Record<string, unknown>;
    expect(body).toMatchObject({
      customerCount: null,
      topCustomers: null,
      customersWithMostIncidents: complete.customersWithMostIncidents,
      customersWithHighestIncidentVolume: complete.customersWithHighestIncidentVolume,
    });
    expect(body.errors).toEqual([
      {
        section: 'customerCount',
        source: 'customers-service',
        status: 500,
        code: 'bad-status',
        detail: 'customers-service GET /customers/count-and-top/5 answered 500',
      },
      {
        section: 'topCustomers',
        source: 'customers-service',
        status: 500,
        code: 'bad-status',
        detail: 'customers-service GET /customers/count-and-top/5 answered 500',
      },
    ]);
    expect(body.sources.customers).toMatchObject({ status: 'error', stale: false });
    expect(body.sources.incidents).toMatchObject({ status: 'ok', stale: false });
    // It really trapped (the runtime's trap path, not an injected status), on the chained calls.
    const trapped = app.logs.filter(
      (line) =>
        line.includes('GET http://customers-service.spin.internal/customers/count-and-top/5 ') &&
        line.includes('(chained)'),
    );
    expect(trapped.at(-1)).toMatch(/ 500 .*- fault: trap - trap: /);

    // The worker stays and the app goes on: with the fault gone, the next answer is complete.
    app.spin.setFaults([]);
    const after = await app.spin.fetch('/aggregates/dashboard');
    expect(after.status).toBe(200);
    expect(await after.text()).toBe(referenceDashboard(app.db));
    expect((await app.spin.fetch('/customers/count')).status).toBe(200);
  });
});
