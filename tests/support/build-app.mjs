// Builds the app's own components (spin.toml at the repository root) for the tests that run them, one at a
// time (this machine is shared). Incremental by input hash, like every build here.
import { buildComponent, manifestComponents } from '../../scripts/build.mjs';

/** Builds each component of spin.toml unless its inputs are unchanged; returns their .wasm paths. */
export async function buildAppComponents({ log = () => {} } = {}) {
  const components = await manifestComponents();
  for (const component of components) await buildComponent(component, { log });
  return components.map((component) => component.wasm);
}
