/**
 * Spin's SQLite values, converted in one place (runtime/src/host/sqlite/values.ts) for the runtime's host and
 * the tests' database: WIT values to bindings and result columns back, at the edges (±2^53, s64's ends, -0,
 * NaN, NUL, lone surrogates, empty blobs). The components' side (common/src/spin/sqlite-values.ts) decides
 * which WIT value a JS parameter becomes, and the tests' `Database` goes through both.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf, toSpinValue } from '@aggregates/common/spin/sqlite-values';
import type { SqlParam } from '@aggregates/common/sql';
import {
  bindArguments,
  execute,
  fromColumn,
  numbersParameters,
  toBinding,
  type SqliteValue,
} from '../../runtime/src/host/sqlite/values';
import { createTestDatabase } from '../support/sqlite';

const S64_MAX = 2n ** 63n - 1n;
const S64_MIN = -(2n ** 63n);
const integer = (val: bigint): SqliteValue => ({ tag: 'integer', val });
const real = (val: number): SqliteValue => ({ tag: 'real', val });
const text = (val: string): SqliteValue => ({ tag: 'text', val });
const blob = (...bytes: number[]): SqliteValue => ({ tag: 'blob', val: new Uint8Array(bytes) });
const NULL: SqliteValue = { tag: 'null' };

describe('the host conversion (runtime/src/host/sqlite/values.ts) on a real connection', () => {
  const db = new Database(':memory:');
  afterAll(() => db.close());
  const run = (sql: string, parameters: SqliteValue[] = []) => execute(db.prepare(sql), sql, parameters);
  /** What SQLite stored for one parameter: its storage class, its exact text, and the value read back. */
  const stored = (value: SqliteValue) => {
    const { rows } = run('SELECT typeof(?1) AS t, quote(?1) AS q, ?1 AS v', [value]);
    const [t, q, v] = rows[0]?.values ?? [];
    return { type: t?.tag === 'text' ? t.val : t, quote: q?.tag === 'text' ? q.val : q, value: v };
  };

  it('binds integer as a 64-bit INTEGER and reads it back as a bigint, exact at and beyond ±2^53', () => {
    for (const val of [
      0n,
      1n,
      -1n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
      -(2n ** 53n) - 1n,
      12345678901234567n,
      S64_MAX,
      S64_MIN,
    ]) {
      expect(stored(integer(val))).toEqual({ type: 'integer', quote: String(val), value: integer(val) });
    }
  });

  it('returns INTEGER results as bigint, however small', () => {
    expect(
      run('SELECT 1 AS one, 9007199254740993 AS big, -9223372036854775808 AS min, count(*) AS n FROM (SELECT 1)'),
    ).toEqual({
      columns: ['one', 'big', 'min', 'n'],
      rows: [{ values: [integer(1n), integer(9007199254740993n), integer(S64_MIN), integer(1n)] }],
    });
  });

  it('refuses an integer outside s64 or not a bigint: no guest can send one', () => {
    expect(() => toBinding(integer(S64_MAX + 1n))).toThrow(
      new TypeError('SQLite value integer: 9223372036854775808n is not a WIT s64 (a bigint)'),
    );
    expect(() => toBinding(integer(S64_MIN - 1n))).toThrow(TypeError);
    expect(() => toBinding({ tag: 'integer', val: 1 } as unknown as SqliteValue)).toThrow(
      'SQLite value integer: 1 is not a WIT s64 (a bigint)',
    );
  });

  it('binds real as REAL, whole or not, and keeps -0, the extremes and infinities', () => {
    expect(stored(real(1.5))).toEqual({ type: 'real', quote: '1.5', value: real(1.5) });
    expect(stored(real(0.1))).toEqual({ type: 'real', quote: '0.1', value: real(0.1) });
    // A whole number given as real stays REAL: 2^53 + 2 is not turned into an INTEGER.
    expect(stored(real(2 ** 53 + 2))).toEqual({
      type: 'real',
      quote: '9.007199254740994e+15',
      value: real(2 ** 53 + 2),
    });
    expect(stored(real(3))).toEqual({ type: 'real', quote: '3.0', value: real(3) });
    const negativeZero = stored(real(-0));
    expect(negativeZero.type).toBe('real');
    expect(negativeZero.value).toEqual(real(-0));
    expect(Object.is(negativeZero.value?.tag === 'real' ? negativeZero.value.val : null, -0)).toBe(true);
    expect(stored(real(Number.MAX_VALUE)).value).toEqual(real(Number.MAX_VALUE));
    expect(stored(real(Number.MIN_VALUE)).value).toEqual(real(Number.MIN_VALUE));
    expect(stored(real(-Infinity)).value).toEqual(real(-Infinity));
  });

  it('stores a NaN real as NULL, as SQLite does with any NaN bound', () => {
    expect(stored(real(NaN))).toEqual({ type: 'null', quote: 'NULL', value: NULL });
  });

  it('binds text as TEXT, NUL characters and all, and makes lone surrogates U+FFFD as a WIT string does', () => {
    expect(stored(text('Zürich Präzision AG 🚀'))).toEqual({
      type: 'text',
      quote: "'Zürich Präzision AG 🚀'",
      value: text('Zürich Präzision AG 🚀'),
    });
    // All three bytes are stored (SQL's length() of a text stops at the NUL; the bytes do not).
    expect(run('SELECT length(CAST(?1 AS BLOB)) AS n, hex(?1) AS h, ?1 AS v', [text('a\0b')]).rows[0]?.values).toEqual([
      integer(3n),
      text('610062'),
      text('a\0b'),
    ]);
    expect(run('SELECT ?1 = ?2 AS same', [text(''), NULL]).rows[0]?.values).toEqual([NULL]);
    // better-sqlite3 alone would store ED A0 80, which is not UTF-8; a guest cannot send a lone surrogate at all.
    expect(run('SELECT hex(?1) AS h, ?1 AS v', [text('a\ud800b\udfff')]).rows[0]?.values).toEqual([
      text('61EFBFBD62EFBFBD'),
      text('a\ufffdb\ufffd'),
    ]);
  });

  it('binds blob as BLOB and returns a plain Uint8Array copy, empty ones too', () => {
    const bytes = new Uint8Array([9, 0, 1, 2, 255, 7]).subarray(1, 5); // a view with an offset
    expect(run('SELECT typeof(?1) AS t, hex(?1) AS h', [{ tag: 'blob', val: bytes }]).rows[0]?.values).toEqual([
      text('blob'),
      text('000102FF'),
    ]);
    const back = run("SELECT ?1 AS v, x'' AS empty", [blob(0, 1, 2)]).rows[0]?.values ?? [];
    expect(back).toEqual([blob(0, 1, 2), blob()]);
    for (const value of back) {
      expect(value.tag === 'blob' && value.val.constructor).toBe(Uint8Array);
    }
    expect(stored(blob()).type).toBe('blob');
  });

  it('binds null as NULL', () => {
    expect(stored(NULL)).toEqual({ type: 'null', quote: 'NULL', value: NULL });
  });

  it('refuses values no guest can send, and columns that are no SQLite value', () => {
    expect(() => toBinding({ tag: 'boolean', val: true } as unknown as SqliteValue)).toThrow(
      new TypeError('not a SQLite value: "boolean"'),
    );
    expect(() => toBinding({ tag: 'real', val: 1n } as unknown as SqliteValue)).toThrow(
      'SQLite value real: 1n is not a WIT f64 (a number)',
    );
    expect(() => toBinding({ tag: 'text', val: 1 } as unknown as SqliteValue)).toThrow(
      'SQLite value text: 1 is not a WIT string',
    );
    expect(() => toBinding({ tag: 'blob', val: [1] } as unknown as SqliteValue)).toThrow(
      'SQLite value blob: 1 is not a WIT list<u8> (a Uint8Array)',
    );
    expect(() => fromColumn(true)).toThrow(TypeError);
    expect(() => fromColumn(undefined)).toThrow(TypeError);
  });

  it('binds numbered parameters by number and plain ones by position; a ?1 inside a literal or comment is not a parameter', () => {
    expect(run('SELECT ?2 AS b, ?1 AS a', [integer(1n), text('two')]).rows[0]?.values).toEqual([
      text('two'),
      integer(1n),
    ]);
    expect(run('SELECT ? AS a, ? AS b', [integer(1n), text('two')]).rows[0]?.values).toEqual([
      integer(1n),
      text('two'),
    ]);
    expect(run("SELECT 'what?1' AS s, ? AS v -- ?2\n/* ?3 */", [integer(5n)]).rows[0]?.values).toEqual([
      text('what?1'),
      integer(5n),
    ]);
    expect(numbersParameters("SELECT \"a?1\", [b?2], `c?3`, 'it''s ?4' FROM t WHERE x = ?")).toBe(false);
    expect(numbersParameters("SELECT 'it''s' WHERE x = ?1")).toBe(true);
    expect(numbersParameters('SELECT 1 /* unterminated ?1')).toBe(false);
    expect(bindArguments('SELECT ?1, ?2', [integer(1n), NULL])).toEqual([{ 1: 1n, 2: null }]);
    expect(bindArguments('SELECT ?, ?', [integer(1n), NULL])).toEqual([1n, null]);
  });

  it('returns no columns and no rows for a statement that returns no data, and the rows of one with RETURNING', () => {
    expect(run('CREATE TABLE t (id INTEGER PRIMARY KEY, v)')).toEqual({ columns: [], rows: [] });
    expect(run('INSERT INTO t (v) VALUES (?1)', [real(2.5)])).toEqual({ columns: [], rows: [] });
    expect(run('INSERT INTO t (v) VALUES (?1) RETURNING id, v', [integer(S64_MAX)])).toEqual({
      columns: ['id', 'v'],
      rows: [{ values: [integer(2n), integer(S64_MAX)] }],
    });
    expect(run('SELECT v FROM t WHERE id > ?1', [integer(5n)])).toEqual({ columns: ['v'], rows: [] });
  });
});

