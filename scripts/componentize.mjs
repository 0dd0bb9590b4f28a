#!/usr/bin/env node
// Turns one ES module bundle into a Spin component with componentize-js (StarlingMonkey inside).
//
//   node scripts/componentize.mjs <bundle.js> <out.wasm> <world>
//
// The world comes from wit/world.wit. Run as its own process by scripts/build.mjs: componentize-js blocks
// its thread while Wizer snapshots the module, so two builds in one process would not overlap.
import { componentize } from '@bytecodealliance/componentize-js';
import { preview1AdapterReactorPath } from '@bytecodealliance/jco';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The WASI preview1 adapter of the jco the runtime transpiles with (1.11.2): it keeps every WASI import at
 * 0.2.3, the version the world names. componentize-js's own default (from a newer jco) imports 0.2.12.
 */
const adapter = fileURLToPath(preview1AdapterReactorPath());

const [bundle, out, worldName] = process.argv.slice(2);
if (!bundle || !out || !worldName) {
  console.error('usage: node scripts/componentize.mjs <bundle.js> <out.wasm> <world>');
  process.exit(2);
}
const { component } = await componentize({
  sourcePath: resolve(bundle),
  witPath: join(root, 'wit'),
  worldName,
  preview2Adapter: adapter,
});
await writeFile(out, component);
