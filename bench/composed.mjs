#!/usr/bin/env node
// `npm run bench:composed`: the composed operations of the aggregates component as the incidents grow.
//
// Grows one database (1,000 generated customers plus the 40 sample ones) to each size and measures, on the local
// runtime (CLI in a child process, real sockets), /aggregates/incidents/by-country and
// /aggregates/customers/{id}/overview for one generated customer, with the dashboard (pushdown) beside them as
// the yardstick. Their costs should not grow with the number of incidents: reported as the ratio of each p50 at
// the largest size to its p50 at the smallest, measured in the same run. Writes bench/results/composed.{md,json}.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { get, load, machineInfo, root, startRuntimeCli } from './http-load.mjs';
import { loadCustomers, loadIncidents, openDatabase } from './load-data.mjs';

const USAGE = `Usage: npm run bench:composed -- [flags]
  --sizes <list>        incident counts to measure (default: 1000,10000,100000,1000000)
  --duration <seconds>  measuring time per operation and size (default: 3)
  --out <dir>           results directory (default: bench/results)`;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000,1000000' },
    duration: { type: 'string', default: '3' },
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
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !(durationMs > 0)) {
  console.error(`error: bad flags\n\n${USAGE}`);
  process.exit(2);
}

// Every request composes its answer: no cache, no retries, limits far above what is measured.
const VARIABLES = {
  cache_ttl_ms: '0',
  cache_stale_if_error_ms: '0',
  downstream_retries: '0',
  downstream_timeout_ms: '60000',
  dashboard_deadline_ms: '120000',
};

const stateDir = mkdtempSync(join(tmpdir(), 'composed-bench-'));
const db = openDatabase(join(stateDir, 'sqlite_db.db'));
loadCustomers(db, 1000);
// A generated customer: the loader spreads incidents over the generated customers' names.
const customerId = db.prepare("SELECT Id FROM Customers WHERE Name LIKE 'Customer %' ORDER BY Id LIMIT 1").get().Id;
const OPERATIONS = [
  { name: 'dashboard (pushdown)', path: '/aggregates/dashboard?strategy=pushdown' },
  { name: 'incidents by country', path: '/aggregates/incidents/by-country' },
  { name: 'customer overview', path: `/aggregates/customers/${encodeURIComponent(customerId)}/overview` },
];
const args = [
  '--state-dir',
  stateDir,
  '--quiet',
  '--request-timeout',
  '180000',
  ...Object.entries(VARIABLES).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
];
const rows = [];
let loaded = db.prepare('SELECT COUNT(*) AS n FROM Incidents').get().n;
const runtime = await startRuntimeCli(args);
try {
  for (const size of sizes) {
    if (size > loaded) {
      const seconds = loadIncidents(db, size - loaded, { label: `loading ${size - loaded} incidents` });
      console.log(`loaded ${size - loaded} incidents in ${seconds.toFixed(1)} s`);
      loaded = size;
    }
    const total = db.prepare('SELECT COUNT(*) AS n FROM Incidents').get().n;
    // What incidents by country reads grows with these, not with the incidents.
    const names = db.prepare('SELECT COUNT(*) AS n FROM IncidentTotals').get().n;
    const customers = db.prepare('SELECT COUNT(*) AS n FROM Customers').get().n;
    const row = { size: total, names, customers, results: {} };
    for (const { name, path } of OPERATIONS) {
      const first = await get(`${runtime.url}${path}`);
      if (first.status !== 200)
        throw new Error(`${path} answered ${first.status} at ${total} incidents: ${first.body.slice(0, 300)}`);
      await load(`${runtime.url}${path}`, { concurrency: 1, ms: 1000 });
      const result = await load(`${runtime.url}${path}`, { concurrency: 1, ms: durationMs, minRequests: 10 });
      row.results[name] = {
        p50: result.p50,
        p99: result.p99,
        rps: result.rps,
        requests: result.requests,
        bytes: first.body.length,
      };
      console.log(
        `${String(total).padStart(8)} incidents  ${name.padEnd(22)} p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms (${result.requests} requests, ${first.body.length} bytes)`,
      );
    }
    rows.push(row);
  }
} catch (error) {
  console.error(`runtime output (last 3000 characters):\n${runtime.output().slice(-3000)}`);
  throw error;
} finally {
  await runtime.stop();
  db.close();
  rmSync(stateDir, { recursive: true, force: true });
}

const m = { ...machineInfo(), durationSeconds: durationMs / 1000, variables: VARIABLES };
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'composed.json'), `${JSON.stringify({ machine: m, rows }, null, 2)}\n`);
const [smallest, largest] = [rows[0], rows[rows.length - 1]];
const table = rows.map(
  (r) =>
    `| ${r.size.toLocaleString('en-US')} | ${r.names.toLocaleString('en-US')} | ${OPERATIONS.map(({ name }) => `${r.results[name].p50.toFixed(1)} | ${r.results[name].p99.toFixed(1)}`).join(' | ')} |`,
);
const growth = OPERATIONS.map(
  ({ name }) => `${name}: **${(largest.results[name].p50 / smallest.results[name].p50).toFixed(2)}x**`,
).join('; ');
writeFileSync(
  join(values.out, 'composed.md'),
  `# Composed operations benchmark

Generated by \`npm run bench:composed\` (bench/composed.mjs) on ${m.date}: ${m.nproc} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}.
The real components on the local runtime (CLI in a child process), loopback HTTP, one client. Each size: 1,000 generated
customers (plus the 40 sample ones) and the given number of incidents; ${m.durationSeconds} s per operation after a 1 s warm-up.
No cache, no retries (variables: ${Object.entries(VARIABLES)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}).

| incidents | customer names with incidents | ${OPERATIONS.map(({ name }) => `${name} p50 ms | p99 ms`).join(' | ')} |
|---|---|${OPERATIONS.map(() => '---|---|').join('')}
${table.join('\n')}

Growth of p50 from ${smallest.size.toLocaleString('en-US')} to ${largest.size.toLocaleString('en-US')} incidents (target: within 3x, i.e. the cost does not grow with the
number of incidents): ${growth}.

Incidents by country reads one entry per customer (${rows[0].customers.toLocaleString('en-US')} here, 2,000 per page) and one per customer name with incidents
(the second column, 2,000 per page): its cost follows those two numbers, which the generated data lets grow with the incidents
(more distinct names of former customers appear) until about 2,000.
`,
);
console.log(`\nwrote ${relative(root, join(values.out, 'composed.md'))} and composed.json`);
