/**
 * Outbound requests (`wasi:http/outgoing-handler`): `handle` checks the component's allow-list at once (a
 * denied host settles the returned future with `HTTP-request-denied` straight away, never a hang), then sends
 * the request to the main thread when its body is complete, and the future resolves when the answer arrives.
 */
import type { HttpErrorCode, WireRequest, WireResponse } from '../../protocol.js';
import type { GuestContext, OutboundOutcome } from '../api.js';
import { outboundDenial, type AllowedHost } from './allowed-hosts.js';
import { Pollable, type Waiter } from '../wasi/io.js';
import { IncomingMessage, OutgoingBody } from './bodies.js';
import type { Fields } from './header-fields.js';
import { methodName, schemeName, type Method, type Scheme } from './wit.js';

export class RequestOptions {
  #connect: bigint | undefined;
  #firstByte: bigint | undefined;
  #betweenBytes: bigint | undefined;
  connectTimeout(): bigint | undefined {
    return this.#connect;
  }
  setConnectTimeout(duration: bigint | undefined): void {
    this.#connect = duration;
  }
  firstByteTimeout(): bigint | undefined {
    return this.#firstByte;
  }
  setFirstByteTimeout(duration: bigint | undefined): void {
    this.#firstByte = duration;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.#betweenBytes;
  }
  setBetweenBytesTimeout(duration: bigint | undefined): void {
    this.#betweenBytes = duration;
  }
}

export class OutgoingRequest {
  #method: Method = { tag: 'get' };
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  #pathWithQuery: string | undefined;
  readonly #headers: Fields;
  readonly outgoingBody = new OutgoingBody();
  #bodyTaken = false;

  constructor(headers: Fields) {
    headers.lock();
    this.#headers = headers;
  }
  method(): Method {
    return this.#method;
  }
  setMethod(method: Method): void {
    this.#method = method;
  }
  pathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }
  setPathWithQuery(path: string | undefined): void {
    this.#pathWithQuery = path;
  }
  scheme(): Scheme | undefined {
    return this.#scheme;
  }
  setScheme(scheme: Scheme | undefined): void {
    this.#scheme = scheme;
  }
  authority(): string | undefined {
    return this.#authority;
  }
  setAuthority(authority: string | undefined): void {
    this.#authority = authority;
  }
  headers(): Fields {
    return this.#headers;
  }
  body(): OutgoingBody {
    if (this.#bodyTaken) throw undefined;
    this.#bodyTaken = true;
    return this.outgoingBody;
  }
  get bodyTaken(): boolean {
    return this.#bodyTaken;
  }
  /** The path and query as the guest set them (a leading `/` ensured): a chained callee sees them raw. */
  #path(): string {
    const path = this.#pathWithQuery ?? '/';
    return path.startsWith('/') ? path : `/${path}`;
  }
  toWireUrl(): string {
    return `${schemeName(this.#scheme)}://${this.#authority ?? ''}${this.#path()}`;
  }
  toWire(): WireRequest {
    const body = this.outgoingBody.buffer.take();
    return {
      method: methodName(this.#method),
      url: this.toWireUrl(),
      authority: this.#authority ?? '',
      pathWithQuery: this.#path(),
      headers: this.#headers.toWire(),
      body: body.length > 0 ? body : null,
    };
  }
}

export class IncomingResponse extends IncomingMessage {
  readonly #status: number;
  constructor(response: WireResponse) {
    super(response.headers, response.body);
    this.#status = response.status;
  }
  status(): number {
    return this.#status;
  }
}

type FutureResult =
  { tag: 'ok'; val: { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: HttpErrorCode } } | { tag: 'err' };

export class FutureIncomingResponse {
  readonly #waiter: Waiter;
  #outcome: OutboundOutcome | undefined;
  #taken = false;

  constructor(waiter: Waiter) {
    this.#waiter = waiter;
  }

  settle(outcome: OutboundOutcome): void {
    this.#outcome ??= outcome;
  }
  subscribe(): Pollable {
    return new Pollable(() => this.#outcome !== undefined, this.#waiter);
  }
  get(): FutureResult | undefined {
    if (!this.#outcome) return undefined;
    if (this.#taken) return { tag: 'err' };
    this.#taken = true;
    const outcome = this.#outcome;
    return 'error' in outcome
      ? { tag: 'ok', val: { tag: 'err', val: outcome.error } }
      : { tag: 'ok', val: { tag: 'ok', val: new IncomingResponse(outcome.response) } };
  }
}

/** Our stream errors never wrap an HTTP error code. */
export function httpErrorCode(): HttpErrorCode | undefined {
  return undefined;
}

/**
 * Requests handed to `handle` whose body the guest has not finished yet, per worker: they go out before the
 * guest sleeps (so nothing waits forever) and are forgotten when the request ends.
 */
export class UnsentRequests {
  #pending: (() => void)[] = [];

  add(send: () => void): void {
    this.#pending.push(send);
  }

  flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const send of pending) send();
  }

  clear(): void {
    this.#pending = [];
  }
}

/**
 * `wasi:http/outgoing-handler.handle` for one component, checked against its `allowed` hosts; request options
 * (timeouts) are ignored: the request time limit rules.
 */
export function outgoingHandler(
  context: GuestContext,
  allowed: AllowedHost[],
  unsent: UnsentRequests,
): (request: OutgoingRequest) => FutureIncomingResponse {
  return (request) => {
    let url: URL;
    try {
      url = new URL(request.toWireUrl());
    } catch {
      throw { tag: 'HTTP-request-URI-invalid' } satisfies HttpErrorCode;
    }
    const future = new FutureIncomingResponse(context.wait);
    // As Spin: a denied host is not an error of `handle` but of the response, through the future (Spin's
    // outbound-http factor test `disallowed_host_fails`; conformance case outbound-wasi-http-v0.2.0-no-perms
    // expects "incoming-response#get: ErrorCode::HttpRequestDenied").
    const denied = outboundDenial(allowed, url);
    if (denied) {
      future.settle({ error: denied });
      return future;
    }
    let sent = false;
    const send = (): void => {
      if (sent) return;
      sent = true;
      context.send(request.toWire(), (outcome) => future.settle(outcome));
    };
    if (!request.bodyTaken || request.outgoingBody.finished) {
      send();
    } else {
      request.outgoingBody.onFinish = send;
      unsent.add(send);
    }
    return future;
  };
}
