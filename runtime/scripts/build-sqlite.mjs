#!/usr/bin/env node
// Builds better-sqlite3 from source with the SQLite dialect of Spin (npm `postinstall`; also by hand).
//
//   node scripts/build-sqlite.mjs [--force] [--check]
//
// Spin's SQLite is rusqlite's `bundled` build. better-sqlite3's own build (and its prebuilt binaries) sets
// SQLITE_DQS=0 (double-quoted strings refused), math functions and UPDATE/DELETE ... LIMIT, so SQL written
// for Spin fails here and SQL that fails on Spin passes here. better-sqlite3's `--sqlite3=<dir>` build option
// takes a custom amalgamation and then applies none of its own defines (except COLUMN_METADATA): we copy
// the sqlite3.c/.h it ships into node_modules/.cache/spin-sqlite3/ with Spin's defines at the top and run
// node-gyp on it. package.json `allowScripts` keeps better-sqlite3's own install script (prebuild-install,
// which would download the wrong dialect) from running.
//
// Skipped when the installed binary already loads and reports our compile options (checked in a child
// process, so a binary built for another Node version counts as missing). --force rebuilds anyway;
// --check only reports (exit 1 when a build is needed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The runtime's SQLite hooks, and the name of their init function (it carries their version). */
const HOOKS_SOURCE = fileURLToPath(new URL('../native/spin-host-sqlite.c', import.meta.url));
const HOOKS_INIT = 'spin_host_init_v1';

/**
 * The compile-time defines of libsqlite3-sys 0.32.0's build.rs (`bundled` feature), the version under
 * rusqlite 0.34, which Spin 3.x pins (crates/sqlite-inproc: features "bundled", "hooks"; "hooks" adds
 * none). Deliberately absent, as there: SQLITE_DQS (SQLite's default 3: double-quoted strings accepted),
 * SQLITE_ENABLE_MATH_FUNCTIONS, SQLITE_ENABLE_UPDATE_DELETE_LIMIT. Value '1' is what `-DNAME` means.
 */
const SPIN_DEFINES = [
  ['SQLITE_CORE', '1'],
  ['SQLITE_DEFAULT_FOREIGN_KEYS', '1'],
  ['SQLITE_ENABLE_API_ARMOR', '1'],
  ['SQLITE_ENABLE_COLUMN_METADATA', '1'],
  ['SQLITE_ENABLE_DBSTAT_VTAB', '1'],
  ['SQLITE_ENABLE_FTS3', '1'],
  ['SQLITE_ENABLE_FTS3_PARENTHESIS', '1'],
  ['SQLITE_ENABLE_FTS5', '1'],
  ['SQLITE_ENABLE_JSON1', '1'],
  ['SQLITE_ENABLE_LOAD_EXTENSION', '1'],
  ['SQLITE_ENABLE_MEMORY_MANAGEMENT', '1'],
  ['SQLITE_ENABLE_RTREE', '1'],
  ['SQLITE_ENABLE_STAT4', '1'],
  ['SQLITE_SOUNDEX', '1'],
  ['SQLITE_THREADSAFE', '1'],
  ['SQLITE_USE_URI', '1'],
  ['HAVE_USLEEP', '1'],
  ['HAVE_ISNAN', '1'],
  ['_POSIX_THREAD_SAFE_FUNCTIONS', '1'],
  ...(process.platform === 'win32' ? [] : [['HAVE_LOCALTIME_R', '1']]),
  // Not rusqlite's, and no effect on Spin, which keeps SQLite's default rollback journal: the runtime uses
  // WAL (several workers share a file), where this keeps commits from waiting on an fsync each (~40x
  // slower writes here), as better-sqlite3's stock build does.
  ['SQLITE_DEFAULT_WAL_SYNCHRONOUS', '1'],
  // Not rusqlite's either: the runtime's hooks (runtime/native/spin-host-sqlite.c, appended to the
  // amalgamation), which let it stop a guest's statement at the request's deadline. No effect on SQL.
  ['SQLITE_EXTRA_INIT', HOOKS_INIT],
];

