/**
 * Recycled core instances (runtime/src/recycling.ts): a request that reuses the core instances of an earlier
 * one must find exactly what a fresh instantiation gives. First on small modules written for the purpose (a
 * mutable global, a table the code writes, memory, a JavaScript import), then on the fixture guest through
 * the InstanceFactory, as a worker runs it: module state, memory, host resources (an open SQLite transaction
 * left behind) and the cases where nothing may be kept (a trap, a memory that grew).
 */
import { parse } from '@bytecodealliance/jco';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportInternals, GLOBAL_EXPORT_PREFIX, TABLE_EXPORT_PREFIX } from '../src/core-exports';
import { IncomingRequest, ResponseOutparam, type GuestHost } from '../src/host/index';
import { InstanceFactory, type ComponentCode, type GlueInstantiate, type Instance } from '../src/instances';
import { CoreSet, RecycleMismatch } from '../src/recycling';
import { scanTableWrites } from '../src/table-writes';
import { loadComponentCode } from '../src/transpile-cache';
import { standaloneGuestHost } from './support/guest-host';
import { guestWasm, ITEMS_TABLE, tempDir } from './support/runtime';

const wasm = async (wat: string): Promise<Uint8Array<ArrayBuffer>> => new Uint8Array((await parse(wat)) as Uint8Array);

const POKE = `(module
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (global $counter (mut i32) (i32.const 7))
  (global $fixed i32 (i32.const 3))
  (table $t 2 funcref)
  (elem (i32.const 0) $one)
  (func $one (result i32) i32.const 1)
  (func $two (result i32) i32.const 2)
  (elem declare func $two)
  (func (export "poke") (result i32)
    (call $log (global.get $counter))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (table.set $t (i32.const 0) (ref.func $two))
    (i32.store (i32.const 64) (i32.const 5))
    (call_indirect (result i32) (i32.const 0)))
  (func (export "fixed") (result i32) global.get $fixed))`;

describe('exportInternals and scanTableWrites', () => {
  it('exports the mutable globals and a table the code writes, and nothing else changes', async () => {
    const bytes = exportInternals(await wasm(POKE));
    if (!bytes) throw new Error('expected a rewrite');
    expect(WebAssembly.validate(bytes)).toBe(true);
    const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => `${e.kind} ${e.name}`);
    expect(names).toEqual([
      'memory memory',
      'function poke',
      'function fixed',
      `global ${GLOBAL_EXPORT_PREFIX}0`,
      `table ${TABLE_EXPORT_PREFIX}0`,
    ]);
  });

  it('leaves out a table that no instruction writes and the module does not export', async () => {
    const wat = `(module (table 1 funcref) (elem (i32.const 0) $f) (global (mut i64) (i64.const 1))
      (func $f (result i32) (call_indirect (result i32) (i32.const 0))))`;
    expect(scanTableWrites(await wasm(wat))).toBe('none');
    const bytes = exportInternals(await wasm(wat));
    if (!bytes) throw new Error('expected a rewrite');
    expect(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name)).toEqual([
      `${GLOBAL_EXPORT_PREFIX}0`,
    ]);
    // Nothing to export at all: no rewrite.
    expect(exportInternals(await wasm('(module (global i32 (i32.const 1)) (func))'))).toBeUndefined();
  });

  it('finds every instruction that writes a table, and answers unknown for one it cannot decode', async () => {
    const body = (code: string) => `(module (table $t 2 funcref) (elem $e func $f) (func $f ${code}))`;
    expect(scanTableWrites(await wasm(body('(table.fill $t (i32.const 0) (ref.null func) (i32.const 1))')))).toBe(
      'writes',
    );
    expect(scanTableWrites(await wasm(body('(drop (table.grow $t (ref.null func) (i32.const 1)))')))).toBe('writes');
    expect(scanTableWrites(await wasm(body('(table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))')))).toBe(
      'writes',
    );
    expect(scanTableWrites(await wasm(body('(table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1))')))).toBe(
      'writes',
    );
    expect(scanTableWrites(await wasm(body('(drop (table.get $t (i32.const 0)))')))).toBe('none');
    // SIMD and bulk memory with immediates are decoded, not mistaken for table writes.
    const simd = body(
      '(drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.const i64x2 0x26 0x26) (v128.const i32x4 0 0 0 38)))',
    );
    expect(scanTableWrites(await wasm(simd))).toBe('none');
    // An opcode the scan does not know (here 0x1a drop patched to 0xfb, the GC prefix): "unknown", never "none".
    const bytes = await wasm('(module (func i32.const 0 drop))');
    bytes[bytes.lastIndexOf(0x1a)] = 0xfb;
    expect(scanTableWrites(bytes)).toBe('unknown');
  });
});

