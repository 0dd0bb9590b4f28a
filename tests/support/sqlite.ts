/**
 * Real SQLite for tests: a database file in a temporary directory, opened with better-sqlite3 and exposed
 * through the same `Database` seam the components use inside Spin.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { rowsOf, toSpinValue } from '@aggregates/common/spin/sqlite-values';
import type { Database, Row, SqlParam } from '@aggregates/common/sql';
import { execute } from '../../runtime/src/host/sqlite/values';

export const MIGRATIONS_PATH = new URL('../../migrations.sql', import.meta.url);
export const migrationsSql = (): string => readFileSync(MIGRATIONS_PATH, 'utf8');

export interface TestDatabase {
  /**
   * The seam the components take, binding parameters and returning values exactly as a component's database
   * on the local runtime does (INTEGER as bigint, BLOB as Uint8Array; see runtime/src/host/sqlite/values.ts).
   */
  database: Database;
  /** Runs plain SQL (one or more statements), as a user would with the sqlite3 shell. */
  exec(sql: string): void;
  /** The file, for opening it from another process or component. */
  path: string;
  close(): void;
}

/** Opens a SQLite file with the settings the runtime uses (WAL, busy timeout). */
export function openSqliteFile(path: string): TestDatabase {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  return {
    path,
    database: {
      // As a component's query crosses to the runtime's host: its own `toSpinValue`, the host's `execute` (the
      // same binding and result values), its own `rowsOf`. SQLite's errors are thrown as they come.
      query: (sql: string, params: readonly SqlParam[] = []): Row[] =>
        rowsOf(execute(db.prepare(sql), sql, params.map(toSpinValue))),
    },
    exec: (sql) => void db.exec(sql),
    close: () => db.close(),
  };
}

/** A new database file in a fresh temporary directory, with migrations.sql applied; `close` removes it. */
export function createTestDatabase({ migrate = true } = {}): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'aggregates-db-'));
  const opened = openSqliteFile(join(dir, 'sqlite_db.db'));
  if (migrate) opened.exec(migrationsSql());
  return {
    ...opened,
    close() {
      opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A SQL string literal: the only quoting the tests need to write plain INSERT statements. */
export const sqlText = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * {@link createTestDatabase} for a test file: each call gives a new database, closed after the test that made it
 * (this registers the `afterEach`, so call it at the top of the file or of a `describe`).
 */
export function databasesPerTest(): () => TestDatabase {
  const opened: TestDatabase[] = [];
  afterEach(() => opened.splice(0).forEach((db) => db.close()));
  return () => {
    const db = createTestDatabase();
    opened.push(db);
    return db;
  };
}
