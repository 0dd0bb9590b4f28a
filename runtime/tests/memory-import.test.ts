/**
 * The core-module rewrite behind memory recycling (runtime/src/memory-import.ts), on tiny hand-made modules:
 * the memory becomes an import, everything else keeps working, and modules it does not apply to are left
 * alone. Then the data segments stripped into a memory image: a memory reset to the image (recycled or new)
 * and instantiated by the stripped module holds exactly what the module with its segments leaves in a fresh
 * memory, on hand-made modules for the edge cases and on the fixture guest's real main core; modules whose
 * segments must stay keep them. The end-to-end side (fresh state on every request, grown memories dropped)
 * is in instances.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compileOwnMemoryCore,
  importOwnMemory,
  MEMORY_IMPORT,
  resetMemory,
  stripDataSegments,
} from '../src/memory-import';
import { loadComponentCode } from '../src/transpile-cache';
import { guestWasm } from './support/runtime';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const bytes = (text: string): number[] => [text.length, ...new TextEncoder().encode(text)];
const section = (id: number, body: number[]): number[] => [id, body.length, ...body];

const TYPES = section(1, [0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f]); // (i32) -> i32
const IMPORT_FUNCTION = section(2, [0x01, ...bytes('env'), ...bytes('f'), 0x00, 0x00]);
const IMPORT_MEMORY = section(2, [0x01, ...bytes('env'), ...bytes('m'), 0x02, 0x00, 0x01]);
const FUNCTIONS = section(3, [0x01, 0x00]);
const MEMORY = section(5, [0x01, 0x00, 0x01]); // one memory, 1 page, no maximum
const SHARED_MEMORY = section(5, [0x01, 0x03, 0x01, 0x02]);
const exportsFor = (loadIndex: number): number[] =>
  section(7, [0x02, ...bytes('memory'), 0x02, 0x00, ...bytes('load'), 0x00, loadIndex]);
const CODE = section(10, [0x01, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b]); // load: i32.load8_u (local 0)
const DATA = section(11, [0x01, 0x00, 0x41, 0x10, 0x0b, 0x02, 0x68, 0x69]); // "hi" at 16
const CUSTOM = section(0, [...bytes('note'), 0x01, 0x02]);

const module = (...sections: number[][]): Uint8Array => Uint8Array.from([...HEADER, ...sections.flat()]);

interface Exports {
  memory: WebAssembly.Memory;
  load(address: number): number;
}

function instantiate(
  rewritten: Uint8Array<ArrayBuffer>,
  memory: WebAssembly.Memory,
  extra: WebAssembly.Imports = {},
): Exports {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(rewritten), {
    ...extra,
    [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory },
  });
  return instance.exports as unknown as Exports;
}

describe('importOwnMemory', () => {
  it('turns the defined memory into an import that receives the data segments', () => {
    const rewritten = importOwnMemory(module(TYPES, FUNCTIONS, MEMORY, exportsFor(0), CODE, DATA, CUSTOM));
    expect(rewritten?.initialPages).toBe(1);
    if (!rewritten) return;
    expect(WebAssembly.Module.imports(new WebAssembly.Module(rewritten.bytes))).toEqual([
      { module: 'spin-runtime', name: 'memory', kind: 'memory' },
    ]);
    const memory = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(memory.buffer).fill(0xff);
    const exports = instantiate(rewritten.bytes, memory);
    expect(exports.memory).toBe(memory);
    expect(exports.load(16)).toBe(0x68);
    expect(exports.load(17)).toBe(0x69);
    // Bytes outside the data segments keep whatever the memory held: the caller must zero it first.
    expect(exports.load(0)).toBe(0xff);
  });

  it('keeps the existing imports, in order, before the memory', () => {
    const rewritten = importOwnMemory(module(TYPES, IMPORT_FUNCTION, FUNCTIONS, MEMORY, exportsFor(1), CODE, DATA));
    if (!rewritten) throw new Error('expected a rewrite');
    expect(WebAssembly.Module.imports(new WebAssembly.Module(rewritten.bytes))).toEqual([
      { module: 'env', name: 'f', kind: 'function' },
      { module: 'spin-runtime', name: 'memory', kind: 'memory' },
    ]);
    const exports = instantiate(rewritten.bytes, new WebAssembly.Memory({ initial: 1 }), {
      env: { f: (x: number) => x },
    });
    expect(exports.load(16)).toBe(0x68);
  });

  it('leaves alone modules that import a memory, define none, or define a shared one', () => {
    expect(importOwnMemory(module(TYPES, IMPORT_MEMORY, FUNCTIONS, CODE))).toBeUndefined();
    expect(importOwnMemory(module(TYPES, FUNCTIONS, CODE))).toBeUndefined();
    expect(importOwnMemory(module(TYPES, FUNCTIONS, SHARED_MEMORY, CODE))).toBeUndefined();
    expect(importOwnMemory(Uint8Array.from([1, 2, 3]))).toBeUndefined();
  });
});

const uleb = (value: number): number[] => {
  const out: number[] = [];
  do {
    out.push((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
    value >>>= 7;
  } while (value > 0);
  return out;
};
const sleb = (value: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const longSection = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
/** An active segment on memory 0 (flags 0, or 2 with the memory index) at an `i32.const` offset. */
const active = (offset: number, data: number[], explicitMemory = false): number[] => [
  ...(explicitMemory ? [0x02, 0x00] : [0x00]),
  0x41,
  ...sleb(offset),
  0x0b,
  ...uleb(data.length),
  ...data,
];
const dataSection = (...segments: number[][]): number[] =>
  longSection(11, [...uleb(segments.length), ...segments.flat()]);
