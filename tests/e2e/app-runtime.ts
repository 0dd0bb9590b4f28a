/**
 * The app's real Wasm components (all of spin.toml's) on the local runtime, as `npm start` runs them: spin.toml,
 * a fresh state directory, `--sqlite @migrations.sql`. Tests reach the SQLite file the components use directly,
 * to load data with plain SQL as a user would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CreateOptions, SpinRuntime } from '../../runtime/src/index.js';
import type { ServiceTarget } from '../contract/target';
import { loadRuntime } from '../runtime/support/runtime';
import { openSqliteFile, type TestDatabase } from '../support/sqlite';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface AppRuntime {
  spin: SpinRuntime;
  db: TestDatabase;
  stateDir: string;
  /** Lines the runtime logged (one per request, chained calls included) and the guests printed. */
  logs: string[];
  target: ServiceTarget;
  /** Stops the runtime and closes the test's database connection; the state directory stays (restarts reuse it). */
  dispose(): Promise<void>;
  /** {@link dispose}, then removes the state directory: the end of a test file's app. */
  stop(): Promise<void>;
}

export async function startApp(
  options: Partial<CreateOptions> = {},
  stateDir = mkdtempSync(join(tmpdir(), 'aggregates-e2e-')),
): Promise<AppRuntime> {
  const logs: string[] = [];
  const { create } = await loadRuntime();
  const spin = await create({
    from: join(ROOT, 'spin.toml'),
    cwd: ROOT,
    stateDir,
    sqlite: ['@migrations.sql'],
    env: {},
    log: (line) => logs.push(line),
    guestOutput: (component, _stream, text) => logs.push(`[${component}] ${text.trimEnd()}`),
    ...options,
  });
  const db = openSqliteFile(join(stateDir, 'sqlite_db.db'));
  const dispose = async (): Promise<void> => {
    await spin.dispose();
    db.close();
  };
  return {
    spin,
    db,
    stateDir,
    logs,
    target: { fetch: (path, init) => spin.fetch(path, init), sql: (statements) => db.exec(statements) },
    dispose,
    async stop() {
      await dispose();
      removeStateDir(stateDir);
    },
  };
}

/** Removes a state directory made by {@link startApp}. */
export const removeStateDir = (stateDir: string): void => rmSync(stateDir, { recursive: true, force: true });
