/**
 * SQLite (`fermyon:spin/sqlite@2.0.0`). spin.toml: a component's `sqlite_databases` labels. Runtime config:
 * `[sqlite_database.<label>]`. Start-up, as `spin up` does: refuse a better-sqlite3 that does not speak Spin's
 * dialect (dialect.ts), create the files, apply every `--sqlite` statement or file in order. Guest: a
 * connection per granted label; a transaction a request leaves open is rolled back when it ends, and a
 * connection it changed the state of (TEMP objects, PRAGMAs) is closed; ATTACH, DETACH and VACUUM INTO are refused.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import type { HostApi } from '../api.js';
import { noApp } from '../api.js';
import { Connections } from '../connections.js';
import { checkLabels, grantedPaths, labelPaths, openDatabase, type LabelledKind } from '../labelled-files.js';
import { connectionClass } from './connection.js';
import { assertSpinSqliteDialect } from './dialect.js';

const KIND: LabelledKind = { what: 'sqlite database', section: 'sqlite_database', defaultFile: 'sqlite_db.db' };

/** Told how long a `--sqlite` argument took once it takes this long, so a long start is not a silent one. */
export const SLOW_SQLITE_MS = 1000;

/** `STATEMENT`, `@file.sql` or `@file.sql:label` (labels other than default need a declared database). */
export function parseSqliteArg(arg: string, cwd: string): { label: string; sql: string; source: string } {
  if (!arg.startsWith('@'))
    return { label: 'default', sql: arg, source: `--sqlite "${arg.length > 40 ? `${arg.slice(0, 40)}...` : arg}"` };
  const spec = arg.slice(1);
  const colon = spec.lastIndexOf(':');
  const [file, label] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, 'default'];
  try {
    return { label, sql: readFileSync(resolve(cwd, file), 'utf8'), source: `--sqlite @${spec}` };
  } catch {
    throw new ConfigError(`--sqlite @${spec}: cannot read ${resolve(cwd, file)}`);
  }
}

/**
 * Applies `--sqlite` arguments to the files of `paths` (label -> file), in order, then opens every file once so
 * a component's first request finds it in WAL mode.
 */
export function applySqliteArgs(
  paths: Record<string, string>,
  args: readonly string[],
  options: { cwd: string; log(line: string): void; slowMs?: number },
): void {
  const statements = args.map((arg) => parseSqliteArg(arg, options.cwd));
  for (const { label, source } of statements) {
    if (!Object.hasOwn(paths, label))
      throw new ConfigError(`${source}: no database labelled '${label}' (known: ${Object.keys(paths).join(', ')})`);
  }
  for (const { label, sql, source } of statements) {
    const db = openDatabase(paths[label] ?? '');
    const started = performance.now();
    try {
      db.exec(sql);
      const elapsed = performance.now() - started;
      if (elapsed >= (options.slowMs ?? SLOW_SQLITE_MS))
        options.log(`${source}: applied in ${(elapsed / 1000).toFixed(1)} s`);
    } catch (error) {
      throw new ConfigError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      db.close();
    }
  }
  for (const path of Object.values(paths)) openDatabase(path).close();
}

/** Grant: label -> file, for the labels the component declares. */
export const sqlite: HostApi<undefined, string[], Record<string, string>, 'sqlite'> = {
  name: 'sqlite',
  manifestKeys: [],
  componentKeys: ['sqlite_databases'],
  runtimeConfigKeys: [KIND.section],
  app: noApp,
  component: ({ reader }, table, key) =>
    checkLabels(
      reader.stringArray(table.sqlite_databases, `${key}.sqlite_databases`),
      `${key}.sqlite_databases`,
      (k, m) => reader.fail(k, m),
    ),
  grants: ({ components, runtimeConfig, stateDir }) =>
    grantedPaths(labelPaths(KIND, runtimeConfig, stateDir, components), components),
  prepareState({ components, runtimeConfig, stateDir, options, cwd, log }) {
    // Before any database is opened: the workers run later in this process, on the same binary.
    assertSpinSqliteDialect();
    mkdirSync(stateDir, { recursive: true });
    applySqliteArgs(labelPaths(KIND, runtimeConfig, stateDir, components), options.sqlite ?? [], { cwd, log });
  },
  guest({ sqlite: gate }) {
    const connections = new Connections(gate);
    return {
      imports: (_component, databases) => ({
        'fermyon:spin/sqlite': { Connection: connectionClass(connections, databases) },
      }),
      endRequest: () => void connections.endRequest(),
      close: () => connections.close(),
    };
  },
};
