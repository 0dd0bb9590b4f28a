#!/usr/bin/env node
// Builds the Spin components to WebAssembly: TypeScript -> one ES module bundle (webpack) -> component.
//
//   node scripts/build.mjs [--force] [--quiet] [--toolchain componentize|sdk] [component ...]
//
// With no component names it builds every component listed in spin.toml. A component is skipped when the
// hash of everything that goes into it (its sources, common/, wit/, the lockfile, this script, the
// toolchain) matches the hash recorded beside its last build, so `npm start` after a build costs well
// under a second and prints one line.
//
// Beside each .wasm goes the source map of its bundle (`<name>.bundle.js.map`, sources relative to it):
// spin-local rewrites the guest's stack frames, which name `<name>.bundle.js`, to `src/*.ts` lines with it.
//
// Toolchains: `componentize` (default) is componentize-js 0.19.3 against the world in wit/world.wit.
// `sdk` is the j2w of @fermyon/spin-sdk 2.0.0 (componentize-js 0.10.5), kept only to measure and to show
// what it breaks: its engine traps on any Spin call once the guest's memory has grown (README, "Toolchain").
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import webpack from 'webpack';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Usage: npm run build -- [--force] [--quiet] [--toolchain componentize|sdk] [component ...]

Builds the components of spin.toml to .wasm, skipping those whose inputs did not change.
  --force       rebuild even when the inputs did not change
  --quiet       print only errors and the final summary
  --toolchain   componentize (default: componentize-js 0.19.3) or sdk (@fermyon/spin-sdk 2.0.0's j2w,
                for comparison only: its components trap once their memory grows)
  --help        show this text`;

/** The world of wit/world.wit a component is built against, unless it names another. */
export const DEFAULT_WORLD = 'http-component';

/** Runs a Node script as a child process (in `cwd`, default this one's); rejects with its output when it fails. */
function runNode(args, what, cwd = undefined) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${what} exited with ${code}:\n${output}`)),
    );
  });
}

export const TOOLCHAINS = {
  componentize: {
    describe: 'componentize-js 0.19.3',
    // Run in the bundle's folder: componentize-js names the script by its path from the working directory, and
    // the engine's stack frames show that name; from there it is the bundle's file name, the one the source map
    // describes, not the temporary folder the build works in.
    componentize: (bundlePath, wasmPath, world) =>
      runNode(
        [join(root, 'scripts/componentize.mjs'), bundlePath, wasmPath, world],
        'componentize-js',
        dirname(bundlePath),
      ),
  },
  sdk: {
    describe: '@fermyon/spin-sdk 2.0.0 j2w (componentize-js 0.10.5)',
    // The SDK's own world (spin-http) imports the same fermyon:spin@2.0.0 interfaces, at wasi 0.2.0.
    componentize: (bundlePath, wasmPath) => {
      const sdkDir = dirname(require.resolve('@fermyon/spin-sdk/package.json'));
      return runNode(
        [
          join(sdkDir, 'bin/j2w.mjs'),
          '-i',
          bundlePath,
          '-d',
          join(sdkDir, 'bin/wit'),
          '-n',
          'spin-http',
          '-o',
          wasmPath,
        ],
        'j2w',
      );
    },
  },
};

/** Files whose content decides a component's output, relative to the repository root. */
async function inputFiles(componentDir) {
  const files = [];
  for (const dir of [join(componentDir, 'src'), 'common/src', 'wit']) {
    for (const entry of await readdir(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && !entry.name.endsWith('.test.ts'))
        files.push(relative(root, join(entry.parentPath, entry.name)));
    }
  }
  files.push(
    'migrations.sql',
    'package-lock.json',
    'scripts/build.mjs',
    'scripts/componentize.mjs',
    'scripts/ts-loader.cjs',
    'tsconfig.base.json',
  );
  return files.sort();
}

