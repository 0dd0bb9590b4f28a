/**
 * Messages between the main thread and the component workers, and the plain-data shapes they carry.
 * Everything here crosses `postMessage`, so it is structured-clone data: no classes, no functions.
 */
import type { MessagePort } from 'node:worker_threads';
import type { MemoryImage } from './memory-import.js';

/** An HTTP request or response head and its whole body, as it crosses threads. */
export interface WireRequest {
  method: string;
  /**
   * Absolute URL: scheme, authority, path and query. For a client's request it is built from the validated
   * `Host` and the raw request target, so it is not WHATWG-normalised: never parse it for the path (use
   * {@link pathWithQuery}); outbound calls use it to reach their target.
   */
  url: string;
  /** The authority as received (a client's validated `Host`): the guest's `authority()`, `spin-full-url`. */
  authority: string;
  /**
   * The request target's path and query exactly as received: dot segments and percent-encoding kept, as
   * hyper gives them to Spin. What routing, the `spin-*` headers and the guest's `path-with-query` use.
   */
  pathWithQuery: string;
  headers: [string, string][];
  body: Uint8Array | null;
}

export interface WireResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  /** Set by the dispatcher on the 500 that replaces an answer it could not send: HTTP closes the connection. */
  closeConnection?: true;
}

/** A `wasi:http/types.error-code` value, as jco lowers it (`{ tag: 'HTTP-request-denied' }`, ...). */
export interface HttpErrorCode {
  tag: string;
  val?: unknown;
}

/** How an outbound call ended: the answer, or the error the guest receives through its response future. */
export type OutboundOutcome = { response: WireResponse } | { error: HttpErrorCode };

/** What a worker needs to run one component: its code and exactly the resources the manifest grants it. */
export interface ComponentSetup {
  id: string;
  /** Key into {@link WorkerSetup.modules}: several components may load the same Wasm. */
  moduleKey: string;
  /** Each host API's grant, by API name (host/index.ts): database files, allowed hosts, variable values... */
  grants: Record<string, unknown>;
}

export interface TranspiledModule {
  /** file:// URL of the jco glue (ES module exporting `instantiate`). */
  glueUrl: string;
  /** Core modules, compiled once on the main thread and shared with every worker. */
  cores: Record<string, WebAssembly.Module>;
  /**
   * The core module whose memory was turned into an import (`spin-runtime`.`memory`, see
   * memory-import.ts): each instance gets a memory of `initialPages` from the worker, holding `image` when
   * the module's data segments were stripped into it (its bytes are in a SharedArrayBuffer: no copy per
   * worker), else zeroed.
   */
  ownMemory?: { core: string; initialPages: number; image?: MemoryImage };
}

/** What the main thread hands a worker for stopping its SQLite work (host/sqlite-gate.ts). */
export interface GateSetup {
  /** Its slot in the native flag table (runtime/native/spin-host-sqlite.c). */
  slot: number;
  /** One Int32 of the handshake: IDLE, NATIVE or STOPPING. */
  state: SharedArrayBuffer;
  /**
   * How long a statement waits for another connection's lock (another worker's, another process's on the same
   * file): the request's time limit, whose deadline ends the wait anyway; so a busy database costs time, and
   * answers "database is locked" only where the request would have timed out.
   */
  busyTimeoutMs: number;
}

export interface WorkerSetup {
  components: Record<string, ComponentSetup>;
  modules: Record<string, TranspiledModule>;
  /** One Int32 the main thread bumps after each reply, so a blocked guest wakes up. */
  signal: SharedArrayBuffer;
  /** Replies to outbound calls; the worker reads it synchronously with `receiveMessageOnPort`. */
  replies: MessagePort;
  /** Bytes an instance's linear memory may grow to (`--max-instance-memory`); absent: no limit. */
  maxInstanceMemory?: number;
  /** The worker's slot and handshake word for stopping its SQLite work (host/sqlite-gate.ts). */
  gate: GateSetup;
}

/** Main thread -> worker (`worker.postMessage`). */
export type ToWorker =
  { kind: 'run'; requestId: number; component: string; request: WireRequest } | { kind: 'prepare'; component: string };

/** Main thread -> worker, on the replies port. */
export type OutboundReply =
  | { kind: 'outbound-result'; callId: number; response: WireResponse }
  | { kind: 'outbound-result'; callId: number; error: HttpErrorCode }
  | HostCallReply;

/** The answer to a {@link HostCall}: its value, or the message of its failure. */
export type HostCallReply =
  { kind: 'host-result'; callId: number; value: unknown } | { kind: 'host-result'; callId: number; error: string };

/**
 * A host API call a worker cannot serve itself (it needs the main thread's event loop: a Redis connection):
 * `api` names the host API (host/api.ts `main`), `call` is that API's own structured-clone data.
 */
export interface HostCall {
  api: string;
  call: unknown;
}

/** Worker -> main thread. */
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'done'; requestId: number; response: WireResponse }
  | { kind: 'failed'; requestId: number; error: string }
  | { kind: 'outbound'; requestId: number; callId: number; request: WireRequest }
  | ({ kind: 'host-call'; requestId: number; callId: number } & HostCall)
  | { kind: 'output'; component: string; stream: 'stdout' | 'stderr'; text: string };
