/**
 * The core-module rewrite behind memory recycling (runtime/src/memory-import.ts), on tiny hand-made modules:
 * the memory becomes an import, everything else keeps working, and modules it does not apply to are left
 * alone. The end-to-end side (fresh state on every request, grown memories dropped) is in instances.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { importOwnMemory, MEMORY_IMPORT } from '../../runtime/src/memory-import';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const bytes = (text: string): number[] => [text.length, ...new TextEncoder().encode(text)];
const section = (id: number, body: number[]): number[] => [id, body.length, ...body];

const TYPES = section(1, [0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f]); // (i32) -> i32
const IMPORT_FUNCTION = section(2, [0x01, ...bytes('env'), ...bytes('f'), 0x00, 0x00]);
const IMPORT_MEMORY = section(2, [0x01, ...bytes('env'), ...bytes('m'), 0x02, 0x00, 0x01]);
const FUNCTIONS = section(3, [0x01, 0x00]);
const MEMORY = section(5, [0x01, 0x00, 0x01]); // one memory, 1 page, no maximum
const SHARED_MEMORY = section(5, [0x01, 0x03, 0x01, 0x02]);
const exportsFor = (loadIndex: number): number[] => section(7, [0x02, ...bytes('memory'), 0x02, 0x00, ...bytes('load'), 0x00, loadIndex]);
const CODE = section(10, [0x01, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b]); // load: i32.load8_u (local 0)
const DATA = section(11, [0x01, 0x00, 0x41, 0x10, 0x0b, 0x02, 0x68, 0x69]); // "hi" at 16
const CUSTOM = section(0, [...bytes('note'), 0x01, 0x02]);

const module = (...sections: number[][]): Uint8Array => Uint8Array.from([...HEADER, ...sections.flat()]);

interface Exports {
  memory: WebAssembly.Memory;
  load(address: number): number;
}

function instantiate(rewritten: Uint8Array<ArrayBuffer>, memory: WebAssembly.Memory, extra: WebAssembly.Imports = {}): Exports {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(rewritten), { ...extra, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
  return instance.exports as unknown as Exports;
}

describe('importOwnMemory', () => {
  it('turns the defined memory into an import that receives the data segments', () => {
    const rewritten = importOwnMemory(module(TYPES, FUNCTIONS, MEMORY, exportsFor(0), CODE, DATA, CUSTOM));
    expect(rewritten?.initialPages).toBe(1);
    if (!rewritten) return;
    expect(WebAssembly.Module.imports(new WebAssembly.Module(rewritten.bytes))).toEqual([{ module: 'spin-runtime', name: 'memory', kind: 'memory' }]);
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
    const exports = instantiate(rewritten.bytes, new WebAssembly.Memory({ initial: 1 }), { env: { f: (x: number) => x } });
    expect(exports.load(16)).toBe(0x68);
  });

  it('leaves alone modules that import a memory, define none, or define a shared one', () => {
    expect(importOwnMemory(module(TYPES, IMPORT_MEMORY, FUNCTIONS, CODE))).toBeUndefined();
    expect(importOwnMemory(module(TYPES, FUNCTIONS, CODE))).toBeUndefined();
    expect(importOwnMemory(module(TYPES, FUNCTIONS, SHARED_MEMORY, CODE))).toBeUndefined();
    expect(importOwnMemory(Uint8Array.from([1, 2, 3]))).toBeUndefined();
  });
});
