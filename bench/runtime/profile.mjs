#!/usr/bin/env node
/* global WebAssembly */
// Where one request's time goes in the local runtime, measured piece by piece with the same modules a worker
// uses (runtime/dist). Prints markdown tables of medians (ms):
//
//   1. building an instance of the fixture guest on one thread: a fresh memory per instance (as before memory
//      recycling) vs the worker's InstanceFactory (recycled memory), releasing it (its memory back to the data image), and zeroing a
//      bare memory of the same size over and over (cache-hot: the floor of the release);
//   2. the fixture guest's handler on a ready instance, per endpoint, and the time spent inside the host calls
//      it makes (SQLite, key-value, variables), by wrapping the host functions;
//   3. the same per instance for the app's components (spin.toml, schema from migrations.sql): building an
//      instance with the InstanceFactory, releasing it, and one cheap request that makes no outbound call;
//   4. through the whole runtime in-process (`spin.fetch`, no socket, sequential requests): the fixture's
//      query, bare request and chained call (and so the chaining hop), the app's query and its dashboard
//      without and with the response cache; latency medians and the process's CPU ms per request (all
//      threads: main, workers, V8's helpers).
//
// Sections 1-3 run on this thread, outside any worker, with requests and grants built by the runtime's own
// code (router, spin-* headers, host API grants) as the dispatcher hands them to a worker. Every measured
// loop takes its cases in turn (A, B, C, A, B, C, ...) so that drift (JIT tier-up, GC, the load of the shared
// machine) spreads evenly over them (except section 1's fresh memories, measured alone). Numbers swing with
// the load on the machine: compare within one run.
//
// Run (the app's components must be built already, e.g. by `npm run build`; this script never builds them):
//
//   npx tsc -p runtime/tsconfig.json && node bench/runtime/profile.mjs
//
// Knobs (environment): PROFILE_ROUNDS (default 300) rounds per case in sections 1-3, after 20 unmeasured
// ones; PROFILE_RUNTIME_ROUNDS (default 30) rounds in section 4, each PROFILE_PER_ROUND (default 10)
// requests per path, after 3 unmeasured rounds; PROFILE_APP=0 leaves the app out (sections 3 and 4's app
// rows).
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildFixtures, fixtureManifest } from '../../runtime/test-fixtures/build-fixtures.mjs';
import {
  benchHost,
  benchRequests,
  create,
  IncomingRequest,
  InstanceFactory,
  loadComponentCode,
  manifestGrants,
  ResponseOutparam,
} from './runtime-modules.mjs';

const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 300);
const RUNTIME_ROUNDS = Number(process.env.PROFILE_RUNTIME_ROUNDS ?? 30);
const PER_ROUND = Number(process.env.PROFILE_PER_ROUND ?? 10);
const WITH_APP = process.env.PROFILE_APP !== '0';
const WARMUP = 20;
const RUNTIME_WARMUP = 3;
/** After each burst of section 4, inside its CPU window: the worker's idle-time instance for the next request. */
const SETTLE_MS = 20;
const PAGE_BYTES = 65_536;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const appManifest = join(repo, 'spin.toml');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const ms = (value) => value.toFixed(3);
const mb = (bytes) => (bytes / 1e6).toFixed(1);
const quiet = { guestOutput() {} };

/** The app's .wasm files may be rebuilt by someone else at any moment: a half-written one fails to load. */
async function retrying(what, attempt) {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= 6) throw error;
      process.stderr.write(
        `${what}: ${String(error?.message ?? error).split('\n')[0]}; retrying in 5 s (a .wasm being rebuilt?)\n`,
      );
      await sleep(5000);
    }
  }
}

// State: the runtime prepares the databases at start (schema, rows, key-value pairs); each app gets its own.
await buildFixtures();
const fixtureState = mkdtempSync(join(tmpdir(), 'spin-profile-fixture-'));
const fixtureSpin = await create({
  from: fixtureManifest,
  stateDir: fixtureState,
  sqlite: [
    'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
    "INSERT INTO items (name) VALUES ('a'), ('b')",
  ],
  keyValues: { k: 'v' },
  ...quiet,
});
const fixture = fixtureSpin.manifest;
await fixtureSpin.dispose();
const appState = mkdtempSync(join(tmpdir(), 'spin-profile-app-'));
let app;
if (WITH_APP) {
  const appSpin = await retrying('spin.toml', () =>
    create({ from: appManifest, stateDir: appState, sqlite: [`@${join(repo, 'migrations.sql')}`], ...quiet }),
  );
  app = appSpin.manifest;
  await appSpin.dispose();
}

