#!/usr/bin/env node
// `npm run bench:toolchains`: the old toolchain (@fermyon/spin-sdk 2.0.0's j2w, componentize-js 0.10.5) and
// the new one (componentize-js 0.19.3) side by side, in one run, on the same machine:
//
//   1. build   each component with each toolchain into .cache/toolchains/<toolchain>/ (forced, one build at
//              a time, each in its own process): wall time, CPU time of that process tree, .wasm size;
//   2. load    each .wasm with the runtime's own modules (bench/instantiation.mjs, a process per step):
//              first transpile + compile (empty transpile cache), compile alone (cached), and the median cost
//              of building a fresh instance per request, plus one GET /customers/count on it;
//   3. serve   the runtime CLI on a copy of spin.toml pointing at each toolchain's .wasm (both running, rows
//              interleaved so that drifting machine load hits both alike): /customers/count (one query) and
//              /aggregates/dashboard (2 chained calls) at each concurrency: req/s, p50, p99 and the runtime
//              process's CPU ms per request (the least noisy figure on a shared machine);
//   4. naive   --incidents generated incidents, then a few sequential /aggregates/dashboard?strategy=naive
//              (~5 chained calls of 2000 incidents each) and ?strategy=pushdown, p50 and CPU ms/request, and
//              how the time splits between the components (from their request log lines).
//
// Writes bench/results/toolchains.md and toolchains.json. Compare figures within one run only.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { manifestComponents, TOOLCHAINS } from '../scripts/build.mjs';
import {
  childrenCpuMs,
  cpuMs,
  get,
  load,
  machineInfo,
  percentile,
  progress,
  root,
  startRuntimeCli,
} from './http-load.mjs';

const USAGE = `Usage: npm run bench:toolchains -- [flags]
  --duration <seconds>   measuring time per row of the load test, per toolchain (default: 5)
  --concurrency <list>   comma-separated concurrency levels of the load test (default: 1,4)
  --incidents <n>        generated incidents loaded for the naive-strategy test (default: 10000)
  --naive-requests <n>   sequential requests per toolchain and strategy in that test (default: 5)
  --rounds <n>           instances built per component for the instantiation medians (default: 200)
  --toolchains <list>    toolchains to compare, the old one first: ratios are last / first
                         (default: sdk,componentize; see scripts/build.mjs)
  --reuse-builds         keep the builds in .cache/toolchains whose inputs did not change instead of forcing
                         a rebuild (their build time, CPU and the build table are then not measured)
  --out <dir>            results directory (default: bench/results)
  --help                 show this text`;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,4' },
    incidents: { type: 'string', default: '10000' },
    'naive-requests': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '200' },
    toolchains: { type: 'string', default: 'sdk,componentize' },
    'reuse-builds': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'bench/results') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const durationMs = Number(values.duration) * 1000;
const levels = values.concurrency.split(',').map(Number);
const incidents = Number(values.incidents);
const naiveRequests = Number(values['naive-requests']);
const rounds = Number(values.rounds);
const toolchains = values.toolchains.split(',');
const badFlag = !(durationMs > 0)
  ? '--duration must be a positive number'
  : levels.some((c) => !Number.isInteger(c) || c < 1)
    ? '--concurrency must list positive whole numbers'
    : !Number.isInteger(incidents) || incidents < 1
      ? '--incidents must be a positive whole number'
      : !Number.isInteger(naiveRequests) || naiveRequests < 1
        ? '--naive-requests must be a positive whole number'
        : !Number.isInteger(rounds) || rounds < 1
          ? '--rounds must be a positive whole number'
          : toolchains.length < 2 || new Set(toolchains).size !== toolchains.length
            ? '--toolchains needs two or more different toolchains'
            : toolchains.find((t) => !TOOLCHAINS[t])
              ? `unknown toolchain '${toolchains.find((t) => !TOOLCHAINS[t])}' (${Object.keys(TOOLCHAINS).join(', ')})`
              : undefined;
if (badFlag) {
  console.error(`error: ${badFlag}\n\n${USAGE}`);
  process.exit(2);
}

