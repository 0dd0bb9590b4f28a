/**
 * The exact decimal value of a JSON number's text, for rules that a double cannot judge: `1e-400` reads as the
 * double 0 and `0.1234560000000000001` as 0.123456, yet neither is a whole number nor has at most 6 decimals.
 * The value is kept as a digit string and a power of ten, so comparing and counting decimals is exact and costs
 * time linear in the text, whatever its exponent (`1e999999999999` included).
 *
 * @example
 * exactDecimal('1.250000'); // { negative: false, digits: '125', exponent: -2 }
 * decimalPlaces(exactDecimal('1e-400')); // 400
 * compareExact(exactDecimal('10.0000000000000001'), exactDecimal('10')); // 1
 */

/** `(-1)^negative × digits × 10^exponent`; `digits` has no leading or trailing zeros, and is `''` for zero (exponent 0). */
export interface ExactDecimal {
  negative: boolean;
  digits: string;
  exponent: number;
}

/** Exponents beyond this are clamped to it: far past any range or number of decimals, and exact in double arithmetic. */
const EXPONENT_LIMIT = 1e12;

/** The exponent after `e`/`E` (an optional sign, then digits), clamped to ±{@link EXPONENT_LIMIT}. */
function readExponent(text: string): number {
  const sign = text.charAt(0);
  const digits = (sign === '+' || sign === '-' ? text.slice(1) : text).replace(/^0+/, '');
  const magnitude = digits.length > 13 ? EXPONENT_LIMIT : Math.min(Number(digits || '0'), EXPONENT_LIMIT);
  return sign === '-' ? -magnitude : magnitude;
}

/**
 * The exact value of a number written in JSON's grammar (`-? int (. frac)? ([eE] [+-]? digits)?`, which the
 * caller has checked; `String(aDouble)` for a finite double is in it too). `-0` keeps its sign (`negative`, no digits).
 */
export function exactDecimal(text: string): ExactDecimal {
  const negative = text.charCodeAt(0) === 0x2d;
  const start = negative ? 1 : 0;
  let e = text.indexOf('e', start);
  if (e === -1) e = text.indexOf('E', start);
  const mantissa = text.slice(start, e === -1 ? text.length : e);
  const dot = mantissa.indexOf('.');
  const fraction = dot === -1 ? '' : mantissa.slice(dot + 1);
  let digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + fraction;
  let exponent = (e === -1 ? 0 : readExponent(text.slice(e + 1))) - fraction.length;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 0x30) first++;
  let end = digits.length;
  while (end > first && digits.charCodeAt(end - 1) === 0x30) end--;
  exponent += digits.length - end;
  digits = digits.slice(first, end);
  return { negative, digits, exponent: digits === '' ? 0 : exponent };
}

/** Whether the value is zero (`-0` included). */
export const isZero = (value: ExactDecimal): boolean => value.digits === '';

/** Whether the value is a whole number. */
export const isWhole = (value: ExactDecimal): boolean => value.exponent >= 0;

/** How many digits after the point the value needs: `1.250000` needs 2, `7e0` none, `1e-400` 400. */
export const decimalPlaces = (value: ExactDecimal): number => Math.max(0, -value.exponent);

/** Compares the magnitudes of two values: -1, 0 or 1. */
function compareMagnitude(a: ExactDecimal, b: ExactDecimal): number {
  if (a.digits === '' || b.digits === '') return a.digits === b.digits ? 0 : a.digits === '' ? -1 : 1;
  // Where each value's leading digit stands: 10^(order - 1) <= |value| < 10^order.
  const orderA = a.digits.length + a.exponent;
  const orderB = b.digits.length + b.exponent;
  if (orderA !== orderB) return orderA < orderB ? -1 : 1;
  // Same order: the digit strings compare as decimal fractions (a missing digit is a zero, and no string ends in one).
  const length = Math.max(a.digits.length, b.digits.length);
  const da = a.digits.padEnd(length, '0');
  const db = b.digits.padEnd(length, '0');
  return da === db ? 0 : da < db ? -1 : 1;
}

/** Compares two exact values: -1, 0 or 1 (zero and `-0` are equal). */
export function compareExact(a: ExactDecimal, b: ExactDecimal): number {
  const signA = isZero(a) ? 0 : a.negative ? -1 : 1;
  const signB = isZero(b) ? 0 : b.negative ? -1 : 1;
  if (signA !== signB) return signA < signB ? -1 : 1;
  const magnitude = compareMagnitude(a, b);
  return signA < 0 ? -magnitude : magnitude;
}

/** The exact value of a finite double, read from its shortest round-trip text. */
export const exactOfDouble = (value: number): ExactDecimal => {
  const exact = exactDecimal(String(value));
  return Object.is(value, -0) ? { ...exact, negative: true } : exact;
};
