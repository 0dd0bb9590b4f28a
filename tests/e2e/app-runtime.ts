/**
 * The app's real Wasm components (all of spin.toml's) on the local runtime, as `npm start` runs them: spin.toml,
 * a fresh state directory, `--sqlite @migrations.sql`. Tests reach the SQLite file the components use directly,
 * to load data with plain SQL as a user would.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { CreateOptions, SpinRuntime } from 'spin-local';
import { startSpinApp, useSpinApp, type TestApp } from 'spin-local/vitest';
import type { ServiceTarget } from '../contract/target';
import { openSqliteFile, type TestDatabase } from '../support/sqlite';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What `npm start` gives the runtime: this repository's spin.toml, migrations.sql, no environment variables. */
const appOptions = (options: Partial<CreateOptions>): CreateOptions => ({
  from: join(ROOT, 'spin.toml'),
  cwd: ROOT,
  sqlite: ['@migrations.sql'],
  env: {},
  ...options,
});

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

/** The test's own connection to the app's SQLite file, and the contract tests' view of the app. */
function withDatabase(app: TestApp): Pick<AppRuntime, 'db' | 'target'> {
  const db = openSqliteFile(join(app.stateDir, 'sqlite_db.db'));
  return { db, target: { fetch: (path, init) => app.fetch(path, init), sql: (statements) => db.exec(statements) } };
}

/**
 * The app started now, in `stateDir` (default: a new temporary folder). For tests that start and restart apps
 * themselves; a test file with one app uses {@link useApp}.
 */
export async function startApp(options: Partial<CreateOptions> = {}, stateDir?: string): Promise<AppRuntime> {
  const app = await startSpinApp(appOptions(stateDir === undefined ? options : { ...options, stateDir }));
  const { db, target } = withDatabase(app);
  const dispose = async (): Promise<void> => {
    // The state folder stays: a restart reuses it (removeStateDir ends it).
    await app.runtime.dispose();
    db.close();
  };
  return {
    spin: app.runtime,
    db,
    stateDir: app.stateDir,
    logs: app.logs,
    target,
    dispose,
    async stop() {
      await dispose();
      removeStateDir(app.stateDir);
    },
  };
}

/**
 * One app for the test file (or `describe`): spin-local's vitest helper with this repository's app, plus the
 * test's connection to its SQLite file. Started in `beforeAll`, stopped with its state removed in `afterAll`.
 */
export function useApp(options: Partial<CreateOptions> = {}): Omit<AppRuntime, 'dispose' | 'stop'> {
  const app = useSpinApp(() => appOptions(options));
  let opened: Pick<AppRuntime, 'db' | 'target'> | undefined;
  const database = (): Pick<AppRuntime, 'db' | 'target'> => {
    if (opened === undefined) throw new Error('useApp: the app starts in beforeAll');
    return opened;
  };
  // Registered after useSpinApp's hooks: opens once the app runs, closes before it stops.
  beforeAll(() => {
    opened = withDatabase(app);
  });
  afterAll(() => opened?.db.close());
  return {
    get spin() {
      return app.runtime;
    },
    get db() {
      return database().db;
    },
    get target() {
      return database().target;
    },
    get stateDir() {
      return app.stateDir;
    },
    get logs() {
      return app.logs;
    },
  };
}

/** Removes a state directory made by {@link startApp}. */
export const removeStateDir = (stateDir: string): void => rmSync(stateDir, { recursive: true, force: true });
