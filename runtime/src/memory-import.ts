/**
 * Rewrites a core Wasm module that defines its own linear memory so that it imports it instead
 * (`spin-runtime`.`memory`), which lets a worker hand each new instance a recycled memory rather than a
 * fresh one. Why: a StarlingMonkey component's main module has a ~9.5 MB initial memory; a fresh memory
 * costs page faults on every page the data segments and the guest touch, plus GC pressure (the memory is
 * external to the JS heap), and that was most of the time of `new WebAssembly.Instance`.
 *
 * When it can, the rewrite also takes the data segments out of the module (the data and data-count
 * sections) and keeps what they write as a {@link MemoryImage}: the worker writes that image into the memory
 * before instantiation, where V8 would otherwise copy ~10,000 segments at every instantiation. It can when
 * every segment is active, on memory 0, at an `i32.const` offset, inside the initial memory, and the module
 * still validates without them (no `memory.init` or `data.drop`); otherwise the segments stay and the memory
 * is zeroed whole instead ({@link compileOwnMemoryCore}).
 *
 * A recycled memory is indistinguishable from a fresh one: it is only reused at its initial size (one that
 * grew is dropped), it is brought back to the state instantiation leaves in a fresh memory (the image, zeros
 * elsewhere; or all zeros, and then instantiation writes the segments as it does into a fresh memory). The
 * instance itself is always new.
 */
import { concat, name, Reader, sectionsOf, uleb } from './wasm-binary.js';

export const MEMORY_IMPORT = { module: 'spin-runtime', name: 'memory' } as const;

export interface MemoryImportRewrite {
  bytes: Uint8Array<ArrayBuffer>;
  /** The memory's initial size in 64 KiB pages, as the module declared it. */
  initialPages: number;
}

const PAGE_BYTES = 65_536;
const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const IMPORT_KIND_MEMORY = 2;

/**
 * The rewritten module, or `undefined` when the module is not one this applies to: it must define exactly
 * one plain memory (32-bit, not shared, no maximum needed) and import none.
 */
export function importOwnMemory(module: Uint8Array): MemoryImportRewrite | undefined {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d)
    return undefined;
  const sections = sectionsOf(module);
  const reader = new Reader(module, 8);
  const memory = sections.find((s) => s.id === SECTION_MEMORY);
  if (!memory) return undefined;
  reader.at = memory.start;
  if (reader.uleb() !== 1) return undefined;
  const flags = reader.uleb();
  // Only 0 (no maximum) or 1 (maximum): shared (2) and 64-bit (4) memories are left alone.
  if (flags > 1) return undefined;
  const initialPages = reader.uleb();
  const maximum = flags & 1 ? reader.uleb() : undefined;

  const imports = sections.find((s) => s.id === SECTION_IMPORT);
  let importCount = 0;
  let importEntries: Uint8Array = new Uint8Array(0);
  if (imports) {
    reader.at = imports.start;
    importCount = reader.uleb();
    const entriesStart = reader.at;
    for (let i = 0; i < importCount; i++) {
      reader.skipName();
      reader.skipName();
      const kind = module[reader.at++];
      if (kind === IMPORT_KIND_MEMORY) return undefined;
      if (kind === 0)
        reader.uleb(); // function: type index
      else if (kind === 1) {
        reader.at += 1; // table: element type, then limits
        reader.skipLimits();
      } else if (kind === 3)
        reader.at += 2; // global: value type, mutability
      else if (kind === 4) {
        reader.at += 1; // tag: attribute, then type index
        reader.uleb();
      } else return undefined;
    }
    importEntries = module.subarray(entriesStart, imports.end);
  }
  const memoryImport = [
    ...name(MEMORY_IMPORT.module),
    ...name(MEMORY_IMPORT.name),
    IMPORT_KIND_MEMORY,
    flags,
    ...uleb(initialPages),
    ...(maximum === undefined ? [] : uleb(maximum)),
  ];
  const importBody = [...uleb(importCount + 1), ...importEntries, ...memoryImport];
  const importSection = [SECTION_IMPORT, ...uleb(importBody.length), ...importBody];

  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let importWritten = false;
  const writeImports = (): void => {
    parts.push(Uint8Array.from(importSection));
    importWritten = true;
  };
  for (const section of sections) {
    // Known sections are ordered by id; custom sections (0) may sit anywhere. A module without an import
    // section gets one before the first known section that must follow it.
    if (!importWritten && section.id > SECTION_IMPORT) writeImports();
    if (section.id === SECTION_MEMORY) continue;
    if (section.id === SECTION_IMPORT) {
      writeImports();
      continue;
    }
    parts.push(
      Uint8Array.from([section.id, ...uleb(section.end - section.start)]),
      module.subarray(section.start, section.end),
    );
  }
  if (!importWritten) writeImports();
  return { bytes: concat(parts), initialPages };
}

