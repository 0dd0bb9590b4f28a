/**
 * vitest globalSetup: before any test file runs, compile spin-local and build its fixture guest (its own
 * setup, runtime/tests/global-setup.ts), then build the Wasm of this repository's tests: the conformance
 * guest and the app's components, each transpiled once. All steps are incremental, so a run with nothing
 * changed costs a second or two.
 */
import { fileURLToPath } from 'node:url';
import { prepareRuntimeTests } from '../../runtime/tests/global-setup';
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
  const log = (line: string): void => console.log(`[tests] ${line}`);
  const loadComponentCode = await prepareRuntimeTests(log);
  await buildConformanceGuest({ log });
  const apps = await buildAppComponents({ log });
  // Transpile each component once here (5-15 s each on a fresh checkout), so that the first runtime a test
  // starts only loads them from the cache instead of spending a test's time limit on it.
  for (const wasm of [conformanceWasm, ...apps]) {
    const { transpiled } = await loadComponentCode(wasm);
    if (transpiled) log(`transpiled ${wasm.slice(root.length)}`);
  }
}
