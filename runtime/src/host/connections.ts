/**
 * The SQLite connections of one worker thread (the SQLite and key-value APIs each keep one set), opened on
 * first use. Every worker has its own connection to each file: WAL lets readers run in parallel and the busy
 * timeout queues writers, the way several Spin instances share `.spin/sqlite_db.db`.
 *
 * Spin opens a new connection for each `open` of each instance and drops it with the instance, so a request
 * never sees what an earlier one did to its connection. Reopening per request would cost every request an
 * open and its statements' preparation, so a connection is kept across requests (and across the components
 * that run on this worker) as long as it stays clean: a request that runs a statement that may change the
 * connection's own state (TEMP objects, PRAGMA settings: the caller classifies each SQL text once, when it is
 * prepared) marks it dirty, and {@link Connections.endRequest} closes it, so the next request opens a fresh
 * one. A transaction a request leaves open is rolled back then too, as closing the connection does in Spin.
 */
import type Database from 'better-sqlite3';
import type { SqliteAccess } from './api.js';

/** Prepared statements kept per connection; bounded so a guest that builds SQL strings cannot grow it without limit. */
const STATEMENT_CACHE = 256;

export interface CachedStatement {
  statement: Database.Statement;
  /** Running it may change the connection's own state: the connection must not serve another request. */
  changesState: boolean;
  /**
   * Preparing or running it may replace the handlers the runtime watches the connection with (a
   * `PRAGMA busy_timeout`): the caller puts them back after each execution. Decided with `changesState`, once.
   */
  rewatch: boolean;
}

export interface Connection {
  db: Database.Database;
  /** Prepared statements by SQL text: a guest repeats the same few queries on every request. */
  statements: Map<string, CachedStatement>;
  /** A statement of the current request may have changed the connection's own state. */
  dirty: boolean;
}

/**
 * Classifies a SQL text before it is prepared: throws to refuse it, or says whether running it may change
 * the connection's own state, and whether it may replace the runtime's handlers (absent: it may not). Called
 * once per distinct text per connection.
 */
export type Classify = (sql: string) => { changesState: boolean; rewatch?: boolean };

export class Connections {
  readonly #open = new Map<string, Connection>();
  /** Every better-sqlite3 call of this worker goes through it (sqlite-gate.ts). */
  readonly gate: SqliteAccess;

  constructor(gate: SqliteAccess) {
    this.gate = gate;
  }

  get(path: string): Connection {
    let entry = this.#open.get(path);
    if (!entry) {
      entry = { db: this.gate.open(path), statements: new Map(), dirty: false };
      this.#open.set(path, entry);
    }
    return entry;
  }

  /**
   * After each request: rolls back a transaction it left open (a guest that began one and trapped, or forgot
   * to commit) and closes the connections it dirtied. Returns how many transactions it rolled back.
   */
  endRequest(): number {
    return this.#open.size === 0 ? 0 : this.gate.run(() => this.#endRequest());
  }

  #endRequest(): number {
    let rolledBack = 0;
    for (const [path, entry] of this.#open) {
      if (entry.dirty) {
        // Closing rolls back an open transaction, as in Spin.
        if (entry.db.inTransaction) rolledBack++;
        this.#open.delete(path);
        entry.db.close();
        continue;
      }
      if (!entry.db.inTransaction) continue;
      entry.db.exec('ROLLBACK');
      rolledBack++;
    }
    return rolledBack;
  }

  close(): void {
    try {
      this.gate.run(() => {
        for (const { db } of this.#open.values()) db.close();
      });
    } catch {
      // The worker is being stopped: its connections close with it.
    }
    this.#open.clear();
  }
}

/**
 * The cache entry for `sql` on `conn`: its prepared statement and what the classification said of it, so a
 * statement repeated on every request is classified once. Marks the connection dirty when the statement may
 * change its state.
 */
export function prepared(conn: Connection, sql: string, classify?: Classify): CachedStatement {
  let entry = conn.statements.get(sql);
  if (!entry) {
    const kind = classify?.(sql);
    entry = {
      statement: conn.db.prepare(sql),
      changesState: kind?.changesState ?? false,
      rewatch: kind?.rewatch ?? false,
    };
    if (conn.statements.size >= STATEMENT_CACHE) conn.statements.clear();
    conn.statements.set(sql, entry);
  }
  if (entry.changesState) conn.dirty = true;
  return entry;
}
