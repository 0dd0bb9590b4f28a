/**
 * An acknowledged write survives `kill -9` of the server. The runtime CLI (`node runtime/dist/cli.js`, what
 * `npm run up` runs) serves the real Wasm components over real HTTP from a temporary state directory; a burst
 * of concurrent writes (customer creates, PATCHes and DELETEs, incident creates) is cut short by SIGKILL once
 * about half of it has been acknowledged. The CLI is then started again on the same state directory with the
 * same flags, and:
 *
 * - every acknowledged create reads back with the fields and version it was acknowledged with, every
 *   acknowledged PATCH's version is there (with its value) or a later one is, and each has its event;
 * - no half-written change: every row has its side-table row and vice versa, each aggregate's version is the
 *   number of its events (versions 1..n, the first a Created), every event's aggregate exists, the event
 *   sequence has no gap, the per-customer incident totals match the incidents, and `PRAGMA integrity_check`
 *   passes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, type FeedEvent } from '../support/api-client';
import { openSqliteFile } from '../support/sqlite';
import { removeStateDir, ROOT } from './app-runtime';

/** This file's API token (the Spin variable `api_token`). */
const API_TOKEN = 'durability-token-93d1a7e5';
const CLI = join(ROOT, 'runtime/dist/cli.js');
const BURST = 300;
const CONCURRENCY = 16;
/** SIGKILL once this many writes of the burst have been acknowledged. */
const KILL_AFTER_ACKS = 150;
/** Every HTTP call gives up after this long, so a stuck server fails the test instead of hanging it. */
const FETCH_TIMEOUT_MS = 20_000;
const START_TIMEOUT_MS = 90_000;
const { call, readFeed } = apiClient(API_TOKEN, FETCH_TIMEOUT_MS);

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

