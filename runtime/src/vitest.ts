/**
 * `spin-local/vitest`: a Spin app on the runtime for a vitest test file, one app per file (or per `describe`),
 * its state (SQLite files, key-value stores) in a temporary folder that goes when the file is done.
 *
 * @example
 *   import { useSpinApp } from 'spin-local/vitest';
 *   const app = useSpinApp({ from: 'spin.toml', sqlite: ['@migrations.sql'] });
 *   it('counts', async () => expect((await app.fetch('/items/count')).status).toBe(200));
 *
 * Kept apart from the main entry point so that using the runtime never loads vitest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { create, type CreateOptions, type SpinRuntime } from './index.js';

export interface TestApp {
  /** The running runtime (throws before the app started or after it stopped). */
  readonly runtime: SpinRuntime;
  /** The state folder: `sqlite_db.db`, `sqlite_key_value.db` and the stores named in a runtime config. */
  readonly stateDir: string;
  /** What the runtime logged (one line per request, chained calls included) and the guests printed, in order. */
  readonly logs: string[];
  /** `runtime.fetch`: in-process, no socket. */
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
  /** Stops the runtime and starts it again on the same state folder (what a user's restart does); `options` add. */
  restart(options?: Partial<CreateOptions>): Promise<void>;
  /** Stops the runtime and removes the state folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts an app now. Unless `options.stateDir` is given, its state lives in a new temporary folder that
 * {@link TestApp.stop} removes. Logs and guest output are collected in `logs` unless `options` routes them.
 */
export async function startSpinApp(options: CreateOptions = {}): Promise<TestApp> {
  const ownDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'spin-local-test-'));
  const logs: string[] = [];
  const collect = {
    log: (line: string) => logs.push(line),
    guestOutput: (component: string, _stream: 'stdout' | 'stderr', text: string) =>
      logs.push(`[${component}] ${text.trimEnd()}`),
  };
  let current: SpinRuntime | undefined = await create({ ...collect, ...options, stateDir });
  let stopped = false;
  const running = (): SpinRuntime => {
    if (current === undefined) throw new Error(stopped ? 'the app was stopped' : 'the app is restarting');
    return current;
  };
  return {
    get runtime() {
      return running();
    },
    stateDir,
    logs,
    fetch: (input, init) => running().fetch(input, init),
    async restart(more = {}) {
      const previous = running();
      current = undefined;
      await previous.dispose();
      current = await create({ ...collect, ...options, ...more, stateDir });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await current?.dispose();
      current = undefined;
      if (ownDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * One app for the enclosing test file or `describe`: started in `beforeAll`, stopped (its temporary state
 * removed) in `afterAll`. `options` may be a function, called in `beforeAll` (for values known only then).
 * The returned object is usable from the tests and later hooks on; before `beforeAll` ran it throws.
 * `timeoutMs` bounds the start and the stop (default 120 s: a first start transpiles each component, 5-15 s
 * apiece, where vitest's own default for a hook is 10 s).
 */
export function useSpinApp(
  options: CreateOptions | (() => CreateOptions | Promise<CreateOptions>) = {},
  { timeoutMs = 120_000 }: { timeoutMs?: number } = {},
): TestApp {
  let app: TestApp | undefined;
  const started = (): TestApp => {
    if (app === undefined) throw new Error('useSpinApp: the app starts in beforeAll; use it from tests or later hooks');
    return app;
  };
  beforeAll(async () => {
    app = await startSpinApp(typeof options === 'function' ? await options() : options);
  }, timeoutMs);
  afterAll(async () => {
    await app?.stop();
  }, timeoutMs);
  return {
    get runtime() {
      return started().runtime;
    },
    get stateDir() {
      return started().stateDir;
    },
    get logs() {
      return started().logs;
    },
    fetch: (input, init) => started().fetch(input, init),
    restart: (more) => started().restart(more),
    stop: () => started().stop(),
  };
}
