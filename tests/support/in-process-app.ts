/**
 * The three components wired together in one process: the aggregates app's `fetch` is routed to the
 * in-process customers and incidents apps by host name, the way Spin routes `*.spin.internal`.
 */
import { createAggregatesApp } from '../../aggregates-service/src/app';
import type { Fetch } from '../../aggregates-service/src/downstream';
import type { App } from '../../common/src/http';
import { createCustomersApp } from '../../customers-service/src/app';
import { createIncidentsApp } from '../../incidents-service/src/app';
import type { TestDatabase } from './sqlite';

export interface InProcessOptions {
  variables?: Record<string, string>;
  /** Wraps the chained fetch, to inject faults or record calls. */
  wrapFetch?: (fetch: Fetch) => Fetch;
  log?: (line: string) => void;
}

export function chainedFetch(db: TestDatabase): Fetch {
  const apps: Record<string, App> = {
    'customers-service.spin.internal': createCustomersApp({ openDatabase: () => db.database }),
    'incidents-service.spin.internal': createIncidentsApp({ openDatabase: () => db.database }),
  };
  return async (url, init) => {
    const app = apps[new URL(url).host];
    if (!app) throw new TypeError(`no route to ${url}`);
    return app.fetch(new Request(url, init));
  };
}

export function inProcessAggregates(db: TestDatabase, { variables = {}, wrapFetch = (f) => f, log = () => {} }: InProcessOptions = {}) {
  const app = createAggregatesApp({
    fetch: wrapFetch(chainedFetch(db)),
    getVariable: (name) => variables[name] ?? null,
    log,
  });
  return (path = '/aggregates/dashboard', init?: RequestInit) => app.fetch(new Request(`http://aggregates.test${path}`, init));
}
