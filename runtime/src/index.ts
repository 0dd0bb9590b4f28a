/**
 * The local Spin runtime's programmatic API: `create(options)` loads spin.toml, prepares the state
 * directory, transpiles and compiles each component once, starts the worker pool and (optionally) an HTTP
 * listener; the returned runtime serves requests with `fetch` until `dispose()`.
 *
 * @example
 *   const spin = await create({ from: 'spin.toml', sqlite: ['@schema.sql'], stateDir: tmp });
 *   const response = await spin.fetch('/items/count');
 *   await spin.dispose();
 */
import { basename, dirname, resolve } from 'node:path';
import { Dispatcher, requestLine, type RequestRecord } from './request-dispatcher.js';
import { AddressInUseError, ConfigError, UsageError } from './errors.js';
import { FaultTable, withFaults, type FaultRule } from './faults.js';
import { grantHostApis, type HostOptions } from './host/index.js';
import { startServer, type RunningServer } from './http-server.js';
import { checkAddressFree, parseListen } from './listen-address.js';
import { loadManifest, resolveManifestPath, type Manifest } from './manifest.js';
import type { ComponentSetup, TranspiledModule, WireRequest, WireResponse } from './protocol.js';
import { Router, type Route } from './router.js';
import { loadRuntimeConfig } from './runtime-config.js';
import { StackMapper } from './source-map.js';
import { loadComponentCode } from './transpile-cache.js';
import { warmUp, type WarmUpOptions } from './warm-up.js';
import { WorkerPool } from './worker-pool.js';

export { AddressInUseError, ConfigError, UsageError } from './errors.js';
export { HEALTH_PATH } from './request-dispatcher.js';
export type { FaultRule } from './faults.js';
export type { RequestRecord } from './request-dispatcher.js';

/**
 * How `log` and `notes` lines are written: `text`, one short line per request (`GET /path component 200 3.1ms`)
 * and the start-up notes that matter (warm-up summary, first-start transpiles, slow migrations); `json`, one
 * JSON object per line with every field of the request record ({@link RequestRecord}, plus `time`, and
 * `warmUp` for the warm-up's requests) and every start-up note (`{"time","note"}`), compile times included.
 */
export type LogFormat = 'text' | 'json';

