/** Start-up work in the state directory: `--sqlite` arguments that take long enough to notice are reported with their time. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as Sqlite from '../src/host/sqlite/index';
import { packageRoot, tempDir } from './support/runtime';

type SqliteModule = typeof Sqlite;
const loadSqlite = async (): Promise<SqliteModule> =>
  (await import(join(packageRoot, 'dist/host/sqlite/index.js'))) as SqliteModule;

describe('--sqlite at start-up', () => {
  it('reports how long each --sqlite argument took once it passes the threshold, and is silent below it', async () => {
    const { applySqliteArgs } = await loadSqlite();
    const dir = tempDir();
    try {
      const paths = { default: join(dir.path, 'sqlite_db.db') };
      const lines: string[] = [];
      const args = ['CREATE TABLE IF NOT EXISTS t (v)', 'INSERT INTO t VALUES (1)'];
      const options = { cwd: dir.path, log: (line: string) => lines.push(line) };
      applySqliteArgs(paths, args, options);
      // Two trivial statements take microseconds: nothing to report at the default threshold (1 s).
      expect(lines).toEqual([]);
      applySqliteArgs(paths, args, { ...options, slowMs: 0 });
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^--sqlite "CREATE TABLE IF NOT EXISTS t \(v\)": applied in \d+\.\d s$/);
    } finally {
      dir.remove();
    }
  });
});