async function inputHash(componentDir, toolchain, world) {
  const hash = createHash('sha256').update(`${toolchain}\0${world}\0`);
  for (const file of await inputFiles(componentDir)) {
    hash.update(file).update('\0');
    hash.update(existsSync(join(root, file)) ? await readFile(join(root, file)) : '').update('\0');
  }
  return hash.digest('hex');
}

/**
 * Bundles a component's browser script (`src/browser.ts`, the page component's) for browsers: one classic
 * script, minified. The component then imports it as text from `#browser-bundle?raw`.
 */
function bundleForBrowser(entry, outDir, filename) {
  return runWebpack({
    mode: 'production',
    target: ['web', 'es2022'],
    entry,
    context: root,
    output: { path: outDir, filename, iife: true },
    resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
    module: { rules: [{ test: /\.ts$/, loader: join(root, 'scripts/ts-loader.cjs') }] },
    devtool: false,
    performance: { hints: false },
  });
}

function runWebpack(config) {
  return new Promise((resolvePromise, reject) => {
    webpack(config, (err, stats) => {
      if (err) return reject(err);
      if (stats.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
      resolvePromise();
    });
  });
}

/**
 * Bundles a component's `src/index.ts` into `outDir/filename`, with its source map beside it (`filename.map`);
 * the map's source paths are relative to `finalDir`, the folder the bundle and map are renamed into.
 */
function bundle(entry, outDir, filename, browserBundle, finalDir) {
  const config = {
    mode: 'production',
    target: 'webworker',
    entry,
    context: root,
    experiments: { outputModule: true },
    output: {
      path: outDir,
      filename,
      module: true,
      library: { type: 'module' },
      // Each source's path from the map's final place (up to the component's src/), as a source map's relative
      // sources are read; webpack's own runtime modules keep a webpack:// name.
      devtoolModuleFilenameTemplate: (info) =>
        isAbsolute(info.absoluteResourcePath)
          ? relative(finalDir, info.absoluteResourcePath).split(sep).join('/')
          : `webpack:///${info.resourcePath}`,
    },
    resolve: {
      extensions: ['.ts', '.js'],
      extensionAlias: { '.js': ['.ts', '.js'] },
      ...(browserBundle ? { alias: { '#browser-bundle': browserBundle } } : {}),
    },
    module: {
      rules: [
        { test: /\.ts$/, loader: join(root, 'scripts/ts-loader.cjs') },
        // `import text from './x.sql?raw'` bundles the file's text (migrations.sql, for the schema bootstrap).
        { resourceQuery: /raw/, type: 'asset/source' },
      ],
    },
    // Host interfaces (`fermyon:spin/sqlite@2.0.0`, `wasi:...`) stay imports of the bundle: the toolchain
    // binds them to the component's WIT imports.
    externalsType: 'module',
    externals: [
      ({ request }, callback) => (/^(fermyon|wasi):/.test(request ?? '') ? callback(null, request) : callback()),
    ],
    // Wizer snapshots the module at build time; minifying buys little for an 11 MB component and hides stack traces.
    optimization: { minimize: false },
    // The positions only (no copy of the sources): what spin-local needs to map the guest's stack frames.
    devtool: 'nosources-source-map',
    performance: { hints: false },
  };
  return runWebpack(config);
}

/** Components declared in spin.toml, with the directory of their sources and the .wasm path Spin loads. */
export async function manifestComponents() {
  const manifest = parseToml(await readFile(join(root, 'spin.toml'), 'utf8'));
  return Object.entries(manifest.component ?? {}).map(([id, component]) => {
    const source = String(component.source);
    return { id, dir: source.split('/')[0], wasm: join(root, source) };
  });
}

/**
 * Builds one component unless its inputs are unchanged; returns 'built' or 'fresh'. The bundle and the
 * input hash live beside the .wasm (`<name>.bundle.js`, `<name>.build-hash`), so two builds of the same
 * sources (another toolchain, another output path) never mix.
 */
export async function buildComponent(
  { id, dir, wasm, world = DEFAULT_WORLD },
  { force = false, log = console.log, toolchain = 'componentize' } = {},
) {
  const chain = TOOLCHAINS[toolchain];
  if (!chain) throw new Error(`unknown toolchain '${toolchain}'; use ${Object.keys(TOOLCHAINS).join(' or ')}`);
  const outDir = dirname(wasm);
  const base = wasm.replace(/\.wasm$/, '');
  const stampPath = `${base}.build-hash`;
  const hash = await inputHash(dir, toolchain, world);
  if (!force && existsSync(wasm) && existsSync(stampPath) && (await readFile(stampPath, 'utf8')) === hash)
    return 'fresh';
  const started = performance.now();
  const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
  await mkdir(outDir, { recursive: true });
  await rm(stampPath, { force: true });
  // Several processes may build the same component at once (two test runs, say): each works in a folder of
  // its own and renames the result into place, so nobody ever loads a half-written .wasm. The bundle keeps
  // its final name, which the engine shows in stack traces.
  const bundlePath = `${base}.bundle.js`;
  const workDir = join(outDir, `.building-${process.pid}`);
  const ownBundle = join(workDir, basename(bundlePath));
  const ownWasm = join(workDir, basename(wasm));
  let bundled;
  try {
    await mkdir(workDir, { recursive: true });
    const browserEntry = join(root, dir, 'src/browser.ts');
    let browserBundle;
    log(`${id}: bundling ${dir}/src/${existsSync(browserEntry) ? '{browser,index}.ts' : 'index.ts'} (webpack)...`);
    if (existsSync(browserEntry)) {
      browserBundle = join(workDir, 'browser.js');
      await bundleForBrowser(browserEntry, workDir, 'browser.js');
    }
    await bundle(join(root, dir, 'src/index.ts'), workDir, basename(bundlePath), browserBundle, outDir);
    bundled = performance.now();
    log(`${id}: bundled in ${seconds(started)}; componentizing with ${chain.describe} (5-30 s)...`);
    await chain.componentize(ownBundle, ownWasm, world);
    await rename(ownBundle, bundlePath);
    // The map goes with its bundle; a build without one (none made) must not leave an older, wrong one.
    if (existsSync(`${ownBundle}.map`)) await rename(`${ownBundle}.map`, `${bundlePath}.map`);
    else await rm(`${bundlePath}.map`, { force: true });
    await rename(ownWasm, wasm);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  await writeFile(stampPath, hash);
  log(`${id}: built ${relative(root, wasm)} in ${seconds(started)} (componentize ${seconds(bundled)})`);
  return 'built';
}

/** Builds the named components (all by default), two at a time: each toolchain run is single-threaded. */
export async function buildAll({ names = [], force = false, quiet = false, toolchain = 'componentize' } = {}) {
  const all = await manifestComponents();
  const unknown = names.filter((n) => !all.some((c) => c.id === n));
  if (unknown.length > 0)
    throw new Error(`unknown component(s): ${unknown.join(', ')}; spin.toml has ${all.map((c) => c.id).join(', ')}`);
  const selected = names.length > 0 ? all.filter((c) => names.includes(c.id)) : all;
  const log = quiet ? () => {} : (line) => console.log(`[build] ${line}`);
  const queue = [...selected];
  const results = [];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) results.push(await buildComponent(c, { force, log, toolchain }));
  };
  const started = performance.now();
  await Promise.all([worker(), worker()]);
  const built = results.filter((r) => r === 'built').length;
  // Unchanged components print nothing of their own: with nothing to build, this line is the build's output.
  console.log(
    `[build] ${built} built, ${results.length - built} up to date (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        force: { type: 'boolean' },
        quiet: { type: 'boolean' },
        toolchain: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`error: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
  } else {
    try {
      await buildAll({ names: positionals, force: values.force, quiet: values.quiet, toolchain: values.toolchain });
    } catch (error) {
      console.error(`[build] error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  }
}
