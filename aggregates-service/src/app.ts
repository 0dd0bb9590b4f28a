/**
 * The aggregates component as a plain `(Request) => Promise<Response>` app. It owns no data: every operation
 * is composed from concurrent calls to the other components (Spin local service chaining), each within its
 * own time limit and the request's deadline, with answers cached in key-value storage:
 *
 * - `/aggregates/dashboard`: the dashboard;
 * - `/aggregates/customers/{id}/overview`: one customer with its incidents and its places in the dashboard;
 * - `/aggregates/incidents/by-country`: incidents per customer country, a join neither data component can make;
 * - `/aggregates/openapi.json`: the catalog of every operation of the app.
 *
 * Everything that crosses a boundary (fetch, variables, the store, the clock) is injected, so tests run it
 * against in-process apps or the real Wasm alike.
 */
import { createApp, type App, type AppOptions } from '@aggregates/common/http';
import { queryParam } from '@aggregates/common/query';
import { CATALOG_PATH, type RouteContext, type RouteDefinition } from '@aggregates/common/routes';
import { componentInfo, openApiDocument, type ParameterDoc } from '@aggregates/common/openapi';
import { ID_PARAMETER, parseId } from '@aggregates/common/params';
import { HttpError, type ProblemCode } from '@aggregates/common/problem';
import { traceHeaders } from '@aggregates/common/trace';
import { answerKey, keepAnswer, keptAnswer } from './answer-cache';
import { assemble, DASHBOARD } from './assemble';
import { BY_COUNTRY, incidentsByCountry } from './by-country';
import { ResponseCache, type KeyValueStore } from './cache';
import { CATALOG, catalog } from './catalog';
import { FAILURE_POLICIES, isOneOf, readConfig, STRATEGIES, type FailurePolicy, type GetVariable } from './config';
import { systemClock, type Clock, type Fetch } from './downstream';
import { fetchParts, type FetchContext } from './fetch-parts';
import { overview, OVERVIEW } from './overview';
import { planParts } from './parts';
import * as schemas from './schemas';

export interface AggregatesAppOptions extends AppOptions {
  /** Outbound HTTP: Spin's `fetch` in the component. */
  fetch: Fetch;
  /** Spin variables: `getSpinVariable` in the component. */
  getVariable: GetVariable;
  /** The key-value store for the response cache: `openSpinStore()` in the component. Opened on first use. */
  openStore: () => KeyValueStore;
  clock?: Clock;
}

const COMPONENT = 'aggregates-service';

/** A query parameter that overrides a setting for one request; unknown values are a 400. */
function override<T extends string>(url: URL, name: string, allowed: readonly T[], fallback: T): T {
  const raw = queryParam(url, name);
  if (raw === null) return fallback;
  if (!isOneOf(allowed, raw)) {
    throw new HttpError(
      400,
      'invalid-query',
      `${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(raw.slice(0, 40))}.`,
    );
  }
  return raw;
}

const POLICY_QUERY: ParameterDoc = {
  description: 'The failure policy for this request (default: the failure_policy variable)',
  schema: { enum: [...FAILURE_POLICIES] },
};

/** What a composed operation may answer when its parts fail, or a setting is unusable (a 500). */
const COMPOSED_PROBLEMS: readonly ProblemCode[] = ['invalid-query', 'bad-gateway', 'gateway-timeout'];

