/**
 * Gets every part of the dashboard concurrently: from the cache when fresh, otherwise from its data
 * component (with time limits and retries), falling back to a stale cached copy when the call fails.
 */
import { describeError } from '../../common/src/problem';
import type { ResponseCache } from './cache';
import type { DashboardConfig } from './config';
import { DownstreamError, getJson, type CallResult, type Clock, type Fetch } from './downstream';
import type { Part } from './parts';

/**
 * How a part was obtained. `cached`: a fresh cache entry, no call made. `fresh`: called now.
 * `stale`: the call failed and an older cache entry stood in. `failed`: no value.
 */
export type PartState = 'cached' | 'fresh' | 'stale' | 'failed';

export interface PartOutcome {
  part: Part;
  state: PartState;
  /** Set unless `failed`. */
  value?: unknown;
  /** Set for `stale` and `failed`. */
  error?: DownstreamError;
  latencyMs: number;
  /** Age of the value served from the cache, in ms. */
  ageMs?: number;
}

export interface FetchContext {
  fetch: Fetch;
  clock: Clock;
  cache: ResponseCache;
  config: DashboardConfig;
  /** Clock time by which every call must have ended. */
  deadline: number;
  /** Request id and traceparent, forwarded on every call. */
  headers: Record<string, string>;
  log: (line: string) => void;
}

const baseUrlOf = (part: Part, config: DashboardConfig) => (part.source === 'customers-service' ? config.customersUrl : config.incidentsUrl);

/** A cached value that still has the right shape, or `undefined`. */
function checked(part: Part, value: unknown): unknown {
  try {
    return part.check(value);
  } catch {
    return undefined;
  }
}

async function fetchPart(part: Part, context: FetchContext): Promise<PartOutcome> {
  const { config, cache, clock } = context;
  const key = `${baseUrlOf(part, config)}${part.cacheKey}`;
  const caching = config.cacheTtlMs > 0 || config.staleIfErrorMs > 0;
  const entry = caching ? cache.read(key) : null;
  const ageMs = entry ? clock.now() - entry.storedAt : Infinity;
  const cachedValue = entry ? checked(part, entry.value) : undefined;
  if (cachedValue !== undefined && ageMs >= 0 && ageMs < config.cacheTtlMs) {
    return { part, state: 'cached', value: cachedValue, latencyMs: 0, ageMs };
  }
  const started = clock.now();
  try {
    // Page after page (most parts have one), each within the deadline; the fold checks and takes each body.
    const fold = part.fold();
    for (let path: string | null = part.path; path !== null; ) {
      const page: CallResult<void> = await getJson({
        fetch: context.fetch,
        clock,
        source: part.source,
        baseUrl: baseUrlOf(part, config),
        path,
        validate: (body) => fold.add(body),
        attemptTimeoutMs: config.downstreamTimeoutMs,
        deadline: context.deadline,
        retries: config.retries,
        headers: context.headers,
      });
      path = page.next;
    }
    const value = fold.value();
    if (caching) cache.write(key, value, clock.now());
    return { part, state: 'fresh', value, latencyMs: clock.now() - started };
  } catch (error) {
    if (!(error instanceof DownstreamError)) throw error;
    const cause = error.cause === undefined ? '' : ` (cause: ${describeError(error.cause)})`;
    context.log(`dashboard: ${error.message}${cause}`);
    const latencyMs = clock.now() - started;
    if (cachedValue !== undefined && ageMs >= 0 && ageMs < config.staleIfErrorMs) {
      return { part, state: 'stale', value: cachedValue, error, latencyMs, ageMs };
    }
    return { part, state: 'failed', error, latencyMs };
  }
}

export const fetchParts = (parts: Part[], context: FetchContext): Promise<PartOutcome[]> => Promise.all(parts.map((part) => fetchPart(part, context)));
