/**
 * Turns a component `.wasm` into jco's JS glue plus core modules, once: the output is cached on disk under
 * a key made of the Wasm's sha256, the jco version and the transpile options, so a restart skips the
 * ~3 s transpile. The core modules are then compiled once per process and shared with every worker; the
 * one that defines the linear memory is compiled to import it instead, and where it can without its data
 * segments, whose bytes become the memory image that workers write into each memory (see memory-import.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exportInternals } from './core-exports.js';
import { compileOwnMemoryCore } from './memory-import.js';
import type { TranspiledModule } from './protocol.js';

/**
 * jco output with synchronous instantiation and no Node-specific glue; we supply every import ourselves.
 * Pinned jco 1.11: later versions add per-call bookkeeping that makes instantiation ~5x slower.
 */
const TRANSPILE_OPTIONS = {
  name: 'component',
  instantiation: 'sync',
  typescript: false,
  nodejsCompat: false,
  base64Cutoff: 0,
} as const;

/** Changes when what the cache holds changes (2: core modules export their globals and changeable tables). */
const CACHE_FORMAT = 2;

const require = createRequire(import.meta.url);

/**
 * Default cache location, where tools keep caches by convention: `node_modules/.cache/spin-local`, in the
 * `node_modules` this package is installed in (`<project>/node_modules/spin-local/dist/` -> `<project>/node_modules`),
 * or, for a checkout of the package itself (as in the repository that develops it), its own `node_modules`.
 */
export function defaultCacheDir(moduleUrl = import.meta.url): string {
  const packageDir = dirname(dirname(fileURLToPath(moduleUrl)));
  const parts = packageDir.split(sep);
  const installedIn = parts.lastIndexOf('node_modules');
  const modules = installedIn >= 0 ? parts.slice(0, installedIn + 1).join(sep) : join(packageDir, 'node_modules');
  return join(modules, '.cache', 'spin-local');
}
export const DEFAULT_CACHE_DIR = defaultCacheDir();

let jcoVersionMemo: string | undefined;
async function jcoVersion(): Promise<string> {
  if (!jcoVersionMemo) {
    const entry = require.resolve('@bytecodealliance/jco');
    const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
    jcoVersionMemo = pkg.version;
  }
  return jcoVersionMemo;
}

async function transpileInto(wasm: Uint8Array, dir: string): Promise<void> {
  const { transpile } = await import('@bytecodealliance/jco');
  // jco mutates the options object it is given.
  const { files } = await transpile(wasm, { ...TRANSPILE_OPTIONS });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  for (const [name, content] of Object.entries(files))
    // Core modules with their globals and changeable tables exported, so that an instance can be reset and
    // serve again (recycling.ts); done here, once, since it reads the whole code.
    await writeFile(join(tmp, name), name.endsWith('.wasm') ? (exportInternals(content) ?? content) : content);
  // The glue is an ES module; the cache folder is outside any package.json with "type": "module".
  await writeFile(join(tmp, 'package.json'), '{ "type": "module" }\n');
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

/** Entries kept whatever their age, and how long any other entry may stay unused (each is ~10-20 MB). */
const KEEP_NEWEST = 24;
const MAX_UNUSED_MS = 7 * 24 * 3600 * 1000;

/**
 * Removes cache entries beyond the {@link KEEP_NEWEST} most recently used that nobody used for a week: every
 * build of a component makes a new entry. Entries another process may still load are recent, so they stay.
 */
async function prune(cacheDir: string, now = Date.now()): Promise<void> {
  const entries = await Promise.all(
    (await readdir(cacheDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && /^[0-9a-f]{32}$/.test(e.name))
      .map(async (e) => ({ path: join(cacheDir, e.name), usedAt: (await stat(join(cacheDir, e.name))).mtimeMs })),
  );
  const stale = entries
    .sort((a, b) => b.usedAt - a.usedAt)
    .slice(KEEP_NEWEST)
    .filter((e) => now - e.usedAt > MAX_UNUSED_MS);
  await Promise.all(stale.map((e) => rm(e.path, { recursive: true, force: true })));
}

export interface LoadedComponent {
  key: string;
  module: TranspiledModule;
  transpiled: boolean;
  /** How long the transpile took, when there was one (a cache miss). */
  transpileMs?: number;
}

/**
 * Returns the component's glue and compiled core modules, transpiling only on a cache miss; `onTranspile` is
 * called just before a transpile starts, so that a caller can say why the start takes seconds.
 */
export async function loadComponentCode(
  wasmPath: string,
  cacheDir = DEFAULT_CACHE_DIR,
  hooks: { onTranspile?(): void } = {},
): Promise<LoadedComponent> {
  const wasm = await readFile(wasmPath);
  const key = createHash('sha256')
    .update(wasm)
    .update(`\0jco@${await jcoVersion()}\0${JSON.stringify(TRANSPILE_OPTIONS)}\0${CACHE_FORMAT}`)
    .digest('hex')
    .slice(0, 32);
  const dir = join(cacheDir, key);
  const transpiled = !existsSync(join(dir, 'component.js'));
  let transpileMs: number | undefined;
  if (transpiled) {
    hooks.onTranspile?.();
    const started = performance.now();
    await transpileInto(wasm, dir);
    transpileMs = performance.now() - started;
    await prune(cacheDir).catch(() => {}); // housekeeping only: a failure here must not stop a start
  } else {
    const now = new Date();
    await utimes(dir, now, now).catch(() => {}); // marks the entry as used, for prune()
  }
  const cores: Record<string, WebAssembly.Module> = {};
  let ownMemory: TranspiledModule['ownMemory'];
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.wasm'))) {
    const bytes = await readFile(join(dir, name));
    const own = ownMemory ? undefined : await compileOwnMemoryCore(bytes);
    if (own) ownMemory = { core: name, initialPages: own.initialPages, ...(own.image ? { image: own.image } : {}) };
    cores[name] = own ? own.core : await WebAssembly.compile(bytes);
  }
  return {
    key,
    module: { glueUrl: pathToFileURL(join(dir, 'component.js')).href, cores, ...(ownMemory ? { ownMemory } : {}) },
    transpiled,
    ...(transpileMs === undefined ? {} : { transpileMs }),
  };
}
