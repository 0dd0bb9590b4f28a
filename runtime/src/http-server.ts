/**
 * The TCP side: a keep-alive HTTP/1.1 server that turns each request into a {@link WireRequest} for the
 * dispatcher and writes the component's response back. Bodies are read whole (limit below), as Spin
 * components here do not stream.
 *
 * Hostile clients and guests: the route comes from the request target's path only, raw (dot segments and
 * percent-encoding kept, as hyper hands it to Spin); `Host` must be an authority (else 400) and is never
 * parsed into the path. Nothing a guest answers can throw past one request: an answer that cannot be
 * written becomes a last-resort 500 with the connection closed (or, once the head is out, the connection is
 * destroyed), logged, and the server goes on.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import type { ListenAddress } from './listen-address.js';
import type { WireRequest, WireResponse } from './protocol.js';
import { declaredLength, responseProblem, sendsBody } from './response-framing.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
/**
 * Request body bytes held at once, all requests together (read, queued or being served): beyond it a request
 * is answered 503 with `Retry-After` rather than buffered, so many slow uploads cannot exhaust the memory.
 */
export const MAX_BODY_BYTES_IN_FLIGHT = 256 * 1024 * 1024;
/** Connection-level headers: Node writes its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);
/**
 * Left out of a guest's answer besides those: `trailer` announces trailers, which we never send (bodies are
 * whole), and Node refuses it outright on a response framed by Content-Length.
 */
const NOT_FROM_GUEST = new Set([...HOP_BY_HOP, 'content-length', 'trailer']);

export type Handle = (request: WireRequest, clientAddr: string) => Promise<WireResponse>;

class BodyTooLarge extends Error {}
class BodyBudgetSpent extends Error {}

/** The request body bytes the server holds, against {@link MAX_BODY_BYTES_IN_FLIGHT}. */
interface BodyBudget {
  held: number;
  limit: number;
}

/** Reads the whole body, counting it against `budget` as it arrives; the caller gives `held` bytes back. */
async function readBody(req: IncomingMessage, budget: BodyBudget, held: { bytes: number }): Promise<Uint8Array | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge('request body too large');
    if (budget.held + buffer.length > budget.limit)
      throw new BodyBudgetSpent('request bodies in flight exceed the budget');
    budget.held += buffer.length;
    held.bytes += buffer.length;
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
 * The path and query of a request target as hyper's `Uri::path_and_query` gives them to Spin: origin-form
 * (`/a/../b?x`) unchanged, absolute-form (`http://h/p?q`) without its scheme and authority (`/` when it has
 * no path), a fragment dropped. Anything else (`*`, authority-form) is undefined: no component serves it.
 */
