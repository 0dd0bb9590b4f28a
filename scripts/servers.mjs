/* global fetch, AbortSignal */
/**
 * What `up-replicas.mjs` and the tests that need real servers (tests/support/servers.ts) share: finding
 * `redis-server` and `haproxy` on PATH, free loopback ports, processes in their own process group (killed by
 * group), a guardian process that kills those groups when its parent dies, Redis's command line and a PING,
 * HAProxy's configuration, and waiting for an HTTP answer. Types: servers.d.mts.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { setTimeout, clearTimeout } from 'node:timers';

/** The Debian package of each program these tools start. */
export const PACKAGES = { 'redis-server': 'redis-server', haproxy: 'haproxy' };

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `name` looked up on `PATH` (as a shell's `command -v` would), or undefined. */
export function findProgram(name, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Which of `names` are not on PATH, and what to tell the user: one `apt-get install` line naming only the
 * missing packages, and a hint when one sits in an sbin directory that PATH lacks (Debian's haproxy is in
 * /usr/sbin, which is not on an ordinary user's PATH). `problem` is undefined when nothing is missing.
 */
export function missingPrograms(names, path = process.env.PATH ?? '') {
  const missing = names.filter((name) => findProgram(name, path) === undefined);
  if (missing.length === 0)
    return {
      found: Object.fromEntries(names.map((name) => [name, findProgram(name, path)])),
      missing,
      problem: undefined,
    };
  const install = `apt-get install ${missing.map((name) => PACKAGES[name] ?? name).join(' ')}`;
  const hints = missing.flatMap((name) => {
    const elsewhere = SBIN_DIRS.map((dir) => join(dir, name)).find(isExecutable);
    return elsewhere === undefined
      ? []
      : [`${elsewhere} exists but ${elsewhere.slice(0, -name.length - 1)} is not on PATH: add it to PATH instead`];
  });
  const problem = `${missing.join(' and ')} not found on PATH. Install with: ${install}${hints.length > 0 ? ` (${hints.join('; ')})` : ''}`;
  return { found: {}, missing, problem, install };
}

/** A TCP port free on `host` right now (the kernel's choice; closed again before it is returned). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * Starts `command` in a process group of its own (`detached`: pid = process group id), stdin closed, each
 * line of its stdout and stderr handed to `onLine(line, stream)`. Returns the ChildProcess.
 */
export function spawnGroup(command, args, { cwd, env, onLine }) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of ['stdout', 'stderr']) {
    createInterface({ input: child[stream], crlfDelay: Infinity }).on('line', (line) => onLine(line, stream));
  }
  return child;
}

/** Sends `signal` to every process of group `pgid`; false when there is none. */
export function killGroup(pgid, signal = 'SIGTERM') {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The pids of live processes (not zombies) whose process group is one of `pgids` (from /proc; Linux only). */
export function livePidsInGroups(pgids) {
  const wanted = new Set(pgids);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z' && wanted.has(Number(pgrp))) found.push(Number(entry));
  }
  return found;
}

/** Waits until no live process is left in `pgids`, at most `timeoutMs`; resolves with the ones left. */
export async function waitForGroupsGone(pgids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = livePidsInGroups(pgids);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(50);
  }
}

// The guardian: reads "+<pgid>", "-<pgid>" and "dir <path>" lines on stdin (a pipe from its parent). When the
// pipe closes (the parent exited, however it died), it sends SIGTERM to every group it holds, SIGKILL 3 s later
// to what is left, removes the directories, and exits; with no group left it does so at once. It polls its
// parent id too, as a second signal.
const GUARDIAN = `
const { rmSync } = require('node:fs');
const groups = new Set();
const dirs = new Set();
let buffered = '';
let sweeping = false;
const parent = process.ppid;
const alive = (g) => { try { process.kill(-g, 0); return true; } catch { return false; } };
const sweep = () => {
  if (sweeping) return;
  sweeping = true;
  for (const g of groups) { try { process.kill(-g, 'SIGTERM'); } catch {} }
  const started = Date.now();
  const done = () => { for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} } process.exit(0); };
  const poll = setInterval(() => {
    const left = [...groups].filter(alive);
    if (left.length === 0) done();
    if (Date.now() - started > 3000) {
      clearInterval(poll);
      for (const g of left) { try { process.kill(-g, 'SIGKILL'); } catch {} }
      setTimeout(done, 200);
    }
  }, 50);
};
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  for (let end = buffered.indexOf('\\n'); end >= 0; end = buffered.indexOf('\\n')) {
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    if (line.startsWith('dir ')) { dirs.add(line.slice(4)); continue; }
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.add(pgid);
    if (line[0] === '-') groups.delete(pgid);
  }
});
process.stdin.on('end', sweep);
process.stdin.on('error', sweep);
setInterval(() => { if (process.ppid !== parent) sweep(); }, 500);
`;

