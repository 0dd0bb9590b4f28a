/**
 * Gets every part of the dashboard concurrently: from the cache when fresh, otherwise from its data
 * component (with time limits and retries), falling back to a stale cached copy when the call fails.
 *
 * A cached part's age puts it in one of three bands:
 *
 * - younger than `cache_max_age_ms` (0, the default, makes this band empty): served as it is, without asking
 *   anything, so a write may stay invisible for up to that age;
 * - younger than `cache_ttl_ms`: served while its source's data version is still the one it was read at (the
 *   `Data-Version` header of the answer it came from). The current version is asked for (`GET
 *   <source>/events/last`, once per source and request) only when some entry is in this band: so the dashboard
 *   after an acknowledged write reflects it, an unchanged source costs one small call, and a cold or expired
 *   cache costs nothing extra;
 * - older: called again; the entry only stands in for a failed call (`cache_stale_if_error_ms`).
 *
 * Each source goes at its own pace (a slow one does not hold the other back), and a source whose version cannot
 * be read is failing: its cached parts stand in as stale copies at once, instead of the calls being tried too.
 */
import { describeError } from '@aggregates/common/problem';
import type { CacheEntry, ResponseCache } from './cache';
import type { DashboardConfig } from './config';
import { DownstreamError, getJson, type CallResult, type Clock, type Fetch, type Source } from './downstream';
import type { Dashboard } from './dashboard';
import type { Part } from './parts';
import { lastSeq } from './shapes';

/**
 * How a part was obtained. `cached`: a fresh cache entry, no call made. `fresh`: called now.
 * `stale`: the call failed and an older cache entry stood in. `failed`: no value.
 */
export type PartState = 'cached' | 'fresh' | 'stale' | 'failed';

/**
 * What the cache did for a part. `unchecked`: served younger than `cache_max_age_ms`, nothing asked (or an
 * unversioned part within `cache_ttl_ms`). `revalidated`: served after its source's data version was read and
 * found unchanged. `stale`: it held a copy, too old or of an older data version, that was not served as fresh
 * (it may have stood in for a failed call). `miss`: it held no usable copy.
 */
export type CacheLookup = 'unchecked' | 'revalidated' | 'stale' | 'miss';

export interface PartOutcome<D = Dashboard> {
  part: Part<D>;
  state: PartState;
  cache: CacheLookup;
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
  /** The data versions read in this request, so a second round of calls does not ask again. */
  dataVersions?: Map<Source, Promise<DataVersion>>;
}

/** A source's data version for this request, or why it could not be read; `null`: not asked (nothing young to serve). */
type DataVersion = { version: number; latencyMs: number } | { error: DownstreamError; latencyMs: number } | null;

/** Whether answers are cached at all: to be served fresh, or to stand in for a failed call. */
const cacheOn = (config: DashboardConfig): boolean => config.cacheTtlMs > 0 || config.staleIfErrorMs > 0;

/** Where a source answers: the data components where the settings say, the others by their chaining name. */
export function baseUrlOf(source: Source, config: DashboardConfig): string {
  if (source === 'customers-service') return config.customersUrl;
  if (source === 'incidents-service') return config.incidentsUrl;
  return `http://${source}.spin.internal`;
}

/** The path of a source's data version, beside its paths (`/customers/count` -> `/customers/events/last`). */
const DATA_VERSION_PATHS: Partial<Record<Source, string>> = {
  'customers-service': '/customers/events/last',
  'incidents-service': '/incidents/events/last',
};

async function readDataVersion(source: Source, context: FetchContext): Promise<DataVersion> {
  const { config, clock } = context;
  const started = clock.now();
  try {
    const { value } = await getJson({
      fetch: context.fetch,
      clock,
      source,
      baseUrl: baseUrlOf(source, config),
      path: DATA_VERSION_PATHS[source] ?? '',
      validate: lastSeq,
      attemptTimeoutMs: config.downstreamTimeoutMs,
      deadline: context.deadline,
      retries: 0,
      headers: context.headers,
    });
    return { version: value, latencyMs: clock.now() - started };
  } catch (error) {
    if (!(error instanceof DownstreamError)) throw error;
    context.log(
      `dashboard: data version of ${source} unknown, its cached parts are served as stale copies: ${error.message}`,
    );
    return { error, latencyMs: clock.now() - started };
  }
}

/** A cached value that still has the right shape, or `undefined`. */
function checked<D>(part: Part<D>, value: unknown): unknown {
  try {
    return part.check(value);
  } catch {
    return undefined;
  }
}

interface Planned<D> {
  part: Part<D>;
  key: string;
  entry: CacheEntry | null;
  /** The entry's value, if it still has the part's shape. */
  cachedValue: unknown;
  ageMs: number;
}

/** Whether a cached value is young enough (`cache_max_age_ms`) to be served without asking anything. */
const unasked = (config: DashboardConfig, cachedValue: unknown, ageMs: number): boolean =>
  cachedValue !== undefined && ageMs < config.cacheMaxAgeMs;

