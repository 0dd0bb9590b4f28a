// Memory under load: the runtime's resident memory (RSS) before, during and after a burst of mixed load at
// high concurrency: the dashboard, the page, two lists and customer creates in equal shares. It samples the
// runtime process's VmRSS every ~250 ms from before the load until `--after` seconds after it, and reports
// the figure before the load, the peak, the figure 30 s after the load ended, req/s and the answers of each
// kind. Targets (issue 24): peak <= 1 GB; 30 s after the load, RSS within 20% of the figure before it.
// Each run is appended to memory-load-history.jsonl (with its label), which the results file tabulates, so a
// change's before and after stand side by side.
//
//   node bench/memory-load.mjs [--duration 60] [--concurrency 32] [--after 35] [--label text]
//                              [--runtime-arg=--flag=value ...] [--cli runtime/dist/cli.js] [--out bench/results]
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { load, machineInfo, root, send, startRuntimeCli } from './http-load.mjs';
import { loadCustomers, loadIncidents, openDatabase } from './load-data.mjs';

const USAGE = `Usage: node bench/memory-load.mjs [options]
  --duration <s>         seconds of load (default 60)
  --concurrency <n>      concurrent clients (default 32)
  --after <s>            seconds sampled after the load ends (default 35; the report reads the sample 30 s after)
  --settle <s>           seconds between the runtime's start and the load; the figure before the load is the
                         median of the last 2 s of it (default 10: workers started by the warm-up have stopped)
  --interval <ms>        sampling interval (default 250)
  --incidents <n>        incidents (and 200 customers) loaded before the start (default 1000)
  --label <text>         names the run in the history (default: the commit)
  --runtime-arg <arg>    passed to the runtime as is (repeatable, e.g. --runtime-arg=--memory-budget=1024)
  --cli <path>           the runtime CLI (default runtime/dist/cli.js)
  --out <dir>            results directory (default: bench/results)`;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '32' },
    after: { type: 'string', default: '35' },
    settle: { type: 'string', default: '10' },
    interval: { type: 'string', default: '250' },
    incidents: { type: 'string', default: '1000' },
    label: { type: 'string' },
    'runtime-arg': { type: 'string', multiple: true, default: [] },
    cli: { type: 'string', default: 'runtime/dist/cli.js' },
    out: { type: 'string', default: join(root, 'bench/results') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const durationS = Number(values.duration);
const concurrency = Number(values.concurrency);
const afterS = Number(values.after);
const settleS = Number(values.settle);
const intervalMs = Number(values.interval);
const incidents = Number(values.incidents);
if (
  !(durationS > 0) ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  !(afterS >= 0) ||
  !(settleS >= 2) ||
  !(intervalMs >= 10) ||
  !Number.isInteger(incidents) ||
  incidents < 0
) {
  console.error(`error: bad flags\n\n${USAGE}`);
  process.exit(2);
}

const MB = 1024 * 1024;
/** Targets of issue 24: the peak, and the figure this long after the load relative to the one before it. */
const PEAK_LIMIT = 1024 * MB;
const AFTER_S = 30;
const AFTER_RATIO = 1.2;
const TOKEN = 'bench-token';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const KINDS = ['dashboard', 'page', 'list', 'create'];

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
} catch {
  // Not a checkout.
}
const label = values.label ?? commit;

/** The process's resident set and thread count, from /proc (bytes; NaN when it is gone or /proc is missing). */
function status(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(text)?.[1]) * 1024;
    const threads = Number(/Threads:\s+(\d+)/.exec(text)?.[1]);
    return { rss, threads };
  } catch {
    return { rss: NaN, threads: NaN };
  }
}

const stateDir = mkdtempSync(join(tmpdir(), 'memory-bench-'));
const db = openDatabase(join(stateDir, 'sqlite_db.db'));
loadCustomers(db, 200);
loadIncidents(db, incidents, { customers: 200 });
db.close();

