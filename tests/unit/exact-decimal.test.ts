/**
 * Numbers judged on their JSON text: the exact decimal value of a number's text (common/src/exact-decimal.ts)
 * and the integer and decimal field rules that use it (common/src/field-rules.ts), on what parseStrictJson gives
 * with `numbers: 'text'`.
 */
import { describe, expect, it } from 'vitest';
import {
  compareExact,
  decimalPlaces,
  exactDecimal,
  exactOfDouble,
  isWhole,
  isZero,
} from '@aggregates/common/exact-decimal';
import { decimal, integer } from '@aggregates/common/field-rules';
import { JsonNumber, parseStrictJson } from '@aggregates/common/strict-json';

describe('exactDecimal', () => {
  it.each([
    ['0', false, '', 0],
    ['-0', true, '', 0],
    ['-0.000e-5', true, '', 0],
    ['7', false, '7', 0],
    ['7.0', false, '7', 0],
    ['7e0', false, '7', 0],
    ['70e-1', false, '7', 0],
    ['1e1', false, '1', 1],
    ['1E+1', false, '1', 1],
    ['1.250000', false, '125', -2],
    ['-12.5', true, '125', -1],
    ['0.000001', false, '1', -6],
    ['1e-400', false, '1', -400],
    ['0.1234560000000000001', false, '1234560000000000001', -19],
    ['100', false, '1', 2],
    ['1200.0034e2', false, '12000034', -2],
  ])('reads %s exactly', (text, negative, digits, exponent) => {
    expect(exactDecimal(text)).toEqual({ negative, digits, exponent });
  });

  it('clamps absurd exponents without losing what they mean', () => {
    expect(exactDecimal('1e99999999999999999999')).toEqual({ negative: false, digits: '1', exponent: 1e12 });
    expect(decimalPlaces(exactDecimal('1e-99999999999999999999'))).toBe(1e12);
    expect(isZero(exactDecimal('0e99999999999999999999'))).toBe(true);
    expect(exactDecimal(`1.${'0'.repeat(5000)}`)).toEqual({ negative: false, digits: '1', exponent: 0 });
  });

  it('says whether a value is whole and how many decimals it needs', () => {
    expect(['7', '7.0', '7e0', '1e1', '70e-1', '0e-400'].map((t) => isWhole(exactDecimal(t)))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['7.5', '1e-400', '10.0000000000000001'].map((t) => isWhole(exactDecimal(t)))).toEqual([
      false,
      false,
      false,
    ]);
    expect(
      ['12.5', '1.250000', '1e-7', '0.1234560000000000001', '5'].map((t) => decimalPlaces(exactDecimal(t))),
    ).toEqual([1, 2, 7, 19, 0]);
  });

  it('compares exactly, past what doubles tell apart', () => {
    const cmp = (a: string, b: string) => compareExact(exactDecimal(a), exactDecimal(b));
    expect(cmp('10.0000000000000001', '10')).toBe(1);
    expect(cmp('9.9999999999999999', '10')).toBe(-1);
    expect(cmp('1e1', '10.000')).toBe(0);
    expect(cmp('-0', '0')).toBe(0);
    expect(cmp('-1e-400', '0')).toBe(-1);
    expect(cmp('1e-400', '0')).toBe(1);
    expect(cmp('-2', '-10')).toBe(1);
    expect(cmp('9000000000.000001', '9e9')).toBe(1);
    expect(cmp('123', '1e400')).toBe(-1);
    expect(compareExact(exactOfDouble(9e9), exactDecimal('9000000000'))).toBe(0);
    expect(exactOfDouble(-0)).toEqual({ negative: true, digits: '', exponent: 0 });
  });

  it('agrees with the doubles where they are exact (seeded random texts)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const a = (random() - 0.5) * 10 ** Math.floor(random() * 8);
      const b = (random() - 0.5) * 10 ** Math.floor(random() * 8);
      expect({ a, b, cmp: compareExact(exactOfDouble(a), exactOfDouble(b)) }).toEqual({
        a,
        b,
        cmp: Math.sign(a - b) || 0,
      });
      expect({ a, whole: isWhole(exactOfDouble(a)) }).toEqual({ a, whole: Number.isInteger(a) });
    }
  });
});

