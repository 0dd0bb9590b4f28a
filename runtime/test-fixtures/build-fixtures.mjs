// Builds the fixture guest of the runtime's tests to Wasm: guest/src/index.ts -> JavaScript (TypeScript's
// transpileModule: one file, its only imports are the `fermyon:`/`wasi:` host modules, so no bundler) ->
// a component (componentize-js, in a child process: it blocks its thread while Wizer snapshots the module).
// Beside guest.wasm go its JavaScript and that file's source map, guest.js.map, which spin-local reads to point
// the guest's stack frames (`handle@guest.js:250:9`) at runtime/test-fixtures/guest/src/index.ts.
// Incremental by input hash, so a repeated test run costs ~0 s; safe when two test runs build at once.
//
//   node test-fixtures/build-fixtures.mjs [--force]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The manifest that declares the guest several times, under different ids and permissions. */
export const fixtureManifest = join(here, 'spin.toml');

/** The one Wasm file every fixture component loads. */
export const guestWasm = join(here, 'guest/dist/guest.wasm');

/** The guest's sources and the folder of the WIT world it is built against. */
export const guestSource = join(here, 'guest/src/index.ts');
export const fixtureWit = join(here, 'wit');
const WORLD = 'runtime-fixture';

/** A package's installed version, found as Node finds the package: in the nearest node_modules holding it. */
async function installedVersion(name) {
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return JSON.parse(await readFile(manifest, 'utf8')).version;
  }
  throw new Error(`${name} is not installed`);
}

/** What decides the output: the sources, the WIT, this builder and the versions of the tools. */
async function inputHash() {
  const hash = createHash('sha256');
  const files = [guestSource, fileURLToPath(import.meta.url), join(here, 'componentize.mjs')];
  for (const entry of await readdir(fixtureWit, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
  for (const file of files.sort())
    hash
      .update(relative(here, file))
      .update('\0')
      .update(await readFile(file));
  for (const name of ['typescript', '@bytecodealliance/componentize-js', '@bytecodealliance/jco'])
    hash.update(`${name}@${await installedVersion(name)}\0`);
  return hash.digest('hex');
}

function componentize(source, out) {
  return new Promise((resolve, reject) => {
    // In the source's folder: componentize-js names the script by its path from the working directory, and
    // stack frames show that name; from there it is the file name alone, as the source map names it.
    const child = spawn(process.execPath, [join(here, 'componentize.mjs'), source, out, fixtureWit, WORLD], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dirname(source),
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`componentize-js exited ${code}:\n${output}`)),
    );
  });
}

/** Builds the guest unless its inputs are unchanged; returns 'built' or 'fresh'. */
export async function buildFixtures({ log = () => {}, force = false } = {}) {
  const stamp = guestWasm.replace(/\.wasm$/, '.build-hash');
  const hash = await inputHash();
  if (!force && existsSync(guestWasm) && existsSync(stamp) && (await readFile(stamp, 'utf8')) === hash) {
    log('fixture guest: up to date');
    return 'fresh';
  }
  const started = performance.now();
  const outDir = dirname(guestWasm);
  // Each build works in a folder of its own and renames the result into place: a concurrent test run never
  // loads a half-written .wasm.
  const workDir = join(outDir, `.building-${process.pid}`);
  try {
    await mkdir(workDir, { recursive: true });
    await rm(stamp, { force: true });
    const ts = (await import('typescript')).default;
    const { outputText, sourceMapText } = ts.transpileModule(await readFile(guestSource, 'utf8'), {
      fileName: guestSource,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
        sourceMap: true,
      },
    });
    // The file name shows in the engine's stack traces.
    const js = join(workDir, 'guest.js');
    await writeFile(js, outputText.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n'));
    // Sources relative to the map's final place (guest/dist/), as a source map's relative sources are read.
    const map = { ...JSON.parse(sourceMapText ?? '{}'), file: 'guest.js', sourceRoot: '' };
    map.sources = [relative(outDir, guestSource)];
    await writeFile(join(workDir, 'guest.js.map'), JSON.stringify(map));
    log('fixture guest: componentizing (takes 5-15 s)');
    await componentize(js, join(workDir, 'guest.wasm'));
    await rename(join(workDir, 'guest.wasm'), guestWasm);
    await rename(js, join(outDir, 'guest.js'));
    await rename(join(workDir, 'guest.js.map'), join(outDir, 'guest.js.map'));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  await writeFile(stamp, hash);
  log(`fixture guest: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 'built';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildFixtures({ log: (line) => console.log(`[fixtures] ${line}`), force: process.argv.includes('--force') });
}