describe('CoreSet', () => {
  async function poked() {
    const bytes = exportInternals(await wasm(POKE));
    if (!bytes) throw new Error('expected a rewrite');
    const module = new WebAssembly.Module(bytes);
    const set = new CoreSet();
    const logged: string[] = [];
    const instance = set.instantiate(module, { env: { log: (v: number) => logged.push(`first ${v}`) } });
    set.snapshot();
    const exports = instance.exports as { poke(): number; memory: WebAssembly.Memory };
    return { module, set, logged, exports };
  }

  it('puts globals and tables back to their values after instantiation', async () => {
    const { set, exports } = await poked();
    expect(exports.poke()).toBe(2); // the table entry it wrote
    expect(set.restore()).toBe(true);
    expect(exports.poke()).toBe(2); // reads 7 again, writes the table again
    expect(set.restore()).toBe(true);
    const global = (exports as unknown as Record<string, WebAssembly.Global>)[`${GLOBAL_EXPORT_PREFIX}0`];
    const table = (exports as unknown as Record<string, WebAssembly.Table>)[`${TABLE_EXPORT_PREFIX}0`];
    expect(global?.value).toBe(7);
    expect((table?.get(0) as () => number)()).toBe(1);
  });

  it('calls the JavaScript imports of the latest instantiation', async () => {
    const { module, set, logged, exports } = await poked();
    exports.poke();
    set.restore();
    set.beginReuse();
    const again = set.reuse(module, { env: { log: (v: number) => logged.push(`second ${v}`) } });
    set.endReuse();
    expect(again.exports).toBe(exports);
    (again.exports as { poke(): number }).poke();
    expect(logged).toEqual(['first 7', 'second 7']);
  });

  it('refuses a reuse that does not match what the instances were made from', async () => {
    const { module, set } = await poked();
    const other = new WebAssembly.Module(await wasm('(module)'));
    set.beginReuse();
    expect(() => set.reuse(other, {})).toThrow(RecycleMismatch);
    set.beginReuse();
    expect(() => set.reuse(module, { env: { log: 42 } })).toThrow(RecycleMismatch);
    set.beginReuse();
    expect(() => set.reuse(module, { env: { log() {}, extra() {} } })).toThrow(RecycleMismatch);
    set.beginReuse();
    expect(() => set.endReuse()).toThrow(RecycleMismatch);
  });
});

