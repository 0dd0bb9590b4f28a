/** Spin's key-value host API (`fermyon:spin/key-value@2.0.0`) as the small store interface the app uses. */
import { Store } from 'fermyon:spin/key-value@2.0.0';
import type { KeyValueStore } from '../key-value';
import { hostCall } from './host-error';

const encoder = new TextEncoder();

/** Opens the store with the given label (default: `default`); throws when the component may not use it. */
export function openSpinStore(label = 'default'): KeyValueStore {
  const store = hostCall(`opening key-value store '${label}'`, () => Store.open(label));
  return {
    get: (key) => hostCall('key-value get', () => store.get(key) ?? null),
    set: (key, value) =>
      hostCall('key-value set', () => store.set(key, typeof value === 'string' ? encoder.encode(value) : value)),
  };
}
