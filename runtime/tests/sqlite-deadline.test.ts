/**
 * A guest's SQLite work cannot outlive its request, nor take the process down, nor make the host buffer more
 * than Spin would (runtime README, "Isolation"). The runtime runs as a CLI child process here, so that a
 * process abort (what a late SQLite error in a terminated worker used to cause) fails a test instead of
 * killing the test runner, and its CPU and peak memory can be read from /proc.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from './support/prng';
import {
  cpuSeconds,
  fixtureManifest,
  ITEMS_TABLE,
  peakRss,
  runCli,
  servingUrl,
  tempDir,
  type Cli,
} from './support/runtime';

const TIMEOUT_MS = 1000;
const MIB = 1024 * 1024;

/** A statement that runs for seconds (a recursive count) and then, optionally, fails (`json('{')`). */
const slowCount = (rows: number, failAtEnd: boolean): string =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${rows}) SELECT ${failAtEnd ? "json('{')" : 'n'} AS j FROM (SELECT count(*) AS n FROM c)`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds the process uses over `ms`: ~0 when idle, ~ms/1000 per busy core. */
async function cpuOver(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid);
  await sleep(ms);
  return cpuSeconds(pid) - before;
}

/**
 * Whether the process holds no busy core: after the worker that was stopped is replaced (a new worker's start
 * takes a few tenths of a CPU second), it uses under a fifth of a core. A statement left running uses a whole
 * core when it has one, and half of one on a 2-core machine busy with other tests.
 */
async function holdsNoBusyCore(pid: number): Promise<boolean> {
  await sleep(800);
  return (await cpuOver(pid, 1500)) < 0.3;
}

/** Whether another connection gets the write lock of `file` within half a second. */
function canTakeWriteLock(file: string): boolean {
  const db = new Database(file, { timeout: 500 });
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return true;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

async function start(
  stateDir: string,
  extra: string[] = [],
  timeoutMs = TIMEOUT_MS,
): Promise<{ cli: Cli; url: string; pid: number }> {
  const cli = runCli([
    '-f',
    fixtureManifest,
    '--listen',
    '127.0.0.1:0',
    '--state-dir',
    stateDir,
    '--sqlite',
    ITEMS_TABLE,
    '--request-timeout',
    String(timeoutMs),
    '--quiet',
    ...extra,
  ]);
  const url = await servingUrl(cli);
  return { cli, url, pid: cli.child.pid ?? 0 };
}

describe('SQLite work at a request deadline (CLI child process)', () => {
  const dir = tempDir();
  const stateDir = join(dir.path, 'state');
  let app: { cli: Cli; url: string; pid: number };
  const query = async (sql: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`${app.url}/a/db/query?sql=${encodeURIComponent(sql)}`);
    return { status: response.status, body: await response.text() };
  };
  const alive = async (): Promise<void> => {
    expect(app.cli.child.exitCode, app.cli.output()).toBeNull();
    expect((await fetch(`${app.url}/.well-known/spin/health`)).status).toBe(200);
    expect(JSON.parse((await query('SELECT 1 AS one')).body)).toEqual({ columns: ['one'], rows: [{ one: 1 }] });
  };

  beforeAll(async () => {
    app = await start(stateDir);
  });
  afterAll(() => {
    app.cli.child.kill('SIGKILL');
    dir.remove();
  });

  it('stops a statement still running at the deadline: 504, no busy core after it, and no abort when it would have failed', async () => {
    const started = Date.now();
    const answer = await query(slowCount(30_000_000, true));
    expect(answer.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
    // Left running, the count keeps a core busy for many seconds.
    expect(await holdsNoBusyCore(app.pid)).toBe(true);
    // Long enough for the statement to have reached its json('{') error, had it gone on: the process lives.
    await sleep(1500);
    await alive();
  });

  it('stops a write still running at the deadline: the database is unlocked at once, nothing of it written', async () => {
    const insert =
      "INSERT INTO items (name) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<30000000) SELECT 'bulk' FROM c";
    expect((await query(insert)).status).toBe(504);
    expect(canTakeWriteLock(join(stateDir, 'sqlite_db.db'))).toBe(true);
    expect(JSON.parse((await query("SELECT count(*) AS n FROM items WHERE name = 'bulk'")).body)).toEqual({
      columns: ['n'],
      rows: [{ n: 0 }],
    });
  });

  it("ends a wait on another connection's write lock at the deadline: 504, the write never happens later, no abort", async () => {
    const holder = new Database(join(stateDir, 'sqlite_db.db'));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      const response = await fetch(`${app.url}/a/db/insert?name=late-writer`);
      expect(response.status).toBe(504);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
      // Past the 5 s busy timeout, where the old wait ended in SQLITE_BUSY inside a terminated worker.
      await sleep(4500);
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    await sleep(300);
    await alive();
    expect(JSON.parse((await query("SELECT count(*) AS n FROM items WHERE name = 'late-writer'")).body)).toEqual({
      columns: ['n'],
      rows: [{ n: 0 }],
    });
  }, 15_000);

  /**
   * Runs `statements` in one request (the fixture's /db/batch: one instance, one connection) while another
   * connection holds the write lock past the deadline; the last one writes a row named `name`. The request must
   * end at the deadline, its wait with it: the lock is released then, and a wait still going on would take it
   * and write the row.
   */
  async function batchBehindLock(statements: string[], name: string): Promise<void> {
    const holder = new Database(join(stateDir, 'sqlite_db.db'));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      const response = await fetch(
        `${app.url}/a/db/batch?${statements.map((sql) => `sql=${encodeURIComponent(sql)}`).join('&')}`,
      );
      expect(response.status, await response.text()).toBe(504);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
      await sleep(300);
      holder.exec('ROLLBACK');
      // SQLite's own busy handler retries every 100 ms at most: a wait that outlived the request takes the lock now.
      await sleep(600);
      expect(canTakeWriteLock(join(stateDir, 'sqlite_db.db'))).toBe(true);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    expect(JSON.parse((await query(`SELECT count(*) AS n FROM items WHERE name = '${name}'`)).body)).toEqual({
      columns: ['n'],
      rows: [{ n: 0 }],
    });
    await alive();
  }

  it("keeps a guest's own PRAGMA busy_timeout from making a later lock wait in the same request outlive the deadline", async () => {
    // The pragma replaces the runtime's busy handler with SQLite's, which would wait its minute out, blind to the
    // deadline; the host must put its own back before the write, on the same connection, starts waiting.
    await batchBehindLock(
      ['PRAGMA busy_timeout = 60000', "INSERT INTO items (name) VALUES ('after-pragma') RETURNING id"],
      'after-pragma',
    );
  });

  it('puts the busy handler back after a PRAGMA busy_timeout that failed once SQLite had applied it', async () => {
    // better-sqlite3 refuses a second statement only after SQLite compiled the first, pragma applied: the guest
    // gets an io error, and its next statement must still wait under the runtime's handler.
    await batchBehindLock(
      ['PRAGMA busy_timeout = 60000; SELECT 1', "INSERT INTO items (name) VALUES ('after-failed-pragma') RETURNING id"],
      'after-failed-pragma',
    );
  });

  it("refuses the host's own SQL functions to guests, however the name is written", async () => {
    for (const sql of [
      'SELECT spin_host_interrupt(0, 1)',
      'SELECT "spin_host_interrupt"(1, 1)',
      'SELECT spin_host_watch(0, 0, 0)',
    ]) {
      const answer = await query(sql);
      expect(answer.status, sql).toBe(500);
      expect(answer.body, sql).toMatch(/not permitted/);
    }
    await alive();
  });

  it('refuses a value or a result over 128 MiB with an io error, before building it', async () => {
    const peakBefore = peakRss(app.pid);
    const huge = await query(
      'SELECT randomblob(500000000) AS b FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)',
    );
    expect(huge.status).toBe(500);
    expect(huge.body).toMatch(/io.*too big/);
    // 200 x 1 MiB rows: each value is allowed, the result is not.
    const many = await query(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<200) SELECT zeroblob(1048576) AS b FROM c',
    );
    expect(many.status).toBe(500);
    expect(many.body).toMatch(/io.*query result too large: over 128 MiB after 12\d rows/);
    expect(peakRss(app.pid) - peakBefore).toBeLessThan(400 * MIB);
    await alive();
  });
});

describe('the result limit follows --max-instance-memory when lower (CLI child process)', () => {
  const dir = tempDir();
  let app: { cli: Cli; url: string; pid: number };
  beforeAll(async () => {
    // Reading 1.3M rows takes seconds: the default time limit, not this file's short one.
    app = await start(join(dir.path, 'state'), ['--max-instance-memory', String(64 * MIB)], 30_000);
  });
  afterAll(() => {
    app.cli.child.kill('SIGKILL');
    dir.remove();
  });

  it('stops a 2M-row result at 64 MiB, before reading the rest', async () => {
    const peakBefore = peakRss(app.pid);
    const sql =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<2000000) SELECT x, 'name-' || x AS name FROM c";
    const response = await fetch(`${app.url}/a/db/query?sql=${encodeURIComponent(sql)}`);
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/query result too large: over 64 MiB after \d+ rows/);
    expect(peakRss(app.pid) - peakBefore).toBeLessThan(600 * MIB);
    const small = await fetch(
      `${app.url}/a/db/query?sql=${encodeURIComponent('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<1000) SELECT x FROM c')}`,
    );
    expect(small.status).toBe(200);
    expect(((await small.json()) as { rows: unknown[] }).rows).toHaveLength(1000);
  });
});

/** The fuzz's seed and number of cases: `FUZZ_SEED=<seed> npx vitest run runtime/tests/sqlite-deadline.test.ts`. */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
const CASES = Number(process.env.SQLITE_FUZZ_COUNT ?? 12);

describe(`seeded SQLite fuzz: slow, huge, failing late, locking (seed ${SEED}, ${CASES} cases)`, () => {
  const dir = tempDir();
  const stateDir = join(dir.path, 'state');
  const file = join(stateDir, 'sqlite_db.db');
  let app: { cli: Cli; url: string; pid: number };
  beforeAll(async () => {
    app = await start(stateDir);
  });
  afterAll(() => {
    app.cli.child.kill('SIGKILL');
    dir.remove();
  });

  const random = prng(SEED);
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  type Case = { name: string; sql: string; statuses: number[]; lockMs?: number };
  const recursive = (rows: number, select: string): string =>
    `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${rows}) ${select}`;
  const makers: (() => Case)[] = [
    // Runs past the deadline: 504.
    () => ({
      name: 'slow count',
      sql: recursive(int(20, 40) * 1_000_000, 'SELECT count(*) AS n FROM c'),
      statuses: [504],
    }),
    // Fails after a while: an io error if it ends within the time limit, else 504.
    () => ({
      name: 'fails late',
      sql: recursive(int(1, 40) * 1_000_000, "SELECT json('{') AS j FROM (SELECT count(*) AS n FROM c)"),
      statuses: [500, 504],
    }),
    // One value or the whole result over the host's limit: an io error.
    () => ({ name: 'huge value', sql: `SELECT randomblob(${int(130, 900)} * 1048576) AS b`, statuses: [500] }),
    () => ({
      name: 'huge result',
      sql: recursive(int(130, 400), `SELECT zeroblob(${1048576}) AS b FROM c`),
      statuses: [500, 504],
    }),
    // A long write: 504, its lock released.
    () => ({
      name: 'slow write',
      sql: `INSERT INTO items (name) ${recursive(int(20, 40) * 1_000_000, "SELECT 'fuzz' FROM c")}`,
      statuses: [504],
    }),
    // A write behind another connection's lock, held for less or more than the time limit.
    () => ({
      name: 'locked write',
      sql: "INSERT INTO items (name) VALUES ('fuzz-locked') RETURNING id",
      statuses: [200, 504],
      lockMs: int(0, 2000),
    }),
  ];

  it('answers every case as expected; after each, answers health and holds no busy core', async () => {
    for (let i = 0; i < CASES; i++) {
      const make = makers[int(0, makers.length - 1)];
      if (!make) throw new Error('no case');
      const fuzz = make();
      const label = `seed ${SEED} case ${i} (${fuzz.name}): ${fuzz.sql.slice(0, 120)}`;
      let holder: Database.Database | undefined;
      if (fuzz.lockMs !== undefined) {
        holder = new Database(file);
        holder.exec('BEGIN IMMEDIATE');
        const held = holder;
        setTimeout(() => held.exec('ROLLBACK'), fuzz.lockMs);
      }
      const response = await fetch(`${app.url}/a/db/query?sql=${encodeURIComponent(fuzz.sql)}`);
      const body = await response.text();
      await sleep(fuzz.lockMs ?? 0);
      holder?.close();
      expect(fuzz.statuses, `${label}: ${response.status} ${body.slice(0, 200)}`).toContain(response.status);
      // An error the guest handled: the host's WIT io error, not a trap.
      if (response.status === 500) expect((JSON.parse(body) as { error: string }).error, label).toMatch(/"tag":"io"/);
      expect(app.cli.child.exitCode, `${label}\n${app.cli.output()}`).toBeNull();
      expect((await fetch(`${app.url}/.well-known/spin/health`)).status, label).toBe(200);
      expect(await holdsNoBusyCore(app.pid), label).toBe(true);
    }
    expect(canTakeWriteLock(file)).toBe(true);
    expect(
      JSON.parse(
        await (
          await fetch(
            `${app.url}/a/db/query?sql=${encodeURIComponent("SELECT count(*) AS n FROM items WHERE name = 'fuzz'")}`,
          )
        ).text(),
      ),
    ).toEqual({ columns: ['n'], rows: [{ n: 0 }] });
  }, 60_000);
});
