/**
 * tests/support/servers.ts on real programs: a redis-server that answers and leaves nothing behind, and an
 * haproxy in front of two local runtimes (the fixture guest) that spreads requests over both and stops
 * sending to one that is gone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startFixture, tempDir, type SpinRuntime } from '../../runtime/tests/support/runtime';
import { livePidsInGroups, serverProgramsFor, startHaproxy, startRedis, type TestServer } from '../support/servers';

const programs = serverProgramsFor('tests/servers/harness.test.ts', ['redis-server', 'haproxy']);

describe.skipIf(programs === undefined)('tests/support/servers.ts', () => {
  const servers: TestServer[] = [];
  const runtimes: SpinRuntime[] = [];
  const dirs = [tempDir(), tempDir()];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await Promise.all(runtimes.map((runtime) => runtime.dispose()));
    for (const dir of dirs) dir.remove();
  });

  it('starts a redis-server on a loopback port that stores and answers, and stops its whole process group', async () => {
    const redis = await startRedis({ program: programs?.['redis-server'] });
    servers.push(redis);
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await redis.command('SET greeting hello')).toBe('+OK');
    expect(await redis.command('DBSIZE')).toBe(':1');
    await redis.stop();
    expect(livePidsInGroups([redis.pid])).toEqual([]);
    await expect(redis.command('PING')).rejects.toThrow();
  });

  it('starts an haproxy that spreads requests over its backends round robin and skips one that is down', async () => {
    const logs: string[][] = [[], []];
    for (const [n, dir] of dirs.entries()) {
      runtimes.push(await startFixture(dir.path, { listen: '127.0.0.1:0', log: (line) => logs[n]?.push(line) }));
    }
    const ports = runtimes.map((runtime) => Number(new URL(runtime.url ?? '').port));
    const haproxy = await startHaproxy(
      ports.map((port, n) => ({ name: `runtime-${n + 1}`, port })),
      programs?.haproxy,
    );
    servers.push(haproxy);
    for (let i = 0; i < 6; i++) expect((await fetch(`${haproxy.url}/a/db/count`)).status).toBe(200);
    for (const log of logs)
      expect(log.filter((line) => line.startsWith('GET /a/db/count alpha 200')).length).toBeGreaterThanOrEqual(2);

    // The second runtime stops: every request still answers, from the first one.
    await runtimes[1]?.dispose();
    runtimes.pop();
    for (let i = 0; i < 6; i++) expect((await fetch(`${haproxy.url}/a/db/count`)).status).toBe(200);
    await haproxy.stop();
    expect(livePidsInGroups([haproxy.pid])).toEqual([]);
  });
});
