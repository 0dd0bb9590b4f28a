#!/usr/bin/env node
/**
 * `npm run up:replicas -- [flags]`: the app as SpinKube runs it, on one machine. N replicas of the local
 * runtime (runtime/dist/cli.js) sharing one state directory (one SQLite file) and one Redis key-value store,
 * behind HAProxy (round robin, health checks). Every other flag goes to each replica as given. See USAGE.
 *
 * Every child runs in a process group of its own and is stopped by group. Should this process die without
 * stopping them (SIGKILL, a crash), a guardian process (scripts/servers.mjs) that holds a pipe from it sees
 * the pipe close and kills every group it was told about.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import {
  freePort,
  haproxyConfig,
  HEALTH_CHECK_ID,
  HEALTH_PATH,
  killGroup,
  missingPrograms,
  redisArgs,
  redisCommand,
  spawnGroup,
  startGuardian,
  waitForGroupsGone,
  waitForHttp,
  waitForRedis,
} from './servers.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'runtime/dist/cli.js');
const RESTART_DELAY_MS = 1000;
const REPLICA_START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;

const USAGE = `Usage: npm run up:replicas -- [flags]

Runs the app as SpinKube does, on this machine: N replicas of the local runtime behind HAProxy (round robin,
HTTP health checks on ${HEALTH_PATH}), sharing one state directory (one SQLite file, WAL) and one Redis
key-value store. Needs Debian's redis-server (unless --redis-url) and haproxy.

Launcher flags:
      --replicas <n>               how many runtime processes (default: 2, at most 16)
      --redis-url <redis://host:port>
                                   use this Redis for the 'default' key-value store instead of starting one
                                   (default: a redis-server on a free 127.0.0.1 port, no persistence, its
                                   files in a temporary directory)
      --no-restart                 a replica that exits stays down (default: restarted after 1 s)
      --listen <host:port>         where HAProxy listens (default: 127.0.0.1:3000; port 0: a free one);
                                   each replica listens on a free 127.0.0.1 port of its own
      --runtime-config-file <toml> merged into the runtime config the launcher writes, which sets
                                   [key_value_store.default] type = "redis"; it may not define
                                   [key_value_store.default] itself. Relative paths in it stay relative to it
      --state-dir <dir>            the state directory every replica shares (default: .spin beside spin.toml)
  -h, --help                       shows this text (and the replicas' flags, below)

Every other flag is passed to each replica as given: -f/--from, --sqlite (each replica runs them at its
start: keep them idempotent), --variable, --key-value, --request-timeout, --redis-timeout, --memory-budget,
--max-instance-memory, --quiet, --warm-up, --warm-up-rounds, --fault.

Output: every line is prefixed with its source: [launcher], [redis], [haproxy], [replica-1], ... (the
replicas' lines for HAProxy's health checks are left out); one line
"[launcher] ready: http://..." once every replica answers its health check and HAProxy serves.
Start: Redis, then replica-1 alone (it runs the --sqlite statements first), then the other replicas, then
HAProxy; any of them failing to start stops everything (exit 1). A replica that exits later is reported and
restarted after 1 s (unless --no-restart; with none left, the launcher stops).
Stopping: SIGINT/SIGTERM stop HAProxy, the replicas (in-flight requests finish) and Redis, then exit 0; a
second signal kills them at once. Each runs in a process group of its own, stopped by group; should the
launcher itself die (even by SIGKILL), a guardian process that holds a pipe from it kills every group.
Exit codes: 0 after SIGINT/SIGTERM, 1 on a start-up error, when Redis or HAProxy dies or no replica is
left, 2 on a bad flag.`;

const VALUE_FLAGS = new Set([
  '-f',
  '--from',
  '--sqlite',
  '--variable',
  '--key-value',
  '--request-timeout',
  '--redis-timeout',
  '--max-instance-memory',
  '--memory-budget',
  '--fault',
  '--warm-up',
  '--warm-up-rounds',
]);

class UsageError extends Error {}

/** Splits argv into the launcher's own settings and the flags every replica gets. */
function parseArgs(argv) {
  const own = {
    replicas: 2,
    redisUrl: undefined,
    restart: true,
    listen: '127.0.0.1:3000',
    runtimeConfigFile: undefined,
    stateDir: undefined,
    help: false,
    from: undefined,
    requestTimeoutMs: 30_000,
  };
  const passed = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const takeValue = () => {
      if (eq > 0) return arg.slice(eq + 1);
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      return value;
    };
    switch (name) {
      case '-h':
      case '--help':
        own.help = true;
        break;
      case '--no-restart':
        own.restart = false;
        break;
      case '--replicas': {
        const value = takeValue();
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 16)
          throw new UsageError(`--replicas ${value}: expected a whole number from 1 to 16`);
        own.replicas = Number(value);
        break;
      }
      case '--redis-url': {
        const value = takeValue();
        let url;
        try {
          url = new URL(value);
        } catch {
          throw new UsageError(`--redis-url ${value}: expected redis://host:port`);
        }
        if (url.protocol !== 'redis:' || url.hostname === '')
          throw new UsageError(`--redis-url ${value}: expected redis://host:port`);
        own.redisUrl = value;
        break;
      }
      case '--listen':
        own.listen = takeValue();
        break;
      case '--runtime-config-file':
        own.runtimeConfigFile = takeValue();
        break;
      case '--state-dir':
        own.stateDir = takeValue();
        break;
      default:
        if (VALUE_FLAGS.has(name)) {
          const value = takeValue();
          passed.push(name, value);
          if (name === '-f' || name === '--from') own.from = value;
          if (name === '--request-timeout' && /^\d+$/.test(value)) own.requestTimeoutMs = Number(value);
        } else {
          passed.push(arg);
        }
    }
  }
  return { own, passed };
}