/**
 * What a memory holds right after instantiation wrote the module's data segments into it while zeroed:
 * `runs` are (offset, length) pairs in ascending order, not touching, whose bytes follow one another in
 * `bytes`; every other byte is zero. A run may hold zeros: it starts and ends on a multiple of 4, and gaps
 * shorter than {@link RUN_GAP} stay inside it, since a call per run costs more than copying them.
 *
 * `bytes` lives in a SharedArrayBuffer, so it crosses to every worker without a copy; a worker copies it
 * once into memory of its own before use ({@link localImage}), because V8 copies out of a shared buffer
 * about 3x slower than out of a plain one.
 */
export interface MemoryImage {
  runs: Uint32Array;
  bytes: Uint8Array;
}

/** Zero bytes that end a run (4 KiB): fewer, longer runs write the memory fastest (measured). */
const RUN_GAP = 4096;
const SECTION_DATA = 11;
const SECTION_DATA_COUNT = 12;
const OP_I32_CONST = 0x41;
const OP_END = 0x0b;

/**
 * The module without its data segments (data and data-count sections) and the image they write, or
 * `undefined` when that would change what the module does: a passive segment, one on another memory, one
 * whose offset is not a plain `i32.const` (a global, an extended constant), or one that does not fit in
 * `memoryBytes` (instantiation must fail as before). The caller must still check that the stripped module
 * validates: code that uses `memory.init` or `data.drop` needs the data-count section.
 */
export function stripDataSegments(
  module: Uint8Array,
  memoryBytes: number,
): { bytes: Uint8Array<ArrayBuffer>; image: MemoryImage } | undefined {
  const sections = sectionsOf(module);
  const data = sections.find((s) => s.id === SECTION_DATA);
  if (!data) return undefined;
  const reader = new Reader(module, data.start);
  const segments: { offset: number; start: number; end: number }[] = [];
  let imageEnd = 0;
  for (let count = reader.uleb(); count > 0; count--) {
    // Flags 0: active on memory 0; 2: active, memory index follows; 1: passive.
    const flags = reader.uleb();
    const memoryIndex = flags === 0 ? 0 : flags === 2 ? reader.uleb() : undefined;
    if (memoryIndex !== 0) return undefined;
    if (module[reader.at++] !== OP_I32_CONST) return undefined;
    const offset = reader.sleb32();
    if (offset === undefined || module[reader.at++] !== OP_END) return undefined;
    const length = reader.uleb();
    const start = reader.at;
    reader.at += length;
    if (reader.at > data.end || (offset >>> 0) + length > memoryBytes) return undefined;
    segments.push({ offset: offset >>> 0, start, end: reader.at });
    imageEnd = Math.max(imageEnd, (offset >>> 0) + length);
  }
  if (reader.at !== data.end) return undefined;

  // In order, so that a later segment overwrites an earlier one where they overlap, as instantiation does.
  // Rounded up to whole words (still inside the memory, whose size is whole pages).
  const memory = new Uint8Array(Math.ceil(imageEnd / 4) * 4);
  for (const segment of segments) memory.set(module.subarray(segment.start, segment.end), segment.offset);
  const image = imageOf(memory);

  const kept = sections.filter((s) => s.id !== SECTION_DATA && s.id !== SECTION_DATA_COUNT);
  return { bytes: concat([module.subarray(0, 8), ...kept.map((s) => module.subarray(s.head, s.end))]), image };
}

/** `memory`: the bytes the segments write, from offset 0, its length a multiple of 4. */
function imageOf(memory: Uint8Array<ArrayBuffer>): MemoryImage {
  // Scanned by 32-bit words (half the time of a byte loop: ~30 ms for 10 MB), so runs start and end on
  // multiples of 4.
  const words = new Uint32Array(memory.buffer, 0, memory.length / 4);
  const gapWords = RUN_GAP / 4;
  const runs: number[] = [];
  let total = 0;
  let at = 0;
  for (;;) {
    while (at < words.length && words[at] === 0) at++;
    if (at === words.length) break;
    const start = at;
    let end = at + 1; // one past the run's last non-zero word
    for (at = end; at < words.length && at - end < gapWords; at++) if (words[at] !== 0) end = at + 1;
    runs.push(start * 4, (end - start) * 4);
    total += (end - start) * 4;
    at = end;
  }
  const bytes = new Uint8Array(new SharedArrayBuffer(total));
  let offset = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i] ?? 0;
    const length = runs[i + 1] ?? 0;
    bytes.set(memory.subarray(start, start + length), offset);
    offset += length;
  }
  return { runs: Uint32Array.from(runs), bytes };
}

