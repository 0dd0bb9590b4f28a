/**
 * The aggregates component's settings, read from Spin variables on each request and validated there.
 * spin.toml's `[variables]` table declares every one with its default; docs/configuration.md documents them.
 */

/** Reads a Spin variable; `null` when it is not set. */
export type GetVariable = (name: string) => string | null;

/**
 * How the incident rankings are computed: `pushdown` asks the incidents component for them (cost independent
 * of the number of incidents); `naive` downloads every incident and ranks them here, as the upstream sample does.
 */
export type Strategy = 'pushdown' | 'naive';
export const STRATEGIES: readonly Strategy[] = ['pushdown', 'naive'];

/**
 * What to answer when some parts fail: `partial` returns 200 with what could be computed (failed sections
 * `null`, an `errors` list); `strict` answers 502 (or 504) as soon as one section is missing.
 */
export type FailurePolicy = 'partial' | 'strict';
export const FAILURE_POLICIES: readonly FailurePolicy[] = ['partial', 'strict'];

export interface DashboardConfig {
  /** Entries per dashboard list. */
  topN: number;
  /** Where the customers component answers. */
  customersUrl: string;
  /** Where the incidents component answers. */
  incidentsUrl: string;
  /** Time limit of each attempt of each call to a data component, in ms. */
  downstreamTimeoutMs: number;
  /** Time limit of the whole dashboard request, in ms; no call outlives it. */
  deadlineMs: number;
  /** Extra attempts for a call that failed in a way worth retrying. */
  retries: number;
  strategy: Strategy;
  failurePolicy: FailurePolicy;
  /**
   * How long a data component's answer is served from the key-value cache while its data version is unchanged,
   * in ms (the version is asked for: one small call per component).
   */
  cacheTtlMs: number;
  /**
   * How long a cached answer is served without asking anything, not even the data version, in ms: 0 (the
   * default) never; at most `cacheTtlMs`. A write may stay invisible for up to this age.
   */
  cacheMaxAgeMs: number;
  /** How old a cached answer may be and still stand in for a failed call, in ms. */
  staleIfErrorMs: number;
}

/** A setting that cannot be used; the request fails with 500 and this message goes to the log. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Reader<T> = (raw: string, name: string) => T;

const integer =
  (min: number, max: number): Reader<number> =>
  (raw, name) => {
    const value = Number(raw);
    if (!/^[0-9]+$/.test(raw.trim()) || value < min || value > max) {
      throw new ConfigError(
        `variable ${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };

const oneOf =
  <T extends string>(values: readonly T[]): Reader<T> =>
  (raw, name) => {
    if (!(values as readonly string[]).includes(raw)) {
      throw new ConfigError(`variable ${name} must be one of ${values.join(', ')}; got ${JSON.stringify(raw)}`);
    }
    return raw as T;
  };

const baseUrl: Reader<string> = (raw, name) => {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(`variable ${name} must be an absolute http(s) URL; got ${JSON.stringify(raw)}`);
  }
  // Paths are appended to it, so drop a trailing slash: `http://host/` + `/customers/count`.
  return raw.replace(/\/+$/, '');
};

interface Setting<T> {
  variable: string;
  fallback: T;
  read: Reader<T>;
}

/** Every setting: the Spin variable it comes from, its default, and how it is checked. */
export const SETTINGS: { [K in keyof DashboardConfig]: Setting<DashboardConfig[K]> } = {
  topN: { variable: 'top_n', fallback: 5, read: integer(1, 100) },
  customersUrl: {
    variable: 'customers_service_url',
    fallback: 'http://customers-service.spin.internal',
    read: baseUrl,
  },
  incidentsUrl: {
    variable: 'incidents_service_url',
    fallback: 'http://incidents-service.spin.internal',
    read: baseUrl,
  },
  downstreamTimeoutMs: { variable: 'downstream_timeout_ms', fallback: 2000, read: integer(1, 60_000) },
  deadlineMs: { variable: 'dashboard_deadline_ms', fallback: 5000, read: integer(1, 120_000) },
  retries: { variable: 'downstream_retries', fallback: 1, read: integer(0, 3) },
  strategy: { variable: 'dashboard_strategy', fallback: 'pushdown', read: oneOf(STRATEGIES) },
  failurePolicy: { variable: 'failure_policy', fallback: 'partial', read: oneOf(FAILURE_POLICIES) },
  cacheTtlMs: { variable: 'cache_ttl_ms', fallback: 2000, read: integer(0, 86_400_000) },
  cacheMaxAgeMs: { variable: 'cache_max_age_ms', fallback: 0, read: integer(0, 86_400_000) },
  staleIfErrorMs: { variable: 'cache_stale_if_error_ms', fallback: 300_000, read: integer(0, 604_800_000) },
};

function read<T>(get: GetVariable, { variable, fallback, read: parse }: Setting<T>): T {
  const raw = get(variable);
  return raw === null || raw.trim() === '' ? fallback : parse(raw, variable);
}

/** The rules between settings, each checked on its own first: an entry served unasked must also be servable asked. */
function checkTogether(config: DashboardConfig): DashboardConfig {
  if (config.cacheMaxAgeMs > config.cacheTtlMs) {
    throw new ConfigError(
      `variable ${SETTINGS.cacheMaxAgeMs.variable} must not exceed ${SETTINGS.cacheTtlMs.variable} (${config.cacheTtlMs}); got ${config.cacheMaxAgeMs}`,
    );
  }
  return config;
}

export function readConfig(get: GetVariable): DashboardConfig {
  const s = SETTINGS;
  return checkTogether({
    topN: read(get, s.topN),
    customersUrl: read(get, s.customersUrl),
    incidentsUrl: read(get, s.incidentsUrl),
    downstreamTimeoutMs: read(get, s.downstreamTimeoutMs),
    deadlineMs: read(get, s.deadlineMs),
    retries: read(get, s.retries),
    strategy: read(get, s.strategy),
    failurePolicy: read(get, s.failurePolicy),
    cacheTtlMs: read(get, s.cacheTtlMs),
    cacheMaxAgeMs: read(get, s.cacheMaxAgeMs),
    staleIfErrorMs: read(get, s.staleIfErrorMs),
  });
}

/** Whether `value` is one of `values`; for query parameters that override a setting per request. */
export const isOneOf = <T extends string>(values: readonly T[], value: string): value is T =>
  (values as readonly string[]).includes(value);
