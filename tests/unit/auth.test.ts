import { describe, expect, it } from 'vitest';
import { requireBearer, timingSafeEqual } from '@aggregates/common/auth';
import { HttpError } from '@aggregates/common/problem';

const TOKEN = 's3cret-Token_with.chars~+/=';
const REALM = 'Bearer realm="aggregates-dashboard"';

const request = (authorization?: string): Request =>
  new Request('http://customers-service.spin.internal/customers/items', {
    method: 'POST',
    headers: authorization === undefined ? {} : { authorization },
  });

/** The HttpError `requireBearer` throws for this header and configured token. */
function rejection(authorization: string | undefined, token: string | null = TOKEN): HttpError {
  try {
    requireBearer(request(authorization), token);
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected requireBearer to throw');
}

describe('timingSafeEqual', () => {
  it.each([
    ['', '', true],
    ['a', 'a', true],
    [TOKEN, TOKEN, true],
    ['Zürich 😀', 'Zürich 😀', true],
    ['a', 'b', false],
    ['abc', 'abd', false],
    ['abc', 'Abc', false],
    ['', 'a', false],
    ['a', '', false],
    ['abc', 'abcd', false],
    ['abcd', 'abc', false],
    ['abc\u0000', 'abc', false],
    ['é', 'e\u0301', false],
    ['é', 'è', false],
    ['😀', '😁', false],
    // Same UTF-16 length, different UTF-8 lengths; then the same UTF-8 length, different bytes.
    ['é', 'e', false],
    ['é', 'ab', false],
  ])('timingSafeEqual(%j, %j) is %s', (a, b, equal) => {
    expect(timingSafeEqual(a, b)).toBe(equal);
    expect(timingSafeEqual(b, a)).toBe(equal);
  });

  it('compares UTF-8 bytes, so a byte-length difference alone makes strings unequal', () => {
    // U+0100 is 0xC4 0x80 in UTF-8; the second string has the same first two bytes, then one more.
    expect(timingSafeEqual('\u0100', '\u0100\u0000')).toBe(false);
    expect(timingSafeEqual('\u0100\u0000', '\u0100\u0000')).toBe(true);
  });
});

describe('requireBearer', () => {
  it('allows a request carrying the configured token', () => {
    expect(() => requireBearer(request(`Bearer ${TOKEN}`), TOKEN)).not.toThrow();
  });

  it.each(['bearer', 'BEARER', 'BeArEr'])('takes the scheme %s case-insensitively', (scheme) => {
    expect(() => requireBearer(request(`${scheme} ${TOKEN}`), TOKEN)).not.toThrow();
  });

  it('allows more than one space after the scheme', () => {
    expect(() => requireBearer(request(`Bearer   ${TOKEN}`), TOKEN)).not.toThrow();
  });

  it.each([null, ''])('answers 403 writes-disabled when the configured token is %j, whatever was sent', (token) => {
    for (const authorization of [undefined, `Bearer ${TOKEN}`, 'Bearer ', 'Basic abc']) {
      const error = rejection(authorization, token);
      expect([error.status, error.code]).toEqual([403, 'writes-disabled']);
      expect(error.detail).toMatch(/no API token is configured/);
      expect(error.detail).toMatch(/api_token/);
      expect(error.detail).toMatch(/SPIN_VARIABLE_API_TOKEN/);
      expect(error.headers).toEqual({});
    }
  });

  it('answers 401 with a challenge when the header is missing', () => {
    const error = rejection(undefined);
    expect([error.status, error.code]).toEqual([401, 'unauthorized']);
    expect(error.headers).toEqual({ 'www-authenticate': REALM });
    expect(error.detail).toMatch(/Authorization: Bearer <token>/);
  });

  it.each([
    `Basic ${btoa(`user:${TOKEN}`)}`,
    `Token ${TOKEN}`,
    TOKEN,
    `Bearer${TOKEN}`,
    `Bearer:${TOKEN}`,
    `Bearer\t${TOKEN}`,
  ])('answers 401 without an error code to another scheme: %s', (authorization) => {
    const error = rejection(authorization);
    expect([error.status, error.code]).toEqual([401, 'unauthorized']);
    expect(error.headers).toEqual({ 'www-authenticate': REALM });
    expect(error.detail).not.toContain(TOKEN);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer    '])(
    'answers 401 without an error code when no token follows the scheme: %j',
    (authorization) => {
      const error = rejection(authorization);
      expect([error.status, error.code]).toEqual([401, 'unauthorized']);
      expect(error.headers).toEqual({ 'www-authenticate': REALM });
    },
  );

  it.each(['wrong', `${TOKEN}x`, TOKEN.slice(0, -1), TOKEN.toUpperCase(), `${TOKEN} ${TOKEN}`, `${TOKEN} extra`])(
    'answers 401 invalid_token to a wrong token, without echoing it: %s',
    (sent) => {
      const error = rejection(`Bearer ${sent}`);
      expect([error.status, error.code]).toEqual([401, 'unauthorized']);
      expect(error.headers).toEqual({ 'www-authenticate': `${REALM}, error="invalid_token"` });
      expect(error.detail).not.toContain(sent);
      expect(error.detail).not.toContain(TOKEN);
    },
  );
});