/** `host:port` (`[v6]:port` too) -> { host, port }. */
function parseListen(value) {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`--listen ${value}: expected host:port, e.g. 127.0.0.1:3000`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/** The state directory the runtime would choose (.spin beside spin.toml), made absolute, or the one given. */
function stateDirFor(own) {
  if (own.stateDir !== undefined) return resolve(own.stateDir);
  let manifest = resolve(own.from ?? 'spin.toml');
  if (existsSync(manifest) && statSync(manifest).isDirectory()) manifest = join(manifest, 'spin.toml');
  return join(dirname(manifest), '.spin');
}

/**
 * The runtime config the replicas get: the user's file (if any), its relative paths made absolute against its
 * own directory, plus [key_value_store.default] on Redis. Throws when the user's file defines that store.
 */
function runtimeConfig(userFile, redisUrl) {
  let config = {};
  if (userFile !== undefined) {
    const file = resolve(userFile);
    try {
      config = parseToml(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(
        `--runtime-config-file ${userFile}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    }
    for (const section of ['sqlite_database', 'key_value_store']) {
      const tables = config[section];
      if (typeof tables !== 'object' || tables === null) continue;
      for (const table of Object.values(tables)) {
        if (typeof table === 'object' && table !== null && typeof table.path === 'string' && !isAbsolute(table.path))
          table.path = resolve(dirname(file), table.path);
      }
    }
    const stores = config.key_value_store;
    if (typeof stores === 'object' && stores !== null && 'default' in stores) {
      throw new Error(
        `--runtime-config-file ${userFile}: defines [key_value_store.default], which up:replicas sets to Redis for every replica (use --redis-url to choose the Redis, or npm run up for another store)`,
      );
    }
  }
  const stores =
    typeof config.key_value_store === 'object' && config.key_value_store !== null ? config.key_value_store : {};
  return stringifyToml({ ...config, key_value_store: { ...stores, default: { type: 'redis', url: redisUrl } } });
}

/** Throws when `listen` cannot be bound now (in use, or not an address of this machine). */
function checkListen(listen) {
  return new Promise((resolveCheck, reject) => {
    const server = createServer();
    server.once('error', (error) =>
      reject(
        new Error(
          `--listen ${listen.host}:${listen.port}: ${error.code === 'EADDRINUSE' ? 'address already in use' : error.message}`,
        ),
      ),
    );
    server.listen(listen.port, listen.host, () => server.close(() => resolveCheck()));
  });
}

/** The runtime's own checks of the replicas' flags (its --help parses every flag first): null or the error. */
function checkReplicaFlags(passed) {
  const result = spawnSync(process.execPath, [CLI, ...passed, '--help'], { cwd: process.cwd(), encoding: 'utf8' });
  return result.status === 0 ? null : (result.stderr || result.stdout).trim();
}

const out = (source, line) => process.stdout.write(`[${source}] ${line}\n`);
const err = (source, line) => process.stderr.write(`[${source}] ${line}\n`);
const say = (line) => out('launcher', line);

async function main(argv) {
  let own, passed, listen;
  try {
    ({ own, passed } = parseArgs(argv));
    listen = parseListen(own.listen);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`Error: ${error.message}\nRun with --help for usage.`);
    return 2;
  }
  if (own.help) {
    console.log(USAGE);
    if (existsSync(CLI)) {
      const runtime = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
      console.log(`\nThe replicas' flags (npm run up -- --help):\n\n${runtime.stdout.trim()}`);
    }
    return 0;
  }

  const needed = own.redisUrl === undefined ? ['redis-server', 'haproxy'] : ['haproxy'];
  const programs = missingPrograms(needed);
  if (programs.problem !== undefined) {
    console.error(`Error: ${programs.problem}`);
    return 1;
  }
  if (!existsSync(CLI)) {
    console.error(`Error: ${CLI} does not exist: run npm run build:runtime (npm run up:replicas does it first)`);
    return 1;
  }
  const flagError = checkReplicaFlags(passed);
  if (flagError !== null) {
    console.error(flagError);
    return 2;
  }
  try {
    runtimeConfig(own.runtimeConfigFile, 'redis://127.0.0.1:6379');
    // HAProxy's address, taken before anything starts rather than found out after the replicas.
    if (listen.port !== 0) await checkListen(listen);
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return run(own, passed, listen, programs.found);
}

async function run(own, passed, listen, programs) {
  const temp = mkdtempSync(join(tmpdir(), 'up-replicas-'));
  const guardian = startGuardian();
  guardian.removeDir(temp);
  say(`guardian pid ${guardian.pid}; temporary files in ${temp}`);
  /** Every child still running, by pid (= its process group id). */
  const children = new Map();
  let stopping = false;
  let finish;
  const finished = new Promise((resolveFinished) => (finish = resolveFinished));

  // A replica's log line for each of HAProxy's health checks (two a second) is left out.
  const healthCheckLine = ` id=${HEALTH_CHECK_ID}`;
  const start = (source, command, args, onExit) => {
    const child = spawnGroup(command, args, {
      cwd: process.cwd(),
      env: process.env,
      onLine: (line, stream) => {
        if (line.endsWith(healthCheckLine)) return;
        (stream === 'stdout' ? out : err)(source, line);
      },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${command}`);
    guardian.add(pid);
    const exited = new Promise((resolveExit) =>
      child.on('exit', (code, signal) => {
        children.delete(pid);
        guardian.remove(pid);
        resolveExit({ code, signal });
        onExit(code, signal);
      }),
    );
    const entry = { source, pid, child, exited, done: false };
    child.on('exit', () => (entry.done = true));
    children.set(pid, entry);
    return entry;
  };

  // Everything the launcher started, stopped in order: HAProxy stops listening, the replicas finish what
  // they serve, then Redis; each after STOP_TIMEOUT_MS is killed.
  const stopAll = async () => {
    const stopGroup = async (entries, signal) => {
      for (const entry of entries) killGroup(entry.pid, signal);
      const timer = setTimeout(() => entries.forEach((entry) => killGroup(entry.pid, 'SIGKILL')), STOP_TIMEOUT_MS);
      await Promise.all(entries.map((entry) => entry.exited));
      clearTimeout(timer);
      await waitForGroupsGone(
        entries.map((entry) => entry.pid),
        STOP_TIMEOUT_MS,
      );
    };
    const all = [...children.values()];
    await stopGroup(
      all.filter((entry) => entry.source === 'haproxy'),
      'SIGTERM',
    );
    await stopGroup(
      all.filter((entry) => entry.source.startsWith('replica-')),
      'SIGTERM',
    );
    await stopGroup(
      all.filter((entry) => entry.source === 'redis'),
      'SIGTERM',
    );
  };

  const shutdown = async (code, why) => {
    if (stopping) return;
    stopping = true;
    say(why);
    await stopAll();
    rmSync(temp, { recursive: true, force: true });
    guardian.close();
    say(code === 0 ? 'stopped' : 'stopped after an error');
    finish(code);
  };
  const onSignal = (signal) => {
    if (stopping) {
      say(`${signal} again: killing everything`);
      for (const pid of children.keys()) killGroup(pid, 'SIGKILL');
      return;
    }
    void shutdown(0, `${signal}: stopping HAProxy, the replicas${own.redisUrl === undefined ? ' and Redis' : ''}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort for an exception in the launcher: synchronous kills (the guardian would do it too).
  process.on('exit', () => {
    for (const pid of children.keys()) killGroup(pid, 'SIGKILL');
  });

  let ready = false;
  const fatal = (error) =>
    void shutdown(1, `error: ${error instanceof Error ? error.message : String(error)}; stopping everything`);

  try {
    // Redis.
    let redisUrl = own.redisUrl;
    if (redisUrl === undefined) {
      const port = await freePort();
      const dir = join(temp, 'redis');
      mkdirSync(dir);
      const redis = start('redis', programs['redis-server'], redisArgs(port, dir), (code, signal) => {
        if (!stopping) fatal(`redis-server exited with code ${code} (signal ${signal})`);
      });
      redisUrl = `redis://127.0.0.1:${port}`;
      say(`started redis-server (pid ${redis.pid}) on ${redisUrl}`);
      await waitForRedis('127.0.0.1', port, 10_000, () => redis.done);
    } else {
      const url = new URL(redisUrl);
      try {
        await redisCommand(url.hostname, Number(url.port || 6379), 'PING', 2000);
      } catch (error) {
        say(
          `warning: ${redisUrl} did not answer: ${error instanceof Error ? error.message : String(error)} (the replicas will try anyway)`,
        );
      }
      say(`using the Redis at ${redisUrl}`);
    }
    if (stopping) return await finished;

    // The runtime config and the replicas.
    const configFile = join(temp, 'runtime-config.toml');
    writeFileSync(configFile, runtimeConfig(own.runtimeConfigFile, redisUrl));
    const stateDir = stateDirFor(own);
    say(`state directory (shared): ${stateDir}; runtime config: ${configFile}`);
    if (listen.port === 0) listen = { ...listen, port: await freePort(listen.host) };
    const replicas = [];
    for (let n = 1; n <= own.replicas; n++)
      replicas.push({ name: `replica-${n}`, port: await freePort(), entry: undefined });

    const startReplica = (replica) => {
      const args = [
        CLI,
        ...passed,
        '--listen',
        `127.0.0.1:${replica.port}`,
        '--runtime-config-file',
        configFile,
        '--state-dir',
        stateDir,
      ];
      replica.entry = start(replica.name, process.execPath, args, (code, signal) => {
        if (stopping) return;
        if (!ready) return fatal(`${replica.name} exited with code ${code} (signal ${signal}) before it served`);
        if (!own.restart) {
          say(`${replica.name} exited with code ${code} (signal ${signal}); not restarting (--no-restart)`);
          if (!replicas.some((r) => r.entry !== undefined && !r.entry.done))
            void shutdown(1, 'no replica left: stopping');
          return;
        }
        say(`${replica.name} exited with code ${code} (signal ${signal}); restarting in 1 s`);
        setTimeout(() => {
          if (stopping) return;
          startReplica(replica);
          const entry = replica.entry;
          waitForHttp(
            `http://127.0.0.1:${replica.port}${HEALTH_PATH}`,
            REPLICA_START_TIMEOUT_MS,
            () => entry.done,
          ).then(
            () => say(`${replica.name} (pid ${entry.pid}) answers again on 127.0.0.1:${replica.port}`),
            () => {},
          );
        }, RESTART_DELAY_MS);
      });
      say(`started ${replica.name} (pid ${replica.entry.pid}) on 127.0.0.1:${replica.port}`);
    };
    const healthy = (replica) => {
      const entry = replica.entry;
      return waitForHttp(
        `http://127.0.0.1:${replica.port}${HEALTH_PATH}`,
        REPLICA_START_TIMEOUT_MS,
        () => entry.done || stopping,
      );
    };
    // The first replica runs the --sqlite statements alone, then the others start together.
    const [first, ...rest] = replicas;
    if (first === undefined) throw new Error('no replica');
    startReplica(first);
    await healthy(first);
    for (const replica of rest) startReplica(replica);
    await Promise.all(rest.map(healthy));
    if (stopping) return await finished;

    // HAProxy in front.
    const haproxyFile = join(temp, 'haproxy.cfg');
    writeFileSync(
      haproxyFile,
      haproxyConfig({
        listen,
        servers: replicas.map((r) => ({ name: r.name, host: '127.0.0.1', port: r.port })),
        serverTimeoutMs: own.requestTimeoutMs + 5000,
      }),
    );
    const haproxy = start('haproxy', programs.haproxy, ['-db', '-f', haproxyFile], (code, signal) => {
      if (!stopping) fatal(`haproxy exited with code ${code} (signal ${signal})`);
    });
    say(`started haproxy (pid ${haproxy.pid}) on ${listen.host}:${listen.port}`);
    const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
    const base = `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
    await waitForHttp(`${base}${HEALTH_PATH}`, 10_000, () => haproxy.done || stopping);
    if (stopping) return await finished;
    ready = true;
    say(
      `ready: ${base} (HAProxy, round robin over ${replicas.map((r) => `${r.name} 127.0.0.1:${r.port}`).join(', ')}; key-value store on ${redisUrl})`,
    );
  } catch (error) {
    if (!stopping) fatal(error);
  }
  return finished;
}

process.exitCode = await main(process.argv.slice(2));
// The guardian's pipe and the signal handlers must not keep the process alive once everything has stopped.
process.exit();
