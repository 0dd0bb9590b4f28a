/**
 * Unicode Normalization Form C (UAX #15) without `String.prototype.normalize` or `Intl`, which the Wasm
 * components' engine (StarlingMonkey, built without ICU) lacks. The tables are in ./nfc-data.ts, generated
 * from Node's ICU by scripts/gen-nfc-data.mjs (which also describes their encoding).
 */
import { COMPOSITION_EXCLUSIONS, DECOMPOSITIONS, DIGITS, NON_STARTER_RANKS } from './nfc-data';

// Hangul syllables (The Unicode Standard, section 3.12): S = S_BASE + (L index * V_COUNT + V index) * T_COUNT + T index.
const S_BASE = 0xac00;
const L_BASE = 0x1100;
const V_BASE = 0x1161;
const T_BASE = 0x11a7; // T index 0 means "no trailing consonant"
const L_COUNT = 19;
const V_COUNT = 21;
const T_COUNT = 28;
const N_COUNT = V_COUNT * T_COUNT;
const S_COUNT = L_COUNT * N_COUNT;

/** Full canonical decomposition of each code point that has one, Hangul syllables excepted. */
const DECOMPOSITION = new Map<number, readonly number[]>();
/**
 * Canonical combining class of each non-starter as a rank: 1 for the lowest class in use, equal classes
 * equal ranks. Code points not here are starters (rank 0). Only the order of classes matters to NFC.
 */
const RANK = new Map<number, number>();
/** Primary composite of each pair (first * 0x110000 + second), Hangul excepted. */
const COMPOSITION = new Map<number, number>();

/** The unsigned numbers `text` encodes: base 32, the last digit of each from DIGITS[0..31], the others from DIGITS[32..63]. */
function decode(text: string): number[] {
  const numbers: number[] = [];
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = DIGITS.indexOf(text.charAt(i));
    if (digit < 0) throw new Error(`nfc-data: bad digit ${JSON.stringify(text.charAt(i))}`);
    n = n * 32 + (digit % 32);
    if (digit < 32) {
      numbers.push(n);
      n = 0;
    }
  }
  return numbers;
}

/** The signed number a zigzag code stands for (0, -1, 1, -2, ... for 0, 1, 2, 3, ...). */
const unzigzag = (n: number): number => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

// Decompositions: per entry, (code point - previous one) * 4 + (length - 1), then each code point as a zigzag
// delta from the one at the same index in the previous decomposition (from 0 past its end).
{
  const numbers = decode(DECOMPOSITIONS);
  let cp = 0;
  let previous: readonly number[] = [];
  for (let i = 0; i < numbers.length;) {
    const header = numbers[i++] ?? 0;
    cp += Math.floor(header / 4);
    const decomposition: number[] = [];
    for (let k = 0; k <= header % 4; k++) decomposition.push((previous[k] ?? 0) + unzigzag(numbers[i++] ?? 0));
    DECOMPOSITION.set(cp, decomposition);
    previous = decomposition;
  }
}

// Ranks: runs of (first code point - end of the previous run, length - 1, rank).
{
  const numbers = decode(NON_STARTER_RANKS);
  let end = 0;
  for (let i = 0; i + 2 < numbers.length; i += 3) {
    const start = end + (numbers[i] ?? 0);
    end = start + (numbers[i + 1] ?? 0) + 1;
    for (let cp = start; cp < end; cp++) RANK.set(cp, numbers[i + 2] ?? 0);
  }
}

// Compositions: every decomposition of 2+ code points but the excluded ones is a primary composite of
// (first, last code point), where first is the only code point for a pair, else the primary composite whose
// decomposition is this one without its last code point.
{
  const excluded = new Set<number>();
  let cp = 0;
  for (const delta of decode(COMPOSITION_EXCLUSIONS)) excluded.add((cp += delta));
  const byDecomposition = new Map<string, number>();
  const composites: [number, readonly number[]][] = [];
  for (const [composite, decomposition] of DECOMPOSITION) {
    if (decomposition.length < 2 || excluded.has(composite)) continue;
    byDecomposition.set(String.fromCodePoint(...decomposition), composite);
    composites.push([composite, decomposition]);
  }
  for (const [composite, decomposition] of composites) {
    const first =
      decomposition.length === 2
        ? decomposition[0]
        : byDecomposition.get(String.fromCodePoint(...decomposition.slice(0, -1)));
    const last = decomposition[decomposition.length - 1];
    if (first === undefined || last === undefined) throw new Error(`nfc-data: no pair for U+${composite.toString(16)}`);
    COMPOSITION.set(first * 0x110000 + last, composite);
  }
}

