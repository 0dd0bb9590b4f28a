/**
 * The aggregates component as a plain `(Request) => Promise<Response>` app. It owns no data: the dashboard
 * is composed from concurrent calls to the customers and incidents components (Spin local service chaining).
 * `fetch` and the variable reader are injected, so tests can run it against in-process apps or fakes.
 */
import { createApp, json, type App, type AppOptions } from '../../common/src/http';
import { HttpError } from '../../common/src/problem';
import { isStrategy, readConfig, STRATEGIES, type DashboardConfig, type GetVariable, type Strategy } from './config';
import { checkRankings, composeDashboard, rankIncidents, type IncidentRankings } from './dashboard';
import { DownstreamError, getJson, type Fetch, type Source, type Validator } from './downstream';
import * as shapes from './shapes';

export interface AggregatesAppOptions extends AppOptions {
  /** Outbound HTTP: Spin's `fetch` in the component. */
  fetch: Fetch;
  /** Spin variables: `Variables.get` in the component. */
  getVariable: GetVariable;
}

/** The `?strategy=` query parameter, or the configured default. */
function requestedStrategy(url: URL, config: DashboardConfig): Strategy {
  const raw = url.searchParams.get('strategy');
  if (raw === null) return config.strategy;
  if (!isStrategy(raw)) {
    throw new HttpError(400, 'invalid-query', `strategy must be one of ${STRATEGIES.join(', ')}; got ${JSON.stringify(raw.slice(0, 40))}.`);
  }
  return raw;
}

export function createAggregatesApp({ fetch, getVariable, ...options }: AggregatesAppOptions): App {
  const log = options.log ?? ((line: string) => console.error(line));

  async function dashboard(url: URL): Promise<Response> {
    const config = readConfig(getVariable);
    const strategy = requestedStrategy(url, config);
    const { topN } = config;
    const call = <T>(source: Source, path: string, validate: Validator<T>) =>
      getJson({
        fetch,
        source,
        path,
        validate,
        baseUrl: source === 'customers-service' ? config.customersUrl : config.incidentsUrl,
        timeoutMs: config.downstreamTimeoutMs,
      });

    // Every call starts now, so they run concurrently; failures are collected, not raced.
    const calls: Array<Promise<unknown>> = [];
    const start = <T>(promise: Promise<T>) => (calls.push(promise), promise);
    const count = start(call('customers-service', '/customers/count', shapes.customerCount));
    const top = start(call('customers-service', `/customers/top/${topN}`, shapes.topCustomers));
    let rankings: Promise<IncidentRankings>;
    if (strategy === 'naive') {
      const incidents = start(call('incidents-service', '/incidents/grouped-by-customer', shapes.groupedIncidents));
      rankings = incidents.then((list) => rankIncidents(list, topN));
    } else {
      const byCount = start(call('incidents-service', `/incidents/top/by-count/${topN}`, shapes.incidentCounts));
      const byVolume = start(call('incidents-service', `/incidents/top/by-volume/${topN}`, shapes.incidentVolumes));
      rankings = Promise.all([byCount, byVolume]).then(([mostIncidents, highestVolume]) => checkRankings({ mostIncidents, highestVolume }, topN));
    }

    const failures = (await Promise.allSettled(calls)).flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) throw badGateway(failures, log);
    return json(composeDashboard({ customerCount: (await count).count, topCustomers: await top, rankings: await rankings, topN }));
  }

  return createApp([{ path: '/aggregates/dashboard', get: ({ url }) => dashboard(url) }], options);
}

/** One 502 naming every part that failed; the causes go to the log. Anything unexpected is rethrown (500). */
function badGateway(reasons: unknown[], log: (line: string) => void): HttpError {
  const failures: DownstreamError[] = [];
  for (const reason of reasons) {
    if (!(reason instanceof DownstreamError)) throw reason;
    failures.push(reason);
    log(`dashboard: ${reason.message}${reason.cause === undefined ? '' : ` (cause: ${describe(reason.cause)})`}`);
  }
  const detail = failures.map((f) => `${f.source} GET ${f.path} ${f.publicDetail}`).join('; ');
  return new HttpError(502, 'bad-gateway', `The dashboard could not be composed: ${detail}.`, {}, {
    failures: failures.map((f) => ({ source: f.source, path: f.path, kind: f.kind })),
  });
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}
