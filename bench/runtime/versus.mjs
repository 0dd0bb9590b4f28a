#!/usr/bin/env node
// `npm run bench:versus` (part of `npm run bench`): this checkout's runtime against a baseline build of the
// runtime (default: commit de8d53a), both serving this checkout's app build, in one run, so the targets are
// ratios of figures measured minutes apart on the same machine.
//
// The baseline is built once into bench/.baseline/<rev>/ (a clone of this repository at <rev>: npm ci, then
// its build:runtime; a few minutes, SQLite is compiled) unless --baseline-cli points at a built one.
//
// The figures are meant to be the steady state. V8 tiers the guests' hot code up in the background during the
// first 10-25 s of load on each path, in bursts that cost up to several times a request's own CPU while they
// last. So after each start the endpoints it will measure take turns under load for --settle seconds (2 s
// each at concurrency 4), and each row is measured as --windows windows of --duration seconds whose median is
// the row's figure (req/s, p50, p99 and CPU per request each the median over the windows): a window that
// catches a late burst does not decide the row.
// Each round starts each runtime twice (the order alternates between rounds, so a drift in the machine's load
// does not favour one side): once with the cache off (one query, the uncached dashboard at concurrency 1, 4 and
// 16, then customer creates at 16) and once with cache_max_age_ms (the cached dashboard). CPU ms/request is the
// runtime process's user+system time over the requests served (all its threads, from /proc). Figures are the
// median over the rounds.
//
// Writes bench/results/runtime-versus.md and .json, and appends a line to runtime-versus-history.jsonl.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { load, machineInfo, root, startRuntimeCli } from '../http-load.mjs';

const USAGE = `Usage: node bench/runtime/versus.mjs [flags]   (npm run bench:versus builds the app first)
  --baseline <rev>        the commit whose runtime is the baseline (default: de8d53a)
  --baseline-cli <path>   a baseline runtime CLI already built (its runtime/dist/cli.js); skips the build
  --rounds <n>            rounds; figures are medians over them (default: 2)
  --duration <seconds>    one measuring window (default: 1)
  --windows <n>           windows per row; each figure is their median (default: 5)
  --settle <seconds>      load before measuring, after each start, the endpoints taking turns (default: 75)
  --out <dir>             results directory (default: bench/results)`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      baseline: { type: 'string', default: 'de8d53a' },
      'baseline-cli': { type: 'string' },
      rounds: { type: 'string', default: '2' },
      duration: { type: 'string', default: '1' },
      settle: { type: 'string', default: '75' },
      windows: { type: 'string', default: '5' },
      out: { type: 'string', default: join(root, 'bench/results') },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  console.error(`error: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const rounds = Number(values.rounds);
const durationMs = Number(values.duration) * 1000;
const settleMs = Number(values.settle) * 1000;
const windows = Number(values.windows);
if (
  !(settleMs >= 0) ||
  !Number.isInteger(windows) ||
  windows < 1 ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  !(durationMs > 0) ||
  !/^[0-9a-f]{4,40}$/.test(values.baseline)
) {
  console.error(`error: bad flags\n\n${USAGE}`);
  process.exit(2);
}

const LEVELS = [1, 4, 16];
const TOKEN = 'bench-token';
const MAX_AGE_MS = 60_000;

/** Clones this repository at `rev` into bench/.baseline/<rev> and builds its runtime, once. */
function baselineCli(rev) {
  const dir = join(root, 'bench/.baseline', rev);
  const cli = join(dir, 'runtime/dist/cli.js');
  if (existsSync(cli)) return cli;
  const started = performance.now();
  const step = (what, command, args, cwd) => {
    process.stderr.write(`[baseline ${rev}] ${what}...\n`);
    execFileSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(root, 'bench/.baseline'), { recursive: true });
  step('cloning', 'git', ['clone', '--quiet', '--no-checkout', root, dir], root);
  step(`checking out ${rev}`, 'git', ['checkout', '--quiet', rev], dir);
  step('npm ci (compiles SQLite: a few minutes)', 'npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  step('building its runtime', 'npm', ['run', '--silent', 'build:runtime'], dir);
  process.stderr.write(`[baseline ${rev}] ready in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return cli;
}

