/** The guest's `fermyon:spin/key-value@2.0.0` `store` resource, over a SQLite table like Spin's default `.spin/sqlite_key_value.db` or a Redis server (redis-store.ts). */
import type { Statement } from 'better-sqlite3';
import { prepared, type Connection, type Connections } from '../connections.js';
import { isRedisLocation } from '../labelled-files.js';
import { messageOf, witError } from '../wit-error.js';
import { redisBackend, type RedisCall, type StoreBackend } from './redis-store.js';

/** Created at start-up on the main thread (index.ts), so workers never race on DDL. */
export const KV_TABLE = 'spin_key_value';
export const KV_TABLE_DDL = `CREATE TABLE IF NOT EXISTS ${KV_TABLE} (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))`;
export const KV_UPSERT = `INSERT INTO ${KV_TABLE} (store, key, value) VALUES (?, ?, ?) ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`;

function other(error: unknown): Error {
  return witError({ tag: 'other', val: messageOf(error) });
}

/** A store in a local SQLite file, like Spin's default `.spin/sqlite_key_value.db`: a table keyed by label and key. */
function sqliteBackend(connections: Connections, db: Connection, label: string): StoreBackend {
  const run = <T>(work: () => T): T => connections.gate.run(work);
  // The store's own SQL: never refused, never changes the connection's state or handlers, so no classification.
  const statement = (sql: string): Statement => prepared(db, sql).statement;
  return {
    get: (key) =>
      run(() => {
        const row = statement(`SELECT value FROM ${KV_TABLE} WHERE store = ? AND key = ?`).get(label, key) as
          { value: Buffer } | undefined;
        return row ? new Uint8Array(row.value) : undefined;
      }),
    set: (key, value) => void run(() => statement(KV_UPSERT).run(label, key, Buffer.from(value))),
    delete: (key) => void run(() => statement(`DELETE FROM ${KV_TABLE} WHERE store = ? AND key = ?`).run(label, key)),
    exists: (key) =>
      run(() => statement(`SELECT 1 FROM ${KV_TABLE} WHERE store = ? AND key = ?`).get(label, key) !== undefined),
    getKeys: () =>
      run(() =>
        (statement(`SELECT key FROM ${KV_TABLE} WHERE store = ? ORDER BY key`).all(label) as { key: string }[]).map(
          (r) => r.key,
        ),
      ),
  };
}

/**
 * The `store` class for one component: `open` finds only the labels in `stores` (label -> file, or the URL of
 * a Redis store); `redis` runs a Redis store's command on the main thread.
 */
export function storeClass(
  connections: Connections,
  stores: Record<string, string>,
  redis: (call: RedisCall) => unknown,
): object {
  return class Store {
    readonly #backend: StoreBackend;
    private constructor(backend: StoreBackend) {
      this.#backend = backend;
    }

    static open(label: string): Store {
      // Own labels only: a grant is a plain object, and `constructor` or `__proto__` are no store.
      const location = Object.hasOwn(stores, label) ? stores[label] : undefined;
      if (typeof location !== 'string')
        throw witError({ tag: 'access-denied' }, `the component may not use key-value store '${label}'`);
      if (isRedisLocation(location)) return new Store(redisBackend(location, redis));
      try {
        return new Store(sqliteBackend(connections, connections.get(location), label));
      } catch (error) {
        throw other(error);
      }
    }

    #run<T>(work: (backend: StoreBackend) => T): T {
      try {
        return work(this.#backend);
      } catch (error) {
        throw other(error);
      }
    }

    get(key: string): Uint8Array | undefined {
      return this.#run((b) => b.get(key));
    }

    set(key: string, value: Uint8Array): void {
      this.#run((b) => b.set(key, value));
    }

    delete(key: string): void {
      this.#run((b) => b.delete(key));
    }

    exists(key: string): boolean {
      return this.#run((b) => b.exists(key));
    }

    getKeys(): string[] {
      return this.#run((b) => b.getKeys());
    }
  };
}
