/**
 * Request correlation: the `x-request-id` and W3C `traceparent` headers. Each component accepts them,
 * logs the request id, echoes it on the response, and the aggregates component forwards both on every
 * chained call, so one dashboard request can be followed across the three components' logs.
 *
 * Which requests a component writes its access-log line for (http.ts) is the caller's choice too: every 5xx
 * answer, and any request sent with `x-access-log: 1`, which is forwarded like the ids, so that one header
 * gets the line of every component the request reaches. Without it a terminal running the app shows one
 * line per request, the runtime's (spin-local prints method, path, component, status, time and id).
 */

export const REQUEST_ID_HEADER = 'x-request-id';
export const TRACEPARENT_HEADER = 'traceparent';
export const ACCESS_LOG_HEADER = 'x-access-log';

export interface Trace {
  /** The caller's `x-request-id` when it is usable, otherwise a new random one. */
  requestId: string;
  /** The caller's `traceparent` when it is well-formed (version 00), otherwise `null`. */
  traceparent: string | null;
  /** The caller asked for the access-log line of every component this request reaches (`x-access-log: 1`). */
  accessLog?: boolean;
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
    ...(headers.get(ACCESS_LOG_HEADER) === '1' ? { accessLog: true } : {}),
  };
}

/** The headers that carry `trace` to a chained call. */
export function traceHeaders(trace: Trace): Record<string, string> {
  return {
    [REQUEST_ID_HEADER]: trace.requestId,
    ...(trace.traceparent === null ? {} : { [TRACEPARENT_HEADER]: trace.traceparent }),
    ...(trace.accessLog === true ? { [ACCESS_LOG_HEADER]: '1' } : {}),
  };
}

/** The trace id part of a traceparent (what tracing UIs search by), or `null`. */
export const traceId = (trace: Trace): string | null => trace.traceparent?.slice(3, 35) ?? null;
