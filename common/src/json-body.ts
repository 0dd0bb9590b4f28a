/**
 * Reading the body of a write: its media type (media-type.ts), its size, limited while it streams in, strict
 * UTF-8, then strict JSON (strict-json.ts).
 */
import { checkContentType } from './media-type';
import { HttpError } from './problem';
import { parseStrictJson, type NumberMode } from './strict-json';

/** The largest write body accepted, in bytes; larger ones are answered `413` without reading them whole. */
export const MAX_BODY_BYTES = 16 * 1024;

function tooLarge(): HttpError {
  return new HttpError(
    413,
    'payload-too-large',
    `The body is larger than ${MAX_BODY_BYTES} bytes.`,
    {},
    { maxBytes: MAX_BODY_BYTES },
  );
}

/** The body's bytes, read chunk by chunk; stops with `413` as soon as they exceed {@link MAX_BODY_BYTES}. */
async function readLimited(request: Request): Promise<Uint8Array> {
  const length = request.headers.get('content-length');
  if (length !== null && /^[0-9]+$/.test(length.trim()) && Number(length.trim()) > MAX_BODY_BYTES) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      // The rest is not wanted. Not awaited: the answer does not depend on how the cancel ends.
      reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads the JSON body of a write request and returns the parsed value (callers check its shape).
 *
 * `accept` lists the media types allowed, lowercased (e.g. `['application/merge-patch+json', 'application/json']`);
 * `numbers: 'text'` gives numbers as `JsonNumber`s that keep their text (see {@link parseStrictJson}).
 *
 * @throws HttpError 415 for another media type or a charset other than UTF-8; 413 for a body over
 *   {@link MAX_BODY_BYTES}; 400 `invalid-json` for a body that is empty, not UTF-8, or not strict JSON
 *   (see {@link parseStrictJson}).
 */
export async function readJsonBody(
  request: Request,
  accept: readonly string[],
  options: { numbers?: NumberMode } = {},
): Promise<unknown> {
  checkContentType(request.headers.get('content-type'), accept);
  const bytes = await readLimited(request);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid-json', 'The body is not valid UTF-8.');
  }
  if (/^[ \t\n\r]*$/.test(text)) throw new HttpError(400, 'invalid-json', 'The body is empty; send a JSON object.');
  return parseStrictJson(text, { numbers: options.numbers ?? 'double' });
}
