#!/usr/bin/env node
// `npm run bench`: requests/s, p50/p99 latency and the runtime's CPU time per request, over real loopback
// sockets, for up to two apps:
//
//   fixture  the runtime's own test app (runtime/test-fixtures, built here): one query (/a/db/count) and one
//            chained call to a one-query component
//   app      an app given by its caller: --from <spin.toml>, its --sqlite and --variable flags, and one
//            --path per endpoint. It must be built already. The repository's package.json passes its own
//            (`npm run bench:runtime`, which `npm run bench` runs).
//
// Each app is started as a child process with the runtime CLI (as `npm run up` does) and driven from this
// process with keep-alive load loops at each concurrency level for a fixed time. CPU ms/request is the
// runtime process's user+system time (all its threads, from /proc) divided by the requests served: it does
// not count the load generator, and it is much less noisy than req/s on a shared machine.
//
// Writes bench/results/runtime.md and runtime.json at the repository root (not with --cli or --out).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { get, load, startRuntimeCli } from '../../bench/http-load.mjs';
import { buildFixtures, fixtureManifest } from '../test-fixtures/build-fixtures.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const USAGE = `Usage: node runtime/bench/bench.mjs [flags]   (npm run bench:runtime -- [flags] adds the app's own)
  --apps <list>             fixture, app, or both (default: both when --from is given, else fixture)
  --concurrency <list>      comma-separated levels (default: 1,4,16)
  --duration <seconds>      measuring time per row (default: 4)
  --cli <path>              the runtime CLI to measure (default: runtime/dist/cli.js); for comparing builds:
                            results then go to stdout only, unless --out is given
  --out <dir>               results directory (default: bench/results)
