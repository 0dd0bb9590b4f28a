// One ES module -> one Spin component with componentize-js, as its own process (see build-fixtures.mjs).
//
//   node test-fixtures/componentize.mjs <module.js> <out.wasm> <wit dir> <world>
import { componentize } from '@bytecodealliance/componentize-js';
import { preview1AdapterReactorPath } from '@bytecodealliance/jco';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [source, out, witPath, worldName] = process.argv.slice(2);
if (!source || !out || !witPath || !worldName) {
  console.error('usage: node test-fixtures/componentize.mjs <module.js> <out.wasm> <wit dir> <world>');
  process.exit(2);
}
// The WASI preview1 adapter of the jco spin-local transpiles with: every WASI import stays at 0.2.3, the
// version the world names (componentize-js's default, from a newer jco, imports 0.2.12).
const { component } = await componentize({
  sourcePath: resolve(source),
  witPath: resolve(witPath),
  worldName,
  preview2Adapter: fileURLToPath(preview1AdapterReactorPath()),
});
await writeFile(out, component);
