/**
 * The TCP side: a keep-alive HTTP/1.1 server that turns each request into a {@link WireRequest} for the
 * dispatcher and writes the component's response back. Bodies are read whole (limit below), as Spin
 * components here do not stream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import type { ListenAddress } from './listen-address.js';
import type { WireRequest, WireResponse } from './protocol.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Connection-level headers: Node writes its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

export type Handle = (request: WireRequest, clientAddr: string) => Promise<WireResponse>;

async function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return size === 0 ? null : new Uint8Array(Buffer.concat(chunks));
}

function headerPairs(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (!HOP_BY_HOP.has(name)) pairs.push([name, raw[i + 1] ?? '']);
  }
  return pairs;
}

/**
 * Writes the answer framed as Spin's server (hyper) frames it: the guest's Content-Length when it declared one,
 * chunked when it wrote a body of undeclared length (Node's default too), and `Content-Length: 0` when there
 * is no body at all, except where HTTP allows none (HEAD, 1xx, 204, 304); Node would send that one chunked.
 * Like hyper, no Connection or Keep-Alive header on a persistent HTTP/1.1 connection (Spin's conformance cases
 * count them as unexpected headers); HTTP/1.0 clients still get `Connection: keep-alive`, which they need.
 */
function writeResponse(req: IncomingMessage, res: ServerResponse, response: WireResponse): void {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of response.headers) {
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    (headers[name.toLowerCase()] ??= []).push(value);
  }
  const bodyless = req.method === 'HEAD' || response.status < 200 || response.status === 204 || response.status === 304;
  if (!bodyless && response.body.length === 0 && !headers['content-length']) headers['content-length'] = ['0'];
  if (req.httpVersion === '1.1' && res.shouldKeepAlive) res.removeHeader('connection');
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** The client's address as Spin's `spin-client-addr` gives it (Rust's SocketAddr): `[v6]:port` or `v4:port`. */
function socketAddr(address: string | undefined, port: number | undefined): string {
  const host = address ?? '0.0.0.0';
  return `${isIPv6(host) ? `[${host}]` : host}:${port ?? 0}`;
}

export interface RunningServer {
  url: string;
  /** Stops accepting connections and resolves once open connections are closed. */
  close(): Promise<void>;
}

export async function startServer(address: ListenAddress, handle: Handle): Promise<RunningServer> {
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    const clientAddr = socketAddr(req.socket.remoteAddress, req.socket.remotePort);
    const authority = req.headers.host ?? `${address.host}:${address.port}`;
    readBody(req)
      .then((body) => handle({ method: req.method ?? 'GET', url: `http://${authority}${req.url ?? '/'}`, headers: headerPairs(req.rawHeaders), body }, clientAddr))
      .then(
        (response) => writeResponse(req, res, response),
        (error: unknown) => {
          const tooLarge = error instanceof Error && error.message === 'request body too large';
          res.writeHead(tooLarge ? 413 : 400, { 'content-type': 'text/plain' }).end(tooLarge ? 'Payload Too Large' : 'Bad Request');
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets with no request in flight would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}
