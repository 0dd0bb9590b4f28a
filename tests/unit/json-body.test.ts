import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, readJsonBody } from '@aggregates/common/json-body';
import { parseStrictJson } from '@aggregates/common/strict-json';
import { HttpError } from '@aggregates/common/problem';

/** The HttpError `action` throws (synchronously or as a rejection). */
async function httpErrorOf(action: () => unknown): Promise<HttpError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError, but nothing was thrown');
}

/** The detail of the 400 `invalid-json` that parsing `text` throws. */
function rejection(text: string, options?: { maxDepth?: number }): string {
  try {
    parseStrictJson(text, options);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    expect([error.status, error.code]).toEqual([400, 'invalid-json']);
    return error.detail;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('parseStrictJson', () => {
  it.each([
    '{}',
    '[]',
    '0',
    '-1.5e-3',
    '12.25E+2',
    '"text"',
    'true',
    'false',
    'null',
    ' \t\r\n{ "a" : [ 1 , 2.5 , -0.0e0 , "x" , null , true , false , { } , [ ] ] } \n',
    '{"name":"Contoso","address":{"city":"Zürich","lines":["1","2"]},"tags":[]}',
    String.raw`"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \ud83d\ude00"`,
    '"raw 😀 and é"',
    '{"a":1,"A":2,"a ":3}',
    '[1e308,-1E-308,123456789012345678901234567890]',
  ])('parses %s as JSON.parse does', (text) => {
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it('rejects a duplicate member name, with its offset', () => {
    expect(rejection('{"id":1,"name":"a", "name":"b"}')).toBe(
      'The body is not valid JSON: duplicate member "name" at offset 20.',
    );
    expect(rejection('{"outer":{"x":1,"y":2,"x":3}}')).toMatch(/duplicate member "x" at offset 22\./);
    expect(rejection('[{"a":1},{"b":{"c":[{"d":1,"d":1}]}}]')).toMatch(/duplicate member "d"/);
    // The same name escaped differently is still the same name.
    expect(rejection(String.raw`{"a":1,"\u0061":2}`)).toMatch(/duplicate member "a" at offset 7\./);
    expect(rejection('{"__proto__":1,"__proto__":2}')).toMatch(/duplicate member "__proto__"/);
  });

  it('allows the same name in different objects', () => {
    expect(parseStrictJson('{"a":{"a":1},"b":[{"a":2},{"a":3}]}')).toEqual({ a: { a: 1 }, b: [{ a: 2 }, { a: 3 }] });
  });

  it('allows 32 levels of nesting and rejects 33, or what maxDepth says', () => {
    expect(parseStrictJson(nested(32))).toEqual(JSON.parse(nested(32)));
    expect(rejection(nested(33))).toBe('The body is not valid JSON: nesting deeper than 32 levels at offset 32.');
    expect(rejection('{"a":'.repeat(33) + '1' + '}'.repeat(33))).toMatch(/nesting deeper than 32 levels/);
    expect(parseStrictJson('{"a":[{"b":1}]}', { maxDepth: 3 })).toEqual({ a: [{ b: 1 }] });
    expect(rejection('{"a":[{"b":[]}]}', { maxDepth: 3 })).toMatch(/nesting deeper than 3 levels at offset 11\./);
    expect(rejection('[]', { maxDepth: 0 })).toMatch(/nesting deeper than 0 levels/);
    expect(parseStrictJson('1', { maxDepth: 0 })).toBe(1);
  });

  it('rejects a very deep document without overflowing the stack', () => {
    expect(rejection(nested(100_000))).toMatch(/nesting deeper than 32 levels/);
  });

  it.each([
    ['', /expected a value but found end of input at offset 0/],
    ['   ', /expected a value but found end of input at offset 3/],
    ['[1,2,]', /expected a value but found "]" at offset 5/],
    ['{"a":1,}', /expected a member name but found "}" at offset 7/],
    ['[1 2]', /expected ',' or '\]' but found "2" at offset 3/],
    ['{"a" 1}', /expected ':' but found "1" at offset 5/],
    ['{"a":1 "b":2}', /expected ',' or '}' but found "\\"" at offset 7/],
    ['{a:1}', /expected a member name but found "a" at offset 1/],
    ["{'a':1}", /expected a member name/],
    ['{"a":1}}', /expected end of input but found "}" at offset 7/],
    ['{} {}', /expected end of input/],
    ['01', /number with a leading zero at offset 0/],
    ['-012', /number with a leading zero at offset 0/],
    ['[1, 00]', /number with a leading zero at offset 4/],
    ['+1', /expected a value but found "\+"/],
    ['.5', /expected a value/],
    ['1.', /expected a digit but found end of input at offset 2/],
    ['1.e5', /expected a digit/],
    ['1e', /expected a digit/],
    ['1e+', /expected a digit/],
    ['-', /expected a digit/],
    ['-Infinity', /expected a digit but found "I" at offset 1/],
    ['NaN', /expected a value but found "N" at offset 0/],
    ['Infinity', /expected a value/],
    ['nul', /expected a value but found "n" at offset 0/],
    ['True', /expected a value/],
    ['undefined', /expected a value/],
    ['[1] // comment', /expected end of input but found "\/" at offset 4/],
    ['/* c */ 1', /expected a value/],
    ['0x10', /expected end of input but found "x" at offset 1/],
    ['"abc', /unterminated string at offset 4/],
    ['"a\\', /unterminated string/],
    ['"\\x41"', /invalid escape "\\\\x" in a string at offset 1/],
    ["'a'", /expected a value/],
    ['"\\u12"', /expected a hex digit but found "\\"" at offset 5/],
    ['"\\u12G4"', /expected a hex digit but found "G"/],
  ])('rejects %j', (text, detail) => {
    expect(rejection(text)).toMatch(detail);
  });

  it('rejects unescaped control characters in strings', () => {
    expect(rejection('"a\u0001b"')).toBe(
      'The body is not valid JSON: unescaped control character U+0001 in a string at offset 2.',
    );
    expect(rejection('"line\nbreak"')).toMatch(/unescaped control character U\+000A in a string at offset 5\./);
    expect(rejection('{"a\tb":1}')).toMatch(/U\+0009/);
    // DEL is not a control character in JSON's grammar.
    expect(parseStrictJson('"\u007f"')).toBe('\u007f');
  });

  it('accepts only JSON whitespace between tokens', () => {
    for (const space of ['\u00a0', '\u2028', '\u000b', '\u000c', '\ufeff']) {
      expect(rejection(`[1,${space}2]`)).toMatch(/expected a value but found .* at offset 3/s);
    }
    expect(rejection('\ufeff{}')).toBe('The body is not valid JSON: expected a value but found U+FEFF at offset 0.');
  });

  it('rejects unpaired surrogates, escaped or raw, and accepts pairs', () => {
    expect(rejection(String.raw`"\ud800"`)).toBe(
      'The body is not valid JSON: unpaired surrogate escape in a string at offset 1.',
    );
    expect(rejection(String.raw`"\udc00"`)).toMatch(/unpaired surrogate escape/);
    expect(rejection(String.raw`"\ude00\ud83d"`)).toMatch(/unpaired surrogate escape/);
    expect(rejection(String.raw`"\ud83dx"`)).toMatch(/unpaired surrogate escape/);
    expect(rejection(String.raw`"\ud83d\n"`)).toMatch(/unpaired surrogate escape/);
    expect(rejection(String.raw`"\ud83d\ud83d"`)).toMatch(/unpaired surrogate escape/);
    expect(rejection(String.raw`{"\ud800":1}`)).toMatch(/unpaired surrogate escape in a string at offset 2\./);
    expect(rejection('"a\ud800"')).toBe('The body is not valid JSON: unpaired surrogate in a string at offset 2.');
    expect(rejection('"\udc00\ud800"')).toMatch(/unpaired surrogate in a string at offset 1/);
    expect(parseStrictJson(String.raw`"\uD83D\uDE00"`)).toBe('😀');
    expect(parseStrictJson('"\ud83d\ude00"')).toBe('😀');
    expect(parseStrictJson(String.raw`"\u0000"`)).toBe('\u0000');
  });

  it('makes "__proto__" an own property and leaves Object.prototype alone', () => {
    const parsed = parseStrictJson('{"__proto__":{"polluted":true},"a":{"__proto__":{"polluted":true}}}') as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')).toEqual({
      value: { polluted: true },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect((parsed as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(parsed.a)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed.a as object, '__proto__')).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect('polluted' in Object.prototype).toBe(false);
    expect(JSON.stringify(parsed)).toBe('{"__proto__":{"polluted":true},"a":{"__proto__":{"polluted":true}}}');
  });

  it('makes "constructor" and "prototype" ordinary own properties', () => {
    const parsed = parseStrictJson(
      '{"constructor":{"prototype":{"polluted":true}},"toString":1,"hasOwnProperty":2}',
    ) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['constructor', 'toString', 'hasOwnProperty']);
    expect(parsed.constructor).toEqual({ prototype: { polluted: true } });
    expect(parsed.toString).toBe(1);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect('polluted' in Object.prototype).toBe(false);
    expect({}.constructor).toBe(Object);
  });

  it('returns Infinity for 1e400 and -0 for -0, for callers to validate', () => {
    expect(parseStrictJson('1e400')).toBe(Infinity);
    expect(parseStrictJson('-1e400')).toBe(-Infinity);
    expect(Object.is(parseStrictJson('-0'), -0)).toBe(true);
    expect(Object.is(parseStrictJson('-0.0'), -0)).toBe(true);
    expect(parseStrictJson('[1e-400]')).toEqual([0]);
  });

  it('names a long duplicate member briefly', () => {
    const name = 'n'.repeat(1000);
    const detail = rejection(`{"${name}":1,"${name}":2}`);
    expect(detail.length).toBeLessThan(150);
    expect(detail).toMatch(/duplicate member "n{64}…" at offset 1006\./);
  });

  it('parses a 16 KiB body in linear time', () => {
    const members = Array.from(
      { length: 400 },
      (_, i) => `"k${i}":{"s":"a\\u00e9\\n${'x'.repeat(10)}","n":[${i},-${i}.5e1,true,null]}`,
    );
    const text = `{${members.join(',')}}`.slice(0, MAX_BODY_BYTES);
    const valid = `{${members.slice(0, 200).join(',')}}`;
    expect(parseStrictJson(valid)).toEqual(JSON.parse(valid));
    // Pathological inputs for a backtracking parser: long strings, long numbers, many escapes.
    const inputs = [
      `"${'a'.repeat(MAX_BODY_BYTES)}"`,
      '1'.repeat(MAX_BODY_BYTES),
      `"${'\\u00e9'.repeat(Math.floor(MAX_BODY_BYTES / 6))}"`,
      `[${'1,'.repeat(MAX_BODY_BYTES / 2 - 2)}1]`,
      text,
    ];
    const started = performance.now();
    for (let round = 0; round < 20; round++) {
      for (const input of inputs) {
        try {
          parseStrictJson(input);
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
        }
      }
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

const URL_ = 'http://customers-service.spin.internal/customers/items';
const JSON_ONLY = ['application/json'] as const;
const MERGE_PATCH = ['application/merge-patch+json', 'application/json'] as const;

function post(
  body: BodyInit | null,
  contentType: string | null = 'application/json',
  headers: Record<string, string> = {},
): Request {
  return new Request(URL_, {
    method: 'POST',
    body,
    headers: { ...(contentType === null ? {} : { 'content-type': contentType }), ...headers },
  });
}

/** A body of `chunks` chunks of `size` bytes that records how far it was read and whether it was cancelled. */
function trackedStream(chunks: number, size: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled === chunks) {
          controller.close();
          return;
        }
        state.pulled++;
        controller.enqueue(new Uint8Array(size).fill(0x20));
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

describe('readJsonBody', () => {
  it('returns the parsed body', async () => {
    expect(await readJsonBody(post('{"name":"Contoso"}'), JSON_ONLY)).toEqual({ name: 'Contoso' });
    expect(await readJsonBody(post('{"name":null}', 'application/merge-patch+json'), MERGE_PATCH)).toEqual({
      name: null,
    });
    expect(await readJsonBody(post('[1]'), JSON_ONLY)).toEqual([1]);
  });

  it.each([
    'application/json; charset=UTF-8',
    'application/json;charset=utf-8',
    'Application/JSON ; Charset="utf-8"',
    'application/json; foo=bar; charset=utf-8',
    'application/json;',
  ])('accepts content-type %j', async (contentType) => {
    expect(await readJsonBody(post('{"a":1}', contentType), JSON_ONLY)).toEqual({ a: 1 });
  });

  it.each([
    ['text/plain', JSON_ONLY],
    ['application/json; charset=latin1', JSON_ONLY],
    ['application/json; charset=utf-16', JSON_ONLY],
    ['application/json; charset=utf8', JSON_ONLY],
    ['application/json; charset', JSON_ONLY],
    ['application/jsonx', JSON_ONLY],
    ['application/merge-patch+json', JSON_ONLY],
    ['application/x-www-form-urlencoded', MERGE_PATCH],
    ['application/json; charset="latin1"', MERGE_PATCH],
    [null, JSON_ONLY],
  ] as const)('answers 415 to content-type %j', async (contentType, accept) => {
    const error = await httpErrorOf(() => readJsonBody(post('{"a":1}', contentType), accept));
    expect([error.status, error.code]).toEqual([415, 'unsupported-media-type']);
    expect(error.detail).toMatch(
      accept === JSON_ONLY ? /application\/json/ : /application\/merge-patch\+json or application\/json/,
    );
    expect(error.headers).toEqual({});
  });

  it('answers 415 before reading the body', async () => {
    const { stream, state } = trackedStream(10, 1024);
    const request = new Request(URL_, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'text/plain' },
    } as RequestInit);
    expect((await httpErrorOf(() => readJsonBody(request, JSON_ONLY))).status).toBe(415);
    expect(state.pulled).toBe(0);
  });

  it('answers 413 from content-length without reading the body', async () => {
    const { stream, state } = trackedStream(100, 1024);
    const request = new Request(URL_, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
    } as RequestInit);
    const error = await httpErrorOf(() => readJsonBody(request, JSON_ONLY));
    expect([error.status, error.code, error.detail]).toEqual([
      413,
      'payload-too-large',
      `The body is larger than ${MAX_BODY_BYTES} bytes.`,
    ]);
    expect(error.extensions).toEqual({ maxBytes: MAX_BODY_BYTES });
    expect(state.pulled).toBe(0);
  });

  it('answers 413 to a streamed body once it passes the limit, without reading it to the end', async () => {
    const { stream, state } = trackedStream(100, 1024);
    const request = new Request(URL_, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    } as RequestInit);
    expect(request.headers.get('content-length')).toBeNull();
    const error = await httpErrorOf(() => readJsonBody(request, JSON_ONLY));
    expect([error.status, error.code]).toEqual([413, 'payload-too-large']);
    expect(error.extensions).toEqual({ maxBytes: MAX_BODY_BYTES });
    // 17 chunks of 1 KiB pass the 16 KiB limit; a little read-ahead by the Request's own stream is allowed.
    expect(state.pulled).toBeGreaterThanOrEqual(17);
    expect(state.pulled).toBeLessThan(20);
    await expect.poll(() => state.cancelled).toBe(true);
  });

  it('accepts a body of exactly the limit, streamed or not', async () => {
    const text = `[${' '.repeat(MAX_BODY_BYTES - 2)}]`;
    expect(await readJsonBody(post(text), JSON_ONLY)).toEqual([]);
    const { stream } = trackedStream(16, 1024);
    const request = new Request(URL_, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    } as RequestInit);
    // 16 KiB of spaces: within the limit, so the answer is about the (empty) content, not the size.
    expect((await httpErrorOf(() => readJsonBody(request, JSON_ONLY))).detail).toBe(
      'The body is empty; send a JSON object.',
    );
  });

  it('answers 413 to a body one byte over the limit', async () => {
    const error = await httpErrorOf(() => readJsonBody(post(`[${' '.repeat(MAX_BODY_BYTES - 1)}]`), JSON_ONLY));
    expect(error.status).toBe(413);
  });

  it('answers 400 to invalid UTF-8', async () => {
    for (const bytes of [
      [0x7b, 0xff, 0x7d],
      [0x22, 0xc3, 0x22],
      [0x22, 0xed, 0xa0, 0x80, 0x22],
    ]) {
      const error = await httpErrorOf(() => readJsonBody(post(new Uint8Array(bytes)), JSON_ONLY));
      expect([error.status, error.code, error.detail]).toEqual([400, 'invalid-json', 'The body is not valid UTF-8.']);
    }
  });

  it('decodes multi-byte UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('{"city":"Zürich 😀"}');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const request = new Request(URL_, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    } as RequestInit);
    expect(await readJsonBody(request, JSON_ONLY)).toEqual({ city: 'Zürich 😀' });
  });

  it('skips a UTF-8 byte order mark, as the decoder does', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')]);
    expect(await readJsonBody(post(bytes), JSON_ONLY)).toEqual({ a: 1 });
  });

  it('answers 400 to an empty or missing body', async () => {
    for (const request of [
      post(''),
      post(null),
      post(' \r\n\t'),
      new Request(URL_, { method: 'PUT', headers: { 'content-type': 'application/json' } }),
    ]) {
      const error = await httpErrorOf(() => readJsonBody(request, JSON_ONLY));
      expect([error.status, error.code, error.detail]).toEqual([
        400,
        'invalid-json',
        'The body is empty; send a JSON object.',
      ]);
    }
  });

  it('answers 400 to malformed JSON with the parser’s detail', async () => {
    const error = await httpErrorOf(() => readJsonBody(post('{"a":1,"a":2}'), JSON_ONLY));
    expect([error.status, error.code, error.detail]).toEqual([
      400,
      'invalid-json',
      'The body is not valid JSON: duplicate member "a" at offset 7.',
    ]);
  });
});
