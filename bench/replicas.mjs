// The production shape on one machine: the app's dashboard and customer creates through HAProxy with one
// replica and with two (the same state directory, a real Redis as the key-value store), measured in one run so
// they compare as ratios; and the dashboard's cache hit ratio with the store shared in Redis against each
// replica keeping its own local key-value file (the database shared in both), under reads with writes between.
// Needs Debian's redis-server and haproxy. Writes bench/results/replicas.{md,json}.
//
//   node bench/replicas.mjs [--duration 5] [--concurrency 16] [--out bench/results]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  freePort,
  haproxyConfig,
  killGroup,
  missingPrograms,
  redisArgs,
  spawnGroup,
  waitForGroupsGone,
  waitForHttp,
  waitForRedis,
  HEALTH_PATH,
} from '../scripts/servers.mjs';
import { load, machineInfo, root, send, startRuntimeCli } from './http-load.mjs';

const USAGE = `Usage: node bench/replicas.mjs [options]
  --duration <s>        seconds per measurement (default 5)
  --concurrency <n>     concurrent clients for the throughput rows (default 16)
  --out <dir>           results directory (default: bench/results)`;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    out: { type: 'string', default: join(root, 'bench/results') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);
if (!(durationMs > 0) || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`error: bad flags\n\n${USAGE}`);
  process.exit(2);
}
const { problem } = missingPrograms(['redis-server', 'haproxy']);
if (problem !== undefined) {
  console.error(`error: ${problem}`);
  process.exit(1);
}

const TOKEN = 'bench-token';
const WRITE_HEADERS = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const work = mkdtempSync(join(tmpdir(), 'replicas-bench-'));
/** Every process group started, stopped at the end (and on Ctrl-C). */
const groups = [];
const stoppers = [];

async function startRedis() {
  const port = await freePort();
  const dir = join(work, `redis-${port}`);
  mkdirSync(dir);
  const child = spawnGroup('redis-server', redisArgs(port, dir), { onLine: () => {} });
  groups.push(child.pid);
  await waitForRedis('127.0.0.1', port, 10_000, () => child.exitCode !== null);
  return `redis://127.0.0.1:${port}`;
}

