// Shared by the benchmarks: start the runtime CLI as a child process, drive it over loopback with a
// keep-alive load loop, and describe the machine. Plain ESM so the benchmarks run without a build step.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * Starts the runtime CLI (`cli`, default runtime/dist/cli.js) with `args` on a free port; resolves with its URL,
 * pid, time to listening and a stop function.
 */
export async function startRuntimeCli(args, { env = process.env, cli = 'runtime/dist/cli.js' } = {}) {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, '--listen', '127.0.0.1:0', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /Serving (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`runtime exited with ${code}:\n${output}`)));
  });
  const readyMs = performance.now() - started;
  const stop = () =>
    new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
  return { url, pid: child.pid, readyMs, stop, output: () => output };
}

/**
 * One request with any method and an optional string body; resolves with the status, the body and the latency in ms.
 * Without an agent it opens a connection of its own: Node 20's global agent keeps sockets alive, and one left idle
 * past the server's keep-alive timeout (while a bench loads data) fails the next request with ECONNRESET.
 */
export function send(url, { method = 'GET', headers = {}, body } = {}, agent = false) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        agent,
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** One GET; resolves with the status, the body and the latency in ms. */
export const get = (url, agent) => send(url, {}, agent);

/** User + system CPU time of a process (all threads) in ms, or NaN where /proc is missing. */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat; fields[0] here is field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/**
 * User + system CPU time in ms of this process's children that have exited and been waited for (with their
 * own waited-for children): read before and after running a child to get that child's CPU. NaN without /proc.
 */
export function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // cutime and cstime are fields 16 and 17 of stat.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** The `p`th percentile (0-100) of an ascending array; NaN when it is empty. */
export const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * `concurrency` loops, each sending its next request when the previous answer arrived, for `ms`
 * milliseconds and at least `minRequests` requests in all. GETs `url` unless `request(loop)` describes each
 * request; `ok(status)` says which answers count as successes (default: 200). With `pid`, also the CPU time
 * that process spent per request.
 */
export async function load(url, { concurrency, ms, minRequests = 1, pid, request, ok = (status) => status === 200 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let failures = 0;
  const cpuBefore = pid === undefined ? NaN : cpuMs(pid);
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < end || latencies.length < minRequests) {
        // `request(loop)` gives each request of a loop (method, headers, body; and `done` to see the answer).
        const next = request ? request(loop) : {};
        const answer = await send(next.url ?? url, next, agent);
        next.done?.(answer);
        latencies.push(answer.ms);
        if (!ok(answer.status)) failures += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const cpuMsPerRequest = pid === undefined ? NaN : (cpuMs(pid) - cpuBefore) / latencies.length;
  return {
    requests: latencies.length,
    failures,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMsPerRequest,
  };
}

export function machineInfo() {
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** A progress bar on stderr: `label [#####.....] 45% 450000/1000000 3.2 s`. */
export function progress(label, total) {
  const started = performance.now();
  const width = 30;
  let last = 0;
  const draw = (done, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const filled = Math.round((done / total) * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor((done / total) * 100)).padStart(3)}% ${done}/${total} ${((now - started) / 1000).toFixed(1)} s`;
    // Without a terminal, one line at the end instead of a redrawn bar.
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else if (force) process.stderr.write(`${line}\n`);
  };
  return {
    update: (done) => draw(done),
    done: () => {
      draw(total, true);
      if (process.stderr.isTTY) process.stderr.write('\n');
      return (performance.now() - started) / 1000;
    },
  };
}
