/**
 * `npm run up:replicas` (scripts/up-replicas.mjs) as a user runs it, on the app's real Wasm (built by the
 * global setup, as is runtime/dist): real redis-server, real haproxy, real HTTP. Every process the launcher
 * starts is in a process group of its own, named in its output; each test checks that none is left.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../runtime/tests/support/runtime';
import { repoRoot } from '../support/repo';
import {
  freePort,
  killGroup,
  livePidsInGroups,
  redisCommand,
  serverProgramsFor,
  startRedis,
  waitForGroupsGone,
  type TestRedis,
} from '../support/servers';

const SCRIPT = join(repoRoot, 'scripts/up-replicas.mjs');
const programs = serverProgramsFor('tests/servers/up-replicas.test.ts', ['redis-server', 'haproxy']);

interface Launcher {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until the output matches `pattern` (bounded), and returns the match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Waits until `pattern` (global, multiline) matches the output at least `n` times (bounded). */
  waitForCount(pattern: RegExp, n: number, timeoutMs?: number): Promise<void>;
  /** Every process group the launcher said it started (its guardian's too), and the launcher's own pid. */
  pgids(): number[];
}

const launchers: Launcher[] = [];

function launch(args: string[], env: NodeJS.ProcessEnv = process.env): Launcher {
  const child = spawn(process.execPath, [SCRIPT, ...args], { cwd: repoRoot, env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  const launcher: Launcher = {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (done) throw new Error(`the launcher exited before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitForCount(pattern, n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (count(output, pattern) < n) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} ${pattern} within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    pgids: () =>
      [...output.matchAll(/\[launcher\] (?:started \S+ \(pid|guardian pid) (\d+)/g)].map((m) => Number(m[1])),
  };
  launchers.push(launcher);
  return launcher;
}

const readyUrl = async (launcher: Launcher): Promise<string> =>
  (await launcher.waitFor(/\[launcher\] ready: (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? '';
const pidOf = (launcher: Launcher, source: string): number =>
  Number(
    [...launcher.output().matchAll(new RegExp(`\\[launcher\\] started ${source} \\(pid (\\d+)\\)`, 'g'))].at(-1)?.[1],
  );
const count = (text: string, pattern: RegExp): number =>
  [...text.matchAll(new RegExp(pattern, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`))].length;

async function getCount(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/customers/count`);
  return { status: response.status, body: await response.text() };
}

afterAll(async () => {
  // Whatever a failed test left: the launchers, then every group they started.
  for (const launcher of launchers) launcher.child.kill('SIGKILL');
  const groups = launchers.flatMap((launcher) => launcher.pgids());
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
  await waitForGroupsGone(groups, 5000);
});

describe('npm run up:replicas: flags and refusals', () => {
  it("prints --help with every flag, its own and the replicas'", async () => {
    const launcher = launch(['--help']);
    expect((await launcher.exited).code).toBe(0);
    for (const flag of [
      '--replicas',
      '--redis-url',
      '--no-restart',
      '--listen',
      '--runtime-config-file',
      '--state-dir',
      '--help',
      '--from',
      '--sqlite',
      '--variable',
      '--key-value',
      '--request-timeout',
      '--redis-timeout',
      '--memory-budget',
      '--max-instance-memory',
      '--quiet',
      '--warm-up',
      '--warm-up-rounds',
      '--fault',
    ]) {
      expect(launcher.output()).toContain(flag);
    }
  });

  it('exits 1 at once without redis-server or haproxy on PATH, naming the apt-get line for the missing ones only', async () => {
    const empty = tempDir('no-programs-');
    try {
      const both = launch(['--replicas', '2'], { ...process.env, PATH: empty.path });
      expect((await both.exited).code).toBe(1);
      expect(both.output()).toContain('apt-get install redis-server haproxy');
      const haproxyOnly = launch(['--redis-url', 'redis://127.0.0.1:1'], { ...process.env, PATH: empty.path });
      expect((await haproxyOnly.exited).code).toBe(1);
      expect(haproxyOnly.output()).toContain('apt-get install haproxy');
      expect(haproxyOnly.output()).not.toContain('redis-server');
      expect(both.pgids()).toEqual([]);
    } finally {
      empty.remove();
    }
  });

  it.skipIf(programs === undefined)(
    'exits 2 on a bad flag (its own, or one the runtime refuses), 1 on a runtime config that sets the default store or a --listen address in use, starting nothing',
    async () => {
      const replicas = launch(['--replicas', '0']);
      expect((await replicas.exited).code).toBe(2);
      expect(replicas.output()).toContain('--replicas 0: expected a whole number from 1 to 16');
      const bogus = launch(['--bogus']);
      expect((await bogus.exited).code).toBe(2);
      expect(bogus.output()).toContain("Unknown option '--bogus'");
      const dir = tempDir('up-replicas-config-');
      const file = join(dir.path, 'runtime-config.toml');
      writeFileSync(file, '[key_value_store.default]\ntype = "spin"\npath = "kv.db"\n');
      const config = launch(['--runtime-config-file', file]);
      expect((await config.exited).code).toBe(1);
      expect(config.output()).toContain('defines [key_value_store.default], which up:replicas sets to Redis');
      dir.remove();
      // HAProxy's address in use: refused before anything starts.
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      try {
        const address = taken.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        const inUse = launch(['--listen', `127.0.0.1:${port}`]);
        expect((await inUse.exited).code).toBe(1);
        expect(inUse.output()).toContain(`--listen 127.0.0.1:${port}: address already in use`);
        expect(inUse.pgids()).toEqual([]);
      } finally {
        taken.close();
      }
      for (const launcher of [replicas, bogus, config]) expect(launcher.pgids()).toEqual([]);
    },
  );
});

describe.skipIf(programs === undefined)('npm run up:replicas: the app behind HAProxy on real servers', () => {
  const state = [tempDir('up-replicas-state-'), tempDir('up-replicas-state-')];
  let redis: TestRedis | undefined;
  afterAll(async () => {
    await redis?.stop();
    for (const dir of state) dir.remove();
  });

  it(
    'serves through HAProxy from both replicas on a shared Redis store, restarts a killed replica, and leaves nothing after SIGTERM',
    { timeout: 60_000 },
    async () => {
      const launcher = launch([
        '--replicas',
        '2',
        '--listen',
        '127.0.0.1:0',
        '--state-dir',
        state[0]?.path ?? '',
        '--sqlite',
        '@migrations.sql',
      ]);
      const url = await readyUrl(launcher);
      const redisPort = Number(
        (await launcher.waitFor(/started redis-server \(pid \d+\) on redis:\/\/127\.0\.0\.1:(\d+)/))[1],
      );
      const temp = (await launcher.waitFor(/temporary files in (\S+)/))[1] ?? '';

      for (let i = 0; i < 6; i++) expect(await getCount(url)).toEqual({ status: 200, body: '{"count":40}' });
      // Round robin: both replicas served some (their access log lines, prefixed; they reach the launcher's
      // output a little after the answers).
      for (const replica of ['replica-1', 'replica-2'])
        await launcher.waitForCount(
          new RegExp(`^\\[${replica}\\] GET /customers/count customers-service 200 `, 'm'),
          3,
        );
      // HAProxy's health checks reach the replicas but their log lines are left out.
      expect(launcher.output()).not.toContain('id=haproxy-health-check');
      // The dashboard caches its calls in the 'default' key-value store: the launcher's Redis holds them.
      expect((await fetch(`${url}/aggregates/dashboard`)).status).toBe(200);
      expect(Number((await redisCommand('127.0.0.1', redisPort, 'DBSIZE')).slice(1))).toBeGreaterThan(0);

      // SIGKILL one replica: reported, restarted after 1 s; GETs through HAProxy keep answering meanwhile.
      const killed = pidOf(launcher, 'replica-2');
      process.kill(killed, 'SIGKILL');
      for (let i = 0; i < 6; i++) expect((await getCount(url)).status).toBe(200);
      await launcher.waitFor(/\[launcher\] replica-2 exited with code null \(signal SIGKILL\); restarting in 1 s/);
      const [, again = ''] = await launcher.waitFor(
        /\[launcher\] replica-2 \(pid (\d+)\) answers again on 127\.0\.0\.1:(\d+)/,
      );
      expect(Number(again)).not.toBe(killed);
      expect(livePidsInGroups([killed])).toEqual([]);
      // Back in HAProxy's rotation: it serves requests again.
      await launcher.waitFor(/\[haproxy\] .*replica-2 is UP/, 10_000);
      const served = /^\[replica-2\] GET \/customers\/count customers-service 200 /m;
      const before = count(launcher.output(), served);
      for (let i = 0; i < 6; i++) expect(await getCount(url)).toEqual({ status: 200, body: '{"count":40}' });
      await launcher.waitForCount(served, before + 2);

      // SIGTERM: exit 0, and no process of any group it started is left (Redis, HAProxy, replicas, guardian).
      const groups = launcher.pgids();
      expect(groups.length).toBe(6); // guardian, redis, replica-1, replica-2, haproxy, the restarted replica-2
      launcher.child.kill('SIGTERM');
      expect(await launcher.exited).toEqual({ code: 0, signal: null });
      expect(await waitForGroupsGone(groups, 3000)).toEqual([]);
      expect(existsSync(temp)).toBe(false);
    },
  );

  it(
    'with --no-restart leaves a killed replica down and serves from the other; with --redis-url starts no Redis; SIGKILL of the launcher leaves nothing behind',
    { timeout: 60_000 },
    async () => {
      redis = await startRedis({ program: programs?.['redis-server'] });
      const port = await freePort();
      const launcher = launch([
        '--replicas',
        '2',
        '--no-restart',
        '--redis-url',
        redis.url,
        '--listen',
        `127.0.0.1:${port}`,
        '--state-dir',
        state[1]?.path ?? '',
        '--sqlite',
        '@migrations.sql',
      ]);
      const url = await readyUrl(launcher);
      expect(url).toBe(`http://127.0.0.1:${port}`);
      expect(launcher.output()).not.toContain('started redis-server');
      expect((await fetch(`${url}/aggregates/dashboard`)).status).toBe(200);
      expect(Number((await redis.command('DBSIZE')).slice(1))).toBeGreaterThan(0);

      const killed = pidOf(launcher, 'replica-1');
      process.kill(killed, 'SIGKILL');
      await launcher.waitFor(
        /\[launcher\] replica-1 exited with code null \(signal SIGKILL\); not restarting \(--no-restart\)/,
      );
      for (let i = 0; i < 6; i++) expect(await getCount(url)).toEqual({ status: 200, body: '{"count":40}' });
      await new Promise((r) => setTimeout(r, 1500));
      expect(count(launcher.output(), /\[launcher\] started replica-1 /)).toBe(1);
      expect(launcher.output()).not.toContain('restarting in 1 s');

      // The launcher dies without a word: its guardian stops every group it started within a few seconds.
      const groups = launcher.pgids();
      expect(groups.length).toBe(4); // guardian, replica-1, replica-2, haproxy
      const temp = (await launcher.waitFor(/temporary files in (\S+)/))[1] ?? '';
      launcher.child.kill('SIGKILL');
      await launcher.exited;
      expect(await waitForGroupsGone(groups, 6000)).toEqual([]);
      expect(existsSync(temp)).toBe(false);
      // The Redis it was given is not its own: still there.
      expect(await redis.command('PING')).toBe('+PONG');
    },
  );
});
