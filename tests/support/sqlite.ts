/**
 * Real SQLite for tests: a database file in a temporary directory, opened with better-sqlite3 and exposed
 * through the same `Database` seam the components use inside Spin.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database, Row, SqlParam } from '../../common/src/sql';

export const MIGRATIONS_PATH = new URL('../../migrations.sql', import.meta.url);
export const migrationsSql = (): string => readFileSync(MIGRATIONS_PATH, 'utf8');

export interface TestDatabase {
  /** The seam the components take; INTEGER columns come back as bigint, as they do from Spin. */
  database: Database;
  /** Runs plain SQL (one or more statements), as a user would with the sqlite3 shell. */
  exec(sql: string): void;
  /** The file, for opening it from another process or component. */
  path: string;
  close(): void;
}

/**
 * better-sqlite3 binds `?1`-style parameters by name ("1", "2", ...). Whole numbers are bound as INTEGER,
 * as Spin's SDK does, rather than as REAL.
 */
function bindNumbered(params: readonly SqlParam[]): Record<string, string | bigint | number | null> {
  return Object.fromEntries(params.map((value, index) => [String(index + 1), typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value]));
}

/** Opens a SQLite file with the settings the runtime uses (WAL, busy timeout). */
export function openSqliteFile(path: string): TestDatabase {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  return {
    path,
    database: {
      query(sql: string, params: readonly SqlParam[] = []): Row[] {
        const statement = db.prepare(sql).safeIntegers(true);
        const bound = params.length === 0 ? [] : [bindNumbered(params)];
        if (!statement.reader) {
          statement.run(...bound);
          return [];
        }
        return statement.all(...bound) as Row[];
      },
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
