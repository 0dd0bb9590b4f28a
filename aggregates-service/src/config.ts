/**
 * The aggregates component's settings, read from Spin variables on each request and validated once there.
 * See the `[variables]` table of spin.toml for names and defaults.
 */

/** Reads a Spin variable; `null` when it is not set. */
export type GetVariable = (name: string) => string | null;

/**
 * How the incident rankings are computed: `pushdown` asks the incidents component for them (cost independent
 * of the number of incidents); `naive` downloads every incident and ranks them here, as the upstream sample does.
 */
export type Strategy = 'pushdown' | 'naive';
export const STRATEGIES: readonly Strategy[] = ['pushdown', 'naive'];

export interface DashboardConfig {
  /** Entries per dashboard list (variable `top_n`, 1-100). */
  topN: number;
  /** Where the customers component answers (variable `customers_service_url`). */
  customersUrl: string;
  /** Where the incidents component answers (variable `incidents_service_url`). */
  incidentsUrl: string;
  /** Time limit of each call to a data component, in ms (variable `downstream_timeout_ms`, 1-60000). */
  downstreamTimeoutMs: number;
  /** Default incident-ranking strategy (variable `dashboard_strategy`); `?strategy=` overrides it per request. */
  strategy: Strategy;
}

export const DEFAULTS: DashboardConfig = {
  topN: 5,
  customersUrl: 'http://customers-service.spin.internal',
  incidentsUrl: 'http://incidents-service.spin.internal',
  downstreamTimeoutMs: 5000,
  strategy: 'pushdown',
};

/** A setting that cannot be used; the request fails with 500 and this message goes to the log. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(get: GetVariable, name: string, fallback: number, min: number, max: number): number {
  const raw = get(name);
  if (raw === null || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`variable ${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

function baseUrl(get: GetVariable, name: string, fallback: string): string {
  const raw = get(name);
  if (raw === null || raw.trim() === '') return fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`variable ${name} must be an absolute http(s) URL; got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`variable ${name} must be an http(s) URL; got ${JSON.stringify(raw)}`);
  }
  // Paths are appended to it, so drop a trailing slash: `http://host/` + `/customers/count`.
  return raw.replace(/\/+$/, '');
}

/** Whether `value` names a strategy. */
export const isStrategy = (value: string): value is Strategy => (STRATEGIES as readonly string[]).includes(value);

function strategy(get: GetVariable): Strategy {
  const raw = get('dashboard_strategy');
  if (raw === null || raw.trim() === '') return DEFAULTS.strategy;
  if (!isStrategy(raw)) throw new ConfigError(`variable dashboard_strategy must be one of ${STRATEGIES.join(', ')}; got ${JSON.stringify(raw)}`);
  return raw;
}

export function readConfig(get: GetVariable): DashboardConfig {
  return {
    topN: integer(get, 'top_n', DEFAULTS.topN, 1, 100),
    customersUrl: baseUrl(get, 'customers_service_url', DEFAULTS.customersUrl),
    incidentsUrl: baseUrl(get, 'incidents_service_url', DEFAULTS.incidentsUrl),
    downstreamTimeoutMs: integer(get, 'downstream_timeout_ms', DEFAULTS.downstreamTimeoutMs, 1, 60_000),
    strategy: strategy(get),
  };
}
