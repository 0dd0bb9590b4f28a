/**
 * The SQLite connections of one worker thread, opened on first use and kept for the worker's life (the
 * SQLite and key-value APIs each keep one set). Every worker has its own connection to each file: WAL lets
 * readers run in parallel and the busy timeout queues writers, the way several Spin instances share
 * `.spin/sqlite_db.db`.
 */
import type Database from 'better-sqlite3';
import { openDatabase } from './labelled-files.js';

/** Prepared statements kept per connection; bounded so a guest that builds SQL strings cannot grow it without limit. */
const STATEMENT_CACHE = 256;

export interface Connection {
  db: Database.Database;
  /** Prepared statements by SQL text: a guest repeats the same few queries on every request. */
  statements: Map<string, Database.Statement>;
}

export class Connections {
  readonly #open = new Map<string, Connection>();

  get(path: string): Connection {
    let entry = this.#open.get(path);
    if (!entry) {
      entry = { db: openDatabase(path), statements: new Map() };
      this.#open.set(path, entry);
    }
    return entry;
  }

  /**
   * Rolls back a transaction a request left open (a guest that began one and trapped, or forgot to commit).
   * In Spin a connection lives as long as the request's instance, and closing it rolls back; here connections
   * outlive requests, so this runs after each one. Returns how many it rolled back.
   */
  rollbackOpenTransactions(): number {
    let rolledBack = 0;
    for (const { db } of this.#open.values()) {
      if (!db.inTransaction) continue;
      db.exec('ROLLBACK');
      rolledBack++;
    }
    return rolledBack;
  }

  close(): void {
    for (const { db } of this.#open.values()) db.close();
    this.#open.clear();
  }
}

export function prepared(conn: Connection, sql: string): Database.Statement {
  let statement = conn.statements.get(sql);
  if (!statement) {
    statement = conn.db.prepare(sql);
    if (conn.statements.size >= STATEMENT_CACHE) conn.statements.clear();
    conn.statements.set(sql, statement);
  }
  return statement;
}
