/**
 * Exact money arithmetic for incident volumes.
 *
 * Summing doubles is neither exact nor order-independent, so two correct implementations (ranking in the
 * aggregator, ranking in SQL) could disagree on the last cent. Each amount is instead counted in integer
 * micro-units (1e-6, rounded half away from zero); the sums are exact integers, and only the final volume is
 * rounded to cents, again half away from zero.
 */

/** Micro-units per currency unit: amounts are accounted to six decimals. */
export const MICROS_PER_UNIT = 1_000_000;
const MICROS_PER_CENT = 10_000;

const TWO_POW_52 = 4503599627370496;

/**
 * Rounds half away from zero exactly as SQLite's `ROUND(x)` does, step for step, so that totals computed
 * here and totals computed in SQL (the incidents component's summary) agree on every input.
 * (JavaScript's `Math.round` differs: it rounds -2.5 to -2.)
 */
export function roundHalfAwayFromZero(value: number): number {
  if (value < -TWO_POW_52 || value > TWO_POW_52) return value;
  return Math.trunc(value + (value < 0 ? -0.5 : 0.5));
}

/** An amount in integer micro-units; a missing or non-numeric amount counts as zero. */
export function toMicros(amount: number | null): number {
  if (amount === null || !Number.isFinite(amount)) return 0;
  return roundHalfAwayFromZero(amount * MICROS_PER_UNIT);
}

/**
 * A sum of micro-units as whole cents, rounded half away from zero. Sums stay exact integers while their
 * magnitude is under 2^53 micro-units (about nine billion currency units), the same bound SQLite's integer
 * sums in the incidents component agree with. (BigInt would lift the bound, but many BigInt operations in
 * one request made the component trap.)
 */
export function microsToCents(micros: number): number {
  const cents = Math.floor((Math.abs(micros) + MICROS_PER_CENT / 2) / MICROS_PER_CENT);
  return micros < 0 ? -cents : cents;
}

/** Whole cents as a JSON number with at most two decimals (e.g. 123456 -> 1234.56). */
export const centsToAmount = (cents: number): number => cents / 100;
