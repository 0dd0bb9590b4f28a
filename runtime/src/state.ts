/**
 * The state directory (`.spin/` by default) and the start-up work `spin up` does there: create the SQLite
 * files Spin would (`sqlite_db.db`, `sqlite_key_value.db`), run every `--sqlite` statement or file in order,
 * and seed `--key-value` pairs. Runs on the main thread before any worker starts.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from './errors.js';
import { BUSY_TIMEOUT_MS } from './host/databases.js';
import { KV_TABLE } from './host/spin-key-value.js';
import type { Manifest } from './manifest.js';
import type { RuntimeConfig } from './runtime-config.js';
import { assertSpinSqliteDialect } from './sqlite-dialect.js';

export interface StatePaths {
  /** Label -> file, for every label some component declares (plus `default`). */
  sqlite: Record<string, string>;
  keyValue: Record<string, string>;
}

function labelPaths(
  manifest: Manifest,
  configured: Record<string, string | undefined>,
  declared: (c: Manifest['components'][string]) => string[],
  defaultPath: string,
  what: string,
  stateDir: string,
): Record<string, string> {
  const paths: Record<string, string> = { default: configured.default ?? defaultPath };
  for (const [label, path] of Object.entries(configured)) paths[label] = path ?? join(stateDir, `${what.replace(/ /g, '_')}_${label}.db`);
  for (const component of Object.values(manifest.components)) {
    for (const label of declared(component)) {
      if (!(label in paths)) {
        throw new ConfigError(
          `component.${component.id}: uses ${what} '${label}', which is not defined; only 'default' exists unless --runtime-config-file defines [${what === 'sqlite database' ? 'sqlite_database' : 'key_value_store'}.${label}]`,
        );
      }
    }
  }
  return paths;
}

export function statePaths(manifest: Manifest, runtimeConfig: RuntimeConfig, stateDir: string): StatePaths {
  return {
    sqlite: labelPaths(manifest, runtimeConfig.sqliteDatabases, (c) => c.sqliteDatabases, join(stateDir, 'sqlite_db.db'), 'sqlite database', stateDir),
    keyValue: labelPaths(manifest, runtimeConfig.keyValueStores, (c) => c.keyValueStores, join(stateDir, 'sqlite_key_value.db'), 'key-value store', stateDir),
  };
}

function openDb(path: string): Database.Database {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  return db;
}

/** `STATEMENT`, `@file.sql` or `@file.sql:label` (labels other than default need a declared database). */
export function parseSqliteArg(arg: string, cwd: string): { label: string; sql: string; source: string } {
  if (!arg.startsWith('@')) return { label: 'default', sql: arg, source: `--sqlite "${arg.length > 40 ? `${arg.slice(0, 40)}...` : arg}"` };
  const spec = arg.slice(1);
  const colon = spec.lastIndexOf(':');
  const [file, label] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, 'default'];
  try {
    return { label, sql: readFileSync(resolve(cwd, file), 'utf8'), source: `--sqlite @${spec}` };
  } catch {
    throw new ConfigError(`--sqlite @${spec}: cannot read ${resolve(cwd, file)}`);
  }
}

export interface StateOptions {
  stateDir: string;
  sqlite: string[];
  keyValues: Record<string, string>;
  cwd: string;
  /** Told how long a `--sqlite` argument took, when that was `slowSqliteMs` or more, so a long start is not a silent one. */
  log?: (line: string) => void;
  /** Default 1000. */
  slowSqliteMs?: number;
}

export function prepareState(paths: StatePaths, options: StateOptions): void {
  // Before any database is opened: refuse a better-sqlite3 whose SQL dialect is not Spin's (workers run
  // later in this process, on the same binary).
  assertSpinSqliteDialect();
  mkdirSync(options.stateDir, { recursive: true });
  const statements = options.sqlite.map((arg) => parseSqliteArg(arg, options.cwd));
  for (const { label, sql, source } of statements) {
    const path = paths.sqlite[label];
    if (path === undefined) throw new ConfigError(`${source}: no database labelled '${label}' (known: ${Object.keys(paths.sqlite).join(', ')})`);
    const db = openDb(path);
    const started = performance.now();
    try {
      db.exec(sql);
      const elapsed = performance.now() - started;
      if (elapsed >= (options.slowSqliteMs ?? 1000)) options.log?.(`${source}: applied in ${(elapsed / 1000).toFixed(1)} s`);
    } catch (error) {
      throw new ConfigError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      db.close();
    }
  }
  // Touch every database so a component's first request finds the file in WAL mode.
  for (const path of Object.values(paths.sqlite)) openDb(path).close();
  for (const [label, path] of Object.entries(paths.keyValue)) {
    const db = openDb(path);
    db.exec(`CREATE TABLE IF NOT EXISTS ${KV_TABLE} (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))`);
    if (label === 'default') {
      const put = db.prepare(`INSERT INTO ${KV_TABLE} (store, key, value) VALUES ('default', ?, ?) ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`);
      for (const [key, value] of Object.entries(options.keyValues)) put.run(key, Buffer.from(value));
    }
    db.close();
  }
}
