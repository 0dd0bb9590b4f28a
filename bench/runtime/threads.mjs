#!/usr/bin/env node
// Where the runtime's CPU goes, by thread, while one path is under load: the main thread (HTTP, routing,
// dispatch, messaging), V8's background threads (optimising compilers, concurrent GC) and the worker threads
// (the guests, instances, host calls), in ms per request, for each of several consecutive windows of load, so
// the warm-up (V8 tiering the guests' code up) shows apart from the steady state.
//
//   node bench/runtime/threads.mjs --path /customers/count [--concurrency 1] [--windows 8] [--seconds 3]
//        [--variable cache_ttl_ms=0 ...] [--cli <other checkout>/runtime/dist/cli.js]
//
// The app is this repository's (built beforehand), started with `--sqlite @migrations.sql` in a temporary state
// directory. Threads are told apart by their ids in /proc/<pid>/task, in the order Node 20 starts them: the
// main thread has the process id; V8's four platform threads come right after it (ids pid+2 to pid+5); the
// runtime's workers start last (ids above pid+10); what is left (libuv's pool, the inspector) is "other". That
// order is Node's, not a promise: check the per-thread listing of the first window (`--list`) on another Node.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { load, startRuntimeCli } from '../http-load.mjs';

const { values } = parseArgs({
  options: {
    path: { type: 'string', default: '/customers/count' },
    concurrency: { type: 'string', default: '1' },
    windows: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '3' },
    variable: { type: 'string', multiple: true, default: ['cache_ttl_ms=0'] },
    cli: { type: 'string', default: 'runtime/dist/cli.js' },
    list: { type: 'boolean', default: false },
  },
});
const stateDir = mkdtempSync(join(tmpdir(), 'threads-bench-'));
const server = await startRuntimeCli(
  [
    '--sqlite',
    '@migrations.sql',
    '--state-dir',
    stateDir,
    '--quiet',
    ...values.variable.flatMap((v) => ['--variable', v]),
  ],
  { cli: values.cli },
);
const { pid } = server;

/** CPU ms of each thread of the runtime process, by thread id. */
function threads() {
  return Object.fromEntries(
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      return [Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1000) / 100];
    }),
  );
}
const kind = (tid) =>
  tid === pid ? 'main' : tid >= pid + 2 && tid <= pid + 5 ? 'v8' : tid > pid + 10 ? 'workers' : 'other';

console.log(
  `${values.path} at concurrency ${values.concurrency}, ${values.seconds} s windows; CPU ms per request by thread kind`,
);
console.log('window  req/s   total    main      v8  workers   other');
try {
  for (let w = 0; w < Number(values.windows); w++) {
    const before = threads();
    const result = await load(`${server.url}${values.path}`, {
      concurrency: Number(values.concurrency),
      ms: Number(values.seconds) * 1000,
      pid,
    });
    const after = threads();
    const requests = result.rps * Number(values.seconds);
    const sums = { main: 0, v8: 0, workers: 0, other: 0 };
    for (const [tid, ms] of Object.entries(after)) sums[kind(Number(tid))] += ms - (before[tid] ?? 0);
    const per = (ms) => (ms / requests).toFixed(2).padStart(7);
    console.log(
      `${String(w).padStart(6)} ${result.rps.toFixed(0).padStart(6)} ${result.cpuMsPerRequest.toFixed(2).padStart(7)} ${per(sums.main)} ${per(sums.v8)} ${per(sums.workers)} ${per(sums.other)}`,
    );
    if (values.list && w === 0)
      console.log(
        Object.entries(after)
          .map(([tid, ms]) => `  ${tid} (${kind(Number(tid))}): ${(ms - (before[tid] ?? 0)).toFixed(0)} ms`)
          .join('\n'),
      );
  }
} finally {
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
