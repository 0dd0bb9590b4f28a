/**
 * `--runtime-config-file`: read and checked for tables no host API reads; each API then reads its own
 * sections (SQLite and key-value: where databases and stores other than the defaults live, see
 * host/labelled-files.ts). Relative paths in it are resolved against its directory.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from './errors.js';
import { HOST_APIS, type RuntimeConfigFile } from './host/index.js';
import { TomlReader } from './toml-checks.js';

export async function loadRuntimeConfig(file: string | undefined): Promise<RuntimeConfigFile | undefined> {
  if (file === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = parseToml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `--runtime-config-file ${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  const reader = new TomlReader(file);
  const root = reader.table(
    parsed,
    '',
    HOST_APIS.flatMap((api) => api.runtimeConfigKeys),
  );
  return { reader, dir: dirname(resolve(file)), root };
}
