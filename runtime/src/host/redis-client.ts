/**
 * A small Redis client (RESP2 over one TCP connection) for the key-value API's Redis stores, on the main
 * thread. What Spin's store needs and no more: GET, SET, DEL, EXISTS, KEYS, binary-safe, commands pipelined
 * in order on one connection.
 *
 * - **Connects on first use**, so a Redis that is down at start does not stop the runtime: calls fail until it
 *   is up, then the next call connects.
 * - **Every call has a time limit** (`timeoutMs`, the runtime's `--redis-timeout`): a hung or unreachable Redis
 *   costs a call that long. A call that times out, or any socket error, drops the connection and fails every
 *   call waiting on it (their replies could no longer be told apart); the next call reconnects.
 * - URLs as Spin's `redis` crate takes them: `redis://[[user]:password@]host[:port][/db]` (`rediss://` is not
 *   supported here: no TLS).
 */
import { Socket } from 'node:net';

export type RespValue = null | number | Buffer | RespValue[] | { simple: string };

/** A Redis error reply (`-ERR ...`), or a failure to reach Redis. */
export class RedisError extends Error {}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

/** Reads a `redis://` URL; throws a message naming what is wrong. */
export function parseRedisUrl(text: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`'${text}' is not a URL (expected redis://host:port)`);
  }
  if (url.protocol !== 'redis:') throw new Error(`'${text}': only redis:// URLs are supported (no TLS)`);
  const db = url.pathname === '' || url.pathname === '/' ? 0 : Number(url.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`'${text}': the database must be a number (redis://host:port/0)`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
  };
}

/** One RESP value from `buffer` at `offset`: the value and where it ends, or undefined when more bytes are needed. */
function parseReply(buffer: Buffer, offset: number): { value: RespValue | RedisError; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: { simple: line }, end: next };
    case '-':
      return { value: new RedisError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: Buffer.from(buffer.subarray(next, next + length)), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        if (!item) return undefined;
        if (item.value instanceof RedisError) return { value: item.value, end: item.end };
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new RedisError(`unexpected reply from Redis (type byte ${JSON.stringify(type)})`);
  }
}

function encodeCommand(args: readonly (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes =
      typeof arg === 'string' ? Buffer.from(arg, 'utf8') : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RedisClient {
  readonly #target: RedisTarget;
  readonly #timeoutMs: number;
  #socket: Socket | undefined;
  /** Resolves when the connection (and its AUTH and SELECT) is ready; rejects when it could not be made. */
  #ready: Promise<void> | undefined;
  #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;

  constructor(url: string, timeoutMs: number) {
    this.#target = parseRedisUrl(url);
    this.#timeoutMs = timeoutMs;
  }

  /** Runs one command within the time limit. Rejects with a {@link RedisError} for an error reply or a failure. */
  async command(args: readonly (string | Uint8Array)[]): Promise<RespValue> {
    if (this.#closed) throw new RedisError('the Redis client is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new RedisError(
          `no answer from Redis at ${this.#target.host}:${this.#target.port} within ${this.#timeoutMs} ms`,
        );
        this.#drop(error);
        reject(error);
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([
        (async () => {
          await this.#connect();
          return this.#send(args);
        })(),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#closed = true;
    this.#drop(new RedisError('the Redis client is closed'));
  }

  #connect(): Promise<void> {
    if (this.#ready) return this.#ready;
    const { host, port, db, username, password } = this.#target;
    const socket = new Socket();
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (error) => this.#drop(new RedisError(`Redis at ${host}:${port}: ${error.message}`), socket));
    socket.on('close', () => this.#drop(new RedisError(`the connection to Redis at ${host}:${port} closed`), socket));
    const ready = new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }).then(async () => {
      if (password !== undefined)
        await this.#send(username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
      if (db !== 0) await this.#send(['SELECT', String(db)]);
    });
    // A failed connection is forgotten at once: the next call tries again.
    this.#ready = ready.catch((error: unknown) => {
      if (this.#socket === socket) this.#ready = undefined;
      throw error instanceof RedisError
        ? error
        : new RedisError(`Redis at ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
    });
    socket.connect(port, host);
    return this.#ready;
  }

  #send(args: readonly (string | Uint8Array)[]): Promise<RespValue> {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return Promise.reject(new RedisError('not connected to Redis'));
    return new Promise<RespValue>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      socket.write(encodeCommand(args));
    });
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.#socket) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let offset = 0;
    for (;;) {
      let reply: ReturnType<typeof parseReply>;
      try {
        reply = parseReply(this.#buffer, offset);
      } catch (error) {
        this.#drop(error instanceof Error ? error : new RedisError(String(error)));
        return;
      }
      if (!reply) break;
      offset = reply.end;
      const pending = this.#pending.shift();
      if (reply.value instanceof RedisError) pending?.reject(reply.value);
      else pending?.resolve(reply.value);
    }
    this.#buffer = this.#buffer.subarray(offset);
  }

  /** Drops the connection (if `socket` is given, only when it is still the current one) and fails what waits on it. */
  #drop(error: Error, socket: Socket | undefined = this.#socket): void {
    if (socket !== this.#socket || !socket) return;
    this.#socket = undefined;
    this.#ready = undefined;
    socket.destroy();
    const pending = this.#pending;
    this.#pending = [];
    for (const call of pending) call.reject(error);
  }
}
