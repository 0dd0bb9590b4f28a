/**
 * Fresh component instances for one worker thread (runs inside workers only). Every request gets a new
 * instance, as in Spin; what is shared is everything that an instance does not own:
 *
 * - the compiled core modules (compiled once on the main thread) and the jco glue module;
 * - the import table of each component (the host objects hold no per-instance state);
 * - linear memories: the main core module imports its memory (memory-import.ts), and a memory whose
 *   instance is finished is handed to a later instance of the same module. When that module's data
 *   segments were stripped into a memory image, the memory is brought to exactly what instantiation leaves
 *   in a fresh memory (the image, zeros elsewhere; a new memory gets the image before its first use);
 *   otherwise it is zeroed and instantiation writes the segments into it as into a fresh one. Either way
 *   this happens in `release`, which the worker calls after the answer is posted. A memory that grew is
 *   dropped. The image is copied once per worker out of the shared buffer it arrives in.
 *
 * It also keeps a small stock of instances built ahead of time (one per component, a few components),
 * which the pool asks for when the worker is idle.
 *
 * `maxInstanceMemory` (Spin's `--max-instance-memory`, bytes) becomes the `maximum` (in whole pages) of the
 * memories this factory creates, so the guest's `memory.grow` past it fails (returns -1) as under Spin's
 * store limiter, and the guest fails that request. Only the memory the main core module imports can be
 * capped this way; a componentize-js component has no other linear memory (the preview1 adapter imports
 * the main one) and its tables are declared with maximum = initial, so they cannot grow either.
 */
import { localImage, MEMORY_IMPORT, resetMemory, type MemoryImage } from './memory-import.js';
import type { ComponentSetup, TranspiledModule } from './protocol.js';

export interface IncomingHandlerExport {
  handle(request: unknown, outparam: unknown): void;
}

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;
export type GlueInstantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: object,
  instantiateCore?: InstantiateCore,
) => { incomingHandler: IncomingHandlerExport };

/** One instance, and the recycled memory it uses (returned with {@link InstanceFactory.release}). */
export interface Instance {
  component: string;
  handler: IncomingHandlerExport;
  memory: WebAssembly.Memory | undefined;
}

const PAGE_BYTES = 65_536;
/** A 32-bit memory's largest size, in pages (4 GiB). */
const MAX_PAGES = 65_536;
/** Reset memories kept per module beyond those in use: one for the next request, one for the stock. */
const SPARE_MEMORIES = 2;
/** Components with a prepared instance at once, per worker (each holds ~8 MB of memory). */
export const STOCK_LIMIT = 4;

export interface ComponentCode {
  setup: ComponentSetup;
  module: TranspiledModule;
  instantiate: GlueInstantiate;
  imports: object;
}

export class InstanceFactory {
  readonly #code: (component: string) => ComponentCode;
  readonly #spare = new Map<string, WebAssembly.Memory[]>();
  /** This worker's copy of each module's memory image, by module key. */
  readonly #images = new Map<string, MemoryImage>();
  readonly #stock = new Map<string, Instance>();
  /** The `maximum` of each new memory, in pages; undefined: none (the engine's 4 GiB). */
  readonly #maximumPages: number | undefined;

  /** `maxInstanceMemory`: bytes each instance's memory may grow to; a partial page does not count. */
  constructor(code: (component: string) => ComponentCode, maxInstanceMemory?: number) {
    this.#code = code;
    this.#maximumPages =
      maxInstanceMemory === undefined ? undefined : Math.min(MAX_PAGES, Math.floor(maxInstanceMemory / PAGE_BYTES));
  }

  /** A ready instance of `component`: from the stock, else built now. Throws for an unknown component. */
  take(component: string): Instance {
    const ready = this.#stock.get(component);
    if (ready) {
      this.#stock.delete(component);
      return ready;
    }
    return this.#build(component);
  }

  /** Builds an instance of `component` for the stock unless one is there; false if it could not. */
  prepare(component: string): boolean {
    if (this.#stock.has(component)) return true;
    let instance: Instance;
    try {
      instance = this.#build(component);
    } catch {
      // The request that needs it will build it again and report the error.
      return false;
    }
    if (this.#stock.size >= STOCK_LIMIT) {
      const [oldest] = this.#stock.values();
      if (oldest) {
        this.#stock.delete(oldest.component);
        this.release(oldest);
      }
    }
    this.#stock.set(component, instance);
    return true;
  }

  /** The instance is finished (answered, failed or trapped) and will never run again: recycle its memory. */
  release(instance: Instance): void {
    const memory = instance.memory;
    if (!memory) return;
    instance.memory = undefined;
    const { module, setup } = this.#code(instance.component);
    const own = module.ownMemory;
    if (!own || memory.buffer.byteLength !== own.initialPages * PAGE_BYTES) return;
    const spare = this.#spare.get(setup.moduleKey) ?? [];
    if (spare.length >= SPARE_MEMORIES) return;
    resetMemory(memory, this.#image(setup.moduleKey, module));
    spare.push(memory);
    this.#spare.set(setup.moduleKey, spare);
  }

  #image(moduleKey: string, module: TranspiledModule): MemoryImage | undefined {
    const shared = module.ownMemory?.image;
    if (!shared) return undefined;
    let image = this.#images.get(moduleKey);
    if (!image) {
      image = localImage(shared);
      this.#images.set(moduleKey, image);
    }
    return image;
  }

  /** A memory in the state a spare one is in: new, so zeroed, plus the module's image if it has one. */
  #newMemory(moduleKey: string, module: TranspiledModule, initial: number, component: string): WebAssembly.Memory {
    const maximum = this.#maximumPages;
    // As in Spin, where the store limiter refuses the initial size too: the instance cannot be created.
    if (maximum !== undefined && initial > maximum)
      throw new RangeError(
        `${component}: the initial memory (${initial * PAGE_BYTES} bytes) exceeds --max-instance-memory (${maximum * PAGE_BYTES} bytes in whole pages)`,
      );
    const memory = new WebAssembly.Memory(maximum === undefined ? { initial } : { initial, maximum });
    resetMemory(memory, this.#image(moduleKey, module), true);
    return memory;
  }

  #build(component: string): Instance {
    const { setup, module, instantiate, imports } = this.#code(component);
    const own = module.ownMemory;
    const memory = own
      ? (this.#spare.get(setup.moduleKey)?.pop() ??
        this.#newMemory(setup.moduleKey, module, own.initialPages, component))
      : undefined;
    const ownCore = own ? module.cores[own.core] : undefined;
    const getCore = (name: string): WebAssembly.Module => {
      const core = module.cores[name];
      if (!core) throw new Error(`missing core module ${name}`);
      return core;
    };
    const instantiateCore: InstantiateCore = (core, coreImports = {}) =>
      new WebAssembly.Instance(
        core,
        core === ownCore && memory
          ? { ...coreImports, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } }
          : coreImports,
      );
    try {
      return { component, handler: instantiate(getCore, imports, instantiateCore).incomingHandler, memory };
    } catch (error) {
      if (memory) this.release({ component, handler: { handle() {} }, memory });
      throw error;
    }
  }
}
