/** The guest's `fermyon:spin/key-value@2.0.0` `store` resource, over a SQLite table like Spin's default `.spin/sqlite_key_value.db`. */
import { prepared, type Connection, type Connections } from '../connections.js';
import { messageOf, witError } from '../wit-error.js';

/** Created at start-up on the main thread (index.ts), so workers never race on DDL. */
export const KV_TABLE = 'spin_key_value';
export const KV_TABLE_DDL = `CREATE TABLE IF NOT EXISTS ${KV_TABLE} (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))`;
export const KV_UPSERT = `INSERT INTO ${KV_TABLE} (store, key, value) VALUES (?, ?, ?) ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`;

function other(error: unknown): Error {
  return witError({ tag: 'other', val: messageOf(error) });
}

/** The `store` class for one component: `open` finds only the labels in `stores` (label -> file). */
export function storeClass(connections: Connections, stores: Record<string, string>): object {
  return class Store {
    readonly #db: Connection;
    readonly #label: string;
    private constructor(db: Connection, label: string) {
      this.#db = db;
      this.#label = label;
    }

    static open(label: string): Store {
      // Own labels only: a grant is a plain object, and `constructor` or `__proto__` are no store.
      const path = Object.hasOwn(stores, label) ? stores[label] : undefined;
      if (typeof path !== 'string') throw witError({ tag: 'access-denied' }, `the component may not use key-value store '${label}'`);
      try {
        return new Store(connections.get(path), label);
      } catch (error) {
        throw other(error);
      }
    }

    #run<T>(work: () => T): T {
      try {
        return connections.gate.run(work);
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
      this.#run(() => prepared(this.#db, KV_UPSERT).run(this.#label, key, Buffer.from(value)));
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
  };
}
