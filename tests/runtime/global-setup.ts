/**
 * vitest globalSetup: before any test file runs, compile the local runtime to runtime/dist (workers need
 * plain JS) and build the Wasm the tests load: the fixture guest, the conformance guest and the app's
 * components. All steps are incremental, so a run with nothing changed costs a second or two.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type * as TranspileCache from '../../runtime/src/transpile-cache.js';
import { buildFixtures, guestWasm } from '../../runtime/test-fixtures/build-fixtures.mjs';
import { buildConformanceGuest, conformanceWasm } from '../conformance/build-guest.mjs';
import { buildAppComponents } from '../support/build-app.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Every tier but `unit` names this file (vitest.config.ts), and vitest runs it once for each tier in the run, all in
 * its one main process: the build is done by the first and shared by the others.
 */
const BUILT = Symbol.for('spin-aggregates-dashboard: tests built');

export default async function setup(): Promise<void> {
  const shared = globalThis as typeof globalThis & { [BUILT]?: Promise<void> };
  shared[BUILT] ??= build();
  await shared[BUILT];
}

async function build(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'runtime/tsconfig.json'], { cwd: root, stdio: 'inherit' });
  const log = (line: string): void => console.log(`[runtime tests] ${line}`);
  await buildFixtures({ log });
  await buildConformanceGuest({ log });
  const apps = await buildAppComponents({ log });
  // Transpile each component once here (5-15 s each on a fresh checkout), so that the first runtime a test
  // starts only loads them from the cache instead of spending a test's time limit on it.
  const { loadComponentCode } = (await import(join(root, 'runtime/dist/transpile-cache.js'))) as typeof TranspileCache;
  for (const wasm of [guestWasm, conformanceWasm, ...apps]) {
    const { transpiled } = await loadComponentCode(wasm);
    if (transpiled) log(`transpiled ${wasm.slice(root.length)}`);
  }
}
