// Write benchmark: creates/s and updates/s through the API on the local runtime (real Wasm, real HTTP, the
// SQLite file in a fresh state directory), next to a one-query read measured in the same run, so the figures
// compare as ratios. Writes bench/results/writes.{md,json}.
//
//   node bench/writes.mjs [--duration 5] [--concurrency 1,4,16] [--out bench/results]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { load, machineInfo, root, send, startRuntimeCli } from './http-load.mjs';

const USAGE = `Usage: node bench/writes.mjs [options]
  --duration <s>        seconds per measurement (default 5)
  --concurrency <list>  concurrent clients, comma-separated (default 1,4,16)
  --out <dir>           results directory (default: bench/results)`;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,4,16' },
    out: { type: 'string', default: join(root, 'bench/results') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const durationMs = Number(values.duration) * 1000;
const levels = values.concurrency.split(',').map(Number);
if (!(durationMs > 0) || levels.some((c) => !Number.isInteger(c) || c < 1)) {
  console.error(`error: bad flags\n\n${USAGE}`);
  process.exit(2);
}

/** The rate the write side must sustain on 2 cores (creates per second, concurrency 16). */
const TARGET_CREATES_PER_S = 200;
const TOKEN = 'bench-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const JSON_TYPE = { 'content-type': 'application/json' };

const stateDir = mkdtempSync(join(tmpdir(), 'writes-bench-'));
const runtime = await startRuntimeCli([
  '--sqlite',
  '@migrations.sql',
  '--state-dir',
  stateDir,
  '--quiet',
  '--variable',
  `api_token=${TOKEN}`,
]);
const rows = [];
let sequence = 0;
try {
  const created = (answer) => JSON.parse(answer.body);
  // A customer for the incidents to refer to, and one more per client to update.
  const owner = created(
    await send(`${runtime.url}/customers/items`, {
      method: 'POST',
      headers: { ...auth, ...JSON_TYPE },
      body: '{"name":"Bench Owner","scoring":5}',
    }),
  );
  const createCustomer = () => ({
    url: `${runtime.url}/customers/items`,
    method: 'POST',
    headers: { ...auth, ...JSON_TYPE },
    body: JSON.stringify({
      name: `Bench Customer ${++sequence}`,
      city: 'Oslo',
      country: 'Norway',
      scoring: sequence % 11,
    }),
  });
  const createIncident = () => ({
    url: `${runtime.url}/incidents/items`,
    method: 'POST',
    headers: { ...auth, ...JSON_TYPE },
    body: JSON.stringify({
      amount: (++sequence % 100000) / 100,
      category: 'ABCDEF'[sequence % 6],
      customerId: owner.id,
    }),
  });
  const measure = async (name, concurrency, request, ok) => {
    await load(runtime.url, { concurrency, ms: 500, request, ok });
    const result = await load(runtime.url, {
      concurrency,
      ms: durationMs,
      minRequests: 20,
      pid: runtime.pid,
      request,
      ok,
    });
    console.log(
      `${name.padEnd(18)} c=${String(concurrency).padEnd(3)} ${result.rps.toFixed(1).padStart(7)} /s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  CPU ${result.cpuMsPerRequest.toFixed(1)} ms/req  failures ${result.failures}`,
    );
    return result;
  };
  for (const concurrency of levels) {
    // Each client updates its own customer, following its ETag, so no update loses a race (412).
    const targets = [];
    for (let i = 0; i < concurrency; i++) {
      const customer = created(await send(`${runtime.url}/customers/items`, createCustomer()));
      targets.push({ id: customer.id, etag: `"${customer.version}"` });
    }
    const update = (loop) => {
      const target = targets[loop];
      return {
        url: `${runtime.url}/customers/items/${target.id}`,
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/merge-patch+json', 'if-match': target.etag },
        body: JSON.stringify({ scoring: ++sequence % 11, city: `City ${sequence}` }),
        done: (answer) => {
          if (answer.status === 200) target.etag = answer.headers.etag;
        },
      };
    };
    rows.push({
      concurrency,
      read: await measure('read (count)', concurrency, () => ({ url: `${runtime.url}/customers/count` })),
      createCustomer: await measure('create customer', concurrency, createCustomer, (s) => s === 201),
      createIncident: await measure('create incident', concurrency, createIncident, (s) => s === 201),
      update: await measure('update customer', concurrency, update),
    });
  }
} finally {
  await runtime.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

mkdirSync(values.out, { recursive: true });
const results = { machine: machineInfo(), durationS: durationMs / 1000, targetCreatesPerS: TARGET_CREATES_PER_S, rows };
writeFileSync(join(values.out, 'writes.json'), `${JSON.stringify(results, null, 2)}\n`);
const m = results.machine;
const f = (r) => `${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${r.cpuMsPerRequest.toFixed(1)}`;
const best = Math.max(...rows.map((r) => r.createCustomer.rps));
const failures = rows.reduce(
  (n, r) => n + r.read.failures + r.createCustomer.failures + r.createIncident.failures + r.update.failures,
  0,
);
writeFileSync(
  join(values.out, 'writes.md'),
  `# Writes through the API

\`node bench/writes.mjs --duration ${values.duration} --concurrency ${values.concurrency}\` on ${m.nproc} cores (${m.cpu}), ${m.memoryGb} GiB, Node ${m.node}, ${m.date}.
The real Wasm components on the local runtime, over loopback HTTP with keep-alive; each write is one
\`BEGIN IMMEDIATE\` transaction (read the version, write, the triggers add the version and the event) on the
SQLite file in WAL mode. The read is \`GET /customers/count\` in the same run, for the ratio.

| clients | operation | req/s | p50 / p99 ms | runtime CPU ms/request | ratio to the read |
| --- | --- | --- | --- | --- | --- |
${rows
  .flatMap((r) => [
    `| ${r.concurrency} | read \`GET /customers/count\` | ${f(r.read)} | 1.00 |`,
    `| ${r.concurrency} | create customer \`POST /customers/items\` | ${f(r.createCustomer)} | ${(r.createCustomer.rps / r.read.rps).toFixed(2)} |`,
    `| ${r.concurrency} | create incident \`POST /incidents/items\` | ${f(r.createIncident)} | ${(r.createIncident.rps / r.read.rps).toFixed(2)} |`,
    `| ${r.concurrency} | update customer \`PATCH /customers/items/:id\` | ${f(r.update)} | ${(r.update.rps / r.read.rps).toFixed(2)} |`,
  ])
  .join('\n')}

Target: at least ${TARGET_CREATES_PER_S} creates/s on 2 cores. Best measured here: ${best.toFixed(0)} creates/s (${best >= TARGET_CREATES_PER_S ? 'met' : 'NOT met'}). Failed requests: ${failures}.
`,
);
console.log(`results: ${relative(root, join(values.out, 'writes.md'))}`);
