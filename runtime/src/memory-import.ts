/**
 * Rewrites a core Wasm module that defines its own linear memory so that it imports it instead
 * (`spin-runtime`.`memory`), which lets a worker hand each new instance a recycled, zeroed memory rather
 * than a fresh one. Why: a StarlingMonkey component's main module has a ~7 MB initial memory; a fresh
 * memory costs page faults on every page the data segments and the guest touch, plus GC pressure (the
 * memory is external to the JS heap), and that was most of the time of `new WebAssembly.Instance`.
 *
 * A recycled memory is indistinguishable from a fresh one: it is only reused at its initial size (one that
 * grew is dropped), it is zeroed whole before reuse, and instantiation writes the data segments again as
 * it does into a fresh memory. The instance itself is always new.
 */

export const MEMORY_IMPORT = { module: 'spin-runtime', name: 'memory' } as const;

export interface MemoryImportRewrite {
  bytes: Uint8Array<ArrayBuffer>;
  /** The memory's initial size in 64 KiB pages, as the module declared it. */
  initialPages: number;
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const IMPORT_KIND_MEMORY = 2;

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    out.push(byte);
  } while (rest > 0);
  return out;
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
  ) {}

  uleb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.bytes[this.at++];
      if (byte === undefined) throw new Error('truncated LEB128');
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
  }

  skipName(): void {
    const length = this.uleb();
    this.at += length;
  }

  /** Skips a `limits` (memory or table); returns its flags. */
  skipLimits(): number {
    const flags = this.uleb();
    this.uleb();
    if (flags & 1) this.uleb();
    return flags;
  }
}

function name(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [...uleb(bytes.length), ...bytes];
}

/**
 * The rewritten module, or `undefined` when the module is not one this applies to: it must define exactly
 * one plain memory (32-bit, not shared, no maximum needed) and import none.
 */
export function importOwnMemory(module: Uint8Array): MemoryImportRewrite | undefined {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) return undefined;
  const sections: { id: number; start: number; end: number }[] = [];
  const reader = new Reader(module, 8);
  while (reader.at < module.length) {
    const id = module[reader.at++] ?? 0;
    const size = reader.uleb();
    sections.push({ id, start: reader.at, end: reader.at + size });
    reader.at += size;
  }
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
      if (kind === 0) reader.uleb(); // function: type index
      else if (kind === 1) {
        reader.at += 1; // table: element type, then limits
        reader.skipLimits();
      } else if (kind === 3) reader.at += 2; // global: value type, mutability
      else if (kind === 4) {
        reader.at += 1; // tag: attribute, then type index
        reader.uleb();
      } else return undefined;
    }
    importEntries = module.subarray(entriesStart, imports.end);
  }
  const memoryImport = [...name(MEMORY_IMPORT.module), ...name(MEMORY_IMPORT.name), IMPORT_KIND_MEMORY, flags, ...uleb(initialPages), ...(maximum === undefined ? [] : uleb(maximum))];
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
    parts.push(Uint8Array.from([section.id, ...uleb(section.end - section.start)]), module.subarray(section.start, section.end));
  }
  if (!importWritten) writeImports();
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return { bytes, initialPages };
}
