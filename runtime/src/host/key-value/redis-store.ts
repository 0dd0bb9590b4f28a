/**
 * Key-value stores on Redis, as Spin's `key-value-redis` store keeps them: plain Redis keys (no prefix per label
 * or app, so two labels on one URL share its keyspace), binary values, `get`/`set`/`delete`/`exists` as
 * GET/SET/DEL/EXISTS and `get-keys` as `KEYS *` over the whole keyspace. A failure reaches the guest as
 * `error::other(<message>)`.
 *
 * A guest's call is synchronous but a socket is not, so the worker hands each command to the main thread
 * (`GuestContext.callMain`), whose {@link redisSide} keeps one connection per URL (redis-client.ts: connected on
 * first use, a time limit per call, reconnecting by itself).
 */
import type { MainSide } from '../api.js';
import { isRedisLocation } from '../labelled-files.js';
import { RedisClient, type RespValue } from '../redis-client.js';

/** One store command, as it crosses from a worker to the main thread. */
export type RedisCall =
  | { url: string; op: 'get' | 'delete' | 'exists'; key: string }
  | { url: string; op: 'set'; key: string; value: Uint8Array }
  | { url: string; op: 'get-keys' };

/** What a store does, whatever keeps its data (store.ts wraps each call's failure as the WIT error). */
export interface StoreBackend {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  delete(key: string): void;
  exists(key: string): boolean;
  getKeys(): string[];
}

/** The worker's side of a Redis store: each call is one command run by the main thread. */
export function redisBackend(url: string, call: (call: RedisCall) => unknown): StoreBackend {
  return {
    get: (key) => (call({ url, op: 'get', key }) as Uint8Array | null) ?? undefined,
    set: (key, value) => void call({ url, op: 'set', key, value }),
    delete: (key) => void call({ url, op: 'delete', key }),
    exists: (key) => call({ url, op: 'exists', key }) === true,
    getKeys: () => call({ url, op: 'get-keys' }) as string[],
  };
}

const asBytes = (value: RespValue): Uint8Array | null => (value instanceof Buffer ? new Uint8Array(value) : null);

/** The main thread's side: one client per Redis URL a component was granted, none other. */
export function redisSide(grants: Record<string, Record<string, string>>, timeoutMs: number): MainSide | undefined {
  const urls = new Set(Object.values(grants).flatMap((stores) => Object.values(stores).filter(isRedisLocation)));
  if (urls.size === 0) return undefined;
  const clients = new Map([...urls].map((url) => [url, new RedisClient(url, timeoutMs)]));
  return {
    async call(raw: unknown) {
      const request = raw as RedisCall;
      const client = clients.get(request.url);
      if (!client) throw new Error(`no Redis store at ${String(request.url)} was granted`);
      switch (request.op) {
        case 'get':
          return asBytes(await client.command(['GET', request.key]));
        case 'set':
          await client.command(['SET', request.key, request.value]);
          return null;
        case 'delete':
          await client.command(['DEL', request.key]);
          return null;
        case 'exists':
          return (await client.command(['EXISTS', request.key])) === 1;
        case 'get-keys': {
          const keys = await client.command(['KEYS', '*']);
          return Array.isArray(keys)
            ? keys.map((key) => (key instanceof Buffer ? key.toString('utf8') : String(key)))
            : [];
        }
      }
    },
    close() {
      for (const client of clients.values()) client.close();
    },
  };
}