const runtimeArgs = [
  '--sqlite',
  '@migrations.sql',
  '--state-dir',
  stateDir,
  '--quiet',
  '--variable',
  `api_token=${TOKEN}`,
  '--warm-up',
  '/aggregates/dashboard',
  '--warm-up',
  '/',
  ...values['runtime-arg'],
];
const runtime = await startRuntimeCli(runtimeArgs, { cli: values.cli });
const samples = [];
const t0 = performance.now();
const sample = () => samples.push({ t: (performance.now() - t0) / 1000, ...status(runtime.pid) });
sample();
const sampler = setInterval(sample, intervalMs);
const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
const statuses = Object.fromEntries(KINDS.map((kind) => [kind, {}]));
let loadResult;
let loadStart;
let loadEnd;
try {
  await sleep(settleS);
  loadStart = (performance.now() - t0) / 1000;
  let sequence = 0;
  const lists = ['/customers/items?limit=50', '/incidents/items?limit=50'];
  const turns = Array.from({ length: concurrency }, (_, loop) => loop);
  const request = (loop) => {
    // Each client goes round the four kinds, starting at a different one, so they stay in equal shares.
    const kind = KINDS[turns[loop]++ % KINDS.length];
    const done = (answer) => {
      statuses[kind][answer.status] = (statuses[kind][answer.status] ?? 0) + 1;
    };
    if (kind === 'dashboard') return { url: `${runtime.url}/aggregates/dashboard`, done };
    if (kind === 'page') return { url: `${runtime.url}/`, done };
    if (kind === 'list') return { url: `${runtime.url}${lists[sequence++ % 2]}`, done };
    const n = ++sequence;
    return {
      url: `${runtime.url}/customers/items`,
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: `Memory Bench ${n}`, city: 'Oslo', country: 'Norway', scoring: n % 11 }),
      done,
    };
  };
  const expected = (s) => s === 200 || s === 201;
  loadResult = await load(runtime.url, { concurrency, ms: durationS * 1000, pid: runtime.pid, request, ok: expected });
  loadEnd = (performance.now() - t0) / 1000;
  await sleep(afterS);
  // Still serving after all that.
  const health = await send(`${runtime.url}/customers/items?limit=1`);
  if (health.status !== 200) throw new Error(`the runtime answers ${health.status} after the load`);
} finally {
  clearInterval(sampler);
  await runtime.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

const rssIn = (from, to) => samples.filter((s) => s.t >= from && s.t <= to && Number.isFinite(s.rss));
const median = (list) => {
  const sorted = list.map((s) => s.rss).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const before = median(rssIn(loadStart - 2, loadStart));
const during = rssIn(loadStart, loadEnd + 1);
const peak = Math.max(...during.map((s) => s.rss));
const peakAt = during.find((s) => s.rss === peak)?.t ?? NaN;
const nearest = (t) => samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), samples[0]);
const after30 = nearest(loadEnd + AFTER_S).rss;
const last = samples[samples.length - 1].rss;
const maxThreads = Math.max(...samples.map((s) => s.threads));
const threadsBefore = nearest(loadStart).threads;
const threadsAfter = nearest(loadEnd + AFTER_S).threads;
const errors = {};
for (const kind of KINDS)
  for (const [code, n] of Object.entries(statuses[kind]))
    if (code !== '200' && code !== '201') errors[code] = (errors[code] ?? 0) + n;
const run = {
  date: machineInfo().date,
  label,
  commit,
  durationS,
  concurrency,
  runtimeArgs: values['runtime-arg'],
  beforeMb: before / MB,
  peakMb: peak / MB,
  after30Mb: after30 / MB,
  lastMb: last / MB,
  afterS,
  rps: loadResult.rps,
  p50: loadResult.p50,
  p99: loadResult.p99,
  requests: loadResult.requests,
  errors,
  threads: { before: threadsBefore, max: maxThreads, after30: threadsAfter },
};
const peakPass = peak <= PEAK_LIMIT;
const afterPass = after30 <= before * AFTER_RATIO;
const mb = (bytes) => `${(bytes / MB).toFixed(0)} MB`;
console.log(
  `RSS before ${mb(before)}, peak ${mb(peak)} at ${(peakAt - loadStart).toFixed(1)} s, ${AFTER_S} s after ${mb(after30)}, at the end (${afterS} s after) ${mb(last)}`,
);
console.log(
  `${loadResult.rps.toFixed(1)} req/s, p50 ${loadResult.p50.toFixed(0)} ms, p99 ${loadResult.p99.toFixed(0)} ms, ${loadResult.requests} requests, not 200/201: ${JSON.stringify(errors)}`,
);
console.log(`threads: ${threadsBefore} before, ${maxThreads} at most, ${threadsAfter} ${AFTER_S} s after`);
console.log(
  `${peakPass ? 'PASS' : 'FAIL'} peak <= ${mb(PEAK_LIMIT)}; ${afterPass ? 'PASS' : 'FAIL'} ${AFTER_S} s after <= ${AFTER_RATIO} x before`,
);

