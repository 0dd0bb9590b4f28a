/**
 * The app in its production shape, on real servers: two runtime processes (the CLI, `node runtime/dist/cli.js`)
 * serving the real Wasm from one shared state directory (one SQLite file, WAL), their key-value store 'default'
 * on one real redis-server, one real HAProxy in front of both (round robin). Each proof talks to a replica
 * directly (its own port) where it needs "the other replica", and through HAProxy where requests must be
 * spread over both.
 *
 * 1. A write through one replica is in the dashboard, the overview and the page of the other on the very next
 *    request, with a cache TTL of a minute (the cache is shared in Redis and keyed on data versions), and both
 *    replicas give the same ETag for the same data.
 * 2. 50 concurrent `If-Match` PATCHes of one customer through HAProxy: one 200, 49 412, one event.
 * 3. Two replicas starting together on an empty database without `--sqlite`, 20 concurrent first requests to
 *    each: the schema and sample data once, no 5xx, events numbered from 1.
 * 4. `kill -9` of one replica (not restarted) under a write load at concurrency 8 through HAProxy: every
 *    acknowledged write is there with its version, the event feeds have no gap, at most 8 requests fail (those
 *    in flight) and none that started 2 s after the kill.
 * 5. Redis killed under load: reads 200 and exact, writes unaffected, no 5xx; Redis back on its port: caching
 *    resumes; Redis flushed: answers stay exact.
 *
 * How caching is observed: the dashboard's `Server-Timing` names how each part was served (`fresh`, `cached`),
 * and Redis's own DBSIZE.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteFile } from '../support/sqlite';
import { referenceDashboard } from '../support/reference-dashboard';
import { runCli, tempDir, type Cli } from '../../runtime/tests/support/runtime';
import { repoRoot } from '../support/repo';
import { apiClient, type Answer, type FeedEvent } from '../support/api-client';
import {
  freePort,
  killGroup,
  serverProgramsFor,
  startHaproxy,
  startRedis,
  waitForGroupsGone,
  waitForHttp,
  type TestHaproxy,
  type TestRedis,
} from '../support/servers';

const programs = serverProgramsFor('tests/servers/production-shape.test.ts', ['redis-server', 'haproxy']);

const API_TOKEN = 'production-shape-token-5c1e';
/** Every HTTP call gives up after this long, so a stuck server fails the test instead of hanging it. */
// Past the runtime's own 30 s request limit: a request that is slow (the machine busy with other test files) gets
// the runtime's answer, 504 included, rather than the client giving up first.
const FETCH_TIMEOUT_MS = 45_000;
/**
 * The aggregates component's own deadlines, raised well above their defaults (2 s per call, 5 s per dashboard) in
 * every replica: these proofs are about the shape (replicas, Redis, one database), and on a machine busy with other
 * test files a chained call can take seconds, which would make a section stale for a reason no proof is about.
 */
const SHAPE_VARIABLES = { downstream_timeout_ms: '20000', dashboard_deadline_ms: '25000' };
const START_TIMEOUT_MS = 60_000;
const { call, get, readFeed } = apiClient(API_TOKEN, FETCH_TIMEOUT_MS);
const DASHBOARD = '/aggregates/dashboard';
const CUSTOMERS_PART = '/customers/count-and-top/5';
const INCIDENTS_PART = '/incidents/rankings/5';
/** Sample customers (migrations.sql): one the first proof moves up and down the ranking, one the second races on. */
const CLIMBER = 'E194669B-D11A-C3FF-FCFD-4C41B1B927C4'; // Alder Freight, scoring 4
const RACED = 'B3FCA15B-3255-1A38-C284-13455CE28935'; // Juniper Health, scoring 1

interface Replica {
  name: string;
  cli: Cli;
  url: string;
  port: number;
}

const timing = (answer: Answer): string => answer.headers.get('server-timing') ?? '';
/** How the dashboard's two parts were served, customers' then incidents' (`fresh`, `cached`, ...), from its Server-Timing. */
const served = (answer: Answer): string[] =>
  [CUSTOMERS_PART, INCIDENTS_PART].map(
    (path) => new RegExp(`desc="(\\w+) ${path}"`).exec(timing(answer))?.[1] ?? 'missing',
  );

const lastSeq = async (base: string, feed: string): Promise<number> =>
  ((await get(base, `${feed}/events/last`)).body as { seq: number }).seq;

