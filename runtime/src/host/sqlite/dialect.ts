/**
 * Spin's SQLite is rusqlite's `bundled` build: double-quoted string literals accepted (no SQLITE_DQS),
 * foreign keys on by default, no math functions, no `UPDATE`/`DELETE ... LIMIT`. better-sqlite3's stock
 * build (and its prebuilt binaries) differs on all but foreign keys, so runtime/scripts/build-sqlite.mjs rebuilds it
 * with Spin's defines at install time. This check refuses to start on a binary that missed that (its own
 * install script ran after all, or `--ignore-scripts` left none): SQL written for Spin would fail here, and
 * SQL that fails on Spin would pass.
 */
import Database from 'better-sqlite3';
import { ConfigError } from '../../errors.js';

/** The part of a better-sqlite3 connection the check reads (a seam for tests). */
export interface PragmaSource {
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** The init function of runtime/native/spin-host-sqlite.c, as runtime/scripts/build-sqlite.mjs compiles it in. */
export const HOOKS_INIT = 'spin_host_init_v1';

/** What differs from Spin's dialect, one phrase per difference; empty when nothing does. */
export function sqliteDialectProblems(db: PragmaSource): string[] {
  const rows = db.pragma('compile_options') as { compile_options: string }[];
  const options = new Set(rows.map((row) => row.compile_options));
  const problems: string[] = [];
  // Listed only when defined; SQLite's default (and Spin's) is 3: accepted in DML and DDL.
  const dqs = [...options].find((option) => option.startsWith('DQS='));
  if (dqs !== undefined && dqs !== 'DQS=3') problems.push(`SQLITE_${dqs} (double-quoted string literals refused)`);
  if (options.has('ENABLE_MATH_FUNCTIONS')) problems.push('SQLITE_ENABLE_MATH_FUNCTIONS (sqrt(), ln(), ... exist)');
  if (options.has('ENABLE_UPDATE_DELETE_LIMIT'))
    problems.push('SQLITE_ENABLE_UPDATE_DELETE_LIMIT (UPDATE/DELETE ... LIMIT accepted)');
  if (db.pragma('foreign_keys', { simple: true }) !== 1)
    problems.push('foreign keys off by default (no SQLITE_DEFAULT_FOREIGN_KEYS=1)');
  // Not dialect, but built by the same script: without them a deadline could not stop a guest's statement.
  if (!options.has(`EXTRA_INIT=${HOOKS_INIT}`))
    problems.push(`no runtime hooks (EXTRA_INIT=${HOOKS_INIT}, runtime/native/spin-host-sqlite.c)`);
  return problems;
}

const REBUILD =
  'Run `npm rebuild spin-local` (its install script, scripts/build-sqlite.mjs of the spin-local package) or `node scripts/build-sqlite.mjs` in that package.';
let checked = false;

/** Throws a {@link ConfigError} saying what to run when better-sqlite3 lacks Spin's dialect. Checks once. */
export function assertSpinSqliteDialect(): void {
  if (checked) return;
  let db: Database.Database;
  try {
    db = new Database(':memory:'); // the first connection loads the native addon
  } catch (error) {
    throw new ConfigError(
      `better-sqlite3 does not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}). ${REBUILD}`,
    );
  }
  let problems: string[];
  try {
    problems = sqliteDialectProblems(db);
  } finally {
    db.close();
  }
  if (problems.length > 0)
    throw new ConfigError(`better-sqlite3 is not built with Spin's SQLite dialect: ${problems.join('; ')}. ${REBUILD}`);
  checked = true;
}
