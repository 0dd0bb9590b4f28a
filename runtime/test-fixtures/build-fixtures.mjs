// Builds the fixture guest of the runtime's tests and benchmark to Wasm, with the same pipeline as the app's
// components (scripts/build.mjs). Incremental by input hash, so a repeated test run costs ~0 s.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildComponent } from '../../scripts/build.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The manifest that declares the guest several times, under different ids and permissions. */
export const fixtureManifest = join(here, 'spin.toml');

/** The one Wasm file every fixture component loads. */
export const guestWasm = join(here, 'guest/dist/guest.wasm');

/** The same guest built by the old toolchain (@fermyon/spin-sdk 2.0.0's j2w), for the trap regression tests. */
export const sdkGuestWasm = join(here, 'guest/dist/guest-sdk.wasm');

/** Builds the guest unless its inputs are unchanged; returns 'built' or 'fresh'. */
export async function buildFixtures({ log = () => {}, toolchain = 'componentize' } = {}) {
  const wasm = toolchain === 'sdk' ? sdkGuestWasm : guestWasm;
  return buildComponent(
    { id: 'runtime-fixture-guest', dir: 'runtime/test-fixtures/guest', wasm, world: 'runtime-fixture' },
    { log, toolchain },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildFixtures({ log: (line) => console.log(`[fixtures] ${line}`) });
}
