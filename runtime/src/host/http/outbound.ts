/**
 * Serves a guest's outbound HTTP request on the main thread (the worker already checked the allow-list):
 * `http://<id>.spin.internal/...` is dispatched in-process to that component with the path unchanged;
 * anything else goes out with Node's fetch, bounded by the request time limit.
 */
import type { HttpErrorCode, WireRequest, WireResponse } from '../../protocol.js';
import type { OutboundOutcome } from '../api.js';

const INTERNAL_SUFFIX = '.spin.internal';
/** Hop-by-hop or computed by fetch itself; undici rejects some of them outright. */
const SKIPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
]);

export interface OutboundDeps {
  hasComponent(id: string): boolean;
  /** Runs a chained request on component `id`. */
  chain(id: string, request: WireRequest, depth: number): Promise<WireResponse>;
  timeoutMs: number;
}

function errorCode(error: unknown): HttpErrorCode {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
  if (error instanceof Error && error.name === 'TimeoutError') return { tag: 'connection-timeout' };
  if (code === 'ECONNREFUSED') return { tag: 'connection-refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { tag: 'DNS-error', val: { rcode: code, infoCode: undefined } };
  if (code === 'ECONNRESET') return { tag: 'connection-terminated' };
  return { tag: 'internal-error', val: cause instanceof Error ? cause.message : String(cause) };
}

async function external(request: WireRequest, timeoutMs: number): Promise<OutboundOutcome> {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers.filter(([name]) => !SKIPPED_REQUEST_HEADERS.has(name.toLowerCase())),
      body: request.body && request.method !== 'GET' && request.method !== 'HEAD' ? new Uint8Array(request.body) : null,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => headers.push([name, value]));
    return { response: { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) } };
  } catch (error) {
    return { error: errorCode(error) };
  }
}

export function createOutbound(deps: OutboundDeps): (request: WireRequest, depth: number) => Promise<OutboundOutcome> {
  return async (request, depth) => {
    const url = new URL(request.url);
    if (url.hostname.endsWith(INTERNAL_SUFFIX)) {
      const id = url.hostname.slice(0, -INTERNAL_SUFFIX.length);
      if (!deps.hasComponent(id)) return { error: { tag: 'destination-not-found' } };
      return { response: await deps.chain(id, request, depth + 1) };
    }
    return external(request, deps.timeoutMs);
  };
}
