#!/usr/bin/env node
/* global WebAssembly */
// What the local runtime pays to get a component ready, measured with its own modules (runtime/dist, as
// bench/runtime/profile.mjs does): loading the component (jco transpile on a cache miss, then compiling the
// core modules), and, per request, building a fresh instance from the compiled code. Used by
// bench/toolchains.mjs, one process per measurement so that V8's in-process cache of compiled modules never
// makes a compile look free; also handy on its own (after `npm run build:runtime`):
//
//   node bench/instantiation.mjs --wasm <component.wasm> [--cache-dir <dir>] [--rounds 200]
//                                [--db <sqlite file> --path /customers/count [--path-rounds 50]]
//
// Prints one JSON object on stdout, times in ms (medians over --rounds, after 20 warm-up rounds):
//   loadMs        loadComponentCode: transpile (when `transpiled` is true: not in --cache-dir yet) and compile
//   initialPages  initial size of the linear memory the runtime recycles, in 64 KiB pages (null: none)
//   fresh         build an instance with a new memory of its own (no recycling)
//   factory       InstanceFactory.take, as a worker does per request (a recycled, zeroed memory)
//   release       InstanceFactory.release after the request (zeroing the memory, off the response path)
// and with --path, medians over --path-rounds requests (after 3 warm-up ones), each on a new instance:
//   handle        run GET --path on it: the guest's whole handler, host calls included
//   handleCpu     the same in CPU time of this process (steadier than wall time on a busy machine)
//   host          of which inside host functions (every import is wrapped with a timer): SQLite, streams, ...
//   hostCalls     host functions called per request (count)
//   bytes         size of the response body
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `Usage: node bench/instantiation.mjs --wasm <component.wasm> [flags]
  --wasm <path>         the component to load (required)
  --cache-dir <dir>     transpile cache (default: the runtime's, node_modules/.cache/spin-local)
  --rounds <n>          instances built per median (default: 200; 0: none)
  --db <path>           SQLite file granted as the \`default\` database (for --path)
  --path <path>         also time handling GET <path> on a fresh instance (e.g. /customers/count)
  --path-rounds <n>     requests per median for --path (default: 50)
  --help                show this text`;

