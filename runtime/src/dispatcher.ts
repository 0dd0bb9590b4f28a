/**
 * One request through the app: health endpoint, routing, `spin-*` headers, run on a worker, and the
 * mapping of failures to responses (unknown route 404, trap 500, time limit 504). Used the same way by the
 * HTTP server, the programmatic `fetch` and chained calls, and writes the one log line per request.
 */
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

export class Dispatcher {
  constructor(
    private readonly router: Router,
    private readonly pool: WorkerPool,
    private readonly log: (line: string) => void,
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
        const headers = withSpinHeaders(request.headers, spinHeaders(url, match, context.clientAddr));
        const outcome = await this.pool.run(target, { ...request, headers }, context.depth ?? 0);
        switch (outcome.kind) {
          case 'response':
            response = outcome.response;
            break;
          case 'trap':
            note = ` - trap: ${outcome.message.split('\n')[0] ?? ''}`;
            response = text(500, 'Internal Server Error');
            break;
          case 'timeout':
            note = ' - request time limit exceeded';
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
    this.log(`${request.method} ${where} ${component} ${response.status} ${(performance.now() - started).toFixed(1)}ms${chained}${note}`);
    return response;
  }
}
