/**
 * Key-value stores (`fermyon:spin/key-value@2.0.0`). spin.toml: a component's `key_value_stores` labels.
 * Runtime config: `[key_value_store.<label>]`, a local SQLite file (`type = "spin"`) or a Redis server
 * (`type = "redis"`, `url`), as Spin takes them. Start-up: each store's file gets its table, and `--key-value`
 * pairs are written to `default`; a Redis store is not contacted (a Redis that is down does not stop the start).
 * Guest: a store per granted label; a Redis store's commands are run by the main thread's side ({@link redisSide}).
 */
import { mkdirSync } from 'node:fs';
import type { HostApi } from '../api.js';
import { DEFAULT_REDIS_TIMEOUT_MS, noApp } from '../api.js';
import { Connections } from '../connections.js';
import { ConfigError } from '../../errors.js';
import {
  checkLabels,
  grantedPaths,
  isRedisLocation,
  labelPaths,
  openDatabase,
  type LabelledKind,
} from '../labelled-files.js';
import { redisSide, type RedisCall } from './redis-store.js';
import { KV_TABLE_DDL, KV_UPSERT, storeClass } from './store.js';

const KIND: LabelledKind = {
  what: 'key-value store',
  section: 'key_value_store',
  defaultFile: 'sqlite_key_value.db',
  redis: true,
};

/** Grant: label -> file, for the labels the component declares. */
export const keyValue: HostApi<undefined, string[], Record<string, string>, 'keyValue'> = {
  name: 'keyValue',
  manifestKeys: [],
  componentKeys: ['key_value_stores'],
  runtimeConfigKeys: [KIND.section],
  app: noApp,
  component: ({ reader }, table, key) =>
    checkLabels(
      reader.stringArray(table.key_value_stores, `${key}.key_value_stores`),
      `${key}.key_value_stores`,
      (k, m) => reader.fail(k, m),
    ),
  grants: ({ components, runtimeConfig, stateDir }) =>
    grantedPaths(labelPaths(KIND, runtimeConfig, stateDir, components), components),
  prepareState({ components, runtimeConfig, stateDir, options }) {
    mkdirSync(stateDir, { recursive: true });
    for (const [label, path] of Object.entries(labelPaths(KIND, runtimeConfig, stateDir, components))) {
      if (isRedisLocation(path)) {
        if (label === 'default' && Object.keys(options.keyValues ?? {}).length > 0) {
          throw new ConfigError(
            `--key-value: the default store is Redis (${path}), which the runtime does not contact at start; set the keys there instead (redis-cli SET <key> <value>)`,
          );
        }
        continue;
      }
      const db = openDatabase(path);
      try {
        db.exec(KV_TABLE_DDL);
        if (label === 'default') {
          const put = db.prepare(KV_UPSERT);
          for (const [key, value] of Object.entries(options.keyValues ?? {}))
            put.run('default', key, Buffer.from(value));
        }
      } finally {
        db.close();
      }
    }
  },
  guest({ sqlite: gate, callMain }) {
    const connections = new Connections(gate);
    const redis = (call: RedisCall): unknown => callMain('keyValue', call);
    return {
      imports: (_component, stores) => ({
        'fermyon:spin/key-value': { Store: storeClass(connections, stores, redis) },
      }),
      // The store runs only its own fixed statements, which never dirty a connection: this only guards that.
      endRequest: () => void connections.endRequest(),
      close: () => connections.close(),
    };
  },
  main: ({ options }, grants) => redisSide(grants, options.redisTimeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS),
};
