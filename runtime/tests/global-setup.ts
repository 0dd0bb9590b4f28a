/**
 * vitest globalSetup of spin-local's tests: compile src/ to dist/ (the workers load plain JS, so the tests
 * drive the files the CLI runs) and build the fixture guest, then transpile it once, so that the first test
 * to start a runtime does not spend its time limit on that. Every step is incremental: with nothing changed
 * it costs a second or two. The app's test setup (tests/runtime/global-setup.ts) calls `prepareRuntimeTests`.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TranspileCache from '../src/transpile-cache.js';
import { buildFixtures, guestWasm } from '../test-fixtures/build-fixtures.mjs';

const packageRoot = fileURLToPath(new URL('../', import.meta.url));

/** Compiles the runtime, builds the fixture guest; returns the dist's `loadComponentCode` for more Wasm. */
export async function prepareRuntimeTests(
  log: (line: string) => void,
): Promise<typeof TranspileCache.loadComponentCode> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: packageRoot, stdio: 'inherit' });
  await buildFixtures({ log });
  const { loadComponentCode } = (await import(join(packageRoot, 'dist/transpile-cache.js'))) as typeof TranspileCache;
  const { transpiled } = await loadComponentCode(guestWasm);
  if (transpiled) log('transpiled the fixture guest');
  return loadComponentCode;
}

export default async function setup(): Promise<void> {
  await prepareRuntimeTests((line) => console.log(`[spin-local tests] ${line}`));
}