/** Besides these: `sqlite`, `variables`, `keyValues` and `env`, the host APIs' options (host/api.ts). */
export interface CreateOptions extends HostOptions {
  /** spin.toml, or a directory holding one (default: the current directory). */
  from?: string;
  /** Default: `.spin` beside spin.toml. Holds `sqlite_db.db` and `sqlite_key_value.db`. */
  stateDir?: string;
  runtimeConfigFile?: string;
  /** `host:port` to listen on; `false` (the default here) serves only through `fetch`. */
  listen?: string | false;
  /**
   * Receives one line per request (chained calls included; in `text` format not the warm-up's, which its
   * summary covers), and the start-up notes unless `notes` is given (default: nothing).
   */
  log?: (line: string) => void;
  /** Receives the start-up notes (the warm-up's summary, transpiles, slow migrations); default: `log`. */
  notes?: (line: string) => void;
  /** `text` (default) or `json`: see {@link LogFormat}. */
  logFormat?: LogFormat;
  /**
   * Which chained calls get a `text` line of their own: `all` (default), or `failed` (a status of 400 or more, a
   * trap, an injected fault), so that a request is one line unless a call it made went wrong (the CLI's choice).
   * The `json` log has them all.
   */
  chainedLines?: 'all' | 'failed';
  /**
   * Told when a component's Wasm is transpiled (a first start, or a new build: seconds each) and when that is
   * done; default: a note once it is done. Not told when the transpile cache has the component.
   */
  transpileProgress?: { start(file: string): void; done(file: string, ms: number): void };
  /**
   * Receives the guests' stdout/stderr (default: this process's stdout/stderr), stack frames that name a
   * component's bundle rewritten to source positions when a source map lies beside its `.wasm` (source-map.ts).
   */
  guestOutput?: (component: string, stream: 'stdout' | 'stderr', text: string) => void;
  /**
   * The components whose output reaches `guestOutput`, as `spin up --follow` (default: all; `[]`: none, as
   * `--quiet`). An id spin.toml does not declare is a {@link UsageError}.
   */
  follow?: readonly string[];
  /** Per-request time limit, chained calls included separately (default 30000). */
  requestTimeoutMs?: number;
  /** Base for relative paths in `from` and `--sqlite @file` (default `process.cwd()`). */
  cwd?: string;
  /** Transpile cache (default: `node_modules/.cache/spin-local`, see `defaultCacheDir` in transpile-cache.ts). */
  cacheDir?: string;
  minWorkers?: number;
  /** Worker cap, blocked ones included (default: 8 per core, 4 to 32, less on a small machine); ordinary growth stops at half. */
  maxWorkers?: number;
  /** New requests that may wait for a worker; beyond them the answer is 503 with Retry-After (default 1024). */
  maxQueuedRequests?: number;
  /** Request body bytes the listener holds at once, all requests together; beyond it 503 (default 256 MiB). */
  maxBodyBytesInFlight?: number;
  /** Bytes each instance's linear memory may grow to, as Spin's `--max-instance-memory` (default: no limit). */
  maxInstanceMemory?: number;
  /**
   * Bytes of RSS the process should stay within (`--memory-budget`): the worker pool grows no further, new
   * requests wait in the queue (worker-pool.ts, memory-budget.ts). Default: none; the CLI's default is
   * `defaultMemoryBudget` (768 MiB on 2 cores), since there the runtime has the process to itself.
   */
  memoryBudget?: number;
  /** For tests: delays, statuses and traps injected into requests to components (see faults.ts). */
  faults?: FaultRule[];
  /** GET requests sent before serving, answers dropped, so users' first requests do not pay first-run costs (warm-up.ts). */
  warmUp?: WarmUpOptions;
}

export interface SpinRuntime {
  /** `http://host:port` when listening. */
  readonly url: string | undefined;
  readonly manifest: Manifest;
  /** Public routes, most specific first. */
  readonly routes: readonly Route[];
  /** Dispatches in-process, without a socket. A string path is resolved against `url` or `http://localhost`. */
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
  /**
   * Replaces the injected faults (for tests; `[]` removes them). Applies to requests dispatched from now
   * on, chained ones included; `times` counts start afresh. Throws a `ConfigError` for a bad rule.
   */
  setFaults(rules: FaultRule[]): void;
  /** Stops accepting requests, lets in-flight ones finish, stops the workers. Idempotent. */
  dispose(): Promise<void>;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function defaultGuestOutput(component: string, stream: 'stdout' | 'stderr', text: string): void {
  (stream === 'stdout' ? process.stdout : process.stderr).write(text);
  void component;
}

/**
 * The in-process request: a `Request`'s URL is already WHATWG-normalised (`/f/../a` is `/a` by now), so
 * here, unlike over HTTP, the path routed and passed to the guest is that normalised one; the authority is
 * the URL's host. A fragment is dropped, as a client never sends one.
 */
async function toWire(request: Request): Promise<WireRequest> {
  const headers: [string, string][] = [];
  request.headers.forEach((value, name) => headers.push([name, value]));
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : null;
  const url = new URL(request.url);
  url.hash = '';
  return {
    method: request.method,
    url: url.href,
    authority: url.host,
    pathWithQuery: url.pathname + url.search,
    headers,
    body: body && body.length > 0 ? body : null,
  };
}

/**
 * As over HTTP (Node's server drops it there), a HEAD answer carries the headers but no body. A guest answer
 * HTTP cannot carry (1xx status, illegal content-length, a body that does not match it) never gets here: the
 * dispatcher has replaced it with a 500, for this API, for clients and for chained callers alike.
 */
function fromWire(response: WireResponse, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) headers.append(name, value);
  const bodyless = NULL_BODY_STATUSES.has(response.status) || method === 'HEAD';
  return new Response(bodyless ? null : new Uint8Array(response.body), { status: response.status, headers });
}

