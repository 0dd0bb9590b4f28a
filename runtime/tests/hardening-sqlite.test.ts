/**
 * A component reaches only what it was granted, and a request starts from a clean connection state:
 * SQL that would attach or write other files is refused, connection-level changes (TEMP objects, PRAGMAs)
 * do not outlive the request that made them, runtime-config labels cannot name paths, and prototype names
 * (`constructor`, `__proto__`) are never mistaken for granted labels or variables.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Connections } from '../src/host/connections';
import { allocateGate, releaseGate, SqliteGate } from '../src/host/sqlite-gate';
import { connectionClass } from '../src/host/sqlite/connection';
import { replacesBusyHandler, statementKind } from '../src/host/sqlite/statement-kind';
import { codeWords, type SqliteResult, type SqliteValue } from '../src/host/sqlite/values';
import {
  fixtureManifest,
  ITEMS_TABLE,
  json,
  loadRuntime,
  tempDir,
  writeManifest,
  type SpinRuntime,
} from './support/runtime';

type QueryAnswer = { error?: string; columns?: string[]; rows?: Record<string, unknown>[] };

describe('SQLite and key-value hardening on the fixture app', () => {
  const dir = tempDir();
  const stateDir = join(dir.path, 'state');
  let spin: SpinRuntime;

  beforeAll(async () => {
    const { create } = await loadRuntime();
    // One worker: every request below reuses the same pooled connections, as consecutive requests of a busy app do.
    spin = await create({
      from: fixtureManifest,
      stateDir,
      sqlite: [ITEMS_TABLE],
      keyValues: { secret: 'alpha-only' },
      minWorkers: 1,
      maxWorkers: 1,
      guestOutput: () => {},
    });
  });
  afterAll(async () => {
    await spin.dispose();
    dir.remove();
  });

  const query = async (component: 'a' | 'f', sql: string, label = 'default'): Promise<QueryAnswer> =>
    (await json(
      await spin.fetch(`/${component}/db/query?label=${encodeURIComponent(label)}&sql=${encodeURIComponent(sql)}`),
    )) as QueryAnswer;
  /** Another component on the same worker: beta serves /a/deeper/... with the default database. */
  const betaQuery = async (sql: string): Promise<QueryAnswer> =>
    (await json(await spin.fetch(`/a/deeper/db/query?sql=${encodeURIComponent(sql)}`))) as QueryAnswer;

  describe('statements that touch other files', () => {
    it('refuses ATTACH of the key-value file, as an io error naming ATTACH', async () => {
      const kvFile = join(stateDir, 'sqlite_key_value.db');
      const answer = await query('a', `ATTACH DATABASE '${kvFile}' AS kv`);
      expect(answer.error).toMatch(/io/);
      expect(answer.error).toMatch(/ATTACH/);
      expect((await query('a', 'SELECT value FROM kv.spin_key_value')).error).toMatch(/no such table/);
    });

    it('refuses ATTACH of any path, however written, and creates no file', async () => {
      const outside = join(dir.path, 'outside.db');
      for (const sql of [
        `ATTACH '${outside}' AS o`,
        `  -- a comment\n /* another */ attach database '${outside}' as o`,
        `EXPLAIN ATTACH '${outside}' AS o`,
        `explain query plan Attach '${outside}' AS o`,
        "ATTACH ':memory:' AS m",
      ]) {
        expect((await query('a', sql)).error, sql).toMatch(/ATTACH/);
      }
      expect((await query('a', 'DETACH DATABASE temp')).error).toMatch(/DETACH/);
      expect(existsSync(outside)).toBe(false);
    });

    it('refuses VACUUM INTO and creates no file, but runs a plain VACUUM', async () => {
      const copy = join(dir.path, 'copy.db');
      expect((await query('a', `VACUUM INTO '${copy}'`)).error).toMatch(/VACUUM INTO/);
      expect((await query('a', `vacuum main /* x */ into '${copy}'`)).error).toMatch(/VACUUM INTO/);
      expect(existsSync(copy)).toBe(false);
      expect(await query('a', 'VACUUM')).toEqual({ columns: [], rows: [] });
    });

    it('does not mistake the keywords inside literals, identifiers or comments', async () => {
      expect(await query('a', "SELECT 'ATTACH' AS a, 'VACUUM INTO' AS \"into\" -- ATTACH")).toEqual({
        columns: ['a', 'into'],
        rows: [{ a: 'ATTACH', into: 'VACUUM INTO' }],
      });
    });

    it('leaves no file outside the state directory', () => {
      expect(readdirSync(dir.path).sort()).toEqual(['state']);
    });
  });

  describe('connection state', () => {
    it('does not let a TEMP table outlive the request that made it, for the same or another component', async () => {
      expect((await query('a', 'CREATE TEMP TABLE leak (x TEXT)')).error).toBeUndefined();
      expect((await query('a', 'SELECT * FROM temp.leak')).error).toMatch(/no such table/);
      expect((await query('a', 'CREATE TEMP TABLE leak2 (x TEXT)')).error).toBeUndefined();
      expect((await betaQuery('SELECT * FROM temp.leak2')).error).toMatch(/no such table/);
    });

    it('does not let a PRAGMA outlive the request that set it', async () => {
      expect((await query('a', 'PRAGMA foreign_keys = OFF')).error).toBeUndefined();
      expect(await query('a', 'PRAGMA foreign_keys')).toEqual({
        columns: ['foreign_keys'],
        rows: [{ foreign_keys: 1 }],
      });
      expect((await query('a', 'PRAGMA query_only = ON')).error).toBeUndefined();
      expect(
        (await betaQuery("INSERT INTO items (name) VALUES ('after query_only') RETURNING id")).error,
      ).toBeUndefined();
    });

    it('refuses the PRAGMAs that act on the whole process, however the name is quoted', async () => {
      expect((await query('a', 'PRAGMA "hard_heap_limit" = 200000')).error).toMatch(/hard_heap_limit is not allowed/);
      expect((await query('a', "PRAGMA 'temp_store_directory' = '/tmp'")).error).toMatch(
        /temp_store_directory is not allowed/,
      );
      expect(await query('a', 'PRAGMA temp_store_directory')).toMatchObject({
        error: expect.stringMatching(/not allowed/),
      });
      // Another component's SQLite still has all the memory it needs.
      const big = await betaQuery(
        'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT length(group_concat(x)) AS n FROM c',
      );
      expect(big).toEqual({ columns: ['n'], rows: [{ n: 588894 }] });
    });

    it('does not let a TEMP trigger outlive the request', async () => {
      expect(
        (
          await query(
            'a',
            "CREATE TEMP TRIGGER spy AFTER INSERT ON items BEGIN UPDATE items SET name = 'spied' WHERE id = new.id; END",
          )
        ).error,
      ).toBeUndefined();
      const inserted = (await json(await spin.fetch('/a/db/insert?name=plain'))) as { id: number };
      expect(await query('a', `SELECT name FROM items WHERE id = ${inserted.id}`)).toEqual({
        columns: ['name'],
        rows: [{ name: 'plain' }],
      });
    });

    it('keeps the key-value store working across requests', async () => {
      await spin.fetch('/a/kv/set?key=k&value=v');
      expect(await json(await spin.fetch('/a/kv/get?key=k'))).toEqual({ value: 'v' });
      expect(await json(await spin.fetch('/a/kv/get?key=secret'))).toEqual({ value: 'alpha-only' });
    });
  });

  describe('prototype names are not grants', () => {
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
      'Variables.get(%j) is "not found", not a trap',
      async (name) => {
        const response = await spin.fetch(`/a/var?name=${name}`);
        expect(response.status).toBe(200);
        expect(await json(response)).toEqual({ value: null });
      },
    );

    it.each(['constructor', '__proto__', 'toString'])('database %j is access-denied', async (label) => {
      expect((await query('a', 'SELECT 1', label)).error).toMatch(/access-denied/);
    });

    it.each(['constructor', '__proto__', 'toString'])('key-value store %j is access-denied', async (label) => {
      expect(((await json(await spin.fetch(`/a/kv/open?label=${label}`))) as { error?: string }).error).toMatch(
        /access-denied/,
      );
    });
  });
});

