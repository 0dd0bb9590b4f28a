/**
 * The small WASI interfaces a StarlingMonkey component imports besides HTTP: stdio, clocks, random, and a
 * filesystem with no preopened directories (Spin mounts none unless `files` is set, which we reject).
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { InputStream, OutputStream, Pollable, type ByteSink } from './io.js';

/** Forwards guest output line by line, so a log line is never split between two messages. */
export class LineSink implements ByteSink {
  readonly #emit: (text: string) => void;
  #pending = '';
  readonly #decoder = new TextDecoder();

  constructor(emit: (text: string) => void) {
    this.#emit = emit;
  }
  write(bytes: Uint8Array): void {
    this.#pending += this.#decoder.decode(bytes, { stream: true });
    const end = this.#pending.lastIndexOf('\n');
    if (end >= 0) {
      this.#emit(this.#pending.slice(0, end + 1));
      this.#pending = this.#pending.slice(end + 1);
    }
  }
  flush(): void {
    if (this.#pending !== '') this.#emit(`${this.#pending}\n`);
    this.#pending = '';
  }
  closed(): boolean {
    return false;
  }
}

/**
 * Resource classes that jco needs for its `instanceof` checks but that are never created: there is no
 * terminal and no preopened directory. The brand only tells them apart in a debugger.
 */
export class TerminalInput {
  readonly resource = 'wasi:cli/terminal-input';
}
export class TerminalOutput {
  readonly resource = 'wasi:cli/terminal-output';
}

export function cliImports(stdout: LineSink, stderr: LineSink, environment: Record<string, string>): Record<string, object> {
  return {
    'wasi:cli/stdout': { getStdout: () => new OutputStream(stdout) },
    'wasi:cli/stderr': { getStderr: () => new OutputStream(stderr) },
    'wasi:cli/stdin': { getStdin: () => new InputStream(new Uint8Array(0)) },
    'wasi:cli/environment': {
      getEnvironment: () => Object.entries(environment),
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: 'ok' | 'err' }) => {
        throw new Error(`the guest called exit (${status.tag})`);
      },
    },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  };
}

const wallClock = {
  now: () => {
    const ms = Date.now();
    return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
  },
  resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
};

const monotonicClock = {
  now: () => process.hrtime.bigint(),
  resolution: () => 1n,
  subscribeInstant: (when: bigint) => Pollable.at(when),
  subscribeDuration: (duration: bigint) => Pollable.at(process.hrtime.bigint() + duration),
};

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

export const baseImports: Record<string, object> = {
  'wasi:clocks/wall-clock': wallClock,
  'wasi:clocks/monotonic-clock': monotonicClock,
  'wasi:random/random': random,
  'wasi:random/insecure': { getInsecureRandomBytes: random.getRandomBytes, getInsecureRandomU64: random.getRandomU64 },
  'wasi:random/insecure-seed': { insecureSeed: () => [random.getRandomU64(), random.getRandomU64()] },
  'wasi:filesystem/preopens': { getDirectories: () => [] },
  'wasi:filesystem/types': { Descriptor, DirectoryEntryStream, filesystemErrorCode: () => undefined },
};
