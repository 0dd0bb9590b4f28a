/**
 * The core instances of one component instance, kept after a request to serve a later one of the same
 * component as if they were new. What a request can change in them, and how each is put back:
 *
 * - the linear memory: brought back to the memory image, as a recycled memory already was (instances.ts),
 *   and only when it did not grow; that is the state a fresh instantiation leaves, which the factory checks
 *   once per component and worker (the glue runs no guest code while instantiating);
 * - mutable globals and tables: every core module is rewritten to export them (core-exports.ts); their values
 *   right after the first instantiation are recorded and written back after every request;
 * - the jco glue's own state (resource handle tables, borrows): the glue's `instantiate` runs again for every
 *   request, so that state is new each time. It hands the same core modules over in the same order, and this
 *   class answers with the kept core instances instead of new ones. The JavaScript functions the glue passes
 *   as imports are new closures each time: a kept instance calls them through a holder that is re-aimed at the
 *   new closure, and any other import (another kept instance's export, the memory) must be the very object it
 *   was, else the set is dropped and the component instantiated afresh;
 * - host resources: ended by the host after each request (GuestHost.endRequest), recycled or not.
 *
 * A request that failed (trap, error, no answer) is never recycled. What the set saves is the work of `new
 * WebAssembly.Instance` (function wrappers, tables, the instance objects and their garbage).
 */
import { GLOBAL_EXPORT_PREFIX, TABLE_EXPORT_PREFIX } from './core-exports.js';

type Callable = (...args: unknown[]) => unknown;

interface Holder {
  target: Callable;
}

interface KeptCore {
  module: WebAssembly.Module;
  instance: WebAssembly.Instance;
  /** The glue's JavaScript functions, by `module\0name`: the instance calls them through these. */
  holders: Map<string, Holder>;
  /** Every other import, by `module\0name`: a later instantiation must pass the very same object. */
  fixed: Map<string, unknown>;
  globals: { global: WebAssembly.Global; value: unknown }[];
  tables: { table: WebAssembly.Table; entries: unknown[] }[];
}

/** A later instantiation did not ask for what the kept instances were made from. */
export class RecycleMismatch extends Error {}

const key = (module: string, name: string): string => `${module}\0${name}`;

/** A function with `holder.target`'s arity that calls whatever `holder.target` is at the time of the call. */
function forwarder(holder: Holder, arity: number): Callable {
  switch (arity) {
    case 0:
      return () => holder.target();
    case 1:
      return (a) => holder.target(a);
    case 2:
      return (a, b) => holder.target(a, b);
    case 3:
      return (a, b, c) => holder.target(a, b, c);
    case 4:
      return (a, b, c, d) => holder.target(a, b, c, d);
    default:
      return (...args) => holder.target(...args);
  }
}

export class CoreSet {
  readonly cores: KeptCore[] = [];
  /** Functions exported by the kept instances: passed between them as they are, never through a holder. */
  readonly #wasmFunctions = new Set<unknown>();
  /** During a reuse: the next kept instance the glue will ask for. */
  #next = 0;

  /** Instantiates `module` for the first time, keeping it, with the glue's functions behind holders. */
  instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): WebAssembly.Instance {
    const holders = new Map<string, Holder>();
    const fixed = new Map<string, unknown>();
    const wired: WebAssembly.Imports = {};
    for (const [moduleName, members] of Object.entries(imports)) {
      const out: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(members)) {
        if (typeof value === 'function' && !this.#wasmFunctions.has(value)) {
          const holder = { target: value as Callable };
          holders.set(key(moduleName, name), holder);
          out[name] = forwarder(holder, (value as Callable).length);
        } else {
          fixed.set(key(moduleName, name), value);
          out[name] = value;
        }
      }
      wired[moduleName] = out as WebAssembly.ModuleImports;
    }
    const instance = new WebAssembly.Instance(module, wired);
    for (const value of Object.values(instance.exports))
      if (typeof value === 'function') this.#wasmFunctions.add(value);
    this.cores.push({ module, instance, holders, fixed, globals: [], tables: [] });
    return instance;
  }

  /** Records the globals and tables of every kept instance: the state every later request starts from. */
  snapshot(): void {
    for (const core of this.cores) {
      core.globals = [];
      core.tables = [];
      for (const [name, value] of Object.entries(core.instance.exports)) {
        if (name.startsWith(GLOBAL_EXPORT_PREFIX)) {
          const global = value as WebAssembly.Global;
          core.globals.push({ global, value: global.value });
        } else if (name.startsWith(TABLE_EXPORT_PREFIX)) {
          const table = value as WebAssembly.Table;
          core.tables.push({ table, entries: Array.from({ length: table.length }, (_, i) => table.get(i)) });
        }
      }
    }
  }

  /** Puts every global and table back to its snapshot; false if a table grew (the set cannot be reused). */
  restore(): boolean {
    for (const core of this.cores) {
      for (const { global, value } of core.globals) if (global.value !== value) global.value = value;
      for (const { table, entries } of core.tables) {
        if (table.length !== entries.length) return false;
        for (let i = 0; i < entries.length; i++) if (table.get(i) !== entries[i]) table.set(i, entries[i]);
      }
    }
    return true;
  }

  /** Before the glue instantiates again: it will be answered with the kept instances, in order. */
  beginReuse(): void {
    this.#next = 0;
  }

  /** The glue's next core instantiation, answered with the kept instance; throws {@link RecycleMismatch}. */
  reuse(module: WebAssembly.Module, imports: WebAssembly.Imports = {}): WebAssembly.Instance {
    const core = this.cores[this.#next++];
    if (!core || core.module !== module) throw new RecycleMismatch('the glue asked for another core module');
    let seen = 0;
    for (const moduleName in imports) {
      const members = imports[moduleName] as Record<string, unknown>;
      for (const name in members) {
        seen++;
        const value = members[name];
        const k = key(moduleName, name);
        const holder = core.holders.get(k);
        if (holder && typeof value === 'function') holder.target = value as Callable;
        else if (core.fixed.get(k) !== value || !core.fixed.has(k))
          throw new RecycleMismatch(`import ${moduleName}.${name} is not what the kept instance was given`);
      }
    }
    if (seen !== core.holders.size + core.fixed.size) throw new RecycleMismatch('the imports changed');
    return core.instance;
  }

  /** After the glue's instantiation: it must have asked for every kept instance. */
  endReuse(): void {
    if (this.#next !== this.cores.length) throw new RecycleMismatch('the glue instantiated fewer core modules');
  }
}