export function requestPath(target: string): string | undefined {
  const hash = target.indexOf('#');
  const noFragment = hash < 0 ? target : target.slice(0, hash);
  if (noFragment.startsWith('/')) return noFragment;
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(noFragment);
  if (!absolute) return undefined;
  const rest = noFragment.slice(absolute[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;

/** Whether `host` is an RFC 3986 authority without userinfo: reg-name, IPv4 or `[IPv6]`, and an optional port. */
export function isAuthority(host: string): boolean {
  let name = host;
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  let rest = '';
  if (host.startsWith('[')) {
    if (bracket < 0 || !isIPv6(host.slice(1, bracket))) return false;
    name = '';
    rest = host.slice(bracket + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      rest = host.slice(colon);
    }
    if (!REG_NAME.test(name)) return false;
  }
  if (rest === '') return true;
  return /^:[0-9]{0,5}$/.test(rest) && (rest.length === 1 || Number(rest.slice(1)) <= 65535);
}

function hostHeaders(raw: string[]): string[] {
  const hosts: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if ((raw[i] ?? '').toLowerCase() === 'host') hosts.push(raw[i + 1] ?? '');
  return hosts;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res
    .writeHead(status, STATUS_CODES[status] ?? '', {
      'content-type': 'text/plain',
      'content-length': String(Buffer.byteLength(text)),
      connection: 'close',
    })
    .end(text);
}

/**
 * Writes the answer framed as Spin's server (hyper) frames it: the guest's Content-Length when it declared one,
 * chunked when it wrote a body of undeclared length (Node's default too), and `Content-Length: 0` when there
 * is no body at all, except where HTTP allows none (HEAD, 1xx, 204, 304); Node would send that one chunked.
 * Like hyper, no Connection or Keep-Alive header on a persistent HTTP/1.1 connection (Spin's conformance cases
 * count them as unexpected headers); HTTP/1.0 clients still get `Connection: keep-alive`, which they need.
 * Throws when the answer cannot be sent (see response-framing.ts); the caller answers a last-resort 500.
 */
function writeResponse(req: IncomingMessage, res: ServerResponse, response: WireResponse): void {
  const method = req.method ?? 'GET';
  const problem = responseProblem(response, method);
  if (problem) throw new Error(`invalid response: ${problem}`);
  const headers: Record<string, string[]> = {};
  for (const [name, value] of response.headers) {
    const key = name.toLowerCase();
    if (NOT_FROM_GUEST.has(key)) continue;
    (headers[key] ??= []).push(value);
  }
  const declared = declaredLength(response.headers);
  const length = 'length' in declared ? declared.length : undefined;
  // RFC 9110 8.6: no Content-Length on a 204 (nor a 1xx, which never gets here).
  if (length !== undefined && response.status !== 204) headers['content-length'] = [String(length)];
  else if (sendsBody(method, response.status) && response.body.length === 0) headers['content-length'] = ['0'];
  if (response.closeConnection) headers.connection = ['close'];
  else if (req.httpVersion === '1.1' && res.shouldKeepAlive) res.removeHeader('connection');
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

export interface ServerOptions {
  /** Receives a line for each answer that could not be written (default: stderr). */
  log?: (line: string) => void;
  /** Default {@link MAX_BODY_BYTES_IN_FLIGHT}. */
  maxBodyBytesInFlight?: number;
}

export async function startServer(
  address: ListenAddress,
  handle: Handle,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const budget: BodyBudget = { held: 0, limit: options.maxBodyBytesInFlight ?? MAX_BODY_BYTES_IN_FLIGHT };

  /** Whatever went wrong, this request gets an answer (or its connection is cut) and the server lives. */
  const lastResort = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    const why = error instanceof Error ? error.message : String(error);
    try {
      if (res.headersSent) {
        log(
          `${req.method ?? '-'} ${req.url ?? '-'} - connection closed: the answer failed after its head was sent: ${why}`,
        );
        res.destroy();
        return;
      }
      log(`${req.method ?? '-'} ${req.url ?? '-'} 500 - the answer could not be written: ${why}`);
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      plain(res, 500, 'Internal Server Error');
    } catch {
      res.destroy();
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const clientAddr = socketAddr(req.socket.remoteAddress, req.socket.remotePort);
    const pathWithQuery = requestPath(req.url ?? '');
    const hosts = hostHeaders(req.rawHeaders);
    // As Spin (trigger-http's `set_req_uri`): no Host (HTTP/1.0) reads as `localhost`.
    const authority = hosts[0] ?? 'localhost';
    if (pathWithQuery === undefined || hosts.length > 1 || !isAuthority(authority)) {
      plain(res, 400, 'Bad Request');
      return;
    }
    // A declared length over the limit is refused before a byte of it is read.
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      plain(res, 413, 'Payload Too Large');
      return;
    }
    const held = { bytes: 0 };
    try {
      let body: Uint8Array | null;
      try {
        body = await readBody(req, budget, held);
      } catch (error) {
        if (error instanceof BodyBudgetSpent) {
          res.setHeader('retry-after', '1');
          plain(res, 503, 'Service Unavailable: too many request bodies in flight, retry later');
        } else {
          const tooLarge = error instanceof BodyTooLarge;
          plain(res, tooLarge ? 413 : 400, tooLarge ? 'Payload Too Large' : 'Bad Request');
        }
        return;
      }
      const request: WireRequest = {
        method: req.method ?? 'GET',
        url: `http://${authority}${pathWithQuery}`,
        authority,
        pathWithQuery,
        headers: headerPairs(req.rawHeaders),
        body,
      };
      writeResponse(req, res, await handle(request, clientAddr));
    } finally {
      budget.held -= held.bytes;
    }
  };

  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    serve(req, res).catch((error: unknown) => lastResort(req, res, error));
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
