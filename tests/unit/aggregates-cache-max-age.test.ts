/**
 * `cache_max_age_ms`, in-process on a manual clock: the setting and its rule against `cache_ttl_ms`, the three
 * age bands of a cached part (served unasked, served after a data-version check, called again) and what each
 * dashboard answer says about how it was made (`Cache-Status`, `Age`), on 200, 304, HEAD and 502 answers.
 * The same on the real Wasm: tests/e2e/cache-max-age.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ageOf, cacheStatus, CACHE_STATUS_VALUES } from '../../aggregates-service/src/cache-status';
import { ConfigError, readConfig, SETTINGS } from '../../aggregates-service/src/config';
import type { Clock, Fetch } from '../../aggregates-service/src/downstream';
import type { CacheLookup, PartOutcome } from '../../aggregates-service/src/fetch-parts';
import { planParts } from '../../aggregates-service/src/parts';
import { readProblem } from '../contract/target';
import { inProcessAggregates, memoryStore, type MemoryStore } from '../support/in-process-app';
import { referenceDashboard } from '../support/reference-dashboard';
import { databasesPerTest, type TestDatabase } from '../support/sqlite';

const seeded = databasesPerTest();

const variablesOf = (values: Record<string, string>) => (name: string) => values[name] ?? null;

describe('the cache_max_age_ms setting', () => {
  it('is 0 by default (every cached part is checked against its data version, as without it)', () => {
    expect(readConfig(variablesOf({})).cacheMaxAgeMs).toBe(0);
    expect(SETTINGS.cacheMaxAgeMs).toMatchObject({ variable: 'cache_max_age_ms', fallback: 0 });
  });

  it('takes a whole number of ms up to cache_ttl_ms, equal included', () => {
    expect(readConfig(variablesOf({ cache_max_age_ms: '1500' })).cacheMaxAgeMs).toBe(1500);
    expect(readConfig(variablesOf({ cache_max_age_ms: '2000' })).cacheMaxAgeMs).toBe(2000);
    const long = readConfig(variablesOf({ cache_ttl_ms: '86400000', cache_max_age_ms: '86400000' }));
    expect([long.cacheTtlMs, long.cacheMaxAgeMs]).toEqual([86_400_000, 86_400_000]);
    expect(readConfig(variablesOf({ cache_ttl_ms: '0', cache_max_age_ms: '0' })).cacheMaxAgeMs).toBe(0);
  });

  it.each([
    [{ cache_max_age_ms: '2001' }, 'variable cache_max_age_ms must not exceed cache_ttl_ms (2000); got 2001'],
    [{ cache_ttl_ms: '0', cache_max_age_ms: '1' }, 'variable cache_max_age_ms must not exceed cache_ttl_ms (0); got 1'],
    [
      { cache_ttl_ms: '60000', cache_max_age_ms: '86400001' },
      'variable cache_max_age_ms must be a whole number from 0 to 86400000; got "86400001"',
    ],
    [{ cache_max_age_ms: '-1' }, 'variable cache_max_age_ms must be a whole number from 0 to 86400000; got "-1"'],
    [{ cache_max_age_ms: '1.5' }, 'variable cache_max_age_ms must be a whole number from 0 to 86400000; got "1.5"'],
  ])('refuses %j', (values, message) => {
    expect(() => readConfig(variablesOf(values))).toThrow(new ConfigError(message));
  });

  it('makes the dashboard answer 500 without internals when it exceeds cache_ttl_ms, and logs why', async () => {
    const logged: string[] = [];
    const response = await inProcessAggregates(seeded(), {
      variables: { cache_ttl_ms: '1000', cache_max_age_ms: '5000' },
      log: (l) => logged.push(l),
    })();
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = await readProblem(response);
    expect(problem.type).toBe('urn:aggregates-dashboard:problem:internal-error');
    expect(problem.detail).not.toContain('cache_max_age_ms');
    expect(response.headers.get('cache-status')).toBeNull();
    expect(logged.join('\n')).toContain('variable cache_max_age_ms must not exceed cache_ttl_ms (1000); got 5000');
  });
});

describe('Cache-Status and Age from the parts (cache-status.ts)', () => {
  const [customers, incidents] = planParts('pushdown', 5) as [PartOutcome['part'], PartOutcome['part']];
  const outcome = (part: PartOutcome['part'], cache: CacheLookup, ageMs?: number): PartOutcome => ({
    part,
    cache,
    state: cache === 'unchecked' || cache === 'revalidated' ? 'cached' : 'fresh',
    value: {},
    latencyMs: 0,
    ...(ageMs === undefined ? {} : { ageMs }),
  });
  const on = { cacheTtlMs: 2000 };

  it.each([
    [['unchecked', 'unchecked'], 'aggregates; hit; detail=unchecked'],
    [['unchecked', 'revalidated'], 'aggregates; hit; detail=revalidated'],
    [['revalidated', 'revalidated'], 'aggregates; hit; detail=revalidated'],
    [['unchecked', 'miss'], 'aggregates; fwd=partial'],
    [['revalidated', 'stale'], 'aggregates; fwd=partial'],
    [['stale', 'stale'], 'aggregates; fwd=stale'],
    [['stale', 'miss'], 'aggregates; fwd=miss'],
    [['miss', 'miss'], 'aggregates; fwd=miss'],
  ] as const)('parts %j: %s', ([a, b], expected) => {
    expect(cacheStatus([outcome(customers, a, 10), outcome(incidents, b, 10)], on)).toBe(expected);
  });

  it('says fwd=request whenever cache_ttl_ms is 0, whatever the parts', () => {
    for (const lookup of ['miss', 'stale'] as const)
      expect(cacheStatus([outcome(customers, lookup), outcome(incidents, lookup)], { cacheTtlMs: 0 })).toBe(
        'aggregates; fwd=request',
      );
  });

  it('gives only values the OpenAPI document lists, each a valid RFC 9211 list member', () => {
    const lookups: CacheLookup[] = ['unchecked', 'revalidated', 'stale', 'miss'];
    const seen = new Set<string>();
    for (const ttl of [0, 2000])
      for (const a of lookups)
        for (const b of lookups)
          seen.add(cacheStatus([outcome(customers, a), outcome(incidents, b)], { cacheTtlMs: ttl }));
    expect([...seen].sort()).toEqual([...CACHE_STATUS_VALUES].sort());
    // sf-token name, then parameters: `hit` alone or `fwd=<token>`, `detail=<token>`; never hit and fwd together.
    for (const value of seen) {
      expect(value).toMatch(
        /^aggregates(; (hit|fwd=(uri-miss|vary-miss|miss|request|stale|partial)|detail=[a-z-]+))+$/,
      );
      expect(value.includes('hit') && value.includes('fwd=')).toBe(false);
    }
  });

  it('gives Age, in whole seconds rounded down, of the oldest part served unasked, and none without one', () => {
    expect(ageOf([outcome(customers, 'unchecked', 999), outcome(incidents, 'unchecked', 2999)])).toBe(2);
    expect(ageOf([outcome(customers, 'unchecked', 59_999), outcome(incidents, 'miss')])).toBe(59);
    // A revalidated part is older still, but was checked: it does not count.
    expect(ageOf([outcome(customers, 'unchecked', 1000), outcome(incidents, 'revalidated', 9000)])).toBe(1);
    expect(ageOf([outcome(customers, 'revalidated', 1500), outcome(incidents, 'revalidated', 1500)])).toBeNull();
    expect(ageOf([outcome(customers, 'miss'), outcome(incidents, 'stale', 4000)])).toBeNull();
  });
});

describe('the three age bands of a cached part, on a manual clock', () => {
  function manualClock(): Clock & { advance(ms: number): void } {
    let now = 1_700_000_000_000;
    return { now: () => now, advance: (ms) => void (now += ms), sleep: () => Promise.resolve(), random: () => 0.5 };
  }
  const VERSION_PATHS = ['/customers/events/last', '/incidents/events/last'];
  const DATA_PATHS = ['/customers/count-and-top/5', '/incidents/rankings/5'];
  const NEWCOMER = "INSERT INTO Customers (Id, Name, Scoring) VALUES ('C-NEW', 'Newcomer', 1);";

  interface Harness {
    db: TestDatabase;
    clock: ReturnType<typeof manualClock>;
    store: MemoryStore;
    /** The chained calls since the last time, by path, sorted. */
    calls(): string[];
    /** Fails every chained call whose URL contains one of these. */
    failing: string[];
    ask(path?: string, init?: RequestInit): Promise<Response>;
  }

  function harness(variables: Record<string, string>): Harness {
    const db = seeded();
    const clock = manualClock();
    const store = memoryStore();
    const seen: string[] = [];
    const failing: string[] = [];
    const wrapFetch =
      (inner: Fetch): Fetch =>
      (url, init) => {
        seen.push(new URL(url).pathname);
        return failing.some((f) => url.includes(f))
          ? Promise.resolve(new Response('down', { status: 503 }))
          : inner(url, init);
      };
    const app = inProcessAggregates(db, { variables, clock, store, wrapFetch });
    return { db, clock, store, failing, calls: () => seen.splice(0).sort(), ask: (path, init) => app(path, init) };
  }

  const headersOf = (response: Response) => ({
    status: response.status,
    cacheStatus: response.headers.get('cache-status'),
    age: response.headers.get('age'),
  });

  it('serves parts younger than cache_max_age_ms without a single call, so a write stays invisible until then', async () => {
    const h = harness({ cache_ttl_ms: '1000', cache_max_age_ms: '600' });
    const first = await h.ask();
    const firstText = await first.text();
    expect(firstText).toBe(referenceDashboard(h.db));
    expect(headersOf(first)).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=miss', age: null });
    expect(h.calls()).toEqual(DATA_PATHS);

    // A write by plain SQL, then a dashboard within the max-age: the old answer, nothing asked.
    h.db.exec(NEWCOMER);
    h.clock.advance(599);
    const second = await h.ask();
    expect(await second.text()).toBe(firstText);
    expect(firstText).not.toBe(referenceDashboard(h.db));
    expect(headersOf(second)).toEqual({ status: 200, cacheStatus: 'aggregates; hit; detail=unchecked', age: '0' });
    expect(second.headers.get('server-timing')).toBe('answer;dur=0;desc="cached answer"'); // the whole answer kept
    expect(h.calls()).toEqual([]);

    // At the max-age, within the TTL: each data version is asked for; the customers' moved, so that part is
    // called again (the write shows), the incidents' part is served after its check.
    h.clock.advance(1);
    const third = await h.ask();
    expect(await third.text()).toBe(referenceDashboard(h.db));
    expect(headersOf(third)).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=partial', age: null });
    expect(h.calls()).toEqual(['/customers/count-and-top/5', ...VERSION_PATHS]);

    // The incidents' entry at the TTL (1000 ms old), the customers' young (400 ms): the one called again, its
    // stored copy too old, the other served unasked. (Asked with another policy: the whole answer kept at 600 ms
    // under the default one would be served instead, see below.)
    h.clock.advance(400);
    const fourth = await h.ask('/aggregates/dashboard?policy=strict');
    expect(await fourth.text()).toBe(referenceDashboard(h.db));
    expect(headersOf(fourth)).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=partial', age: '0' });
    expect(h.calls()).toEqual(['/incidents/rankings/5']);

    // Both past the TTL: both called, both copies too old.
    h.clock.advance(1000);
    const fifth = await h.ask();
    expect(headersOf(fifth)).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=stale', age: null });
    expect(h.calls()).toEqual(DATA_PATHS);
  });

  it('asks for the data version of a source only for its parts past the max-age', async () => {
    const h = harness({ cache_ttl_ms: '1000', cache_max_age_ms: '500' });
    await h.ask();
    h.calls();
    // The incidents' version moves: at 600 ms both are checked, the incidents' part called again.
    h.db.exec("INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('max-age-1', 5, 'Zed', 'A');");
    h.clock.advance(600);
    const checked = await h.ask();
    expect(headersOf(checked).cacheStatus).toBe('aggregates; fwd=partial');
    expect(h.calls()).toEqual([...VERSION_PATHS, '/incidents/rankings/5']);
    // 100 ms later: the incidents' entry is 100 ms old (unasked), the customers' 700 ms (checked, unchanged).
    // Asked with another policy, whose whole answer is not kept yet, so the parts are looked at one by one.
    h.clock.advance(100);
    const mixed = await h.ask('/aggregates/dashboard?policy=strict');
    expect(await mixed.text()).toBe(referenceDashboard(h.db));
    expect(headersOf(mixed)).toEqual({ status: 200, cacheStatus: 'aggregates; hit; detail=revalidated', age: '0' });
    expect(h.calls()).toEqual(['/customers/events/last']);
  });

  it('serves the whole answer within the max-age of its last check, counted from that check', async () => {
    const h = harness({ cache_ttl_ms: '1000', cache_max_age_ms: '500' });
    await h.ask();
    h.calls();
    // At 600 ms both parts are past the max-age: both versions asked, unchanged; the answer is current at 600.
    h.clock.advance(600);
    expect(headersOf(await h.ask()).cacheStatus).toBe('aggregates; hit; detail=revalidated');
    expect(h.calls()).toEqual(VERSION_PATHS);
    // At 900 ms the parts are 900 ms old, past the max-age, but the answer was checked 300 ms ago: served whole.
    h.db.exec(NEWCOMER);
    h.clock.advance(300);
    const kept = await h.ask();
    expect(headersOf(kept)).toEqual({ status: 200, cacheStatus: 'aggregates; hit; detail=unchecked', age: '0' });
    expect(await kept.text()).not.toBe(referenceDashboard(h.db)); // the write, made 0 ms ago, not shown yet
    expect(h.calls()).toEqual([]);
    h.clock.advance(199);
    expect(headersOf(await h.ask()).cacheStatus).toBe('aggregates; hit; detail=unchecked');
    expect(h.calls()).toEqual([]);
    // 500 ms after the check: no longer served; the parts are past the TTL, called again, and the write shows.
    h.clock.advance(1);
    const after = await h.ask();
    expect(await after.text()).toBe(referenceDashboard(h.db));
    expect(headersOf(after).cacheStatus).toBe('aggregates; fwd=stale');
    expect(h.calls()).toEqual(DATA_PATHS);
  });

  it('keeps no whole answer that is incomplete or made with a stale copy', async () => {
    const h = harness({ cache_ttl_ms: '1000', cache_max_age_ms: '500', cache_stale_if_error_ms: '60000' });
    await h.ask();
    h.calls();
    // Past the max-age with the incidents' component down: its version cannot be read, its copy stands in.
    h.failing.push('/incidents/');
    h.clock.advance(600);
    const partial = await h.ask();
    expect(partial.headers.get('dashboard-stale')).not.toBeNull();
    h.calls();
    h.failing.length = 0;
    // 100 ms later the answer made with the stale copy is not served whole: the parts are looked at again.
    h.clock.advance(100);
    const next = await h.ask();
    expect(next.headers.get('dashboard-stale')).toBeNull();
    expect(next.headers.get('server-timing')).not.toContain('cached answer');
    expect(h.calls().length).toBeGreaterThan(0);
  });

  it('gives Age in whole seconds of the oldest part served unasked', async () => {
    const h = harness({ cache_ttl_ms: '60000', cache_max_age_ms: '60000' });
    await h.ask();
    h.clock.advance(2999);
    expect(headersOf(await h.ask())).toEqual({
      status: 200,
      cacheStatus: 'aggregates; hit; detail=unchecked',
      age: '2',
    });
    h.clock.advance(56_999);
    expect(headersOf(await h.ask())).toEqual({
      status: 200,
      cacheStatus: 'aggregates; hit; detail=unchecked',
      age: '59',
    });
    expect(h.calls()).toEqual(DATA_PATHS);
    h.clock.advance(2);
    expect(headersOf(await h.ask())).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=stale', age: null });
  });

  it('with cache_max_age_ms 0 (the default) checks every cached part, as before: hit; detail=revalidated, no Age', async () => {
    const h = harness({ cache_ttl_ms: '1000' });
    await h.ask();
    h.calls();
    h.clock.advance(1);
    expect(headersOf(await h.ask())).toEqual({
      status: 200,
      cacheStatus: 'aggregates; hit; detail=revalidated',
      age: null,
    });
    expect(h.calls()).toEqual(VERSION_PATHS);
    h.db.exec(NEWCOMER);
    const after = await h.ask();
    expect(await after.text()).toBe(referenceDashboard(h.db));
    expect(headersOf(after).cacheStatus).toBe('aggregates; fwd=partial');
  });

  it('says fwd=request when cache_ttl_ms is 0, a stale copy standing in or not', async () => {
    const h = harness({ cache_ttl_ms: '0', cache_stale_if_error_ms: '60000' });
    expect(headersOf(await h.ask())).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=request', age: null });
    expect(h.calls()).toEqual(DATA_PATHS);
    h.failing.push('/incidents/');
    const stale = await h.ask();
    expect(stale.headers.get('dashboard-stale')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    expect(headersOf(stale)).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=request', age: null });
  });

  it('keeps stale-if-error as it was: an unasked part needs no call, an older one stands in for a failed call', async () => {
    const h = harness({ cache_ttl_ms: '1000', cache_max_age_ms: '1000', cache_stale_if_error_ms: '60000' });
    const complete = await (await h.ask()).text();
    h.calls();
    h.failing.push('/incidents/');
    // Within the max-age the failing component is not even asked.
    h.clock.advance(900);
    const young = await h.ask();
    expect(await young.text()).toBe(complete);
    expect(headersOf(young)).toEqual({ status: 200, cacheStatus: 'aggregates; hit; detail=unchecked', age: '0' });
    expect(h.calls()).toEqual([]);
    // Past the TTL its call fails (retried once) and the copy stands in, said so; the customers' part is called.
    h.clock.advance(4100);
    const stale = await h.ask();
    expect(stale.headers.get('dashboard-stale')).toBe('customersWithMostIncidents, customersWithHighestIncidentVolume');
    expect(stale.headers.get('cache-control')).toBe('no-store');
    expect(headersOf(stale)).toEqual({ status: 200, cacheStatus: 'aggregates; fwd=stale', age: null });
    const { errors, sources, ...sections } = await stale.json();
    expect(JSON.stringify(sections)).toBe(complete);
    expect(errors[0].detail).toContain('a cached copy 5 s old was served instead');
    expect(sources.incidents.stale).toBe(true);
    expect(h.calls()).toEqual(['/customers/count-and-top/5', '/incidents/rankings/5', '/incidents/rankings/5']);
  });

  it('puts the same Cache-Status and Age on a 304 and on HEAD', async () => {
    const h = harness({ cache_ttl_ms: '60000', cache_max_age_ms: '60000' });
    const first = await h.ask();
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    h.clock.advance(3500);
    const notModified = await h.ask('/aggregates/dashboard', { headers: { 'if-none-match': etag ?? '' } });
    expect(headersOf(notModified)).toEqual({ status: 304, cacheStatus: 'aggregates; hit; detail=unchecked', age: '3' });
    expect(notModified.headers.get('etag')).toBe(etag);
    const head = await h.ask('/aggregates/dashboard', { method: 'HEAD' });
    expect(headersOf(head)).toEqual({ status: 200, cacheStatus: 'aggregates; hit; detail=unchecked', age: '3' });
    expect(await head.text()).toBe('');
    expect(h.calls()).toEqual(DATA_PATHS);
    // A cold cache's 304 says it was made by calls.
    const cold = harness({ cache_ttl_ms: '60000', cache_max_age_ms: '60000' });
    const fetched = await cold.ask('/aggregates/dashboard', { headers: { 'if-none-match': etag ?? '' } });
    expect(headersOf(fetched)).toEqual({ status: 304, cacheStatus: 'aggregates; fwd=miss', age: null });
  });

  it('says how a 502 was made too', async () => {
    const h = harness({ cache_ttl_ms: '60000', cache_max_age_ms: '60000', cache_stale_if_error_ms: '0' });
    h.failing.push('/incidents/');
    const refused = await h.ask('/aggregates/dashboard?policy=strict');
    expect(headersOf(refused)).toEqual({ status: 502, cacheStatus: 'aggregates; fwd=miss', age: null });
    // The customers' part is cached now: the next refusal is made partly from the cache.
    h.clock.advance(1000);
    const again = await h.ask('/aggregates/dashboard?policy=strict');
    expect(headersOf(again)).toEqual({ status: 502, cacheStatus: 'aggregates; fwd=partial', age: '1' });
  });
});

describe('the OpenAPI document of the dashboard', () => {
  it('lists Cache-Status and Age among the headers of its 200, and says a write may be invisible for up to cache_max_age_ms', async () => {
    const response = await inProcessAggregates(seeded())('/aggregates/openapi.json');
    const document = (await response.json()) as {
      paths: Record<
        string,
        {
          get: {
            description: string;
            responses: Record<string, { headers?: Record<string, { schema: Record<string, unknown> }> }>;
          };
        }
      >;
    };
    const operation = document.paths['/aggregates/dashboard']?.get;
    expect(operation?.description).toContain(
      'a write (API or plain SQL) may be invisible on the dashboard for up to cache_max_age_ms',
    );
    const headers = operation?.responses['200']?.headers ?? {};
    expect(headers['Cache-Status']?.schema).toEqual({ enum: [...CACHE_STATUS_VALUES] });
    expect(headers.Age?.schema).toEqual({ type: 'string', pattern: '^[0-9]+$' });
  });
});
