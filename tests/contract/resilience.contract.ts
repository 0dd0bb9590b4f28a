/**
 * The dashboard when its parts misbehave, written once and run against every target: the three in-process
 * apps over a SQLite file, faults injected into the chained fetch (tests/unit/aggregates-resilience.test.ts),
 * and the real Wasm components chained through the local runtime, faults injected with the runtime's own
 * fault rules (tests/e2e/resilience.test.ts). Partial answers, failure policies, per-call limits inside the
 * deadline, retries, the key-value cache (fresh and stale-if-error), ETag / 304, Server-Timing, request ids
 * and trace context, and the caller's time budget.
 *
 * Faults are the runtime's {@link FaultRule}s on the chained calls (`component`, `path` prefix, `delayMs`,
 * `status`, `times`); a target that is not the runtime does what the runtime does for them. Timings are only
 * ever generous upper bounds that prove an answer did not wait for an injected delay.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessLogEntry } from '@aggregates/common/http';
import type { FaultRule } from 'spin-local';
import { readProblem, type ProblemBody } from './target';

export type { FaultRule };

export const DASHBOARD = '/aggregates/dashboard';
export const SECTIONS = [
  'customerCount',
  'topCustomers',
  'customersWithMostIncidents',
  'customersWithHighestIncidentVolume',
] as const;
const PROBLEM = 'urn:aggregates-dashboard:problem:';
const CUSTOMERS = 'http://customers-service.spin.internal';
const INCIDENTS = 'http://incidents-service.spin.internal';
/** The dashboard's call to each data component at the default top-N: one each. */
const CUSTOMERS_PART = '/customers/count-and-top/5';
const INCIDENTS_PART = '/incidents/rankings/5';
const CUSTOMERS_PART_URL = `${CUSTOMERS}${CUSTOMERS_PART}`;
/** The data calls of a dashboard at the default top-N, by path, sorted. */
const DATA_PATHS = [CUSTOMERS_PART, INCIDENTS_PART];
const CUSTOMER_SECTIONS = 'customerCount, topCustomers';
const INCIDENT_SECTIONS = 'customersWithMostIncidents, customersWithHighestIncidentVolume';
const VERSION_PATHS = ['/customers/events/last', '/incidents/events/last'];

export interface SectionError {
  section: string;
  source: string;
  status: number | null;
  code: string;
  detail: string;
}
export interface SourceStatus {
  status: 'ok' | 'timeout' | 'error';
  latencyMs: number;
  stale: boolean;
}
export type PartialDashboard = Record<(typeof SECTIONS)[number], unknown> & {
  errors: SectionError[];
  sources: Record<'customers' | 'incidents', SourceStatus>;
};
export type FailureEntry = { source: string; path: string; status: number | null; code: string };
export type GatewayProblem = ProblemBody & { failures: FailureEntry[] };

export type Variables = Record<string, string>;
/** The response cache off, so every request calls the data components and sees the current rows. */
export const NO_CACHE: Variables = { cache_ttl_ms: '0', cache_stale_if_error_ms: '0' };

/** One request a component answered, as the runtime logs it (`GET <where> <component> <status> <ms>ms[ id=..][ (chained)][ - fault: ..]`). */
export interface Served {
  method: string;
  /** The path of a request from outside; `<origin><path>` of a chained call (no query). */
  url: string;
  component: string;
  status: number;
  /** The request's `x-request-id` as sent (whitespace as `_`), or `null`. */
  requestId: string | null;
  chained: boolean;
  /** What an injected fault did, as the runtime says it (`status 500`, `delay 8000ms`, `trap`), or `null`. */
  fault: string | null;
}

/** The three components, running with one set of variables. */
export interface ResilienceApp {
  /** A request from outside: `/aggregates/...`, `/customers/...` and `/incidents/...` go to their components. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Replaces the fault rules on the chained calls (none: no faults); `times` counts start afresh. */
  setFaults(rules: FaultRule[]): void;
  /** Plain SQL on the components' database, as a user would run it. */
  sql(statements: string): void;
  /** The dashboard computed independently from the database, byte for byte (tests/support/reference-dashboard.ts). */
  reference(): string;
  /** Every request answered so far, from outside and chained, in the order they were answered. */
  served(): Served[];
  /** The components' own log lines (their `log`, e.g. `dashboard: ...`) so far. */
  logs(): string[];
  /** The components' access-log entries (one per request they answered) so far. */
  accessLog(): AccessLogEntry[];
}