const COMMAND = ['node bench/toolchains.mjs', ...process.argv.slice(2)].join(' ');
const MEASURED_COMPONENT = { id: 'customers-service', path: '/customers/count' };
const ENDPOINTS = [
  { name: 'one query', path: '/customers/count' },
  { name: 'dashboard (2 chained calls)', path: '/aggregates/dashboard' },
];
const NAIVE_VARIABLES = {
  cache_ttl_ms: '0',
  dashboard_deadline_ms: '60000',
  downstream_timeout_ms: '60000',
  downstream_retries: '0',
};
// The measured naive requests also turn off the stale-if-error copies: storing them is a key-value call after the
// aggregator's memory has grown, on which the sdk build traps (README, "Toolchain"); checked first, see naivePhase.
const NAIVE_MEASURED_VARIABLES = { ...NAIVE_VARIABLES, cache_stale_if_error_ms: '0' };
/** The first page the naive strategy reads (aggregates-service/src/parts.ts, NAIVE_PAGE), timed in-process. */
const PAGE_PATH = '/incidents/grouped-by-customer?limit=2000';
const PAGE_ROUNDS = 20;
/** Naive requests per toolchain before measuring: the first ones also pay for V8 tiering up the engine's code. */
const NAIVE_WARMUP = 2;

const runStarted = performance.now();
const loadStart = loadavg();
const elapsed = () => `${((performance.now() - runStarted) / 1000).toFixed(0).padStart(4)} s`;
const say = (line) => console.log(`[${elapsed()}] ${line}`);
const cacheRoot = join(root, '.cache/toolchains');
const components = await manifestComponents();
const wasmOf = (toolchain, id) => join(cacheRoot, toolchain, `${id}.wasm`);
const scratch = mkdtempSync(join(tmpdir(), 'toolchains-bench-'));
const results = {
  machine: undefined,
  toolchains: toolchains.map((name) => ({ name, describe: TOOLCHAINS[name].describe })),
  builds: [],
  instantiation: [],
  startup: [],
  load: [],
  page: [],
  naiveCheck: [],
  naive: [],
  notes: [],
};
const note = (text) => {
  results.notes.push(text);
  say(`note: ${text}`);
};

// ---------------------------------------------------------------------------------------------------------
// 1. Builds

/** Runs `node args` with its output piped; resolves with the output lines and the time each arrived. */
function runNode(args, { onLine = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let stderr = '';
    const lines = [];
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push({ line, at: performance.now() });
        onLine(line);
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve({ lines, stderr })
        : reject(new Error(`node ${args.slice(0, 2).join(' ')} exited with ${code}:\n${stderr}`)),
    );
  });
}

const BUILD_CHILD = `
import { buildComponent } from ${JSON.stringify(pathToFileURL(join(root, 'scripts/build.mjs')).href)};
const [component, toolchain, force] = JSON.parse(process.argv[1]);
const outcome = await buildComponent(component, { toolchain, force, log: (line) => console.log(line) });
console.log('outcome ' + outcome);`;

async function buildPhase() {
  say(
    `1/4 build: ${components.length} components x ${toolchains.length} toolchains, one at a time${values['reuse-builds'] ? ' (reusing up-to-date builds)' : ' (forced)'}`,
  );
  // Component by component, toolchains alternating, so a change in machine load hits every toolchain.
  for (const component of components) {
    for (const toolchain of toolchains) {
      const wasm = wasmOf(toolchain, component.id);
      const cpuBefore = childrenCpuMs();
      const started = performance.now();
      const { lines } = await runNode([
        '--input-type=module',
        '-e',
        BUILD_CHILD,
        JSON.stringify([{ ...component, wasm }, toolchain, !values['reuse-builds']]),
      ]);
      const wallMs = performance.now() - started;
      const cpu = childrenCpuMs() - cpuBefore;
      const reused = lines.some(({ line }) => line === 'outcome fresh');
      const componentizeAt = lines.find(({ line }) => line.includes('componentizing with'))?.at;
      const bytes = statSync(wasm).size;
      const row = {
        toolchain,
        component: component.id,
        reused,
        bytes,
        wallMs: reused ? null : wallMs,
        bundleMs: reused || !componentizeAt ? null : componentizeAt - started,
        cpuMs: reused ? null : cpu,
      };
      results.builds.push(row);
      say(
        `  ${toolchain.padEnd(13)} ${component.id.padEnd(19)} ${reused ? 'up to date (not measured)' : `${(wallMs / 1000).toFixed(1)} s wall (bundle ${(row.bundleMs / 1000).toFixed(1)} s), ${(cpu / 1000).toFixed(1)} s CPU`}, ${(bytes / 2 ** 20).toFixed(2)} MiB`,
      );
    }
  }
  for (const toolchain of toolchains) writeManifest(toolchain);
}

