/**
 * The request the guest serves: the worker builds an {@link IncomingRequest} from the wire and reads the
 * response the guest put in the {@link ResponseOutparam}.
 */
import type { HttpErrorCode, WireRequest, WireResponse } from '../../protocol.js';
import { IncomingMessage, OutgoingBody } from './bodies.js';
import type { Fields } from './header-fields.js';
import { methodOf, schemeOf, type Method, type Scheme } from './wit.js';

export class IncomingRequest extends IncomingMessage {
  readonly #method: Method;
  readonly #scheme: Scheme;
  readonly #authority: string;
  readonly #pathWithQuery: string;

  constructor(request: WireRequest) {
    super(request.headers, request.body ?? new Uint8Array(0));
    // As wasmtime gives hyper's URI to the guest: the authority and path-with-query as received, raw.
    this.#method = methodOf(request.method);
    this.#scheme = schemeOf(request.url.slice(0, Math.max(0, request.url.indexOf('://'))) || 'http');
    this.#authority = request.authority;
    this.#pathWithQuery = request.pathWithQuery;
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
    return {
      status: this.#status,
      headers: this.#headers.toWire(),
      body: this.#body ? this.#body.buffer.take() : new Uint8Array(0),
    };
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
