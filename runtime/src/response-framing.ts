/**
 * Whether a guest's answer can be sent as Spin's server (hyper) would send it. hyper refuses a final
 * response with a 1xx status and an illegal `content-length` (it answers 500 instead), and a body that does
 * not match its declared length fails the connection (wasmtime-wasi-http errors the body, hyper closes).
 * Here the whole body is known before the head goes out, so such an answer is refused whole: the caller
 * gets a 500, over HTTP with the connection closed, and no byte of it can reach the next answer.
 */
import type { WireResponse } from './protocol.js';

const MAX_LENGTH = 2n ** 64n - 1n;

/** The declared `content-length` (all values equal, as hyper accepts `4, 4`), or a reason it is illegal. */
export function declaredLength(headers: [string, string][]): { length: number | undefined } | { problem: string } {
  const values = new Set<bigint>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'content-length') continue;
    for (const part of value.split(',')) {
      const digits = part.trim();
      if (!/^[0-9]{1,20}$/.test(digits) || BigInt(digits) > MAX_LENGTH)
        return { problem: `illegal content-length ${JSON.stringify(value.slice(0, 40))}` };
      values.add(BigInt(digits));
    }
  }
  if (values.size > 1) return { problem: `conflicting content-length values ${[...values].join(', ')}` };
  const [only] = values;
  return { length: only === undefined ? undefined : Number(only) };
}

/** Whether HTTP sends a body with this answer (none for HEAD, 1xx, 204 and 304). */
export function sendsBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
}

/** Why `response` (to a `method` request) cannot be sent as it is, or undefined when it can. */
export function responseProblem(response: WireResponse, method: string): string | undefined {
  const { status } = response;
  if (!Number.isInteger(status) || status < 200 || status > 599)
    return `status ${status} is not a final response status`;
  const declared = declaredLength(response.headers);
  if ('problem' in declared) return declared.problem;
  if (declared.length !== undefined && sendsBody(method, status) && declared.length !== response.body.length) {
    return `content-length ${declared.length} but a body of ${response.body.length} bytes`;
  }
  return undefined;
}