The app ("app" in the results), built beforehand; relative paths are from the current directory:
  --from <spin.toml>        its manifest
  --sqlite <arg>            --sqlite for it (repeatable), e.g. --sqlite @schema.sql
  --variable <name=value>   --variable for it (repeatable)
  --path <name=path>        a row per endpoint (repeatable, at least one), e.g. --path "one query=/items/count"`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      apps: { type: 'string' },
      concurrency: { type: 'string', default: '1,4,16' },
      duration: { type: 'string', default: '4' },
      cli: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      sqlite: { type: 'string', multiple: true, default: [] },
      variable: { type: 'string', multiple: true, default: [] },
      path: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const FIXTURE = {
  name: 'fixture',
  from: fixtureManifest,
  build: () => buildFixtures(),
  args: [
    '--sqlite',
    'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
    '--sqlite',
    "INSERT INTO items (name) SELECT 'item ' || value FROM json_each('[1,2,3,4,5,6,7,8,9,10]')",
  ],
  endpoints: [
    { name: 'one query', path: '/a/db/count' },
    { name: 'one chained call', path: `/a/chain?to=hidden&path=${encodeURIComponent('/db/count')}` },
  ],
};

/** `@file.sql[:label]` with the file resolved from the current directory (the runtime runs at the root). */
function sqliteArg(arg) {
  if (!arg.startsWith('@')) return arg;
  const spec = arg.slice(1);
  const colon = spec.lastIndexOf(':');
  const [file, label] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon)] : [spec, ''];
  return `@${resolve(file)}${label}`;
}

/** The app given by --from, --sqlite, --variable and --path. */
function callerApp() {
  if (values.from === undefined) usage('--apps app needs --from <spin.toml> and at least one --path');
  const endpoints = values.path.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) usage(`--path ${pair}: expected name=path`);
    return { name: pair.slice(0, eq), path: pair.slice(eq + 1) };
  });
  if (endpoints.length === 0) usage('--from needs at least one --path');
  return {
    name: 'app',
    from: resolve(values.from),
    build: async () => {},
    args: [...values.sqlite.flatMap((s) => ['--sqlite', sqliteArg(s)]), ...values.variable.flatMap((v) => ['--variable', v])],
    endpoints,
  };
}

const APPS = { fixture: () => FIXTURE, app: callerApp };
const apps = (values.apps ?? (values.from === undefined ? 'fixture' : 'fixture,app')).split(',').map((name) => (APPS[name] ?? (() => usage(`unknown app '${name}'`)))());
const cli = resolve(root, values.cli ?? 'runtime/dist/cli.js');
const outDir = values.out ?? (values.cli === undefined ? join(root, 'bench/results') : undefined);
const levels = values.concurrency.split(',').map(Number);
const durationMs = Number(values.duration) * 1000;
if (levels.some((level) => !Number.isInteger(level) || level < 1)) usage(`--concurrency ${values.concurrency}: expected positive integers`);
if (!(durationMs > 0)) usage(`--duration ${values.duration}: expected a positive number of seconds`);

function usage(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** Starts the runtime CLI for `app` on a free port. */
async function startRuntime(app, stateDir) {
  await app.build();
  return startRuntimeCli(['-f', app.from, '--state-dir', stateDir, '--quiet', ...app.args], { cli });
}

const results = [];
for (const app of apps) {
  const stateDir = mkdtempSync(join(tmpdir(), 'spin-bench-'));
  const runtime = await startRuntime(app, stateDir);
  try {
    for (const endpoint of app.endpoints) {
      const url = `${runtime.url}${endpoint.path}`;
      const probe = await get(url);
      if (probe.status !== 200) throw new Error(`${app.name} ${endpoint.path} answered ${probe.status}; pass a working endpoint (see --help)`);
      await load(url, { concurrency: 4, ms: 1000, pid: runtime.pid }); // warm-up: JIT, prepared instances, SQLite page cache
      for (const concurrency of levels) {
        const r = await load(url, { concurrency, ms: durationMs, pid: runtime.pid });
        results.push({ app: app.name, endpoint: endpoint.name, path: endpoint.path, concurrency, ...r });
        console.log(
          `${app.name.padEnd(8)} ${endpoint.name.padEnd(28)} c=${String(concurrency).padEnd(3)} ${r.rps.toFixed(0).padStart(5)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req  (${r.requests} requests, ${r.failures} non-200)`,
        );
      }
    }
  } finally {
    await runtime.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (outDir === undefined) process.exit(0);

const machine = {
  date: new Date().toISOString(),
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  apps: apps.map((app) => `${app.name}: ${relative(root, app.from)}`),
  durationSeconds: durationMs / 1000,
};
const targets = { 'one query': 400, 'one chained call': 150 };
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'runtime.json'), `${JSON.stringify({ machine, targets, results }, null, 2)}\n`);
const rows = results.map(
  (r) =>
    `| ${r.app} | ${r.endpoint} | \`${r.path}\` | ${r.concurrency} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuMsPerRequest.toFixed(2)} | ${r.requests} | ${r.failures} |`,
);
const best = (app, name) => Math.max(...results.filter((r) => r.app === app && r.endpoint === name).map((r) => r.rps));
const summary = Object.entries(targets).flatMap(([name, target]) =>
  apps.filter((app) => app.endpoints.some((e) => e.name === name)).map((app) => `- ${name} (${app.name}): target >= ${target} req/s, best here ${best(app.name, name).toFixed(0)}`),
);
writeFileSync(
  join(outDir, 'runtime.md'),
  `# Local runtime benchmark

Generated by \`npm run bench\` (runtime/bench/bench.mjs) on ${machine.date}: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GB,
Node ${machine.node}. Apps: ${machine.apps.map((a) => `\`${a}\``).join(', ')}. Runtime started as by \`npm run up\`; load from
keep-alive loops in a separate process over loopback (sharing the same cores), ${machine.durationSeconds} s per row after a 1 s warm-up.
"cpu ms/req" is the runtime process's CPU time (all threads) per request. Where the time goes:
[runtime-profile.md](runtime-profile.md).

| app | endpoint | path | concurrency | req/s | p50 ms | p99 ms | cpu ms/req | requests | non-200 |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Targets on 2 cores:
${summary.join('\n')}
`,
);
console.log(`\nwrote ${relative(root, join(outDir, 'runtime.md'))} and runtime.json`);
