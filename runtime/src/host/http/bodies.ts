/** Bodies: incoming ones read from a complete buffer, outgoing ones collected whole (see protocol.ts). */
import type { HttpErrorCode } from '../../protocol.js';
import { ByteBuffer, InputStream, OutputStream, Pollable } from '../wasi/io.js';
import { Fields } from './header-fields.js';

export class FutureTrailers {
  #taken = false;
  subscribe(): Pollable {
    return Pollable.always();
  }
  get(): { tag: 'ok'; val: { tag: 'ok'; val: undefined } } | { tag: 'err' } {
    if (this.#taken) return { tag: 'err' };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

export class IncomingBody {
  #stream: InputStream | undefined;
  constructor(bytes: Uint8Array) {
    this.#stream = new InputStream(bytes);
  }
  stream(): InputStream {
    const stream = this.#stream;
    // result<input-stream> with a unit error: jco turns any throw into `err`.
    if (!stream) throw undefined;
    this.#stream = undefined;
    return stream;
  }
  static finish(): FutureTrailers {
    return new FutureTrailers();
  }
}

/** An outgoing body; `onFinish` lets an outgoing request go out once its body is complete. */
export class OutgoingBody {
  readonly buffer = new ByteBuffer();
  #writeTaken = false;
  onFinish: (() => void) | undefined;

  write(): OutputStream {
    if (this.#writeTaken) throw undefined;
    this.#writeTaken = true;
    return new OutputStream(this.buffer);
  }

  get finished(): boolean {
    return this.buffer.closed();
  }

  static finish(body: OutgoingBody, trailers: Fields | undefined): void {
    if (trailers) throw { tag: 'internal-error', val: 'trailers are not supported' } satisfies HttpErrorCode;
    body.buffer.close();
    body.onFinish?.();
  }
}

/** What an incoming request and an incoming response share: immutable headers and a body taken once. */
export class IncomingMessage {
  readonly #headers: Fields;
  #body: Uint8Array | undefined;

  constructor(headers: [string, string][], body: Uint8Array) {
    this.#headers = Fields.fromWire(headers);
    this.#body = body;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    const body = this.#body;
    // result<incoming-body> with a unit error: jco turns any throw into `err`.
    if (!body) throw undefined;
    this.#body = undefined;
    return new IncomingBody(body);
  }
}
