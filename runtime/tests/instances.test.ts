/**
 * A fresh instance per request, even though workers recycle linear memories and keep prepared instances
 * (runtime/src/instances.ts): module state never carries over, new memory reads as zeros, and an instance
 * whose memory grew does not pass the larger memory on. Then the factory on its own, byte for byte: an
 * instance starts with the memory the unstripped module leaves in a fresh one, whether its memory is new or
 * was dirtied by an earlier instance (memory-import.test.ts checks the image itself).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceFactory, type ComponentCode, type GlueInstantiate } from '../src/instances';
import { importOwnMemory, MEMORY_IMPORT } from '../src/memory-import';
import { loadComponentCode } from '../src/transpile-cache';
import { standaloneGuestHost } from './support/guest-host';
import { fixtureManifest, guestWasm, json, loadRuntime, tempDir, type SpinRuntime } from './support/runtime';

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
    spin = await create({
      from: fixtureManifest,
      stateDir: state.path,
      guestOutput: () => {},
      minWorkers: 1,
      maxWorkers: 4,
      requestTimeoutMs: 20_000,
    });
  });
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  it('starts every request from the initial module state', async () => {
    for (let i = 0; i < 5; i++)
      expect(await get<State>('/a/state')).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
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
    for (let i = 0; i < 3; i++)
      expect(await get<State>('/a/state')).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
    expect(await get('/a/zeroed?kb=2048')).toEqual({ nonZero: 0, size: 2048 * 1024 });
  });

  it('keeps instances apart under concurrency and across chained calls', async () => {
    const direct = Array.from({ length: 6 }, () => get<State>('/a/state'));
    const chained = Array.from({ length: 4 }, () =>
      get<{ status: number; body: string }>(`/a/chain?to=hidden&path=${encodeURIComponent('/state')}`),
    );
    for (const result of await Promise.all(direct)) expect(result).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
    for (const result of await Promise.all(chained))
      expect(JSON.parse(result.body)).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
  });
});

describe('InstanceFactory memories, byte for byte', () => {
  it('gives every instance, on a new or a dirtied recycled memory, the memory a fresh instantiation has', async () => {
    const { module } = await loadComponentCode(guestWasm);
    const own = module.ownMemory;
    if (!own) throw new Error('expected the main core module to import its memory');
    expect(own.image).toBeDefined(); // else this would test the zero-and-rewrite path only
    const { instantiate } = (await import(module.glueUrl)) as { instantiate: GlueInstantiate };
    const host = standaloneGuestHost();
    const setup = { id: 'guest', moduleKey: 'guest', grants: {} };
    const code: ComponentCode = { setup, module, instantiate, imports: host.imports(setup) };

    // What the runtime did before data images: the module with its segments, in a fresh memory.
    const rewritten = importOwnMemory(await readFile(join(dirname(fileURLToPath(module.glueUrl)), own.core)));
    if (!rewritten) throw new Error('expected a rewrite');
    const withSegments = new WebAssembly.Module(rewritten.bytes);
    const freshMemory = new WebAssembly.Memory({ initial: own.initialPages });
    const cores = { ...module.cores, [own.core]: withSegments };
    instantiate(
      (name) => cores[name] as WebAssembly.Module,
      code.imports,
      (core, imports = {}) =>
        new WebAssembly.Instance(
          core,
          core === withSegments
            ? { ...imports, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: freshMemory } }
            : imports,
        ),
    );
    const expected = new Uint8Array(freshMemory.buffer);

    const factory = new InstanceFactory(() => code);
    const memories = new Set<WebAssembly.Memory>();
    for (let round = 0; round < 3; round++) {
      const instance = factory.take('guest');
      if (!instance.memory) throw new Error('expected a recycled memory');
      memories.add(instance.memory);
      const actual = new Uint8Array(instance.memory.buffer);
      expect(actual.length).toBe(expected.length);
      expect(Buffer.compare(actual, expected), `round ${round}`).toBe(0);
      actual.fill(0xa5); // as a guest might leave it, everywhere
      factory.release(instance);
    }
    expect(memories.size).toBe(1); // the first round's memory was new, the others recycled
  });
});
