/**
 * One request through the app: health endpoint, routing, `spin-*` headers, injected faults, run on a
 * worker, and the mapping of failures to responses (unknown route 404, trap 500, time limit 504). Used the
 * same way by the HTTP server, the programmatic `fetch` and chained calls, and writes the one log line per
 * request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultTable } from './faults.js';
import { spinHeaders, withSpinHeaders } from './spin-headers.js';
import type { WireRequest, WireResponse } from './protocol.js';
import type { Router } from './router.js';
import type { WorkerPool } from './worker-pool.js';

export const HEALTH_PATH = '/.well-known/spin/health';

export interface DispatchContext {
  clientAddr: string;
  /** Set for a chained call: the component named by `<id>.spin.internal`, routes bypassed. */
  chainedTo?: string;
  depth?: number;
}

const encoder = new TextEncoder();

function text(status: number, body: string): WireResponse {
  return { status, headers: [['content-type', 'text/plain; charset=utf-8']], body: encoder.encode(body) };
}

/** ` id=<x-request-id>` for the log line, when the request has one; trimmed so a client cannot flood the log. */
function requestIdNote(headers: [string, string][]): string {
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'x-request-id') return ` id=${value.slice(0, 128).replace(/\s/g, '_')}`;
  }
  return '';
}

export class Dispatcher {
  constructor(
    private readonly router: Router,
    private readonly pool: WorkerPool,
    private readonly log: (line: string) => void,
    private readonly faults: FaultTable,
  ) {}

  async dispatch(request: WireRequest, context: DispatchContext): Promise<WireResponse> {
    const started = performance.now();
    const url = new URL(request.url);
    let component = '-';
    let note = '';
    let response: WireResponse;
    if (!context.chainedTo && url.pathname === HEALTH_PATH) {
      response = text(200, 'OK');
    } else {
      const match = context.chainedTo ? this.router.matchFor(context.chainedTo, url.pathname) : this.router.match(url.pathname);
      const target = context.chainedTo ?? match?.route.component;
      if (target === undefined) {
        response = text(404, 'Not Found');
      } else {
        component = target;
        const fault = this.faults.take(target, url.pathname);
        if (fault) note = ` - fault: ${fault.summary}`;
        const headers = withSpinHeaders(request.headers, spinHeaders(url, match, context.clientAddr));
        const outcome =
          fault?.status === undefined
            ? await this.pool.run(target, { ...request, headers }, context.depth ?? 0, { trap: fault?.trap ?? false })
            : ({ kind: 'response', response: text(fault.status, `Injected fault: status ${fault.status}`) } as const);
        // Only this request's answer waits: the worker is already free, other requests go on.
        if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
        switch (outcome.kind) {
          case 'response':
            response = outcome.response;
            break;
          case 'trap':
            note += ` - trap: ${outcome.message.split('\n')[0] ?? ''}`;
            response = text(500, 'Internal Server Error');
            break;
          case 'timeout':
            note += ' - request time limit exceeded';
            response = text(504, 'Gateway Timeout: the component exceeded the request time limit');
            break;
          case 'closed':
            response = text(503, 'Service Unavailable: shutting down');
            break;
        }
      }
    }
    const where = context.chainedTo ? `${url.origin}${url.pathname}` : url.pathname;
    const chained = context.chainedTo ? ' (chained)' : '';
    this.log(`${request.method} ${where} ${component} ${response.status} ${(performance.now() - started).toFixed(1)}ms${requestIdNote(request.headers)}${chained}${note}`);
    return response;
  }
}
