/**
 * What a guest's SQL statement may do beyond its granted database, decided from its text once, when the host
 * prepares it (better-sqlite3 has no authorizer hook, which is how Spin's newer hosts deny `ATTACH`). A
 * statement's kind is fixed by its first keyword, after comments, whitespace and an optional
 * `EXPLAIN [QUERY PLAN]`; better-sqlite3 prepares exactly one statement per call, so there is no second one
 * to hide behind the first.
 *
 * - **Refused**: `ATTACH` and `DETACH` (they open, or name, a file other than the granted database: another
 *   component's key-value store, or any path the process can write), `VACUUM ... INTO` (writes a new file) and
 *   the PRAGMAs that act on the whole process (temporary-file directories, heap limits), however quoted.
 * - **Changes the connection's state**: `PRAGMA` (settings live in the connection), `CREATE`/`DROP`/`ALTER`
 *   (TEMP tables, views, triggers and indexes live in the connection; DDL on the file is rare at request time).
 *   A connection that ran one is closed when the request ends, so the next request opens a fresh one, as each
 *   Spin instance does. Anything else that touches `temp` needs a TEMP object created by the same request.
 * - **Replaces the runtime's handlers** ({@link replacesBusyHandler}): `PRAGMA busy_timeout`, after which the
 *   host puts its busy handler back.
 */
import { codeWords } from './values.js';

export interface StatementKind {
  /** Why the statement is refused, for the guest's `io` error; undefined when it may run. */
  refused?: string;
  /** Whether running it may change the connection's own state (not only the file's contents). */
  changesState: boolean;
}

const GRANT = 'a component may use only the databases it declares in sqlite_databases';
/**
 * PRAGMAs that act on the whole process, not one connection, so closing the connection would not undo them:
 * the directories SQLite writes temporary files in (deprecated, still compiled in), and the heap limits that
 * would make every other component's SQLite run out of memory.
 */
const PROCESS_PRAGMAS = new Set(['TEMP_STORE_DIRECTORY', 'DATA_STORE_DIRECTORY', 'HARD_HEAP_LIMIT', 'SOFT_HEAP_LIMIT']);

export function statementKind(sql: string): StatementKind {
  const words = codeWords(sql);
  let first = 0;
  if (words[0] === 'EXPLAIN') first = words[1] === 'QUERY' && words[2] === 'PLAN' ? 3 : 1;
  const keyword = words[first];
  switch (keyword) {
    case 'ATTACH':
    case 'DETACH':
      return {
        refused: `${keyword} is not allowed: ${GRANT} (this runtime refuses ATTACH and DETACH)`,
        changesState: true,
      };
    case 'VACUUM':
      if (words.includes('INTO', first + 1))
        return {
          refused: `VACUUM INTO is not allowed: it writes a file other than the granted database (${GRANT})`,
          changesState: true,
        };
      return { changesState: false };
    case 'PRAGMA': {
      // SQLite also takes the name quoted ("x", 'x', [x], `x`), which the code words leave out: any word of the
      // whole text, quotes and all, that names such a PRAGMA refuses the statement (a name in a comment or an
      // argument too; no PRAGMA needs one there).
      const name = (sql.toUpperCase().match(/[A-Z_][A-Z0-9_$]*/g) ?? []).find((word) => PROCESS_PRAGMAS.has(word));
      if (name !== undefined)
        return {
          refused: `PRAGMA ${name.toLowerCase()} is not allowed: it acts on the whole process, beyond the granted database`,
          changesState: true,
        };
      return { changesState: true };
    }
    case 'CREATE':
    case 'DROP':
    case 'ALTER':
      return { changesState: true };
    default:
      return { changesState: false };
  }
}

/**
 * Whether preparing or running `sql` may replace the busy handler or progress handler the runtime watches a
 * guest's connection with (runtime/native/spin-host-sqlite.c), so that the host must put them back after it.
 *
 * Only one SQL text can: SQLite sets the busy handler from SQL in `PRAGMA busy_timeout = N` alone (its
 * `sqlite3_busy_timeout`, which installs SQLite's own sleeping handler, blind to the deadline), and the progress
 * handler from no SQL at all; every other PRAGMA leaves both alone. The pragma takes effect when it is compiled,
 * not when it runs: at prepare, even when better-sqlite3 then refuses the text (a second statement after it), and
 * again whenever SQLite recompiles it (an expired statement) on a later run. So the answer is about the text and
 * holds for every execution of it. Any text that names `busy_timeout` anywhere answers yes: the name may be
 * quoted ("x", 'x', [x], `x`), in any case, after a schema name, or be `pragma_busy_timeout` (which SQLite gives
 * no argument, so it only reads); a string or comment that merely mentions it costs one needless, cheap rewatch.
 */
export function replacesBusyHandler(sql: string): boolean {
  return sql.toUpperCase().includes('BUSY_TIMEOUT');
}
