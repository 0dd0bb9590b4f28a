/** `fermyon:spin/sqlite@2.0.0`: a connection per label the component declares, errors as WIT errors. */
import { connection, prepared, type Connection as Db } from './databases.js';
import { execute, type SqliteResult, type SqliteValue } from './sqlite-values.js';
import { witError } from './wit-error.js';

export function sqliteImports(databases: Record<string, string>): Record<string, object> {
  class Connection {
    readonly #db: Db;
    private constructor(db: Db) {
      this.#db = db;
    }

    static open(label: string): Connection {
      const path = databases[label];
      if (path === undefined) throw witError({ tag: 'access-denied' }, `the component may not use database '${label}'`);
      try {
        return new Connection(connection(path));
      } catch (error) {
        throw witError({ tag: 'io', val: error instanceof Error ? error.message : String(error) });
      }
    }

    /** Values are converted by `sqlite-values.ts`, which the tests' database uses too. */
    execute(sql: string, parameters: SqliteValue[]): SqliteResult {
      try {
        return execute(prepared(this.#db, sql), sql, parameters);
      } catch (error) {
        throw witError({ tag: 'io', val: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return { 'fermyon:spin/sqlite': { Connection } };
}
