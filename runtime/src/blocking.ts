/**
 * How a guest blocks. A guest runs synchronously on its worker thread (jco output without async lifting), so
 * `wasi:io/poll` must really block that thread: it sleeps on a shared Int32 with `Atomics.wait` and takes
 * the main thread's replies with `receiveMessageOnPort`, which needs no event loop.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { OutboundReply } from './protocol.js';

export interface BlockingHooks {
  /** Receives each reply the main thread sent since the last drain. */
  onReply(reply: OutboundReply): void;
  /** True while some reply is still expected; waiting with none expected and no timer would hang forever. */
  expectingReplies(): boolean;
}

export class Blocker {
  readonly #signal: Int32Array;
  readonly #port: MessagePort;
  readonly #hooks: BlockingHooks;

  constructor(signal: SharedArrayBuffer, port: MessagePort, hooks: BlockingHooks) {
    this.#signal = new Int32Array(signal);
    this.#port = port;
    this.#hooks = hooks;
  }

  drain(): void {
    for (let entry = receiveMessageOnPort(this.#port); entry; entry = receiveMessageOnPort(this.#port)) {
      this.#hooks.onReply(entry.message as OutboundReply);
    }
  }

  /**
   * Blocks until `isReady()` holds. `deadlineNs` (monotonic, from `process.hrtime.bigint()`) bounds the
   * sleep for timers; without a deadline and without an expected reply nothing could ever wake us: that is
   * a guest bug, reported as a trap rather than a hang. `beforeSleep` runs before each sleep (the host sends
   * requests whose body the guest never finished, so they still go out).
   */
  waitUntil(isReady: () => boolean, deadlineNs: () => bigint | undefined, beforeSleep: () => void): void {
    for (;;) {
      const seen = Atomics.load(this.#signal, 0);
      this.drain();
      if (isReady()) return;
      beforeSleep();
      if (isReady()) return;
      const deadline = deadlineNs();
      if (deadline === undefined && !this.#hooks.expectingReplies()) {
        throw new Error('the guest waits for an event that can never happen (no timer, no pending request)');
      }
      const timeoutMs =
        deadline === undefined ? Infinity : Math.max(0, Number(deadline - process.hrtime.bigint()) / 1e6);
      Atomics.wait(this.#signal, 0, seen, timeoutMs);
    }
  }
}
