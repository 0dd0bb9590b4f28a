/**
 * `wasi:http/types` and `wasi:http/outgoing-handler` for the guest, over whole-body messages.
 * Incoming: the worker builds an {@link IncomingRequest} and reads what the guest put in the
 * {@link ResponseOutparam}. Outgoing: `handle` checks the component's allow-list at once (a denied host
 * settles the returned future with `HTTP-request-denied` straight away, never a hang), then sends the request
 * to the main thread when its body is complete and resolves the future when the reply arrives.
 */
import type { HttpErrorCode, WireRequest, WireResponse } from '../protocol.js';
import { ByteBuffer, InputStream, OutputStream, Pollable } from './io.js';

type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };
type Method = { tag: string; val?: string };
type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class Fields {
  #entries: [string, Uint8Array][] = [];
  #immutable = false;

  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) {
      if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
      fields.#entries.push([name.toLowerCase(), value.slice()]);
    }
    return fields;
  }

  static fromWire(headers: [string, string][]): Fields {
    const fields = new Fields();
    fields.#entries = headers.map(([name, value]) => [name.toLowerCase(), encoder.encode(value)]);
    fields.#immutable = true;
    return fields;
  }

  toWire(): [string, string][] {
    return this.#entries.map(([name, value]) => [name, decoder.decode(value)]);
  }

  lock(): void {
    this.#immutable = true;
  }

  #mutate(name: string): string {
    if (this.#immutable) throw { tag: 'immutable' } satisfies HeaderError;
    if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
    return name.toLowerCase();
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.#entries.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#entries.some(([n]) => n === key);
  }

  set(name: string, values: Uint8Array[]): void {
    const key = this.#mutate(name);
    this.#entries = this.#entries.filter(([n]) => n !== key);
    for (const value of values) this.#entries.push([key, value.slice()]);
  }

  delete(name: string): void {
    const key = this.#mutate(name);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }

  append(name: string, value: Uint8Array): void {
    this.#entries.push([this.#mutate(name), value.slice()]);
  }

  entries(): [string, Uint8Array][] {
    return this.#entries.map(([n, v]) => [n, v]);
  }

  clone(): Fields {
    const copy = new Fields();
    copy.#entries = this.entries();
    return copy;
  }
}

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

/**
 * Method names are case-sensitive (RFC 9110, 9.1): as in Spin (the `http` crate), only the upper-case standard
 * names are the WIT cases; `patch` or `Get` reach the guest as `other`, spelled as sent.
 */
function methodOf(name: string): Method {
  const standard = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].includes(name);
  return standard ? { tag: name.toLowerCase() } : { tag: 'other', val: name };
}

function methodName(method: Method): string {
  return method.tag === 'other' ? (method.val ?? 'GET') : method.tag.toUpperCase();
}

function schemeOf(protocol: string): Scheme {
  if (protocol === 'http') return { tag: 'HTTP' };
  if (protocol === 'https') return { tag: 'HTTPS' };
  return { tag: 'other', val: protocol };
}

function schemeName(scheme: Scheme | undefined): string {
  if (!scheme || scheme.tag === 'HTTP') return 'http';
  return scheme.tag === 'HTTPS' ? 'https' : scheme.val;
}

export class IncomingRequest {
  readonly #method: Method;
  readonly #scheme: Scheme;
  readonly #authority: string;
  readonly #pathWithQuery: string;
  readonly #headers: Fields;
  #body: Uint8Array | undefined;