describe('statementKind (classified once per SQL text, when prepared)', () => {
  it.each([
    ["ATTACH 'x.db' AS x", /^ATTACH is not allowed/],
    ['/* a */ -- b\n  detach x', /^DETACH is not allowed/],
    ["EXPLAIN QUERY PLAN attach 'x' as y", /^ATTACH/],
    ["VACUUM INTO 'copy.db'", /^VACUUM INTO/],
    ["VACUUM main INTO 'copy.db'", /^VACUUM INTO/],
    ["PRAGMA temp_store_directory = '/tmp'", /temp_store_directory/],
    ["PRAGMA main.temp_store_directory = '/tmp'", /temp_store_directory/],
    // Quoted names, which SQLite accepts as the pragma's name.
    ['PRAGMA "temp_store_directory" = \'/tmp\'', /temp_store_directory/],
    ["PRAGMA 'temp_store_directory'", /temp_store_directory/],
    ["PRAGMA [data_store_directory] = '/tmp'", /data_store_directory/],
    ['PRAGMA `main`.`temp_store_directory`', /temp_store_directory/],
    // Process-wide heap limits: one component would starve every other's SQLite.
    ['PRAGMA hard_heap_limit=200000', /hard_heap_limit/],
    ["PRAGMA 'soft_heap_limit' = 1", /soft_heap_limit/],
  ])('refuses %j', (sql, reason) => {
    expect(statementKind(sql).refused).toMatch(reason);
  });

  it.each([
    'PRAGMA foreign_keys = OFF',
    'pragma table_info(items)',
    'CREATE TEMP TABLE t (x)',
    'create table t (x)',
    'DROP TABLE t',
    'ALTER TABLE t ADD y',
    'EXPLAIN PRAGMA x',
  ])('%j may change the connection state', (sql) => {
    expect(statementKind(sql)).toEqual({ changesState: true });
  });

  it.each([
    "SELECT 'ATTACH' FROM t",
    'SELECT "attach" FROM t -- ATTACH',
    "INSERT INTO t VALUES ('PRAGMA')",
    'VACUUM',
    "VACUUM 'into'",
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'UPDATE t SET create_at = 1',
  ])('%j runs on a clean connection without dirtying it', (sql) => {
    expect(statementKind(sql)).toEqual({ changesState: false });
  });

  it.each([
    'PRAGMA busy_timeout = 60000',
    'pragma Busy_Timeout(1)',
    'PRAGMA main."busy_timeout" = 1',
    "PRAGMA 'BUSY_TIMEOUT' = 1",
    'PRAGMA [busy_timeout]=1',
    'PRAGMA busy_timeout',
    'EXPLAIN PRAGMA busy_timeout = 1',
    'SELECT * FROM pragma_busy_timeout',
    'PRAGMA busy_timeout = 1; SELECT 1',
  ])('%j may replace the busy handler: the host puts its own back after it', (sql) => {
    expect(replacesBusyHandler(sql)).toBe(true);
  });

  it.each([
    'SELECT 1',
    "INSERT INTO t VALUES ('busy')",
    'PRAGMA foreign_keys = OFF',
    'PRAGMA journal_mode',
    'PRAGMA synchronous = OFF',
    'CREATE TEMP TABLE t (x)',
    'BEGIN IMMEDIATE',
  ])('%j leaves the handlers alone', (sql) => {
    expect(replacesBusyHandler(sql)).toBe(false);
  });

  it('reads the bare words only', () => {
    expect(codeWords('select x\'ff\', 1e5, "q" /* c */ from[t]where a--b\n=?1')).toEqual([
      'SELECT',
      'X',
      'FROM',
      'WHERE',
      'A',
    ]);
  });
});