/** Appends the full canonical decomposition of `cp` to `out`, with the ranks to `ranks`, in canonical order. */
function decompose(cp: number, out: number[], ranks: number[]): void {
  const s = cp - S_BASE;
  if (s >= 0 && s < S_COUNT) {
    // Hangul syllables: conjoining jamo, all starters.
    out.push(L_BASE + Math.floor(s / N_COUNT), V_BASE + Math.floor((s % N_COUNT) / T_COUNT));
    ranks.push(0, 0);
    if (s % T_COUNT !== 0) {
      out.push(T_BASE + (s % T_COUNT));
      ranks.push(0);
    }
    return;
  }
  const decomposition = DECOMPOSITION.get(cp);
  if (decomposition === undefined) append(cp, out, ranks);
  else for (const c of decomposition) append(c, out, ranks);
}

/**
 * Appends `cp` (in NFD) to `out` and its rank to `ranks`, moving a non-starter before the non-starters of
 * higher rank that end `out`: the canonical ordering (a stable sort of each run of non-starters by rank).
 */
function append(cp: number, out: number[], ranks: number[]): void {
  const rank = RANK.get(cp) ?? 0;
  let i = out.length;
  if (rank > 0) {
    for (; i > 0 && (ranks[i - 1] ?? 0) > rank; i--) {
      out[i] = out[i - 1] ?? 0;
      ranks[i] = ranks[i - 1] ?? 0;
    }
  }
  out[i] = cp;
  ranks[i] = rank;
}

/** The primary composite of `first` and `second`, or -1 when they do not compose. */
function compose(first: number, second: number): number {
  const l = first - L_BASE;
  if (l >= 0 && l < L_COUNT) {
    const v = second - V_BASE;
    return v >= 0 && v < V_COUNT ? S_BASE + (l * V_COUNT + v) * T_COUNT : -1;
  }
  const s = first - S_BASE;
  if (s >= 0 && s < S_COUNT && s % T_COUNT === 0) {
    const t = second - T_BASE;
    return t > 0 && t < T_COUNT ? first + t : -1;
  }
  return COMPOSITION.get(first * 0x110000 + second) ?? -1;
}

/**
 * `s` in Unicode Normalization Form C, as `s.normalize('NFC')` gives it: canonical decomposition, canonical
 * ordering, then canonical composition (UAX #15). Unpaired surrogates are kept as they are.
 */
export function toNfc(s: string): string {
  // Code points below U+0300 are starters that NFC keeps and that compose with nothing below U+0300
  // (the generator checks this), so only the last one before the first code unit >= U+0300 can change.
  let begin = 0;
  while (begin < s.length && s.charCodeAt(begin) < 0x300) begin++;
  if (begin === s.length) return s;
  if (begin > 0) begin--;

  // Decomposition and canonical ordering.
  const cps: number[] = [];
  const ranks: number[] = [];
  for (let i = begin; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    decompose(cp, cps, ranks);
  }

  // Canonical composition, in place: `length` code points are kept; `starter` is the index of the last
  // starter among them (-1: none yet). A code point C is blocked from it when a kept code point between them
  // is a starter or has a rank >= C's.
  let starter = -1;
  let length = 0;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] ?? 0;
    const rank = ranks[i] ?? 0;
    if (starter >= 0) {
      const previousRank = ranks[length - 1] ?? 0;
      const blocked = length - 1 !== starter && (previousRank === 0 || previousRank >= rank);
      if (!blocked) {
        const composite = compose(cps[starter] ?? 0, cp);
        if (composite >= 0) {
          cps[starter] = composite;
          continue;
        }
      }
    }
    if (rank === 0) starter = length;
    cps[length] = cp;
    ranks[length] = rank;
    length++;
  }

  let out = s.slice(0, begin);
  for (let i = 0; i < length; i += 4096) out += String.fromCodePoint(...cps.slice(i, Math.min(length, i + 4096)));
  return out;
}
