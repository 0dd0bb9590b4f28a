/**
 * A fresh instance per request, even though workers recycle linear memories and keep prepared instances
 * (runtime/src/instances.ts): module state never carries over, new memory reads as zeros, and an instance
 * whose memory grew does not pass the larger memory on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureManifest, json, loadRuntime, tempDir, type SpinRuntime } from './support/runtime';

interface State {
  hits: number;
  retainedBefore: number;
  retained: number;
}

describe('fresh instances on recycled memory', () => {
  const state = tempDir();
  let spin: SpinRuntime;
  const get = async <T>(path: string): Promise<T> => (await json(await spin.fetch(path))) as T;

  beforeAll(async () => {
    const { create } = await loadRuntime();
    // One worker for the sequential checks below, so that each request really reuses the last one's memory.
    spin = await create({ from: fixtureManifest, stateDir: state.path, guestOutput: () => {}, minWorkers: 1, maxWorkers: 4, requestTimeoutMs: 20_000 });
  });
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  it('starts every request from the initial module state', async () => {
    for (let i = 0; i < 5; i++) expect(await get<State>('/a/state')).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
  });

  it('hands out memory that reads as zeros after a request filled it', async () => {
    const sizes = [256, 1024, 3072];
    for (const kb of sizes) await get(`/a/zeroed?kb=${kb}&fill=171`);
    for (const kb of sizes) expect(await get(`/a/zeroed?kb=${kb}&fill=171`)).toEqual({ nonZero: 0, size: kb * 1024 });
  });

  it('serves normally after an instance grew its memory well past the initial size', async () => {
    const grown = await get<State>('/a/state?grow=24');
    expect(grown.hits).toBe(1);
    expect(grown.retained).toBeGreaterThan(23 * 1024 * 1024);
    for (let i = 0; i < 3; i++) expect(await get<State>('/a/state')).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
    expect(await get('/a/zeroed?kb=2048')).toEqual({ nonZero: 0, size: 2048 * 1024 });
  });

  it('keeps instances apart under concurrency and across chained calls', async () => {
    const direct = Array.from({ length: 6 }, () => get<State>('/a/state'));
    const chained = Array.from({ length: 4 }, () => get<{ status: number; body: string }>(`/a/chain?to=hidden&path=${encodeURIComponent('/state')}`));
    for (const result of await Promise.all(direct)) expect(result).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
    for (const result of await Promise.all(chained)) expect(JSON.parse(result.body)).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
  });
});
