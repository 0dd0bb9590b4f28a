/**
 * The host APIs the runtime offers, and the two places the core iterates over them: start-up on the main
 * thread ({@link grantHostApis}) and each worker's import tables ({@link GuestHost}). Adding an API is adding
 * a folder and a line to {@link HOST_APIS}; see api.ts for what a folder provides.
 */
import type { ComponentSetup } from '../protocol.js';
import type { GuestContext, GuestSide, HostApi, HostOptions, MainSide, RuntimeConfigFile } from './api.js';
import { http } from './http/index.js';
import { keyValue } from './key-value/index.js';
import { sqlite } from './sqlite/index.js';
import { variables } from './variables/index.js';
import { wasi } from './wasi/index.js';

export type { GuestContext, HostOptions, MainSide, OutboundOutcome, RuntimeConfigFile } from './api.js';
// What the core needs of particular APIs: the HTTP trigger's request and response (worker.ts), serving the
// guests' outbound calls (request-dispatcher.ts), and line-wise guest output (worker.ts).
export { createOutbound } from './http/outbound.js';
export { IncomingRequest, ResponseOutparam } from './http/server.js';
export { LineSink } from './wasi/cli.js';
// Stopping a worker's SQLite work at a deadline: the pool's side (main thread) and the worker's.
export { allocateGate, releaseGate, SqliteGate, stopWorker } from './sqlite-gate.js';

/** In start-up order: SQLite's `--sqlite` statements run before key-value's `--key-value` pairs are written. */
export const HOST_APIS = [wasi, http, variables, sqlite, keyValue] as const;

type AnyApi = HostApi<unknown, unknown, unknown>;
const apis = HOST_APIS as readonly AnyApi[];

type ApiOf<Name> = Extract<(typeof HOST_APIS)[number], { name: Name }>;
type DeclOf<A> = A extends HostApi<unknown, infer D, unknown> ? D : never;
type AppOf<A> = A extends HostApi<infer P, unknown, unknown> ? P : never;

/** Each API's declaration of one component, by API name (`uses.sqlite`: its database labels). */
export type ComponentUses = { [Name in (typeof HOST_APIS)[number]['name']]: DeclOf<ApiOf<Name>> };
/** Each API's application-level declarations (`app.variables`: the `[variables]` table). */
export type AppUses = { [Name in (typeof HOST_APIS)[number]['name']]: AppOf<ApiOf<Name>> };

export interface GrantInput {
  manifestFile: string;
  app: AppUses;
  components: Record<string, ComponentUses>;
  runtimeConfig: RuntimeConfigFile | undefined;
  stateDir: string;
  cwd: string;
  options: HostOptions;
  log(line: string): void;
}

/** What start-up decided: each component's grants by API name, and the APIs' main-thread sides by name. */
export interface HostSetup {
  grants: Record<string, Record<string, unknown>>;
  main: Record<string, MainSide>;
}

/**
 * Every API checks and decides what each component gets, then (only once all checks passed, so a bad flag or
 * label changes nothing on disk) does its start-up work and makes its main-thread side, if it has one.
 */
export function grantHostApis(input: GrantInput): HostSetup {
  const contexts = apis.map((api) => ({
    api,
    context: {
      ...input,
      app: (input.app as Record<string, unknown>)[api.name],
      components: Object.fromEntries(
        Object.entries(input.components).map(([id, uses]) => [id, (uses as Record<string, unknown>)[api.name]]),
      ),
    },
  }));
  const grants = contexts.map(({ api, context }) => api.grants(context));
  contexts.forEach(({ api, context }, i) => api.prepareState?.(context, grants[i] ?? {}));
  const main: Record<string, MainSide> = {};
  contexts.forEach(({ api, context }, i) => {
    const side = api.main?.(context, grants[i] ?? {});
    if (side) main[api.name] = side;
  });
  return {
    grants: Object.fromEntries(
      Object.keys(input.components).map((id) => [
        id,
        Object.fromEntries(apis.map((api, i) => [api.name, grants[i]?.[id]])),
      ]),
    ),
    main,
  };
}

function unsupported(iface: string): object {
  return new Proxy(
    {},
    {
      get(_target, member) {
        const name = `${iface}#${String(member)}`;
        // A function doubles as a class for jco's `instanceof` and `Object.create(X.prototype)`.
        return function unsupportedImport(): never {
          throw new Error(`${name} is not supported by the local Spin runtime`);
        };
      },
    },
  );
}

/** What a worker thread provides; the host adds its own step before each sleep (see GuestSide.beforeWait). */
export interface WorkerServices extends Omit<GuestContext, 'wait'> {
  wait(isReady: () => boolean, deadlineNs: () => bigint | undefined, beforeSleep: () => void): void;
}

/** The host APIs' side in one worker thread. */
export class GuestHost {
  readonly #sides: { name: string; side: GuestSide<unknown> }[];

  constructor(worker: WorkerServices) {
    const context: GuestContext = {
      ...worker,
      wait: (isReady, deadlineNs) => worker.wait(isReady, deadlineNs, () => this.beforeWait()),
    };
    this.#sides = apis.map((api) => ({ name: api.name, side: api.guest(context) }));
  }

  /**
   * The import object for instances of one component. jco asks for interfaces by unversioned name
   * (`wasi:io/poll`, `fermyon:spin/sqlite`); anything no API implements (llm, redis, mysql, ...) resolves to
   * stubs that trap with a message naming the interface, so such a component still loads and fails loudly
   * only when it calls them.
   */
  imports(setup: ComponentSetup): Record<string, object> {
    const table: Record<string, object> = {};
    for (const { name, side } of this.#sides) Object.assign(table, side.imports(setup.id, setup.grants[name]));
    return new Proxy(table, {
      get(target, key) {
        if (typeof key !== 'string') return undefined;
        const iface = key.replace(/@[^/]*$/, '');
        return target[iface] ?? unsupported(iface);
      },
    });
  }

  beforeWait(): void {
    for (const { side } of this.#sides) side.beforeWait?.();
  }

  endRequest(): void {
    for (const { side } of this.#sides) side.endRequest?.();
  }

  close(): void {
    for (const { side } of this.#sides) side.close?.();
  }
}
