import { describe, expect, it } from 'vitest';
import { fixtureManifest, ITEMS_TABLE, json, loadRuntime, tempDir } from './support/runtime';

describe('restart with the same state directory', () => {
  it('keeps SQLite rows and key-value pairs, and re-runs --sqlite statements on every start', async () => {
    const { create } = await loadRuntime();
    const state = tempDir();
    const options = {
      from: fixtureManifest,
      stateDir: state.path,
      sqlite: [ITEMS_TABLE, "INSERT INTO items (name) VALUES ('seed')"],
      guestOutput: () => {},
    };
    try {
      const first = await create(options);
      await first.fetch('/a/db/insert?name=written');
      await first.fetch('/a/kv/set?key=survives&value=restart');
      await first.dispose();

      const second = await create(options);
      try {
        // seed (first start) + written + seed again: --sqlite ran on both starts.
        expect(await json(await second.fetch('/a/db/count'))).toEqual({ n: 3 });
        expect(await json(await second.fetch('/a/kv/get?key=survives'))).toEqual({ value: 'restart' });
      } finally {
        await second.dispose();
      }
    } finally {
      state.remove();
    }
  });
});
