/**
 * The writable fields of an aggregate, declared once next to its schema: how each is parsed (trimmed,
 * Unicode-normalised, bounded) and checked. A body is checked whole, so a `422` lists every bad field at once.
 *
 * @example
 * const CUSTOMER = defineFields({ name: text({ max: 200 }), scoring: integer({ min: 0, max: 10 }) }, { readOnly: ['id', 'version'] });
 * const fields = CUSTOMER.parse(body, 'full'); // { name: 'Acme', scoring: 7 }, or throws 422
 */
import { nullable, type JsonSchema } from './openapi';
import { HttpError } from './problem';
import { toNfc } from './unicode/nfc';

/** One bad field of a body: its name (`''` for the body itself) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/** Parses one field's JSON value: returns the value to store, or a message saying what is wrong. */
export interface Field<T> {
  /** `false`: the field may be omitted or `null`, and is stored as NULL. */
  required: boolean;
  parse(value: unknown): { value: T } | { error: string };
  /** What the field accepts, in words, for the docs and the problem's detail. */
  describe: string;
  /** What the field accepts as JSON Schema, for the OpenAPI documents (the words say the rest: trimming, NFC...). */
  schema: JsonSchema;
}

/** A field's schema, with `null` allowed when the field is optional. */
const orNull = (schema: JsonSchema, required: boolean): JsonSchema => (required ? schema : nullable(schema));

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A text field: trimmed, normalised to NFC, then 1 to `max` characters (code points) without control
 * characters. Unpaired surrogates are refused (they cannot be stored as UTF-8).
 */
export function text({ max, required = true }: { max: number; required?: boolean }): Field<string | null> {
  return {
    required,
    describe: `text of 1 to ${max} characters${required ? '' : ', or null'}`,
    schema: orNull({ type: 'string', minLength: 1, maxLength: max, description: 'Trimmed and normalised to NFC; no control characters' }, required),
    parse(value) {
      if (typeof value !== 'string') return { error: `must be a string${required ? '' : ' or null'}` };
      if (LONE_SURROGATE.test(value)) return { error: 'must not contain unpaired surrogates' };
      const normal = toNfc(value.trim());
      if (normal === '') return { error: required ? 'must not be empty' : 'must not be empty (use null for none)' };
      if (CONTROL.test(normal)) return { error: 'must not contain control characters' };
      const length = [...normal].length;
      if (length > max) return { error: `must be at most ${max} characters; got ${length}` };
      return { value: normal };
    },
  };
}

/** A whole number from `min` to `max`. */
export function integer({ min, max, required = true }: { min: number; max: number; required?: boolean }): Field<number | null> {
  return {
    required,
    describe: `a whole number from ${min} to ${max}`,
    schema: orNull({ type: 'integer', minimum: min, maximum: max }, required),
    parse(value) {
      if (typeof value !== 'number' || !Number.isInteger(value) || Object.is(value, -0)) return { error: `must be a whole number from ${min} to ${max}` };
      if (value < min || value > max) return { error: `must be from ${min} to ${max}; got ${value}` };
      return { value };
    },
  };
}

/**
 * A decimal number from `min` to `max` with at most `decimals` digits after the point, judged on the
 * shortest text that reads back as the same double (so `0.1` has one decimal, `1e-7` has seven).
 */
