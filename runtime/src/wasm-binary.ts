/**
 * Reading and writing the few parts of the WebAssembly binary format the runtime rewrites (memory-import.ts,
 * core-exports.ts): LEB128 numbers, names, and the list of sections. Bounds are the callers' to check.
 */
export function uleb(value: number): number[] {
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

export class Reader {
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

  /** An `i32.const` immediate (signed LEB128, at most 5 bytes); undefined if malformed or truncated. */
  sleb32(): number | undefined {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.bytes[this.at++];
      if (byte === undefined) return undefined;
      result |= (byte & 0x7f) << shift;
      if (shift === 28) {
        // The 5th byte is the last; its bits beyond the 32nd must repeat the sign bit.
        const high = byte & 0xf8;
        return high === 0 || high === 0x78 ? result : undefined;
      }
      if ((byte & 0x80) === 0) return byte & 0x40 ? result | (-1 << (shift + 7)) : result;
    }
    return undefined;
  }

  /** Skips a signed LEB128 of any width. */
  skipSigned(): void {
    while ((this.bytes[this.at++] ?? 0) & 0x80);
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

/** Value types of one byte: i32, i64, f32, f64, v128, funcref, externref (not the GC proposal's). */
export const PLAIN_VALUE_TYPES: ReadonlySet<number> = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

export interface Section {
  id: number;
  /** Where the section's id byte is. */
  head: number;
  /** Where its contents start and end. */
  start: number;
  end: number;
}

/** The sections of a module whose header was checked, as their headers say (bounds are not checked). */
export function sectionsOf(module: Uint8Array): Section[] {
  const sections: Section[] = [];
  const reader = new Reader(module, 8);
  while (reader.at < module.length) {
    const head = reader.at;
    const id = module[reader.at++] ?? 0;
    const size = reader.uleb();
    sections.push({ id, head, start: reader.at, end: reader.at + size });
    reader.at += size;
  }
  return sections;
}

export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

export function name(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [...uleb(bytes.length), ...bytes];
}
