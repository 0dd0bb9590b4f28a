#!/usr/bin/env node
/* global WebAssembly */
// `node runtime/bench/profile.mjs` (after `npm run build:runtime`): where one request's time goes in the
// local runtime, measured piece by piece on one thread, with the same modules a worker uses
// (runtime/dist). Prints medians in ms for:
//
//   1. building an instance of the fixture guest: a fresh memory per instance (as before memory
//      recycling) vs the worker's InstanceFactory (recycled, zeroed memory); and the cost of each part;
//   2. running the guest's handler on a ready instance, per endpoint, and the time spent inside the host
//      calls it makes (SQLite query, key-value get, variable), by wrapping the host functions;
//   3. a chained call end to end, through the whole runtime in-process (no socket): /a/db/count directly
//      vs the same behind one chained call, sequentially, so the difference is the hop plus the caller.
//
// Numbers swing with the load on the machine: compare within one run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFixtures, fixtureManifest, guestWasm } from '../test-fixtures/build-fixtures.mjs';

import { benchImports, benchSetup, create, IncomingRequest, InstanceFactory, loadComponentCode, ResponseOutparam } from './runtime-modules.mjs';

const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 300);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const ms = (value) => value.toFixed(3);

await buildFixtures();
const state = mkdtempSync(join(tmpdir(), 'spin-profile-'));
const { module } = await loadComponentCode(guestWasm);
const { instantiate } = await import(module.glueUrl);
const own = module.ownMemory;
if (!own) throw new Error('expected the main core module to import its memory (memory-import.ts)');

// The runtime prepares the databases at start; here one file holds both the items table and key-value.
const spin0 = await create({ from: fixtureManifest, stateDir: state, sqlite: ['CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)', "INSERT INTO items (name) VALUES ('a'), ('b')"], keyValues: { k: 'v' } });
await spin0.dispose();
const setup = benchSetup({ id: 'alpha', sqlite: { default: join(state, 'sqlite_db.db') }, keyValue: { default: join(state, 'sqlite_key_value.db') }, variables: { greeting: 'hi' } });

// Host-call timing: wrap every function of the import table once.
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
const baseImports = benchImports(setup);
const wrapped = {};
for (const [iface, members] of [
  ['fermyon:spin/sqlite', ['Connection']],
  ['fermyon:spin/key-value', ['Store']],
]) {
  for (const member of members) {
    const cls = baseImports[iface][member];
    for (const method of Object.getOwnPropertyNames(cls.prototype)) {
      if (method !== 'constructor') cls.prototype[method] = timed(`${iface} ${member}.${method}`, cls.prototype[method]);
    }
    cls.open = timed(`${iface} ${member}.open`, cls.open);
  }
}
wrapped['fermyon:spin/variables'] = { get: timed('fermyon:spin/variables get', baseImports['fermyon:spin/variables'].get) };
const imports = new Proxy(baseImports, { get: (target, key) => (typeof key === 'string' && wrapped[key.replace(/@.*$/, '')]) || target[key] });

// 1. Instantiation.
const originalMain = await WebAssembly.compile(readFileSync(join(dirname(fileURLToPath(module.glueUrl)), own.core)));
const freshCores = { ...module.cores, [own.core]: originalMain };
const buildFresh = () => instantiate((name) => freshCores[name], imports).incomingHandler;
const factory = new InstanceFactory(() => ({ setup, module, instantiate, imports }));
const request = (path) => ({ method: 'GET', url: `http://localhost${path}`, headers: [['spin-path-info', path.split('?')[0]]], body: null });

