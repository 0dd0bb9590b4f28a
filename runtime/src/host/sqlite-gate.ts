/**
 * Stopping a worker's SQLite work from outside, and never tearing a worker down in the middle of it.
 *
 * A guest's statement runs synchronously in better-sqlite3 on its worker thread. When the request's time is
 * up, the main thread must stop that statement (else it keeps a core busy, and a lock, for as long as it runs)
 * and only then terminate the worker: terminating a thread while it is inside better-sqlite3 lets the call
 * return into a dying isolate, and the first JavaScript value it then makes (its error, its rows) aborts the
 * whole process (`v8::ToLocalChecked Empty MaybeLocal`).
 *
 * - **Slots** (runtime/native/spin-host-sqlite.c, compiled into better-sqlite3's SQLite): each worker gets one;
 *   every connection the host opens for it is watched on that slot, so raising the slot's flag ends the
 *   running statement (SQLITE_INTERRUPT) or lock wait (SQLITE_BUSY) within milliseconds.
 * - **Gate**: one shared Int32 per worker, the worker's side of the handshake. The worker enters better-sqlite3
 *   only through {@link SqliteGate.run}, which moves the word from IDLE to NATIVE and back; the main thread
 *   terminates the worker only after moving it from IDLE to STOPPING ({@link stopWorker}), after which no call
 *   enters better-sqlite3 again.
 */
import Database from 'better-sqlite3';
import type { GateSetup } from '../protocol.js';
import type { SqliteAccess } from './api.js';
import { openDatabase } from './labelled-files.js';

const IDLE = 0;
const NATIVE = 1;
const STOPPING = 2;

/** Spin's `MAX_HOST_BUFFERED_BYTES`: the host stops building a query result (or a value) past this. */
export const MAX_HOST_BUFFERED_BYTES = 128 * 1024 * 1024;

/** Thrown by {@link SqliteGate.run} once the worker is being stopped: no new SQLite work starts. */
export class WorkerStopping extends Error {
  constructor() {
    super('the request has ended: no more SQLite work on this worker');
  }
}

/** The worker's side: every better-sqlite3 call of the host APIs goes through {@link run}. */
export class SqliteGate implements SqliteAccess {
  readonly #state: Int32Array;
  readonly #slot: number;
  readonly #busyTimeoutMs: number;
  #depth = 0;
  /** The largest query result a guest may receive, in bytes (as it will lie in the guest's memory). */
  readonly resultLimit: number;

  constructor(setup: GateSetup, maxInstanceMemory: number | undefined) {
    this.#state = new Int32Array(setup.state);
    this.#slot = setup.slot;
    this.#busyTimeoutMs = setup.busyTimeoutMs;
    this.resultLimit = Math.min(MAX_HOST_BUFFERED_BYTES, maxInstanceMemory ?? Infinity);
  }

  run<T>(work: () => T): T {
    // Nested (opening a connection inside a call): the outer call already holds the gate.
    if (this.#depth > 0) return work();
    if (Atomics.compareExchange(this.#state, 0, IDLE, NATIVE) !== IDLE) throw new WorkerStopping();
    this.#depth = 1;
    try {
      return work();
    } finally {
      this.#depth = 0;
      Atomics.store(this.#state, 0, IDLE);
      Atomics.notify(this.#state, 0);
    }
  }

  /** Opens `path` as every guest connection is: WAL, busy timeout, watched on this worker's slot, sealed. */
  open(path: string): Database.Database {
    return this.run(() => {
      const db = openDatabase(path);
      try {
        db.prepare('SELECT spin_host_watch(?, ?, ?)').get(this.#slot, this.#busyTimeoutMs, MAX_HOST_BUFFERED_BYTES);
      } catch (error) {
        db.close();
        throw error;
      }
      return db;
    });
  }

  /** After a statement that may have replaced the busy handler (`PRAGMA busy_timeout`): put the watch back. */
  rewatch(db: Database.Database): void {
    this.run(() => db.prepare('SELECT spin_host_rewatch()').get());
  }
}

/** The main thread's side: slots for workers, and the stop. One table per process, as the native one is. */
class Slots {
  #free: number[] = [];
  #next = 0;
  #db: Database.Database | undefined;
  #raise: Database.Statement | undefined;

  allocate(busyTimeoutMs: number): GateSetup {
    const slot = this.#free.pop() ?? this.#next++;
    if (slot >= 4096) throw new Error('more than 4096 workers at once');
    return { slot, state: new SharedArrayBuffer(4), busyTimeoutMs: Math.min(busyTimeoutMs, 0x7fffffff) };
  }

  /** Raises (true) or lowers a slot's flag. */
  flag(slot: number, on: boolean): void {
    if (!this.#raise) {
      this.#db = new Database(':memory:');
      this.#raise = this.#db.prepare('SELECT spin_host_interrupt(?, ?)');
    }
    this.#raise.get(slot, on ? 1 : 0);
  }

  release(slot: number): void {
    this.flag(slot, false);
    this.#free.push(slot);
  }
}

const slots = new Slots();

/** A gate for a new worker whose requests may wait `busyTimeoutMs` for a lock. */
export function allocateGate(busyTimeoutMs: number): GateSetup {
  return slots.allocate(busyTimeoutMs);
}

/** `Atomics.waitAsync` (Node 16+; in TypeScript's ES2024 lib, which the runtime does not target yet). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { value: Promise<string> | string };
  }
).waitAsync;

/**
 * Stops a worker safely: interrupts its SQLite work, waits until it is out of better-sqlite3 (or has exited),
 * then calls `terminate`. `exited` says whether the worker is already gone. Free the slot with
 * {@link releaseGate} once the worker has exited.
 */
export async function stopWorker(
  gate: GateSetup,
  terminate: () => Promise<unknown>,
  exited: () => boolean,
): Promise<void> {
  const state = new Int32Array(gate.state);
  slots.flag(gate.slot, true);
  while (!exited() && Atomics.compareExchange(state, 0, IDLE, STOPPING) === NATIVE) {
    await waitAsync(state, 0, NATIVE, 50).value;
  }
  await terminate();
}

/** The worker has exited: its slot may serve another. */
export function releaseGate(gate: GateSetup): void {
  slots.release(gate.slot);
}
