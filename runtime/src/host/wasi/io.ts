/**
 * `wasi:io` for the guest: pollables, byte streams and the `poll` function. Bodies cross threads whole (see
 * protocol.ts), so every input stream reads from a complete buffer and every output stream appends to one;
 * only timers and outbound responses make a pollable wait.
 */
/** Blocks the worker thread until `isReady()`, waking for replies from the main thread and at `deadlineNs()`. */
export type Waiter = (isReady: () => boolean, deadlineNs: () => bigint | undefined) => void;

export class IoError {
  readonly #message: string;
  constructor(message: string) {
    this.#message = message;
  }
  toDebugString(): string {
    return this.#message;
  }
}

/**
 * A pollable that may have to wait holds its worker's {@link Waiter}, so `poll` needs no module state; one
 * that is always ready holds none.
 */
export class Pollable {
  readonly #isReady: () => boolean;
  /** Monotonic nanoseconds at which a timer pollable becomes ready. */
  readonly deadlineNs: bigint | undefined;
  readonly waiter: Waiter | undefined;

  constructor(isReady: () => boolean, waiter: Waiter | undefined, deadlineNs?: bigint) {
    this.#isReady = isReady;
    this.waiter = waiter;
    this.deadlineNs = deadlineNs;
  }

  static always(): Pollable {
    return new Pollable(() => true, undefined);
  }

  static at(deadlineNs: bigint, waiter: Waiter): Pollable {
    return new Pollable(() => process.hrtime.bigint() >= deadlineNs, waiter, deadlineNs);
  }

  ready(): boolean {
    return this.#isReady();
  }

  block(): void {
    poll([this]);
  }
}

/** Returns the indices of the ready pollables, blocking until at least one is ready. */
export function poll(pollables: Pollable[]): Uint32Array {
  if (pollables.length === 0) throw new Error('poll called with an empty list');
  const readyIndices = (): number[] => pollables.flatMap((p, i) => (p.ready() ? [i] : []));
  let ready = readyIndices();
  if (ready.length === 0) {
    const earliest = (): bigint | undefined =>
      pollables.reduce<bigint | undefined>(
        (min, p) => (p.deadlineNs !== undefined && (min === undefined || p.deadlineNs < min) ? p.deadlineNs : min),
        undefined,
      );
    // Every pollable of a worker holds the same waiter; none holds one only if all are always ready.
    const waiter = pollables.find((p) => p.waiter)?.waiter;
    if (!waiter) throw new Error('poll: nothing to wait for');
    waiter(() => pollables.some((p) => p.ready()), earliest);
    ready = readyIndices();
  }
  return new Uint32Array(ready);
}

type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };

/** A readable stream over bytes that are all present already (a request or response body). */
export class InputStream {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  read(len: bigint): Uint8Array {
    if (this.#offset >= this.#bytes.length) throw { tag: 'closed' } satisfies StreamError;
    const end = Math.min(this.#bytes.length, this.#offset + Number(len));
    const chunk = this.#bytes.subarray(this.#offset, end);
    this.#offset = end;
    return chunk;
  }

  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  subscribe(): Pollable {
    return Pollable.always();
  }
}

/** Where an output stream's bytes go; `closed` makes further writes fail like a finished body. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  closed(): boolean;
}

/** Bytes buffered per flush call are not limited by backpressure: everything stays in memory anyway. */
const WRITE_BUDGET = 1n << 20n;

export class OutputStream {
  readonly #sink: ByteSink;

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  #ensureOpen(): void {
    if (this.#sink.closed()) throw { tag: 'closed' } satisfies StreamError;
  }

  checkWrite(): bigint {
    this.#ensureOpen();
    return WRITE_BUDGET;
  }

  write(contents: Uint8Array): void {
    this.#ensureOpen();
    // A guest may pass more than `checkWrite` permitted and count only the permitted bytes as written
    // (StarlingMonkey does, for bodies over the budget), then write the rest again: take only what was
    // permitted. `slice` also copies, as the guest's memory is reused after the call returns.
    this.#sink.write(contents.slice(0, Number(WRITE_BUDGET)));
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  flush(): void {
    this.#ensureOpen();
  }

  blockingFlush(): void {
    this.#ensureOpen();
  }

  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  splice(source: InputStream, len: bigint): bigint {
    const chunk = source.read(len);
    this.write(chunk);
    return BigInt(chunk.length);
  }

  blockingSplice(source: InputStream, len: bigint): bigint {
    return this.splice(source, len);
  }

  subscribe(): Pollable {
    return Pollable.always();
  }
}

/** Collects written bytes; `take()` returns them as one buffer. */
export class ByteBuffer implements ByteSink {
  #chunks: Uint8Array[] = [];
  #closed = false;

  write(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
  }

  closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
  }

  take(): Uint8Array {
    const body = this.#chunks.length === 1 && this.#chunks[0] ? this.#chunks[0] : Buffer.concat(this.#chunks);
    this.#chunks = [body];
    return body;
  }
}
