#!/usr/bin/env node
// `npm run bench:dashboard`: the dashboard's cost as the data grows, naive and pushdown side by side.
//
// Grows one database to each size (bulk loader, with a progress bar), and at each size measures
// /aggregates/dashboard with ?strategy=pushdown and ?strategy=naive on the local runtime (CLI in a child
// process, real sockets), after checking that both give byte-identical documents. Then measures each
// component's cold start. Writes bench/results/dashboard.{md,json,svg}.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { get, load, machineInfo, root, startRuntimeCli } from './http-load.mjs';
import { loadCustomers, loadIncidents, openDatabase } from './load-data.mjs';
import { lineChart } from './svg-chart.mjs';

const USAGE = `Usage: npm run bench:dashboard -- [flags]
  --sizes <list>        incident counts to measure (default: 1000,10000,100000,1000000)
  --duration <seconds>  measuring time per strategy and size (default: 5)
  --concurrency <n>     concurrent clients, the same for both strategies (default: 1)
  --naive-max <n>       largest size at which the naive strategy is measured (default: 100000: at 1,000,000
                        incidents one naive dashboard takes longer than dashboard_deadline_ms allows at most,
                        120 s, on this build: it answers 200 without its incident sections, timed out)
  --out <dir>           results directory (default: bench/results)`;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000,1000000' },
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1' },
    'naive-max': { type: 'string', default: '100000' },
    out: { type: 'string', default: join(root, 'bench/results') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const sizes = values.sizes.split(',').map(Number);
const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);
const naiveMax = Number(values['naive-max']);
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !(durationMs > 0) || !(concurrency >= 1)) {
  console.error(`error: bad flags\n\n${USAGE}`);
  process.exit(2);
}

// Every request computes the whole dashboard: no cache, no retries, and limits far above what is measured.
const VARIABLES = {
  cache_ttl_ms: '0',
  cache_stale_if_error_ms: '0',
  downstream_retries: '0',
  downstream_timeout_ms: '60000',
  dashboard_deadline_ms: '120000',
};
const runtimeArgs = (stateDir) => [
  '--state-dir',
  stateDir,
  '--quiet',
  '--request-timeout',
  '180000',
  ...Object.entries(VARIABLES).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
];

const stateDir = mkdtempSync(join(tmpdir(), 'dashboard-bench-'));
const db = openDatabase(join(stateDir, 'sqlite_db.db'));
loadCustomers(db, 1000);
const rows = [];
let loaded = db.prepare('SELECT COUNT(*) AS n FROM Incidents').get().n;
const runtime = await startRuntimeCli(runtimeArgs(stateDir));
try {
  for (const size of sizes) {
    if (size > loaded) {
      const seconds = loadIncidents(db, size - loaded, { label: `loading ${size - loaded} incidents` });
      console.log(
        `loaded ${size - loaded} incidents in ${seconds.toFixed(1)} s (${Math.round((size - loaded) / seconds)} rows/s)`,
      );
      loaded = size;
    }
    const total = db.prepare('SELECT COUNT(*) AS n FROM Incidents').get().n;
    const url = (strategy) => `${runtime.url}/aggregates/dashboard?strategy=${strategy}`;
    const pushdownDoc = await get(url('pushdown'));
    if (pushdownDoc.status !== 200)
      throw new Error(`pushdown dashboard answered ${pushdownDoc.status}: ${pushdownDoc.body.slice(0, 300)}`);
    const row = { size: total, pushdown: null, naive: null, naiveNote: '' };
    await load(url('pushdown'), { concurrency, ms: 1000 });
    row.pushdown = await load(url('pushdown'), { concurrency, ms: durationMs, minRequests: 20 });
    if (total <= naiveMax) {
      const naiveDoc = await get(url('naive'));
      if (naiveDoc.status !== 200) row.naiveNote = `answered ${naiveDoc.status}`;
      else if (naiveDoc.body !== pushdownDoc.body)
        throw new Error(`at ${total} incidents the strategies disagree:\n${naiveDoc.body}\n${pushdownDoc.body}`);
      else row.naive = await load(url('naive'), { concurrency, ms: durationMs, minRequests: 3 });
    } else {
      row.naiveNote = `not measured (--naive-max ${naiveMax})`;
    }
    rows.push(row);
    const fmt = (r) =>
      r ? `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.rps.toFixed(1)} req/s (${r.requests})` : '-';
    console.log(
      `${String(total).padStart(8)} incidents  pushdown: ${fmt(row.pushdown)}  naive: ${fmt(row.naive)} ${row.naiveNote}`,
    );
  }
} finally {
  await runtime.stop();
}

