/**
 * A cache of the data components' answers in Spin key-value storage, one entry per call (source, base URL,
 * path with its query and top-N). Each entry records the source's data version when it was read (the
 * sequence number of its newest event, which every change advances, API write or plain SQL): an entry is
 * served without asking anything while it is younger than `cache_max_age_ms` (0 by default), without calling
 * while it is younger than `cache_ttl_ms` AND the source's data version is unchanged, and older ones stand in
 * for a call that failed (`cache_stale_if_error_ms`, like HTTP's stale-if-error). fetch-parts.ts decides.
 *
 * Spin key-value has no expiry, so each entry stores when it was written. The cache is an optimisation:
 * when the store fails, the dashboard goes on without it and the failure is logged.
 */

import type { KeyValueStore } from '@aggregates/common/key-value';

// The store seam is common's; re-exported for the app and the tests that build a cache.
export type { KeyValueStore };

export interface CacheEntry {
  storedAt: number;
  /** The source's data version read before the value was, or `null` when it could not be read. */
  dataVersion: number | null;
  value: unknown;
}

/** Changing the layout of entries changes this, so old entries are simply not found. */
const KEY_PREFIX = 'dashboard-cache:v2:';

export const cacheKey = (url: string): string => `${KEY_PREFIX}${url}`;

export class ResponseCache {
  constructor(
    private readonly open: () => KeyValueStore,
    private readonly log: (line: string) => void,
  ) {}

  private store: KeyValueStore | null | undefined;

  /** Opens the store on first use; a store that cannot be opened disables the cache for this request. */
  private get kv(): KeyValueStore | null {
    if (this.store === undefined) {
      try {
        this.store = this.open();
      } catch (error) {
        this.log(`cache: key-value store unavailable, going on without it: ${String(error)}`);
        this.store = null;
      }
    }
    return this.store;
  }

  read(url: string): CacheEntry | null {
    try {
      const raw = this.kv?.get(cacheKey(url));
      if (!raw) return null;
      const entry = JSON.parse(new TextDecoder().decode(raw)) as Partial<CacheEntry>;
      if (typeof entry.storedAt !== 'number' || !('value' in entry)) return null;
      return {
        storedAt: entry.storedAt,
        dataVersion: typeof entry.dataVersion === 'number' ? entry.dataVersion : null,
        value: entry.value,
      };
    } catch (error) {
      this.log(`cache: could not read ${url}: ${String(error)}`);
      return null;
    }
  }

  write(url: string, entry: CacheEntry): void {
    try {
      this.kv?.set(cacheKey(url), JSON.stringify(entry));
    } catch (error) {
      this.log(`cache: could not write ${url}: ${String(error)}`);
    }
  }
}