describe('number fields on JSON texts', () => {
  const scoring = integer({ min: 0, max: 10 });
  const amount = decimal({ min: 0, max: 9_000_000_000, decimals: 6 });
  const read = (text: string) => parseStrictJson(text, { numbers: 'text' });

  it('parseStrictJson keeps each number as written with numbers: "text", anywhere in the document', () => {
    const parsed = read('{"a":1e-400,"b":[0.1234560000000000001,-0],"c":{"d":7.0}}') as {
      a: JsonNumber;
      b: JsonNumber[];
      c: { d: JsonNumber };
    };
    expect(parsed.a).toBeInstanceOf(JsonNumber);
    expect([parsed.a.text, parsed.b[0]?.text, parsed.b[1]?.text, parsed.c.d.text]).toEqual([
      '1e-400',
      '0.1234560000000000001',
      '-0',
      '7.0',
    ]);
    expect([parsed.a.value, parsed.b[0]?.value, parsed.c.d.value]).toEqual([0, 0.123456, 7]);
    expect(JSON.stringify(parsed)).toBe('{"a":0,"b":[0.123456,0],"c":{"d":7}}');
    // Without the option, numbers are the doubles JSON.parse gives.
    expect(parseStrictJson('{"a":1e-400}')).toEqual({ a: 0 });
  });

  it('an integer field takes 7, 7.0, 7e0, 1e1 and refuses 7.5, 1e-400, -0, 11, 1e400', () => {
    for (const [text, value] of [
      ['7', 7],
      ['7.0', 7],
      ['7e0', 7],
      ['1e1', 10],
      ['0e-400', 0],
    ] as const)
      expect({ text, result: scoring.parse(read(text)) }).toEqual({ text, result: { value } });
    for (const text of ['7.5', '1e-400', '-0', '-0.0', '11', '1e400', '10.0000000000000001', '-1']) {
      expect({ text, result: scoring.parse(read(text)) }).toEqual({
        text,
        result: { error: expect.stringMatching(/whole number|from 0 to 10/) },
      });
    }
    expect(scoring.parse(read('7.5'))).toEqual({ error: 'must be a whole number from 0 to 10; got 7.5' });
    expect(scoring.parse(read('1e400'))).toEqual({ error: 'must be from 0 to 10; got 1e400' });
  });

  it('an amount takes at most 6 decimals of exact value and refuses more, whatever the double', () => {
    for (const [text, value] of [
      ['12.5', 12.5],
      ['1.250000', 1.25],
      ['125e-2', 1.25],
      ['9e9', 9e9],
      ['0.000001', 0.000001],
    ] as const)
      expect({ text, result: amount.parse(read(text)) }).toEqual({ text, result: { value } });
    expect(amount.parse(read('0.1234560000000000001'))).toEqual({
      error: 'must have at most 6 decimals; got 0.1234560000000000001',
    });
    expect(amount.parse(read('1e-400'))).toEqual({ error: 'must have at most 6 decimals; got 1e-400' });
    expect(amount.parse(read('9000000000.0000001'))).toEqual({
      error: 'must be from 0 to 9000000000; got 9000000000.0000001',
    });
    expect(amount.parse(read('-0'))).toEqual({
      error: 'must be a number from 0 to 9000000000 with at most 6 decimals',
    });
  });

  it('judges a double given directly on its shortest text, as before', () => {
    expect(scoring.parse(7)).toEqual({ value: 7 });
    expect(scoring.parse(-0)).toEqual({ error: 'must be a whole number from 0 to 10' });
    expect(amount.parse(0.1)).toEqual({ value: 0.1 });
    expect(amount.parse(1e-7)).toEqual({ error: 'must have at most 6 decimals; got 1e-7' });
    expect(amount.parse(Infinity)).toEqual({ error: 'must be a number from 0 to 9000000000 with at most 6 decimals' });
  });
});