export function decimal({ min, max, decimals, required = true }: { min: number; max: number; decimals: number; required?: boolean }): Field<number | null> {
  const describe = `a number from ${min} to ${max} with at most ${decimals} decimals`;
  return {
    required,
    describe,
    schema: orNull({ type: 'number', minimum: min, maximum: max, description: `At most ${decimals} decimals` }, required),
    parse(value) {
      if (typeof value !== 'number' || !Number.isFinite(value) || Object.is(value, -0)) return { error: `must be ${describe}` };
      if (value < min || value > max) return { error: `must be from ${min} to ${max}; got ${value}` };
      const [mantissa = '', exponent] = Math.abs(value).toString().split('e');
      const places = (mantissa.split('.')[1]?.length ?? 0) - Number(exponent ?? 0);
      if (places > decimals) return { error: `must have at most ${decimals} decimals; got ${value}` };
      return { value };
    },
  };
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(values: readonly T[], { required = true }: { required?: boolean } = {}): Field<T | null> {
  const describe = `one of ${values.join(', ')}${required ? '' : ', or null'}`;
  return {
    required,
    describe,
    schema: { enum: required ? [...values] : [...values, null] },
    parse(value) {
      return typeof value === 'string' && (values as readonly string[]).includes(value) ? { value: value as T } : { error: `must be ${describe}` };
    },
  };
}

export type FieldValues<F extends Record<string, Field<unknown>>> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

export interface FieldSet<F extends Record<string, Field<unknown>>> {
  fields: F;
  /** Names the server sets (id, version, timestamps...): a body that sets one is a 422. */
  readOnly: readonly string[];
  /**
   * Parses a body: `full` (create, PUT) gives every field, absent optional ones as `null`; `partial` (PATCH,
   * a JSON Merge Patch, RFC 7396, which for these flat resources sets each member it names and clears the
   * ones it sets to `null`) gives only the fields the body names. Throws a 422 listing every bad field.
   */
  parse(body: unknown, mode: 'full', more?: MoreChecks<F>): FieldValues<F>;
  parse(body: unknown, mode: 'partial', more?: MoreChecks<F>): Partial<FieldValues<F>>;
  /** The JSON Schema of a body `parse` accepts in this mode (what the words of each field add is checked too). */
  bodySchema(mode: 'full' | 'partial'): JsonSchema;
}

/** Checks that need more than one field's value (the database, say): given the fields that passed their own. */
export type MoreChecks<F extends Record<string, Field<unknown>>> = (valid: Partial<FieldValues<F>>) => FieldError[];

const own = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Throws the `422` for `errors` (none: returns). */
export function throwIfInvalid(errors: FieldError[]): void {
  if (errors.length === 0) return;
  const summary = errors.map((e) => (e.field === '' ? e.message : `${e.field} ${e.message}`)).join('; ');
  throw new HttpError(422, 'validation-failed', `The body has ${errors.length === 1 ? 'an invalid field' : `${errors.length} invalid fields`}: ${summary}.`, {}, { errors });
}

export function defineFields<F extends Record<string, Field<unknown>>>(fields: F, { readOnly }: { readOnly: readonly string[] }): FieldSet<F> {
  const writable = Object.keys(fields);
  function parse(body: unknown, mode: 'full' | 'partial', more?: MoreChecks<F>): Record<string, unknown> {
    if (!isJsonObject(body)) throwIfInvalid([{ field: '', message: 'The body must be a JSON object' }]);
    const object = body as Record<string, unknown>;
    const errors: FieldError[] = [];
    const values: Record<string, unknown> = {};
    const valid: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      if (readOnly.includes(key)) errors.push({ field: key, message: 'is set by the server and cannot be written' });
      else if (!own(fields, key)) errors.push({ field: key, message: `is not a field; the writable fields are ${writable.join(', ')}` });
    }
    for (const [name, field] of Object.entries(fields)) {
      if (mode === 'partial' && !own(object, name)) continue;
      const value = own(object, name) ? object[name] : null;
      if (value === null) {
        if (field.required) errors.push({ field: name, message: `is required (${field.describe})` });
        else valid[name] = null;
        values[name] = null;
        continue;
      }
      const parsed = field.parse(value);
      if ('error' in parsed) errors.push({ field: name, message: parsed.error });
      else values[name] = valid[name] = parsed.value;
    }
    if (more) errors.push(...more(valid as Partial<FieldValues<F>>));
    throwIfInvalid(errors);
    return values;
  }
  function bodySchema(mode: 'full' | 'partial'): JsonSchema {
    const entries = Object.entries(fields);
    return {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(entries.map(([name, field]) => [name, field.schema])),
      ...(mode === 'full' ? { required: entries.filter(([, field]) => field.required).map(([name]) => name) } : {}),
    };
  }
  return { fields, readOnly, parse: parse as FieldSet<F>['parse'], bodySchema };
}
