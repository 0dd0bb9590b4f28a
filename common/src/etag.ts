/**
 * Strong entity tags for JSON bodies, `If-None-Match` matching and conditional GETs (RFC 9110, section 13.1.2).
 * The tag is a 64-bit FNV-1a hash of the body's UTF-16 code units: fast, synchronous (no WebCrypto
 * round-trip), and the same bytes always give the same tag.
 */

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

/** Whether an `If-None-Match` header value matches `etag` (weak comparison, as the RFC asks for GET). */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

/**
 * Conditional GET: adds `ETag` (unless the route set its own) and `Cache-Control` to a `200` answer to GET or
 * HEAD, or turns it into a `304` when the client's copy is current. Answers to writes are left as they are.
 */
export async function conditional(request: Request, response: Response): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return response;
  if (response.status !== 200 || response.headers.get('cache-control') === 'no-store') return response;
  const body = await response.text();
  const headers = new Headers(response.headers);
  const etag = headers.get('etag') ?? etagOf(body);
  headers.set('etag', etag);
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-cache');
  if (ifNoneMatchMatches(request.headers.get('if-none-match'), etag)) {
    headers.delete('content-type');
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { status: 200, headers });
}
