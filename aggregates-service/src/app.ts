/**
 * The aggregates component as a plain `(Request) => Promise<Response>` app. It owns no data: the dashboard
 * is composed from concurrent calls to the customers and incidents components (Spin local service chaining).
 * `fetch` and the variable reader are injected, so tests can run it against in-process apps or fakes.
 */
import { createApp, json, type App, type AppOptions } from '../../common/src/http';
import { HttpError } from '../../common/src/problem';
import { readConfig, type GetVariable } from './config';
import { composeDashboard } from './dashboard';
import { DownstreamError, getJson, type Fetch, type Source, type Validator } from './downstream';
import * as shapes from './shapes';

export interface AggregatesAppOptions extends AppOptions {
  /** Outbound HTTP: Spin's `fetch` in the component. */
  fetch: Fetch;
  /** Spin variables: `Variables.get` in the component. */
  getVariable: GetVariable;
}

export function createAggregatesApp({ fetch, getVariable, ...options }: AggregatesAppOptions): App {
  const log = options.log ?? ((line: string) => console.error(line));

  async function dashboard(): Promise<Response> {
    const config = readConfig(getVariable);
    const call = <T>(source: Source, baseUrl: string, path: string, validate: Validator<T>) =>
      getJson({ fetch, source, baseUrl, path, validate, timeoutMs: config.downstreamTimeoutMs });
    const results = await Promise.allSettled([
      call('customers-service', config.customersUrl, '/customers/count', shapes.customerCount),
      call('customers-service', config.customersUrl, `/customers/top/${config.topN}`, shapes.topCustomers),
      call('incidents-service', config.incidentsUrl, '/incidents/grouped-by-customer', shapes.groupedIncidents),
    ]);
    const [count, top, incidents] = results;
    if (count.status === 'fulfilled' && top.status === 'fulfilled' && incidents.status === 'fulfilled') {
      return json(composeDashboard({ customerCount: count.value, topCustomers: top.value, incidents: incidents.value, topN: config.topN }));
    }
    throw badGateway(results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])), log);
  }

  return createApp([{ path: '/aggregates/dashboard', get: dashboard }], options);
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