/** A copy of spin.toml beside the toolchain's builds, its `source`s pointing at them (absolute paths). */
function writeManifest(toolchain) {
  let toml = readFileSync(join(root, 'spin.toml'), 'utf8');
  for (const component of components) {
    const line = `source = "${relative(root, component.wasm)}"`;
    if (!toml.includes(line)) throw new Error(`spin.toml: no line '${line}' to point at the ${toolchain} build`);
    toml = toml.replace(line, `source = ${JSON.stringify(wasmOf(toolchain, component.id))}`);
  }
  writeFileSync(manifestOf(toolchain), toml);
}
const manifestOf = (toolchain) => join(cacheRoot, toolchain, 'spin.toml');

// ---------------------------------------------------------------------------------------------------------
// 2. Loading and instantiation

/** Runs bench/instantiation.mjs (a new process: V8 never reuses a module compiled earlier) and parses its answer. */
const measure = async (args) =>
  JSON.parse((await runNode([join(root, 'bench/instantiation.mjs'), ...args])).lines.at(-1).line);

async function instantiationPhase() {
  say(`2/4 load and instantiate with the runtime's modules (${rounds} instances per median)`);
  // A database with the schema and the sample rows, for GET /customers/count on the measured instances.
  const db = join(scratch, 'instantiation', 'sqlite_db.db');
  await runNode([
    '-e',
    `import(${JSON.stringify(pathToFileURL(join(root, 'bench/load-data.mjs')).href)}).then((m) => m.openDatabase(${JSON.stringify(db)}).close())`,
  ]);
  for (const component of components) {
    for (const toolchain of toolchains) {
      // An empty transpile cache, so the first load transpiles as a first start of the runtime would.
      const cacheDir = join(scratch, 'transpile-cache', toolchain);
      const wasm = wasmOf(toolchain, component.id);
      const first = await measure(['--wasm', wasm, '--cache-dir', cacheDir, '--rounds', '0']);
      const withPath = component.id === MEASURED_COMPONENT.id ? ['--db', db, '--path', MEASURED_COMPONENT.path] : [];
      const second = await measure(['--wasm', wasm, '--cache-dir', cacheDir, '--rounds', String(rounds), ...withPath]);
      if (!first.transpiled || second.transpiled)
        note(
          `${toolchain} ${component.id}: unexpected transpile cache state (first transpiled: ${first.transpiled}, second: ${second.transpiled})`,
        );
      const row = {
        toolchain,
        component: component.id,
        transpileAndCompileMs: first.loadMs,
        compileMs: second.loadMs,
        initialPages: second.initialPages,
        freshMs: second.fresh,
        factoryMs: second.factory,
        releaseMs: second.release,
        handleMs: second.handle,
        handleCpuMs: second.handleCpu,
        hostMs: second.host,
        handlePath: withPath.length > 0 ? MEASURED_COMPONENT.path : null,
      };
      results.instantiation.push(row);
      say(
        `  ${toolchain.padEnd(13)} ${component.id.padEnd(19)} transpile+compile ${first.loadMs.toFixed(0)} ms, compile ${second.loadMs.toFixed(0)} ms; instance: fresh ${second.fresh.toFixed(2)} ms, runtime ${second.factory.toFixed(2)} ms (+ release ${second.release.toFixed(2)} ms)${row.handleMs === null ? '' : `, then ${row.handlePath} ${row.handleMs.toFixed(2)} ms (CPU ${row.handleCpuMs.toFixed(2)} ms, in host calls ${row.hostMs.toFixed(2)} ms)`}; memory ${second.initialPages ?? '?'} pages`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// 3. Load test

/** Starts one runtime CLI per toolchain, one after the other; `args(toolchain)` gives its arguments. */
async function startAll(args, phase) {
  const runtimes = {};
  try {
    for (const toolchain of toolchains) {
      runtimes[toolchain] = await startRuntimeCli(['-f', manifestOf(toolchain), ...args(toolchain)]);
      results.startup.push({ toolchain, phase, readyMs: runtimes[toolchain].readyMs });
      say(
        `  ${toolchain.padEnd(13)} runtime ready in ${runtimes[toolchain].readyMs.toFixed(0)} ms (${phase}; transpiles on a cache miss) at ${runtimes[toolchain].url}`,
      );
    }
  } catch (error) {
    await stopAll(runtimes);
    throw error;
  }
  return runtimes;
}
const stopAll = (runtimes) => Promise.all(Object.values(runtimes).map((r) => r.stop()));

/** Toolchains in turn, the order flipped every other time, so neither always goes first. */
const turn = (i) => (i % 2 === 0 ? toolchains : [...toolchains].reverse());

/** GETs `path` on every runtime; throws unless all answer 200; notes when the bodies differ. */
async function probe(runtimes, path, { complete = false } = {}) {
  const answers = {};
  for (const toolchain of toolchains) {
    const answer = await get(`${runtimes[toolchain].url}${path}`);
    answers[toolchain] = answer;
    const incomplete = complete && answer.status === 200 && /"errors"\s*:/.test(answer.body);
    if (answer.status !== 200 || incomplete)
      answer.failure = `${path} answered ${answer.status}${incomplete ? ' (incomplete)' : ''}: ${answer.body.slice(0, 300)}`;
  }
  const ok = toolchains.filter((t) => !answers[t].failure);
  if (ok.some((t) => answers[t].body !== answers[ok[0]].body))
    note(
      `${path}: the toolchains' answers differ (${ok.map((t) => `${t}: ${answers[t].body.length} bytes`).join(', ')})`,
    );
  return answers;
}

async function loadPhase() {
  say(
    `3/4 serve: ${ENDPOINTS.map((e) => e.path).join(', ')} at concurrency ${levels.join(',')}, ${durationMs / 1000} s per row and toolchain`,
  );
  const runtimes = await startAll(
    (toolchain) => [
      '--state-dir',
      join(scratch, `serve-${toolchain}`),
      '--sqlite',
      `@${join(root, 'migrations.sql')}`,
      '--variable',
      'cache_ttl_ms=0',
      '--quiet',
    ],
    'first start',
  );
  try {
    let row = 0;
    for (const endpoint of ENDPOINTS) {
      const answers = await probe(runtimes, endpoint.path);
      const failed = toolchains.filter((t) => answers[t].failure);
      for (const t of failed) note(`${t}: ${answers[t].failure}`);
      if (failed.length > 0) throw new Error(`${endpoint.path} does not work on ${failed.join(', ')}`);
      // Warm-up: JIT, prepared instances, SQLite page cache.
      for (const toolchain of toolchains)
        await load(`${runtimes[toolchain].url}${endpoint.path}`, { concurrency: 4, ms: 1000 });
      for (const concurrency of levels) {
        for (const toolchain of turn(row++)) {
          const r = await load(`${runtimes[toolchain].url}${endpoint.path}`, {
            concurrency,
            ms: durationMs,
            pid: runtimes[toolchain].pid,
          });
          results.load.push({ toolchain, endpoint: endpoint.name, path: endpoint.path, concurrency, ...r });
          say(
            `  ${toolchain.padEnd(13)} ${endpoint.path.padEnd(22)} c=${String(concurrency).padEnd(3)} ${r.rps.toFixed(0).padStart(5)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req  (${r.requests} requests, ${r.failures} non-200)`,
          );
        }
      }
    }
  } finally {
    await stopAll(runtimes);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 4. The naive strategy over many incidents

/** The guests' request log lines (`{"component",...,"durationMs"}`) in a runtime's output. */
function guestLogLines(text) {
  const lines = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line);
      if (typeof entry.component === 'string' && typeof entry.durationMs === 'number') lines.push(entry);
    } catch {
      // Not a log line.
    }
  }
  return lines;
}

async function naivePhase() {
  say(`4/4 naive: ${incidents} incidents, ${naiveRequests} sequential requests per toolchain and strategy`);
  const first = join(scratch, `naive-${toolchains[0]}`);
  const started = performance.now();
  await runNode(
    [join(root, 'bench/load-data.mjs'), '--incidents', String(incidents), '--db', join(first, 'sqlite_db.db')],
    { onLine: (line) => say(`  ${line}`) },
  );
  say(`  loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const toolchain of toolchains.slice(1)) {
    mkdirSync(join(scratch, `naive-${toolchain}`), { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(join(first, `sqlite_db.db${suffix}`)))
        copyFileSync(
          join(first, `sqlite_db.db${suffix}`),
          join(scratch, `naive-${toolchain}`, `sqlite_db.db${suffix}`),
        );
    }
  }
  // One page as the naive strategy reads it, in-process on the incidents component alone: how much is the guest.
  for (const toolchain of toolchains) {
    const db = join(scratch, `naive-${toolchain}`, 'sqlite_db.db');
    const r = await measure([
      '--wasm',
      wasmOf(toolchain, 'incidents-service'),
      '--rounds',
      '0',
      '--db',
      db,
      '--path',
      PAGE_PATH,
      '--path-rounds',
      String(PAGE_ROUNDS),
    ]);
    results.page.push({
      toolchain,
      path: PAGE_PATH,
      rounds: PAGE_ROUNDS,
      handleMs: r.handle,
      handleCpuMs: r.handleCpu,
      hostMs: r.host,
      hostCalls: r.hostCalls,
      bytes: r.bytes,
    });
    say(
      `  ${toolchain.padEnd(13)} incidents-service ${PAGE_PATH} in-process: ${r.handle.toFixed(1)} ms (CPU ${r.handleCpu.toFixed(1)} ms), in ${r.hostCalls} host calls ${r.host.toFixed(1)} ms, ${r.bytes} bytes`,
    );
  }
  const naiveArgs = (variables) => (toolchain) => [
    '--state-dir',
    join(scratch, `naive-${toolchain}`),
    '--quiet',
    '--request-timeout',
    '180000',
    ...Object.entries(variables).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
  ];
  // First, as the app is configured by default (stale-if-error copies stored in key-value): does it work at all?
  const checked = await startAll(naiveArgs(NAIVE_VARIABLES), `${incidents} incidents, check`);
  try {
    const path = '/aggregates/dashboard?strategy=naive';
    for (const toolchain of toolchains) {
      const answer = await get(`${checked[toolchain].url}${path}`);
      const complete = answer.status === 200 && !/"errors"\s*:/.test(answer.body);
      const trap = checked[toolchain]
        .output()
        .split('\n')
        .find((line) => /trap|RuntimeError|unreachable/i.test(line));
      results.naiveCheck.push({
        toolchain,
        path,
        variables: NAIVE_VARIABLES,
        status: answer.status,
        complete,
        ms: answer.ms,
        ...(trap ? { trap: trap.slice(0, 300) } : {}),
      });
      say(
        `  ${toolchain.padEnd(13)} with the stale-if-error cache on: ${answer.status}${answer.status === 200 && !complete ? ' (incomplete)' : ''} in ${answer.ms.toFixed(0)} ms${trap ? `; runtime said: ${trap.slice(0, 200)}` : ''}`,
      );
      if (!complete)
        note(
          `${toolchain}: ${path} with ${Object.entries(NAIVE_VARIABLES)
            .map(([k, v]) => `${k}=${v}`)
            .join(
              ' ',
            )} (stale-if-error on) at ${incidents} incidents answered ${answer.status}${answer.status === 200 ? ', incomplete' : ''}${trap ? ` (${trap.slice(0, 200)})` : ''}; measured with cache_stale_if_error_ms=0 instead`,
        );
    }
  } finally {
    await stopAll(checked);
  }
  const runtimes = await startAll(naiveArgs(NAIVE_MEASURED_VARIABLES), `${incidents} incidents`);
  try {
    for (const strategy of ['naive', 'pushdown']) {
      const path = `/aggregates/dashboard?strategy=${strategy}`;
      // Also the warm-up: each toolchain's first request.
      const answers = await probe(runtimes, path, { complete: true });
      const working = toolchains.filter((t) => !answers[t].failure);
      for (const t of toolchains.filter((t) => answers[t].failure)) {
        note(`${t}: ${answers[t].failure}`);
        results.naive.push({ toolchain: t, strategy, path, failure: answers[t].failure });
      }
      for (let i = 1; i < NAIVE_WARMUP; i++) for (const t of working) await get(`${runtimes[t].url}${path}`);
      const samples = Object.fromEntries(
        working.map((t) => [t, { latencies: [], cpu: 0, failures: [], logFrom: runtimes[t].output().length }]),
      );
      const bar = progress(`  ${strategy}`, naiveRequests * working.length);
      let done = 0;
      for (let i = 0; i < naiveRequests; i++) {
        for (const toolchain of turn(i).filter((t) => working.includes(t))) {
          const runtime = runtimes[toolchain];
          const cpuBefore = cpuMs(runtime.pid);
          const answer = await get(`${runtime.url}${path}`);
          samples[toolchain].cpu += cpuMs(runtime.pid) - cpuBefore;
          samples[toolchain].latencies.push(answer.ms);
          if (answer.status !== 200 || answer.body !== answers[toolchain].body)
            samples[toolchain].failures.push(answer.status);
          bar.update(++done);
        }
      }
      bar.done();
      // Give the last log lines time to arrive (the guests write them after answering).
      await sleep(200);
      for (const toolchain of working) {
        const s = samples[toolchain];
        s.latencies.sort((a, b) => a - b);
        const byComponent = {};
        for (const entry of guestLogLines(runtimes[toolchain].output().slice(s.logFrom))) {
          const c = (byComponent[entry.component] ??= { calls: 0, ms: 0 });
          c.calls += 1;
          c.ms += entry.durationMs;
        }
        const perRequest = Object.fromEntries(
          Object.entries(byComponent).map(([c, v]) => [
            c,
            { calls: v.calls / naiveRequests, ms: v.ms / naiveRequests },
          ]),
        );
        const row = {
          toolchain,
          strategy,
          path,
          requests: naiveRequests,
          failures: s.failures.length,
          p50: percentile(s.latencies, 50),
          p99: percentile(s.latencies, 99),
          cpuMsPerRequest: s.cpu / naiveRequests,
          perRequest,
        };
        results.naive.push(row);
        const split = Object.entries(perRequest)
          .map(([c, v]) => `${c} ${v.ms.toFixed(0)} ms in ${v.calls.toFixed(0)}`)
          .join(', ');
        say(
          `  ${toolchain.padEnd(13)} ${strategy.padEnd(8)} p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms  cpu ${row.cpuMsPerRequest.toFixed(0)} ms/req  (${row.failures} failed; per request: ${split || 'no guest log lines'})`,
        );
      }
    }
  } finally {
    await stopAll(runtimes);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Results

function writeResults() {
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'toolchains.json'), `${JSON.stringify(results, null, 2)}\n`);
  const [oldest, newest] = [toolchains[0], toolchains.at(-1)];
  const num = (digits) => (v) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
  const ratio = (a, b) =>
    a === null || b === null || a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0
      ? '-'
      : `${(a / b).toFixed(2)}`;
  /** A table with one column per toolchain and the ratio newest / oldest; rows: [label, {toolchain: value}, format]. */
  const table = (first, rows) => {
    const head = `| ${first} | ${toolchains.join(' | ')} | ${newest} / ${oldest} |\n|---|${toolchains.map(() => '---:').join('|')}|---:|`;
    return `${head}\n${rows.map(([label, v, fmt]) => `| ${label} | ${toolchains.map((t) => fmt(v[t])).join(' | ')} | ${ratio(v[newest], v[oldest])} |`).join('\n')}`;
  };
  const pick = (list, where, field) =>
    Object.fromEntries(toolchains.map((t) => [t, list.find((r) => r.toolchain === t && where(r))?.[field] ?? null]));
  const m = results.machine;

  const buildRows = components.flatMap((c) => {
    const at = (r) => r.component === c.id;
    const wall = pick(results.builds, at, 'wallMs');
    const cpu = pick(results.builds, at, 'cpuMs');
    const bundle = pick(results.builds, at, 'bundleMs');
    const bytes = pick(results.builds, at, 'bytes');
    const s = (ms) => (ms === null ? '-' : (ms / 1000).toFixed(1));
    return [
      [`${c.id}: build wall s`, wall, s],
      [`${c.id}: of which bundling (webpack) s`, bundle, s],
      [`${c.id}: build CPU s`, cpu, s],
      [
        `${c.id}: .wasm MiB`,
        Object.fromEntries(Object.entries(bytes).map(([t, b]) => [t, b === null ? null : b / 2 ** 20])),
        num(2),
      ],
    ];
  });
  const instRows = components.flatMap((c) => {
    const at = (r) => r.component === c.id;
    const rows = [
      [`${c.id}: first transpile + compile ms`, pick(results.instantiation, at, 'transpileAndCompileMs'), num(0)],
      [`${c.id}: compile ms (transpile cached)`, pick(results.instantiation, at, 'compileMs'), num(0)],
      [`${c.id}: instance, runtime (recycled memory) ms`, pick(results.instantiation, at, 'factoryMs'), num(2)],
      [`${c.id}: instance, fresh memory ms`, pick(results.instantiation, at, 'freshMs'), num(2)],
      [`${c.id}: zeroing the memory after the request ms`, pick(results.instantiation, at, 'releaseMs'), num(2)],
      [`${c.id}: initial memory, 64 KiB pages`, pick(results.instantiation, at, 'initialPages'), num(0)],
    ];
    if (c.id === MEASURED_COMPONENT.id) {
      rows.push(
        [
          `${c.id}: then \`GET ${MEASURED_COMPONENT.path}\` on it ms`,
          pick(results.instantiation, at, 'handleMs'),
          num(2),
        ],
        [`${c.id}: that request, CPU ms`, pick(results.instantiation, at, 'handleCpuMs'), num(2)],
        [`${c.id}: that request, in host calls ms`, pick(results.instantiation, at, 'hostMs'), num(2)],
      );
    }
    return rows;
  });
  const startRows = [...new Set(results.startup.map((s) => s.phase))].map((phase) => [
    `runtime CLI ready ms (${phase})`,
    pick(results.startup, (s) => s.phase === phase, 'readyMs'),
    num(0),
  ]);
  const loadRows = ENDPOINTS.flatMap((e) =>
    levels.flatMap((c) => {
      const at = (r) => r.path === e.path && r.concurrency === c;
      const label = `\`${e.path}\` c=${c}`;
      return [
        [`${label} req/s`, pick(results.load, at, 'rps'), num(0)],
        [`${label} p50 ms`, pick(results.load, at, 'p50'), num(1)],
        [`${label} p99 ms`, pick(results.load, at, 'p99'), num(1)],
        [`${label} **CPU ms/request**`, pick(results.load, at, 'cpuMsPerRequest'), num(2)],
      ];
    }),
  );
  const loadCounts = results.load
    .map((r) => `${r.toolchain} ${r.path} c=${r.concurrency}: ${r.requests} (${r.failures} non-200)`)
    .join('; ');
  const naiveRows = ['naive', 'pushdown'].flatMap((strategy) => {
    const at = (r) => r.strategy === strategy && !r.failure;
    const rows = [
      [`${strategy}: p50 ms`, pick(results.naive, at, 'p50'), num(1)],
      [`${strategy}: p99 ms`, pick(results.naive, at, 'p99'), num(1)],
      [`${strategy}: **CPU ms/request**`, pick(results.naive, at, 'cpuMsPerRequest'), num(0)],
    ];
    for (const c of components) {
      const ms = Object.fromEntries(
        toolchains.map((t) => [
          t,
          results.naive.find((r) => r.toolchain === t && at(r))?.perRequest?.[c.id]?.ms ?? null,
        ]),
      );
      const calls = Object.fromEntries(
        toolchains.map((t) => [
          t,
          results.naive.find((r) => r.toolchain === t && at(r))?.perRequest?.[c.id]?.calls ?? null,
        ]),
      );
      if (Object.values(calls).some((v) => v))
        rows.push([
          `${strategy}: in ${c.id} ms (mean per dashboard, its own log; ${toolchains.map((t) => num(0)(calls[t])).join('/')} calls)`,
          ms,
          num(1),
        ]);
    }
    return rows;
  });
  const pageRows = [
    ['page: handler ms', pick(results.page, () => true, 'handleMs'), num(1)],
    ['page: handler **CPU ms**', pick(results.page, () => true, 'handleCpuMs'), num(1)],
    ['page: of which in host calls ms', pick(results.page, () => true, 'hostMs'), num(1)],
    ['page: host calls', pick(results.page, () => true, 'hostCalls'), num(0)],
    ['page: response bytes', pick(results.page, () => true, 'bytes'), num(0)],
  ];
  const failures = results.naive.filter((r) => r.failure).map((r) => `- ${r.toolchain}, ${r.strategy}: ${r.failure}`);

  writeFileSync(
    join(values.out, 'toolchains.md'),
    `# Toolchains side by side: ${toolchains.map((t) => `\`${t}\` (${TOOLCHAINS[t].describe})`).join(' vs ')}