/**
 * Time limits for the apps that test them: the limits well above a data component's worst answer time on the
 * target (a loaded machine included), the injected delay well past every limit and bound.
 */
export interface ResilienceTimings {
  /** `downstream_timeout_ms` of a tight app (no retries). */
  callLimitMs: number;
  /** `dashboard_deadline_ms` of a tight app, above `callLimitMs`. */
  deadlineMs: number;
  /** A tight app answers a dashboard with a delayed part within this, well under `delayMs`. */
  withinMs: number;
  /** A `dashboard_deadline_ms` far below a per-call limit of 60 s. */
  shortDeadlineMs: number;
  /** An app with `shortDeadlineMs` answers within this, well under `delayMs`. */
  shortWithinMs: number;
  /** The injected delay of a slow component. */
  delayMs: number;
}

export interface ResilienceTarget {
  /**
   * An app running with `variables` (unset ones at their defaults). With the cache on, each call gives a fresh
   * app with an empty cache; with it off ({@link NO_CACHE}) apps may be shared between tests.
   */
  app(variables: Variables): Promise<ResilienceApp>;
  /** Clears the faults of every app the target started. */
  clearFaults(): void;
  timings: ResilienceTimings;
}

const partialOf = (text: string): PartialDashboard => JSON.parse(text) as PartialDashboard;
const completeOf = (app: ResilienceApp): Record<string, unknown> =>
  JSON.parse(app.reference()) as Record<string, unknown>;
const pathsOf = (served: Served[]): string[] => served.map((s) => new URL(s.url).pathname).sort();

/** The requests `app` answers from now on: call the result to get them. */
function from(app: ResilienceApp): () => Served[] {
  const before = app.served().length;
  return () => app.served().slice(before);
}
const chainedTo = (app: ResilienceApp, url: string, since: () => Served[] = () => app.served()): Served[] =>
  since().filter((s) => s.chained && s.url === url);

async function dashboard(
  app: ResilienceApp,
  path = DASHBOARD,
  init?: RequestInit,
): Promise<{ response: Response; text: string; ms: number }> {
  const t0 = performance.now();
  const response = await app.fetch(path, init);
  const text = await response.text();
  return { response, text, ms: performance.now() - t0 };
}

/** Checks the headers every partial (or stale) dashboard has: no-store, no ETag, Server-Timing. */
function expectUncacheable(response: Response): void {
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('etag')).toBeNull();
  expect(response.headers.get('server-timing')).toMatch(/^customers;dur=\d+;desc="\w+ \/customers\/count-and-top\/5"/);
}

