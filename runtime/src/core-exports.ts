/**
 * Rewrites a core Wasm module so that it also exports its mutable globals and the tables a request could
 * change, under names of the runtime's own (`spin-runtime:global:<index>`, `spin-runtime:table:<index>`).
 * Nothing else changes: the code, the other exports and every index stay as they were. Why: a global or a
 * table that is not exported cannot be read or written from JavaScript, and the runtime must be able to put
 * both back to the values a fresh instantiation gives before it lets a later request run on the same core
 * instance (recycling.ts). A table is left out when no instruction of the module writes a table
 * (table-writes.ts) and the module does not export it: nothing can change it after instantiation.
 */
import { scanTableWrites } from './table-writes.js';
import { concat, name, PLAIN_VALUE_TYPES, Reader, sectionsOf, uleb, type Section } from './wasm-binary.js';

export const GLOBAL_EXPORT_PREFIX = 'spin-runtime:global:';
export const TABLE_EXPORT_PREFIX = 'spin-runtime:table:';

const SECTION_IMPORT = 2;
const SECTION_TABLE = 4;
const SECTION_GLOBAL = 6;
const SECTION_EXPORT = 7;
/** Known sections in the order a module must have them (the data-count section, 12, precedes the code). */
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const KIND_TABLE = 1;
const KIND_GLOBAL = 3;

/** Skips a constant expression up to and including its `end`; false for an instruction it does not know. */
function skipConstant(reader: Reader): boolean {
  const bytes = reader.bytes;
  for (;;) {
    const op = bytes[reader.at++];
    if (op === undefined) return false;
    if (op === 0x0b) return true;
    if (op === 0x41 || op === 0x42)
      reader.skipSigned(); // i32.const, i64.const
    else if (op === 0x43) reader.at += 4;
    else if (op === 0x44) reader.at += 8;
    else if (op === 0x23 || op === 0xd2)
      reader.uleb(); // global.get, ref.func
    else if (op === 0xd0)
      reader.at += 1; // ref.null t
    else if (op === 0xfd) {
      if (reader.uleb() !== 12) return false; // v128.const only
      reader.at += 16;
    } else if (![0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e].includes(op)) return false; // extended constants
  }
}

interface Internals {
  /** Absolute indices of the mutable globals the module defines. */
  globals: number[];
  /** Absolute indices of the tables it defines. */
  tables: number[];
}

function internalsOf(module: Uint8Array, sections: Section[]): Internals | undefined {
  let importedTables = 0;
  let importedGlobals = 0;
  const imports = sections.find((s) => s.id === SECTION_IMPORT);
  if (imports) {
    const reader = new Reader(module, imports.start);
    for (let count = reader.uleb(); count > 0; count--) {
      reader.skipName();
      reader.skipName();
      const kind = module[reader.at++];
      if (kind === 0) reader.uleb();
      else if (kind === KIND_TABLE) {
        reader.at += 1;
        reader.skipLimits();
        importedTables++;
      } else if (kind === 2) reader.skipLimits();
      else if (kind === KIND_GLOBAL) {
        if (!PLAIN_VALUE_TYPES.has(module[reader.at] ?? 0)) return undefined;
        reader.at += 2;
        importedGlobals++;
      } else if (kind === 4) {
        reader.at += 1;
        reader.uleb();
      } else return undefined;
    }
  }
  const tables: number[] = [];
  const table = sections.find((s) => s.id === SECTION_TABLE);
  if (table) {
    const reader = new Reader(module, table.start);
    const count = reader.uleb();
    for (let i = 0; i < count; i++) {
      // 0x40 0x00 starts a table with an initialiser expression (function references): not handled.
      if (!PLAIN_VALUE_TYPES.has(module[reader.at] ?? 0)) return undefined;
      reader.at += 1;
      reader.skipLimits();
      tables.push(importedTables + i);
    }
  }
  const globals: number[] = [];
  const global = sections.find((s) => s.id === SECTION_GLOBAL);
  if (global) {
    const reader = new Reader(module, global.start);
    const count = reader.uleb();
    for (let i = 0; i < count; i++) {
      if (!PLAIN_VALUE_TYPES.has(module[reader.at] ?? 0)) return undefined;
      const mutable = module[reader.at + 1] === 1;
      reader.at += 2;
      if (!skipConstant(reader)) return undefined;
      if (mutable) globals.push(importedGlobals + i);
    }
  }
  return { globals, tables };
}

/**
 * The module with its mutable globals and its tables exported, or `undefined` when it has none or holds
 * something this does not parse (then the module cannot be recycled, only instantiated afresh).
 */
export function exportInternals(module: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d)
    return undefined;
  const sections = sectionsOf(module);
  const internals = internalsOf(module, sections);
  if (!internals) return undefined;

  const exports = sections.find((s) => s.id === SECTION_EXPORT);
  const exportedTables = new Set<number>();
  let count = 0;
  let entries: Uint8Array = new Uint8Array(0);
  if (exports) {
    const reader = new Reader(module, exports.start);
    count = reader.uleb();
    const start = reader.at;
    for (let i = 0; i < count; i++) {
      const length = reader.uleb();
      const text = new TextDecoder().decode(module.subarray(reader.at, reader.at + length));
      if (text.startsWith('spin-runtime:')) return undefined;
      reader.at += length;
      const kind = module[reader.at++];
      const index = reader.uleb();
      if (kind === KIND_TABLE) exportedTables.add(index);
    }
    entries = module.subarray(start, exports.end);
  }
  // The scan reads the whole code section (~150 ms for a 12 MB module): only when a table could be left out.
  const writable = internals.tables.some((index) => !exportedTables.has(index)) && scanTableWrites(module) !== 'none';
  internals.tables = internals.tables.filter((index) => exportedTables.has(index) || writable);
  if (internals.globals.length === 0 && internals.tables.length === 0) return undefined;
  const added = [
    ...internals.globals.flatMap((index) => [...name(`${GLOBAL_EXPORT_PREFIX}${index}`), KIND_GLOBAL, ...uleb(index)]),
    ...internals.tables.flatMap((index) => [...name(`${TABLE_EXPORT_PREFIX}${index}`), KIND_TABLE, ...uleb(index)]),
  ];
  const body = concat([
    Uint8Array.from(uleb(count + internals.globals.length + internals.tables.length)),
    entries,
    Uint8Array.from(added),
  ]);
  const section = concat([Uint8Array.from([SECTION_EXPORT, ...uleb(body.length)]), body]);

  const rank = (id: number): number => SECTION_ORDER.indexOf(id);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let written = false;
  for (const s of sections) {
    if (!written && s.id !== 0 && rank(s.id) > rank(SECTION_EXPORT)) {
      parts.push(section);
      written = true;
    }
    if (s.id === SECTION_EXPORT) {
      parts.push(section);
      written = true;
      continue;
    }
    parts.push(module.subarray(s.head, s.end));
  }
  if (!written) parts.push(section);
  return concat(parts);
}