const text = (value: string): number[] => [...new TextEncoder().encode(value)];

const IMPORT_GLOBAL = section(2, [0x01, ...bytes('env'), ...bytes('g'), 0x03, 0x7f, 0x00]); // immutable i32
const DATA_COUNT = section(12, [0x01]);
const CODE_DATA_DROP = section(10, [0x01, 0x0a, 0x00, 0xfc, 0x09, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b]); // data.drop 0, then load
const TWO_PAGES = section(5, [0x01, 0x00, 0x02]);

/** The index of the first byte where `a` and `b` differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.compare(a, b) === 0) return -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

const withMemory = (imports: WebAssembly.Imports, memory: WebAssembly.Memory): WebAssembly.Imports => ({
  ...imports,
  [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory },
});

/**
 * The memory after instantiation, three ways: the module with its segments in a fresh memory (what the
 * runtime did before images), and the module {@link compileOwnMemoryCore} made in a dirty memory reset
 * to its image (a recycled one) and in a new memory given the image.
 */
async function memoriesAfterInstantiation(original: Uint8Array, imports: WebAssembly.Imports = {}) {
  const rewritten = importOwnMemory(original);
  const own = await compileOwnMemoryCore(original);
  if (!rewritten || !own) throw new Error('expected a module that defines its own memory');
  const initial = rewritten.initialPages;
  const fresh = new WebAssembly.Memory({ initial });
  new WebAssembly.Instance(new WebAssembly.Module(rewritten.bytes), withMemory(imports, fresh));
  const recycled = new WebAssembly.Memory({ initial });
  new Uint8Array(recycled.buffer).fill(0xa5);
  resetMemory(recycled, own.image);
  new WebAssembly.Instance(own.core, withMemory(imports, recycled));
  const created = new WebAssembly.Memory({ initial });
  resetMemory(created, own.image, true);
  new WebAssembly.Instance(own.core, withMemory(imports, created));
  return {
    own,
    fresh: new Uint8Array(fresh.buffer),
    recycled: new Uint8Array(recycled.buffer),
    created: new Uint8Array(created.buffer),
  };
}

