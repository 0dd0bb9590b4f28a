/** `fermyon:spin/key-value@2.0.0` over a SQLite table, like Spin's default `.spin/sqlite_key_value.db`. */
import { connection, prepared, type Connection } from './databases.js';
import { witError } from './wit-error.js';

/** Created by the main thread at start-up (state.ts), so workers never race on DDL. */
export const KV_TABLE = 'spin_key_value';

function other(error: unknown): Error {
  return witError({ tag: 'other', val: error instanceof Error ? error.message : String(error) });
}

export function keyValueImports(stores: Record<string, string>): Record<string, object> {
  class Store {
    readonly #db: Connection;
    readonly #label: string;
    private constructor(db: Connection, label: string) {
      this.#db = db;
      this.#label = label;
    }

    static open(label: string): Store {
      const path = stores[label];
      if (path === undefined) throw witError({ tag: 'access-denied' }, `the component may not use key-value store '${label}'`);
      try {
        return new Store(connection(path), label);
      } catch (error) {
        throw other(error);
      }
    }

    #run<T>(work: () => T): T {
      try {
        return work();
      } catch (error) {
        throw other(error);
      }
    }

    get(key: string): Uint8Array | undefined {
      return this.#run(() => {
        const row = prepared(this.#db, `SELECT value FROM ${KV_TABLE} WHERE store = ? AND key = ?`).get(this.#label, key) as { value: Buffer } | undefined;
        return row ? new Uint8Array(row.value) : undefined;
      });
    }

    set(key: string, value: Uint8Array): void {
      this.#run(() =>
        prepared(this.#db, `INSERT INTO ${KV_TABLE} (store, key, value) VALUES (?, ?, ?) ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`).run(
          this.#label,
          key,
          Buffer.from(value),
        ),
      );
    }

    delete(key: string): void {
      this.#run(() => prepared(this.#db, `DELETE FROM ${KV_TABLE} WHERE store = ? AND key = ?`).run(this.#label, key));
    }

    exists(key: string): boolean {
      return this.#run(() => prepared(this.#db, `SELECT 1 FROM ${KV_TABLE} WHERE store = ? AND key = ?`).get(this.#label, key) !== undefined);
    }

    getKeys(): string[] {
      return this.#run(() => (prepared(this.#db, `SELECT key FROM ${KV_TABLE} WHERE store = ? ORDER BY key`).all(this.#label) as { key: string }[]).map((r) => r.key));
    }
  }
  return { 'fermyon:spin/key-value': { Store } };
}
