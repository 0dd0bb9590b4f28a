/**
 * The key-value seam: code takes a {@link KeyValueStore} instead of calling Spin's key-value API, so it runs
 * inside Wasm (`spin/key-value.ts`) and in Node tests against an in-memory or failing store alike.
 */
export interface KeyValueStore {
  /** The value, or `null` when the key does not exist. */
  get(key: string): Uint8Array | null;
  /** Stores `value` (text is stored as UTF-8). */
  set(key: string, value: Uint8Array | string): void;
}
