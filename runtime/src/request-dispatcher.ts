/**
 * One request through the app: health endpoint, routing, `spin-*` headers, run on a worker, the guest's
 * outbound calls (chaining back into this dispatcher), and the mapping of failures to responses (unknown
 * route 404, trap 500, time limit 504). Used the same way by the HTTP server, the programmatic `fetch` and
 * chained calls, and makes the one log record per request (formatted as a line of text or of JSON by the caller).
 */
import { createOutbound, type OutboundOutcome } from './host/index.js';
import type { WireRequest, WireResponse } from './protocol.js';
import type { Router } from './router.js';
import { responseProblem } from './response-framing.js';
import { pathOf, spinHeaders, withSpinHeaders } from './spin-headers.js';
import type { RunOutcome } from './worker-pool.js';

export const HEALTH_PATH = '/.well-known/spin/health';

export interface DispatchContext {
  clientAddr: string;
  /** Set for a chained call: the component named by `<id>.spin.internal`, routes bypassed. */
  chainedTo?: string;
  depth?: number;
}

/** What running a request on a component came to; `fault` names an injected fault, for the log line. */
export type Outcome = RunOutcome & { fault?: string };

/**
 * Runs a request on a component (the worker pool, possibly wrapped by fault injection); `onOutbound` serves
 * the guest's outbound calls, `depth` is the request's chain depth.
 */
export type Runner = (
  component: string,
  request: WireRequest,
  options: { depth: number; onOutbound(request: WireRequest): Promise<OutboundOutcome> },
) => Promise<Outcome>;

/** What the log says about one request: {@link requestLine} as text, or these fields as JSON. */
export interface RequestRecord {
  method: string;
  /** The path (query left out); for a chained call, the URL it named. */
  target: string;
  /** The component that answered; `null` for the health endpoint and unrouted paths. */
  component: string | null;
  status: number;
  durationMs: number;
  /** The request's `x-request-id`, trimmed so a client cannot flood the log. */
  requestId: string | null;
  chained: boolean;
  /** The injected fault that applied, if any. */
  fault?: string;
  /** Why the runtime answered for the component: `trap: ...`, `invalid response: ...`, `busy: ...`, the time limit. */
  error?: string;
}

/**
 * The text line: `GET /path component 200 3.1ms[ id=<x-request-id>][ (chained)][ - fault: ...][ - <error>]`.
 * Tests and users read this format (tests/e2e/resilience.test.ts parses it): change it with care.
 */
export function requestLine(record: RequestRecord): string {
  const id = record.requestId === null ? '' : ` id=${record.requestId}`;
  const chained = record.chained ? ' (chained)' : '';
  const fault = record.fault === undefined ? '' : ` - fault: ${record.fault}`;
  const error = record.error === undefined ? '' : ` - ${record.error}`;
  return `${record.method} ${record.target} ${record.component ?? '-'} ${record.status} ${record.durationMs.toFixed(1)}ms${id}${chained}${fault}${error}`;
}

export interface DispatcherOptions {
  router: Router;
  run: Runner;
  record(entry: RequestRecord): void;
  /** Component ids, the targets `http://<id>.spin.internal` may name. */
  components: readonly string[];
  /** Time limit of an outbound call outside the app. */
  outboundTimeoutMs: number;
}

/** `spin-client-addr` of a chained request, as Spin sets it (trigger-http's `CHAINED_CLIENT_ADDR`). */
const CHAINED_CLIENT_ADDR = '0.0.0.0:0';

const encoder = new TextEncoder();

export function text(status: number, body: string): WireResponse {
  return { status, headers: [['content-type', 'text/plain; charset=utf-8']], body: encoder.encode(body) };
}

/** The request's `x-request-id` for the log, when it has one; trimmed so a client cannot flood the log. */
function requestIdOf(headers: [string, string][]): string | null {
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'x-request-id') return value.slice(0, 128).replace(/\s/g, '_');
  }
  return null;
}

export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #outbound: (request: WireRequest, depth: number) => Promise<OutboundOutcome>;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    const components = new Set(options.components);
    this.#outbound = createOutbound({
      hasComponent: (id) => components.has(id),
      chain: (id, request, depth) => this.dispatch(request, { clientAddr: CHAINED_CLIENT_ADDR, chainedTo: id, depth }),
      timeoutMs: options.outboundTimeoutMs,
    });
  }

  async dispatch(request: WireRequest, context: DispatchContext): Promise<WireResponse> {
    const started = performance.now();
    // Routing, health and the spin-* headers go by the raw path, as Spin's (hyper's `uri.path()`): never a
    // WHATWG-normalised URL, which would resolve `/f/../a` to another component's `/a`.
    const path = pathOf(request.pathWithQuery);
    const scheme = request.url.slice(0, Math.max(0, request.url.indexOf('://'))) || 'http';
    let component: string | null = null;
    let fault: string | undefined;
    let error: string | undefined;
    let response: WireResponse;
    if (!context.chainedTo && path === HEALTH_PATH) {
      response = text(200, 'OK');
    } else {
      const { router, run } = this.#options;
      const match = context.chainedTo ? router.matchFor(context.chainedTo, path) : router.match(path);
      const target = context.chainedTo ?? match?.route.component;
      if (target === undefined) {
        response = text(404, 'Not Found');
      } else {
        component = target;
        const headers = withSpinHeaders(
          request.headers,
          spinHeaders(
            { scheme, authority: request.authority, pathWithQuery: request.pathWithQuery },
            match,
            context.clientAddr,
          ),
        );
        const depth = context.depth ?? 0;
        const outcome = await run(
          target,
          { ...request, headers },
          { depth, onOutbound: (outbound) => this.#outbound(outbound, depth) },
        );
        if (outcome.fault) fault = outcome.fault;
        switch (outcome.kind) {
          case 'response': {
            // An answer HTTP cannot carry (a 1xx status, an illegal content-length, a body that does not
            // match it) fails the request, whoever asked: a client, the in-process fetch or a chained caller.
            const problem = responseProblem(outcome.response, request.method);
            if (problem) {
              error = `invalid response: ${problem}`;
              response = { ...text(500, 'Internal Server Error'), closeConnection: true };
            } else {
              response = outcome.response;
            }
            break;
          }
          case 'trap':
            error = `trap: ${outcome.message.split('\n')[0] ?? ''}`;
            response = text(500, 'Internal Server Error');
            break;
          case 'timeout':
            error = 'request time limit exceeded';
            response = text(504, 'Gateway Timeout: the component exceeded the request time limit');
            break;
          case 'closed':
            response = text(503, 'Service Unavailable: shutting down');
            break;
          case 'busy': {
            // The worker pool could not run it (queue full, no worker in time, stuck): never hang.
            error = `busy: ${outcome.reason}`;
            const busy = text(503, 'Service Unavailable: the server is busy, retry later');
            busy.headers.push(['retry-after', '1']);
            response = busy;
            break;
          }
        }
      }
    }
    this.#options.record({
      method: request.method,
      target: context.chainedTo ? `${scheme}://${request.authority}${path}` : path,
      component,
      status: response.status,
      durationMs: performance.now() - started,
      requestId: requestIdOf(request.headers),
      chained: context.chainedTo !== undefined,
      ...(fault === undefined ? {} : { fault }),
      ...(error === undefined ? {} : { error }),
    });
    return response;
  }
}
