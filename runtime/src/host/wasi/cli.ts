/**
 * `wasi:cli` for the guest: stdout and stderr forwarded line by line, an empty stdin, the component's
 * `environment` from spin.toml, no arguments, no terminal; `exit` traps.
 */
import { InputStream, OutputStream, type ByteSink } from './io.js';

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

export function cliImports(
  stdout: ByteSink,
  stderr: ByteSink,
  environment: Record<string, string>,
): Record<string, object> {
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