async function startHaproxy(name, ports) {
  const port = await freePort();
  const config = join(work, `haproxy-${name}.cfg`);
  writeFileSync(
    config,
    haproxyConfig({
      listen: { host: '127.0.0.1', port },
      servers: ports.map((p, i) => ({ name: `replica-${i + 1}`, host: '127.0.0.1', port: p })),
    }),
  );
  const child = spawnGroup('haproxy', ['-db', '-f', config], { onLine: () => {} });
  groups.push(child.pid);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${HEALTH_PATH}`, 10_000, () => child.exitCode !== null);
  return url;
}

/** A runtime config: the database at `database`, the key-value store in Redis (`redisUrl`) or in the file `kvFile`. */
function runtimeConfig(name, { database, redisUrl, kvFile }) {
  const file = join(work, `${name}.toml`);
  const store = redisUrl ? `type = "redis"\nurl = "${redisUrl}"` : `type = "spin"\npath = "${kvFile}"`;
  writeFileSync(
    file,
    `[sqlite_database.default]\ntype = "spin"\npath = "${database}"\n\n[key_value_store.default]\n${store}\n`,
  );
  return file;
}

async function startReplicas(count, config, extra = []) {
  const replicas = [];
  for (let i = 0; i < count; i++) {
    const replica = await startRuntimeCli([
      '--runtime-config-file',
      typeof config === 'function' ? config(i) : config,
      '--state-dir',
      join(work, 'state'),
      '--quiet',
      '--variable',
      `api_token=${TOKEN}`,
      ...extra,
    ]);
    stoppers.push(replica.stop);
    replicas.push({ ...replica, port: Number(new URL(replica.url).port) });
  }
  return replicas;
}

async function stopAll() {
  for (const stop of stoppers.splice(0)) await stop();
  for (const pgid of groups) killGroup(pgid, 'SIGTERM');
  await waitForGroupsGone(groups, 5000);
  rmSync(work, { recursive: true, force: true });
}
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

let sequence = 0;
const createCustomer = (url) => () => ({
  url: `${url}/customers/items`,
  method: 'POST',
  headers: WRITE_HEADERS,
  body: JSON.stringify({
    name: `Replica Bench ${++sequence}`,
    city: 'Oslo',
    country: 'Norway',
    scoring: sequence % 11,
  }),
});

/** Parts of a dashboard answer served from the cache, and all its parts (from its Server-Timing header). */
function cacheParts(answer) {
  const states = [...String(answer.headers['server-timing'] ?? '').matchAll(/desc="(\w+) /g)].map((m) => m[1]);
  return { cached: states.filter((s) => s === 'cached').length, all: states.length };
}

/**
 * Dashboard reads at concurrency 4 spread over `urls` in turn, with a customer created every 250 ms (each
 * write changes the customers' data version, so the next read of that part must recompute it once, somewhere).
 */
async function hitRatio(urls) {
  // Each replica's first requests pay V8's first-run compilation: not what is measured here.
  for (const url of urls) for (let i = 0; i < 3; i++) await send(`${url}/aggregates/dashboard`);
  let turn = 0;
  let cached = 0;
  let all = 0;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await send(`${urls[0]}/customers/items`, createCustomer(urls[0])());
      await sleep(250);
    }
  })();
  const result = await load(urls[0], {
    concurrency: 4,
    ms: durationMs,
    request: () => ({
      url: `${urls[turn++ % urls.length]}/aggregates/dashboard`,
      done: (answer) => {
        const parts = cacheParts(answer);
        cached += parts.cached;
        all += parts.all;
      },
    }),
  });
  writing = false;
  await writer;
  return { ...result, hitRatio: all === 0 ? NaN : cached / all };
}

const rows = [];
const row = (name, result) => {
  rows.push({ name, ...result });
  const extra = result.hitRatio === undefined ? '' : `  cache hits ${(result.hitRatio * 100).toFixed(1)}%`;
  console.log(
    `${name.padEnd(44)} ${result.rps.toFixed(1).padStart(7)} /s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  failures ${result.failures}${extra}`,
  );
};

try {
  const database = join(work, 'state', 'sqlite_db.db');
  mkdirSync(join(work, 'state'));
  const redisUrl = await startRedis();
  const shared = runtimeConfig('shared-redis', { database, redisUrl });
  // The first replica applies the migrations; the second starts on the database it made.
  const [first] = await startReplicas(1, shared, ['--sqlite', '@migrations.sql']);
  const [second] = await startReplicas(1, shared);
  const one = await startHaproxy('one', [first.port]);
  const two = await startHaproxy('two', [first.port, second.port]);
  console.log(`2 replicas on one state dir, Redis ${redisUrl}; HAProxy with 1 replica ${one}, with 2 ${two}`);

  const measure = async (name, url, request, ok) => {
    await load(url, { concurrency, ms: 500, request, ok });
    row(name, await load(url, { concurrency, ms: durationMs, minRequests: 20, request, ok }));
  };
  for (const [label, url] of [
    ['1 replica', one],
    ['2 replicas', two],
  ]) {
    await measure(`dashboard, ${label} behind HAProxy, c=${concurrency}`, `${url}/aggregates/dashboard`);
    await measure(
      `customer creates, ${label} behind HAProxy, c=${concurrency}`,
      url,
      createCustomer(url),
      (status) => status === 201,
    );
  }
  row('dashboard cache, store shared in Redis', await hitRatio([first.url, second.url]));
  for (const stop of stoppers.splice(0)) await stop();

  // The same two replicas' database, each with its own key-value file.
  const local = await startReplicas(2, (i) =>
    runtimeConfig(`local-${i}`, { database, kvFile: join(work, `kv-${i}.db`) }),
  );
  row('dashboard cache, a local store per replica', await hitRatio(local.map((r) => r.url)));

  const get = (name) => rows.find((r) => r.name.startsWith(name));
  const ratios = {
    dashboardRps: get('dashboard, 2 replicas').rps / get('dashboard, 1 replica').rps,
    createsRps: get('customer creates, 2 replicas').rps / get('customer creates, 1 replica').rps,
    hitRatioSharedOverLocal: get('dashboard cache, store shared').hitRatio / get('dashboard cache, a local').hitRatio,
  };
  console.log(
    `ratios (2 replicas / 1): dashboard req/s ${ratios.dashboardRps.toFixed(2)}, creates/s ${ratios.createsRps.toFixed(2)}; cache hit ratio shared / local ${ratios.hitRatioSharedOverLocal.toFixed(2)}`,
  );

  const machine = machineInfo();
  mkdirSync(values.out, { recursive: true });
  writeFileSync(
    join(values.out, 'replicas.json'),
    `${JSON.stringify({ machine, durationMs, concurrency, rows, ratios }, null, 2)}\n`,
  );
  const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const md = [
    '# Replicas behind HAProxy, Redis as the shared key-value store',
    '',
    `\`node bench/replicas.mjs --duration ${values.duration} --concurrency ${concurrency}\` on ${machine.date.slice(0, 10)}: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GiB, Node ${machine.node}.`,
    'Every process (the replicas, Redis, HAProxy and this load generator) shares the same 2 cores: a second replica adds no',
    'CPU, so the 1-to-2 replica rows show what the shape costs and keeps, not how it scales; on SpinKube each replica has its own.',
    'Other work on the machine at the time skews the absolute figures: compare the rows of one run with each other, as ratios.',
    '',
    '| measurement | req/s | p50 ms | p99 ms | failures | cache hits |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.failures} | ${r.hitRatio === undefined ? '' : `${fmt(r.hitRatio * 100)}%`} |`,
    ),
    '',
    `Ratios in this run: 2 replicas / 1, dashboard req/s **${fmt(ratios.dashboardRps, 2)}**, customer creates/s **${fmt(ratios.createsRps, 2)}**;`,
    `dashboard parts served from the cache, store shared in Redis / a local store per replica: **${fmt(ratios.hitRatioSharedOverLocal, 2)}**`,
    '(reads spread over both replicas at concurrency 4, a customer created every 250 ms: after each write one replica recomputes the',
    "customers' part and, with the store shared, the other finds it; with a store each, both recompute it).",
    '',
  ].join('\n');
  writeFileSync(join(values.out, 'replicas.md'), md);
  console.log(`wrote ${relative(root, join(values.out, 'replicas.md'))}`);
} finally {
  await stopAll();
}