export async function create(options: CreateOptions = {}): Promise<SpinRuntime> {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? (() => {});
  const json = options.logFormat === 'json';
  if (options.logFormat !== undefined && options.logFormat !== 'text' && !json)
    throw new UsageError(`--log-format ${String(options.logFormat)}: expected text or json`);
  const now = (): string => new Date().toISOString();
  const rawNotes = options.notes ?? log;
  /** A start-up note the user should see in either format. */
  const notes = json ? (line: string) => rawNotes(JSON.stringify({ time: now(), note: line })) : rawNotes;
  /** A start-up detail (compile times): only in the JSON log, which keeps everything. */
  const details = json ? notes : () => {};
  /** While the warm-up runs, its requests are summed up in one note instead of a line each (text format). */
  let warming = false;
  const record = (entry: RequestRecord): void => {
    if (json) log(JSON.stringify({ time: now(), ...entry, ...(warming ? { warmUp: true } : {}) }));
    else if (warming) return;
    else if (!entry.chained || options.chainedLines !== 'failed') log(requestLine(entry));
    else if (entry.status >= 400 || entry.error !== undefined || entry.fault !== undefined) log(requestLine(entry));
  };
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const listen = options.listen === undefined || options.listen === false ? undefined : parseListen(options.listen);
  // Before the transpiles and compiles a start may spend a minute on: a taken address fails at once.
  if (listen && options.listen) await checkAddressFree(listen, options.listen);

  const manifest = await loadManifest(resolveManifestPath(options.from, cwd));
  const follow = options.follow === undefined ? undefined : new Set(options.follow);
  for (const id of follow ?? []) {
    if (!Object.hasOwn(manifest.components, id))
      throw new UsageError(
        `--follow ${id}: no such component (spin.toml declares ${Object.keys(manifest.components).join(', ')})`,
      );
  }
  const faults = new FaultTable(Object.keys(manifest.components), options.faults ?? []);
  const runtimeConfig = await loadRuntimeConfig(
    options.runtimeConfigFile === undefined ? undefined : resolve(cwd, options.runtimeConfigFile),
  );
  const { grants, main: mainSides } = grantHostApis({
    manifestFile: manifest.file,
    app: manifest.app,
    components: Object.fromEntries(Object.values(manifest.components).map((c) => [c.id, c.uses])),
    runtimeConfig,
    stateDir: resolve(cwd, options.stateDir ?? resolve(dirname(manifest.file), '.spin')),
    cwd,
    options,
    log: notes,
  });
  const transpileProgress = options.transpileProgress ?? {
    start: () => {},
    done: (file: string, ms: number) =>
      notes(`transpiled ${file} in ${(ms / 1000).toFixed(1)} s (first start only; cached afterwards)`),
  };

  const modules: Record<string, TranspiledModule> = {};
  const components: Record<string, ComponentSetup> = {};
  const bySource = new Map<string, string>();
  for (const component of Object.values(manifest.components)) {
    let key = bySource.get(component.source);
    if (key === undefined) {
      const started = performance.now();
      const file = basename(component.source);
      const loaded = await loadComponentCode(component.source, options.cacheDir, {
        onTranspile: () => transpileProgress.start(file),
      });
      if (loaded.transpileMs !== undefined) transpileProgress.done(file, loaded.transpileMs);
      key = loaded.key;
      modules[key] = loaded.module;
      bySource.set(component.source, key);
      details(
        `${component.id}: ${loaded.transpiled ? 'transpiled and ' : ''}compiled in ${(performance.now() - started).toFixed(0)}ms`,
      );
    }
    components[component.id] = { id: component.id, moduleKey: key, grants: grants[component.id] ?? {} };
  }

  // Guest output: only the followed components', stack frames mapped to the sources where a map is found.
  const guestOutput = options.guestOutput ?? defaultGuestOutput;
  const stacks = new StackMapper(cwd, notes);
  const sources = new Map(Object.values(manifest.components).map((c) => [c.id, c.source]));
  const onOutput = (component: string, stream: 'stdout' | 'stderr', text: string): void => {
    if (follow && !follow.has(component)) return;
    const source = sources.get(component);
    guestOutput(component, stream, source === undefined ? text : stacks.rewrite(source, text));
  };

  const router = new Router(manifest.triggers);
  const pool = new WorkerPool({
    components,
    modules,
    requestTimeoutMs,
    ...(options.minWorkers === undefined ? {} : { minWorkers: options.minWorkers }),
    ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }),
    ...(options.maxQueuedRequests === undefined ? {} : { maxQueued: options.maxQueuedRequests }),
    ...(options.maxInstanceMemory === undefined ? {} : { maxInstanceMemory: options.maxInstanceMemory }),
    ...(options.memoryBudget === undefined ? {} : { memoryBudget: options.memoryBudget }),
    onOutput,
    onHostCall: ({ api, call }) => {
      const side = Object.hasOwn(mainSides, api) ? mainSides[api] : undefined;
      return side ? side.call(call) : Promise.reject(new Error(`no host API '${api}' on the main thread`));
    },
  });
  const closeMainSides = (): void => {
    for (const side of Object.values(mainSides)) side.close();
  };
  const dispatcher = new Dispatcher({
    router,
    run: withFaults((component, request, runOptions) => pool.run(component, request, runOptions), faults),
    record,
    components: Object.keys(components),
    outboundTimeoutMs: requestTimeoutMs,
  });
  await pool.start();

  let inFlight = 0;
  let drained: (() => void) | undefined;
  let disposing: Promise<void> | undefined;
  const tracked = async (request: WireRequest, clientAddr: string): Promise<WireResponse> => {
    inFlight += 1;
    try {
      return await dispatcher.dispatch(request, { clientAddr });
    } finally {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    }
  };

  let server: RunningServer | undefined;
  try {
    server = listen
      ? await startServer(listen, tracked, {
          // The listener's own lines (an answer that could not be written) are notes of the log's format.
          log: json ? (line) => log(JSON.stringify({ time: now(), note: line })) : log,
          ...(options.maxBodyBytesInFlight === undefined ? {} : { maxBodyBytesInFlight: options.maxBodyBytesInFlight }),
        })
      : undefined;
  } catch (error) {
    await pool.close();
    closeMainSides();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && options.listen)
      throw new AddressInUseError(options.listen);
    throw new ConfigError(
      `--listen ${options.listen === false ? '' : (options.listen ?? '')}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const base = server?.url ?? 'http://localhost';

  // After the listener opened (a port in use fails the start at once) and before `create` returns, that is before
  // the CLI prints the address. The fault rules wait: warming must not use up a `times:N` rule or be delayed.
  if (options.warmUp && options.warmUp.paths.length > 0) {
    try {
      faults.replace([]);
      warming = true;
      notes(await warmUp(options.warmUp, (request) => tracked(request, '127.0.0.1:0')));
      warming = false;
      faults.replace(options.faults ?? []);
    } catch (error) {
      warming = false;
      await server?.close();
      await pool.close();
      closeMainSides();
      throw error;
    }
  }

  return {
    url: server?.url,
    manifest,
    routes: router.routes,
    async fetch(input, init) {
      if (disposing) throw new Error('the runtime is disposed');
      const request =
        typeof input === 'string' && input.startsWith('/')
          ? new Request(new URL(input, base), init)
          : new Request(input, init);
      return fromWire(await tracked(await toWire(request), '127.0.0.1:0'), request.method);
    },
    setFaults(rules) {
      faults.replace(rules);
    },
    dispose() {
      disposing ??= (async () => {
        const closing = server?.close();
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        await closing;
        await pool.close();
        closeMainSides();
      })();
      return disposing;
    },
  };
}
