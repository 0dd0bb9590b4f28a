import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureManifest, loadRuntime, tempDir, type SpinRuntime } from './support/runtime';

describe('failure isolation', () => {
  const state = tempDir();
  const lines: string[] = [];
  let spin: SpinRuntime;

  beforeAll(async () => {
    const { create } = await loadRuntime();
    spin = await create({
      from: fixtureManifest,
      stateDir: state.path,
      requestTimeoutMs: 1500,
      log: (l) => lines.push(l),
      guestOutput: () => {},
    });
  });
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  it('answers 500 for a trapping guest, logs why, and keeps serving', async () => {
    const response = await spin.fetch('/a/trap');
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
    expect(lines.find((l) => l.startsWith('GET /a/trap'))).toMatch(
      /alpha 500 .*trap: .*fermyon:spin\/llm#infer is not supported/,
    );
    expect((await spin.fetch('/a/echo')).status).toBe(200);
  });

  it('gives a caller a 500 response, not a failure, when its callee traps', async () => {
    const response = await spin.fetch(`/a/chain?to=hidden&path=${encodeURIComponent('/trap')}`);
    expect(await response.json()).toEqual({ status: 500, body: 'Internal Server Error' });
  });

  it('stops a runaway guest at the time limit with 504, and keeps serving others meanwhile', async () => {
    const runaway = spin.fetch('/a/spin');
    // Served while the runaway guest occupies a worker.
    expect((await spin.fetch('/a/echo')).status).toBe(200);
    const response = await runaway;
    expect(response.status).toBe(504);
    expect((await spin.fetch('/a/db/query?sql=SELECT%201')).status).toBe(200);
  });

  it('survives more runaway guests than it has workers', async () => {
    const runaways = await Promise.all([spin.fetch('/a/spin'), spin.fetch('/a/deeper/spin'), spin.fetch('/a/spin')]);
    // Each either ran and overran its limit (504), or, when no worker became free for it within the limit,
    // waited it out in the queue (503 with Retry-After: no component ran, none is to blame).
    for (const r of runaways) expect([504, 503]).toContain(r.status);
    expect(runaways.filter((r) => r.status === 504).length).toBeGreaterThanOrEqual(2);
    for (const r of runaways.filter((r) => r.status === 503)) expect(r.headers.get('retry-after')).toBe('1');
    expect((await spin.fetch('/a/echo')).status).toBe(200);
  });
});
