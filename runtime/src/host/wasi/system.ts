/**
 * The rest of what a StarlingMonkey component imports from WASI: clocks, random, and a filesystem with no
 * preopened directories (Spin mounts none unless `files` is set, which the runtime refuses).
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { Pollable, type Waiter } from './io.js';

const wallClock = {
  now: () => {
    const ms = Date.now();
    return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
  },
  resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
};

/** Timers wait on the worker's waiter, so the monotonic clock is made per worker. */
function monotonicClock(waiter: Waiter): object {
  return {
    now: () => process.hrtime.bigint(),
    resolution: () => 1n,
    subscribeInstant: (when: bigint) => Pollable.at(when, waiter),
    subscribeDuration: (duration: bigint) => Pollable.at(process.hrtime.bigint() + duration, waiter),
  };
}

const random = {
  getRandomBytes: (len: bigint) => randomFillSync(new Uint8Array(Number(len))),
  getRandomU64: () => randomBytes(8).readBigUInt64LE(0),
};

export class Descriptor {
  readonly resource = 'wasi:filesystem/descriptor';
}
export class DirectoryEntryStream {
  readonly resource = 'wasi:filesystem/directory-entry-stream';
}

export function systemImports(waiter: Waiter): Record<string, object> {
  return {
    'wasi:clocks/wall-clock': wallClock,
    'wasi:clocks/monotonic-clock': monotonicClock(waiter),
    'wasi:random/random': random,
    'wasi:random/insecure': {
      getInsecureRandomBytes: random.getRandomBytes,
      getInsecureRandomU64: random.getRandomU64,
    },
    'wasi:random/insecure-seed': { insecureSeed: () => [random.getRandomU64(), random.getRandomU64()] },
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:filesystem/types': { Descriptor, DirectoryEntryStream, filesystemErrorCode: () => undefined },
  };
}
