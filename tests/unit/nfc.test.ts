import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toNfc } from '@aggregates/common/unicode/nfc';
import { UNICODE_VERSION } from '@aggregates/common/unicode/nfc-data';

const hex = (s: string): string =>
  [...s].map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`).join(' ');

/**
 * Whether this Node's ICU knows the same Unicode version as the tables. README allows Node 20.19+, whose ICU may
 * be older than the one the tables were generated from; normalisation of an assigned character never changes
 * between versions (Unicode's stability policy), so there the comparisons leave out only the code points this
 * Node does not know yet (`\p{Cn}` by its own ICU).
 */
const SAME_UNICODE = UNICODE_VERSION === process.versions.unicode;
const knownHere = (s: string): boolean => SAME_UNICODE || !/\p{Cn}/u.test(s);
const versionParts = (v: string): number[] => v.split('.').map(Number);
const olderOrSame = (a: string, b: string): boolean => {
  const [x = [], y = []] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return true;
};

/** The inputs (at most 10, as code points) on which toNfc and Node's normalize('NFC') differ. */
function mismatches(inputs: Iterable<string>): string[] {
  const found: string[] = [];
  for (const input of inputs) {
    if (!knownHere(input) || toNfc(input) === input.normalize('NFC')) continue;
    found.push(`${hex(input)}: got ${hex(toNfc(input))}, want ${hex(input.normalize('NFC'))}`);
    if (found.length === 10) break;
  }
  return found;
}

/** Every code point but the surrogates, as a string, followed by `suffix`. */
function* everyCodePoint(suffix = ''): Generator<string> {
  for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) yield String.fromCodePoint(cp) + suffix;
}

/** xorshift32: a seeded generator of integers in [0, n). */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

/** Ranges [first, last] of code points the random strings draw from, in groups drawn with equal chance. */
const POOLS: [number, number][][] = [
  // Latin letters, precomposed Latin, combining marks (several blocks).
  [
    [0x41, 0x5a],
    [0x61, 0x7a],
    [0xc0, 0x17f],
    [0x1e00, 0x1eff],
  ],
  [
    [0x300, 0x36f],
    [0x1ab0, 0x1aff],
    [0x1dc0, 0x1dff],
    [0x20d0, 0x20f0],
  ],
  [
    [0x300, 0x304],
    [0x306, 0x30c],
    [0x31b, 0x31b],
    [0x323, 0x328],
    [0x334, 0x338],
    [0x345, 0x345],
  ],
  // Hangul: leading, vowel and trailing jamo (modern and old), syllables.
  [
    [0x1100, 0x1112],
    [0x1161, 0x1175],
    [0x11a7, 0x11c3],
    [0x1113, 0x1160],
    [0xac00, 0xd7a3],
  ],
  // Greek, with the marks it composes with.
  [
    [0x370, 0x3ff],
    [0x1f00, 0x1fff],
    [0x313, 0x314],
    [0x342, 0x345],
  ],
  // Devanagari (nukta, virama) and Bengali (two-part vowels).
  [
    [0x900, 0x97f],
    [0x9c7, 0x9d7],
    [0x995, 0x9af],
  ],
  // Vietnamese: letters and their tone marks.
  [
    [0x1ea0, 0x1ef9],
    [0x61, 0x79],
    [0x300, 0x303],
    [0x309, 0x309],
    [0x31b, 0x31b],
    [0x323, 0x323],
  ],
  // Hebrew letters, points and presentation forms.
  [
    [0x591, 0x5c7],
    [0x5d0, 0x5ea],
    [0xfb1d, 0xfb4f],
  ],
  // Tibetan vowels (non-starter decompositions), kana with voicing marks, musical symbols.
  [
    [0xf40, 0xf84],
    [0x3040, 0x30ff],
    [0x3099, 0x309a],
    [0x1d15e, 0x1d172],
  ],
  // Anything in the BMP but surrogates, anything astral.
  [
    [0, 0xd7ff],
    [0xe000, 0xffff],
  ],
  [[0x10000, 0x10ffff]],
];

/** `count` random strings of 1 to 8 code points drawn from POOLS. */
function* randomStrings(count: number, seed: number): Generator<string> {
  const next = random(seed);
  for (let n = 0; n < count; n++) {
    let s = '';
    for (let length = 1 + next(8); length > 0; length--) {
      const pool = POOLS[next(POOLS.length)] ?? [];
      const [first, last] = pool[next(pool.length)] ?? [0x41, 0x41];
      s += String.fromCodePoint(first + next(last - first + 1));
    }
    yield s;
  }
}

describe('toNfc', () => {
  it.each([
    ['e\u0301', '\u00e9'],
    ['\u1e0b\u0323', '\u1e0d\u0307'],
    ['\u1e0d\u0307', '\u1e0d\u0307'],
    ['d\u0307\u0323', '\u1e0d\u0307'],
    ['\u212b', '\u00c5'],
    ['\u2126', '\u03a9'],
    ['A\u030a', '\u00c5'],
    ['\u1100\u1161\u11a8', '\uac01'],
    ['\uac00\u11a8', '\uac01'],
    ['\u1100\u1161\u0301\u11a8', '\uac00\u0301\u11a8'],
    ['\u0344', '\u0308\u0301'],
    ['\u0f73', '\u0f71\u0f72'],
    ['a\u0328\u0301', '\u0105\u0301'],
    ['a\u0301\u0328', '\u0105\u0301'],
    ['\u1ea0\u0302', '\u1eac'],
    ['\u00c0\u0323', '\u1ea0\u0300'],
    ['abc\u00c0\u0323xyz', 'abc\u1ea0\u0300xyz'],
    ['\u304b\u3099', '\u304c'],
    ['\u0915\u093c', '\u0915\u093c'], // U+0958 is excluded from composition
    ['\u0958', '\u0915\u093c'],
    ['\ud834\udd5e', '\ud834\udd57\ud834\udd65'],
    ['\u0301e', '\u0301e'],
    ['', ''],
    ['plain ASCII and Latin-1: caf\u00e9', 'plain ASCII and Latin-1: caf\u00e9'],
  ])('%j -> %j', (input, expected) => {
    expect(hex(toNfc(input))).toBe(hex(expected));
    expect(hex(input.normalize('NFC'))).toBe(hex(expected));
  });

  it('returns strings below U+0300 as they are', () => {
    const s = 'Zo\u00eb \u00c5ngstr\u00f6m \u01c4';
    expect(toNfc(s)).toBe(s);
  });

  it('keeps unpaired surrogates', () => {
    expect(toNfc('a\ud800\u0301')).toBe('a\ud800\u0301');
    expect(toNfc('e\u0301\udc00')).toBe('\u00e9\udc00');
  });

  it('handles long strings', () => {
    const s = 'e\u0301\u1100\u1161\ud834\udd5e'.repeat(5000);
    expect(toNfc(s)).toBe(s.normalize('NFC'));
  });

  it('agrees with normalize on every code point', () => {
    expect(mismatches(everyCodePoint())).toEqual([]);
  });

  it.each(['\u0301', '\u0308', '\u0323', '\u0334', '\u05b0', '\u3099'])(
    'agrees with normalize on every code point followed by %j',
    (mark) => {
      expect(mismatches(everyCodePoint(mark))).toEqual([]);
    },
  );

  it('agrees with normalize on 20,000 random strings', () => {
    const strings = [...randomStrings(20_000, 0x5eed)];
    expect(mismatches(strings)).toEqual([]);
    // Not vacuous: a good share of them are not in NFC.
    expect(strings.filter((s) => s.normalize('NFC') !== s).length).toBeGreaterThan(5_000);
  });
});

describe('nfc-data.ts', () => {
  it("is generated for a Unicode version no older than this Node's", () => {
    // Tables older than the engine would normalise characters they do not know wrongly: regenerate them.
    expect(
      olderOrSame(process.versions.unicode ?? '0', UNICODE_VERSION),
      `tables: Unicode ${UNICODE_VERSION}, Node: ${process.versions.unicode}; run node scripts/gen-nfc-data.mjs`,
    ).toBe(true);
  });

  // The generator derives the tables from this Node's ICU: it can reproduce them only on the same version.
  it.runIf(SAME_UNICODE)('is what scripts/gen-nfc-data.mjs generates (--check)', () => {
    const script = fileURLToPath(new URL('../../scripts/gen-nfc-data.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