  constructor(request: WireRequest) {
    const url = new URL(request.url);
    this.#method = methodOf(request.method);
    this.#scheme = schemeOf(url.protocol.slice(0, -1));
    this.#authority = url.host;
    this.#pathWithQuery = url.pathname + url.search;
    this.#headers = Fields.fromWire(request.headers);
    this.#body = request.body ?? new Uint8Array(0);
  }
  method(): Method {
    return this.#method;
  }
  pathWithQuery(): string {
    return this.#pathWithQuery;
  }
  scheme(): Scheme {
    return this.#scheme;
  }
  authority(): string {
    return this.#authority;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    const body = this.#body;
    if (!body) throw undefined;
    this.#body = undefined;
    return new IncomingBody(body);
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

export class OutgoingResponse {
  #status = 200;
  readonly #headers: Fields;
  #body: OutgoingBody | undefined;

  constructor(headers: Fields) {
    headers.lock();
    this.#headers = headers;
  }
  statusCode(): number {
    return this.#status;
  }
  setStatusCode(status: number): void {
    if (status < 100 || status > 599) throw undefined;
    this.#status = status;
  }
  headers(): Fields {
    return this.#headers;
  }
  body(): OutgoingBody {
    if (this.#body) throw undefined;
    this.#body = new OutgoingBody();
    return this.#body;
  }
  /** The response as it leaves the worker: whatever the guest wrote, finished or not. */
  toWire(): WireResponse {
    return { status: this.#status, headers: this.#headers.toWire(), body: this.#body ? this.#body.buffer.take() : new Uint8Array(0) };
  }
}

type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: HttpErrorCode };

export class ResponseOutparam {
  result: ResponseResult | undefined;
  static set(param: ResponseOutparam, response: ResponseResult): void {
    if (param.result) throw new Error('response-outparam set twice');
    param.result = response;
  }
}

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
  toWireUrl(): string {
    const path = this.#pathWithQuery ?? '/';
    return `${schemeName(this.#scheme)}://${this.#authority ?? ''}${path.startsWith('/') ? path : `/${path}`}`;
  }
  toWire(): WireRequest {
    const body = this.outgoingBody.buffer.take();
    return { method: methodName(this.#method), url: this.toWireUrl(), headers: this.#headers.toWire(), body: body.length > 0 ? body : null };
  }
}

export class IncomingResponse {
  readonly #status: number;
  readonly #headers: Fields;
  #body: Uint8Array | undefined;
  constructor(response: WireResponse) {
    this.#status = response.status;
    this.#headers = Fields.fromWire(response.headers);
    this.#body = response.body;
  }
  status(): number {
    return this.#status;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    const body = this.#body;
    if (!body) throw undefined;
    this.#body = undefined;
    return new IncomingBody(body);
  }
}

type FutureResult = { tag: 'ok'; val: { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: HttpErrorCode } } | { tag: 'err' };

export class FutureIncomingResponse {
  #outcome: { response: WireResponse } | { error: HttpErrorCode } | undefined;
  #taken = false;

  settle(outcome: { response: WireResponse } | { error: HttpErrorCode }): void {
    this.#outcome ??= outcome;
  }
  subscribe(): Pollable {
    return new Pollable(() => this.#outcome !== undefined);
  }
  get(): FutureResult | undefined {
    if (!this.#outcome) return undefined;
    if (this.#taken) return { tag: 'err' };
    this.#taken = true;
    const outcome = this.#outcome;
    return 'error' in outcome ? { tag: 'ok', val: { tag: 'err', val: outcome.error } } : { tag: 'ok', val: { tag: 'ok', val: new IncomingResponse(outcome.response) } };
  }
}

/** Our stream errors never wrap an HTTP error code. */
export function httpErrorCode(): HttpErrorCode | undefined {
  return undefined;
}

/** What `handle` needs from the request the guest is serving; the worker supplies one per request. */
export interface OutboundGate {
  /** Returns an error code when the component may not call `url`. */
  check(url: URL): HttpErrorCode | undefined;
  send(request: WireRequest, future: FutureIncomingResponse): void;
}

let gate: OutboundGate | undefined;
/** Requests handed to `handle` whose body the guest has not finished yet. */
let unsent: (() => void)[] = [];

export function useOutboundGate(value: OutboundGate | undefined): void {
  gate = value;
  unsent = [];
}

/** Sends requests still waiting for their body; called before the guest sleeps, so nothing waits forever. */
export function flushUnsent(): void {
  const pending = unsent;
  unsent = [];
  for (const send of pending) send();
}

/** `wasi:http/outgoing-handler.handle`; request options (timeouts) are ignored: the request time limit rules. */
export function handle(request: OutgoingRequest): FutureIncomingResponse {
  const current = gate;
  if (!current) throw { tag: 'internal-error', val: 'no request in progress' } satisfies HttpErrorCode;
  let url: URL;
  try {
    url = new URL(request.toWireUrl());
  } catch {
    throw { tag: 'HTTP-request-URI-invalid' } satisfies HttpErrorCode;
  }
  const future = new FutureIncomingResponse();
  // As Spin: a denied host is not an error of `handle` but of the response, through the future (Spin's
  // outbound-http factor test `disallowed_host_fails`; conformance case outbound-wasi-http-v0.2.0-no-perms
  // expects "incoming-response#get: ErrorCode::HttpRequestDenied").
  const denied = current.check(url);
  if (denied) {
    future.settle({ error: denied });
    return future;
  }
  let sent = false;
  const send = (): void => {
    if (sent) return;
    sent = true;
    current.send(request.toWire(), future);
  };
  if (!request.bodyTaken || request.outgoingBody.finished) {
    send();
  } else {
    request.outgoingBody.onFinish = send;
    unsent.push(send);
  }
  return future;
}
