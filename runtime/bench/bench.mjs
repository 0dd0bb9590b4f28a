#!/usr/bin/env node
// `npm run bench`: requests/s and p50/p99 latency of the local runtime, over real loopback sockets.
//
// Starts the runtime CLI as a child process (as `npm run up` does), then drives it from this process with a
// keep-alive load loop at each concurrency level for a fixed time. By default it targets the fixture app
// (runtime/test-fixtures): a one-query endpoint and an endpoint making one chained call to a one-query
// component. Point it at the real app with, e.g.:
//
//   npm run bench -- --from spin.toml --sqlite @migrations.sql \
//     --one-query /customers/count --chained /aggregates/some-chained-endpoint
//
// Writes bench/results/runtime.md and runtime.json at the repository root.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildFixtures, fixtureManifest } from '../test-fixtures/build-fixtures.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const USAGE = `Usage: npm run bench -- [flags]
  --from <spin.toml>        app to measure (default: the runtime's fixture app)
  --sqlite <arg>            --sqlite for the runtime (repeatable; default for the fixture: an items table)
  --one-query <path>        one-query endpoint (default: /a/db/count)
  --chained <path>          endpoint making one chained call (default: /a/chain?to=hidden&path=/db/count)
  --concurrency <list>      comma-separated levels (default: 1,4,16)
  --duration <seconds>      measuring time per endpoint and level (default: 5)
  --out <dir>               results directory (default: bench/results)`;

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    sqlite: { type: 'string', multiple: true },
    'one-query': { type: 'string', default: '/a/db/count' },
    chained: { type: 'string', default: `/a/chain?to=hidden&path=${encodeURIComponent('/db/count')}` },
    concurrency: { type: 'string', default: '1,4,16' },
    duration: { type: 'string', default: '5' },
    out: { type: 'string', default: join(root, 'bench/results') },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const usingFixture = values.from === undefined;
const from = values.from ?? fixtureManifest;
const sqlite =
  values.sqlite ??
  (usingFixture
    ? [
        'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
        "INSERT INTO items (name) SELECT 'item ' || value FROM json_each('[1,2,3,4,5,6,7,8,9,10]')",
      ]
    : []);
const levels = values.concurrency.split(',').map(Number);
const durationMs = Number(values.duration) * 1000;
const endpoints = [
  { name: 'one query', path: values['one-query'] },
  { name: 'one chained call', path: values.chained },
];

/** Starts `runtime/dist/cli.js` on a free port; resolves with its URL and a stop function. */
async function startRuntime(stateDir) {
  if (usingFixture) await buildFixtures();
  const args = ['runtime/dist/cli.js', '-f', from, '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--quiet', ...sqlite.flatMap((s) => ['--sqlite', s])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /Serving (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`runtime exited with ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
  return { url, stop };
}

function get(agent, url) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('error', reject);
  });
}

/** `concurrency` loops, each sending its next request when the previous answer arrived. */
async function load(url, concurrency, ms) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let failures = 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const status = await get(agent, url);
        latencies.push(performance.now() - t0);
        if (status !== 200) failures += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { requests: latencies.length, failures, rps: latencies.length / elapsed, p50: pct(50), p99: pct(99) };
}

const stateDir = mkdtempSync(join(tmpdir(), 'spin-bench-'));
const runtime = await startRuntime(stateDir);
const results = [];
try {
  for (const endpoint of endpoints) {
    const url = `${runtime.url}${endpoint.path}`;
    const probe = await get(undefined, url);
    if (probe !== 200) throw new Error(`${endpoint.path} answered ${probe}; pass a working endpoint (see --help)`);
    await load(url, 4, 1000); // warm-up: JIT, prepared instances, SQLite page cache
    for (const concurrency of levels) {
      const r = await load(url, concurrency, durationMs);
      results.push({ endpoint: endpoint.name, path: endpoint.path, concurrency, ...r });
      console.log(`${endpoint.name.padEnd(17)} c=${String(concurrency).padEnd(3)} ${r.rps.toFixed(0).padStart(5)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  (${r.requests} requests, ${r.failures} non-200)`);
    }
  }
} finally {
  await runtime.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

const machine = {
  date: new Date().toISOString(),
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  app: relative(root, from),
  durationSeconds: durationMs / 1000,
};
const targets = { 'one query': 300, 'one chained call': 150 };
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'runtime.json'), `${JSON.stringify({ machine, targets, results }, null, 2)}\n`);
const rows = results.map(
  (r) => `| ${r.endpoint} | \`${r.path}\` | ${r.concurrency} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.requests} | ${r.failures} |`,
);
const best = (name) => Math.max(...results.filter((r) => r.endpoint === name).map((r) => r.rps));
writeFileSync(
  join(values.out, 'runtime.md'),
  `# Local runtime benchmark

Generated by \`npm run bench\` (runtime/bench/bench.mjs) on ${machine.date}: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GB,
Node ${machine.node}. App: \`${machine.app}\`. Runtime started as by \`npm run up\`; load from a keep-alive loop in a
separate process over loopback, ${machine.durationSeconds} s per row after a 1 s warm-up.

| endpoint | path | concurrency | req/s | p50 ms | p99 ms | requests | non-200 |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Targets on 2 cores: >= ${targets['one query']} req/s for one query (best here: ${best('one query').toFixed(0)}), >= ${targets['one chained call']} req/s with
one chained call (best here: ${best('one chained call').toFixed(0)}).
`,
);
console.log(`\nwrote ${relative(root, join(values.out, 'runtime.md'))} and runtime.json`);
