/**
 * Whether a core module's code can change the contents of its tables: a scan of every function body for
 * `table.set`, `table.fill`, `table.copy`, `table.init` and `table.grow`. The answer lets the runtime skip
 * comparing thousands of table entries after each request (recycling.ts) when no instruction can write
 * them. Any instruction the scan does not know makes it answer "maybe", which is always safe.
 */
import { PLAIN_VALUE_TYPES, Reader, sectionsOf } from './wasm-binary.js';

const SECTION_CODE = 10;

/** A memory argument: alignment (bit 6: a memory index follows) and offset. */
function skipMemarg(reader: Reader): void {
  const align = reader.uleb();
  if (align & 0x40) reader.uleb();
  reader.uleb();
}

/** A block type: empty (0x40), one value type, or a type index (a signed LEB128). */
function skipBlockType(reader: Reader): void {
  const byte = reader.bytes[reader.at] ?? 0;
  if (byte === 0x40 || PLAIN_VALUE_TYPES.has(byte)) reader.at += 1;
  else reader.skipSigned();
}

type Scan = 'writes' | 'none' | 'unknown';

/** 0xFC-prefixed instructions: saturating conversions, bulk memory, tables. */
function prefixedFC(reader: Reader): Scan | undefined {
  const op = reader.uleb();
  if (op <= 7) return undefined;
  switch (op) {
    case 8: // memory.init
      reader.uleb();
      reader.uleb();
      return undefined;
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 16: // table.size
      reader.uleb();
      return undefined;
    case 10: // memory.copy
      reader.uleb();
      reader.uleb();
      return undefined;
    case 12: // table.init
    case 14: // table.copy
    case 15: // table.grow
    case 17: // table.fill
      return 'writes';
    default:
      return 'unknown';
  }
}

/** 0xFD-prefixed instructions (SIMD). */
function prefixedFD(reader: Reader): Scan | undefined {
  const op = reader.uleb();
  if (op <= 11 || op === 92 || op === 93) skipMemarg(reader);
  else if (op === 12 || op === 13) reader.at += 16;
  else if (op >= 21 && op <= 34) reader.at += 1;
  else if (op >= 84 && op <= 91) {
    skipMemarg(reader);
    reader.at += 1;
  } else if (op > 275) return 'unknown';
  return undefined;
}

/** 0xFE-prefixed instructions (threads). */
function prefixedFE(reader: Reader): Scan | undefined {
  const op = reader.uleb();
  if (op === 3) reader.at += 1;
  else if (op > 0x4e) return 'unknown';
  else skipMemarg(reader);
  return undefined;
}

/** One instruction after its opcode byte: its immediates skipped; 'writes' or 'unknown' ends the scan. */
function instruction(op: number, reader: Reader): Scan | undefined {
  if (op === 0x26) return 'writes'; // table.set
  if ((op >= 0x45 && op <= 0xc4) || op <= 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f)
    return undefined;
  if (op === 0x1a || op === 0x1b || op === 0x19 || op === 0xd1) return undefined;
  if (op >= 0x28 && op <= 0x3e) {
    skipMemarg(reader);
    return undefined;
  }
  switch (op) {
    case 0x02: // block, loop, if, try
    case 0x03:
    case 0x04:
    case 0x06:
      skipBlockType(reader);
      return undefined;
    case 0x07: // catch, throw, rethrow, delegate, br, br_if, call, return_call, call_ref, return_call_ref
    case 0x08:
    case 0x09:
    case 0x18:
    case 0x0c:
    case 0x0d:
    case 0x10:
    case 0x12:
    case 0x14:
    case 0x15:
    case 0x20: // local.get/set/tee, global.get/set, table.get
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x3f: // memory.size, memory.grow
    case 0x40:
    case 0xd2: // ref.func, br_on_null, br_on_non_null
    case 0xd4:
    case 0xd6:
      reader.uleb();
      return undefined;
    case 0x0e: // br_table
      for (let n = reader.uleb() + 1; n > 0; n--) reader.uleb();
      return undefined;
    case 0x11: // call_indirect, return_call_indirect
    case 0x13:
      reader.uleb();
      reader.uleb();
      return undefined;
    case 0x1c: // select t*
      for (let n = reader.uleb(); n > 0; n--)
        if (!PLAIN_VALUE_TYPES.has(reader.bytes[reader.at++] ?? 0)) return 'unknown';
      return undefined;
    case 0x41:
    case 0x42:
    case 0xd0: // ref.null: a heap type
      reader.skipSigned();
      return undefined;
    case 0x43:
      reader.at += 4;
      return undefined;
    case 0x44:
      reader.at += 8;
      return undefined;
    case 0xfc:
      return prefixedFC(reader);
    case 0xfd:
      return prefixedFD(reader);
    case 0xfe:
      return prefixedFE(reader);
    default:
      return 'unknown';
  }
}

/**
 * 'none' when no instruction of the module writes a table, 'writes' when one may, 'unknown' when the scan met
 * something it does not decode. Tables the module exports or imports can also be written from outside: that is
 * the caller's to consider.
 */
export function scanTableWrites(module: Uint8Array): Scan {
  const code = sectionsOf(module).find((s) => s.id === SECTION_CODE);
  if (!code) return 'none';
  const reader = new Reader(module, code.start);
  for (let count = reader.uleb(); count > 0; count--) {
    const size = reader.uleb();
    const end = reader.at + size;
    for (let groups = reader.uleb(); groups > 0; groups--) {
      reader.uleb();
      if (!PLAIN_VALUE_TYPES.has(module[reader.at++] ?? 0)) return 'unknown';
    }
    while (reader.at < end) {
      const found = instruction(module[reader.at++] ?? 0, reader);
      if (found) return found;
    }
    if (reader.at !== end) return 'unknown';
  }
  return reader.at === code.end ? 'none' : 'unknown';
}
