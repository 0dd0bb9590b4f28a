/**
 * A strict JSON parser, for the bodies of writes (json-body.ts).
 *
 * `JSON.parse` accepts what I-JSON (RFC 7493) forbids: duplicate member names (the last one silently wins)
 * and lone surrogates. {@link parseStrictJson} rejects both, bounds the nesting depth, and makes a
 * `"__proto__"` member an own property instead of the object's prototype. With `numbers: 'text'` it also
 * keeps each number as written ({@link JsonNumber}), which `JSON.parse` cannot: `1e-400` and `0` are the same
 * double, `0.1234560000000000001` and `0.123456` too, so rules about a number's exact value are judged on
 * its text (field-rules.ts).
 */
import { HttpError } from './problem';

/** The nesting depth {@link parseStrictJson} allows unless told otherwise; `[]` and `{}` are depth 1. */
const DEFAULT_MAX_DEPTH = 32;

/** Character codes the grammar names. */
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The characters a single-character escape stands for, by the code of the character after `\`. */
const ESCAPES: Record<number, string> = {
  0x22: '"',
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

/**
 * A JSON number as written in the body: `text` is its source text (RFC 8259 grammar, already checked), so its
 * exact decimal value is known; {@link JsonNumber.value} is the nearest double, as `JSON.parse` gives.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** The nearest double (`Infinity` past the range, `0` below it, `-0` for `-0`). */
  get value(): number {
    return Number(this.text);
  }
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/** How {@link parseStrictJson} gives numbers: doubles (as `JSON.parse`), or {@link JsonNumber}s that keep their text. */
export type NumberMode = 'double' | 'text';

function invalid(problem: string, offset: number): HttpError {
  return new HttpError(400, 'invalid-json', `The body is not valid JSON: ${problem} at offset ${offset}.`);
}

/** A member name for an error detail: JSON-quoted, cut to 64 characters. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

const isDigit = (code: number): boolean => code >= ZERO && code <= NINE;

/**
 * Parses `text` as one JSON value (RFC 8259 grammar, I-JSON rules), in time linear in its length.
 *
 * Rejects duplicate member names in one object, unpaired surrogates (escaped or not), and nesting deeper than
 * `maxDepth` (default 32). Members are defined as own properties, so `"__proto__"` cannot set a prototype.
 * Numbers go through `Number()` after the grammar check (`1e400` is `Infinity`, `-0` is `-0`; callers validate
 * the range), or, with `numbers: 'text'`, are {@link JsonNumber}s holding their source text.
 *
 * @throws HttpError 400 `invalid-json`, whose detail names the problem and its character offset.
 */
export function parseStrictJson(text: string, options: { maxDepth?: number; numbers?: NumberMode } = {}): unknown {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const keepText = options.numbers === 'text';
  let pos = 0;

  const found = (): string => {
    if (pos >= text.length) return 'end of input';
    const code = text.charCodeAt(pos);
    return code < 0x20 || code === 0x7f || code === 0xfeff
      ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
      : JSON.stringify(String.fromCodePoint(text.codePointAt(pos) ?? code));
  };
  const expected = (what: string): HttpError => invalid(`expected ${what} but found ${found()}`, pos);

  const skipWhitespace = (): void => {
    for (; pos < text.length; pos++) {
      const code = text.charCodeAt(pos);
      if (code !== SPACE && code !== LINE_FEED && code !== CARRIAGE_RETURN && code !== TAB) return;
    }
  };

  const parseValue = (depth: number): unknown => {
    skipWhitespace();
    switch (text.charCodeAt(pos)) {
      case OPEN_BRACE:
        return parseObject(depth + 1);
      case OPEN_BRACKET:
        return parseArray(depth + 1);
      case QUOTE:
        return parseString();
      case 0x74: // t
        return parseLiteral('true', true);
      case 0x66: // f
        return parseLiteral('false', false);
      case 0x6e: // n
        return parseLiteral('null', null);
      default:
        return parseNumber();
    }
  };

  const enter = (depth: number): void => {
    if (depth > maxDepth) throw invalid(`nesting deeper than ${maxDepth} levels`, pos);
    pos++;
    skipWhitespace();
  };

  /** After a member or an element: `true` once past the closing `close`, `false` once past a `,`; else the error. */
  const closes = (close: number, shown: string): boolean => {
    skipWhitespace();
    const code = text.charCodeAt(pos);
    if (code !== close && code !== COMMA) throw expected(`',' or '${shown}'`);
    pos++;
    return code === close;
  };

  const parseObject = (depth: number): Record<string, unknown> => {
    enter(depth);
    const object: Record<string, unknown> = {};
    if (text.charCodeAt(pos) === CLOSE_BRACE) {
      pos++;
      return object;
    }
    for (;;) {
      if (text.charCodeAt(pos) !== QUOTE) throw expected('a member name');
      const nameOffset = pos;
      const name = parseString();
      if (Object.hasOwn(object, name)) throw invalid(`duplicate member ${quoteName(name)}`, nameOffset);
      skipWhitespace();
      if (text.charCodeAt(pos) !== COLON) throw expected("':'");
      pos++;
      const value = parseValue(depth);
      Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
      if (closes(CLOSE_BRACE, '}')) return object;
      skipWhitespace();
    }
  };

  const parseArray = (depth: number): unknown[] => {
    enter(depth);
    const array: unknown[] = [];
    if (text.charCodeAt(pos) === CLOSE_BRACKET) {
      pos++;
      return array;
    }
    for (;;) {
      array.push(parseValue(depth));
      if (closes(CLOSE_BRACKET, ']')) return array;
    }
  };

  const parseLiteral = <T>(literal: string, value: T): T => {
    if (!text.startsWith(literal, pos)) throw expected('a value');
    pos += literal.length;
    return value;
  };

  /** Four hex digits at `pos` as a number, advancing past them. */
  const parseHex4 = (): number => {
    let value = 0;
    for (const end = pos + 4; pos < end; pos++) {
      const code = text.charCodeAt(pos);
      const digit =
        code >= 0x30 && code <= 0x39
          ? code - 0x30
          : code >= 0x61 && code <= 0x66
            ? code - 0x57
            : code >= 0x41 && code <= 0x46
              ? code - 0x37
              : -1;
      if (digit < 0) throw expected('a hex digit');
      value = value * 16 + digit;
    }
    return value;
  };

  const isLow = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

  const parseString = (): string => {
    pos++; // the opening quote
    let result = '';
    let runStart = pos;
    for (;;) {
      if (pos >= text.length) throw invalid('unterminated string', pos);
      const code = text.charCodeAt(pos);
      if (code === QUOTE) {
        result += text.slice(runStart, pos);
        pos++;
        return result;
      }
      if (code < 0x20) throw invalid(`unescaped control character ${found()} in a string`, pos);
      if (code >= 0xd800 && code <= 0xdfff) {
        // Raw surrogates: only a high one followed by a low one is a character.
        if (code <= 0xdbff && isLow(text.charCodeAt(pos + 1))) pos += 2;
        else throw invalid('unpaired surrogate in a string', pos);
        continue;
      }
      if (code !== BACKSLASH) {
        pos++;
        continue;
      }
      result += text.slice(runStart, pos);
      const escapeOffset = pos;
      pos++;
      const kind = text.charCodeAt(pos);
      const simple = ESCAPES[kind];
      if (simple !== undefined) {
        result += simple;
        pos++;
      } else if (kind === 0x75) {
        // \uXXXX; a surrogate escape must be a high one followed at once by an escaped low one.
        pos++;
        const unit = parseHex4();
        if (unit >= 0xd800 && unit <= 0xdfff) {
          if (unit > 0xdbff || text.charCodeAt(pos) !== BACKSLASH || text.charCodeAt(pos + 1) !== 0x75) {
            throw invalid('unpaired surrogate escape in a string', escapeOffset);
          }
          pos += 2;
          const low = parseHex4();
          if (!isLow(low)) throw invalid('unpaired surrogate escape in a string', escapeOffset);
          result += String.fromCharCode(unit, low);
        } else {
          result += String.fromCharCode(unit);
        }
      } else {
        throw invalid(
          pos < text.length
            ? `invalid escape ${JSON.stringify(text.slice(escapeOffset, pos + 1))} in a string`
            : 'unterminated string',
          escapeOffset,
        );
      }
      runStart = pos;
    }
  };

  const skipDigits = (): void => {
    while (isDigit(text.charCodeAt(pos))) pos++;
  };

  /** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
  const parseNumber = (): number | JsonNumber => {
    const start = pos;
    if (text.charCodeAt(pos) === MINUS) pos++;
    const first = text.charCodeAt(pos);
    if (first === ZERO) {
      pos++;
      if (isDigit(text.charCodeAt(pos))) throw invalid('number with a leading zero', start);
    } else if (first >= ONE && first <= NINE) {
      skipDigits();
    } else {
      throw expected(pos === start ? 'a value' : 'a digit');
    }
    if (text.charCodeAt(pos) === DOT) {
      pos++;
      if (!isDigit(text.charCodeAt(pos))) throw expected('a digit');
      skipDigits();
    }
    const e = text.charCodeAt(pos);
    if (e === LOWER_E || e === UPPER_E) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === PLUS || sign === MINUS) pos++;
      if (!isDigit(text.charCodeAt(pos))) throw expected('a digit');
      skipDigits();
    }
    const source = text.slice(start, pos);
    return keepText ? new JsonNumber(source) : Number(source);
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos < text.length) throw expected('end of input');
  return value;
}
