/**
 * The host APIs' worker side outside a worker thread, for tests that build instances themselves: SQLite through
 * a gate of its own, output dropped, and nothing that needs the main thread (waiting, outbound or host calls),
 * which throws.
 */
import { allocateGate, GuestHost, SqliteGate } from '../../src/host/index';

export function standaloneGuestHost(): GuestHost {
  return new GuestHost({
    wait: () => {
      throw new Error('no waiting here');
    },
    send: () => {
      throw new Error('no outbound calls here');
    },
    output: () => ({ write() {}, closed: () => false }),
    sqlite: new SqliteGate(allocateGate(5000), undefined),
    callMain: () => {
      throw new Error('no main-thread calls here');
    },
  });
}
