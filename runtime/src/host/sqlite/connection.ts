/** The guest's `fermyon:spin/sqlite@2.0.0` `connection` resource: a worker connection per label the component was granted. */
import { prepared, type Connection as Db, type Connections } from '../connections.js';
import { messageOf, witError } from '../wit-error.js';
import { execute, type SqliteResult, type SqliteValue } from './values.js';

/** The `connection` class for one component: `open` finds only the labels in `databases` (label -> file). */
export function connectionClass(connections: Connections, databases: Record<string, string>): object {
  return class Connection {
    readonly #db: Db;
    private constructor(db: Db) {
      this.#db = db;
    }

    static open(label: string): Connection {
      const path = databases[label];
      if (path === undefined) throw witError({ tag: 'access-denied' }, `the component may not use database '${label}'`);
      try {
        return new Connection(connections.get(path));
      } catch (error) {
        throw witError({ tag: 'io', val: messageOf(error) });
      }
    }

    /** Values are converted by `values.ts`, which the tests' database uses too. */
    execute(sql: string, parameters: SqliteValue[]): SqliteResult {
      try {
        return execute(prepared(this.#db, sql), sql, parameters);
      } catch (error) {
        throw witError({ tag: 'io', val: messageOf(error) });
      }
    }
  };
}