describe('the fixture guest on recycled instances (InstanceFactory, as a worker runs it)', () => {
  const state = tempDir();
  const dbPath = join(state.path, 'default.db');
  let factory: InstanceFactory;
  let host: GuestHost;

  beforeAll(async () => {
    const db = new Database(dbPath);
    db.exec(ITEMS_TABLE);
    db.close();
    const { module } = await loadComponentCode(guestWasm);
    const { instantiate } = (await import(module.glueUrl)) as { instantiate: GlueInstantiate };
    host = standaloneGuestHost();
    const setup = { id: 'guest', moduleKey: 'guest', grants: { sqlite: { default: dbPath } } };
    const code: ComponentCode = { setup, module, instantiate, imports: host.imports(setup) };
    factory = new InstanceFactory(() => code);
  });
  afterAll(() => state.remove());

  /** One request as worker.ts runs it: take, handle, end the host's request, release. */
  function run(path: string): { instance: Instance; status: number | string; body: unknown; memoryBytes: number } {
    const instance = factory.take('guest');
    let memoryBytes = 0;
    const outparam = new ResponseOutparam();
    let answered = false;
    try {
      const [pathInfo = '', query = ''] = path.split('?');
      instance.handler.handle(
        new IncomingRequest({
          method: 'GET',
          url: `http://localhost/a${path}`,
          authority: 'localhost',
          pathWithQuery: `/a${path}`,
          headers: [
            ['spin-path-info', pathInfo],
            ['spin-full-url', `http://localhost/a${pathInfo}${query ? `?${query}` : ''}`],
          ],
          body: null,
        }),
        outparam,
      );
      answered = outparam.result?.tag === 'ok';
    } catch {
      // a trap: released as not answered
    } finally {
      memoryBytes = instance.memory?.buffer.byteLength ?? 0;
      host.endRequest();
      factory.release(instance, answered);
    }
    const result = outparam.result;
    if (result?.tag !== 'ok') return { instance, status: 'failed', body: undefined, memoryBytes };
    const wire = result.val.toWire();
    const text = new TextDecoder().decode(wire.body ?? new Uint8Array(0));
    return { instance, status: wire.status, body: text ? (JSON.parse(text) as unknown) : undefined, memoryBytes };
  }

  it('serves one request after another on the same core instances, each from the initial module state', () => {
    const first = run('/state');
    expect(first.body).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
    for (let i = 0; i < 4; i++) {
      const next = run('/state');
      expect(next.instance.cores).toBeDefined();
      expect(next.instance.cores).toBe(first.instance.cores); // recycled, not new
      expect(next.body).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
    }
    run('/zeroed?kb=256&fill=171');
    const zeroed = run('/zeroed?kb=256&fill=171');
    expect(zeroed.instance.cores).toBe(first.instance.cores);
    expect(zeroed.body).toEqual({ nonZero: 0, size: 256 * 1024 });
  });

  it('ends the host resources a request left open: a transaction never committed is gone', () => {
    const leaked = run(
      `/db/batch?sql=${encodeURIComponent('BEGIN')}&sql=${encodeURIComponent("INSERT INTO items (name) VALUES ('leaked')")}`,
    );
    expect(leaked.status).toBe(200);
    const next = run(
      `/db/batch?sql=${encodeURIComponent('BEGIN')}&sql=${encodeURIComponent("SELECT count(*) AS n FROM items WHERE name = 'leaked'")}&sql=COMMIT`,
    );
    expect(next.instance.cores).toBe(leaked.instance.cores);
    const [begin, count] = next.body as [{ error?: string }, { rows: unknown[][] }];
    expect(begin.error).toBeUndefined(); // no transaction carried over onto this request's connection
    expect(JSON.stringify(count)).toContain('0');
    expect(JSON.stringify(count)).not.toMatch(/\b1\b/);
  });

  it('keeps nothing of a request that trapped or grew its memory', () => {
    const before = run('/state').instance.cores;
    const trapped = run('/trap');
    expect(trapped.status).toBe('failed');
    const afterTrap = run('/state');
    expect(afterTrap.body).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
    expect([before, trapped.instance.cores]).not.toContain(afterTrap.instance.cores);

    const grown = run('/zeroed?kb=16384');
    expect(grown.body).toEqual({ nonZero: 0, size: 16384 * 1024 });
    expect(grown.memoryBytes).toBeGreaterThan(afterTrap.memoryBytes); // it grew
    const afterGrowth = run('/state');
    expect(afterGrowth.instance.cores).not.toBe(grown.instance.cores);
    expect(afterGrowth.body).toEqual({ hits: 1, retainedBefore: 0, retained: 0 });
  });
});
