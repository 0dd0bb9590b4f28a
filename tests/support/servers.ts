/**
 * Real servers for tests that need them: Debian's redis-server and haproxy, each on a free 127.0.0.1 port with
 * a temporary directory, in a process group of its own, stopped by group (`stop()` in the test's teardown).
 * The primitives are scripts/servers.mjs, which `npm run up:replicas` uses too.
 *
 * `serverProgramsFor` decides what a test file does when a program is missing, as tests/browser/chromium.ts
 * does for Chromium: skipped with a message naming the `apt-get install` line, except under CI (`CI` set),
 * where that is a failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  haproxyConfig,
  HEALTH_PATH,
  killGroup,
  missingPrograms,
  redisArgs,
  redisCommand,
  spawnGroup,
  waitForGroupsGone,
  waitForHttp,
  waitForRedis,
  type ServerProgram,
} from '../../scripts/servers.mjs';

export { freePort, HEALTH_PATH, killGroup, redisCommand, waitForGroupsGone, waitForHttp, type ServerProgram };
export { livePidsInGroups } from '../../scripts/servers.mjs';

/**
 * The paths of `needed` programs (looked up on PATH), or `undefined` when one is missing: the suite is then
 * skipped (`describe.skipIf`) with a warning, or, under CI, this throws. `suite` names the test file in the messages.
 */
export function serverProgramsFor(
  suite: string,
  needed: ServerProgram[],
): Partial<Record<ServerProgram, string>> | undefined {
  const { found, problem } = missingPrograms(needed);
  if (problem === undefined) return found;
  const howTo = '(Debian/Ubuntu, as root or with sudo; .ci/run does this)';
  const inCI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
  if (inCI) throw new Error(`${suite}: ${problem} ${howTo}. These tests must run in CI.`);
  console.warn(`\n[server tests] ${suite} SKIPPED: ${problem} ${howTo}\n`);
  return undefined;
}

export interface TestServer {
  /** The process id, also its process group id. */
  pid: number;
  port: number;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM to its group, SIGKILL after 5 s, then waits until no process of the group is left; removes its directory. */
  stop(): Promise<void>;
}

function startServer(
  program: string,
  args: string[],
  dir: string,
  port: number,
): TestServer & { exited: () => boolean } {
  let output = '';
  let exited = false;
  const child = spawnGroup(program, args, { cwd: dir, onLine: (line) => (output += `${line}\n`) });
  const pid = child.pid ?? 0;
  const exit = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.on('exit', () => (exited = true));
  let stopping: Promise<void> | undefined;
  return {
    pid,
    port,
    output: () => output,
    exited: () => exited,
    stop() {
      stopping ??= (async () => {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
        const left = await waitForGroupsGone([pid], 5000);
        for (const leftover of left) killGroup(leftover, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

export interface TestRedis extends TestServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** Sends one inline command (`DBSIZE`, `GET key`...) and returns its first reply line. */
  command(line: string): Promise<string>;
}

export interface RedisOptions {
  /** The program (default `redis-server` on PATH). */
  program?: string | undefined;
  /** A port of its own choosing, e.g. to start a Redis again where a runtime expects it (default: a free one). */
  port?: number;
  /** `requirepass`: the URL then carries it (`redis://:<password>@127.0.0.1:<port>`). */
  password?: string;
}

/**
 * A redis-server on a loopback port, no persistence, its files in a temporary directory; up when this resolves
 * (it answers PING, or NOAUTH with a password).
 */
export async function startRedis({
  program = 'redis-server',
  port: wanted,
  password,
}: RedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'test-redis-'));
  const port = wanted ?? (await freePort());
  const args = [...redisArgs(port, dir), ...(password === undefined ? [] : ['--requirepass', password])];
  const server = startServer(program, args, dir, port);
  const command = (line: string): Promise<string> => redisCommand('127.0.0.1', port, line);
  try {
    if (password === undefined) await waitForRedis('127.0.0.1', port, 10_000, server.exited);
    else
      await waitForAnswer(
        () => command('PING'),
        (reply) => reply.startsWith('-NOAUTH'),
        10_000,
        server.exited,
      );
  } catch (error) {
    await server.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${server.output()}`);
  }
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return { ...server, url: `redis://${auth}127.0.0.1:${port}`, command };
}

/** Polls `ask` until `done(reply)`, at most `timeoutMs` (or until `exited()`). */
async function waitForAnswer(
  ask: () => Promise<string>,
  done: (reply: string) => boolean,
  timeoutMs: number,
  exited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done(await ask().catch(() => ''))) return;
    if (exited() || Date.now() >= deadline) throw new Error(`no expected answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface TestHaproxy extends TestServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
}

/**
 * An haproxy (run in the foreground, -db) on a free loopback port, round robin over `backends` (loopback ports
 * of HTTP servers that answer /.well-known/spin/health), with the configuration `npm run up:replicas` uses.
 * Resolves once a request through it answers the health path with 200.
 */
export async function startHaproxy(
  backends: { name: string; port: number }[],
  program = 'haproxy',
): Promise<TestHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'test-haproxy-'));
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    haproxyConfig({ listen: { host: '127.0.0.1', port }, servers: backends.map((b) => ({ ...b, host: '127.0.0.1' })) }),
  );
  const server = startServer(program, ['-db', '-f', config], dir, port);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}${HEALTH_PATH}`, 10_000, server.exited);
  } catch (error) {
    await server.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${server.output()}`);
  }
  return { ...server, url };
}