mkdirSync(values.out, { recursive: true });
const machine = machineInfo();
const command = [
  'node bench/memory-load.mjs',
  ...(values.duration !== '60' ? [`--duration ${values.duration}`] : []),
  ...(values.concurrency !== '32' ? [`--concurrency ${values.concurrency}`] : []),
  ...(values.after !== '35' ? [`--after ${values.after}`] : []),
  ...(values.incidents !== '1000' ? [`--incidents ${values.incidents}`] : []),
  ...values['runtime-arg'].map((arg) => `--runtime-arg=${arg}`),
  ...(values.label ? [`--label "${values.label}"`] : []),
].join(' ');
writeFileSync(
  join(values.out, 'memory-load.json'),
  `${JSON.stringify({ machine, command, run, samples: samples.map((s) => ({ t: Number(s.t.toFixed(2)), rssMb: Number((s.rss / MB).toFixed(1)), threads: s.threads })) }, null, 2)}\n`,
);
const historyFile = join(values.out, 'memory-load-history.jsonl');
appendFileSync(historyFile, `${JSON.stringify(run)}\n`);
const history = existsSync(historyFile)
  ? readFileSync(historyFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .slice(-12)
  : [run];
const timeline = [];
for (let t = 0; t <= samples[samples.length - 1].t; t += 5) {
  const s = nearest(t);
  const phase = s.t < loadStart ? 'before' : s.t <= loadEnd ? 'load' : `+${(s.t - loadEnd).toFixed(0)} s`;
  timeline.push(`| ${s.t.toFixed(0)} | ${phase} | ${(s.rss / MB).toFixed(0)} | ${s.threads} |`);
}
const kindRows = KINDS.map(
  (kind) =>
    `| ${kind} | ${Object.entries(statuses[kind])
      .map(([code, n]) => `${code}: ${n}`)
      .join(', ')} |`,
);
const errorText = (e) =>
  Object.keys(e).length === 0
    ? 'none'
    : Object.entries(e)
        .map(([code, n]) => `${code}: ${n}`)
        .join(', ');
writeFileSync(
  join(values.out, 'memory-load.md'),
  `# Memory under load

\`${command}\` on ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GiB, Node ${machine.node}, ${machine.date}, commit ${commit}.
The app as \`npm start\` serves it (\`--warm-up /aggregates/dashboard --warm-up /\`, ${incidents} incidents and 200
customers loaded before the start), ${concurrency} clients with keep-alive for ${durationS} s, each going round
\`GET /aggregates/dashboard\`, \`GET /\`, a list (\`/customers/items?limit=50\` or \`/incidents/items?limit=50\`) and
\`POST /customers/items\`, so the four come in equal shares. The runtime process's VmRSS (all its threads) is sampled
every ${intervalMs} ms from its start until ${afterS} s after the load. The figure before is the median of the 2 s before
the load. Figures from one run on a machine shared with other work: compare them within this file only.

## This run (${label})

| RSS before | peak (at s into the load) | ${AFTER_S} s after | ${afterS} s after | req/s | p50 / p99 ms | not 200/201 |
| --- | --- | --- | --- | --- | --- | --- |
| ${mb(before)} | ${mb(peak)} (${(peakAt - loadStart).toFixed(1)}) | ${mb(after30)} | ${mb(last)} | ${loadResult.rps.toFixed(1)} | ${loadResult.p50.toFixed(0)} / ${loadResult.p99.toFixed(0)} | ${errorText(errors)} |

Targets: peak <= ${mb(PEAK_LIMIT)}: **${peakPass ? 'met' : 'NOT met'}**; ${AFTER_S} s after the load, at most ${AFTER_RATIO} x the figure before
(${mb(before * AFTER_RATIO)}): **${afterPass ? 'met' : 'NOT met'}**. Threads of the process (each worker is one of them): ${threadsBefore} before,
${maxThreads} at most, ${threadsAfter} ${AFTER_S} s after.

| kind | answers by status |
| --- | --- |
${kindRows.join('\n')}

RSS every 5 s:

| s | phase | RSS MB | threads |
| --- | --- | --- | --- |
${timeline.join('\n')}

## Runs recorded (memory-load-history.jsonl, last ${history.length})

| date (UTC) | label | flags | RSS before | peak | ${AFTER_S} s after | req/s | p50 / p99 ms | not 200/201 |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${history.map((r) => `| ${r.date.slice(0, 16).replace('T', ' ')} | ${r.label} | ${r.durationS} s, c=${r.concurrency}${r.runtimeArgs.length ? ` ${r.runtimeArgs.join(' ')}` : ''} | ${r.beforeMb.toFixed(0)} MB | ${r.peakMb.toFixed(0)} MB | ${r.after30Mb.toFixed(0)} MB | ${r.rps.toFixed(1)} | ${r.p50.toFixed(0)} / ${r.p99.toFixed(0)} | ${errorText(r.errors)} |`).join('\n')}
`,
);
console.log(`results: ${relative(root, join(values.out, 'memory-load.md'))}`);
