/**
 * The media type of a write's body: the `content-type` a write route accepts, and in UTF-8 only (json-body.ts
 * reads the body once this has passed).
 */
import { HttpError } from './problem';

/** RFC 9110 `token` characters, for media-type parameters. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** One `; name=value` parameter (or an empty one, which RFC 9110 allows), matched from `lastIndex`. */
const PARAMETER = new RegExp(`[ \\t]*;[ \\t]*(?:(${TOKEN})=(${TOKEN}|"(?:[^"\\\\]|\\\\.)*"))?[ \\t]*`, 'y');

/** The `charset` of a `content-type` value, lowercased; `null` when absent, `undefined` when unreadable. */
function charsetOf(parameters: string): string | null | undefined {
  let charset: string | null = null;
  PARAMETER.lastIndex = 0;
  while (PARAMETER.lastIndex < parameters.length) {
    const start = PARAMETER.lastIndex;
    const match = PARAMETER.exec(parameters);
    if (match === null || PARAMETER.lastIndex === start) return undefined;
    const [, name, value] = match;
    if (name?.toLowerCase() === 'charset' && value !== undefined) {
      charset = (value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value).toLowerCase();
    }
  }
  return charset;
}

/** Checks `content-type` against the accepted media types; only UTF-8 is accepted as a charset (else `415`). */
export function checkContentType(header: string | null, accept: readonly string[]): void {
  const semicolon = header === null ? -1 : header.indexOf(';');
  const mediaType = (header === null ? '' : semicolon === -1 ? header : header.slice(0, semicolon))
    .trim()
    .toLowerCase();
  const charset = header === null || semicolon === -1 ? null : charsetOf(header.slice(semicolon));
  if (!accept.includes(mediaType) || charset === undefined || (charset !== null && charset !== 'utf-8')) {
    const types = accept.length === 1 ? accept[0] : `${accept.slice(0, -1).join(', ')} or ${accept.at(-1)}`;
    throw new HttpError(
      415,
      'unsupported-media-type',
      `Send the body as ${types}, in UTF-8 (charset=utf-8 or no charset).`,
    );
  }
}
