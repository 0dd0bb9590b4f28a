/** Spin's key-value host API (`fermyon:spin/key-value@2.0.0`) as the small store interface the app uses. */
import { Store } from 'fermyon:spin/key-value@2.0.0';
import type { KeyValueStore } from '../key-value';
import { describeHostError } from './host-error';

const encoder = new TextEncoder();

/** Opens the store with the given label (default: `default`); throws when the component may not use it. */
export function openSpinStore(label = 'default'): KeyValueStore {
  let store: Store;
  try {
    store = Store.open(label);
  } catch (error) {
    throw describeHostError(`opening key-value store '${label}'`, error);
  }
  return {
    get(key) {
      try {
        return store.get(key) ?? null;
      } catch (error) {
        throw describeHostError('key-value get', error);
      }
    },
    set(key, value) {
      try {
        store.set(key, typeof value === 'string' ? encoder.encode(value) : value);
      } catch (error) {
        throw describeHostError('key-value set', error);
      }
    },
  };
}
