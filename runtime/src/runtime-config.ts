/**
 * `--runtime-config-file`: where SQLite databases and key-value stores other than the defaults live.
 * Only Spin's local `type = "spin"` backends are supported; relative paths are resolved against the
 * runtime config file's directory.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from './errors.js';
import { TomlReader } from './toml-checks.js';

export interface RuntimeConfig {
  /** Label -> absolute path, or undefined for "in the state directory". */
  sqliteDatabases: Record<string, string | undefined>;
  keyValueStores: Record<string, string | undefined>;
}

export const EMPTY_RUNTIME_CONFIG: RuntimeConfig = { sqliteDatabases: {}, keyValueStores: {} };

function backends(reader: TomlReader, dir: string, value: unknown, key: string): Record<string, string | undefined> {
  if (value === undefined) return {};
  const result: Record<string, string | undefined> = {};
  for (const [label, raw] of Object.entries(reader.table(value, key))) {
    // The backend type first: a libSQL or Redis entry is refused for its type, not for its first unknown key.
    const type = reader.string(reader.table(raw, `${key}.${label}`).type, `${key}.${label}.type`);
    if (type !== 'spin') reader.fail(`${key}.${label}.type`, `'${type}' is not supported by this runtime (only "spin", a local SQLite file)`);
    const entry = reader.table(raw, `${key}.${label}`, ['type', 'path']);
    const path = reader.optionalString(entry.path, `${key}.${label}.path`);
    result[label] = path === undefined ? undefined : resolve(dir, path);
  }
  return result;
}

export async function loadRuntimeConfig(file: string | undefined): Promise<RuntimeConfig> {
  if (file === undefined) return EMPTY_RUNTIME_CONFIG;
  let parsed: unknown;
  try {
    parsed = parseToml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`--runtime-config-file ${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const reader = new TomlReader(file);
  const root = reader.table(parsed, '', ['sqlite_database', 'key_value_store']);
  const dir = dirname(resolve(file));
  return {
    sqliteDatabases: backends(reader, dir, root.sqlite_database, 'sqlite_database'),
    keyValueStores: backends(reader, dir, root.key_value_store, 'key_value_store'),
  };
}