// Cold start: a new runtime process per component (transpiled code cached on disk, as after `npm start`);
// time to listening, then the first and the second request to that component.
const coldStart = [];
for (const [component, path] of [
  ['customers-service', '/customers/count'],
  ['incidents-service', '/incidents/top/by-count/5'],
  ['aggregates-service', '/aggregates/dashboard'],
]) {
  const fresh = await startRuntimeCli(runtimeArgs(stateDir));
  const first = await get(`${fresh.url}${path}`);
  const second = await get(`${fresh.url}${path}`);
  await fresh.stop();
  coldStart.push({
    component,
    path,
    readyMs: fresh.readyMs,
    firstMs: first.ms,
    secondMs: second.ms,
    status: first.status,
  });
  console.log(
    `cold start ${component}: ready ${fresh.readyMs.toFixed(0)} ms, first ${path} ${first.ms.toFixed(1)} ms, second ${second.ms.toFixed(1)} ms`,
  );
}
db.close();
rmSync(stateDir, { recursive: true, force: true });

writeResults({
  machine: { ...machineInfo(), durationSeconds: durationMs / 1000, concurrency, variables: VARIABLES },
  rows,
  coldStart,
});

function writeResults(results) {
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'dashboard.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(values.out, 'dashboard.svg'), chart(results.rows));
  const ms = (v) => (v === undefined ? '-' : v.toFixed(1));
  const table = results.rows.map((r) => {
    const ratio = r.naive ? `${(r.naive.p50 / r.pushdown.p50).toFixed(0)}x` : '-';
    return `| ${r.size.toLocaleString('en-US')} | ${ms(r.pushdown.p50)} | ${ms(r.pushdown.p99)} | ${r.pushdown.rps.toFixed(1)} | ${r.naive ? ms(r.naive.p50) : r.naiveNote} | ${r.naive ? ms(r.naive.p99) : '-'} | ${r.naive ? r.naive.rps.toFixed(2) : '-'} | ${ratio} |`;
  });
  const smallest = results.rows[0];
  const largest = results.rows[results.rows.length - 1];
  const at100k = results.rows.find((r) => r.size >= 100_000 && r.size < 200_000);
  const growth = smallest && largest ? largest.pushdown.p50 / smallest.pushdown.p50 : NaN;
  const speedup = at100k?.naive ? at100k.naive.p50 / at100k.pushdown.p50 : NaN;
  const m = results.machine;
  writeFileSync(
    join(values.out, 'dashboard.md'),
    `# Dashboard benchmark: naive and pushdown side by side

Generated by \`npm run bench:dashboard\` (bench/dashboard.mjs) on ${m.date}: ${m.nproc} cores (${m.cpu}), ${m.memoryGb} GB,
Node ${m.node}. The real components on the local runtime (CLI in a child process), loopback HTTP. Each size: 1,000
generated customers (plus the 40 sample ones) and the given number of incidents; ${m.durationSeconds} s per strategy after a
1 s warm-up, with ${m.concurrency} concurrent client(s) for both strategies (pushdown: at least 20 requests, naive: at least 3).
No cache, no retries (variables: ${Object.entries(m.variables)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}).
Before measuring, both strategies' documents were checked to be byte-identical at every size.

![p50 latency of the dashboard by number of incidents](dashboard.svg)

| incidents | pushdown p50 ms | p99 ms | req/s | naive p50 ms | p99 ms | req/s | naive / pushdown (p50) |
|---|---|---|---|---|---|---|---|
${table.join('\n')}

Targets: pushdown p50 at the largest size within 3x of the smallest: **${growth.toFixed(2)}x** (${largest?.size.toLocaleString('en-US')} vs ${smallest?.size.toLocaleString('en-US')} incidents);
pushdown at least 20x faster than naive at 100k incidents: **${Number.isNaN(speedup) ? 'not measured' : `${speedup.toFixed(0)}x`}**.

## Cold start

A new runtime process (transpiled code cached on disk), then two requests to one component.

| component | path | process ready ms | first request ms | second request ms |
|---|---|---|---|---|
${results.coldStart.map((c) => `| ${c.component} | \`${c.path}\` | ${c.readyMs.toFixed(0)} | ${c.firstMs.toFixed(1)} | ${c.secondMs.toFixed(1)} |`).join('\n')}
`,
  );
  console.log(`\nwrote ${relative(root, join(values.out, 'dashboard.md'))}, dashboard.json and dashboard.svg`);
}

/** p50 latency against incidents, one line per strategy (log-log). */
function chart(data) {
  return lineChart({
    title: 'Dashboard p50 latency (log-log)',
    xLabel: 'incidents',
    yUnit: ' ms',
    series: [
      { name: 'pushdown', points: data.map((r) => [r.size, r.pushdown.p50]) },
      { name: 'naive', points: data.filter((r) => r.naive).map((r) => [r.size, r.naive.p50]) },
    ],
  });
}