describe('data segments stripped into a memory image', () => {
  it('leaves the memory exactly as the segments do; a later segment wins where they overlap', async () => {
    const original = module(
      TYPES,
      FUNCTIONS,
      TWO_PAGES,
      exportsFor(0),
      CODE,
      dataSection(
        active(16, text('abcd')),
        active(18, text('XY'), true), // flags 2, memory 0
        active(20, [0, 0, 7, 0]), // zeros inside a segment overwrite too
        active(24, text('z')),
        active(65_530, text('across a page')),
        active(100_000, [1]), // far from the rest: its own run
        active(200, []),
        active(131_071, [9]), // the memory's last byte
      ),
    );
    const { own, fresh, recycled, created } = await memoriesAfterInstantiation(original);
    expect(own.image).toBeDefined();
    expect(Array.from(fresh.subarray(16, 26))).toEqual([...text('abXY'), 0, 0, 7, 0, ...text('z'), 0]);
    expect(fresh[131_071]).toBe(9);
    expect(firstDifference(recycled, fresh)).toBe(-1);
    expect(firstDifference(created, fresh)).toBe(-1);
    // Runs are found by 32-bit words, so they start and end on multiples of 4.
    expect(Array.from(own.image?.runs ?? [])).toEqual([16, 12, 65_528, 16, 100_000, 4, 131_068, 4]);
  });

  it('keeps the segments of a module with a passive segment, a global offset, or another memory index', async () => {
    const passive = [0x01, ...uleb(2), ...text('hi')];
    const globalOffset = [0x00, 0x23, 0x00, 0x0b, ...uleb(2), ...text('hi')];
    const otherMemory = [0x02, 0x01, 0x41, 0x00, 0x0b, 0x00];
    const extendedConst = [0x00, 0x41, 0x01, 0x41, 0x01, 0x6a, 0x0b, 0x00]; // i32.const 1 i32.const 1 i32.add
    for (const segment of [passive, globalOffset, otherMemory, extendedConst]) {
      const rewritten = importOwnMemory(
        module(
          TYPES,
          IMPORT_GLOBAL,
          FUNCTIONS,
          MEMORY,
          exportsFor(0),
          CODE,
          dataSection(active(0, text('ok')), segment),
        ),
      );
      if (!rewritten) throw new Error('expected a rewrite');
      expect(stripDataSegments(rewritten.bytes, 65_536)).toBeUndefined();
    }
    // And end to end: the global-offset module keeps its segments, which still land where the global says.
    const original = module(TYPES, IMPORT_GLOBAL, FUNCTIONS, MEMORY, exportsFor(0), CODE, dataSection(globalOffset));
    const own = await compileOwnMemoryCore(original);
    expect(own?.image).toBeUndefined();
    if (!own) return;
    // Without an image a recycled memory is zeroed whole, and instantiation writes the segments.
    const memory = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(memory.buffer).fill(0xa5);
    resetMemory(memory, own.image);
    new WebAssembly.Instance(own.core, withMemory({ env: { g: 40 } }, memory));
    const expected = new Uint8Array(65_536);
    expected.set(text('hi'), 40);
    expect(firstDifference(new Uint8Array(memory.buffer), expected)).toBe(-1);
  });

  it('keeps the segments when a segment does not fit in the initial memory, so instantiation fails as before', async () => {
    for (const offset of [65_535, -1]) {
      const original = module(
        TYPES,
        FUNCTIONS,
        MEMORY,
        exportsFor(0),
        CODE,
        dataSection(active(0, text('ok')), active(offset, text('hi'))),
      );
      const own = await compileOwnMemoryCore(original);
      expect(own?.image).toBeUndefined();
      if (!own) return;
      expect(() => new WebAssembly.Instance(own.core, withMemory({}, new WebAssembly.Memory({ initial: 1 })))).toThrow(
        WebAssembly.RuntimeError,
      );
    }
  });

  it('keeps the segments when the code refers to them (data.drop needs the data-count section)', async () => {
    const original = module(
      TYPES,
      FUNCTIONS,
      MEMORY,
      exportsFor(0),
      DATA_COUNT,
      CODE_DATA_DROP,
      dataSection(active(16, text('hi'))),
    );
    const rewritten = importOwnMemory(original);
    if (!rewritten) throw new Error('expected a rewrite');
    const stripped = stripDataSegments(rewritten.bytes, 65_536);
    expect(stripped).toBeDefined();
    expect(() => new WebAssembly.Module(stripped?.bytes ?? new Uint8Array())).toThrow(WebAssembly.CompileError);
    const own = await compileOwnMemoryCore(original);
    expect(own?.image).toBeUndefined();
    if (!own) return;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const exports = new WebAssembly.Instance(own.core, withMemory({}, memory)).exports as unknown as Exports;
    expect(exports.load(16)).toBe(0x68);
  });

  it('strips a module that has no data-count section, and leaves one without data as it is', async () => {
    const rewritten = importOwnMemory(module(TYPES, FUNCTIONS, MEMORY, exportsFor(0), CODE));
    if (!rewritten) throw new Error('expected a rewrite');
    expect(stripDataSegments(rewritten.bytes, 65_536)).toBeUndefined(); // nothing to strip
    const { own, fresh, recycled } = await memoriesAfterInstantiation(
      module(TYPES, FUNCTIONS, MEMORY, exportsFor(0), CODE, DATA, CUSTOM),
    );
    expect(own.image).toBeDefined();
    expect(firstDifference(recycled, fresh)).toBe(-1);
  });

  it("gives the fixture guest's main core the same memory as its data segments do", async () => {
    const { module: transpiled } = await loadComponentCode(guestWasm);
    const own = transpiled.ownMemory;
    if (!own) throw new Error('expected the main core module to import its memory');
    expect(own.image).toBeDefined();
    expect(own.image?.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    const original = await readFile(join(dirname(fileURLToPath(transpiled.glueUrl)), own.core));
    const stubs: Record<string, Record<string, () => number>> = {};
    for (const entry of WebAssembly.Module.imports(new WebAssembly.Module(original))) {
      if (entry.kind !== 'function') throw new Error(`unexpected ${entry.kind} import ${entry.module}.${entry.name}`);
      (stubs[entry.module] ??= {})[entry.name] = () => 0;
    }
    const { own: compiled, fresh, recycled, created } = await memoriesAfterInstantiation(original, stubs);
    expect(compiled.image).toBeDefined();
    expect(fresh.some((byte) => byte !== 0)).toBe(true);
    expect(firstDifference(recycled, fresh)).toBe(-1);
    expect(firstDifference(created, fresh)).toBe(-1);
  });
});
