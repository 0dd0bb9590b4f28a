// The few `wasi:*@0.2.3` functions the conformance guest calls directly (WIT in /wit/deps/wasi-0.2.3.wit),
// typed by hand as componentize-js binds them: a top-level WIT `result` returns its value or throws an Error
// whose `payload` is the error; a nested `result` is a `{ tag: 'ok' | 'err', val }` object; an `option` is
// the value or `undefined`.

declare module 'wasi:cli/environment@0.2.3' {
  export function getEnvironment(): [string, string][];
}

declare module 'wasi:io/poll@0.2.3' {
  export class Pollable {
    block(): void;
  }
}

declare module 'wasi:io/streams@0.2.3' {
  export type StreamError = { tag: 'last-operation-failed'; val: unknown } | { tag: 'closed' };
  export class InputStream {
    blockingRead(len: bigint): Uint8Array;
  }
  export class OutputStream {
    blockingWriteAndFlush(contents: Uint8Array): void;
  }
}

declare module 'wasi:http/types@0.2.3' {
  import type { Pollable } from 'wasi:io/poll@0.2.3';
  import type { InputStream, OutputStream } from 'wasi:io/streams@0.2.3';

  /** Only the cases the guest names; the rest of the variant is `{ tag: string; val?: unknown }`. */
  export type ErrorCode = { tag: string; val?: unknown };
  export type Method = { tag: 'get' } | { tag: 'post' } | { tag: 'other'; val: string };
  export type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };
  type Result<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };

  export class Fields {
    static fromList(entries: [string, Uint8Array][]): Fields;
    entries(): [string, Uint8Array][];
  }
  export class OutgoingBody {
    write(): OutputStream;
    static finish(body: OutgoingBody, trailers: Fields | undefined): void;
  }
  export class OutgoingRequest {
    constructor(headers: Fields);
    setMethod(method: Method): void;
    setPathWithQuery(path: string | undefined): void;
    setScheme(scheme: Scheme | undefined): void;
    setAuthority(authority: string | undefined): void;
    body(): OutgoingBody;
  }
  export class IncomingBody {
    stream(): InputStream;
  }
  export class IncomingResponse {
    status(): number;
    headers(): Fields;
    consume(): IncomingBody;
  }
  export class FutureIncomingResponse {
    subscribe(): Pollable;
    get(): Result<Result<IncomingResponse, ErrorCode>, undefined> | undefined;
  }
}

declare module 'wasi:http/outgoing-handler@0.2.3' {
  import type { ErrorCode, FutureIncomingResponse, OutgoingRequest } from 'wasi:http/types@0.2.3';
  export type { ErrorCode };
  export function handle(request: OutgoingRequest, options: undefined): FutureIncomingResponse;
}
