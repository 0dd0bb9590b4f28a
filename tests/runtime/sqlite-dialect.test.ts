/**
 * The SQLite dialect is Spin's (rusqlite `bundled`), not better-sqlite3's stock one: double-quoted string
 * literals accepted, foreign keys enforced, no math functions, no UPDATE/DELETE ... LIMIT. Checked where SQL
 * runs: `--sqlite @file` at start, a guest's query through the host API (failures as WIT `io` errors the
 * guest handles, not traps), and the databases of the unit and contract tests. runtime/scripts/build-sqlite.mjs
 * builds that dialect; runtime/src/host/sqlite/dialect.ts refuses to start without it.
 */
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOKS_INIT, sqliteDialectProblems, type PragmaSource } from '../../runtime/src/host/sqlite/dialect';
import { createTestDatabase } from '../support/sqlite';
import { json, loadRuntime, tempDir, writeManifest, type SpinRuntime } from '../../runtime/tests/support/runtime';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// Written for Spin: "Ada" is a string literal there (SQLite's default); under SQLITE_DQS=0 it is a missing column.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pets (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL REFERENCES owners (id), name TEXT NOT NULL);
INSERT OR IGNORE INTO owners (id, name) VALUES (1, "Ada");
INSERT OR IGNORE INTO pets (id, owner, name) VALUES (1, 1, "Rex");
`;

// SQLite 3.51 (ours) words it `syntax error near "LIMIT"`; 3.49 (Spin's) `near "LIMIT": syntax error`.
const NEAR_LIMIT = /syntax error near "LIMIT"|near "LIMIT": syntax error/;

describe('SQLite dialect through the runtime', () => {
  const dir = tempDir();
  let spin: SpinRuntime;

  beforeAll(async () => {
    const { create } = await loadRuntime();
    const manifest = writeManifest(
      dir.path,
      '[[trigger.http]]\nroute = "/..."\ncomponent = "c"\n[component.c]\nsource = GUEST_WASM\nsqlite_databases = ["default"]\n',
    );
    const sqlFile = join(dir.path, 'schema.sql');
    writeFileSync(sqlFile, SCHEMA);
    spin = await create({
      from: manifest,
      stateDir: join(dir.path, 'state'),
      sqlite: [`@${sqlFile}`],
      guestOutput: () => {},
    });
  });
  afterAll(async () => {
    await spin?.dispose();
    dir.remove();
  });

  const query = async (sql: string): Promise<{ status: number; contentType: string | null; body: unknown }> => {
    const response = await spin.fetch(`/db/query?sql=${encodeURIComponent(sql)}`);
    return { status: response.status, contentType: response.headers.get('content-type'), body: await json(response) };
  };

  /**
   * The guest caught a WIT `io` error and answered with it (a trap would be the runtime's plain-text 500).
   * It shows the error's payload as JSON at the end of its message.
   */
  const expectIoError = async (sql: string, message: string | RegExp): Promise<void> => {
    const { status, contentType, body } = await query(sql);
    expect(status).toBe(500);
    expect(contentType).toBe('application/json');
    const payload = /(\{"tag".*\})$/.exec((body as { error: string }).error)?.[1];
    expect(JSON.parse(payload ?? 'null')).toEqual({
      tag: 'io',
      val: typeof message === 'string' ? message : expect.stringMatching(message),
    });
  };

  it('applies a --sqlite @file with double-quoted string literals', async () => {
    expect(
      (await query('SELECT o.name AS owner, p.name AS pet FROM pets p JOIN owners o ON o.id = p.owner')).body,
    ).toEqual({
      columns: ['owner', 'pet'],
      rows: [{ owner: 'Ada', pet: 'Rex' }],
    });
  });

  it('accepts double-quoted string literals in a guest query', async () => {
    expect((await query('SELECT id FROM owners WHERE name = "Ada"')).body).toEqual({
      columns: ['id'],
      rows: [{ id: 1 }],
    });
  });

  it('enforces foreign keys without a PRAGMA, as Spin does', async () => {
    await expectIoError("INSERT INTO pets (owner, name) VALUES (99, 'Ghost')", 'FOREIGN KEY constraint failed');
    await expectIoError('DELETE FROM owners WHERE id = 1', 'FOREIGN KEY constraint failed');
  });

  it('has no math functions', async () => {
    await expectIoError('SELECT sqrt(4) AS r', 'no such function: sqrt');
  });

  it('has no DELETE ... LIMIT or UPDATE ... LIMIT', async () => {
    await expectIoError('DELETE FROM pets LIMIT 1', NEAR_LIMIT);
    await expectIoError("UPDATE pets SET name = 'Max' LIMIT 1", NEAR_LIMIT);
    expect((await query('SELECT name FROM pets')).body).toEqual({ columns: ['name'], rows: [{ name: 'Rex' }] });
  });
});

describe('SQLite dialect of the test databases (tests/support/sqlite.ts)', () => {
  it('is the same: double quotes, foreign keys, no math functions, no DELETE ... LIMIT', () => {
    const db = createTestDatabase({ migrate: false });
    try {
      db.exec(SCHEMA);
      expect(db.database.query('SELECT name FROM owners WHERE name = "Ada"')).toEqual([{ name: 'Ada' }]);
      expect(() => db.exec("INSERT INTO pets (owner, name) VALUES (99, 'Ghost')")).toThrow(
        'FOREIGN KEY constraint failed',
      );
      expect(() => db.exec('SELECT sqrt(4)')).toThrow('no such function: sqrt');
      expect(() => db.exec('DELETE FROM pets LIMIT 1')).toThrow(NEAR_LIMIT);
    } finally {
      db.close();
    }
  });
});

describe('the start-up dialect check', () => {
  /** A connection that reports these compile options and this foreign_keys default. */
  const fake = (options: string[], foreignKeys = 1): PragmaSource => ({
    pragma: (source) =>
      source === 'compile_options' ? options.map((compile_options) => ({ compile_options })) : foreignKeys,
  });

  it('passes the installed better-sqlite3', () => {
    const db = new Database(':memory:');
    try {
      expect(sqliteDialectProblems(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it("names each difference of better-sqlite3's stock build", () => {
    const stock = [
      'DEFAULT_FOREIGN_KEYS',
      'DQS=0',
      'ENABLE_MATH_FUNCTIONS',
      'ENABLE_UPDATE_DELETE_LIMIT',
      'THREADSAFE=2',
    ];
    const hooks = `EXTRA_INIT=${HOOKS_INIT}`;
    expect(sqliteDialectProblems(fake(stock))).toEqual([
      'SQLITE_DQS=0 (double-quoted string literals refused)',
      'SQLITE_ENABLE_MATH_FUNCTIONS (sqrt(), ln(), ... exist)',
      'SQLITE_ENABLE_UPDATE_DELETE_LIMIT (UPDATE/DELETE ... LIMIT accepted)',
      'no runtime hooks (EXTRA_INIT=spin_host_init_v1, runtime/native/spin-host-sqlite.c)',
    ]);
    expect(sqliteDialectProblems(fake(['THREADSAFE=1', hooks], 0))).toEqual([
      'foreign keys off by default (no SQLITE_DEFAULT_FOREIGN_KEYS=1)',
    ]);
    expect(sqliteDialectProblems(fake(['DQS=3', 'THREADSAFE=1', hooks]))).toEqual([]);
  });

  it('knows the hooks by the name runtime/scripts/build-sqlite.mjs compiles them in with', () => {
    const script = readFileSync(join(repoRoot, 'runtime/scripts/build-sqlite.mjs'), 'utf8');
    const source = readFileSync(join(repoRoot, 'runtime/native/spin-host-sqlite.c'), 'utf8');
    expect(script).toContain(`const HOOKS_INIT = '${HOOKS_INIT}';`);
    expect(source).toContain(`int ${HOOKS_INIT}(const char *unused)`);
  });
});
