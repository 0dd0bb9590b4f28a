/**
 * What SQLite databases and key-value stores have in common: components name them by label
 * (`sqlite_databases = ["default"]`), each label is a local SQLite file, `default` lives in the state directory
 * unless `--runtime-config-file` moves it, and other labels exist only when that file defines them.
 */
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../errors.js';
import type { RuntimeConfigFile } from './api.js';

/** A waiting writer retries this long before SQLite answers "database is locked". */
export const BUSY_TIMEOUT_MS = 5000;

/** Opens a file the way every connection of the runtime does: WAL, busy timeout. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  return db;
}

/** How one kind of labelled file is named in spin.toml, in the runtime config and in the state directory. */
export interface LabelledKind {
  /** In messages: `sqlite database`. */
  what: string;
  /** The runtime config section: `sqlite_database`. */
  section: string;
  /** The default label's file name in the state directory: `sqlite_db.db`. */
  defaultFile: string;
}

/**
 * The runtime config's `[<section>.<label>]` entries: only Spin's local `type = "spin"` backend; a relative
 * `path` is resolved against the config file's directory, no `path` means a file in the state directory.
 */
function configured(kind: LabelledKind, config: RuntimeConfigFile | undefined): Record<string, string | undefined> {
  const value = config?.root[kind.section];
  if (!config || value === undefined) return {};
  const { reader } = config;
  const result: Record<string, string | undefined> = {};
  for (const [label, raw] of Object.entries(reader.table(value, kind.section))) {
    const key = `${kind.section}.${label}`;
    // The backend type first: a libSQL or Redis entry is refused for its type, not for its first unknown key.
    const type = reader.string(reader.table(raw, key).type, `${key}.type`);
    if (type !== 'spin') reader.fail(`${key}.type`, `'${type}' is not supported by this runtime (only "spin", a local SQLite file)`);
    const entry = reader.table(raw, key, ['type', 'path']);
    const path = reader.optionalString(entry.path, `${key}.path`);
    result[label] = path === undefined ? undefined : resolve(config.dir, path);
  }
  return result;
}

/** Label -> file for every label defined, after checking that every label a component uses is. */
export function labelPaths(
  kind: LabelledKind,
  config: RuntimeConfigFile | undefined,
  stateDir: string,
  components: Record<string, string[]>,
): Record<string, string> {
  const defined = configured(kind, config);
  const paths: Record<string, string> = { default: defined.default ?? join(stateDir, kind.defaultFile) };
  for (const [label, path] of Object.entries(defined)) paths[label] = path ?? join(stateDir, `${kind.what.replace(/ /g, '_')}_${label}.db`);
  for (const [id, labels] of Object.entries(components)) {
    const missing = labels.find((label) => !(label in paths));
    if (missing !== undefined) {
      throw new ConfigError(
        `component.${id}: uses ${kind.what} '${missing}', which is not defined; only 'default' exists unless --runtime-config-file defines [${kind.section}.${missing}]`,
      );
    }
  }
  return paths;
}

/** Each component's labels with their files: exactly what it declared, nothing more. */
export function grantedPaths(paths: Record<string, string>, components: Record<string, string[]>): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(components).map(([id, labels]) => [id, Object.fromEntries(labels.map((label) => [label, paths[label] ?? '']))]),
  );
}
