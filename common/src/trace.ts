/**
 * Request correlation: the `x-request-id` and W3C `traceparent` headers. Each component accepts them,
 * logs the request id, echoes it on the response, and the aggregates component forwards both on every
 * chained call, so one dashboard request can be followed across the three components' logs.
 */

export const REQUEST_ID_HEADER = 'x-request-id';
export const TRACEPARENT_HEADER = 'traceparent';

export interface Trace {
  /** The caller's `x-request-id` when it is usable, otherwise a new random one. */
  requestId: string;
  /** The caller's `traceparent` when it is well-formed (version 00), otherwise `null`. */
  traceparent: string | null;
}

// Short, printable, and safe to put in a log line or a header unescaped.
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** 16 random bytes as 32 hex digits. Must run at request time: Spin snapshots module-level code at build time. */
export function newRequestId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function readTrace(headers: Headers): Trace {
  const requestId = headers.get(REQUEST_ID_HEADER);
  const traceparent = headers.get(TRACEPARENT_HEADER);
  return {
    requestId: requestId !== null && REQUEST_ID.test(requestId) ? requestId : newRequestId(),
    traceparent: traceparent !== null && TRACEPARENT.test(traceparent) ? traceparent : null,
  };
}

/** The headers that carry `trace` to a chained call. */
export function traceHeaders(trace: Trace): Record<string, string> {
  return trace.traceparent === null
    ? { [REQUEST_ID_HEADER]: trace.requestId }
    : { [REQUEST_ID_HEADER]: trace.requestId, [TRACEPARENT_HEADER]: trace.traceparent };
}

/** The trace id part of a traceparent (what tracing UIs search by), or `null`. */
export const traceId = (trace: Trace): string | null => trace.traceparent?.slice(3, 35) ?? null;
