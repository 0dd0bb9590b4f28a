#!/usr/bin/env node
// Generates common/src/unicode/nfc-data.ts, the tables of common/src/unicode/nfc.ts (Unicode NFC for the Wasm
// components, whose engine has no `String.prototype.normalize`), from this Node's own ICU.
//
//   node scripts/gen-nfc-data.mjs [--check]
//
// --check writes nothing: exit 1 when the file differs from what this Node would generate.
//
// Node exposes no Unicode properties, only `normalize`, so every table is derived from its behaviour:
// - decompositions: the NFD of each code point that NFD changes (Hangul syllables excepted: nfc.ts does
//   those arithmetically);
// - non-starters (canonical combining class > 0) and their ranks: x is a non-starter when it reorders
//   against U+0334 (ccc 1: `x U+0334` swaps iff ccc(x) > 1) or U+0301 (ccc 230: `U+0301 x` swaps iff
//   0 < ccc(x) < 230). NFD of `a b` swaps them iff ccc(a) > ccc(b) > 0, which orders the non-starters;
//   equal classes get equal ranks 1..k. Ranks stand in for ccc values: reordering and blocking only compare.
// - composition: each code point p that NFC keeps and whose NFD D has 2+ code points composes from the pair
//   (NFC of D without its last code point, last code point) when NFC of that pair is p. Everything else
//   with a 2+ code point decomposition (composition exclusions, non-starter decompositions) is listed as
//   excluded; nfc.ts rebuilds the pairs from the decompositions minus the exclusions.
// Every table is checked against `normalize` before anything is written.
//
// Encoding: each table is a string of unsigned numbers, each in base 32, most significant digit first:
// digits before the last are DIGITS[32..63], the last is DIGITS[0..31]. Signed deltas are zigzag-coded.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const OUTPUT = fileURLToPath(new URL('../common/src/unicode/nfc-data.ts', import.meta.url));
const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/';
const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;
const MAX = 0x10ffff;

/** Every code point but the surrogates, as one-code-point strings with their values. */
function* codePoints() {
  for (let cp = 0; cp <= MAX; cp++) if (cp < 0xd800 || cp > 0xdfff) yield [cp, String.fromCodePoint(cp)];
}

const codePointsOf = (s) => [...s].map((c) => /** @type {number} */ (c.codePointAt(0)));

/** `n` (an integer >= 0) in the varint alphabet described at the top. */
function varint(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`cannot encode ${n}`);
  let out = DIGITS[n % 32];
  for (n = Math.floor(n / 32); n > 0; n = Math.floor(n / 32)) out = DIGITS[32 + (n % 32)] + out;
  return out;
}

const zigzag = (n) => (n >= 0 ? 2 * n : -2 * n - 1);

/** Derives the three tables from `String.prototype.normalize` and checks them; throws when a check fails. */
export function deriveTables() {
  /** @type {Map<number, number[]>} */
  const decompositions = new Map();
  /** @type {number[]} code points that are their own NFD */
  const nfdForm = [];
  for (const [cp, s] of codePoints()) {
    const nfd = s.normalize('NFD');
    if (nfd === s) nfdForm.push(cp);
    else if (cp < HANGUL_FIRST || cp > HANGUL_LAST) decompositions.set(cp, codePointsOf(nfd));
  }

  const nonStarters = nfdForm.filter((cp) => {
    const x = String.fromCodePoint(cp);
    return (x + '\u0334').normalize('NFD') === '\u0334' + x || ('\u0301' + x).normalize('NFD') === x + '\u0301';
  });
  /** Negative when ccc(a) < ccc(b), positive when ccc(a) > ccc(b), 0 when equal (both non-starters). */
  const compare = (a, b) => {
    const x = String.fromCodePoint(a);
    const y = String.fromCodePoint(b);
    if ((x + y).normalize('NFD') === y + x) return 1;
    if ((y + x).normalize('NFD') === x + y) return -1;
    return 0;
  };
  const sorted = [...nonStarters].sort((a, b) => compare(a, b) || a - b);
  /** @type {Map<number, number>} */
  const ranks = new Map();
  sorted.forEach((cp, i) => {
    const previous = sorted[i - 1];
    ranks.set(cp, previous === undefined ? 1 : (ranks.get(previous) ?? 0) + (compare(previous, cp) === 0 ? 0 : 1));
  });
  // Every ordered pair of non-starters, and each against a starter: NFD swaps exactly when the ranks say so.
  for (const a of nonStarters) {
    const x = String.fromCodePoint(a);
    const rankA = ranks.get(a) ?? 0;
    if (('a' + x).normalize('NFD') !== 'a' + x || (x + 'a').normalize('NFD') !== x + 'a')
      throw new Error(`U+${a.toString(16)} reorders against a starter`);
    for (const b of nonStarters) {
      const y = String.fromCodePoint(b);
      const expected = rankA > (ranks.get(b) ?? 0) ? y + x : x + y;
      if ((x + y).normalize('NFD') !== expected)
        throw new Error(`ranks of U+${a.toString(16)} and U+${b.toString(16)} disagree with NFD`);
    }
  }

  /** @type {Map<number, [number, number]>} composite -> pair */
  const pairs = new Map();
  /** @type {number[]} code points with 2+ code point decompositions that are not composed to */
  const excluded = [];
  for (const [cp, d] of decompositions) {
    if (d.length < 2) continue;
    const p = String.fromCodePoint(cp);
    const firstString = String.fromCodePoint(...d.slice(0, -1)).normalize('NFC');
    const first = codePointsOf(firstString);
    const second = d[d.length - 1];
    if (
      p.normalize('NFC') === p &&
      first.length === 1 &&
      (firstString + String.fromCodePoint(second)).normalize('NFC') === p
    ) {
      if (ranks.has(first[0])) throw new Error(`composite U+${cp.toString(16)} starts with a non-starter`);
      pairs.set(cp, [first[0], second]);
    } else {
      excluded.push(cp);
    }
  }
  // nfc.ts takes a pair's first code point to be d[0] for two code points, else the composite whose
  // decomposition is d without its last code point. Check that rule gives exactly the derived pairs.
  const excludedSet = new Set(excluded);
  const byDecomposition = new Map();
  for (const [cp, d] of decompositions)
    if (d.length >= 2 && !excludedSet.has(cp)) byDecomposition.set(String.fromCodePoint(...d), cp);
  for (const [cp, [first, second]] of pairs) {
    const d = decompositions.get(cp) ?? [];
    const rebuilt = d.length === 2 ? d[0] : byDecomposition.get(String.fromCodePoint(...d.slice(0, -1)));
    if (rebuilt !== first || d[d.length - 1] !== second)
      throw new Error(`pair of U+${cp.toString(16)} cannot be rebuilt from its decomposition`);
  }
  // nfc.ts returns strings of code units below U+0300 unchanged: those must be NFC starters that compose
  // with nothing below U+0300.
  for (const [cp, s] of codePoints()) {
    if (cp >= 0x300) break;
    if (ranks.has(cp) || s.normalize('NFC') !== s) throw new Error(`U+${cp.toString(16)} is not an NFC starter`);
  }
  for (const [cp, [, second]] of pairs)
    if (second < 0x300) throw new Error(`U+${cp.toString(16)} composes from a pair ending below U+0300`);
  return { decompositions, ranks, excluded, pairs };
}

