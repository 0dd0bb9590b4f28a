/**
 * SQLite connections of one worker thread, opened on first use and kept for the worker's life. Every worker
 * has its own connection to each file: WAL lets readers run in parallel and the busy timeout queues writers,
 * the way several Spin instances share `.spin/sqlite_db.db`.
 */
import Database from 'better-sqlite3';

export const BUSY_TIMEOUT_MS = 5000;

export interface Connection {
  db: Database.Database;
  /** Prepared statements by SQL text: a guest repeats the same few queries on every request. */
  statements: Map<string, Database.Statement>;
}

const open = new Map<string, Connection>();

export function connection(path: string): Connection {
  let entry = open.get(path);
  if (!entry) {
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    entry = { db, statements: new Map() };
    open.set(path, entry);
  }
  return entry;
}

export function prepared(conn: Connection, sql: string): Database.Statement {
  let statement = conn.statements.get(sql);
  if (!statement) {
    statement = conn.db.prepare(sql);
    // Bounded so a guest that builds SQL strings dynamically cannot grow the cache without limit.
    if (conn.statements.size >= 256) conn.statements.clear();
    conn.statements.set(sql, statement);
  }
  return statement;
}

/**
 * Rolls back a transaction a request left open (a guest that began one and trapped, or forgot to commit).
 * In Spin a connection lives as long as the request's instance, and closing it rolls back; here connections
 * outlive requests, so the worker calls this after each one. Returns how many it rolled back.
 */
export function rollbackOpenTransactions(): number {
  let rolledBack = 0;
  for (const { db } of open.values()) {
    if (!db.inTransaction) continue;
    db.exec('ROLLBACK');
    rolledBack++;
  }
  return rolledBack;
}

export function closeAll(): void {
  for (const { db } of open.values()) db.close();
  open.clear();
}