/**
 * How `PRAGMA compile_options` shows a binary built by this script: what it must list, and what it must
 * not (better-sqlite3's own build lists THREADSAFE=2, DQS=0, ENABLE_MATH_FUNCTIONS, ...).
 */
const EXPECTED_OPTIONS = [
  `EXTRA_INIT=${HOOKS_INIT}`,
  'THREADSAFE=1',
  'ENABLE_API_ARMOR',
  'DEFAULT_FOREIGN_KEYS',
  'DEFAULT_WAL_SYNCHRONOUS=1',
  'ENABLE_FTS5',
  'ENABLE_STAT4',
  'SOUNDEX',
  'USE_URI',
];
const FORBIDDEN_OPTIONS = ['DQS=0', 'ENABLE_MATH_FUNCTIONS', 'ENABLE_UPDATE_DELETE_LIMIT'];

const log = (line) => console.log(`[build-sqlite] ${line}`);

/** Loads better-sqlite3 in a child process (a fresh load, and a crash there cannot take us down). */
function inspectBinary(packageDir) {
  const probe = `
    const Database = require(${JSON.stringify(packageDir)});
    const db = new Database(':memory:');
    const options = db.pragma('compile_options').map((row) => row.compile_options);
    process.stdout.write(JSON.stringify({ version: db.prepare('SELECT sqlite_version() AS v').get().v, options }));`;
  const child = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (child.status !== 0) {
    const error = child.stderr.split('\n').find((line) => /Error/.test(line)) ?? 'does not load';
    return { loads: false, reason: /Could not locate the bindings file/.test(error) ? 'not built yet' : error.trim() };
  }
  const { version, options } = JSON.parse(child.stdout);
  const missing = EXPECTED_OPTIONS.filter((o) => !options.includes(o));
  const unwanted = FORBIDDEN_OPTIONS.filter((o) => options.includes(o));
  return { loads: true, version, ok: missing.length === 0 && unwanted.length === 0, missing, unwanted };
}

/** npm passes its bundled node-gyp to lifecycle scripts; by hand, find it beside the running Node. */
function findNodeGyp(require) {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally: npm's own copy below
  }
  const nodeBin = dirname(process.execPath);
  candidates.push(
    join(nodeBin, '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'), // Unix installs
    join(nodeBin, 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'), // Windows installs
  );
  return candidates.find((path) => path !== undefined && existsSync(path));
}

/** Headers of the running Node when it ships them (offline: node-gyp would otherwise try to download them). */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/common.gypi')) ? prefix : undefined;
}

function writeAmalgamation(packageDir, outDir) {
  const source = join(packageDir, 'deps/sqlite3');
  mkdirSync(outDir, { recursive: true });
  const header = [
    "/* Generated by scripts/build-sqlite.mjs: Spin's SQLite dialect (the defines of libsqlite3-sys 0.32 `bundled`). */",
    ...SPIN_DEFINES.map(([name, value]) => `#define ${name} ${value}`),
    '',
  ].join('\n');
  const hooks = `\n/* ${HOOKS_SOURCE.split(/[\\/]/).slice(-3).join('/')}, appended by scripts/build-sqlite.mjs */\n${readFileSync(HOOKS_SOURCE, 'utf8')}`;
  writeFileSync(join(outDir, 'sqlite3.c'), header + readFileSync(join(source, 'sqlite3.c'), 'utf8') + hooks);
  writeFileSync(join(outDir, 'sqlite3.h'), readFileSync(join(source, 'sqlite3.h')));
}

/**
 * gyp's Makefile makes the addon's objects wait for sqlite3.a (an order-only prerequisite), so the C++ addon
 * (~6 s of CPU) would compile only after sqlite3.c (~65 s). It needs just the copied sqlite3.h (the
 * locate_sqlite3 stamp), so drop that wait and let `--jobs` compile both side by side; linking still waits
 * for sqlite3.a. Left alone where the line is not found (another gyp generator): only slower.
 */