describe('the busy handler put back after a PRAGMA busy_timeout, and only then (a real, watched connection)', () => {
  const dir = tempDir();
  const file = join(dir.path, 'rewatch.db');
  const setup = allocateGate(5000);
  const gate = new SqliteGate(setup, undefined);
  // The observable: how often the guest's `execute` asks the gate to put the handlers back.
  const rewatch = vi.spyOn(gate, 'rewatch');
  const connections = new Connections(gate);
  const Connection = connectionClass(connections, { default: file }) as {
    open(label: string): { execute(sql: string, parameters: SqliteValue[]): SqliteResult };
  };
  const run = (sql: string): SqliteResult => Connection.open('default').execute(sql, []);
  /** SQLite records the timeout of its own busy handler only: 0 once the runtime's is installed again. */
  const recordedTimeout = (): unknown => run('PRAGMA busy_timeout').rows[0]?.values[0];
  afterAll(() => {
    connections.close();
    releaseGate(setup);
    dir.remove();
  });

  it('does not rewatch after ordinary statements, on a clean connection or a dirty one', () => {
    for (const sql of ['SELECT 1', 'CREATE TABLE IF NOT EXISTS t (x)', 'INSERT INTO t VALUES (1)']) run(sql);
    // The connection is dirty now (CREATE, then this PRAGMA): nothing else its statements do replaces a handler.
    run('PRAGMA foreign_keys = OFF');
    for (let i = 0; i < 5; i++) run('SELECT count(*) AS n FROM t');
    expect(connections.get(file).dirty).toBe(true);
    expect(rewatch).not.toHaveBeenCalled();
  });

  it('rewatches after every run of a PRAGMA busy_timeout text, classified once, and after one that failed', () => {
    rewatch.mockClear();
    run('PRAGMA busy_timeout = 60000');
    expect(rewatch).toHaveBeenCalledTimes(1);
    expect(recordedTimeout()).toEqual({ tag: 'integer', val: 0n });
    expect(rewatch).toHaveBeenCalledTimes(2);
    // From the statement cache: the entry keeps what the classification said.
    run('PRAGMA busy_timeout = 60000');
    expect(rewatch).toHaveBeenCalledTimes(3);
    expect(connections.get(file).statements.get('PRAGMA busy_timeout = 60000')?.rewatch).toBe(true);
    expect(connections.get(file).statements.get('SELECT 1')?.rewatch).toBe(false);
    // Refused by better-sqlite3 after SQLite applied the pragma: nothing cached, the handler put back all the same.
    expect(() => run('PRAGMA busy_timeout = 70000; SELECT 1')).toThrow(/more than one statement/);
    expect(rewatch).toHaveBeenCalledTimes(4);
    expect(recordedTimeout()).toEqual({ tag: 'integer', val: 0n });
    rewatch.mockClear();
    run('SELECT count(*) AS n FROM t');
    expect(rewatch).not.toHaveBeenCalled();
  });
});

