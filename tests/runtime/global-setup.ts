/**
 * vitest globalSetup: before any test file runs, compile the local runtime to runtime/dist (workers need
 * plain JS) and build the Wasm the tests load: the fixture guest, the conformance guest and the app's
 * components. All steps are incremental, so a run with nothing changed costs a second or two.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildAppComponents, buildFixtures } from '../../runtime/test-fixtures/build-fixtures.mjs';
import { buildConformanceGuest } from '../conformance/build-guest.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

export default async function setup(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'runtime/tsconfig.json'], { cwd: root, stdio: 'inherit' });
  const log = (line: string): void => console.log(`[runtime tests] ${line}`);
  await buildFixtures({ log });
  await buildConformanceGuest({ log });
  await buildAppComponents({ log });
}
