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
// Each endpoint gets a fresh start of its app (with its --warm-up requests, as `npm start` sends them), so its
// first request ("first ms") is the one a user makes right after the start (transpile cache warm), and "start ms"
// what the start cost; then a 1 s warm-up and the load at each concurrency level.
// `--target` checks compare two measurements of the same run as a ratio (absolute numbers move with the
// machine) and print PASS or FAIL; each run is appended to the history, so a regression shows.
//
// Writes bench/results/runtime.md, runtime.json, runtime-rps.svg and runtime-p99.svg, and appends a line to
// runtime-history.jsonl, at the repository root (not with --cli or --out).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { get, load, machineInfo, startRuntimeCli } from '../http-load.mjs';
import { lineChart } from '../svg-chart.mjs';
import { buildFixtures, fixtureManifest } from '../../runtime/test-fixtures/build-fixtures.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const USAGE = `Usage: node bench/runtime/bench.mjs [flags]   (npm run bench:runtime -- [flags] adds the app's own)
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
  --path <name=path>        a row per endpoint (repeatable, at least one), e.g. --path "query=/items/count"
  --warm-up <path>          --warm-up for it (repeatable): GETs before the runtime serves, as its start
                            script does; "first ms" is then the first request after that, and "start ms"
                            includes it
  --endpoint-variable <endpoint>:<name=value>
                            a --variable for that endpoint's start only (repeatable), e.g. to measure one
                            endpoint with a cache on: --endpoint-variable "cached-dashboard:cache_ttl_ms=2000"