describe('labels', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  /** Resolves with 'started' (after stopping it again) when the runtime starts: every case here expects a refusal. */
  const start = async (manifestBody: string, runtimeConfig?: string): Promise<string> => {
    const { create } = await loadRuntime();
    const manifest = writeManifest(dir.path, manifestBody);
    let runtimeConfigFile: string | undefined;
    if (runtimeConfig !== undefined) {
      runtimeConfigFile = join(dir.path, 'runtime-config.toml');
      writeFileSync(runtimeConfigFile, runtimeConfig);
    }
    const spin = await create({
      from: manifest,
      stateDir: join(dir.path, 'state'),
      runtimeConfigFile,
      guestOutput: () => {},
    });
    await spin.dispose();
    return 'started';
  };
  const component = (key: string, labels: string) => `
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = GUEST_WASM
${key} = ${labels}
`;

  it.each([
    ['sqlite_database', '../../../escaped'],
    ['key_value_store', '../../../escaped'],
    ['sqlite_database', 'a/b'],
    ['key_value_store', '.hidden'],
  ])('refuses [%s."%s"] in the runtime config, naming the key, and writes nothing', async (section, label) => {
    const err = start(
      component('sqlite_databases', '["default"]'),
      `[${section}.${JSON.stringify(label)}]\ntype = "spin"\n`,
    );
    await expect(err).rejects.toThrow(`${section}.${label}`);
    await expect(err).rejects.toThrow(/kebab-case or snake_case/);
    expect(existsSync(join(dir.path, 'escaped.db'))).toBe(false);
    expect(existsSync(join(dir.path, 'state'))).toBe(false);
  });

  it.each([
    ['sqlite_databases', 'constructor'],
    ['key_value_stores', 'constructor'],
  ])('%s = [%j] is undefined, not a prototype member', async (key, label) => {
    await expect(start(component(key, JSON.stringify([label])))).rejects.toThrow(
      /uses (sqlite database|key-value store) 'constructor', which is not defined/,
    );
  });

  it.each([
    ['sqlite_databases', '__proto__'],
    ['key_value_stores', 'My.Store'],
    ['sqlite_databases', '../x'],
  ])('%s = [%j] is refused as Spin refuses it (kebab-case or snake_case)', async (key, label) => {
    await expect(start(component(key, JSON.stringify([label])))).rejects.toThrow(/kebab-case or snake_case/);
  });

  it('refuses a component variable template that names a prototype member', async () => {
    await expect(
      start(`${component('sqlite_databases', '[]')}[component.c.variables]\nx = "{{ constructor }}"\n`),
    ).rejects.toThrow(/refers to '\{\{ constructor \}\}' but \[variables\] has no 'constructor'/);
  });
});
