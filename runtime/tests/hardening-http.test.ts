/**
 * The HTTP side against hostile guests and clients, over real sockets (the runtime listening on 127.0.0.1:0):
 * header names and values a guest may not send (wasi:http `fields` refuses them as Spin does), a guest
 * answer that cannot be written (a last-resort 500, the server lives), a body that does not match its
 * declared content-length (never leaks into the next answer on a keep-alive connection), the `Host` header
 * (validated, never used for routing) and dot segments (routed raw, as Spin does). Ends with a seeded fuzz
 * of guest answers after which the server must still answer.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from './support/prng';
import type * as FieldsModule from '../src/host/http/header-fields.js';
import type * as HttpServerModule from '../src/http-server.js';
import type { WireResponse } from '../src/protocol.js';
import { json, packageRoot, startFixture, tempDir, type SpinRuntime } from './support/runtime';

interface RawResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

interface Exchange {
  responses: RawResponse[];
  /** Bytes after the last well-formed response (a leaked body shows up here). */
  rest: Buffer;
  /** The server closed the connection (before our time limit). */
  closed: boolean;
}

const header = (response: RawResponse, name: string): string | undefined =>
  response.headers.find(([n]) => n === name)?.[1];

/** Parses HTTP/1.1 responses back to back, framed by content-length or chunked (or to the end of the data). */
function parseResponses(data: Buffer, methods: string[]): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0 || !data.subarray(at, at + 5).equals(Buffer.from('HTTP/'))) break;
    const [statusLine = '', ...lines] = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const headers = lines.map((line): [string, string] => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]);
    let bodyStart = headEnd + 4;
    let body: Buffer;
    const length = headers.find(([n]) => n === 'content-length')?.[1];
    const bodyless = methods[responses.length] === 'HEAD' || status < 200 || status === 204 || status === 304;
    if (bodyless) {
      body = Buffer.alloc(0);
    } else if (headers.some(([n, v]) => n === 'transfer-encoding' && v === 'chunked')) {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', bodyStart);
        if (lineEnd < 0) return { responses, rest: data.subarray(at) };
        const size = parseInt(data.subarray(bodyStart, lineEnd).toString(), 16);
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(chunks);
      at = bodyStart;
      responses.push({ status, headers, body });
      continue;
    } else if (length !== undefined) {
      if (bodyStart + Number(length) > data.length) return { responses, rest: data.subarray(at) };
      body = data.subarray(bodyStart, bodyStart + Number(length));
      bodyStart += Number(length);
    } else {
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    responses.push({ status, headers, body });
    at = bodyStart;
  }
  return { responses, rest: data.subarray(at) };
}

/** Sends raw bytes on one connection and reads until the server closes it or `waitMs` passes. */
async function exchange(port: number, raw: string | Buffer, methods: string[] = [], waitMs = 5000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      resolve({ ...parseResponses(data, methods), closed });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? ((closed = true), finish()) : reject(error),
    );
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.write(raw);
  });
}

const get = (path: string, extra = '', host = '127.0.0.1'): string =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
const getClose = (path: string, host = '127.0.0.1'): string => get(path, 'Connection: close\r\n', host);