const { values } = parseArgs({
  options: {
    wasm: { type: 'string' },
    'cache-dir': { type: 'string' },
    rounds: { type: 'string', default: '200' },
    db: { type: 'string' },
    path: { type: 'string' },
    'path-rounds': { type: 'string', default: '50' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const rounds = Number(values.rounds);
const pathRounds = Number(values['path-rounds']);
if (
  !values.wasm ||
  !Number.isInteger(rounds) ||
  rounds < 0 ||
  !Number.isInteger(pathRounds) ||
  pathRounds < 1 ||
  (values.path !== undefined && values.db === undefined)
) {
  console.error(`error: bad flags\n\n${USAGE}`);
  process.exit(2);
}

const { loadComponentCode, benchImports, benchSetup, IncomingRequest, ResponseOutparam, InstanceFactory } =
  await import('./runtime/runtime-modules.mjs');

const WARMUP = 20;
const median = (list) => (list.length === 0 ? null : [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]);

const started = performance.now();
const { module, transpiled } = await loadComponentCode(
  resolve(values.wasm),
  values['cache-dir'] && resolve(values['cache-dir']),
);
const loadMs = performance.now() - started;
const own = module.ownMemory;
const result = {
  loadMs,
  transpiled,
  initialPages: own?.initialPages ?? null,
  cores: Object.keys(module.cores).length,
  fresh: null,
  factory: null,
  release: null,
  handle: null,
  handleCpu: null,
  host: null,
  hostCalls: null,
  bytes: null,
};

const setup = benchSetup({ id: 'measured', sqlite: values.db ? { default: resolve(values.db) } : {} });
const imports = benchImports(setup);
const host = values.path === undefined ? undefined : timeHostCalls(imports);
const { instantiate } = rounds > 0 || values.path !== undefined ? await import(module.glueUrl) : {};
const factory = new InstanceFactory(() => ({ setup, module, instantiate, imports }));

if (rounds > 0) {
  // Fresh: the main core module as transpiled, defining its own memory (what Spin does per request).
  const cores = { ...module.cores };
  if (own)
    cores[own.core] = await WebAssembly.compile(readFileSync(join(dirname(fileURLToPath(module.glueUrl)), own.core)));
  const fresh = [];
  for (let i = 0; i < rounds + WARMUP; i++) {
    const t0 = performance.now();
    instantiate((name) => cores[name], imports);
    if (i >= WARMUP) fresh.push(performance.now() - t0);
  }
  // The runtime's way: InstanceFactory.take, and release when the request is over.
  const takes = [];
  const releases = [];
  for (let i = 0; i < rounds + WARMUP; i++) {
    const t0 = performance.now();
    const instance = factory.take('measured');
    const t1 = performance.now();
    factory.release(instance);
    if (i < WARMUP) continue;
    takes.push(t1 - t0);
    releases.push(performance.now() - t1);
  }
  Object.assign(result, { fresh: median(fresh), factory: median(takes), release: median(releases) });
}

if (values.path !== undefined) {
  const url = new URL(values.path, 'http://127.0.0.1:3000');
  const headers = [
    ['host', url.host],
    ['spin-full-url', url.href],
    ['spin-path-info', url.pathname],
    ['spin-matched-route', '/...'],
    ['spin-component-route', ''],
    ['spin-raw-component-route', '/...'],
    ['spin-base-path', '/'],
    ['spin-client-addr', '127.0.0.1:0'],
  ];
  const handles = [];
  const cpus = [];
  const inHost = [];
  let calls = 0;
  let bytes = 0;
  for (let i = 0; i < pathRounds + 3; i++) {
    const instance = factory.take('measured');
    const outparam = new ResponseOutparam();
    host.reset();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    instance.handler.handle(
      new IncomingRequest({
        method: 'GET',
        url: url.href,
        authority: url.host,
        pathWithQuery: url.pathname + url.search,
        headers,
        body: null,
      }),
      outparam,
    );
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    factory.release(instance);
    const response = outparam.result?.tag === 'ok' ? outparam.result.val.toWire() : undefined;
    if (response?.status !== 200)
      throw new Error(`GET ${values.path} gave ${response?.status ?? outparam.result?.val?.tag ?? 'no response'}`);
    if (i < 3) continue;
    handles.push(t1 - t0);
    cpus.push((cpu.user + cpu.system) / 1000);
    inHost.push(host.ms);
    calls = host.calls;
    bytes = response.body.byteLength;
  }
  Object.assign(result, {
    handle: median(handles),
    handleCpu: median(cpus),
    host: median(inHost),
    hostCalls: calls,
    bytes,
  });
}

/**
 * Wraps every function of the import table (plain functions, and the static and prototype methods of its
 * classes) with a timer; nested host calls count once. Returns the running totals.
 */
function timeHostCalls(table) {
  const totals = { ms: 0, calls: 0, reset: () => Object.assign(totals, { ms: 0, calls: 0 }) };
  let depth = 0;
  const timed = (fn) =>
    function (...args) {
      if (depth > 0) return fn.apply(this, args);
      depth += 1;
      totals.calls += 1;
      const t0 = performance.now();
      try {
        return fn.apply(this, args);
      } finally {
        totals.ms += performance.now() - t0;
        depth -= 1;
      }
    };
  const done = new WeakSet();
  const wrapMethods = (target) => {
    for (const name of Object.getOwnPropertyNames(target)) {
      const d = Object.getOwnPropertyDescriptor(target, name);
      if (name !== 'constructor' && typeof d?.value === 'function' && d.writable) target[name] = timed(d.value);
    }
  };
  for (const iface of Object.keys(table)) {
    const members = table[iface];
    for (const name of Object.keys(members)) {
      const member = members[name];
      if (typeof member !== 'function' || done.has(member)) continue;
      done.add(member);
      if (/^class[\s{]/.test(Function.prototype.toString.call(member))) {
        wrapMethods(member);
        wrapMethods(member.prototype);
      } else {
        const wrapped = timed(member);
        done.add(wrapped);
        members[name] = wrapped;
      }
    }
  }
  return totals;
}
console.log(JSON.stringify(result));
