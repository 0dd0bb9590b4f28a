/**
 * Replays one case of Spin's conformance suite (github.com/fermyon/conformance-tests, tests/<case>/) on the
 * local runtime, following the suite's documented test manifest (docs/test-manifest.md): start the case's
 * spin.toml, provide its preconditions, send each invocation's request over real HTTP and compare the
 * response as the suite does (status, body, then headers: each expected header present unless optional,
 * with the expected value if one is given, compared without case, and no other header at all).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpinRuntime } from '../../runtime/tests/support/runtime';

export const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));

/** The commit of github.com/fermyon/conformance-tests the cases were taken from (cases/SOURCES.md). */
export const SUITE_COMMIT = '61f2799f92b5d85f342cc07e3f5dec5cd0a7bc9c';

interface CaseHeader {
  name: string;
  value?: string;
  optional?: boolean;
}

export interface Invocation {
  request: { method?: 'GET' | 'POST'; path: string; headers?: { name: string; value: string }[]; body?: string };
  response: { status?: number; headers: CaseHeader[]; body?: string };
}

export interface CaseManifest {
  invocations: Invocation[];
  /** `sqlite`, `key-value-store` (with `label`), `http-echo`, `redis`, ... */
  preconditions?: { kind: string; label?: string }[];
}

export function readCase(name: string): { test: CaseManifest; spinToml: string } {
  return {
    test: JSON.parse(readFileSync(join(casesDir, name, 'test.json'), 'utf8')) as CaseManifest,
    spinToml: readFileSync(join(casesDir, name, 'spin.toml'), 'utf8'),
  };
}

/** The suite's `%{port=N}` template: the host port of the service that stands for guest port N. */
function substitutePorts(text: string, ports: Record<number, number>): string {
  return text.replace(/%\{port=(\d+)\}/g, (_match, guest: string) => {
    const port = ports[Number(guest)];
    if (port === undefined) throw new Error(`no service provides port ${guest}`);
    return String(port);
  });
}

/**
 * The case's spin.toml with its component played by our guest: `source = "%{source=<name>}"` becomes our
 * Wasm, plus `environment = { CONFORMANCE_COMPONENT = "<name>" }` so the guest knows which component to
 * play. Routes, permissions and variables stay exactly as the case wrote them.
 */
export function adaptManifest(spinToml: string, wasm: string, ports: Record<number, number> = {}): string {
  let sources = 0;
  const adapted = spinToml.replace(/^source = "%\{source=([a-z0-9.-]+)\}"$/gm, (_line, component: string) => {
    sources += 1;
    return `source = ${JSON.stringify(wasm)}\nenvironment = { CONFORMANCE_COMPONENT = "${component}" }`;
  });
  if (sources !== 1) throw new Error(`expected one 'source = "%{source=...}"' line, found ${sources}`);
  const result = substitutePorts(adapted, ports);
  if (result.includes('%{')) throw new Error(`unsupported template left in the manifest: ${result}`);
  return result;
}

export function writeAdaptedManifest(
  dir: string,
  spinToml: string,
  wasm: string,
  ports: Record<number, number>,
): string {
  const file = join(dir, 'spin.toml');
  writeFileSync(file, adaptManifest(spinToml, wasm, ports));
  return file;
}

export interface Received {
  status: number;
  /** Lower-case names, as the suite's runner collects them (one value per name). */
  headers: Map<string, string>;
  body: string;
}

/** Sends a case's request to the runtime's TCP listener, headers as written (a `Host` header included). */
export function send(spin: SpinRuntime, invocation: Invocation, ports: Record<number, number>): Promise<Received> {
  const base = new URL(spin.url ?? '');
  const { request } = invocation;
  const headers: Record<string, string> = {};
  for (const { name, value } of request.headers ?? []) headers[name] = substitutePorts(value, ports);
  // A keep-alive connection, as the suite's client (reqwest) uses: a server answers `Connection: close` in kind.
  const agent = new Agent({ keepAlive: true });
  return new Promise<Received>((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: base.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: base.port,
        method: request.method ?? 'GET',
        path: request.path,
        headers,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const received = new Map<string, string>();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            received.set((res.rawHeaders[i] ?? '').toLowerCase(), res.rawHeaders[i + 1] ?? '');
          resolve({ status: res.statusCode ?? 0, headers: received, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  }).finally(() => agent.destroy());
}

/** The suite's response check; returns the differences, empty when the response conforms. */
export function differences(expected: Invocation['response'], actual: Received): string[] {
  const problems: string[] = [];
  const status = expected.status ?? 200;
  if (actual.status !== status) problems.push(`status ${actual.status}, expected ${status} (body: ${actual.body})`);
  if (actual.body !== (expected.body ?? ''))
    problems.push(`body ${JSON.stringify(actual.body)}, expected ${JSON.stringify(expected.body ?? '')}`);
  const left = new Map(actual.headers);
  for (const header of expected.headers) {
    const name = header.name.toLowerCase();
    const value = left.get(name);
    left.delete(name);
    if (value === undefined) {
      if (!header.optional) problems.push(`header '${header.name}' missing`);
    } else if (header.value !== undefined && value.toLowerCase() !== header.value.toLowerCase()) {
      problems.push(`header '${header.name}' is '${value}', expected '${header.value}'`);
    }
  }
  for (const [name, value] of left) problems.push(`unexpected header '${name}: ${value}'`);
  return problems;
}

/**
 * The suite's `http-echo` service (crates/test-environment/services/http-echo.py), rebuilt on Node: it
 * answers a POST with `200`, `Content-type: text/plain` and the request's body, as an HTTP/1.0 server that
 * closes the connection (no length, no chunking), like Python's `BaseHTTPRequestHandler`.
 */
export async function startHttpEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const answer = (socket: Socket, head: string, body: Buffer): void => {
    const method = head.split(' ', 1)[0];
    const status = method === 'POST' ? '200 OK' : '501 Unsupported method';
    socket.end(
      Buffer.concat([
        Buffer.from(
          `HTTP/1.0 ${status}\r\nServer: conformance-http-echo\r\nDate: ${new Date().toUTCString()}\r\nContent-type: text/plain\r\n\r\n`,
        ),
        method === 'POST' ? body : Buffer.alloc(0),
      ]),
    );
  };
  const server: Server = createServer((socket) => {
    let received = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.subarray(0, end).toString('latin1');
      const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? '0');
      const body = received.subarray(end + 4);
      if (body.length >= length) answer(socket, head, body.subarray(0, length));
    });
  });
  // `localhost` may resolve to ::1 or 127.0.0.1: listen on both (dual-stack).
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('echo server has no port');
  return { port: address.port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
