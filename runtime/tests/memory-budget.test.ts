/**
 * `--memory-budget` through the real CLI: at the budget the pool starts no more workers and new requests wait in
 * the queue, yet every request (each a chained call) completes. The workers are counted as the process's threads
 * (each worker is one), sampled from /proc while the requests run. Linux only, as the runtime's other /proc tests.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureManifest, runCli, servingUrl, tempDir, type Cli } from './support/runtime';

const threads = (pid: number): number =>
  Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

/** Sends `count` concurrent requests, each a chained call to a sleeping guest; the statuses and the most threads seen. */
async function chainsAtOnce(
  cli: Cli,
  url: string,
  count: number,
): Promise<{ statuses: number[]; idleThreads: number; maxThreads: number }> {
  const pid = cli.child.pid ?? NaN;
  const idleThreads = threads(pid);
  let maxThreads = idleThreads;
  const sampler = setInterval(() => (maxThreads = Math.max(maxThreads, threads(pid))), 20);
  try {
    const path = encodeURIComponent('/sleep?ms=400');
    const statuses = await Promise.all(
      Array.from({ length: count }, () =>
        fetch(`${url}/a/chain?to=hidden&path=${path}`).then(async (r) => (await r.text(), r.status)),
      ),
    );
    return { statuses, idleThreads, maxThreads };
  } finally {
    clearInterval(sampler);
  }
}

describe('--memory-budget', () => {
  const state = tempDir();
  const running: Cli[] = [];
  afterAll(() => {
    for (const cli of running) cli.child.kill('SIGKILL');
    state.remove();
  });
  const start = async (budget: string): Promise<{ cli: Cli; url: string }> => {
    const cli = runCli([
      '-f',
      fixtureManifest,
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      state.path,
      '--quiet',
      '--memory-budget',
      budget,
    ]);
    running.push(cli);
    const url = await servingUrl(cli);
    return { cli, url };
  };

  it(
    'keeps the pool at the budget (its floor: 4 workers) while 12 chains wait in the queue, and answers them all',
    { timeout: 60_000 },
    async () => {
      // 1 MiB: far below what the main thread alone holds, so the budget is its floor, 4 workers (2 at start).
      const budgeted = await start('1');
      const within = await chainsAtOnce(budgeted.cli, budgeted.url, 12);
      expect(within.statuses).toEqual(Array(12).fill(200));
      expect(within.maxThreads - within.idleThreads).toBeLessThanOrEqual(2);
      budgeted.cli.child.kill('SIGTERM');
      expect(await budgeted.cli.exited).toBe(0);

      // Without a budget the same requests take more workers: the comparison shows the count above is the budget's.
      const unbounded = await start('none');
      const beyond = await chainsAtOnce(unbounded.cli, unbounded.url, 12);
      expect(beyond.statuses).toEqual(Array(12).fill(200));
      expect(beyond.maxThreads - beyond.idleThreads).toBeGreaterThanOrEqual(4);
      unbounded.cli.child.kill('SIGTERM');
      expect(await unbounded.cli.exited).toBe(0);
    },
  );

  it('is listed by --help with its default, and refuses what is not a whole number of MiB', async () => {
    const help = runCli(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toMatch(/--memory-budget <MiB\|none>[\s\S]*384 MiB per core[\s\S]*: \d+ here\)/);
    for (const bad of ['0', '1.5', '512MB', '-3']) {
      const cli = runCli(['-f', fixtureManifest, '--memory-budget', bad]);
      expect(await cli.exited).toBe(2);
      expect(cli.output()).toContain('--memory-budget');
    }
  });
});