const runtimes = [
  {
    name: 'before',
    label: `runtime at ${values.baseline}`,
    cli: resolve(values['baseline-cli'] ?? baselineCli(values.baseline)),
  },
  { name: 'after', label: 'this checkout', cli: join(root, 'runtime/dist/cli.js') },
];

const auth = { authorization: `Bearer ${TOKEN}` };
let sequence = 0;
const createCustomer = (url) => () => ({
  url: `${url}/customers/items`,
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/json' },
  body: JSON.stringify({
    name: `Versus Customer ${++sequence}`,
    city: 'Oslo',
    country: 'Norway',
    scoring: sequence % 11,
  }),
});

async function started(runtime, variables) {
  const stateDir = mkdtempSync(join(tmpdir(), 'versus-bench-'));
  const args = [
    '--sqlite',
    '@migrations.sql',
    '--state-dir',
    stateDir,
    '--quiet',
    '--warm-up',
    '/aggregates/dashboard',
  ];
  for (const variable of [`api_token=${TOKEN}`, ...variables]) args.push('--variable', variable);
  const server = await startRuntimeCli(args, { cli: runtime.cli });
  return {
    ...server,
    async stop() {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** One row: a short warm-up, then `windows` windows of load; each figure the median over them. */
async function row(server, concurrency, options) {
  await load(server.url, { concurrency, ms: 500, ...options });
  const results = [];
  for (let w = 0; w < windows; w++) {
    const result = await load(server.url, {
      concurrency,
      ms: durationMs,
      minRequests: 10,
      pid: server.pid,
      ...options,
    });
    if (result.failures > 0) throw new Error(`${result.failures} requests failed`);
    results.push(result);
  }
  return Object.fromEntries(
    ['cpuMsPerRequest', 'rps', 'p50', 'p99'].map((key) => [key, median(results.map((r) => r[key]))]),
  );
}

/** The endpoints take turns under load, 2 s each at concurrency 4, for `ms` in all (answers not checked). */
async function settle(server, requests, ms = settleMs) {
  const until = performance.now() + ms;
  for (let i = 0; performance.now() < until; i++)
    await load(server.url, { concurrency: 4, ms: 2000, request: requests[i % requests.length], ok: () => true });
}

/** Every figure of one runtime in one round, by name (`query.cpu@4`, `creates.rps@16`, ...). */
async function measure(runtime) {
  const figures = {};
  const keep = (name, concurrency, result) => {
    figures[`${name}.cpu@${concurrency}`] = result.cpuMsPerRequest;
    figures[`${name}.rps@${concurrency}`] = result.rps;
    figures[`${name}.p50@${concurrency}`] = result.p50;
    figures[`${name}.p99@${concurrency}`] = result.p99;
  };
  const plain = await started(runtime, ['cache_ttl_ms=0']);
  try {
    await settle(plain, [
      () => ({ url: `${plain.url}/customers/count` }),
      () => ({ url: `${plain.url}/aggregates/dashboard` }),
      createCustomer(plain.url),
    ]);
    for (const [name, path] of [
      ['query', '/customers/count'],
      ['dashboard', '/aggregates/dashboard'],
    ])
      for (const concurrency of LEVELS)
        keep(name, concurrency, await row(plain, concurrency, { request: () => ({ url: `${plain.url}${path}` }) }));
    keep('creates', 16, await row(plain, 16, { request: createCustomer(plain.url), ok: (status) => status === 201 }));
  } finally {
    await plain.stop();
  }
  const cached = await started(runtime, [`cache_ttl_ms=${MAX_AGE_MS}`, `cache_max_age_ms=${MAX_AGE_MS}`]);
  try {
    await settle(cached, [() => ({ url: `${cached.url}/aggregates/dashboard` })], settleMs / 2);
    for (const concurrency of LEVELS)
      keep(
        'cached',
        concurrency,
        await row(cached, concurrency, { request: () => ({ url: `${cached.url}/aggregates/dashboard` }) }),
      );
  } finally {
    await cached.stop();
  }
  for (const name of ['query', 'dashboard', 'cached'])
    figures[`${name}.cpu`] = LEVELS.reduce((sum, c) => sum + figures[`${name}.cpu@${c}`], 0) / LEVELS.length;
  return figures;
}

const samples = { before: [], after: [] };
const runStarted = performance.now();
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? runtimes : [...runtimes].reverse();
  for (const runtime of order) {
    const t0 = performance.now();
    process.stderr.write(`round ${round + 1}/${rounds}: ${runtime.name} (${runtime.label})... `);
    samples[runtime.name].push(await measure(runtime));
    process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
}

const figures = Object.fromEntries(
  runtimes.map(({ name }) => [
    name,
    Object.fromEntries(Object.keys(samples[name][0]).map((key) => [key, median(samples[name].map((s) => s[key]))])),
  ]),
);
const { before, after } = figures;

/** A target on one figure: this runtime's against the baseline's. */
const versus = (what, key, op, limit) => ({ what, ratio: after[key] / before[key], op, limit, of: 'before' });
const targets = [
  versus('one query, CPU per request', 'query.cpu', '<=', 0.65),
  versus('customer creates/s at concurrency 16', 'creates.rps@16', '>=', 1.5),
  versus('uncached dashboard, CPU per request', 'dashboard.cpu', '<=', 0.65),
  versus('uncached dashboard, p50 at concurrency 16', 'dashboard.p50@16', '<=', 0.5),
  {
    what: `cached dashboard (cache_max_age_ms=${MAX_AGE_MS}), CPU vs one query`,
    ratio: after['cached.cpu'] / after['query.cpu'],
    op: '<=',
    limit: 1.5,
    of: 'after, one query',
  },
].map((t) => ({ ...t, pass: t.op === '<=' ? t.ratio <= t.limit : t.ratio >= t.limit }));

const fmt = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const rowsTable = [
  '| figure | before | after | after / before |',
  '|---|---|---|---|',
  ...Object.keys(before)
    .filter((key) => !key.includes('.p99@') || key.endsWith('@16'))
    .sort()
    .map((key) => `| ${key} | ${fmt(before[key])} | ${fmt(after[key])} | ${fmt(after[key] / before[key])} |`),
];
const targetLines = targets.map(
  (t) => `${t.pass ? 'PASS' : 'FAIL'}  ${t.what}: ${fmt(t.ratio)}x (target ${t.op} ${t.limit}x ${t.of})`,
);
const machine = machineInfo();
const minutes = ((performance.now() - runStarted) / 60_000).toFixed(1);
const report = [
  '# The runtime against its baseline',
  '',
  `Written by \`npm run bench:versus\` (bench/runtime/versus.mjs) on ${machine.date}: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GB, Node ${machine.node}. ` +
    `before = ${runtimes[0].label}, after = ${runtimes[1].label}; both serve this checkout's app build. ` +
    `${rounds} rounds; ${settleMs / 1000} s of load after each start; each row ${windows} windows of ${values.duration} s, the median; the median over the rounds; ${minutes} min in all. CPU in ms per request (the runtime process, all threads), ` +
    `rps in requests per second, latencies in ms. \`.cpu\` without a level is the mean over concurrency ${LEVELS.join(', ')}.`,
  '',
  '## Targets',
  '',
  ...targetLines.map((line) => `    ${line}`),
  '',
  '## Figures',
  '',
  ...rowsTable,
  '',
].join('\n');

console.log(targetLines.join('\n'));
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'runtime-versus.md'), report);
const record = {
  machine,
  baseline: values.baseline,
  rounds,
  settleS: settleMs / 1000,
  windows,
  windowS: Number(values.duration),
  figures,
  targets,
};
writeFileSync(join(values.out, 'runtime-versus.json'), `${JSON.stringify(record, null, 2)}\n`);
appendFileSync(join(values.out, 'runtime-versus-history.jsonl'), `${JSON.stringify(record)}\n`);
console.log(`\nwrote ${relative(process.cwd(), join(values.out, 'runtime-versus.md'))} (${minutes} min)`);