Generated by \`npm run bench:toolchains\` on ${m.date}: \`${m.command}\` (after \`npm run build:runtime\`),
${m.nproc} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}; load average ${m.loadavgStart.map((l) => l.toFixed(2)).join(' ')} at the start,
${m.loadavgEnd.map((l) => l.toFixed(2)).join(' ')} at the end; ${(m.totalSeconds / 60).toFixed(1)} minutes in all. Every figure of both toolchains comes from this
one run; compare them only with each other. The last column is ${newest} / ${oldest}: above 1 means the new toolchain's
figure is larger (slower, for times and CPU; faster, for req/s). On a loaded machine trust the CPU rows most.

## 1. Build

Each component built with \`buildComponent\` (scripts/build.mjs) into \`.cache/toolchains/<toolchain>/\`, ${values['reuse-builds'] ? '**reusing up-to-date builds (not measured: -)**' : 'forced'},
one at a time, each in its own process; CPU is that process tree's user + system time (webpack, the toolchain, Wizer).

${table('component', buildRows)}

## 2. Loading and instantiation (runtime modules, bench/instantiation.mjs)

First load with an empty transpile cache (jco transpile + compiling the core modules), then a load from the cache in
a new process (compile only). Per request the runtime builds a fresh instance from the compiled modules
(\`InstanceFactory.take\`, recycled zeroed memory); "fresh memory" is the same with a new memory each time, as Spin
does. Medians of ${m.rounds} instances after 20 warm-up ones, on one thread.

${table('measurement', [...instRows, ...startRows])}

## 3. Serving (runtime CLI, loopback HTTP)

\`--sqlite @migrations.sql --variable cache_ttl_ms=0 --quiet\`, a temporary state directory per toolchain, both
runtimes up at once and measured in turn (order flipped every row), ${m.durationSeconds} s per row after a 1 s warm-up at
concurrency 4. CPU ms/request is the runtime process's CPU time (all threads) per request.

${table('endpoint', loadRows)}

Requests: ${loadCounts}.

## 4. The naive strategy at ${m.incidents.toLocaleString('en-US')} generated incidents

\`node bench/load-data.mjs --incidents ${m.incidents} --db <state>/sqlite_db.db\` (plus the 1000 generated customers it adds),
runtimes with ${Object.entries(NAIVE_MEASURED_VARIABLES)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')}; after ${NAIVE_WARMUP} warm-up
requests each (the first checked complete, and identical across toolchains), ${m.naiveRequests} sequential requests per toolchain and strategy,
interleaved. The per-component rows are the sum of each component's own \`durationMs\` log lines per dashboard
(incidents-service: the pages of \`/incidents/grouped-by-customer\` for naive; aggregates-service: the whole dashboard).

${table('measurement', naiveRows)}

One page of it, \`GET ${PAGE_PATH}\` on the incidents component alone, in-process (bench/instantiation.mjs, medians
of ${PAGE_ROUNDS} requests after 3 warm-up ones, a fresh instance each): the handler's wall and CPU time, and the part spent in host
functions (SQLite, streams; every import wrapped with a timer). The rest is the guest: the JS engine running the app.

${table('measurement', pageRows)}

First, one request with the app's default stale-if-error cache on (${Object.entries(NAIVE_VARIABLES)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')}: the
aggregator stores each call's answer in key-value, after its memory has grown):
${results.naiveCheck.map((c) => `${c.toolchain} answered **${c.status}${c.status === 200 && !c.complete ? ', incomplete' : ''}** in ${c.ms.toFixed(0)} ms${c.trap ? ` (\`${c.trap.replaceAll('`', "'")}\`)` : ''}`).join('; ')}.
${failures.length > 0 ? `\nFailed:\n${failures.join('\n')}\n` : ''}${results.notes.length > 0 ? `\n## Notes\n\n${results.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`,
  );
  say(`wrote ${relative(root, join(values.out, 'toolchains.md'))} and toolchains.json`);
}

// ---------------------------------------------------------------------------------------------------------
// The run (last: the phases above use constants declared along the way)

try {
  await buildPhase();
  await instantiationPhase();
  await loadPhase();
  await naivePhase();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
results.machine = {
  ...machineInfo(),
  loadavgStart: loadStart,
  loadavgEnd: loadavg(),
  command: COMMAND,
  durationSeconds: durationMs / 1000,
  concurrency: levels,
  incidents,
  naiveRequests,
  rounds,
  totalSeconds: (performance.now() - runStarted) / 1000,
};
writeResults();
