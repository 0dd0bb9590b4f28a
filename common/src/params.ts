/** Validation of path parameters, done once at the edge; handlers receive typed values. */
import type { ParameterDoc } from './openapi';
import { HttpError } from './problem';
import { toNfc } from './unicode/nfc';

/** The largest `limit` any top-N endpoint accepts. */
export const MAX_LIMIT = 1000;
/** The longest id accepted in a path, in UTF-16 code units. Longer ids cannot be stored by our clients. */
export const MAX_ID_LENGTH = 200;

const quote = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

/** Parses a top-N limit: a plain decimal integer from 1 to {@link MAX_LIMIT}. */
export function parseLimit(raw: string): number {
  const valid = /^[0-9]{1,7}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= MAX_LIMIT;
  if (!valid) {
    throw new HttpError(
      400,
      'invalid-limit',
      `limit must be a whole number from 1 to ${MAX_LIMIT}; got ${quote(raw)}.`,
      {},
      {
        allowed: { minimum: 1, maximum: MAX_LIMIT },
      },
    );
  }
  return Number(raw);
}

/** Checks an id from the path (already percent-decoded): 1 to {@link MAX_ID_LENGTH} characters, no control characters. */
export function parseId(raw: string): string {
  // eslint-disable-next-line no-control-regex
  if (raw.length === 0 || raw.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(raw)) {
    throw new HttpError(
      400,
      'invalid-id',
      `id must be 1 to ${MAX_ID_LENGTH} characters without control characters; got ${quote(raw)}.`,
    );
  }
  return raw;
}

/** Page sizes of the paged lists (`?limit=`): default and largest. */
export const PAGE_DEFAULT = 1000;
export const PAGE_MAX = 2000;

/** `?limit=` of a paged list: absent means {@link PAGE_DEFAULT}; otherwise a whole number from 1 to {@link PAGE_MAX}. */
export function parsePageLimit(raw: string | null): number {
  if (raw === null) return PAGE_DEFAULT;
  if (!/^[0-9]{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > PAGE_MAX) {
    throw new HttpError(400, 'invalid-query', `limit must be a whole number from 1 to ${PAGE_MAX}; got ${quote(raw)}.`);
  }
  return Number(raw);
}

/** The position after which a page starts: the sort key of the last item of the previous page. */
export type Cursor = string[];

export const encodeCursor = (cursor: Cursor): string => JSON.stringify(cursor);

/** `?after=`: absent means the first page; otherwise a cursor taken from a `Link: rel="next"` header. */
export function parseCursor(raw: string | null, arity: number): Cursor | null {
  if (raw === null) return null;
  let cursor: unknown;
  try {
    cursor = JSON.parse(raw);
  } catch {
    cursor = undefined;
  }
  if (!Array.isArray(cursor) || cursor.length !== arity || !cursor.every((part) => typeof part === 'string')) {
    throw new HttpError(
      400,
      'invalid-query',
      `after must be a cursor from a Link header of this list; got ${quote(raw)}.`,
    );
  }
  return cursor as Cursor;
}

/** A list filter (`?country=`): parses its raw value (or answers 400), and says what it accepts for the documents. */
export interface QueryFilter<T> {
  parse(raw: string): T;
  doc: ParameterDoc;
}

/** List filters (`?country=`, `?minScoring=`, `?updatedSince=`), each described by `what` (`Only customers in this country`). */
export const filters = {
  /** Text, 1 to 200 characters, compared exactly (case-sensitive) in its NFC form, the form the API stores. */
  text: (name: string, what: string): QueryFilter<string> => ({
    doc: {
      description: `${what} (exact and case-sensitive; compared in NFC).`,
      schema: { type: 'string', minLength: 1, maxLength: 200 },
    },
    parse(raw) {
      if (raw.length === 0 || raw.length > 200)
        throw new HttpError(400, 'invalid-query', `${name} must be 1 to 200 characters; got ${quote(raw)}.`);
      return toNfc(raw);
    },
  }),
  oneOf: <T extends string>(name: string, values: readonly T[], what: string): QueryFilter<T> => ({
    doc: { description: `${what}.`, schema: { enum: [...values] } },
    parse(raw) {
      if (!(values as readonly string[]).includes(raw))
        throw new HttpError(400, 'invalid-query', `${name} must be one of ${values.join(', ')}; got ${quote(raw)}.`);
      return raw as T;
    },
  }),
  integer: (name: string, min: number, max: number, what: string): QueryFilter<number> => ({
    doc: { description: `${what}.`, schema: { type: 'integer', minimum: min, maximum: max } },
    parse(raw) {
      if (!/^-?[0-9]{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new HttpError(
          400,
          'invalid-query',
          `${name} must be a whole number from ${min} to ${max}; got ${quote(raw)}.`,
        );
      }
      return Number(raw);
    },
  }),
  /** An RFC 3339 date-time with its offset (`2026-11-30T08:00:00Z`), as UTC text with milliseconds, as stored. */
  timestamp: (name: string, what: string): QueryFilter<string> => ({
    doc: {
      description: `${what} (an RFC 3339 date-time with its offset).`,
      schema: { type: 'string', format: 'date-time' },
    },
    parse(raw) {
      const time = parseRfc3339(raw);
      if (time === null)
        throw new HttpError(
          400,
          'invalid-query',
          `${name} must be an RFC 3339 date-time such as 2026-11-30T08:00:00Z; got ${quote(raw)}.`,
        );
      return new Date(time).toISOString();
    },
  }),
};

/** The `:limit` path parameter of the top-N reads. */
export const LIMIT_PARAMETER: ParameterDoc = {
  description: `How many entries (1 to ${MAX_LIMIT})`,
  schema: { type: 'string', pattern: '^[0-9]{1,7}$', description: `A whole number from 1 to ${MAX_LIMIT}` },
};

/** The `:id` path parameter of an item. */
export const ID_PARAMETER: ParameterDoc = {
  description: `The id (1 to ${MAX_ID_LENGTH} characters; ASCII case is ignored)`,
  schema: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH },
};

const MIN_TIME = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** Milliseconds since the epoch of an RFC 3339 date-time (fractions beyond ms dropped), or `null` when it is not one. */
export function parseRfc3339(raw: string): number | null {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(raw);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offset = match[8] ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  // setUTCFullYear, not Date.UTC: that one reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // 31 February (or month 13) rolls over: a date that does not read back as given does not exist.
  const dateValid = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  // Second 60 is a leap second (RFC 3339, 5.6): it reads as the next second, to which Date rolls it over.
  const timeValid = hour < 24 && minute < 60 && second <= 60;
  date.setUTCHours(hour, minute, second, millis);
  const offsetValid = !match[9] || (Number(match[10]) < 24 && Number(match[11]) < 60);
  const time = date.getTime() - offset * 60_000;
  // Within years 0000-9999 in UTC too, so the stored text form (and its order) holds.
  return dateValid && timeValid && offsetValid && time >= MIN_TIME && time <= MAX_TIME ? time : null;
}