// One host and one InstanceFactory for every component, as in one worker thread.
const host = benchHost();
const hostTime = new Map();
function timed(name, fn) {
  return function (...args) {
    const started = performance.now();
    try {
      return fn.apply(this, args);
    } finally {
      hostTime.set(name, (hostTime.get(name) ?? 0) + performance.now() - started);
    }
  };
}
/** A component's import table with its SQLite, key-value and variables functions timed into `hostTime`. */
function timedImports(table) {
  for (const [iface, member] of [
    ['fermyon:spin/sqlite', 'Connection'],
    ['fermyon:spin/key-value', 'Store'],
  ]) {
    if (!(iface in table)) continue;
    const cls = table[iface][member];
    const short = iface.replace('fermyon:spin/', '');
    for (const method of Object.getOwnPropertyNames(cls.prototype)) {
      if (method !== 'constructor')
        cls.prototype[method] = timed(`${short} ${member}.${method}`, cls.prototype[method]);
    }
    cls.open = timed(`${short} ${member}.open`, cls.open);
  }
  const variables =
    'fermyon:spin/variables' in table
      ? { get: timed('variables get', table['fermyon:spin/variables'].get) }
      : undefined;
  return new Proxy(table, {
    get: (target, key) =>
      variables && typeof key === 'string' && key.replace(/@.*$/, '') === 'fermyon:spin/variables'
        ? variables
        : target[key],
  });
}

const code = new Map();
/** Loads a component's code (transpile cache) and registers it with the factory; its setup as a worker gets it. */
async function addComponent(manifest, id, grants) {
  const source = manifest.components[id].source;
  const { key, module } = await retrying(id, () => loadComponentCode(source));
  const { instantiate } = await import(module.glueUrl);
  const setup = { id, moduleKey: key, grants: grants[id] };
  code.set(id, { setup, module, instantiate, imports: timedImports(host.imports(setup)) });
  return { id, module, instantiate, wasmBytes: statSync(source).size };
}
const factory = new InstanceFactory((id) => {
  const entry = code.get(id);
  if (!entry) throw new Error(`unknown component '${id}'`);
  return entry;
});

/** One request on an instance from `build`, as worker.ts runs it; the times of each step. */
function runOnce(build, release, request, expected) {
  hostTime.clear();
  const started = performance.now();
  const instance = build();
  const built = performance.now();
  const outparam = new ResponseOutparam();
  instance.handler.handle(new IncomingRequest(request), outparam);
  const handled = performance.now();
  const inHost = [...hostTime.values()].reduce((a, b) => a + b, 0);
  host.endRequest();
  const releasing = performance.now();
  release(instance);
  const released = performance.now();
  const result = outparam.result;
  const status = result?.tag === 'ok' ? result.val.statusCode() : `error ${result ? result.val.tag : '(none)'}`;
  if (status !== expected) throw new Error(`${request.pathWithQuery} answered ${status}, expected ${expected}`);
  return {
    build: built - started,
    handle: handled - built,
    release: released - releasing,
    inHost,
    calls: [...hostTime.keys()],
  };
}

/** Runs `cases` in turn for ROUNDS (+ warm-up) rounds; per case, the lists of each step's times. */
function interleaved(cases) {
  const samples = cases.map(() => ({ build: [], handle: [], release: [], inHost: [], calls: new Set() }));
  for (let round = 0; round < ROUNDS + WARMUP; round++) {
    cases.forEach((run, i) => {
      const times = run();
      if (round < WARMUP) return;
      const sample = samples[i];
      for (const step of ['build', 'handle', 'release', 'inHost']) sample[step].push(times[step]);
      for (const call of times.calls) sample.calls.add(call);
    });
  }
  return samples.map((s) => ({
    samples: s,
    build: median(s.build),
    handle: median(s.handle),
    release: median(s.release),
    inHost: median(s.inHost),
    calls: [...s.calls].join(', ') || '-',
  }));
}

const fixtureRequest = benchRequests(fixture);
const alpha = await addComponent(fixture, 'alpha', manifestGrants(fixture, { stateDir: fixtureState }));
const own = alpha.module.ownMemory;
if (!own) throw new Error('expected the main core module to import its memory (memory-import.ts)');

