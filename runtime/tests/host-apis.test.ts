import BetterSqlite3 from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureManifest,
  ITEMS_TABLE,
  json,
  loadRuntime,
  tempDir,
  writeManifest,
  type SpinRuntime,
} from './support/runtime';

describe('host APIs: SQLite, key-value, variables', () => {
  const dir = tempDir();
  let spin: SpinRuntime;

  beforeAll(async () => {
    const { create } = await loadRuntime();
    const manifest = writeManifest(
      dir.path,
      `
[variables]
greeting = { default = "hello" }
api_key = { default = "from-default" }
region = { default = "eu" }

[[trigger.http]]
route = "/labelled/..."
component = "labelled"

[[trigger.http]]
route = "/plain/..."
component = "plain"

[component.labelled]
source = GUEST_WASM
sqlite_databases = ["default", "reports"]
key_value_stores = ["default"]
[component.labelled.variables]
greeting = "{{ greeting }}, world"
api_key = "{{ api_key }}"
region = "{{ region }}"

[component.plain]
source = GUEST_WASM
sqlite_databases = ["default"]
`,
    );
    const runtimeConfig = join(dir.path, 'runtime-config.toml');
    writeFileSync(runtimeConfig, '[sqlite_database.reports]\ntype = "spin"\npath = "reports.db"\n');
    spin = await create({
      from: manifest,
      stateDir: join(dir.path, 'state'),
      runtimeConfigFile: runtimeConfig,
      sqlite: [
        ITEMS_TABLE,
        "INSERT INTO items (name) VALUES ('in-default')",
        '@' +
          writeSql(dir.path, 'reports.sql', "CREATE TABLE r (v TEXT); INSERT INTO r VALUES ('in-reports');") +
          ':reports',
      ],
      variables: { region: 'us' },
      env: { SPIN_VARIABLE_API_KEY: 'from-env' },
      guestOutput: () => {},
    });
  });
  afterAll(async () => {
    await spin.dispose();
    dir.remove();
  });

  const query = async (component: string, label: string, sql: string) =>
    json(await spin.fetch(`/${component}/db/query?label=${label}&sql=${encodeURIComponent(sql)}`));

  it('gives each label its own database file', async () => {
    expect(await query('labelled', 'default', 'SELECT name FROM items')).toEqual({
      columns: ['name'],
      rows: [{ name: 'in-default' }],
    });
    expect(await query('labelled', 'reports', 'SELECT v FROM r')).toEqual({
      columns: ['v'],
      rows: [{ v: 'in-reports' }],
    });
    expect(await query('labelled', 'default', "SELECT count(*) AS n FROM sqlite_master WHERE name = 'r'")).toEqual({
      columns: ['n'],
      rows: [{ n: 0 }],
    });
  });

  it('returns INTEGER as integers and writes through to the file', async () => {
    const inserted = (await json(await spin.fetch('/plain/db/insert?name=new'))) as { id: number };
    expect(inserted.id).toBe(2);
    expect(await json(await spin.fetch('/plain/db/count'))).toEqual({ n: 2 });
  });

  it('denies a database the component does not declare, as an error the guest handles', async () => {
    const response = await spin.fetch(`/plain/db/query?label=reports&sql=${encodeURIComponent('SELECT 1')}`);
    // The guest caught the error and answered itself: a trap would have been the runtime's plain 500.
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(((await json(response)) as { error: string }).error).toContain('access-denied');
  });

  it('reports a SQL error as a WIT io error, not a trap', async () => {
    const body = (await query('plain', 'default', 'SELECT * FROM no_such_table')) as { error: string };
    expect(body.error).toContain('no such table: no_such_table');
  });

  it('rolls back a transaction a request left open, as closing the connection does in Spin', async () => {
    // The guest begins a transaction, writes, and answers without committing.
    expect(await query('plain', 'default', 'BEGIN IMMEDIATE')).toEqual({ columns: [], rows: [] });
    expect(await query('plain', 'default', "INSERT INTO items (name) VALUES ('inside-open-transaction')")).toEqual({
      columns: [],
      rows: [],
    });
    // Every request ran in autocommit mode: the write of the second request is there, and nothing holds the
    // write lock (a transaction left open would make this writer wait out its timeout and fail).
    const outside = new BetterSqlite3(join(dir.path, 'state', 'sqlite_db.db'), { timeout: 200 });
    try {
      expect(outside.prepare("SELECT count(*) AS n FROM items WHERE name = 'inside-open-transaction'").get()).toEqual({
        n: 1,
      });
      outside.prepare("INSERT INTO items (name) VALUES ('from-outside')").run();
    } finally {
      outside.close();
    }
  });

  it('stores and reads key-value pairs', async () => {
    await spin.fetch('/labelled/kv/set?key=k1&value=v1');
    expect(await json(await spin.fetch('/labelled/kv/get?key=k1'))).toEqual({ value: 'v1' });
    expect(await json(await spin.fetch('/labelled/kv/get?key=missing'))).toEqual({ value: null });
  });

  it('denies a key-value store the component does not declare', async () => {
    expect(((await json(await spin.fetch('/plain/kv/open?label=default'))) as { error: string }).error).toContain(
      'access-denied',
    );
  });

  it('resolves variables: templates over defaults, SPIN_VARIABLE_ env, and --variable', async () => {
    const variable = async (name: string) =>
      ((await json(await spin.fetch(`/labelled/var?name=${name}`))) as { value: string | null }).value;
    expect(await variable('greeting')).toBe('hello, world');
    expect(await variable('api_key')).toBe('from-env');
    expect(await variable('region')).toBe('us');
    // Not declared by this component: Variables.get returns null.
    expect(await variable('undeclared')).toBeNull();
  });
});

function writeSql(dir: string, name: string, sql: string): string {
  const file = join(dir, name);
  writeFileSync(file, sql);
  return file;
}

describe('start-up errors', () => {
  it('refuses to start when a required variable has no value, naming it', async () => {
    const dir = tempDir();
    try {
      const { create } = await loadRuntime();
      const manifest = writeManifest(
        dir.path,
        `
[variables]
token = { required = true }
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = GUEST_WASM
[component.c.variables]
token = "{{ token }}"
`,
      );
      await expect(create({ from: manifest, stateDir: dir.path, env: {} })).rejects.toThrow(
        /variable 'token' is required.*SPIN_VARIABLE_TOKEN/,
      );
    } finally {
      dir.remove();
    }
  });

  it('refuses a database label that nothing defines', async () => {
    const dir = tempDir();
    try {
      const { create } = await loadRuntime();
      const manifest = writeManifest(
        dir.path,
        '[[trigger.http]]\nroute = "/..."\ncomponent = "c"\n[component.c]\nsource = GUEST_WASM\nsqlite_databases = ["nope"]\n',
      );
      await expect(create({ from: manifest, stateDir: dir.path })).rejects.toThrow(
        /component\.c: uses sqlite database 'nope'/,
      );
    } finally {
      dir.remove();
    }
  });

  it('reports a failing --sqlite statement with the flag', async () => {
    const dir = tempDir();
    try {
      const { create } = await loadRuntime();
      await expect(
        create({ from: fixtureManifest, stateDir: dir.path, sqlite: ['CREATE TABLEX broken'] }),
      ).rejects.toThrow(/--sqlite "CREATE TABLEX broken": .*syntax error/);
    } finally {
      dir.remove();
    }
  });
});
