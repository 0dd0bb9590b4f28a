/** The guest's `fermyon:spin/sqlite@2.0.0` `connection` resource: a worker connection per label the component was granted. */
import { prepared, type CachedStatement, type Connection as Db, type Connections } from '../connections.js';
import { messageOf, witError } from '../wit-error.js';
import { replacesBusyHandler, statementKind } from './statement-kind.js';
import { execute, type SqliteResult, type SqliteValue } from './values.js';

/**
 * Refuses a statement that reaches past the granted database (statement-kind.ts); says whether it may change the
 * connection's state, and whether it may replace the runtime's busy handler. Once per distinct text: the cache
 * entry keeps both.
 */
function classify(sql: string): { changesState: boolean; rewatch: boolean } {
  const kind = statementKind(sql);
  if (kind.refused !== undefined) throw new Error(kind.refused);
  return { changesState: kind.changesState, rewatch: replacesBusyHandler(sql) };
}

/**
 * The `connection` class for one component: `open` finds only the labels in `databases` (label -> file);
 * `execute` refuses SQL that would reach other files and marks the worker's connection dirty when a statement
 * may change its state (closed when the request ends).
 */
export function connectionClass(connections: Connections, databases: Record<string, string>): object {
  return class Connection {
    readonly #db: Db;
    private constructor(db: Db) {
      this.#db = db;
    }

    static open(label: string): Connection {
      // Own labels only: a grant is a plain object, and `constructor` or `__proto__` are no database.
      const path = Object.hasOwn(databases, label) ? databases[label] : undefined;
      if (typeof path !== 'string')
        throw witError({ tag: 'access-denied' }, `the component may not use database '${label}'`);
      try {
        return new Connection(connections.get(path));
      } catch (error) {
        throw witError({ tag: 'io', val: messageOf(error) });
      }
    }

    /**
     * Values are converted by `values.ts`, which the tests' database uses too. The result is built row by row
     * and refused once it passes the gate's limit (Spin's 128 MiB, or the instance's memory when lower).
     */
    execute(sql: string, parameters: SqliteValue[]): SqliteResult {
      const db = this.#db;
      const { gate } = connections;
      try {
        return gate.run(() => {
          let entry: CachedStatement | undefined;
          try {
            entry = prepared(db, sql, classify);
            return execute(entry.statement, sql, parameters, gate.resultLimit);
          } finally {
            // A PRAGMA busy_timeout replaces the busy handler that lets a deadline stop a lock wait, already when
            // it is compiled: put it back after such a text even when it failed (to prepare: no entry, so the
            // text is classified again, on this rare path only; to bind; to run), before the guest's next
            // statement can wait on a lock. After any other statement the handlers are still the runtime's.
            if (entry ? entry.rewatch : replacesBusyHandler(sql)) gate.rewatch(db.db);
          }
        });
      } catch (error) {
        throw witError({ tag: 'io', val: messageOf(error) });
      }
    }
  };
}