/** Starts the CLI as `npm run up` would, on a free port, and waits until it answers. */
async function startServer(stateDir: string): Promise<Server> {
  const args = [
    '--from',
    'spin.toml',
    '--sqlite',
    '@migrations.sql',
    '--state-dir',
    stateDir,
    '--listen',
    '127.0.0.1:0',
    '--variable',
    `api_token=${API_TOKEN}`,
    '--quiet',
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SPIN_VARIABLE_')));
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const deadline = Date.now() + START_TIMEOUT_MS;
  let url: string | undefined;
  while (url === undefined) {
    url = /Serving (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url !== undefined) break;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the CLI exited before serving:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the CLI did not start within ${START_TIMEOUT_MS} ms:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const health = await fetch(`${url}/customers/count`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  expect(health.status).toBe(200);
  return { child, url, output: () => output, exited };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
}

type Op =
  | { kind: 'create-customer'; body: { name: string; city: string | null; country: string | null; scoring: number } }
  | { kind: 'patch-customer'; id: string; body: { name: string; scoring: number } }
  | { kind: 'create-incident'; body: { amount: number; category: string | null; customerId: string } }
  | { kind: 'delete-customer'; id: string };

interface Outcome {
  op: Op;
  /** The 2xx answer's body, when the write was acknowledged. */
  acknowledged?: Record<string, unknown>;
  /** A non-2xx status, which no write of this burst should get. */
  status?: number;
  /** No answer: the connection died with the server (or the request was never sent). */
  error?: string;
}

describe('durability: acknowledged writes survive kill -9 of the runtime CLI', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'aggregates-durability-'));

  afterAll(async () => {
    for (const child of children) await stop(child);
    removeStateDir(stateDir);
  });

  it(
    `${BURST} concurrent writes over HTTP, SIGKILL after ${KILL_AFTER_ACKS} acknowledgements, restart: every acknowledged write is there, nothing is half-written`,
    { timeout: 300_000 },
    async () => {
      const first = await startServer(stateDir);

      // Customers the burst PATCHes and files incidents under, acknowledged before it starts.
      const targets: Array<{ id: string; name: string }> = [];
      for (let i = 0; i < 12; i++) {
        const answer = await call(first.url, 'POST', '/customers/items', {
          name: `Target ${i}`,
          city: 'Oslo',
          country: 'Norway',
          scoring: i % 11,
        });
        expect(answer.status, answer.text).toBe(201);
        const created = answer.body as { id: string; name: string };
        targets.push({ id: created.id, name: created.name });
      }

      // Customers the burst deletes (nothing refers to them), one every 15 writes.
      const doomed: string[] = [];
      for (let i = 0; i < BURST / 15; i++) {
        const answer = await call(first.url, 'POST', '/customers/items', { name: `Doomed ${i}`, scoring: 0 });
        expect(answer.status, answer.text).toBe(201);
        doomed.push((answer.body as { id: string }).id);
      }

      const ops: Op[] = Array.from({ length: BURST }, (_, i): Op => {
        const target = targets[i % targets.length] ?? { id: '', name: '' };
        if (i % 15 === 7) return { kind: 'delete-customer', id: doomed[Math.floor(i / 15)] ?? '' };
        switch (i % 3) {
          case 0:
            return {
              kind: 'create-customer',
              body: {
                name: `Durable ${i}`,
                city: i % 2 ? `City ${i}` : null,
                country: i % 5 ? 'Japan' : null,
                scoring: i % 11,
              },
            };
          case 1:
            // If-Match "*": concurrent PATCHes of one customer all apply, one after another, each a new version.
            return { kind: 'patch-customer', id: target.id, body: { name: `Patched ${i}`, scoring: (i * 7) % 11 } };
          default:
            return {
              kind: 'create-incident',
              body: { amount: i + 0.25, category: ['A', 'B', 'C', null][i % 4] ?? null, customerId: target.id },
            };
        }
      });

      const outcomes: Outcome[] = ops.map((op) => ({ op }));
      let acknowledged = 0;
      let killed = false;
      let cursor = 0;
      const kill = () => {
        if (killed) return;
        killed = true;
        process.kill(first.child.pid ?? -1, 'SIGKILL');
      };
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (!killed && cursor < ops.length) {
            const outcome = outcomes[cursor++] as Outcome;
            const { op } = outcome;
            try {
              const answer =
                op.kind === 'create-customer'
                  ? await call(first.url, 'POST', '/customers/items', op.body)
                  : op.kind === 'patch-customer'
                    ? await call(first.url, 'PATCH', `/customers/items/${op.id}`, op.body, { 'if-match': '*' })
                    : op.kind === 'delete-customer'
                      ? await call(first.url, 'DELETE', `/customers/items/${op.id}`, undefined, { 'if-match': '"1"' })
                      : await call(first.url, 'POST', '/incidents/items', op.body);
              if (answer.status >= 200 && answer.status < 300) {
                outcome.acknowledged = (answer.body as Record<string, unknown> | undefined) ?? {
                  id: op.kind === 'delete-customer' ? op.id : '',
                };
                if (++acknowledged >= KILL_AFTER_ACKS) kill();
              } else {
                outcome.status = answer.status;
              }
            } catch (error) {
              outcome.error = String(error);
            }
          }
        }),
      );
      expect(killed).toBe(true);
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

      // Before the kill every write was acknowledged; afterwards the only failures are connections that died.
      expect(outcomes.filter((o) => o.status !== undefined).map((o) => `${o.op.kind}: ${o.status}`)).toEqual([]);
      const acked = outcomes.filter((o) => o.acknowledged !== undefined);
      expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(acked.length).toBeLessThan(BURST);

      const second = await startServer(stateDir);
      const url = second.url;
      const customerFeed = await readFeed(url, '/customers/events');
      const incidentFeed = await readFeed(url, '/incidents/events');
      const hasEvent = (feed: FeedEvent[], id: string, version: number, type: string) =>
        feed.some((e) => e.aggregateId === id && e.version === version && e.type === type);

      const current = new Map<string, Record<string, unknown>>();
      const read = async (collection: string, id: string) => {
        const key = `${collection}/${id}`;
        const cached = current.get(key);
        if (cached) return cached;
        const answer = await call(url, 'GET', `${collection}/${encodeURIComponent(id)}`);
        expect(answer.status, `${key} after the restart: ${answer.text}`).toBe(200);
        current.set(key, answer.body as Record<string, unknown>);
        return answer.body as Record<string, unknown>;
      };

      const patchVersions = new Map<string, number[]>();
      const deletedIds: string[] = [];
      for (const { op, acknowledged: ack } of acked) {
        if (ack === undefined) continue;
        const id = String(ack.id);
        if (op.kind === 'create-customer') {
          // Nothing in the burst changes a customer it created: it reads back exactly as acknowledged.
          expect(await read('/customers/items', id)).toEqual(ack);
          expect(ack.version).toBe(1);
          expect(hasEvent(customerFeed, id, 1, 'CustomerCreated'), `CustomerCreated of ${id}`).toBe(true);
        } else if (op.kind === 'patch-customer') {
          const now = await read('/customers/items', id);
          const version = Number(ack.version);
          expect(ack).toMatchObject({ id: op.id, ...op.body });
          expect(
            Number(now.version),
            `customer ${id} went back from acknowledged version ${version}`,
          ).toBeGreaterThanOrEqual(version);
          if (now.version === version) expect(now).toEqual(ack);
          const event = customerFeed.find((e) => e.aggregateId === id && e.version === version);
          expect(event, `CustomerUpdated version ${version} of ${id}`).toBeDefined();
          expect(event?.type).toBe('CustomerUpdated');
          expect(event?.diff.name?.new).toBe(op.body.name);
          patchVersions.set(id, [...(patchVersions.get(id) ?? []), version]);
        } else if (op.kind === 'delete-customer') {
          // Gone, with its CustomerDeleted event at version 2 and a tombstone holding that version.
          const answer = await call(url, 'GET', `/customers/items/${encodeURIComponent(id)}`);
          expect(answer.status, `deleted customer ${id} after the restart`).toBe(404);
          expect(hasEvent(customerFeed, id, 2, 'CustomerDeleted'), `CustomerDeleted of ${id}`).toBe(true);
          deletedIds.push(id);
        } else {
          const now = await read('/incidents/items', id);
          expect(ack).toMatchObject({ ...op.body, version: 1 });
          // A PATCH of its customer may have renamed it since (a new version); the rest stays as acknowledged.
          expect(now).toMatchObject({
            id,
            amount: op.body.amount,
            category: op.body.category,
            customerId: op.body.customerId,
            createdAt: ack.createdAt,
          });
          if (now.version === 1) expect(now).toEqual(ack);
          expect(hasEvent(incidentFeed, id, 1, 'IncidentCreated'), `IncidentCreated of ${id}`).toBe(true);
        }
      }
      expect(deletedIds.length, 'acknowledged deletes').toBeGreaterThan(0);
      // Two acknowledged PATCHes never share a version: each committed on its own.
      for (const [id, versions] of patchVersions)
        expect(new Set(versions).size, `versions of ${id}: ${versions.join(',')}`).toBe(versions.length);

      // The database as a whole: no half-written change anywhere.
      const db = openSqliteFile(join(stateDir, 'sqlite_db.db'));
      try {
        const q = (sql: string) => db.database.query(sql);
        expect(q('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        for (const id of deletedIds)
          expect(q(`SELECT Version, Deleted FROM CustomerMeta WHERE Id = '${id}'`), `tombstone of ${id}`).toEqual([
            { Version: 2n, Deleted: 1n },
          ]);
        for (const [rows, meta, events, created, deleted] of [
          ['Customers', 'CustomerMeta', 'CustomerEvents', 'CustomerCreated', 'CustomerDeleted'],
          ['Incidents', 'IncidentMeta', 'IncidentEvents', 'IncidentCreated', 'IncidentDeleted'],
        ] as const) {
          // Each row has a live side-table row; a deleted aggregate keeps only its tombstone (Deleted = 1).
          expect(
            q(
              `SELECT Id FROM ${rows} r WHERE NOT EXISTS (SELECT 1 FROM ${meta} m WHERE m.Id = r.Id AND NOT m.Deleted)`,
            ),
            `${rows} rows without a live ${meta} row`,
          ).toEqual([]);
          expect(
            q(
              `SELECT Id FROM ${meta} m WHERE NOT m.Deleted AND NOT EXISTS (SELECT 1 FROM ${rows} r WHERE r.Id = m.Id)`,
            ),
            `live ${meta} rows without a ${rows} row`,
          ).toEqual([]);
          // Each aggregate's version is the number of its events, numbered 1..n: first a Created, and the last a
          // Deleted exactly when it is a tombstone.
          expect(
            q(`SELECT m.Id, m.Version, m.Deleted, COUNT(e.Seq) AS Events
               FROM ${meta} m LEFT JOIN ${events} e ON e.AggregateId = m.Id
              GROUP BY m.Id
             HAVING m.Version <> COUNT(e.Seq) OR MIN(e.Version) IS NOT 1 OR MAX(e.Version) IS NOT m.Version OR COUNT(DISTINCT e.Version) <> COUNT(e.Seq)
                 OR (SELECT Type FROM ${events} f WHERE f.AggregateId = m.Id AND f.Version = 1) IS NOT '${created}'
                 OR ((SELECT Type FROM ${events} l WHERE l.AggregateId = m.Id AND l.Version = m.Version) = '${deleted}') <> m.Deleted`),
            `${meta} rows whose version is not their event history`,
          ).toEqual([]);
          expect(
            q(`SELECT DISTINCT e.AggregateId FROM ${events} e
              WHERE NOT EXISTS (SELECT 1 FROM ${rows} r WHERE r.Id = e.AggregateId)
                AND NOT EXISTS (SELECT 1 FROM ${events} d WHERE d.AggregateId = e.AggregateId AND d.Type = '${deleted}')`),
            `${events} of aggregates that neither exist nor were deleted`,
          ).toEqual([]);
          // Sequence numbers 1..n: no commit lost in the middle.
          expect(
            q(`SELECT COUNT(*) AS n, COALESCE(MIN(Seq), 1) AS lo, COALESCE(MAX(Seq), 0) AS hi FROM ${events}`).map(
              (r) => [r.n, r.lo, r.hi === r.n],
            ),
          ).toEqual([[expect.anything(), 1n, true]]);
        }
        expect(
          q(
            'SELECT Id FROM IncidentMeta WHERE NOT Deleted AND CustomerId IS NOT NULL AND CustomerId NOT IN (SELECT Id FROM Customers)',
          ),
          'incidents referring to no customer',
        ).toEqual([]);
        // The per-customer totals are the sum of the incidents, and the ledger holds exactly the incidents.
        const totals = (sql: string) => q(sql).map((r) => [r.CustomerName, r.IncidentCount, r.VolumeMicros]);
        expect(
          totals('SELECT CustomerName, IncidentCount, VolumeMicros FROM IncidentTotals ORDER BY CustomerName'),
        ).toEqual(
          totals(`SELECT CustomerName, COUNT(*) AS IncidentCount, SUM(CAST(ROUND(Amount * 1000000) AS INTEGER)) AS VolumeMicros
                  FROM Incidents GROUP BY CustomerName ORDER BY CustomerName`),
        );
        expect(q('SELECT Id FROM Incidents EXCEPT SELECT Id FROM IncidentLedger')).toEqual([]);
        expect(q('SELECT Id FROM IncidentLedger EXCEPT SELECT Id FROM Incidents')).toEqual([]);
        // The feeds over HTTP are the tables.
        expect(customerFeed.length).toBe(Number(q('SELECT COUNT(*) AS n FROM CustomerEvents')[0]?.n));
        expect(incidentFeed.length).toBe(Number(q('SELECT COUNT(*) AS n FROM IncidentEvents')[0]?.n));
      } finally {
        db.close();
      }

      // And the restarted server takes writes again, numbering events on from where the old one stopped.
      const after = await call(url, 'POST', '/customers/items', { name: 'After the crash', scoring: 1 });
      expect(after.status, after.text).toBe(201);
      const last = await call(url, 'GET', '/customers/events/last');
      expect(last.body).toEqual({ seq: customerFeed.length + 1 });
      await stop(second.child);
    },
  );
});