/**
 * Starts the guardian (its own process group) and returns `{ pid, add(pgid), remove(pgid), removeDir(path), close() }`:
 * `add` a group after spawning it, `remove` it once it has exited (its id may be reused), `removeDir` a
 * directory to delete at the end, `close` when every group is gone (the guardian then exits). If this process
 * dies first, the guardian kills what it holds and deletes the directories.
 */
export function startGuardian() {
  const child = spawn(process.execPath, ['-e', GUARDIAN], { detached: true, stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin.on('error', () => {});
  child.unref();
  const send = (line) => {
    if (!child.stdin.destroyed) child.stdin.write(`${line}\n`);
  };
  return {
    pid: child.pid ?? 0,
    add: (pgid) => send(`+${pgid}`),
    remove: (pgid) => send(`-${pgid}`),
    removeDir: (path) => send(`dir ${path}`),
    close: () => child.stdin.end(),
  };
}

/** redis-server's arguments: loopback only, no persistence, its files in `dir`, logging to stdout. */
export function redisArgs(port, dir) {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'yes',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--loglevel',
    'notice',
  ];
}

/** Sends one inline command to a Redis and resolves with its first reply line (e.g. "+PONG"). */
export function redisCommand(host, port, command = 'PING', timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    const timer = setTimeout(
      () => socket.destroy(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (data) => {
      reply += data;
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.slice(0, end));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Resolves once the Redis answers PING, or rejects after `timeoutMs` (or as soon as `exited()` is true). */
export async function waitForRedis(host, port, timeoutMs, exited = () => false) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const reply = await redisCommand(host, port, 'PING', 500);
      if (reply === '+PONG') return;
    } catch {
      // not listening yet
    }
    if (exited()) throw new Error(`redis-server on ${host}:${port} exited before it answered PING`);
    if (Date.now() >= deadline)
      throw new Error(`redis-server on ${host}:${port} did not answer PING within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Resolves once GET `url` answers 200, or rejects after `timeoutMs` (or as soon as `exited()` is true). */
export async function waitForHttp(url, timeoutMs, exited = () => false) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    if (exited()) throw new Error(`the process serving ${url} exited before it answered 200 (last: ${last})`);
    if (Date.now() >= deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
    await sleep(100);
  }
}

export const HEALTH_PATH = '/.well-known/spin/health';

/** The x-request-id of HAProxy's health checks: the runtime's log line for one ends with ` id=<this>`. */
export const HEALTH_CHECK_ID = 'haproxy-health-check';

/**
 * An HAProxy configuration: one HTTP frontend on `listen` (`{ host, port }`), round robin over `servers`
 * (`[{ name, host, port }]`), each checked with GET /.well-known/spin/health every second (down after 2
 * failures, up after 1 success; `x-request-id: haproxy-health-check`), a failed connection retried 3 times, on
 * another server from the first retry on (`option redispatch 1`); a GET or HEAD also when the server closed without answering (a replica
 * killed while its socket still accepted). `serverTimeoutMs` must outlast the runtime's request time limit.
 * No access log: HAProxy run with -db prints its warnings (a server down or up) and alerts on stderr.
 */
export function haproxyConfig({ listen, servers, serverTimeoutMs = 60_000 }) {
  const bind = listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
  return [
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    `  timeout server ${Math.max(serverTimeoutMs, 1000)}ms`,
    '  timeout http-request 30s',
    '  timeout http-keep-alive 10s',
    '  timeout queue 30s',
    '  timeout check 2s',
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    '',
    'frontend app',
    `  bind ${bind}`,
    '  default_backend replicas',
    // A replica killed mid-request (or while its socket still accepts) closes without answering: a GET or HEAD
    // is sent again, to another replica; anything else only when it could not connect, so no write runs twice.
    '  http-request disable-l7-retry if !METH_GET',
    '',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk',
    `  http-check send meth GET uri ${HEALTH_PATH} hdr x-request-id ${HEALTH_CHECK_ID}`,
    '  http-check expect status 200',
    '  default-server inter 1s fastinter 500ms downinter 500ms fall 2 rise 1',
    ...servers.map((server) => `  server ${server.name} ${server.host}:${server.port} check`),
    '',
  ].join('\n');
}