Targets, as ratios within this run (repeatable; the fixture's own is always checked):
  --target "<a> <= <k> * <b>"
                            <a>, <b>: [app:]endpoint.metric[@concurrency]; metric: cpu (ms/request, the mean
                            over the levels unless @), p50, p99, rps, first (the first request after a start),
                            start (the start's ms), cold and coldstart (the same without --warm-up);
                            endpoint * means each endpoint in turn, e.g.
                            --target "app:dashboard.cpu <= 3 * app:query.cpu" --target "*.p99@16 <= 4 * *.p50@16"`;

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
      'warm-up': { type: 'string', multiple: true, default: [] },
      'endpoint-variable': { type: 'string', multiple: true, default: [] },
      target: { type: 'string', multiple: true, default: [] },
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
  warmUp: [],
  args: [
    '--sqlite',
    'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
    '--sqlite',
    "INSERT INTO items (name) SELECT 'item ' || value FROM json_each('[1,2,3,4,5,6,7,8,9,10]')",
  ],
  endpoints: [
    { name: 'query', path: '/a/db/count', variables: [] },
    { name: 'chained', path: `/a/chain?to=hidden&path=${encodeURIComponent('/db/count')}`, variables: [] },
  ],
};
/** The fixture's own target: a chained call costs little more than the query it chains to. */
const FIXTURE_TARGETS = ['fixture:chained.cpu <= 1.6 * fixture:query.cpu'];

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
    const name = pair.slice(0, eq);
    if (/[\s:.@*]/.test(name))
      usage(`--path ${pair}: an endpoint name has no spaces, ':', '.', '@' or '*' (targets refer to it)`);
    return { name, path: pair.slice(eq + 1), variables: [] };
  });
  if (endpoints.length === 0) usage('--from needs at least one --path');
  for (const spec of values['endpoint-variable']) {
    const colon = spec.indexOf(':');
    const endpoint = endpoints.find((e) => e.name === spec.slice(0, colon));
    if (colon <= 0 || !endpoint || !spec.slice(colon + 1).includes('='))
      usage(`--endpoint-variable ${spec}: expected <endpoint>:<name=value> for a --path endpoint`);
    endpoint.variables.push(spec.slice(colon + 1));
  }
  return {
    name: 'app',
    from: resolve(values.from),
    build: async () => {},
    args: [
      ...values.sqlite.flatMap((s) => ['--sqlite', sqliteArg(s)]),
      ...values.variable.flatMap((v) => ['--variable', v]),
    ],
    warmUp: values['warm-up'].flatMap((p) => ['--warm-up', p]),
    endpoints,
  };
}

const APPS = { fixture: () => FIXTURE, app: callerApp };
const apps = (values.apps ?? (values.from === undefined ? 'fixture' : 'fixture,app'))
  .split(',')
  .map((name) => (APPS[name] ?? (() => usage(`unknown app '${name}'`)))());
const cli = resolve(root, values.cli ?? 'runtime/dist/cli.js');
const outDir = values.out ?? (values.cli === undefined ? join(root, 'bench/results') : undefined);
const levels = values.concurrency.split(',').map(Number);
const durationMs = Number(values.duration) * 1000;
if (levels.some((level) => !Number.isInteger(level) || level < 1))
  usage(`--concurrency ${values.concurrency}: expected positive integers`);
if (!(durationMs > 0)) usage(`--duration ${values.duration}: expected a positive number of seconds`);

function usage(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** Starts the runtime CLI for `app` on a free port, with `endpoint`'s own variables last (they win), warmed up or not. */
async function startRuntime(app, endpoint, stateDir, { warm = true } = {}) {
  return startRuntimeCli(
    [
      '-f',
      app.from,
      '--state-dir',
      stateDir,
      '--quiet',
      ...app.args,
      ...(warm ? app.warmUp : []),
      ...endpoint.variables.flatMap((v) => ['--variable', v]),
    ],
    { cli },
  );
}

/** Times the first request to `endpoint` on a runtime that has just started: ms. */
async function timeFirstRequest(runtime, app, endpoint) {
  const started = performance.now();
  const probe = await get(`${runtime.url}${endpoint.path}`);
  if (probe.status !== 200)
    throw new Error(`${app.name} ${endpoint.path} answered ${probe.status}; pass a working endpoint (see --help)`);
  return performance.now() - started;
}

const results = [];
const firsts = [];
for (const app of apps) {
  await app.build();
  const stateDir = mkdtempSync(join(tmpdir(), 'spin-bench-'));
  try {
    for (const endpoint of app.endpoints) {
      // Without the app's warm-up too, so what it moves into the start stays in sight ("cold").
      let cold;
      if (app.warmUp.length > 0) {
        const unwarmed = await startRuntime(app, endpoint, stateDir, { warm: false });
        try {
          cold = { startMs: unwarmed.readyMs, firstMs: await timeFirstRequest(unwarmed, app, endpoint) };
        } finally {
          await unwarmed.stop();
        }
      }
      const runtime = await startRuntime(app, endpoint, stateDir);
      try {
        const startMs = runtime.readyMs;
        const firstMs = await timeFirstRequest(runtime, app, endpoint);
        firsts.push({
          app: app.name,
          endpoint: endpoint.name,
          firstMs,
          startMs,
          coldFirstMs: cold?.firstMs ?? firstMs,
          coldStartMs: cold?.startMs ?? startMs,
        });
        const coldNote = cold
          ? `; without the warm-up: start ${cold.startMs.toFixed(0)} ms, first ${cold.firstMs.toFixed(1)} ms`
          : '';
        console.log(
          `${app.name.padEnd(8)} ${endpoint.name.padEnd(18)} start ${startMs.toFixed(0)} ms, first request after it ${firstMs.toFixed(1)} ms${coldNote}`,
        );
        const url = `${runtime.url}${endpoint.path}`;
        await load(url, { concurrency: 4, ms: 1000, pid: runtime.pid }); // warm-up: JIT, prepared instances, SQLite page cache
        for (const concurrency of levels) {
          const r = await load(url, { concurrency, ms: durationMs, pid: runtime.pid });
          results.push({
            app: app.name,
            endpoint: endpoint.name,
            path: endpoint.path,
            variables: endpoint.variables,
            concurrency,
            ...r,
          });
          console.log(
            `${app.name.padEnd(8)} ${endpoint.name.padEnd(18)} c=${String(concurrency).padEnd(3)} ${r.rps.toFixed(0).padStart(5)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req  (${r.requests} requests, ${r.failures} non-200)`,
          );
        }
      } finally {
        await runtime.stop();
      }
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** One side of a target: `[app:]endpoint.metric[@concurrency]`, `*` for the endpoint being checked. */
function operand(text, each) {
  const match = /^(?:([\w-]+):)?([\w-]+|\*)\.(cpu|p50|p99|rps|first|cold|start|coldstart)(?:@(\d+))?$/.exec(text);
  if (!match) throw new Error(`'${text}': expected [app:]endpoint.metric[@concurrency]`);
  const [, appName, name, metric, level] = match;
  const endpoint = name === '*' ? each : { app: appName, endpoint: name };
  const label = `${endpoint.app ?? '?'}:${endpoint.endpoint}.${metric}${level ? `@${level}` : ''}`;
  const start = { first: 'firstMs', cold: 'coldFirstMs', start: 'startMs', coldstart: 'coldStartMs' }[metric];
  if (start) {
    const found = firsts.filter(
      (f) => f.endpoint === endpoint.endpoint && (endpoint.app === undefined || f.app === endpoint.app),
    );
    if (found.length !== 1)
      throw new Error(`'${text}': ${found.length === 0 ? 'no such endpoint' : 'ambiguous: name the app'}`);
    return { label: `${found[0].app}:${endpoint.endpoint}.${metric}`, value: found[0][start] };
  }
  const rows = results.filter(
    (r) =>
      r.endpoint === endpoint.endpoint &&
      (endpoint.app === undefined || r.app === endpoint.app) &&
      (level === undefined || r.concurrency === Number(level)),
  );
  if (new Set(rows.map((r) => r.app)).size !== 1)
    throw new Error(
      `'${text}': ${rows.length === 0 ? 'not measured (endpoint or concurrency)' : 'ambiguous: name the app'}`,
    );
  const pick = { cpu: (r) => r.cpuMsPerRequest, p50: (r) => r.p50, p99: (r) => r.p99, rps: (r) => r.rps }[metric];
  return { label: label.replace(/^\?/, rows[0].app), value: rows.reduce((sum, r) => sum + pick(r), 0) / rows.length };
}

/** Every check a `--target` stands for: one, or one per endpoint for `*`. */
function checkTarget(text) {
  const match = /^\s*(\S+)\s*<=\s*([0-9.]+)\s*\*\s*(\S+)\s*$/.exec(text);
  if (!match) throw new Error(`--target ${text}: expected "<a> <= <k> * <b>"`);
  const [, left, limit, right] = match;
  const each =
    left.includes('*') || right.includes('*')
      ? [...new Map(results.map((r) => [`${r.app}:${r.endpoint}`, { app: r.app, endpoint: r.endpoint }])).values()]
      : [undefined];
  return each.map((endpoint) => {
    const a = operand(left, endpoint);
    const b = operand(right, endpoint);
    const ratio = a.value / b.value;
    return {
      target: text,
      check: `${a.label} <= ${limit} * ${b.label}`,
      a: a.value,
      b: b.value,
      ratio,
      limit: Number(limit),
      pass: ratio <= Number(limit),
    };
  });
}

const targets = [...(apps.some((app) => app.name === 'fixture') ? FIXTURE_TARGETS : []), ...values.target];
const checks = targets.flatMap((text) => {
  try {
    return checkTarget(text);
  } catch (error) {
    return [{ target: text, check: text, error: error instanceof Error ? error.message : String(error), pass: false }];
  }
});
const checkLine = (c) =>
  c.error
    ? `FAIL  ${c.check}: ${c.error}`
    : `${c.pass ? 'PASS' : 'FAIL'}  ${c.check}: ${c.a.toFixed(2)} / ${c.b.toFixed(2)} = ${c.ratio.toFixed(2)}x (limit ${c.limit}x)`;
console.log(`\nTargets (ratios within this run):\n${checks.map(checkLine).join('\n')}`);

if (outDir === undefined) process.exit(0);

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const machine = {
  ...machineInfo(),
  commit,
  apps: apps.map((app) => `${app.name}: ${relative(root, app.from)}`),
  durationSeconds: durationMs / 1000,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'runtime.json'), `${JSON.stringify({ machine, checks, firsts, results }, null, 2)}\n`);

const historyFile = join(outDir, 'runtime-history.jsonl');
appendFileSync(
  historyFile,
  `${JSON.stringify({ date: machine.date, commit, nproc: machine.nproc, checks: checks.map(({ check, ratio, limit, pass }) => ({ check, ratio, limit, pass })) })}\n`,
);
const history = readFileSync(historyFile, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))
  .slice(-12);
const historyChecks = [...new Set(history.flatMap((run) => run.checks.map((c) => c.check)))];
const historyRows = history.map((run) => {
  const byCheck = new Map(run.checks.map((c) => [c.check, c]));
  const cells = historyChecks.map((check) => {
    const c = byCheck.get(check);
    return c?.ratio === undefined || c.ratio === null ? '' : `${c.ratio.toFixed(2)}${c.pass ? '' : ' ✗'}`;
  });
  return `| ${run.date.slice(0, 16).replace('T', ' ')} | ${run.commit} | ${cells.join(' | ')} |`;
});

const series = (metric) =>
  [...new Map(results.map((r) => [`${r.app}:${r.endpoint}`, r])).keys()].map((key) => ({
    name: key,
    points: results.filter((r) => `${r.app}:${r.endpoint}` === key).map((r) => [r.concurrency, metric(r)]),
  }));
writeFileSync(
  join(outDir, 'runtime-rps.svg'),
  lineChart({
    title: 'Requests per second by concurrency (log-log)',
    xLabel: 'concurrent clients',
    yUnit: '/s',
    series: series((r) => r.rps),
  }),
);
writeFileSync(
  join(outDir, 'runtime-p99.svg'),
  lineChart({
    title: 'p99 latency by concurrency (log-log)',
    xLabel: 'concurrent clients',
    yUnit: ' ms',
    series: series((r) => r.p99),
  }),
);

const rows = results.map(
  (r) =>
    `| ${r.app} | ${r.endpoint} | \`${r.path}\`${r.variables.length > 0 ? ` (${r.variables.join(', ')})` : ''} | ${r.concurrency} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuMsPerRequest.toFixed(2)} | ${r.requests} | ${r.failures} |`,
);
const firstRows = firsts.map(
  (f) =>
    `| ${f.app} | ${f.endpoint} | ${f.startMs.toFixed(0)} | ${f.firstMs.toFixed(1)} | ${f.coldStartMs.toFixed(0)} | ${f.coldFirstMs.toFixed(1)} |`,
);
writeFileSync(
  join(outDir, 'runtime.md'),
  `# Local runtime benchmark

Generated by \`npm run bench\` (bench/runtime/bench.mjs) on ${machine.date} at commit ${commit}: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GB,
Node ${machine.node}. Apps: ${machine.apps.map((a) => `\`${a}\``).join(', ')}. Each endpoint on a fresh start of its app, as by \`npm start\`
(transpile cache warm; the app's \`--warm-up\` requests, if any, sent before it serves); load from keep-alive loops in a separate process over loopback (sharing the same cores), ${machine.durationSeconds} s per
row after a 1 s warm-up. "cpu ms/req" is the runtime process's CPU time (all threads) per request. Where the time goes:
[runtime-profile.md](runtime-profile.md).

| app | endpoint | path | concurrency | req/s | p50 ms | p99 ms | cpu ms/req | requests | non-200 |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Start (until the runtime printed its address${values['warm-up'].length > 0 ? `, the app's warm-up included: ${values['warm-up'].map((p) => `\`--warm-up ${p}\``).join(', ')}` : ''}) and the first request after it; then the same for a start without the warm-up, where the first requests pay V8's first-run compilation:

| app | endpoint | start ms | first request ms | start ms, no warm-up ("coldstart") | first request, no warm-up ("cold") |
|---|---|---|---|---|---|
${firstRows.join('\n')}

![Requests per second by concurrency](runtime-rps.svg)
![p99 latency by concurrency](runtime-p99.svg)

## Targets

Ratios of two measurements of this run (absolute figures move with the machine; "cpu" is the mean over the
concurrency levels unless one is named):

${checks.map((c) => `- ${checkLine(c)}`).join('\n')}

## History

The last ${history.length} runs of \`npm run bench\` on this checkout's results (runtime-history.jsonl), ratio per target (✗: over its limit):

| date (UTC) | commit | ${historyChecks.join(' | ')} |
|---|---|${historyChecks.map(() => '---').join('|')}|
${historyRows.join('\n')}
`,
);
console.log(
  `\nwrote ${relative(root, join(outDir, 'runtime.md'))}, runtime.json, runtime-rps.svg, runtime-p99.svg; appended to runtime-history.jsonl`,
);