/** The source text of nfc-data.ts for `tables`. */
export function render({ decompositions, ranks, excluded }) {
  // Decompositions, by code point: (cp - previous cp) * 4 + (length - 1), then each code point of the
  // decomposition as a zigzag delta from the code point at the same index in the previous decomposition (0
  // when that one is shorter).
  let decompositionText = '';
  let previousCp = 0;
  let previous = [];
  for (const cp of [...decompositions.keys()].sort((a, b) => a - b)) {
    const d = decompositions.get(cp) ?? [];
    decompositionText += varint((cp - previousCp) * 4 + d.length - 1);
    d.forEach((c, i) => (decompositionText += varint(zigzag(c - (previous[i] ?? 0)))));
    previousCp = cp;
    previous = d;
  }
  // Ranks, as runs of consecutive code points with one rank: (first - end of the previous run), length - 1, rank.
  let rankText = '';
  let end = 0;
  const nonStarters = [...ranks.keys()].sort((a, b) => a - b);
  for (let i = 0; i < nonStarters.length;) {
    const start = nonStarters[i];
    const rank = ranks.get(start);
    let j = i + 1;
    while (nonStarters[j] === start + (j - i) && ranks.get(nonStarters[j]) === rank) j++;
    rankText += varint(start - end) + varint(j - i - 1) + varint(rank ?? 0);
    end = start + (j - i);
    i = j;
  }
  // Exclusions: deltas between successive code points (the first from 0).
  let exclusionText = '';
  let last = 0;
  for (const cp of [...excluded].sort((a, b) => a - b)) {
    exclusionText += varint(cp - last);
    last = cp;
  }
  const literal = (text) => {
    const lines = text.match(/.{1,100}/g) ?? [''];
    return lines.map((line) => `'${line}'`).join(' +\n  ');
  };
  return `// Generated by scripts/gen-nfc-data.mjs from the ICU of Node (Unicode ${process.versions.unicode}).
// Do not edit: re-run the script. Encoding and meaning of the tables: see the script and nfc.ts.

/** The Unicode version of these tables. */
export const UNICODE_VERSION = '${process.versions.unicode}';

/** The digits of the strings below: a number's last base-32 digit is one of the first 32, the others of the last 32. */
export const DIGITS = '${DIGITS}';

/** Full canonical decompositions (${decompositions.size}; Hangul syllables excepted). */
export const DECOMPOSITIONS =
  ${literal(decompositionText)};

/** Canonical combining class ranks of the ${ranks.size} non-starters (max ${Math.max(...ranks.values())}), as runs. */
export const NON_STARTER_RANKS =
  ${literal(rankText)};

/** Code points with decompositions of 2+ code points that NFC never composes to (${excluded.length}). */
export const COMPOSITION_EXCLUSIONS =
  ${literal(exclusionText)};
`;
}

function main() {
  const { values: flags } = parseArgs({ options: { check: { type: 'boolean' } } });
  const text = render(deriveTables());
  let current = null;
  try {
    current = readFileSync(OUTPUT, 'utf8');
  } catch {
    // missing: differs
  }
  if (flags.check) {
    if (current === text) return 0;
    console.error(
      `${OUTPUT} is out of date for Unicode ${process.versions.unicode}: run node scripts/gen-nfc-data.mjs`,
    );
    return 1;
  }
  if (current !== text) writeFileSync(OUTPUT, text);
  console.log(
    `${current === text ? 'unchanged' : 'wrote'} ${OUTPUT} (${text.length} bytes, Unicode ${process.versions.unicode})`,
  );
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
