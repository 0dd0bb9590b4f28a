/**
 * What SQLite databases and key-value stores have in common: components name them by label
 * (`sqlite_databases = ["default"]`), each label is a local SQLite file, `default` lives in the state directory
 * unless `--runtime-config-file` moves it, and other labels exist only when that file defines them.
 */
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../errors.js';
import type { RuntimeConfigFile } from './api.js';
import { parseRedisUrl } from './redis-client.js';

/** A waiting writer retries this long before SQLite answers "database is locked". */
export const BUSY_TIMEOUT_MS = 5000;

/** Opens a file the way every connection of the runtime does: WAL, busy timeout. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  return db;
}

/**
 * Spin's label rule (spin.toml's `sqlite_databases` and `key_value_stores`, spinframework/spin crates/manifest
 * `kebab_or_snake_case`): kebab-case or snake_case words of ASCII letters and digits, each starting with a
 * letter and all lowercase or all UPPERCASE. Such a label is also a plain file name.
 */
const LABEL =
  /^(?:(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)(?:-(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*))*|(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)(?:_(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*))*)$/;
const LABEL_RULE =
  'expected kebab-case or snake_case (words of ASCII letters and digits, each starting with a letter, joined by - or _), as Spin requires of labels';

export function isLabel(label: string): boolean {
  return LABEL.test(label);
}

/** A component's labels (`sqlite_databases`), checked against Spin's rule; `key` names the spin.toml key. */
export function checkLabels(labels: string[], key: string, fail: (key: string, message: string) => never): string[] {
  labels.forEach((label, i) => {
    if (!isLabel(label)) fail(`${key}[${i}]`, `'${label}': ${LABEL_RULE}`);
  });
  return labels;
}

/** How one kind of labelled file is named in spin.toml, in the runtime config and in the state directory. */
export interface LabelledKind {
  /** In messages: `sqlite database`. */
  what: string;
  /** The runtime config section: `sqlite_database`. */
  section: string;
  /** The default label's file name in the state directory: `sqlite_db.db`. */
  defaultFile: string;
  /** Accepts `type = "redis"` with a `url` (key-value stores): its location is that URL (see {@link isRedisLocation}). */
  redis?: boolean;
}

/**
 * A label's location is a file path (absolute: resolved at start) or, for a Redis store, its `redis://` URL,
 * which no resolved path can start with. Grants carry these strings as they are (plain data for the workers).
 */
export const isRedisLocation = (location: string): boolean => location.startsWith('redis://');

/** Why a backend the runtime does not have is refused, and what to use instead. */
function unsupportedType(kind: LabelledKind, type: string): string {
  const supported = kind.redis
    ? '"spin" (a local SQLite file) and "redis" (url = "redis://host:port")'
    : '"spin", a local SQLite file';
  if (type === 'libsql') {
    return `'libsql' is not supported by this runtime: no libSQL server installs from the package registries it is tested with. The stand-in for a shared database is several runtime processes on one local SQLite file (type = "spin" with the same path, or the same --state-dir; \`npm run up:replicas\` runs that shape)`;
  }
  return `'${type}' is not supported by this runtime (only ${supported})`;
}

/**
 * The runtime config's `[<section>.<label>]` entries: Spin's local `type = "spin"` backend (a relative `path`
 * is resolved against the config file's directory, no `path` means a file in the state directory) and, for
 * key-value stores, `type = "redis"` with its `url`, checked here so a bad URL fails the start.
 */
function configured(kind: LabelledKind, config: RuntimeConfigFile | undefined): Record<string, string | undefined> {
  const value = config?.root[kind.section];
  if (!config || value === undefined) return {};
  const { reader } = config;
  const result: Record<string, string | undefined> = {};
  for (const [label, raw] of Object.entries(reader.table(value, kind.section))) {
    const key = `${kind.section}.${label}`;
    // Spin reads any label here, but only one spin.toml can name is ever used; a label is also a file name in
    // the state directory (below), so `../x` or `a/b` must not reach the path.
    if (!isLabel(label))
      reader.fail(key, `${LABEL_RULE}; rename the section [${kind.section}.<label>] to the label spin.toml uses`);
    // The backend type first: a libSQL entry is refused for its type, not for its first unknown key.
    const type = reader.string(reader.table(raw, key).type, `${key}.type`);
    if (type === 'redis' && kind.redis) {
      const url = reader.string(reader.table(raw, key, ['type', 'url']).url, `${key}.url`);
      try {
        parseRedisUrl(url);
      } catch (error) {
        reader.fail(`${key}.url`, error instanceof Error ? error.message : String(error));
      }
      result[label] = url;
      continue;
    }
    if (type !== 'spin') reader.fail(`${key}.type`, unsupportedType(kind, type));
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
  for (const [label, path] of Object.entries(defined))
    paths[label] = path ?? join(stateDir, `${kind.what.replace(/ /g, '_')}_${label}.db`);
  for (const [id, labels] of Object.entries(components)) {
    // Own labels only: `constructor` is not defined because every object has one.
    const missing = labels.find((label) => !Object.hasOwn(paths, label));
    if (missing !== undefined) {
      throw new ConfigError(
        `component.${id}: uses ${kind.what} '${missing}', which is not defined; only 'default' exists unless --runtime-config-file defines [${kind.section}.${missing}]`,
      );
    }
  }
  return paths;
}

/** Each component's labels with their files: exactly what it declared, nothing more. */
export function grantedPaths(
  paths: Record<string, string>,
  components: Record<string, string[]>,
): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(components).map(([id, labels]) => [
      id,
      Object.fromEntries(labels.map((label) => [label, Object.hasOwn(paths, label) ? (paths[label] ?? '') : ''])),
    ]),
  );
}