/** Each feed numbered 1..n in order, no gap, no repeat. */
function expectContiguous(events: FeedEvent[], label: string): void {
  const seqs = events.map((e) => e.seq);
  expect(seqs, `${label}: sequence numbers`).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
}

const clis: Cli[] = [];
const dirs: string[] = [];

async function stopCli(cli: Cli): Promise<void> {
  if (cli.child.exitCode !== null || cli.child.signalCode !== null) return;
  cli.child.kill('SIGTERM');
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 5000);
  await cli.exited;
  clearTimeout(timer);
}

/** One runtime process on a free loopback port, answering, with the shape's flags. */
async function startReplica(
  name: string,
  stateDir: string,
  configFile: string,
  { sqlite = true, variables = {} as Record<string, string> } = {},
): Promise<Replica> {
  const port = await freePort();
  const args = [
    '-f',
    'spin.toml',
    '--listen',
    `127.0.0.1:${port}`,
    '--state-dir',
    stateDir,
    '--runtime-config-file',
    configFile,
    '--variable',
    `api_token=${API_TOKEN}`,
  ];
  if (sqlite) args.push('--sqlite', '@migrations.sql');
  for (const [key, value] of Object.entries({ ...SHAPE_VARIABLES, ...variables }))
    args.push('--variable', `${key}=${value}`);
  // No --quiet: each replica's access log lines show which one served what.
  const env = Object.fromEntries(
    Object.entries(process.env)
      .filter(([key]) => !key.startsWith('SPIN_VARIABLE_'))
      .map(([k, v]) => [k, v ?? '']),
  );
  const cli = runCli(args, env, { cwd: repoRoot });
  clis.push(cli);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!/Serving http:\/\/127\.0\.0\.1:\d+/.test(cli.output())) {
    if (cli.child.exitCode !== null) throw new Error(`${name} exited before serving:\n${cli.output()}`);
    if (Date.now() > deadline) throw new Error(`${name} did not serve within ${START_TIMEOUT_MS} ms:\n${cli.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, cli, url: `http://127.0.0.1:${port}`, port };
}

function writeRuntimeConfig(dir: string, redisUrl: string): string {
  const file = join(dir, 'runtime-config.toml');
  writeFileSync(file, `[key_value_store.default]\ntype = "redis"\nurl = "${redisUrl}"\n`);
  return file;
}

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

describe.skipIf(programs === undefined)(
  'production shape: two runtime replicas, one SQLite file, Redis, HAProxy (real servers, real Wasm)',
  () => {
    const shared = tempDir('production-shape-');
    dirs.push(shared.path);
    let redis: TestRedis;
    let haproxy: TestHaproxy;
    /** Redis started again on the first one's port (proof 5). */
    const restartedRedis: TestRedis[] = [];
    let a: Replica;
    let b: Replica;

    beforeAll(async () => {
      redis = await startRedis({ program: programs?.['redis-server'] });
      const config = writeRuntimeConfig(shared.path, redis.url);
      const state = join(shared.path, 'state');
      // The cache TTL is a minute: whatever the dashboard shows right after a write cannot come from a TTL running out.
      const variables = { cache_ttl_ms: '60000' };
      a = await startReplica('replica-a', state, config, { variables });
      b = await startReplica('replica-b', state, config, { variables });
      haproxy = await startHaproxy(
        [
          { name: 'replica-a', port: a.port },
          { name: 'replica-b', port: b.port },
        ],
        programs?.haproxy,
      );
    });

    afterAll(async () => {
      await Promise.all(clis.map(stopCli));
      await Promise.all([redis?.stop(), haproxy?.stop(), ...restartedRedis.map((r) => r.stop())]);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    const reference = (): string => {
      const db = openSqliteFile(join(shared.path, 'state', 'sqlite_db.db'));
      try {
        return referenceDashboard(db);
      } finally {
        db.close();
      }
    };

    it(
      '1. a write through one replica is in the dashboard, overview and page of the other on the very next request; both give the same ETags',
      { timeout: 60_000 },
      async () => {
        const overviewPath = `/aggregates/customers/${CLIMBER}/overview`;
        /** The page's top-customers table, as "name scoring" rows. */
        const topRows = (html: string): string[] => {
          const table = /<table id="top-customers">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
          // A name is a link to its overview when the dashboard gives its id: the text inside counts.
          const cell =
            /<td class="name">(?:<a href="[^"]*">)?([^<]*)(?:<\/a>)?<\/td><td class="value" data-value="(\d+)"/g;
          return [...table.matchAll(cell)].map((m) => `${m[1]} ${m[2]}`);
        };

        // The cache is shared: what replica A computed, replica B serves from Redis (asking only for data versions).
        const first = await get(a.url, DASHBOARD);
        expect(first.status).toBe(200);
        expect(first.text).toBe(reference());
        const fromB = await get(b.url, DASHBOARD);
        expect(fromB.text).toBe(first.text);
        expect(served(fromB)).toEqual(['cached', 'cached']);
        expect(fromB.headers.get('etag')).toBe(first.headers.get('etag'));
        expect(Number((await redis.command('DBSIZE')).slice(1))).toBeGreaterThan(0);

        let version = Number(((await get(a.url, `/customers/items/${CLIMBER}`)).body as { version: number }).version);
        for (const [round, scoring] of [10, 0, 9].entries()) {
          // Every view cached on replica B before the write (each asked twice).
          for (const path of [DASHBOARD, overviewPath, '/']) {
            for (let i = 0; i < 2; i++) expect((await get(b.url, path)).status).toBe(200);
          }
          expect(served(await get(b.url, DASHBOARD))).toEqual(['cached', 'cached']);

          const write = await call(
            a.url,
            'PATCH',
            `/customers/items/${CLIMBER}`,
            { scoring },
            { 'if-match': `"${version}"` },
          );
          expect(write.status, write.text).toBe(200);
          version += 1;
          expect(write.body).toMatchObject({ scoring, version });

          // Round by round, a different view is the very next request to replica B after the write.
          const views = [DASHBOARD, overviewPath, '/'];
          const order = [...views.slice(round), ...views.slice(0, round)];
          const answers = new Map<string, Answer>();
          for (const path of order) answers.set(path, await get(b.url, path));

          const dashboard = answers.get(DASHBOARD) as Answer;
          expect(dashboard.status).toBe(200);
          expect(dashboard.text).toBe(reference());
          const top = (dashboard.body as { topCustomers: Array<{ customerName: string; scoring: number }> })
            .topCustomers;
          // Alder Freight sorts before every other customer with its scoring: first at 10, out of the top at 0, second at 9 (after Ironbridge Tools' 10).
          expect(
            top.findIndex((t) => t.customerName === 'Alder Freight'),
            `scoring ${scoring}`,
          ).toBe(scoring === 10 ? 0 : scoring === 9 ? 1 : -1);
          // Only the customers' part was read again; the incidents' data version did not move. (In the later rounds
          // the page, asked first, had the dashboard read it already.)
          expect(served(dashboard)).toEqual(round === 0 ? ['fresh', 'cached'] : ['cached', 'cached']);

          const overview = answers.get(overviewPath) as Answer;
          expect(overview.status).toBe(200);
          expect(overview.body).toMatchObject({
            customer: { id: CLIMBER, scoring, version },
            topCustomers: { rank: scoring === 10 ? 1 : scoring === 9 ? 2 : expect.any(Number) },
          });

          const page = answers.get('/') as Answer;
          expect(page.status).toBe(200);
          expect(topRows(page.text)).toEqual(top.map((t) => `${t.customerName} ${t.scoring}`));

          // The same data gives the same ETag on both replicas, and a new one after the write.
          for (const path of views) {
            const fromA = await get(a.url, path);
            expect(fromA.status).toBe(200);
            const tag = answers.get(path)?.headers.get('etag');
            expect(tag, path).toBeTruthy();
            expect(fromA.headers.get('etag'), path).toBe(tag);
            expect((await get(a.url, path, { 'if-none-match': tag ?? '' })).status, path).toBe(304);
          }
        }
      },
    );

    it(
      '2. 50 concurrent If-Match PATCHes of one customer through HAProxy: exactly one 200, the rest 412, one event',
      { timeout: 60_000 },
      async () => {
        const current = await get(haproxy.url, `/customers/items/${RACED}`);
        expect(current.status).toBe(200);
        const etag = current.headers.get('etag') ?? '';
        const version = Number((current.body as { version: number }).version);
        expect(etag).toBe(`"${version}"`);
        const seqBefore = await lastSeq(haproxy.url, '/customers');
        const logged = (replica: Replica): number =>
          count(replica.cli.output(), new RegExp(`^PATCH /customers/items/${RACED} customers-service `, 'gm'));
        const before = [logged(a), logged(b)];

        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            call(haproxy.url, 'PATCH', `/customers/items/${RACED}`, { city: `Racer ${i}` }, { 'if-match': etag }),
          ),
        );
        const statuses = answers.map((r) => r.status);
        expect(statuses.filter((s) => s === 200).length, statuses.join(',')).toBe(1);
        expect(statuses.filter((s) => s === 412).length, statuses.join(',')).toBe(49);
        const winner = answers.find((r) => r.status === 200)?.body as { city: string; version: number };
        expect(winner.version).toBe(version + 1);
        for (const lost of answers.filter((r) => r.status === 412))
          expect(lost.headers.get('content-type')).toContain('problem+json');

        // Spread over both replicas (their access log lines; they may reach this process a little after the answers).
        const deadline = Date.now() + 5000;
        while ([a, b].reduce((sum, r, i) => sum + logged(r) - (before[i] ?? 0), 0) < 50 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        const perReplica = [logged(a) - (before[0] ?? 0), logged(b) - (before[1] ?? 0)];
        expect((perReplica[0] ?? 0) + (perReplica[1] ?? 0)).toBe(50);
        for (const n of perReplica)
          expect(n, `PATCHes per replica: ${perReplica.join(', ')}`).toBeGreaterThanOrEqual(10);

        const events = await readFeed(haproxy.url, '/customers/events', seqBefore);
        expect(events.map((e) => [e.seq, e.type, e.aggregateId, e.version])).toEqual([
          [seqBefore + 1, 'CustomerUpdated', RACED, version + 1],
        ]);
        expect(events[0]?.diff).toEqual({ city: { old: (current.body as { city: string }).city, new: winner.city } });
        expect((await get(b.url, `/customers/items/${RACED}`)).body).toEqual(winner);
        expect((await get(a.url, `/customers/items/${RACED}`)).body).toEqual(winner);
      },
    );

    it(
      '3. two replicas starting together on an empty database without --sqlite, 20 concurrent first requests to each: schema once, no 5xx, events from seq 1',
      { timeout: 90_000 },
      async () => {
        const fresh = tempDir('production-shape-bootstrap-');
        dirs.push(fresh.path);
        // Its own Redis database (db 1), so no cache entry of the other database's app is seen.
        const config = writeRuntimeConfig(fresh.path, `${redis.url}/1`);
        const state = join(fresh.path, 'state');
        const [c, d] = await Promise.all([
          startReplica('bootstrap-c', state, config, { sqlite: false }),
          startReplica('bootstrap-d', state, config, { sqlite: false }),
        ]);
        for (const replica of [c, d]) expect(replica.cli.child.spawnargs).not.toContain('--sqlite');
        const paths = [
          '/customers/count',
          '/incidents/rankings/3',
          '/customers/count-and-top/2',
          '/customers/items',
          '/incidents/items',
          DASHBOARD,
          '/customers/events?after=0',
          `/aggregates/customers/${CLIMBER}/overview`,
          '/incidents/events/last',
          '/',
        ];
        const requests = [c, d].flatMap((replica) =>
          Array.from({ length: 20 }, (_, i) =>
            i % 5 === 4
              ? call(replica.url, 'POST', '/customers/items', {
                  name: `First ${replica.name} ${i}`,
                  scoring: i % 11,
                }).then((r) => ({ what: `${replica.name} POST`, r }))
              : get(replica.url, paths[i % paths.length] ?? '/').then((r) => ({
                  what: `${replica.name} GET ${paths[i % paths.length]}`,
                  r,
                })),
          ),
        );
        const answers = await Promise.all(requests);
        const bad = answers
          .filter(({ r }) => r.status >= 300)
          .map(({ what, r }) => `${what}: ${r.status} ${r.text.slice(0, 200)}`);
        expect(bad).toEqual([]);
        const writes = answers.filter(({ what }) => what.endsWith('POST'));
        expect(writes.length).toBe(8);

        // The sample data went in once: 40 customers (plus the 8 created) and 100 incidents, each with one Created event.
        expect((await get(c.url, '/customers/count')).body).toEqual({ count: 48 });
        const db = openSqliteFile(join(state, 'sqlite_db.db'));
        try {
          expect(db.database.query('SELECT COUNT(*) AS n FROM Incidents')).toEqual([{ n: 100n }]);
          expect(
            db.database.query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'Customers'"),
          ).toEqual([{ n: 1n }]);
          expect(db.database.query("SELECT Name FROM AppMigrations WHERE Name = 'aggregates-v1'")).toEqual([
            { Name: 'aggregates-v1' },
          ]);
          expect((await get(d.url, DASHBOARD)).text).toBe(referenceDashboard(db));
        } finally {
          db.close();
        }
        const customerEvents = await readFeed(d.url, '/customers/events');
        const incidentEvents = await readFeed(c.url, '/incidents/events');
        expectContiguous(customerEvents, 'customer events');
        expectContiguous(incidentEvents, 'incident events');
        expect(customerEvents.length).toBe(48);
        expect(incidentEvents.length).toBe(100);
        expect(new Set(customerEvents.map((e) => e.aggregateId)).size).toBe(48);
        expect(customerEvents.every((e) => e.type === 'CustomerCreated' && e.version === 1)).toBe(true);
        // Some component of some replica created the schema (logged); the statements ran as one transaction each time.
        expect(
          count(c.cli.output() + d.cli.output(), /schema: a table is missing; applying migrations\.sql/g),
        ).toBeGreaterThanOrEqual(1);
        await Promise.all([stopCli(c.cli), stopCli(d.cli)]);
      },
    );

    it(
      '5. Redis killed under load: reads 200 and exact, writes unaffected, no 5xx; Redis back: caching resumes; flushed: still exact',
      { timeout: 90_000 },
      async () => {
        const problems: string[] = [];
        const createdIncidents: Array<{ id: string; amount: number }> = [];
        let stop = false;
        let requests = 0;
        let answeredWhileDown = 0;
        let redisDown = false;
        const bases = [haproxy.url, a.url, b.url];
        const load = Promise.all(
          Array.from({ length: 4 }, async (_, worker) => {
            for (let i = 0; !stop && i < 2000; i++) {
              const base = bases[(worker + i) % bases.length] ?? haproxy.url;
              const startedWhileDown = redisDown;
              requests++;
              try {
                if (i % 4 === 3) {
                  const amount = 100 + worker * 1000 + i + 0.5;
                  const r = await call(base, 'POST', '/incidents/items', {
                    amount,
                    category: 'C',
                    customerId: CLIMBER,
                  });
                  if (r.status !== 201) problems.push(`POST incident via ${base}: ${r.status} ${r.text.slice(0, 200)}`);
                  else createdIncidents.push({ id: (r.body as { id: string }).id, amount });
                } else {
                  const path =
                    [DASHBOARD, `/aggregates/customers/${CLIMBER}/overview`, '/customers/count'][i % 3] ?? DASHBOARD;
                  const r = await get(base, path);
                  const partial = [
                    'dashboard-incomplete',
                    'dashboard-stale',
                    'overview-incomplete',
                    'overview-stale',
                  ].filter((h) => r.headers.has(h));
                  if (r.status !== 200 || partial.length > 0)
                    problems.push(`GET ${path} via ${base}: ${r.status} ${partial.join(' ')} ${r.text.slice(0, 200)}`);
                  // With Redis gone nothing can come from the cache.
                  if (startedWhileDown && path === DASHBOARD && served(r).includes('cached'))
                    problems.push(`GET ${path} via ${base} with Redis down: ${timing(r)}`);
                }
              } catch (error) {
                problems.push(`request via ${base}: ${String(error)}`);
              }
              if (startedWhileDown) answeredWhileDown++;
            }
          }),
        );
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        try {
          await sleep(1500);
          // SIGKILL: Redis goes away without a word, mid-load.
          killGroup(redis.pid, 'SIGKILL');
          expect(await waitForGroupsGone([redis.pid], 5000)).toEqual([]);
          redisDown = true;
          // Until a dozen requests that started with Redis gone have been answered (bounded).
          for (let waited = 0; answeredWhileDown < 12 && waited < 20_000; waited += 100) await sleep(100);
        } finally {
          stop = true;
          await load;
        }
        expect(problems).toEqual([]);
        expect(answeredWhileDown).toBeGreaterThanOrEqual(12);
        expect(requests).toBeGreaterThan(answeredWhileDown);

        // Quiet, Redis still down: both replicas answer exactly, every part read fresh (the cache bypassed).
        const expected = reference();
        for (const replica of [a, b]) {
          for (let i = 0; i < 2; i++) {
            const answer = await get(replica.url, DASHBOARD);
            expect(answer.status).toBe(200);
            expect(answer.text).toBe(expected);
            expect(served(answer)).toEqual(['fresh', 'fresh']);
          }
        }
        // Writes acknowledged while Redis was down are there.
        for (const { id, amount } of createdIncidents)
          expect((await get(b.url, `/incidents/items/${id}`)).body).toMatchObject({ id, amount, version: 1 });

        // Redis back on the same port (empty: no persistence): the replicas reconnect by themselves and cache again.
        restartedRedis.push(await startRedis({ program: programs?.['redis-server'], port: redis.port }));
        const deadline = Date.now() + 10_000;
        let resumed: Answer | undefined;
        while (Date.now() < deadline) {
          await get(a.url, DASHBOARD);
          const answer = await get(b.url, DASHBOARD);
          if (served(answer).join() === 'cached,cached') {
            resumed = answer;
            break;
          }
          await sleep(200);
        }
        expect(resumed, 'caching resumed within 10 s of Redis coming back').toBeDefined();
        expect(resumed?.text).toBe(expected);
        expect(Number((await redis.command('DBSIZE')).slice(1))).toBeGreaterThan(0);

        // Flushed: the next answers are read fresh and exact, then cached again.
        expect(await redis.command('FLUSHALL')).toBe('+OK');
        const afterFlush = await get(b.url, DASHBOARD);
        expect(afterFlush.text).toBe(expected);
        expect(served(afterFlush)).toEqual(['fresh', 'fresh']);
        const again = await get(a.url, DASHBOARD);
        expect(again.text).toBe(expected);
        expect(served(again)).toEqual(['cached', 'cached']);
        // And a write after the flush shows at once.
        const write = await call(a.url, 'POST', '/incidents/items', {
          amount: 123456.78,
          category: 'A',
          customerId: CLIMBER,
        });
        expect(write.status, write.text).toBe(201);
        const afterWrite = await get(b.url, DASHBOARD);
        expect(afterWrite.text).toBe(reference());
        expect(served(afterWrite)).toEqual(['cached', 'fresh']);
      },
    );

    it(
      '4. kill -9 of one replica under a write load at concurrency 8: every acknowledged write there with its version, contiguous feeds, at most 8 failures, none 2 s after the kill',
      { timeout: 90_000 },
      async () => {
        const targets: string[] = [];
        for (let i = 0; i < 8; i++) {
          const r = await call(haproxy.url, 'POST', '/customers/items', { name: `Durable target ${i}`, scoring: i });
          expect(r.status, r.text).toBe(201);
          targets.push((r.body as { id: string }).id);
        }
        type Op =
          | { kind: 'create'; body: { name: string; scoring: number } }
          | { kind: 'patch'; id: string; body: { scoring: number; city: string } }
          | { kind: 'incident'; body: { amount: number; customerId: string } };
        interface Outcome {
          op: Op;
          startedAt: number;
          acknowledged?: Record<string, unknown>;
          failure?: string;
        }
        const TOTAL = 600;
        const KILL_AFTER = 120;
        const ops: Op[] = Array.from({ length: TOTAL }, (_, i): Op => {
          const id = targets[i % targets.length] ?? '';
          if (i % 3 === 0) return { kind: 'create', body: { name: `Written ${i}`, scoring: i % 11 } };
          if (i % 3 === 1) return { kind: 'patch', id, body: { scoring: i % 11, city: `City ${i}` } };
          return { kind: 'incident', body: { amount: i + 0.75, customerId: id } };
        });
        const outcomes: Outcome[] = [];
        let cursor = 0;
        let acks = 0;
        let killedAt: number | undefined;
        const killedExit = new Promise<NodeJS.Signals | null>((resolve) =>
          b.cli.child.once('exit', (_code, signal) => resolve(signal)),
        );
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (cursor < ops.length && (killedAt === undefined || Date.now() - killedAt < 4000)) {
              const op = ops[cursor++] as Op;
              const outcome: Outcome = { op, startedAt: Date.now() };
              outcomes.push(outcome);
              try {
                const r =
                  op.kind === 'create'
                    ? await call(haproxy.url, 'POST', '/customers/items', op.body)
                    : op.kind === 'patch'
                      ? await call(haproxy.url, 'PATCH', `/customers/items/${op.id}`, op.body, { 'if-match': '*' })
                      : await call(haproxy.url, 'POST', '/incidents/items', op.body);
                if (r.status >= 200 && r.status < 300) {
                  outcome.acknowledged = r.body as Record<string, unknown>;
                  if (++acks === KILL_AFTER) {
                    killedAt = Date.now();
                    process.kill(b.cli.child.pid ?? -1, 'SIGKILL');
                  }
                } else {
                  outcome.failure = `${r.status} ${r.text.slice(0, 200)}`;
                }
              } catch (error) {
                outcome.failure = String(error);
              }
            }
          }),
        );
        expect(killedAt).toBeDefined();
        expect(await killedExit).toBe('SIGKILL');
        const failures = outcomes.filter((o) => o.failure !== undefined);
        const explain = (o: Outcome) =>
          `${o.op.kind} started ${o.startedAt - (killedAt ?? 0)} ms after the kill: ${o.failure}`;
        expect(failures.length, failures.map(explain).join('\n')).toBeLessThanOrEqual(8);
        expect(failures.filter((o) => o.startedAt >= (killedAt ?? 0) + 2000).map(explain)).toEqual([]);
        // The load went on after the kill, through the replica left.
        expect(
          outcomes.filter((o) => o.acknowledged !== undefined && o.startedAt > (killedAt ?? 0) + 2000).length,
        ).toBeGreaterThan(0);

        // Everything read back from the replica left, directly.
        const customerFeed = await readFeed(a.url, '/customers/events');
        const incidentFeed = await readFeed(a.url, '/incidents/events');
        expectContiguous(customerFeed, 'customer events');
        expectContiguous(incidentFeed, 'incident events');
        const eventOf = (feed: FeedEvent[], id: string, version: number) =>
          feed.find((e) => e.aggregateId === id && e.version === version);
        const patched = new Map<string, number[]>();
        for (const { op, acknowledged } of outcomes) {
          if (acknowledged === undefined) continue;
          const id = String(acknowledged.id);
          const version = Number(acknowledged.version);
          if (op.kind === 'create') {
            expect(acknowledged).toMatchObject({ ...op.body, version: 1 });
            expect((await get(a.url, `/customers/items/${id}`)).body).toEqual(acknowledged);
            expect(eventOf(customerFeed, id, 1)?.type).toBe('CustomerCreated');
          } else if (op.kind === 'patch') {
            expect(acknowledged).toMatchObject({ id: op.id, ...op.body });
            const event = eventOf(customerFeed, id, version);
            expect(event?.type, `CustomerUpdated ${id} v${version}`).toBe('CustomerUpdated');
            expect(event?.diff.city?.new).toBe(op.body.city);
            patched.set(id, [...(patched.get(id) ?? []), version]);
          } else {
            expect(acknowledged).toMatchObject({ ...op.body, version: 1 });
            const now = (await get(a.url, `/incidents/items/${id}`)).body as Record<string, unknown>;
            expect(now).toEqual(acknowledged);
            expect(eventOf(incidentFeed, id, 1)?.type).toBe('IncidentCreated');
          }
        }
        // Each acknowledged PATCH has a version of its own, and the customer is at its last version or later.
        for (const [id, versions] of patched) {
          expect(new Set(versions).size, `${id}: ${versions.join(',')}`).toBe(versions.length);
          const now = (await get(a.url, `/customers/items/${id}`)).body as { version: number };
          expect(now.version).toBeGreaterThanOrEqual(Math.max(...versions));
          expect(now.version).toBe(Math.max(...customerFeed.filter((e) => e.aggregateId === id).map((e) => e.version)));
        }
        // The dashboard through HAProxy still answers, exactly.
        await waitForHttp(`${haproxy.url}/customers/count`, 5000);
        expect((await get(haproxy.url, DASHBOARD)).text).toBe(reference());
      },
    );
  },
);