/**
 * The image with its bytes copied out of the shared buffer, for a worker to use (see {@link MemoryImage}). The
 * copy lives in the pages of a Wasm memory (mapped by V8, unmapped when the worker stops) rather than in an
 * ArrayBuffer from the allocator: glibc keeps such multi-megabyte blocks in its arenas after a worker stops (it
 * raises its mmap threshold past them once one was freed), ~25 MB per stopped worker that RSS never gave back
 * (bench/results/memory-load.md).
 */
export function localImage(image: MemoryImage): MemoryImage {
  const length = image.bytes.byteLength;
  const bytes = new Uint8Array(
    new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(length / PAGE_BYTES)) }).buffer,
    0,
    length,
  );
  bytes.set(image.bytes);
  return { runs: image.runs, bytes };
}

/**
 * Brings `memory` (exactly the module's initial size) to the state instantiation leaves in a fresh memory
 * when the data segments were stripped: the image's runs, zeros elsewhere. `zeroed`: the memory is known to
 * be all zeros (a new one), so only the runs are written. Without an image (the module kept its segments),
 * it is zeroed.
 */
export function resetMemory(memory: WebAssembly.Memory, image: MemoryImage | undefined, zeroed = false): void {
  const target = new Uint8Array(memory.buffer);
  if (!image) {
    if (!zeroed) target.fill(0);
    return;
  }
  const { runs, bytes } = image;
  let end = 0;
  let from = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const offset = runs[i] ?? 0;
    const length = runs[i + 1] ?? 0;
    if (!zeroed) target.fill(0, end, offset);
    target.set(bytes.subarray(from, from + length), offset);
    from += length;
    end = offset + length;
  }
  if (!zeroed) target.fill(0, end);
}

/** The main core module compiled for memory recycling, as {@link compileOwnMemoryCore} returns it. */
export interface OwnMemoryCore {
  core: WebAssembly.Module;
  /** The memory's initial size in 64 KiB pages, as the module declared it. */
  initialPages: number;
  /** Present when the data segments were stripped: the memory must hold this before instantiation. */
  image?: MemoryImage;
}

/**
 * Compiles a core module that defines its own memory so that it imports it ({@link importOwnMemory}) and,
 * when {@link stripDataSegments} applies and the result validates, without its data segments. `undefined`:
 * the module is not one this applies to (compile it as it is).
 */
export async function compileOwnMemoryCore(module: Uint8Array): Promise<OwnMemoryCore | undefined> {
  const rewritten = importOwnMemory(module);
  if (!rewritten) return undefined;
  const { initialPages } = rewritten;
  const stripped = stripDataSegments(rewritten.bytes, initialPages * PAGE_BYTES);
  if (stripped) {
    try {
      return { core: await WebAssembly.compile(stripped.bytes), initialPages, image: stripped.image };
    } catch {
      // The code refers to the segments (memory.init, data.drop): keep them.
    }
  }
  return { core: await WebAssembly.compile(rewritten.bytes), initialPages };
}

/** Whether `memory` holds exactly what {@link resetMemory} would write: the image's runs and zeros elsewhere. */
export function memoryMatchesImage(memory: WebAssembly.Memory, image: MemoryImage): boolean {
  const target = Buffer.from(memory.buffer);
  const zeros = Buffer.alloc(PAGE_BYTES);
  const zero = (from: number, to: number): boolean => {
    for (let at = from; at < to; at += PAGE_BYTES) {
      const end = Math.min(to, at + PAGE_BYTES);
      if (!target.subarray(at, end).equals(zeros.subarray(0, end - at))) return false;
    }
    return true;
  };
  const bytes = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
  let end = 0;
  let from = 0;
  for (let i = 0; i < image.runs.length; i += 2) {
    const offset = image.runs[i] ?? 0;
    const length = image.runs[i + 1] ?? 0;
    if (!zero(end, offset)) return false;
    if (!target.subarray(offset, offset + length).equals(bytes.subarray(from, from + length))) return false;
    from += length;
    end = offset + length;
  }
  return zero(end, target.length);
}
