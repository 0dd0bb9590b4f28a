/**
 * The aggregates component as a plain `(Request) => Promise<Response>` app. It owns no data: the dashboard
 * is composed from concurrent calls to the customers and incidents components (Spin local service chaining),
 * each within its own time limit and the dashboard's deadline, with answers cached in key-value storage.
 * Everything that crosses a boundary (fetch, variables, the store, the clock) is injected, so tests run it
 * against in-process apps or the real Wasm alike.
 */
import { createApp, queryParam, type App, type AppOptions, type RouteContext } from '../../common/src/http';
import { HttpError } from '../../common/src/problem';
import { traceHeaders } from '../../common/src/trace';
import { assemble } from './assemble';
import { ResponseCache, type KeyValueStore } from './cache';
import { FAILURE_POLICIES, isOneOf, readConfig, STRATEGIES, type GetVariable } from './config';
import { systemClock, type Clock, type Fetch } from './downstream';
import { fetchParts } from './fetch-parts';
import { planParts } from './parts';

export interface AggregatesAppOptions extends AppOptions {
  /** Outbound HTTP: Spin's `fetch` in the component. */
  fetch: Fetch;
  /** Spin variables: `getSpinVariable` in the component. */
  getVariable: GetVariable;
  /** The key-value store for the response cache: `openSpinStore()` in the component. Opened on first use. */
  openStore: () => KeyValueStore;
  clock?: Clock;
}

/** A query parameter that overrides a setting for one request; unknown values are a 400. */
function override<T extends string>(url: URL, name: string, allowed: readonly T[], fallback: T): T {
  const raw = queryParam(url, name);
  if (raw === null) return fallback;
  if (!isOneOf(allowed, raw)) {
    throw new HttpError(400, 'invalid-query', `${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(raw.slice(0, 40))}.`);
  }
  return raw;
}

export function createAggregatesApp({ fetch, getVariable, openStore, clock = systemClock, ...options }: AggregatesAppOptions): App {
  const log = options.log ?? ((line: string) => console.error(line));

  async function dashboard({ url, trace, budgetMs }: RouteContext): Promise<Response> {
    const config = readConfig(getVariable);
    const strategy = override(url, 'strategy', STRATEGIES, config.strategy);
    const policy = override(url, 'policy', FAILURE_POLICIES, config.failurePolicy);
    // A caller's own budget (x-budget-ms) can only shorten the deadline.
    const deadline = clock.now() + Math.min(config.deadlineMs, budgetMs ?? Infinity);
    const outcomes = await fetchParts(planParts(strategy, config.topN), {
      fetch,
      clock,
      config,
      deadline,
      log,
      cache: new ResponseCache(openStore, log),
      headers: traceHeaders(trace),
    });
    return assemble(outcomes, policy);
  }

  return createApp([{ path: '/aggregates/dashboard', get: dashboard }], { component: 'aggregates-service', ...options });
}
