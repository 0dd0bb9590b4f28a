/**
 * The three components wired together in one process: the aggregates app's `fetch` is routed to the
 * in-process customers and incidents apps by host name, the way Spin routes `*.spin.internal`.
 * The key-value store is an in-memory map (the e2e tests use the runtime's real one).
 */
import { createAggregatesApp } from '../../aggregates-service/src/app';
import type { KeyValueStore } from '../../aggregates-service/src/cache';
import type { Clock, Fetch } from '../../aggregates-service/src/downstream';
import type { App } from '@aggregates/common/http';
import { createCustomersApp } from '../../customers-service/src/app';
import { createIncidentsApp } from '../../incidents-service/src/app';
import { TEST_API_TOKEN } from '../contract/target';
import type { TestDatabase } from './sqlite';

/** Options that keep the apps' per-request log lines out of the test output. */
export const QUIET = { accessLog: () => {}, log: () => {} } as const;

export interface MemoryStore extends KeyValueStore {
  entries: Map<string, string>;
}

export function memoryStore(): MemoryStore {
  const entries = new Map<string, string>();
  return {
    entries,
    get: (key) => {
      const value = entries.get(key);
      return value === undefined ? null : new TextEncoder().encode(value);
    },
    set: (key, value) => void entries.set(key, typeof value === 'string' ? value : new TextDecoder().decode(value)),
  };
}

export function chainedFetch(db: TestDatabase): Fetch {
  const apps: Record<string, App> = {
    'customers-service.spin.internal': createCustomersApp({
      openDatabase: () => db.database,
      apiToken: () => TEST_API_TOKEN,
      ...QUIET,
    }),
    'incidents-service.spin.internal': createIncidentsApp({
      openDatabase: () => db.database,
      apiToken: () => TEST_API_TOKEN,
      ...QUIET,
    }),
  };
  return async (url, init) => {
    const app = apps[new URL(url).host];
    if (!app) throw new TypeError(`no route to ${url}`);
    return app.fetch(new Request(url, init));
  };
}

export interface InProcessOptions {
  variables?: Record<string, string>;
  /** Wraps the chained fetch, to inject faults or record calls. */
  wrapFetch?: (fetch: Fetch) => Fetch;
  log?: (line: string) => void;
  store?: KeyValueStore;
  clock?: Clock;
}

/** Variables that switch the response cache off, for tests about something else. */
export const NO_CACHE = { cache_ttl_ms: '0', cache_stale_if_error_ms: '0' } as const;

export function inProcessAggregates(
  db: TestDatabase,
  { variables = {}, wrapFetch = (f) => f, log = () => {}, store = memoryStore(), clock }: InProcessOptions = {},
) {
  const app = createAggregatesApp({
    fetch: wrapFetch(chainedFetch(db)),
    getVariable: (name) => variables[name] ?? null,
    openStore: () => store,
    log,
    accessLog: () => {},
    ...(clock ? { clock } : {}),
  });
  return (path = '/aggregates/dashboard', init?: RequestInit) =>
    app.fetch(new Request(`http://aggregates.test${path}`, init));
}
