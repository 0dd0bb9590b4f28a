#!/usr/bin/env node
// Builds the Spin components to WebAssembly: TypeScript -> one ES module bundle (webpack) -> component (j2w).
//
//   node scripts/build.mjs [--force] [--quiet] [component ...]
//
// With no component names it builds every component listed in spin.toml. A component is skipped when the
// hash of everything that goes into it (its sources, common/, the lockfile, this script) matches the hash
// recorded beside its last build, so `npm start` after a build costs well under a second.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import webpack from 'webpack';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sdkDir = dirname(require.resolve('@fermyon/spin-sdk/package.json'));
const SpinSdkPlugin = require('@fermyon/spin-sdk/plugins/webpack');

const USAGE = `Usage: npm run build -- [--force] [--quiet] [component ...]

Builds the components of spin.toml to .wasm, skipping those whose inputs did not change.
  --force   rebuild even when the inputs did not change
  --quiet   print only errors and the final summary
  --help    show this text`;

/** Files whose content decides a component's output, relative to the repository root. */
async function inputFiles(componentDir) {
  const files = [];
  for (const dir of [join(componentDir, 'src'), 'common/src']) {
    for (const entry of await readdir(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && !entry.name.endsWith('.test.ts')) files.push(relative(root, join(entry.parentPath, entry.name)));
    }
  }
  files.push('migrations.sql', 'package-lock.json', 'scripts/build.mjs', 'scripts/ts-loader.cjs', 'tsconfig.base.json');
  return files.sort();
}

async function inputHash(componentDir) {
  const hash = createHash('sha256');
  for (const file of await inputFiles(componentDir)) {
    hash.update(file).update('\0');
    hash.update(existsSync(join(root, file)) ? await readFile(join(root, file)) : '').update('\0');
  }
  return hash.digest('hex');
}

function bundle(entry, outDir) {
  const config = {
    mode: 'production',
    target: 'webworker',
    entry,
    context: root,
    experiments: { outputModule: true },
    output: { path: outDir, filename: 'bundle.js', module: true, library: { type: 'module' } },
    resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
    module: {
      rules: [
        { test: /\.ts$/, loader: join(root, 'scripts/ts-loader.cjs') },
        // `import text from './x.sql?raw'` bundles the file's text (migrations.sql, for the schema bootstrap).
        { resourceQuery: /raw/, type: 'asset/source' },
      ],
    },
    // Wizer snapshots the module at build time; minifying buys little for an 11 MB component and hides stack traces.
    optimization: { minimize: false },
    devtool: false,
    performance: { hints: false },
    plugins: [new SpinSdkPlugin()],
  };
  return new Promise((resolvePromise, reject) => {
    webpack(config, (err, stats) => {
      if (err) return reject(err);
      if (stats.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
      resolvePromise();
    });
  });
}

function componentize(bundlePath, wasmPath) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [join(sdkDir, 'bin/j2w.mjs'), '-i', bundlePath, '-d', join(sdkDir, 'bin/wit'), '-n', 'spin-http', '-o', wasmPath],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`j2w exited with ${code}:\n${output}`))));
  });
}

/** Components declared in spin.toml, with the directory of their sources and the .wasm path Spin loads. */
export async function manifestComponents() {
  const manifest = parseToml(await readFile(join(root, 'spin.toml'), 'utf8'));
  return Object.entries(manifest.component ?? {}).map(([id, component]) => {
    const source = String(component.source);
    return { id, dir: source.split('/')[0], wasm: join(root, source) };
  });
}

/** Builds one component unless its inputs are unchanged; returns 'built' or 'fresh'. */
export async function buildComponent({ id, dir, wasm }, { force = false, log = console.log } = {}) {
  const outDir = dirname(wasm);
  const stampPath = join(outDir, '.build-hash');
  const hash = await inputHash(dir);
  if (!force && existsSync(wasm) && existsSync(stampPath) && (await readFile(stampPath, 'utf8')) === hash) {
    log(`${id}: up to date`);
    return 'fresh';
  }
  const started = performance.now();
  await mkdir(outDir, { recursive: true });
  await rm(stampPath, { force: true });
  log(`${id}: bundling ${dir}/src/index.ts`);
  await bundle(join(root, dir, 'src/index.ts'), outDir);
  log(`${id}: componentizing (takes ~10 s)`);
  await componentize(join(outDir, 'bundle.js'), wasm);
  await writeFile(stampPath, hash);
  log(`${id}: built ${relative(root, wasm)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 'built';
}

/** Builds the named components (all by default), two at a time: j2w is single-threaded and needs ~1.3 GB. */
export async function buildAll({ names = [], force = false, quiet = false } = {}) {
  const all = await manifestComponents();
  const unknown = names.filter((n) => !all.some((c) => c.id === n));
  if (unknown.length > 0) throw new Error(`unknown component(s): ${unknown.join(', ')}; spin.toml has ${all.map((c) => c.id).join(', ')}`);
  const selected = names.length > 0 ? all.filter((c) => names.includes(c.id)) : all;
  const log = quiet ? () => {} : (line) => console.log(`[build] ${line}`);
  const queue = [...selected];
  const results = [];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) results.push(await buildComponent(c, { force, log }));
  };
  const started = performance.now();
  await Promise.all([worker(), worker()]);
  const built = results.filter((r) => r === 'built').length;
  console.log(`[build] ${built} built, ${results.length - built} up to date (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
  } else {
    const badFlag = args.find((a) => a.startsWith('-') && !['--force', '--quiet'].includes(a));
    if (badFlag) {
      console.error(`error: unknown flag ${badFlag}\n\n${USAGE}`);
      process.exit(2);
    }
    try {
      await buildAll({ names: args.filter((a) => !a.startsWith('-')), force: args.includes('--force'), quiet: args.includes('--quiet') });
    } catch (error) {
      console.error(`[build] error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  }
}
