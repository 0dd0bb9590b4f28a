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
import { localImage, MEMORY_IMPORT, memoryMatchesImage, resetMemory, type MemoryImage } from './memory-import.js';
import type { ComponentSetup, TranspiledModule } from './protocol.js';
import { CoreSet, RecycleMismatch } from './recycling.js';

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
  /** Its core instances, when they may serve a later request once reset (recycling.ts). */
  cores?: CoreSet;
}

/** Core instances kept for a later request, with the memory they use (reset to the module's image). */
interface Kept {
  cores: CoreSet;
  memory: WebAssembly.Memory;
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
  /** Reset core instances by component, for its next requests. */
  readonly #kept = new Map<string, Kept[]>();
  /**
   * By component: whether its core instances may be recycled. Unknown until its first instance was built (the
   * memory must then hold exactly the image: instantiation ran no guest code); false after a mismatch.
   */
  readonly #recyclable = new Map<string, boolean>();
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
        this.release(oldest, true); // it never ran: as good as a reset one
      }
    }
    this.#stock.set(component, instance);
    return true;
  }

  /**
   * The instance is finished (answered, failed or trapped) and will never run again. `answered`: the guest
   * returned normally with a response; then its core instances are reset and kept for a later request of the
   * same component (unless its memory grew), else only its memory is recycled.
   */
  release(instance: Instance, answered = false): void {
    const memory = instance.memory;
    if (!memory) return;
    instance.memory = undefined;
    const { module, setup } = this.#code(instance.component);
    const own = module.ownMemory;
    if (!own || memory.buffer.byteLength !== own.initialPages * PAGE_BYTES) return;
    const kept = this.#kept.get(instance.component) ?? [];
    const spare = this.#spare.get(setup.moduleKey) ?? [];
    // Kept instances and spare memories together: at most SPARE_MEMORIES memories held per component, kept
    // instances first (they save the most).
    const keep = answered && instance.cores !== undefined && kept.length < SPARE_MEMORIES;
    if (keep) while (spare.length > 0 && kept.length + spare.length >= SPARE_MEMORIES) spare.pop();
    else if (kept.length + spare.length >= SPARE_MEMORIES) return;
    resetMemory(memory, this.#image(setup.moduleKey, module));
    if (keep && instance.cores?.restore()) {
      kept.push({ cores: instance.cores, memory });
      this.#kept.set(instance.component, kept);
      return;
    }
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
    const code = this.#code(component);
    const kept = this.#kept.get(component)?.pop();
    if (kept) {
      try {
        return this.#reuse(component, code, kept);
      } catch (error) {
        if (!(error instanceof RecycleMismatch)) throw error;
        // The glue wired this component differently than its kept instances expect: instantiate afresh.
        this.#recyclable.set(component, false);
        this.#kept.delete(component);
      }
    }
    const { setup, module, instantiate, imports } = code;
    const own = module.ownMemory;
    const memory = own
      ? (this.#spare.get(setup.moduleKey)?.pop() ??
        this.#newMemory(setup.moduleKey, module, own.initialPages, component))
      : undefined;
    const ownCore = own ? module.cores[own.core] : undefined;
    const image = this.#image(setup.moduleKey, module);
    const cores = image && memory && this.#recyclable.get(component) !== false ? new CoreSet() : undefined;
    const instantiateCore: InstantiateCore = (core, coreImports = {}) => {
      const wired =
        core === ownCore && memory
          ? { ...coreImports, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } }
          : coreImports;
      return cores ? cores.instantiate(core, wired) : new WebAssembly.Instance(core, wired);
    };
    try {
      const handler = instantiate(this.#getCore(module), imports, instantiateCore).incomingHandler;
      if (cores && image && memory && !this.#recyclable.has(component))
        this.#recyclable.set(component, memoryMatchesImage(memory, image));
      if (cores && this.#recyclable.get(component)) {
        cores.snapshot();
        return { component, handler, memory, cores };
      }
      return { component, handler, memory };
    } catch (error) {
      if (memory) this.release({ component, handler: { handle() {} }, memory });
      throw error;
    }
  }

  /** An instance on kept core instances: the glue instantiates anew (its own state), answered by `kept`. */
  #reuse(component: string, { module, instantiate, imports }: ComponentCode, kept: Kept): Instance {
    const own = module.ownMemory;
    const ownCore = own ? module.cores[own.core] : undefined;
    kept.cores.beginReuse();
    const handler = instantiate(this.#getCore(module), imports, (core, coreImports = {}) =>
      kept.cores.reuse(
        core,
        core === ownCore
          ? { ...coreImports, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: kept.memory } }
          : coreImports,
      ),
    ).incomingHandler;
    kept.cores.endReuse();
    return { component, handler, memory: kept.memory, cores: kept.cores };
  }

  #getCore(module: TranspiledModule): (name: string) => WebAssembly.Module {
    return (name) => {
      const core = module.cores[name];
      if (!core) throw new Error(`missing core module ${name}`);
      return core;
    };
  }
}