describe("the components' conversion (common/src/spin/sqlite-values.ts)", () => {
  it('sends whole numbers within ±(2^53 - 1) as integer, every other number as real', () => {
    expect(toSpinValue(0)).toEqual(integer(0n));
    expect(toSpinValue(-42)).toEqual(integer(-42n));
    expect(toSpinValue(Number.MAX_SAFE_INTEGER)).toEqual(integer(2n ** 53n - 1n));
    expect(toSpinValue(Number.MIN_SAFE_INTEGER)).toEqual(integer(-(2n ** 53n) + 1n));
    expect(toSpinValue(2 ** 53)).toEqual(real(2 ** 53));
    expect(toSpinValue(-(2 ** 53))).toEqual(real(-(2 ** 53)));
    expect(toSpinValue(1e20)).toEqual(real(1e20));
    expect(toSpinValue(0.5)).toEqual(real(0.5));
    expect(toSpinValue(Infinity)).toEqual(real(Infinity));
    expect(toSpinValue(NaN)).toEqual(real(NaN));
  });

  it('sends -0 as the integer 0', () => {
    expect(toSpinValue(-0)).toEqual(integer(0n));
  });

  it('sends strings as text and null as null', () => {
    expect(toSpinValue('')).toEqual(text(''));
    expect(toSpinValue('a\0b')).toEqual(text('a\0b'));
    expect(toSpinValue(null)).toEqual(NULL);
  });

  it('refuses what is not a SqlParam (Spin SDK 2.0.0 would drop it and shift the parameters after it)', () => {
    for (const bad of [true, false, undefined, 1n, new Uint8Array(1), {}]) {
      expect(() => toSpinValue(bad as unknown as SqlParam)).toThrow(TypeError);
    }
    expect(() => toSpinValue(true as unknown as SqlParam)).toThrow(
      'a SQL parameter is a string, a number or null, not boolean true',
    );
  });

  it('makes rows keyed by column name, a repeated name keeping its last value', () => {
    expect(
      rowsOf({
        columns: ['a', 'b', 'a'],
        rows: [{ values: [integer(1n), NULL, text('x')] }, { values: [real(0.5), blob(1), integer(2n)] }],
      }),
    ).toEqual([
      { a: 'x', b: null },
      { a: 2n, b: new Uint8Array([1]) },
    ]);
  });
});