function compileSideBySide(packageDir) {
  const makefile = join(packageDir, 'build/better_sqlite3.target.mk');
  if (!existsSync(makefile)) return;
  const text = readFileSync(makefile, 'utf8');
  writeFileSync(
    makefile,
    text.replace(/^\$\(OBJS\): \|.*$/m, (line) => line.replace(/ \S*\/sqlite3\.a\b/g, '')),
  );
}

const elapsed = (started) => `${((performance.now() - started) / 1000).toFixed(1)} s`;

function main() {
  const { values: flags } = parseArgs({ options: { force: { type: 'boolean' }, check: { type: 'boolean' } } });
  const require = createRequire(import.meta.url);
  let packageDir;
  try {
    packageDir = dirname(require.resolve('better-sqlite3/package.json'));
  } catch {
    log('better-sqlite3 is not installed (production install?): nothing to build.');
    return 0;
  }

  const before = inspectBinary(packageDir);
  if (before.loads && before.ok && !flags.force) {
    log(`better-sqlite3 already has Spin's SQLite dialect (SQLite ${before.version}): nothing to build.`);
    return 0;
  }
  const why = !before.loads
    ? before.reason
    : before.ok
      ? '--force'
      : `built with ${[...before.unwanted, ...before.missing.map((o) => `no ${o}`)].join(', ')}`;
  if (flags.check) {
    log(`better-sqlite3 needs a rebuild (${why}): run \`node scripts/build-sqlite.mjs\`.`);
    return 1;
  }

  const nodeGyp = findNodeGyp(require);
  if (nodeGyp === undefined) {
    log('node-gyp not found (npm ships one; run this through npm: `npm rebuild`, or install node-gyp).');
    return 1;
  }
  const amalgamation = join(packageDir, '..', '.cache', 'spin-sqlite3');
  writeAmalgamation(packageDir, amalgamation);

  const jobs = Math.min(2, cpus().length);
  const dir = nodeDir();
  // sqlite3.c at -O2, as SQLite's own makefiles build it, rather than node-gyp's -O3: a third less compile
  // time (65 s vs 100 s of CPU here) for no measurable difference in query speed. Make appends CFLAGS after
  // gyp's flags, so the last -O wins; a CFLAGS of the caller's own still comes last.
  const env = { ...process.env, CFLAGS: `-O2 ${process.env.CFLAGS ?? ''}`.trim() };
  const steps = [
    ['clean'],
    ['configure', '--release', `--sqlite3=${amalgamation}`],
    ['build', '--release', `--jobs=${jobs}`],
  ];
  log(`compiling better-sqlite3 with Spin's SQLite dialect (${why}; about a minute)...`);
  const started = performance.now();
  for (const step of steps) {
    const run = spawnSync(process.execPath, [nodeGyp, ...step, ...(dir ? [`--nodedir=${dir}`] : [])], {
      cwd: packageDir,
      env,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.status !== 0) {
      process.stderr.write(`${run.stdout}${run.stderr}`);
      log(
        `node-gyp ${step[0]} failed after ${elapsed(started)} (output above). Building needs python3, make and a C++ compiler.`,
      );
      return 1;
    }
    if (step[0] === 'configure' && jobs > 1) compileSideBySide(packageDir);
  }
  const seconds = elapsed(started);

  const after = inspectBinary(packageDir);
  if (!after.loads || !after.ok) {
    log(
      `built in ${seconds}, but the binary ${after.loads ? `still has ${[...after.unwanted, ...after.missing.map((o) => `no ${o}`)].join(', ')}` : `does not load: ${after.reason}`}.`,
    );
    return 1;
  }
  log(
    `built in ${seconds}: SQLite ${after.version}, Spin's dialect (double-quoted strings, foreign keys on; no math functions, no DELETE ... LIMIT).`,
  );
  return 0;
}

process.exitCode = main();
