/**
 * The contract between the runtime's core and each host API (SQLite, key-value, variables, outbound HTTP,
 * WASI basics). A host API owns everything about itself, from spin.toml to the guest's calls:
 *
 * 1. **manifest**: the spin.toml keys it reads (`componentKeys`, and top-level `manifestKeys`), checked and
 *    turned into a declaration per component by `component` (an `app` declaration first, if it has top-level keys);
 * 2. **runtime config**: the sections of `--runtime-config-file` it reads (`runtimeConfigKeys`);
 * 3. **start-up** on the main thread: `grants` checks everything and decides what each component gets, with no
 *    side effect; once every API's checks passed, `prepareState` does its work in the state directory;
 * 4. **guest** in each worker thread: `guest` returns the per-worker side, which builds a component's
 *    imports from its grant and hears when a request ends.
 *
 * The core (manifest.ts, runtime-config.ts, index.ts, worker.ts) only iterates over the list in index.ts.
 */
import type { OutboundOutcome, WireRequest } from '../protocol.js';
import type { Table, TomlReader } from '../toml-checks.js';
import type Database from 'better-sqlite3';
import type { ByteSink, Waiter } from './wasi/io.js';

/** A hung or unreachable Redis costs a key-value call this long, never the request's whole time limit. */
export const DEFAULT_REDIS_TIMEOUT_MS = 500;

/** Where a declaration is read from, for paths relative to spin.toml and error messages naming the key. */
export interface ManifestScope {
  reader: TomlReader;
  /** spin.toml's directory. */
  dir: string;
}

/** The start-up flags and options that concern host APIs (see `CreateOptions` in index.ts). */
export interface HostOptions {
  /** `--sqlite` values, applied in order at every start: `STATEMENT`, `@file.sql` or `@file.sql:label`. */
  sqlite?: string[];
  /** `--variable` values; they override `SPIN_VARIABLE_*` and `[variables]` defaults. */
  variables?: Record<string, string>;
  /** `--key-value` pairs written to the `default` store at start. */
  keyValues?: Record<string, string>;
  /** Time limit of each call to a Redis key-value store, in ms (`--redis-timeout`; default {@link DEFAULT_REDIS_TIMEOUT_MS}). */
  redisTimeoutMs?: number;
  /** Where `SPIN_VARIABLE_*` are read (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** `--runtime-config-file`, parsed; each API reads its own sections. */
export interface RuntimeConfigFile {
  reader: TomlReader;
  /** The file's directory, against which relative paths in it are resolved. */
  dir: string;
  root: Table;
}

export interface SetupContext<App, Decl> {
  manifestFile: string;
  app: App;
  /** This API's declaration of each component, by component id. */
  components: Record<string, Decl>;
  runtimeConfig: RuntimeConfigFile | undefined;
  stateDir: string;
  /** Base for relative paths in flags (`--sqlite @file`). */
  cwd: string;
  options: HostOptions;
  log(line: string): void;
}

export type { OutboundOutcome };

/** What a worker thread offers the host APIs, one per worker. */
export interface GuestContext {
  wait: Waiter;
  /**
   * Sends an outbound request of the request being served to the main thread; `settle` receives the answer
   * (never after the request ended). Throws when no request is being served.
   */
  send(request: WireRequest, settle: (outcome: OutboundOutcome) => void): void;
  /** The component's stdout or stderr, forwarded line by line. */
  output(component: string, stream: 'stdout' | 'stderr'): ByteSink;
  /** The worker's way into better-sqlite3: every SQLite call of the host goes through it. */
  sqlite: SqliteAccess;
  /**
   * Calls this API's main-thread side ({@link HostApi.main}) and blocks the guest until it answers: for work
   * that needs the main thread's event loop (a Redis connection). Throws an Error with the failure's message.
   */
  callMain(api: string, call: unknown): unknown;
}

/** A host API's side on the main thread: it serves its workers' {@link GuestContext.callMain} calls. */
export interface MainSide {
  call(call: unknown): Promise<unknown>;
  close(): void;
}

/**
 * How a worker's host APIs reach better-sqlite3 (sqlite-gate.ts's `SqliteGate`): through `run`, which the main
 * thread can close before it terminates the worker, on connections the main thread can interrupt.
 */
export interface SqliteAccess {
  run<T>(work: () => T): T;
  /** Opens a file as every guest connection is opened: WAL, busy timeout, interruptible. */
  open(path: string): Database.Database;
  /** Puts back what a `PRAGMA busy_timeout` replaced. */
  rewatch(db: Database.Database): void;
  /** The largest query result a guest may receive, in bytes. */
  readonly resultLimit: number;
}

/** A host API's side in one worker thread. */
export interface GuestSide<Grant> {
  /** The interfaces it implements for one component, by unversioned WIT name (`fermyon:spin/sqlite`). */
  imports(component: string, grant: Grant): Record<string, object>;
  /** The guest is about to sleep in `wasi:io/poll`. */
  beforeWait?(): void;
  /** The request ended (answered, failed or trapped): what Spin drops with the instance is dropped here. */
  endRequest?(): void;
  /** The worker exits. */
  close?(): void;
}

export interface HostApi<App = unknown, Decl = unknown, Grant = unknown, Name extends string = string> {
  /** Key of this API's declarations and grants (`uses.sqlite`, `grants.sqlite`). */
  readonly name: Name;
  /** Top-level spin.toml tables it reads, e.g. `variables`. */
  readonly manifestKeys: readonly string[];
  /** Keys of `[component.<id>]` it reads. */
  readonly componentKeys: readonly string[];
  /** Top-level tables of the runtime config file it reads. */
  readonly runtimeConfigKeys: readonly string[];
  /** Reads its top-level tables (`root` holds only those). */
  app(scope: ManifestScope, root: Table): App;
  /** Reads its keys of one component (`table` holds only those; `key` is `component.<id>`). */
  component(scope: ManifestScope, table: Table, key: string, app: App): Decl;
  /** Checks and decides each component's grant (structured-clone data: it crosses to the workers). No side effects. */
  grants(context: SetupContext<App, Decl>): Record<string, Grant>;
  /** Its start-up work in the state directory, after every API's `grants` succeeded. */
  prepareState?(context: SetupContext<App, Decl>, grants: Record<string, Grant>): void;
  guest(context: GuestContext): GuestSide<Grant>;
  /** Its main-thread side, if its guests' calls need one; made once per runtime, after `prepareState`. */
  main?(context: SetupContext<App, Decl>, grants: Record<string, Grant>): MainSide | undefined;
}

/** For APIs without top-level manifest keys. */
export const noApp = (): undefined => undefined;