/** Whether a part's cache entries are checked against its source's data version. */
const versioned = <D>(part: Part<D>): boolean =>
  part.versioned !== false && DATA_VERSION_PATHS[part.source] !== undefined;

async function fetchPart<D>(
  { part, key, cachedValue, ageMs, entry }: Planned<D>,
  context: FetchContext,
  current: DataVersion,
): Promise<PartOutcome<D>> {
  const { config, cache, clock } = context;
  const caching = cacheOn(config);
  if (unasked(config, cachedValue, ageMs)) {
    return { part, state: 'cached', cache: 'unchecked', value: cachedValue, latencyMs: 0, ageMs };
  }
  const young = cachedValue !== undefined && ageMs < config.cacheTtlMs;
  if (young && !versioned(part)) {
    return { part, state: 'cached', cache: 'unchecked', value: cachedValue, latencyMs: 0, ageMs };
  }
  if (young && current !== null && 'version' in current && entry?.dataVersion === current.version) {
    return { part, state: 'cached', cache: 'revalidated', value: cachedValue, latencyMs: 0, ageMs };
  }
  // From here on the part is not served fresh from the cache: what the cache held was stale, or nothing usable.
  const lookup: CacheLookup = cachedValue === undefined ? 'miss' : 'stale';
  if (current && 'error' in current && cachedValue !== undefined && ageMs < config.staleIfErrorMs) {
    return {
      part,
      state: 'stale',
      cache: lookup,
      value: cachedValue,
      error: current.error,
      latencyMs: current.latencyMs,
      ageMs,
    };
  }
  const started = clock.now();
  try {
    // Page after page (most parts have one), each within the deadline; the fold checks and takes each body.
    // The value is as new as its first page's data version (read before its data), at least.
    const fold = part.fold();
    let dataVersion: number | null | undefined;
    for (let path: string | null = part.path; path !== null;) {
      const page: CallResult<void> = await getJson({
        fetch: context.fetch,
        clock,
        source: part.source,
        baseUrl: baseUrlOf(part.source, config),
        path,
        validate: (body) => fold.add(body),
        attemptTimeoutMs: config.downstreamTimeoutMs,
        deadline: context.deadline,
        retries: config.retries,
        headers: context.headers,
      });
      dataVersion ??= page.dataVersion;
      path = page.next;
    }
    const value = fold.value();
    if (caching) cache.write(key, { storedAt: clock.now(), dataVersion: dataVersion ?? null, value });
    return { part, state: 'fresh', cache: lookup, value, latencyMs: clock.now() - started };
  } catch (error) {
    if (!(error instanceof DownstreamError)) throw error;
    const cause = error.cause === undefined ? '' : ` (cause: ${describeError(error.cause)})`;
    context.log(`dashboard: ${error.message}${cause}`);
    const latencyMs = clock.now() - started;
    // A 404 is the component's answer, not its failure: what it says is gone must not come back from the cache.
    if (cachedValue !== undefined && ageMs < config.staleIfErrorMs && error.status !== 404) {
      return { part, state: 'stale', cache: lookup, value: cachedValue, error, latencyMs, ageMs };
    }
    return { part, state: 'failed', cache: lookup, error, latencyMs };
  }
}

export async function fetchParts<D = Dashboard>(parts: Part<D>[], context: FetchContext): Promise<PartOutcome<D>[]> {
  const { config, cache, clock } = context;
  const caching = cacheOn(config);
  const planned = parts.map((part): Planned<D> => {
    const key = `${baseUrlOf(part.source, config)}${part.cacheKey}`;
    const entry = caching ? cache.read(key) : null;
    const age = entry ? clock.now() - entry.storedAt : NaN;
    // An entry from the future (a clock that jumped back) is too doubtful to serve.
    return {
      part,
      key,
      entry,
      cachedValue: entry ? checked(part, entry.value) : undefined,
      ageMs: age >= 0 ? age : Infinity,
    };
  });
  const outcomes: PartOutcome<D>[] = new Array<PartOutcome<D>>(planned.length);
  const sources = [...new Set(parts.map((part) => part.source))];
  await Promise.all(
    sources.map(async (source) => {
      const own = planned.map((p, index) => ({ p, index })).filter(({ p }) => p.part.source === source);
      // Ask whether the source's data changed only if some entry is young enough to be served that way: not
      // so young it is served unasked, not so old it is called again.
      const young = own.some(
        ({ p }) =>
          versioned(p.part) &&
          p.cachedValue !== undefined &&
          !unasked(config, p.cachedValue, p.ageMs) &&
          p.ageMs < config.cacheTtlMs &&
          p.entry?.dataVersion != null,
      );
      let current: DataVersion = null;
      if (young) {
        const known = context.dataVersions?.get(source);
        const reading = known ?? readDataVersion(source, context);
        if (!known) context.dataVersions?.set(source, reading);
        current = await reading;
      }
      await Promise.all(own.map(async ({ p, index }) => (outcomes[index] = await fetchPart(p, context, current))));
    }),
  );
  return outcomes;
}
