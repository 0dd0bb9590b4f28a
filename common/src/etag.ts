/**
 * Strong entity tags for JSON bodies and the preconditions of a read (RFC 9110, section 13): `If-Match` and
 * `If-None-Match` on GET and HEAD. The tag of a body ({@link bodyTag}) is a 64-bit FNV-1a hash of its UTF-16
 * code units ({@link etagOf}) up to {@link DIGEST_FROM} characters, and the first 64 bits of the SHA-256 of its
 * UTF-8 bytes beyond. Why two: in a component the FNV loop runs in StarlingMonkey's interpreter, ~1 ms per KB of
 * body, while WebCrypto's digest is native code but costs ~2.7 ms of fixed overhead per call (both timed on a
 * component serving the same request again and again). Either way the same bytes always give the same tag.
 */
import { HttpError } from './problem';

/** The 64-bit FNV offset basis, as its high and low 32-bit words. */
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;

/**
 * 64-bit FNV-1a on two 32-bit words (BigInt per character would be far slower): multiplying by the
 * prime 2^40 + 0x1b3 is `x * 0x1b3 + (x << 40)`, carried from the low word into the high one.
 */
export function etagOf(body: string): string {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  for (let i = 0; i < body.length; i++) {
    lo = (lo ^ body.charCodeAt(i)) >>> 0;
    const loProduct = lo * 0x1b3;
    const carry = Math.floor(loProduct / 0x100000000);
    const newLo = loProduct >>> 0;
    hi = (Math.imul(hi, 0x1b3) + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = newLo;
  }
  return `"${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}"`;
}

/** Bodies from this many characters are tagged with SHA-256 (see above: where the two costs cross). */
export const DIGEST_FROM = 4096;

/** The strong tag of a body, as 16 hex digits in quotes (see above for which hash). */
export async function bodyTag(body: string): Promise<string> {
  if (body.length < DIGEST_FROM) return etagOf(body);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)));
  let hex = '';
  for (let i = 0; i < 8; i++) hex += (digest[i] ?? 0).toString(16).padStart(2, '0');
  return `"${hex}"`;
}

/** Whether an `If-None-Match` header value matches `etag` (weak comparison, as the RFC asks for GET). */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

/**
 * Whether an `If-Match` header value accepts the current entity tag (RFC 9110, 13.1.1): `*` accepts any current
 * representation, a list accepts a tag it holds by strong comparison (8.8.3.2): both tags strong and the same
 * characters, so a weak tag (`W/"3"`) never matches, on either side. `current` is `null` when the
 * representation has no tag: then only `*` is accepted.
 */
export function ifMatchAccepts(header: string, current: string | null): boolean {
  if (header.trim() === '*') return true;
  if (current === null || current.startsWith('W/')) return false;
  return header.split(',').some((tag) => tag.trim() === current);
}

/** An `If-Match` worth evaluating: present and not empty (an empty one is as good as none, as for writes). */
function ifMatchOf(request: Request): string | null {
  const header = request.headers.get('if-match');
  return header === null || header.trim() === '' ? null : header;
}

/** The `412` of a read whose `If-Match` names none of the current tag. */
function readPreconditionFailed(etag: string | null): HttpError {
  const detail =
    etag === null
      ? 'If-Match names an entity tag, but this answer has none (it is not cached or validated): only If-Match: * can match it.'
      : etag.startsWith('W/')
        ? `If-Match uses strong comparison, and the current entity tag ${etag} is weak: only If-Match: * can match it.`
        : `If-Match does not name the current entity tag ${etag}.`;
  return new HttpError(412, 'precondition-failed', detail, {}, etag === null ? {} : { currentETag: etag });
}

/**
 * Conditional GET: the preconditions of a read, evaluated in the order of RFC 9110, 13.2.2, on what the route
 * answered. Only a successful (2xx) answer has preconditions evaluated: a 404 stays a 404 (13.2.1).
 *
 * 1. `If-Match` (strong comparison; `*` is true, the resource exists): false is `412 precondition-failed`,
 *    whatever `If-None-Match` says. (`If-Unmodified-Since` would come next; nothing here has a
 *    `Last-Modified`, so it is not supported and ignored, like `If-Modified-Since`.)
 * 2. `If-None-Match` (weak comparison): a match is `304 Not Modified`.
 *
 * A `200` to GET or HEAD also gets its `ETag` (unless the route set its own) and `Cache-Control: no-cache`
 * (unless the route set one). An answer the route marked `Cache-Control: no-store` gets neither and is never a
 * `304`: it has no tag, so only `If-Match: *` is true for it. Answers to writes are left as they are (their
 * `If-Match` is the write's own business: write-api.ts).
 */
export async function conditional(request: Request, response: Response): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return response;
  if (response.status < 200 || response.status > 299) return response;
  const ifMatch = ifMatchOf(request);
  if (response.status !== 200 || response.headers.get('cache-control') === 'no-store') {
    const etag = response.headers.get('etag');
    if (ifMatch !== null && !ifMatchAccepts(ifMatch, etag)) throw readPreconditionFailed(etag);
    return response;
  }
  const body = await response.text();
  const headers = new Headers(response.headers);
  const etag = headers.get('etag') ?? (await bodyTag(body));
  headers.set('etag', etag);
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-cache');
  if (ifMatch !== null && !ifMatchAccepts(ifMatch, etag)) throw readPreconditionFailed(etag);
  if (ifNoneMatchMatches(request.headers.get('if-none-match'), etag)) {
    headers.delete('content-type');
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { status: 200, headers });
}