describe("the tests' database (tests/support/sqlite.ts) binds as a component on the runtime does", () => {
  const db = createTestDatabase({ migrate: false });
  afterAll(() => db.close());
  const typed = (param: SqlParam) => db.database.query('SELECT typeof(?1) AS t, ?1 AS v', [param])[0];

  it('binds safe integers as INTEGER and larger whole numbers as REAL', () => {
    expect(typed(7)).toEqual({ t: 'integer', v: 7n });
    expect(typed(Number.MAX_SAFE_INTEGER)).toEqual({ t: 'integer', v: 2n ** 53n - 1n });
    expect(typed(-0)).toEqual({ t: 'integer', v: 0n });
    // Bound as INTEGER before the conversion was shared (and 1e20 failed: too big for a 64-bit integer).
    expect(typed(2 ** 53)).toEqual({ t: 'real', v: 2 ** 53 });
    expect(typed(1e20)).toEqual({ t: 'real', v: 1e20 });
    expect(typed(0.25)).toEqual({ t: 'real', v: 0.25 });
    expect(typed('9')).toEqual({ t: 'text', v: '9' });
    expect(typed(null)).toEqual({ t: 'null', v: null });
  });

  it('accepts plain ? parameters too, as the runtime does', () => {
    expect(db.database.query('SELECT ? AS a, ? AS b', ['x', 2])).toEqual([{ a: 'x', b: 2n }]);
  });

  it('returns BLOB as a plain Uint8Array, as a component receives it', () => {
    const [row] = db.database.query("SELECT x'00ff' AS b");
    expect(row?.b).toEqual(new Uint8Array([0, 255]));
    expect(row?.b?.constructor).toBe(Uint8Array);
  });

  it('refuses a boolean parameter', () => {
    expect(() => db.database.query('SELECT ?1 AS v', [true as unknown as SqlParam])).toThrow(TypeError);
  });

  it('throws SQLite errors as they come', () => {
    expect(() => db.database.query('SELECT * FROM missing')).toThrow('no such table: missing');
    expect(() => db.database.query('SELECT ?1, ?2 AS v', [1])).toThrow(RangeError);
  });
});