describe('HTTP hardening, over real sockets', () => {
  const state = tempDir();
  const lines: string[] = [];
  let spin: SpinRuntime;
  let port: number;

  /** The server still answers health and a normal route (over a fresh connection). */
  async function stillServing(): Promise<void> {
    const health = await fetch(`${spin.url}/.well-known/spin/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('OK');
    const count = await fetch(`${spin.url}/a/db/count`);
    expect(count.status).toBe(200);
    expect(await json(count)).toEqual({ n: 0 });
  }

  beforeAll(async () => {
    spin = await startFixture(state.path, { listen: '127.0.0.1:0', log: (line) => lines.push(line) });
    port = Number(new URL(spin.url ?? '').port);
  });
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  describe('wasi:http fields refuse what Spin refuses', () => {
    let Fields: typeof FieldsModule.Fields;
    beforeAll(async () => {
      ({ Fields } = (await import(join(packageRoot, 'dist/host/http/header-fields.js'))) as typeof FieldsModule);
    });
    const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
    const invalidSyntax = { tag: 'invalid-syntax' };

    it('refuses control characters in values at fromList, set and append', () => {
      for (const value of ['a\x01b', '\x7f', '\x1b', 'a\r\nb', 'a\nb', 'a\rb', '\x00', 'a\x00']) {
        expect(() => Fields.fromList([['x-a', bytes(value)]]), JSON.stringify(value)).toThrow(
          expect.objectContaining(invalidSyntax),
        );
        expect(() => new Fields().set('x-a', [bytes('ok'), bytes(value)]), JSON.stringify(value)).toThrow(
          expect.objectContaining(invalidSyntax),
        );
        expect(() => new Fields().append('x-a', bytes(value)), JSON.stringify(value)).toThrow(
          expect.objectContaining(invalidSyntax),
        );
      }
    });

    it('refuses names that are not tokens', () => {
      for (const name of ['', 'a b', 'a:b', 'x\x01', 'é', 'a\r\nb', '(x)']) {
        expect(() => Fields.fromList([[name, bytes('v')]]), JSON.stringify(name)).toThrow(
          expect.objectContaining(invalidSyntax),
        );
        expect(() => new Fields().set(name, [bytes('v')]), JSON.stringify(name)).toThrow(
          expect.objectContaining(invalidSyntax),
        );
        expect(() => new Fields().append(name, bytes('v')), JSON.stringify(name)).toThrow(
          expect.objectContaining(invalidSyntax),
        );
      }
    });

    it('accepts what the http crate accepts: HTAB, spaces, visible ASCII, obs-text bytes, an empty value', () => {
      const fields = Fields.fromList([
        ['X-Mixed-Case', bytes('a\tb c')],
        ['x-b', Uint8Array.of(0x80, 0xff, 0xc3, 0xa9)],
        ['x-c', new Uint8Array(0)],
        ['x-d', bytes(' padded ')],
      ]);
      fields.append('x-e', bytes('!"#~'));
      fields.set('x-f', [bytes('\tv')]);
      expect(fields.get('x-mixed-case')).toEqual([bytes('a\tb c')]);
      expect(fields.get('x-b')).toEqual([Uint8Array.of(0x80, 0xff, 0xc3, 0xa9)]);
    });
  });

  describe('a guest answer that cannot be written', () => {
    it('answers 500 for a header value with a control character, and the server lives', async () => {
      for (const value of ['%01', 'a%01b', '%7F', '%1B', '%00', 'a%0D%0Ab']) {
        const { responses } = await exchange(port, getClose(`/a/respond?header=x-a:${value}&body=hi`), ['GET']);
        expect(
          responses.map((r) => r.status),
          value,
        ).toEqual([500]);
      }
      await stillServing();
    });

    it('passes header values byte for byte: obs-text neither crashes the server nor is re-encoded', async () => {
      // The guest sends "é" as the one byte 0xE9 (a JS ByteString); it used to be decoded as UTF-8 into U+FFFD,
      // which Node's writeHead refused with ERR_INVALID_CHAR outside any request's error handling.
      const { responses } = await exchange(port, getClose('/a/respond?header=x-a:%C3%A9&body=hi'), ['GET']);
      expect(responses.map((r) => r.status)).toEqual([200]);
      expect(Buffer.from(header(responses[0] as RawResponse, 'x-a') ?? '', 'latin1')).toEqual(Buffer.of(0xe9));
      expect((await spin.fetch('/a/respond?header=x-a:%C3%A9')).headers.get('x-a')).toBe('\u00e9');
      // A character the guest cannot send at all is its own 500.
      const refused = await exchange(port, getClose('/a/respond?header=x-a:%E2%82%AC&body=hi'), ['GET']);
      expect(refused.responses.map((r) => r.status)).toEqual([500]);
      await stillServing();
    });

    it('answers a 1xx status from a guest with 500, as hyper does', async () => {
      const { responses } = await exchange(port, getClose('/a/respond?status=100&body=x'), ['GET']);
      expect(responses.map((r) => r.status)).toEqual([500]);
      expect((await spin.fetch('/a/respond?status=101')).status).toBe(500);
      await stillServing();
    });
  });

  describe('the per-request boundary of the HTTP server', () => {
    /** A server of its own whose handler answers what a test gives it (no guest could send these). */
    async function serverAnswering(
      answer: () => Promise<WireResponse>,
      maxBodyBytesInFlight?: number,
    ): Promise<{ port: number; logged: string[]; close(): Promise<void> }> {
      const { startServer } = (await import(join(packageRoot, 'dist/http-server.js'))) as typeof HttpServerModule;
      const logged: string[] = [];
      const server = await startServer({ host: '127.0.0.1', port: 0 }, answer, {
        log: (line) => logged.push(line),
        ...(maxBodyBytesInFlight === undefined ? {} : { maxBodyBytesInFlight }),
      });
      return { port: Number(new URL(server.url).port), logged, close: () => server.close() };
    }

    it('answers a last-resort 500 when an answer cannot be written or the handler fails, and lives on', async () => {
      const answers: (() => Promise<WireResponse>)[] = [
        () => Promise.resolve({ status: 200, headers: [['x-a', '\u20ac']], body: new Uint8Array(0) }),
        () => Promise.resolve({ status: 200, headers: [['bad name', 'v']], body: new Uint8Array(0) }),
        () => Promise.resolve({ status: 200, headers: [['x-a', 'a\r\nb']], body: new Uint8Array(0) }),
        () => Promise.reject(new Error('the dispatcher failed')),
        () => Promise.resolve({ status: 700, headers: [], body: new Uint8Array(0) }),
      ];
      let next = 0;
      const ok: WireResponse = { status: 200, headers: [], body: new TextEncoder().encode('fine') };
      const server = await serverAnswering(() =>
        next < answers.length ? (answers[next++] as () => Promise<WireResponse>)() : Promise.resolve(ok),
      );
      try {
        for (let i = 0; i < answers.length; i++) {
          const { responses, closed } = await exchange(server.port, get('/x'), ['GET']);
          expect(
            responses.map((r) => `${r.status} ${r.body.toString()}`),
            String(i),
          ).toEqual(['500 Internal Server Error']);
          expect(closed).toBe(true);
        }
        expect(server.logged).toHaveLength(answers.length);
        const after = await exchange(server.port, getClose('/x'), ['GET']);
        expect(after.responses.map((r) => r.body.toString())).toEqual(['fine']);
      } finally {
        await server.close();
      }
    });

    it('refuses a declared body over 16 MB at once (413), without waiting for it', async () => {
      const { responses, closed } = await exchange(
        port,
        'POST /a/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n',
        ['POST'],
        3000,
      );
      expect(responses.map((r) => r.status)).toEqual([413]);
      expect(closed).toBe(true);
    });

    it('answers 503 with Retry-After once the request bodies held at once pass their budget, and frees it after', async () => {
      const ok: WireResponse = { status: 200, headers: [], body: new TextEncoder().encode('fine') };
      const server = await serverAnswering(() => Promise.resolve(ok), 1000);
      const post = (length: number, body: string): string =>
        `POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n${body}`;
      try {
        // A slow upload holds 600 of its 800 bytes...
        const slow = connect(server.port, '127.0.0.1');
        const slowData: Buffer[] = [];
        slow.on('data', (chunk: Buffer) => slowData.push(chunk));
        const slowEnded = new Promise<void>((resolve) => slow.on('close', () => resolve()));
        slow.write(post(800, 'a'.repeat(600)));
        await new Promise((resolve) => setTimeout(resolve, 200));
        // ...so a second body of 600 bytes does not fit: 503 at once, told when to retry.
        const refused = await exchange(server.port, post(600, 'b'.repeat(600)), ['POST'], 3000);
        expect(refused.responses.map((r) => [r.status, header(r, 'retry-after')])).toEqual([[503, '1']]);
        // The slow upload completes and is answered; its bytes are given back, so the same body now fits.
        slow.write('a'.repeat(200));
        await slowEnded;
        expect(Buffer.concat(slowData).toString()).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\nfine\r\n/);
        const accepted = await exchange(server.port, post(600, 'c'.repeat(600)), ['POST'], 3000);
        expect(accepted.responses.map((r) => [r.status, r.body.toString()])).toEqual([[200, 'fine']]);
      } finally {
        await server.close();
      }
    });

    it('drops a trailer header from a guest (no trailers are ever sent) instead of failing', async () => {
      const { responses } = await exchange(
        port,
        getClose('/a/respond?header=trailer:x-t&header=content-length:2&body=hi'),
        ['GET'],
      );
      expect(responses.map((r) => [r.status, header(r, 'trailer'), r.body.toString()])).toEqual([
        [200, undefined, 'hi'],
      ]);
    });
  });

  describe('a body that does not match its content-length', () => {
    for (const [what, body] of [
      ['longer', 'hello%20world'],
      ['shorter', 'he'],
    ] as const) {
      it(`ends the exchange on a ${what} body: nothing leaks into the next answer`, async () => {
        const first = get(`/a/respond?header=content-length:4&body=${body}`);
        const { responses, rest, closed } = await exchange(port, first + getClose('/a/echo'), ['GET', 'GET']);
        expect(rest.toString('latin1')).toBe('');
        expect(responses[0]?.status).toBe(500);
        // The connection is closed after the failed answer; the pipelined request is never answered.
        expect(responses).toHaveLength(1);
        expect(closed).toBe(true);
        expect(lines.some((line) => line.includes('content-length'))).toBe(true);
      });
    }

    it('sends no content-length with a 204, whatever the guest declared', async () => {
      const { responses } = await exchange(port, getClose('/a/respond?status=204&header=content-length:10'), ['GET']);
      expect(responses.map((r) => [r.status, header(r, 'content-length')])).toEqual([[204, undefined]]);
    });

    it('keeps a matching content-length, and the connection alive', async () => {
      const first = get('/a/respond?header=content-length:5&body=hello');
      const { responses, rest } = await exchange(port, first + getClose('/a/respond?body=second'), ['GET', 'GET']);
      expect(rest.length).toBe(0);
      expect(responses.map((r) => [r.status, r.body.toString()])).toEqual([
        [200, 'hello'],
        [200, 'second'],
      ]);
    });

    it('treats the mismatch as a failed answer in-process and for a chained caller too', async () => {
      expect((await spin.fetch('/a/respond?header=content-length:4&body=hello%20world')).status).toBe(500);
      // Chained calls skip the routes: spin-path-info is the whole path, so `/respond` reaches that handler.
      const viaBeta = (await json(
        await spin.fetch(
          `/a/deeper/chain?to=alpha&path=${encodeURIComponent('/respond?header=content-length:4&body=hello world')}`,
        ),
      )) as { status?: number };
      expect(viaBeta.status).toBe(500);
    });
  });

  describe('the Host header', () => {
    it('never routes: a Host carrying a path is refused with 400', async () => {
      const { responses } = await exchange(port, getClose('/f/echo', 'x/a/kv/get?key=secret#'), ['GET']);
      expect(responses.map((r) => r.status)).toEqual([400]);
      expect(responses[0]?.body.toString()).not.toContain('value');
    });

    it('refuses what is not an authority', async () => {
      for (const host of ['a b', 'x@y', 'host:port', 'host:99999', '[::1', 'a/b', 'a?b', 'a#b', '', 'h:1:2', '[zz]']) {
        const { responses } = await exchange(port, getClose('/f/echo', host), ['GET']);
        expect(
          responses.map((r) => r.status),
          JSON.stringify(host),
        ).toEqual([400]);
      }
      const twice = await exchange(port, 'GET /f/echo HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', [
        'GET',
      ]);
      expect(twice.responses.map((r) => r.status)).toEqual([400]);
    });

    it('accepts reg-names, IPv4 and [IPv6] with a port, and the guest sees it as its authority', async () => {
      for (const host of [
        'example.com',
        'EXAMPLE.com:80',
        'example.com:8080',
        '10.0.0.1:1',
        '[::1]:3000',
        '[::1]',
        'xn--bcher-kva.example',
        'a-b_c~d.e!f$',
      ]) {
        const { responses } = await exchange(port, getClose('/f/echo', host), ['GET']);
        expect(
          responses.map((r) => r.status),
          host,
        ).toEqual([200]);
        const echo = JSON.parse(responses[0]?.body.toString() ?? '{}') as { headers: Record<string, string> };
        expect(echo.headers['spin-matched-route'], host).toBe('/f/...');
        expect(echo.headers['spin-full-url'], host).toBe(`http://${host}/f/echo`);
      }
    });
  });

  describe('dot segments and encoded characters reach the router raw', () => {
    for (const path of ['/f/../a/echo', '/f/%2e%2e/a/echo', '/f/./a/echo', '/f/%2E%2E/%2e%2e/a/kv/get?key=secret']) {
      it(`routes ${path} to the component whose route prefixes it, path unchanged`, async () => {
        const { responses } = await exchange(port, getClose(path), ['GET']);
        expect(responses.map((r) => r.status)).toEqual([200]);
        const echo = JSON.parse(responses[0]?.body.toString() ?? '{}') as { headers: Record<string, string> };
        const [pathOnly = '', query] = path.split('?');
        expect(echo.headers['spin-matched-route']).toBe('/f/...');
        expect(echo.headers['spin-path-info']).toBe(pathOnly.slice('/f'.length));
        expect(echo.headers['spin-full-url']).toBe(`http://127.0.0.1${path}`);
        void query;
        expect(lines.some((line) => line.startsWith(`GET ${pathOnly} fallback 200`))).toBe(true);
      });
    }

    it('does not route /a/../f/... away from alpha either', async () => {
      const { responses } = await exchange(port, getClose('/a/../f/echo'), ['GET']);
      const echo = JSON.parse(responses[0]?.body.toString() ?? '{}') as { headers: Record<string, string> };
      expect(echo.headers['spin-matched-route']).toBe('/a/...');
      expect(echo.headers['spin-path-info']).toBe('/../f/echo');
    });

    it('takes the path of an absolute-form request target, never its authority', async () => {
      const { responses } = await exchange(port, getClose('http://evil/a/../f/echo?x=1'), ['GET']);
      expect(responses.map((r) => r.status)).toEqual([200]);
      const echo = JSON.parse(responses[0]?.body.toString() ?? '{}') as { headers: Record<string, string> };
      expect(echo.headers['spin-matched-route']).toBe('/a/...');
      expect(echo.headers['spin-full-url']).toBe('http://127.0.0.1/a/../f/echo?x=1');
    });

    it('answers 400 for a request target that is neither origin- nor absolute-form', async () => {
      const { responses } = await exchange(port, 'OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', [
        'OPTIONS',
      ]);
      expect(responses.map((r) => r.status)).toEqual([400]);
    });
  });

  it(
    'survives a seeded fuzz of guest answers (headers, content-lengths, statuses, bodies)',
    { timeout: 60_000 },
    async () => {
      const seed = 20261130;
      const random = prng(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const int = (max: number): number => Math.floor(random() * max);
      const nameChars = 'abcxyz-_!#$%&\'*+.^`|~019ABC \t:;"(),/<=>?@[\\]{}\x01\x7f\x00é';
      const valueChars = 'abc xyz\t!"#~\x00\x01\x08\x0a\x0d\x1b\x1f\x7f\x80\xa0éü€😀';
      const text = (chars: string, max: number): string =>
        Array.from({ length: int(max) }, () => pick([...chars])).join('');
      const statuses = [100, 101, 103, 199, 200, 201, 204, 205, 299, 304, 400, 404, 418, 500, 503, 599, 600, 99, 0, -1];
      const cases = 300;
      const failures: string[] = [];
      const started = Date.now();
      for (let i = 0; i < cases; i++) {
        const params = new URLSearchParams();
        params.set('status', String(pick(statuses)));
        for (let h = int(4); h > 0; h--)
          params.append('header', `${text(nameChars, 8) || 'x-fuzz'}:${text(valueChars, 12)}`);
        if (random() < 0.4)
          params.append(
            'header',
            `content-length:${pick(['0', '1', '4', '10', '-1', 'abc', '4, 4', ' 4', '99999999999999999999', ''])}`,
          );
        if (random() < 0.1) params.append('header', `transfer-encoding:${pick(['chunked', 'gzip', 'x'])}`);
        if (random() < 0.5) params.set('body', text(valueChars, 16));
        else params.set('bodyBytes', String(int(2000)));
        const method = random() < 0.15 ? 'HEAD' : 'GET';
        const path = `/a/respond?${params.toString()}`;
        // Two requests on one keep-alive connection: the second must read a well-formed answer or a closed
        // connection, never bytes of the first.
        const raw = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${getClose('/a/echo')}`;
        const { responses, rest } = await exchange(port, raw, [method, 'GET']);
        const what = `case ${i} (seed ${seed}): ${method} ${path}`;
        if (rest.length > 0)
          failures.push(
            `${what}: ${rest.length} stray bytes ${JSON.stringify(rest.subarray(0, 40).toString('latin1'))}`,
          );
        if (responses.length === 0) failures.push(`${what}: no answer`);
        const second = responses[1];
        if (second && (second.status !== 200 || !second.body.toString().includes('"url"')))
          failures.push(`${what}: second answer ${second.status}`);
      }
      expect(failures).toEqual([]);
      await stillServing();
      expect(Date.now() - started).toBeLessThan(40_000);
    },
  );
});
