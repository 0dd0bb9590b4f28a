// Builds the app's own components (spin.toml at the repository root) for the tests that run them, one at a
// time (this machine is shared). Incremental by input hash, like every build here.
import { fileURLToPath } from 'node:url';
import { buildComponent, manifestComponents } from '../../scripts/build.mjs';

/** Builds each component of spin.toml unless its inputs are unchanged; returns their .wasm paths. */
export async function buildAppComponents({ log = () => {} } = {}) {
  const components = await manifestComponents();
  for (const component of components) await buildComponent(component, { log });
  return components.map((component) => component.wasm);
}

/**
 * spin-local's fixture guest built by the old toolchain (@fermyon/spin-sdk 2.0.0's j2w, componentize-js 0.10),
 * with this repository's pipeline (scripts/build.mjs), for the memory-growth trap regression tests; resolves with
 * its .wasm path. spin-local builds the current one itself (runtime/test-fixtures/build-fixtures.mjs).
 */
export async function buildSdkFixtureGuest({ log = () => {} } = {}) {
  const wasm = fileURLToPath(new URL('../../runtime/test-fixtures/guest/dist/guest-sdk.wasm', import.meta.url));
  await buildComponent(
    { id: 'runtime-fixture-guest-sdk', dir: 'runtime/test-fixtures/guest', wasm },
    { log, toolchain: 'sdk' },
  );
  return wasm;
}