/** Registers the contract; `getTarget` is called inside each test, after the suite's own setup ran. */
export function resilienceContract(getTarget: () => ResilienceTarget): void {
  /** Defaults (downstream_retries=1, 2 s per call, 5 s deadline, partial policy), cache off. */
  const defaults = () => getTarget().app(NO_CACHE);
  /** A short per-call limit inside the deadline, no retries, cache off. */
  const tight = () => {
    const { callLimitMs, deadlineMs } = getTarget().timings;
    return getTarget().app({
      ...NO_CACHE,
      downstream_timeout_ms: String(callLimitMs),
      downstream_retries: '0',
      dashboard_deadline_ms: String(deadlineMs),
    });
  };

  /** Faults are set per test; none outlives it. */
  afterEach(() => getTarget().clearFaults());

  describe('partial answers (failure_policy=partial, the default)', () => {
    it('answers 200 with the failed call’s sections null, errors and sources, when one chained call answers 500', async () => {
      const app = await defaults();
      app.setFaults([{ component: 'incidents-service', path: '/incidents/rankings/', status: 500 }]);
      const { response, text } = await dashboard(app);
      expect(response.status).toBe(200);
      expect(response.headers.get('dashboard-incomplete')).toBe(INCIDENT_SECTIONS);
      expect(response.headers.get('dashboard-stale')).toBeNull();
      expectUncacheable(response);
      const body = partialOf(text);
      const complete = completeOf(app);
      expect(body).toEqual({
        ...complete,
        customersWithMostIncidents: null,
        customersWithHighestIncidentVolume: null,
        errors: ['customersWithMostIncidents', 'customersWithHighestIncidentVolume'].map((section) => ({
          section,
          source: 'incidents-service',
          status: 500,
          code: 'bad-status',
          detail: 'incidents-service GET /incidents/rankings/5 answered 500',
        })),
        sources: {
          customers: { status: 'ok', latencyMs: expect.any(Number), stale: false },
          incidents: { status: 'error', latencyMs: expect.any(Number), stale: false },
        },
      });
      // The documented member order: the four sections (those of the complete document), then errors and sources.
      expect(Object.keys(complete)).toEqual([...SECTIONS]);
      expect(Object.keys(body)).toEqual([...SECTIONS, 'errors', 'sources']);
      // The fault hit the chained call, the real one; the internal body never reaches the client.
      expect(chainedTo(app, `${INCIDENTS}${INCIDENTS_PART}`).at(-1)).toMatchObject({
        status: 500,
        fault: 'status 500',
      });
      expect(text).not.toContain('Injected fault');
      expect(app.logs().join('\n')).toContain(`dashboard: incidents-service ${INCIDENTS_PART}: answered 500`);
    });

    it('reports a 2xx answer whose body is not JSON as code malformed, and logs it', async () => {
      const app = await defaults();
      // An injected status answers a short text/plain body: a 200 of it is not JSON.
      app.setFaults([{ component: 'customers-service', path: CUSTOMERS_PART, status: 200 }]);
      const { response, text } = await dashboard(app);
      expect(response.status).toBe(200);
      const body = partialOf(text);
      expect([body.customerCount, body.topCustomers]).toEqual([null, null]);
      expect(body.errors).toEqual(
        ['customerCount', 'topCustomers'].map((section) => ({
          section,
          source: 'customers-service',
          status: 200,
          code: 'malformed',
          detail: expect.stringContaining('not JSON'),
        })),
      );
      expect(app.logs().join('\n')).toContain(`customers-service ${CUSTOMERS_PART}`);
    });
  });

  describe('time limits', () => {
    it('gives up on a slow component after the per-call limit, inside the deadline, and answers without it', async () => {
      const { callLimitMs, withinMs, delayMs } = getTarget().timings;
      const app = await tight();
      app.setFaults([{ component: 'incidents-service', delayMs }]);
      const { response, text, ms } = await dashboard(app);
      // Generous: only proves it did not wait for the delay (the per-call limit is shorter, the deadline too).
      expect(ms).toBeLessThan(withinMs);
      expect(response.status).toBe(200);
      expect(response.headers.get('dashboard-incomplete')).toBe(INCIDENT_SECTIONS);
      expectUncacheable(response);
      const body = partialOf(text);
      const complete = completeOf(app);
      expect(body).toMatchObject({
        customerCount: complete.customerCount,
        topCustomers: complete.topCustomers,
        customersWithMostIncidents: null,
        customersWithHighestIncidentVolume: null,
      });
      expect(body.errors).toEqual([
        {
          section: 'customersWithMostIncidents',
          source: 'incidents-service',
          status: null,
          code: 'timeout',
          detail: `incidents-service GET ${INCIDENTS_PART} did not answer within ${callLimitMs} ms`,
        },
        {
          section: 'customersWithHighestIncidentVolume',
          source: 'incidents-service',
          status: null,
          code: 'timeout',
          detail: `incidents-service GET ${INCIDENTS_PART} did not answer within ${callLimitMs} ms`,
        },
      ]);
      expect(body.sources.incidents).toMatchObject({ status: 'timeout', stale: false });
      expect(body.sources.customers).toMatchObject({ status: 'ok', stale: false });
    });

    it('never holds the dashboard past dashboard_deadline_ms, however long the per-call limit', async () => {
      const { shortDeadlineMs, shortWithinMs, delayMs } = getTarget().timings;
      const app = await getTarget().app({
        ...NO_CACHE,
        downstream_timeout_ms: '60000',
        dashboard_deadline_ms: String(shortDeadlineMs),
      });
      app.setFaults([{ component: 'incidents-service', delayMs }]);
      const { response, text, ms } = await dashboard(app);
      // Generous: without the deadline it would wait for the delay (the per-call limit alone allows 60 s).
      expect(ms).toBeLessThan(shortWithinMs);
      expect(response.status).toBe(200);
      expect(response.headers.get('dashboard-incomplete')).toBe(INCIDENT_SECTIONS);
      const body = partialOf(text);
      expect(body.customerCount).toBe(completeOf(app).customerCount);
      expect(body.errors.map((e) => e.code)).toEqual(['timeout', 'timeout']);
      expect(body.errors.map((e) => [e.section, e.code, e.status])).toEqual([
        ['customersWithMostIncidents', 'timeout', null],
        ['customersWithHighestIncidentVolume', 'timeout', null],
      ]);
      for (const error of body.errors) {
        // The attempt's limit was what was left of the deadline, not the 60 s per-call limit.
        const limit = Number(/did not answer within (\d+) ms$/.exec(error.detail)?.[1]);
        expect(limit).toBeGreaterThan(0);
        expect(limit).toBeLessThanOrEqual(shortDeadlineMs);
      }
      expect(body.sources.incidents.status).toBe('timeout');
    });
  });

  describe('when no section can be computed', () => {
    it('answers 502 problem+json naming each failed call when every call fails', async () => {
      const app = await defaults();
      app.setFaults([
        { component: 'customers-service', status: 500 },
        { component: 'incidents-service', status: 500 },
      ]);
      const response = await app.fetch(DASHBOARD);
      expect(response.status).toBe(502);
      const problem = (await readProblem(response)) as GatewayProblem;
      expect(problem).toMatchObject({ type: `${PROBLEM}bad-gateway`, status: 502, instance: DASHBOARD });
      expect(problem.detail).toMatch(/^No part of the dashboard could be computed: /);
      expect(problem.failures).toEqual([
        { source: 'customers-service', path: CUSTOMERS_PART, status: 500, code: 'bad-status' },
        { source: 'incidents-service', path: INCIDENTS_PART, status: 500, code: 'bad-status' },
      ]);
      expect(JSON.stringify(problem)).not.toContain('Injected fault');
    });

    it('answers 504 problem+json when every call timed out', async () => {
      const { withinMs, delayMs } = getTarget().timings;
      const app = await tight();
      app.setFaults([
        { component: 'customers-service', delayMs },
        { component: 'incidents-service', delayMs },
      ]);
      const t0 = performance.now();
      const response = await app.fetch(DASHBOARD);
      const problem = (await readProblem(response)) as GatewayProblem;
      expect(performance.now() - t0).toBeLessThan(withinMs);
      expect(response.status).toBe(504);
      expect(problem).toMatchObject({ type: `${PROBLEM}gateway-timeout`, status: 504 });
      expect(problem.failures.map((f) => [f.path, f.code, f.status])).toEqual([
        [CUSTOMERS_PART, 'timeout', null],
        [INCIDENTS_PART, 'timeout', null],
      ]);
    });

    it('answers 502, not 504, when the calls failed in mixed ways', async () => {
      const { delayMs } = getTarget().timings;
      const app = await tight();
      app.setFaults([
        { component: 'customers-service', delayMs },
        { component: 'incidents-service', status: 500 },
      ]);
      const response = await app.fetch(DASHBOARD);
      expect(response.status).toBe(502);
      expect(await readProblem(response)).toMatchObject({ type: `${PROBLEM}bad-gateway`, status: 502 });
    });
  });

  describe('failure_policy=strict', () => {
    const rule: FaultRule = { component: 'customers-service', path: CUSTOMERS_PART, status: 500 };

    it('answers 502 when one section is missing, with failure_policy=strict set as a variable', async () => {
      const app = await getTarget().app({ ...NO_CACHE, failure_policy: 'strict' });
      app.setFaults([rule]);
      const response = await app.fetch(DASHBOARD);
      expect(response.status).toBe(502);
      const problem = (await readProblem(response)) as GatewayProblem;
      expect(problem).toMatchObject({ type: `${PROBLEM}bad-gateway`, status: 502 });
      expect(problem.detail).toContain(`customers-service GET ${CUSTOMERS_PART} answered 500`);
      expect(problem.failures).toEqual([
        { source: 'customers-service', path: CUSTOMERS_PART, status: 500, code: 'bad-status' },
      ]);
      // ?policy=partial overrides the variable for one request.
      const partial = await app.fetch(`${DASHBOARD}?policy=partial`);
      expect(partial.status).toBe(200);
      expect(partial.headers.get('dashboard-incomplete')).toBe(CUSTOMER_SECTIONS);
    });

    it('answers 502 when one section is missing, with ?policy=strict on the request', async () => {
      const app = await defaults();
      app.setFaults([rule]);
      const response = await app.fetch(`${DASHBOARD}?policy=strict`);
      expect(response.status).toBe(502);
      const problem = (await readProblem(response)) as GatewayProblem;
      expect(problem.failures).toEqual([
        { source: 'customers-service', path: CUSTOMERS_PART, status: 500, code: 'bad-status' },
      ]);
      // Without the override, the same failure is a partial answer.
      expect((await app.fetch(DASHBOARD)).status).toBe(200);
    });

    it('rejects an unknown policy with 400', async () => {
      const app = await defaults();
      const response = await app.fetch(`${DASHBOARD}?policy=lenient`);
      expect(response.status).toBe(400);
      expect((await readProblem(response)).detail).toBe('policy must be one of partial, strict; got "lenient".');
    });
  });

  describe('retries', () => {
    it('retries a call that answered 503 once, and the answer is the complete document', async () => {
      const app = await defaults();
      const since = from(app);
      app.setFaults([{ component: 'customers-service', path: CUSTOMERS_PART, status: 503, times: 1 }]);
      const { response, text } = await dashboard(app);
      expect(response.status).toBe(200);
      expect(text).toBe(app.reference());
      expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{16}"$/);
      // Two chained calls: the injected 503, then the retry that succeeded.
      const calls = chainedTo(app, CUSTOMERS_PART_URL, since);
      expect(calls).toHaveLength(2);
      expect(calls[0]).toMatchObject({ status: 503, fault: 'status 503' });
      expect(calls[1]).toMatchObject({ status: 200, fault: null });
    });

    it('does not retry a 500, a 404 or a malformed answer: a single failure gives a partial answer', async () => {
      const app = await defaults();
      // 200: the injected text/plain body, which is not JSON.
      for (const status of [500, 404, 200]) {
        const since = from(app);
        app.setFaults([{ component: 'customers-service', path: CUSTOMERS_PART, status, times: 1 }]);
        const { response, text } = await dashboard(app);
        expect(response.status).toBe(200);
        expect(response.headers.get('dashboard-incomplete')).toBe(CUSTOMER_SECTIONS);
        if (status === 500) {
          expect(partialOf(text).errors).toEqual(
            ['customerCount', 'topCustomers'].map((section) => ({
              section,
              source: 'customers-service',
              status: 500,
              code: 'bad-status',
              detail: `customers-service GET ${CUSTOMERS_PART} answered 500`,
            })),
          );
        }
        // One call only: a retry would have succeeded (the fault applied once) and the answer would be complete.
        expect({ status, calls: chainedTo(app, CUSTOMERS_PART_URL, since).length }).toEqual({ status, calls: 1 });
      }
    });

    it('does not retry with downstream_retries=0: the same 503 gives a partial answer', async () => {
      const app = await tight();
      app.setFaults([{ component: 'customers-service', path: CUSTOMERS_PART, status: 503, times: 1 }]);
      const { response, text } = await dashboard(app);
      expect(response.status).toBe(200);
      expect(response.headers.get('dashboard-incomplete')).toBe(CUSTOMER_SECTIONS);
      const body = partialOf(text);
      expect([body.customerCount, body.topCustomers]).toEqual([null, null]);
      expect(body.errors).toEqual(
        ['customerCount', 'topCustomers'].map((section) => ({
          section,
          source: 'customers-service',
          status: 503,
          code: 'bad-status',
          detail: `customers-service GET ${CUSTOMERS_PART} answered 503`,
        })),
      );
    });

    it('makes at most downstream_retries extra attempts, and none with downstream_retries=0', async () => {
      for (const [retries, expected] of [
        ['0', 1],
        ['2', 3],
      ] as const) {
        const app = await getTarget().app({ ...NO_CACHE, downstream_retries: retries });
        const since = from(app);
        app.setFaults([{ component: 'customers-service', path: CUSTOMERS_PART, status: 503, times: 9 }]);
        await dashboard(app);
        expect({ retries, calls: chainedTo(app, CUSTOMERS_PART_URL, since).length }).toEqual({
          retries,
          calls: expected,
        });
      }
    });
  });

  describe('the key-value response cache', () => {
    it('serves every part from the cache within cache_ttl_ms while its data is unchanged, asking only for the version, and sees any change at once', async () => {
      const app = await getTarget().app({ cache_ttl_ms: '60000' });
      let since = from(app);
      const first = await dashboard(app);
      expect(first.response.status).toBe(200);
      expect(first.text).toBe(app.reference());
      expect(first.response.headers.get('server-timing')).not.toContain('cached');
      expect(pathsOf(since().filter((s) => s.chained))).toEqual(DATA_PATHS);

      // Nothing changed: every part comes from the cache, after one data version check per component.
      since = from(app);
      const second = await dashboard(app);
      expect(second.text).toBe(first.text);
      expect(second.response.headers.get('etag')).toBe(first.response.headers.get('etag'));
      const timing = second.response.headers.get('server-timing') ?? '';
      for (const path of DATA_PATHS) expect(timing).toContain(`desc="cached ${path}"`);
      expect(pathsOf(since().filter((s) => s.chained))).toEqual(VERSION_PATHS);

      // Any change (plain SQL here, an API write alike) moves the customers' data version: no TTL window.
      // The incidents' version did not move, so their parts still come from the cache.
      since = from(app);
      app.sql("INSERT INTO Customers (Id, Name, Scoring) VALUES ('C-NEW', 'Newcomer', 1);");
      const third = await dashboard(app);
      expect(partialOf(third.text).customerCount).toBe((partialOf(first.text).customerCount as number) + 1);
      expect(third.text).toBe(app.reference());
      expect(pathsOf(since().filter((s) => s.chained))).toEqual([
        CUSTOMERS_PART,
        '/customers/events/last',
        '/incidents/events/last',
      ]);

      // Rows changed with plain SQL move both data versions: the next answer is the new document, within the TTL.
      app.sql(`DELETE FROM Customers WHERE rowid % 2 = 0;
        INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('cache-e2e', 1e6, 'Cache Ltd', 'Z');`);
      const fourth = await dashboard(app);
      expect(fourth.text).toBe(app.reference());
      expect(fourth.text).not.toBe(first.text);
      expect(fourth.response.headers.get('server-timing')).not.toContain('cached');
    });

    it('serves the cached parts of a source whose data version cannot be read as stale copies, without calling it further', async () => {
      const app = await getTarget().app({ cache_ttl_ms: '60000', cache_stale_if_error_ms: '60000' });
      const first = await dashboard(app);
      expect(first.text).toBe(app.reference());
      const since = from(app);
      app.setFaults([{ component: 'customers-service', path: '/customers/events/last', status: 500 }]);
      const { response, text } = await dashboard(app);
      expect(response.status).toBe(200);
      expect(response.headers.get('dashboard-stale')).toBe(CUSTOMER_SECTIONS);
      const { errors, sources, ...sections } = partialOf(text);
      expect(JSON.stringify(sections)).toBe(first.text);
      expect(errors.map((e) => [e.section, e.detail.split(';')[0]])).toEqual([
        ['customerCount', 'customers-service GET /customers/events/last answered 500'],
        ['topCustomers', 'customers-service GET /customers/events/last answered 500'],
      ]);
      expect({ customers: sources.customers.stale, incidents: sources.incidents.stale }).toEqual({
        customers: true,
        incidents: false,
      });
      // The customers component was asked for its version only; the incidents parts came from the cache.
      expect(pathsOf(since().filter((s) => s.chained))).toEqual(VERSION_PATHS);
      expect(app.logs().join('\n')).toContain('data version of customers-service unknown');
    });

    it('serves a stale cached copy when a call fails (stale-if-error), and says so', async () => {
      const app = await getTarget().app({
        cache_ttl_ms: '0',
        cache_stale_if_error_ms: '600000',
        downstream_retries: '0',
      });
      const first = await dashboard(app);
      expect(first.response.status).toBe(200);
      expect(first.text).toBe(app.reference());

      app.setFaults([{ component: 'incidents-service', status: 503 }]);
      const { response, text } = await dashboard(app);
      expect(response.status).toBe(200);
      expect(response.headers.get('dashboard-stale')).toBe(INCIDENT_SECTIONS);
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
      for (const error of errors)
        expect(error.detail).toMatch(/answered 503; a cached copy \d+ s old was served instead$/);
      const timing = response.headers.get('server-timing') ?? '';
      expect(timing).toContain(`desc="stale ${INCIDENTS_PART}"`);
      expect(timing).toContain(`desc="fresh ${CUSTOMERS_PART}"`);
    });
  });

  describe('HTTP caching', () => {
    it('answers a matching If-None-Match with 304, on the dashboard and on a data endpoint', async () => {
      const app = await defaults();
      for (const path of [DASHBOARD, '/customers/count', CUSTOMERS_PART, INCIDENTS_PART]) {
        const first = await app.fetch(path);
        expect(first.status).toBe(200);
        await first.text();
        const etag = first.headers.get('etag');
        expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
        expect(first.headers.get('cache-control')).toBe('no-cache');

        const revalidated = await app.fetch(path, { headers: { 'if-none-match': `"other", ${etag ?? ''}` } });
        expect(revalidated.status).toBe(304);
        expect(await revalidated.text()).toBe('');
        expect(revalidated.headers.get('etag')).toBe(etag);

        for (const other of ['"other"', '"0000000000000000"']) {
          const changed = await app.fetch(path, { headers: { 'if-none-match': other } });
          expect(changed.status).toBe(200);
          expect(await changed.text()).not.toBe('');
        }
      }
    });

    it('evaluates If-Match before If-None-Match on the dashboard: 412 unless "*" or its ETag; a partial dashboard has no ETag, so only "*" matches it', async () => {
      const app = await defaults();
      const first = await app.fetch(DASHBOARD);
      await first.text();
      const etag = first.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
      for (const tag of ['"other"', `W/${etag}`]) {
        const refused = await app.fetch(DASHBOARD, { headers: { 'if-match': tag, 'if-none-match': etag } });
        expect({ tag, status: refused.status }).toEqual({ tag, status: 412 });
        expect(await readProblem(refused)).toMatchObject({
          type: 'urn:aggregates-dashboard:problem:precondition-failed',
          currentETag: etag,
        });
      }
      for (const tag of [etag, '*']) {
        const passed = await app.fetch(DASHBOARD, { headers: { 'if-match': tag } });
        expect({ tag, status: passed.status }).toEqual({ tag, status: 200 });
        expect(await passed.text()).toBe(app.reference());
        expect((await app.fetch(DASHBOARD, { headers: { 'if-match': tag, 'if-none-match': etag } })).status).toBe(304);
      }

      app.setFaults([{ component: 'incidents-service', path: '/incidents/rankings/', status: 500 }]);
      const refused = await app.fetch(DASHBOARD, { headers: { 'if-match': etag } });
      expect(refused.status).toBe(412);
      const problem = await readProblem(refused);
      expect(problem).toMatchObject({ type: 'urn:aggregates-dashboard:problem:precondition-failed' });
      expect(problem).not.toHaveProperty('currentETag');
      const any = await app.fetch(DASHBOARD, { headers: { 'if-match': '*' } });
      expect(any.status).toBe(200);
      expect(any.headers.get('dashboard-incomplete')).toBe(INCIDENT_SECTIONS);
      expectUncacheable(any);
      expect(partialOf(await any.text()).customersWithMostIncidents).toBeNull();
    });

    it('reports each source’s latency in Server-Timing', async () => {
      const app = await defaults();
      const { response } = await dashboard(app);
      expect(response.headers.get('server-timing')).toMatch(
        /^customers;dur=\d+;desc="fresh \/customers\/count-and-top\/5", incidents;dur=\d+;desc="fresh \/incidents\/rankings\/5"$/,
      );
    });
  });

  describe('tracing', () => {
    /** The access-log entries of the request with this id, once all `count` of them arrived (guest output may lag). */
    async function accessLines(app: ResilienceApp, requestId: string, count: number): Promise<AccessLogEntry[]> {
      const lines = () => app.accessLog().filter((entry) => entry.requestId === requestId);
      await vi.waitFor(() => expect(lines()).toHaveLength(count), { timeout: 5000, interval: 20 });
      return lines();
    }

    it('follows one request id and trace id across the three components’ access logs and the chained calls, and echoes the id', async () => {
      const app = await defaults();
      const requestId = 'e2e-trace-1';
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
      const since = from(app);
      const response = await app.fetch(DASHBOARD, { headers: { 'x-request-id': requestId, traceparent } });
      expect(response.status).toBe(200);
      await response.text();
      expect(response.headers.get('x-request-id')).toBe(requestId);

      // The request itself, and the two chained calls carrying the same id.
      const served = since();
      expect(served.filter((s) => !s.chained)).toEqual([
        {
          method: 'GET',
          url: DASHBOARD,
          component: 'aggregates-service',
          status: 200,
          requestId,
          chained: false,
          fault: null,
        },
      ]);
      const chained = served.filter((s) => s.chained);
      expect(chained).toHaveLength(2);
      expect(chained.every((s) => s.requestId === requestId)).toBe(true);
      expect(chained.map((s) => s.url).sort()).toEqual([CUSTOMERS_PART_URL, `${INCIDENTS}${INCIDENTS_PART}`]);

      // Each component's own access-log line, with the request id and the trace id.
      const lines = await accessLines(app, requestId, 3);
      expect(lines.every((line) => line.traceId === traceId && line.status === 200)).toBe(true);
      expect(lines.map((line) => `${line.component} ${line.path}`).sort()).toEqual([
        `aggregates-service ${DASHBOARD}`,
        `customers-service ${CUSTOMERS_PART}`,
        `incidents-service ${INCIDENTS_PART}`,
      ]);
    });

    it('makes up a request id when none (or a malformed one) is given, and drops a malformed traceparent', async () => {
      const app = await defaults();
      const since = from(app);
      const response = await app.fetch(DASHBOARD, {
        headers: { 'x-request-id': 'bad id with spaces', traceparent: 'not-a-traceparent' },
      });
      await response.text();
      const id = response.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const chained = since().filter((s) => s.chained);
      expect(chained).toHaveLength(2);
      expect(new Set(chained.map((s) => s.requestId))).toEqual(new Set([id]));
      // No component saw a trace context.
      const lines = await accessLines(app, id, 3);
      expect(lines.every((line) => line.traceId === null)).toBe(true);
    });
  });

  describe('the caller’s time budget', () => {
    it('answers 504 at once to a request whose x-budget-ms is already spent', async () => {
      const app = await defaults();
      for (const path of ['/customers/count', CUSTOMERS_PART, INCIDENTS_PART]) {
        const response = await app.fetch(path, { headers: { 'x-budget-ms': '0' } });
        expect({ path, status: response.status }).toEqual({ path, status: 504 });
        expect(await readProblem(response)).toMatchObject({ type: `${PROBLEM}gateway-timeout`, status: 504 });
      }
      // The same for the dashboard, which then calls nothing.
      const since = from(app);
      const spent = await app.fetch(DASHBOARD, { headers: { 'x-budget-ms': '0' } });
      expect(spent.status).toBe(504);
      expect(await readProblem(spent)).toMatchObject({ type: `${PROBLEM}gateway-timeout` });
      expect(since().filter((s) => s.chained)).toHaveLength(0);
    });
  });
}
