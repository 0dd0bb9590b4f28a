/**
 * How a dashboard answer was made, in the terms of RFC 9211 (`Cache-Status`) and RFC 9111 (`Age`), from what
 * the cache did for each of its parts (fetch-parts.ts). The cache is named `aggregates`; the answer is one
 * list member, so exactly one of `hit` and `fwd`:
 *
 * | parts | Cache-Status |
 * | --- | --- |
 * | `cache_ttl_ms` is 0: the cache serves nothing as fresh | `aggregates; fwd=request` |
 * | every part from the cache, nothing asked | `aggregates; hit; detail=unchecked` |
 * | every part from the cache, some after a data-version check | `aggregates; hit; detail=revalidated` |
 * | some parts from the cache, the others called | `aggregates; fwd=partial` |
 * | every part called; the cache held a copy of each, too old or outdated by a write | `aggregates; fwd=stale` |
 * | every part called; the cache held no copy of some part | `aggregates; fwd=miss` |
 *
 * `fwd=request` rather than `uri-miss` when the cache is off: copies may still be stored (to stand in for failed
 * calls, `cache_stale_if_error_ms`), so "nothing stored" would be false; what forbids serving them is the
 * configuration, as a request's `Cache-Control: no-cache` would. A copy that stood in for a failed call is not
 * a hit: the part was asked for (its call, or its source's data version, failed), so it counts as stale.
 *
 * `Age` (whole seconds, rounded down) is the age of the oldest part served without asking anything: present
 * only when some part was (`detail=unchecked`, or `fwd=partial`), since only those may miss a write.
 */
import type { DashboardConfig } from './config';
import type { PartOutcome } from './fetch-parts';

/** The cache's name in `Cache-Status`. */
export const CACHE_NAME = 'aggregates';

/** The values `cacheStatus` gives, for the OpenAPI document and the tests. */
export const CACHE_STATUS_VALUES = [
  `${CACHE_NAME}; fwd=request`,
  `${CACHE_NAME}; hit; detail=unchecked`,
  `${CACHE_NAME}; hit; detail=revalidated`,
  `${CACHE_NAME}; fwd=partial`,
  `${CACHE_NAME}; fwd=stale`,
  `${CACHE_NAME}; fwd=miss`,
] as const;

export type CacheStatusValue = (typeof CACHE_STATUS_VALUES)[number];

/** `Cache-Status` of an answer made of these parts. */
export function cacheStatus<D>(
  outcomes: readonly PartOutcome<D>[],
  config: Pick<DashboardConfig, 'cacheTtlMs'>,
): CacheStatusValue {
  if (config.cacheTtlMs === 0) return `${CACHE_NAME}; fwd=request`;
  const hit = (o: PartOutcome<D>) => o.cache === 'unchecked' || o.cache === 'revalidated';
  const hits = outcomes.filter(hit).length;
  if (hits === outcomes.length && hits > 0) {
    return outcomes.every((o) => o.cache === 'unchecked')
      ? `${CACHE_NAME}; hit; detail=unchecked`
      : `${CACHE_NAME}; hit; detail=revalidated`;
  }
  if (hits > 0) return `${CACHE_NAME}; fwd=partial`;
  return outcomes.some((o) => o.cache === 'miss') ? `${CACHE_NAME}; fwd=miss` : `${CACHE_NAME}; fwd=stale`;
}

/** `Age` in whole seconds of the oldest part served without asking; `null` when none was. */
export function ageOf<D>(outcomes: readonly PartOutcome<D>[]): number | null {
  const ages = outcomes.filter((o) => o.cache === 'unchecked').map((o) => o.ageMs ?? 0);
  return ages.length === 0 ? null : Math.floor(Math.max(...ages) / 1000);
}

/** Both headers, as an answer carries them. */
export function cacheHeaders<D>(
  outcomes: readonly PartOutcome<D>[],
  config: Pick<DashboardConfig, 'cacheTtlMs'>,
): Record<string, string> {
  const age = ageOf(outcomes);
  return { 'cache-status': cacheStatus(outcomes, config), ...(age === null ? {} : { age: String(age) }) };
}