console.log(
  `# runtime profile (medians, ms; ${ROUNDS} rounds per case, section 4: ${RUNTIME_ROUNDS} rounds of ${PER_ROUND})\n`,
);
console.log(`Node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at start.\n`);

// 1. Instantiation of the fixture guest: fresh memory vs recycled.
{
  const originalMain = await WebAssembly.compile(
    readFileSync(join(dirname(fileURLToPath(alpha.module.glueUrl)), own.core)),
  );
  const freshCores = { ...alpha.module.cores, [own.core]: originalMain };
  const imports = code.get('alpha').imports;
  const dbCount = fixtureRequest('/a/db/count').request;
  // Not interleaved: a fresh memory per instance makes garbage whose collection would land in the other's times.
  const [fresh] = interleaved([
    () =>
      runOnce(
        () => ({ handler: alpha.instantiate((name) => freshCores[name], imports).incomingHandler }),
        () => {},
        dbCount,
        200,
      ),
  ]);
  const [recycled] = interleaved([
    () =>
      runOnce(
        () => factory.take('alpha'),
        (instance) => factory.release(instance),
        dbCount,
        200,
      ),
  ]);
  const memory = new WebAssembly.Memory({ initial: own.initialPages });
  const zeroing = median(
    Array.from({ length: ROUNDS }, () => {
      const started = performance.now();
      new Uint8Array(memory.buffer).fill(0);
      return performance.now() - started;
    }),
  );
  console.log(
    `## 1. Building one instance of the fixture guest (${mb(alpha.wasmBytes)} MB component, ${mb(own.initialPages * PAGE_BYTES)} MB initial memory)\n`,
  );
  console.log('| | build ms | then `/a/db/count` on it ms | release ms |\n|---|---|---|---|');
  console.log(`| fresh memory per instance (before recycling) | ${ms(fresh.build)} | ${ms(fresh.handle)} | - |`);
  console.log(
    `| recycled memory, InstanceFactory | ${ms(recycled.build)} | ${ms(recycled.handle)} | ${ms(recycled.release)} |`,
  );
  console.log(
    `| zeroing a bare memory of that size, back to back (cache-hot: the floor of a reset) | | | ${ms(zeroing)} |`,
  );
}

// 2. The fixture's handler on a ready instance, and its host calls.
{
  const paths = ['/a/status', '/a/db/count', '/a/kv/get?key=k', '/a/var?name=greeting', '/a/echo'];
  const results = interleaved(
    paths.map(
      (path) => () =>
        runOnce(
          () => factory.take('alpha'),
          (instance) => factory.release(instance),
          fixtureRequest(path).request,
          200,
        ),
    ),
  );
  console.log("\n## 2. The fixture guest's handler on a ready instance\n");
  console.log('| request | handler ms | in host calls ms | host calls |\n|---|---|---|---|');
  paths.forEach((path, i) =>
    console.log(`| \`${path}\` | ${ms(results[i].handle)} | ${ms(results[i].inHost)} | ${results[i].calls} |`),
  );
}

// 3. The app's components, per instance.
if (WITH_APP) {
  const appRequest = benchRequests(app);
  const grants = manifestGrants(app, { stateDir: appState });
  const cases = [
    { path: '/customers/count', status: 200 },
    { path: '/customers/events/last', status: 200 },
    { path: '/incidents/events/last', status: 200 },
    { path: '/aggregates/nothing', status: 404 },
  ].map((c) => ({ ...c, ...appRequest(c.path) }));
  const components = new Map();
  for (const { component } of cases)
    if (!components.has(component)) components.set(component, await addComponent(app, component, grants));
  const results = interleaved(
    cases.map(
      ({ component, request, status }) =>
        () =>
          runOnce(
            () => factory.take(component),
            (instance) => factory.release(instance),
            request,
            status,
          ),
    ),
  );
  console.log("\n## 3. The app's components, per instance (InstanceFactory, recycled memory; no outbound calls)\n");
  console.log(
    '| component | .wasm MB | initial memory MB | build ms | release (memory reset) ms |\n|---|---|---|---|---|',
  );
  for (const [id, { module, wasmBytes }] of components) {
    // Over every request of the component: each had its own instance.
    const mine = results.filter((_, i) => cases[i].component === id).map((r) => r.samples);
    const pages = module.ownMemory?.initialPages;
    console.log(
      `| ${id} | ${mb(wasmBytes)} | ${pages ? mb(pages * PAGE_BYTES) : '-'} | ${ms(median(mine.flatMap((s) => s.build)))} | ${ms(median(mine.flatMap((s) => s.release)))} |`,
    );
  }
  console.log(
    '\n| request | status | handler on a ready instance ms | in host calls ms | host calls |\n|---|---|---|---|---|',
  );
  cases.forEach(({ path, status }, i) =>
    console.log(
      `| \`${path}\` | ${status} | ${ms(results[i].handle)} | ${ms(results[i].inHost)} | ${results[i].calls} |`,
    ),
  );
}

