// Builds the conformance guest (guest/src/index.ts) to guest/dist/conformance.wasm with the app's own
// pipeline (scripts/build.mjs: webpack, then componentize-js against wit/world.wit). Incremental by input
// hash, so a repeated test run costs ~0 s.  Run by hand: node tests/conformance/build-guest.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildComponent } from '../../scripts/build.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The one Wasm file every replayed case loads. */
export const conformanceWasm = join(here, 'guest/dist/conformance.wasm');

/** Builds the guest unless its inputs are unchanged; returns 'built' or 'fresh'. */
export function buildConformanceGuest({ log = () => {} } = {}) {
  return buildComponent(
    { id: 'conformance-guest', dir: 'tests/conformance/guest', wasm: conformanceWasm, world: 'http-component' },
    { log },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildConformanceGuest({ log: (line) => console.log(`[conformance] ${line}`) });
}
