/**
 * Bearer-token authorization of writes (RFC 6750): one shared API token, from the Spin variable `api_token`.
 * Without a configured token, writes are off; reads never need one.
 */
import { HttpError } from './problem';

const REALM = 'Bearer realm="aggregates-dashboard"';

const encoder = new TextEncoder();

/**
 * Whether `a` and `b` have the same UTF-8 bytes, in time that depends only on their lengths: every byte
 * position up to the longer length is compared, with no early return. (Best effort: JIT-compiled JavaScript
 * gives no hard guarantee.)
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.max(left.length, right.length);
  let difference = left.length ^ right.length;
  for (let i = 0; i < length; i++) {
    difference |= (i < left.length ? (left[i] ?? 0) : 0) ^ (i < right.length ? (right[i] ?? 0) : 0);
  }
  return difference === 0;
}

function unauthorized(detail: string, invalidToken: boolean): HttpError {
  return new HttpError(401, 'unauthorized', detail, {
    'www-authenticate': invalidToken ? `${REALM}, error="invalid_token"` : REALM,
  });
}

/**
 * Allows the request only with `Authorization: Bearer <token>` (scheme case-insensitive).
 *
 * @param token the configured API token; `null` or empty means none is configured.
 * @throws HttpError 403 `writes-disabled` when no token is configured; 401 `unauthorized`, with a
 *   `WWW-Authenticate` challenge, when the header is missing, not `Bearer`, or carries another token.
 */
export function requireBearer(request: Request, token: string | null): void {
  if (token === null || token === '') {
    throw new HttpError(
      403,
      'writes-disabled',
      'Writes are disabled because no API token is configured. Set the Spin variable api_token (npm run up -- --variable api_token=..., spin up --variable api_token=..., or SPIN_VARIABLE_API_TOKEN) and send it as Authorization: Bearer <token>.',
    );
  }
  const header = request.headers.get('authorization');
  if (header === null || header === '') {
    throw unauthorized('This request needs the API token: send Authorization: Bearer <token>.', false);
  }
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    throw unauthorized('The Authorization header must use the Bearer scheme: Authorization: Bearer <token>.', false);
  }
  let start = space === -1 ? header.length : space;
  while (header.charCodeAt(start) === 0x20) start++;
  const sent = header.slice(start);
  if (sent === '')
    throw unauthorized('The Authorization header carries no token: send Authorization: Bearer <token>.', false);
  if (!timingSafeEqual(sent, token)) throw unauthorized('The bearer token is not valid.', true);
}