// 4. Through the whole runtime, in-process: bursts of PER_ROUND requests per path, paths in turn.
{
  const fixtureRuntime = await create({ from: fixtureManifest, stateDir: fixtureState, ...quiet });
  const runtimes = [fixtureRuntime];
  const chain = `/a/chain?to=hidden&path=${encodeURIComponent('/db/count')}`;
  const paths = [
    { label: '`/a/db/count` (fixture, one query)', spin: fixtureRuntime, path: '/a/db/count' },
    { label: '`/a/status` (fixture, no host call)', spin: fixtureRuntime, path: '/a/status' },
    {
      label: '`/a/chain?to=hidden&path=/db/count` (fixture, one chained call to the same query)',
      spin: fixtureRuntime,
      path: chain,
    },
  ];
  // The cached dashboard gets a copy of the state: the uncached one's cache writes must not feed its hits.
  const cachedState = mkdtempSync(join(tmpdir(), 'spin-profile-app-cached-'));
  if (WITH_APP) {
    cpSync(appState, cachedState, { recursive: true });
    const uncached = await retrying('spin.toml', () =>
      create({ from: appManifest, stateDir: appState, variables: { cache_ttl_ms: '0' }, ...quiet }),
    );
    const cached = await retrying('spin.toml', () => create({ from: appManifest, stateDir: cachedState, ...quiet }));
    runtimes.push(uncached, cached);
    paths.push(
      { label: '`/customers/count` (app, one query)', spin: uncached, path: '/customers/count' },
      {
        label: '`/aggregates/dashboard`, `cache_ttl_ms=0` (chained calls for the data)',
        spin: uncached,
        path: '/aggregates/dashboard',
      },
      {
        label: '`/aggregates/dashboard`, default cache (hits; chained calls for the data versions)',
        spin: cached,
        path: '/aggregates/dashboard',
      },
    );
  }
  const latencies = paths.map(() => []);
  const cpuMs = paths.map(() => 0);
  for (let round = 0; round < RUNTIME_ROUNDS + RUNTIME_WARMUP; round++) {
    for (const [i, { spin, path }] of paths.entries()) {
      const cpu = process.cpuUsage();
      for (let n = 0; n < PER_ROUND; n++) {
        const started = performance.now();
        const response = await spin.fetch(path);
        await response.arrayBuffer();
        const elapsed = performance.now() - started;
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
        if (round >= RUNTIME_WARMUP) latencies[i].push(elapsed);
      }
      await sleep(SETTLE_MS);
      const used = process.cpuUsage(cpu);
      if (round >= RUNTIME_WARMUP) cpuMs[i] += (used.user + used.system) / 1000;
    }
  }
  for (const spin of runtimes) await spin.dispose();
  rmSync(cachedState, { recursive: true, force: true });
  const count = RUNTIME_ROUNDS * PER_ROUND;
  const latency = latencies.map(median);
  console.log('\n## 4. Through the runtime, sequential in-process requests (worker threads, prepared instances)\n');
  console.log('| request | latency ms | process CPU ms per request |\n|---|---|---|');
  paths.forEach(({ label }, i) => console.log(`| ${label} | ${ms(latency[i])} | ${(cpuMs[i] / count).toFixed(2)} |`));
  console.log(
    `| chained minus direct minus a bare request: the hop and the caller's fetch | ${ms(latency[2] - latency[0] - latency[1])} | ${((cpuMs[2] - cpuMs[0] - cpuMs[1]) / count).toFixed(2)} |`,
  );
  console.log(
    `\nCPU: \`process.cpuUsage()\` over each burst of ${PER_ROUND} and a ${SETTLE_MS} ms pause after it (the instance a worker prepares when it falls idle belongs to the burst); load average ${loadavg()[0].toFixed(1)} at the end.`,
  );
}

host.close();
rmSync(fixtureState, { recursive: true, force: true });
rmSync(appState, { recursive: true, force: true });
