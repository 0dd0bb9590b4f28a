/** Reading the query string by hand, the same way everywhere. */
import { HttpError } from './problem';

/**
 * A query parameter's decoded value, or `null` when absent. Parsed by hand from the raw query: inside the
 * component, `URL.searchParams` returned `null` for a present but empty parameter (`?strategy=`).
 */
export function queryParam(url: URL, name: string): string | null {
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    const equals = pair.indexOf('=');
    // Other parameters are none of this component's business, even malformed ones.
    if (decodeQueryPart(equals === -1 ? pair : pair.slice(0, equals)) !== name) continue;
    const value = equals === -1 ? '' : decodeQueryPart(pair.slice(equals + 1));
    if (value === null)
      throw new HttpError(400, 'invalid-query', `The value of ${name} is not valid percent-encoded UTF-8.`);
    return value;
  }
  return null;
}

/** A query string's name or value, percent- and `+`-decoded; `null` when its encoding is malformed. */
export function decodeQueryPart(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return null;
  }
}