/** Median ms to build an instance, and to run `/db/count` on it (the guest touching its memory). */
function instantiationTimes(build, release) {
  const builds = [];
  const handles = [];
  for (let i = 0; i < ROUNDS + 20; i++) {
    const started = performance.now();
    const instance = build();
    const built = performance.now();
    instance.handle(new IncomingRequest(request('/db/count')), new ResponseOutparam());
    const handled = performance.now();
    release?.();
    if (i < 20) continue;
    builds.push(built - started);
    handles.push(handled - built);
  }
  return { build: median(builds), handle: median(handles) };
}
let current;
const fresh = instantiationTimes(buildFresh);
const recycled = instantiationTimes(
  () => {
    current = factory.take('alpha');
    return current.handler;
  },
  () => factory.release(current),
);
// The parts of a recycled build: zeroing a memory, and the bare `new WebAssembly.Instance` of each core.
const memory = new WebAssembly.Memory({ initial: own.initialPages });
const zeroing = median(
  Array.from({ length: ROUNDS }, () => {
    const started = performance.now();
    new Uint8Array(memory.buffer).fill(0);
    return performance.now() - started;
  }),
);

console.log(`# runtime profile (${ROUNDS} rounds, medians, ms)\n`);
console.log('## 1. Building one instance of the fixture guest (11 MB component, 7.4 MB initial memory)\n');
console.log('| | build ms | then `/db/count` on it ms |\n|---|---|---|');
console.log(`| fresh memory per instance (before) | ${ms(fresh.build)} | ${ms(fresh.handle)} |`);
console.log(`| recycled memory, InstanceFactory (after) | ${ms(recycled.build)} | ${ms(recycled.handle)} |`);
console.log(`| zeroing a released memory (after the answer is sent) | ${ms(zeroing)} | |`);

// 2. Handler time and host calls.
console.log('\n## 2. Running the handler on a ready instance\n');
console.log('| endpoint | handler ms | in host calls ms | host calls |\n|---|---|---|---|');
for (const path of ['/status', '/db/count', '/kv/get?key=k', '/var?name=greeting', '/echo']) {
  const handler = [];
  const inHost = [];
  let calls = new Map();
  for (let i = 0; i < ROUNDS + 20; i++) {
    current = factory.take('alpha');
    hostTime.clear();
    const started = performance.now();
    const outparam = new ResponseOutparam();
    current.handler.handle(new IncomingRequest(request(path)), outparam);
    const elapsed = performance.now() - started;
    factory.release(current);
    if (outparam.result?.tag !== 'ok') throw new Error(`${path} failed`);
    if (i < 20) continue;
    handler.push(elapsed);
    inHost.push([...hostTime.values()].reduce((a, b) => a + b, 0));
    calls = new Map(hostTime);
  }
  const names = [...calls.keys()].map((name) => name.replace('fermyon:spin/', '')).join(', ') || '-';
  console.log(`| \`${path}\` | ${ms(median(handler))} | ${ms(median(inHost))} | ${names} |`);
}

// 3. A chained call through the whole runtime (in-process fetch, no socket).
const spin = await create({ from: fixtureManifest, stateDir: state });
async function latency(path) {
  const times = [];
  for (let i = 0; i < ROUNDS / 2 + 20; i++) {
    const started = performance.now();
    const response = await spin.fetch(path);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    if (i >= 20) times.push(performance.now() - started);
  }
  return median(times);
}
const direct = await latency('/a/db/count');
const chained = await latency(`/a/chain?to=hidden&path=${encodeURIComponent('/db/count')}`);
const callerOnly = await latency('/a/status');
await spin.dispose();
console.log('\n## 3. Through the runtime, sequential requests (worker threads, prepared instances)\n');
console.log('| request | latency ms |\n|---|---|');
console.log(`| \`/a/db/count\` (one query) | ${ms(direct)} |`);
console.log(`| \`/a/status\` (no host call) | ${ms(callerOnly)} |`);
console.log(`| \`/a/chain?to=hidden&path=/db/count\` (one chained call to the same query) | ${ms(chained)} |`);
console.log(`| chained minus direct minus a bare request: the hop and the caller's fetch | ${ms(chained - direct - callerOnly)} |`);
rmSync(state, { recursive: true, force: true });
