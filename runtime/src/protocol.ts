/**
 * Messages between the main thread and the component workers, and the plain-data shapes they carry.
 * Everything here crosses `postMessage`, so it is structured-clone data: no classes, no functions.
 */
import type { MessagePort } from 'node:worker_threads';

/** An HTTP request or response head and its whole body, as it crosses threads. */
export interface WireRequest {
  method: string;
  /** Absolute URL: scheme, authority (what the guest sees as its host), path and query. */
  url: string;
  headers: [string, string][];
  body: Uint8Array | null;
}

export interface WireResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
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
   * memory-import.ts): each instance gets a zeroed memory of `initialPages` from the worker.
   */
  ownMemory?: { core: string; initialPages: number };
}

export interface WorkerSetup {
  components: Record<string, ComponentSetup>;
  modules: Record<string, TranspiledModule>;
  /** One Int32 the main thread bumps after each reply, so a blocked guest wakes up. */
  signal: SharedArrayBuffer;
  /** Replies to outbound calls; the worker reads it synchronously with `receiveMessageOnPort`. */
  replies: MessagePort;
}

/** Main thread -> worker (`worker.postMessage`). */
export type ToWorker =
  | { kind: 'run'; requestId: number; component: string; request: WireRequest }
  | { kind: 'prepare'; component: string };

/** Main thread -> worker, on the replies port. */
export type OutboundReply =
  | { kind: 'outbound-result'; callId: number; response: WireResponse }
  | { kind: 'outbound-result'; callId: number; error: HttpErrorCode };

/** Worker -> main thread. */
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'done'; requestId: number; response: WireResponse }
  | { kind: 'failed'; requestId: number; error: string }
  | { kind: 'outbound'; requestId: number; callId: number; request: WireRequest }
  | { kind: 'output'; component: string; stream: 'stdout' | 'stderr'; text: string };
