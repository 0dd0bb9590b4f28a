/** Preparing the state directory: `--sqlite` arguments that take long enough to notice are reported with their time. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as State from '../../runtime/src/state';
import { repoRoot, tempDir } from './support/runtime';

type StateModule = typeof State;
const loadState = async (): Promise<StateModule> => (await import(join(repoRoot, 'runtime/dist/state.js'))) as StateModule;

describe('prepareState', () => {
  it('reports how long each --sqlite argument took once it passes the threshold, and is silent below it', async () => {
    const { prepareState } = await loadState();
    const dir = tempDir();
    try {
      const paths = { sqlite: { default: join(dir.path, 'sqlite_db.db') }, keyValue: { default: join(dir.path, 'kv.db') } };
      const lines: string[] = [];
      const options = { stateDir: dir.path, sqlite: ['CREATE TABLE IF NOT EXISTS t (v)', 'INSERT INTO t VALUES (1)'], keyValues: {}, cwd: dir.path, log: (line: string) => lines.push(line) };
      prepareState(paths, options);
      // Two trivial statements take microseconds: nothing to report at the default threshold (1 s).
      expect(lines).toEqual([]);
      prepareState(paths, { ...options, slowSqliteMs: 0 });
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^--sqlite "CREATE TABLE IF NOT EXISTS t \(v\)": applied in \d+\.\d s$/);
    } finally {
      dir.remove();
    }
  });
});
