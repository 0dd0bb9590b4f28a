/**
 * The aggregates component's settings, read from Spin variables on each request and validated once there.
 * See the `[variables]` table of spin.toml for names and defaults.
 */

/** Reads a Spin variable; `null` when it is not set. */
export type GetVariable = (name: string) => string | null;

export interface DashboardConfig {
  /** Entries per dashboard list (variable `top_n`, 1-100). */
  topN: number;
  /** Where the customers component answers (variable `customers_service_url`). */
  customersUrl: string;
  /** Where the incidents component answers (variable `incidents_service_url`). */
  incidentsUrl: string;
  /** Time limit of each call to a data component, in ms (variable `downstream_timeout_ms`, 1-60000). */
  downstreamTimeoutMs: number;
}

export const DEFAULTS: DashboardConfig = {
  topN: 5,
  customersUrl: 'http://customers-service.spin.internal',
  incidentsUrl: 'http://incidents-service.spin.internal',
  downstreamTimeoutMs: 5000,
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

export function readConfig(get: GetVariable): DashboardConfig {
  return {
    topN: integer(get, 'top_n', DEFAULTS.topN, 1, 100),
    customersUrl: baseUrl(get, 'customers_service_url', DEFAULTS.customersUrl),
    incidentsUrl: baseUrl(get, 'incidents_service_url', DEFAULTS.incidentsUrl),
    downstreamTimeoutMs: integer(get, 'downstream_timeout_ms', DEFAULTS.downstreamTimeoutMs, 1, 60_000),
  };
}