export function createAggregatesApp({
  fetch,
  getVariable,
  openStore,
  clock = systemClock,
  ...options
}: AggregatesAppOptions): App {
  const log = options.log ?? ((line: string) => console.error(line));

  /** The settings, the failure policy and the call context of one request. */
  function composing({ url, trace, budgetMs }: RouteContext): { context: FetchContext; policy: FailurePolicy } {
    const config = readConfig(getVariable);
    const policy = override(url, 'policy', FAILURE_POLICIES, config.failurePolicy);
    // A caller's own budget (x-budget-ms) can only shorten the deadline.
    const deadline = clock.now() + Math.min(config.deadlineMs, budgetMs ?? Infinity);
    return {
      policy,
      context: {
        fetch,
        clock,
        config,
        deadline,
        log,
        cache: new ResponseCache(openStore, log),
        headers: traceHeaders(trace),
        dataVersions: new Map(),
      },
    };
  }

  const routes: RouteDefinition[] = [
    {
      path: '/aggregates/dashboard',
      get: {
        operationId: 'aggregates.dashboard',
        summary: 'The dashboard: customer count and the three top-N lists, composed from both data components',
        description:
          "Complete: exactly the four members. When a part fails: the sections that could be computed (others null), errors and sources, with Dashboard-Incomplete / Dashboard-Stale headers. Each part is cached: within cache_ttl_ms it is served while its component's data version is unchanged (one small call per component), so a write shows at once. With cache_max_age_ms set, a part younger than it is served without asking anything, so a write (API or plain SQL) may be invisible on the dashboard for up to cache_max_age_ms. Cache-Status says how each answer was made, Age how old its oldest unasked part is.",
        query: {
          strategy: {
            description: 'How the incident rankings are computed (default: the dashboard_strategy variable)',
            schema: { enum: [...STRATEGIES] },
          },
          policy: POLICY_QUERY,
        },
        responses: { 200: schemas.composedResponse(schemas.DashboardSchema, DASHBOARD, schemas.CACHE_HEADERS) },
        problems: COMPOSED_PROBLEMS,
        handle: async (request) => {
          const { context, policy } = composing(request);
          const { config, cache } = context;
          const strategy = override(request.url, 'strategy', STRATEGIES, config.strategy);
          const key = answerKey([strategy, config.topN, policy, config.customersUrl, config.incidentsUrl]);
          const kept = keptAnswer(cache, key, clock.now(), config.cacheMaxAgeMs);
          if (kept) return kept;
          const outcomes = await fetchParts(planParts(strategy, config.topN), context);
          const answer = assemble(outcomes, policy, config);
          return keepAnswer(cache, key, outcomes, answer, clock.now(), config.cacheMaxAgeMs);
        },
      },
    },
    {
      path: '/aggregates/customers/:id/overview',
      get: {
        operationId: 'aggregates.customerOverview',
        summary: 'One customer: its incidents (count, exact volume, newest) and where it stands in each dashboard list',
        description:
          'Composed from concurrent calls: the customer, its rank by scoring and its newest incidents at once, then its incident standing by name. Without the customer nothing is answered (404 when it does not exist, 502/504 when it cannot be read); other sections may be null, with errors and sources.',
        path: { id: ID_PARAMETER },
        query: { policy: POLICY_QUERY },
        responses: { 200: schemas.composedResponse(schemas.OverviewSchema, OVERVIEW) },
        problems: [...COMPOSED_PROBLEMS, 'invalid-id', 'not-found'],
        handle: async (request) => {
          const id = parseId(request.params.id ?? '');
          const { context, policy } = composing(request);
          return overview(id, context, policy);
        },
      },
    },
    {
      path: '/aggregates/incidents/by-country',
      get: {
        operationId: 'aggregates.incidentsByCountry',
        summary: 'Incident counts and exact volumes per customer country',
        description:
          'A join of both aggregates: the incidents component sums per customer name (from its trigger-kept totals), the customers component gives each name its country. The cost grows with the numbers of customers and customer names, not of incidents.',
        query: { policy: POLICY_QUERY },
        responses: { 200: schemas.composedResponse(schemas.ByCountrySchema, BY_COUNTRY) },
        problems: COMPOSED_PROBLEMS,
        handle: async (request) => {
          const { context, policy } = composing(request);
          return incidentsByCountry(context, policy);
        },
      },
    },
    {
      path: CATALOG_PATH,
      get: {
        operationId: 'aggregates.catalog',
        summary: 'The catalog: every operation of the app in one OpenAPI 3.1 document',
        description:
          "The aggregates component's own operations merged with the documents of the others, fetched by chaining. A component that does not answer is listed in x-errors and x-sources (and the Catalog-Incomplete header).",
        query: { policy: POLICY_QUERY },
        responses: { 200: schemas.composedResponse(schemas.CatalogSchema, CATALOG) },
        problems: COMPOSED_PROBLEMS,
        handle: async (request) => {
          const { context, policy } = composing(request);
          return catalog(own, context, policy);
        },
      },
    },
  ];

  // Written when the app is made (at build time, in the component), not per request.
  const own = openApiDocument(
    routes,
    componentInfo(
      COMPONENT,
      'Operations composed from the customers and incidents components by local service chaining; it owns no data.',
    ),
  );

  return createApp(routes, { component: COMPONENT, ...options });
}
