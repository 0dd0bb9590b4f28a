/**
 * The writable fields of an aggregate, declared once next to its schema: how each is parsed (trimmed,
 * Unicode-normalised, bounded) and checked. A body is checked whole, so a `422` lists every bad field at once.
 *
 * @example
 * const CUSTOMER = defineFields({ name: text({ max: 200 }), scoring: integer({ min: 0, max: 10 }) }, { readOnly: ['id', 'version'] });
 * const fields = CUSTOMER.parse(body, 'full'); // { name: 'Acme', scoring: 7 }, or throws 422
 */
import {
  compareExact,
  decimalPlaces,
  exactDecimal,
  exactOfDouble,
  isWhole,
  isZero,
  type ExactDecimal,
} from './exact-decimal';
import { JsonNumber } from './strict-json';
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
  /** What the field accepts besides `null`, as JSON Schema (`schema` is this, or null when the field is optional). */
  valueSchema: JsonSchema;
  /** Given when the aggregate is created and never changed afterwards ({@link setOnce}): what it is, in words. */
  setOnce?: string;
}

/** A field's schema, with `null` allowed when the field is optional. */
const orNull = (schema: JsonSchema, required: boolean): JsonSchema => (required ? schema : nullable(schema));

/**
 * A field given once, when the aggregate is created, and never changed: required (not null) on create; a PUT
 * or PATCH may only repeat its current value, which the store checks (it needs the stored aggregate). `what`
 * says what the value is ("the id of the customer the incident belongs to").
 */
export function setOnce<T>(field: Field<T>, what: string): Field<T> {
  return { ...field, setOnce: what };
}

/** Text that is not empty once trimmed, without control characters once trimmed (JavaScript's `\s` is exactly what `trim` drops). */
const CONTROL_CLASS = '\\u0000-\\u001f\\u007f-\\u009f';
export const TRIMMED_TEXT_PATTERN = `^\\s*[^\\s${CONTROL_CLASS}](?:[^${CONTROL_CLASS}]*[^\\s${CONTROL_CLASS}])?\\s*$`;

/** A number field's input: the number's exact value and its text for messages, or `null` for anything else. */
function numberInput(value: unknown): { exact: ExactDecimal; shown: string; double: number } | null {
  if (value instanceof JsonNumber) {
    const shown = value.text.length > 40 ? `${value.text.slice(0, 40)}…` : value.text;
    return { exact: exactDecimal(value.text), shown, double: value.value };
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return { exact: exactOfDouble(value), shown: String(value), double: value };
}

/** The exact value of a finite double bound. */
const bound = (value: number): ExactDecimal => exactOfDouble(value);

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
    ...schemas(
      {
        type: 'string',
        minLength: 1,
        maxLength: max,
        pattern: TRIMMED_TEXT_PATTERN,
        description: `Trimmed (white space at either end dropped) and normalised to NFC, then 1 to ${max} characters without control characters`,
      },
      required,
    ),
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

/** `{schema, valueSchema}` of a field: its value's schema, with null when it is optional. */
const schemas = (valueSchema: JsonSchema, required: boolean) => ({
  valueSchema,
  schema: orNull(valueSchema, required),
});

/**
 * A whole number from `min` to `max`, judged on the number's exact value as written (a {@link JsonNumber}):
 * `7`, `7.0`, `7e0` and `70e-1` are 7; `7.5`, `1e-400` (not 0) and `-0` are refused.
 */
export function integer({
  min,
  max,
  required = true,
}: {
  min: number;
  max: number;
  required?: boolean;
}): Field<number | null> {
  const lowest = bound(min);
  const highest = bound(max);
  return {
    required,
    describe: `a whole number from ${min} to ${max}`,
    ...schemas(
      {
        type: 'integer',
        minimum: min,
        maximum: max,
        description: 'Judged on the number as written: 7.0 and 7e0 are 7; -0 is refused',
      },
      required,
    ),
    parse(value) {
      const number = numberInput(value);
      if (number === null || (isZero(number.exact) && number.exact.negative))
        return { error: `must be a whole number from ${min} to ${max}` };
      if (!isWhole(number.exact)) return { error: `must be a whole number from ${min} to ${max}; got ${number.shown}` };
      if (compareExact(number.exact, lowest) < 0 || compareExact(number.exact, highest) > 0)
        return { error: `must be from ${min} to ${max}; got ${number.shown}` };
      return { value: number.double };
    },
  };
}

/**
 * A decimal number from `min` to `max` with at most `decimals` digits after the point, judged on the number's
 * exact value as written (a {@link JsonNumber}): `1.250000` has two decimals, `1e-7` seven, `1e-400` four
 * hundred (not the double 0), `0.1234560000000000001` nineteen (not the double 0.123456). A double given
 * directly is judged on its shortest round-trip text.
 */
export function decimal({
  min,
  max,
  decimals,
  required = true,
}: {
  min: number;
  max: number;
  decimals: number;
  required?: boolean;
}): Field<number | null> {
  const describe = `a number from ${min} to ${max} with at most ${decimals} decimals`;
  const lowest = bound(min);
  const highest = bound(max);
  return {
    required,
    describe,
    ...schemas(
      {
        type: 'number',
        minimum: min,
        maximum: max,
        multipleOf: Number(`1e-${decimals}`),
        description: `At most ${decimals} decimals, judged on the number as written (1.250000 has two; 1e-400 is not 0); -0 is refused`,
      },
      required,
    ),
    parse(value) {
      const number = numberInput(value);
      if (number === null || (isZero(number.exact) && number.exact.negative)) return { error: `must be ${describe}` };
      if (compareExact(number.exact, lowest) < 0 || compareExact(number.exact, highest) > 0)
        return { error: `must be from ${min} to ${max}; got ${number.shown}` };
      if (decimalPlaces(number.exact) > decimals)
        return { error: `must have at most ${decimals} decimals; got ${number.shown}` };
      return { value: number.double };
    },
  };
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(
  values: readonly T[],
  { required = true }: { required?: boolean } = {},
): Field<T | null> {
  const describe = `one of ${values.join(', ')}${required ? '' : ', or null'}`;
  return {
    required,
    describe,
    valueSchema: { enum: [...values] },
    schema: { enum: required ? [...values] : [...values, null] },
    parse(value) {
      return typeof value === 'string' && (values as readonly string[]).includes(value)
        ? { value: value as T }
        : { error: `must be ${describe}` };
    },
  };
}

export type FieldValues<F extends Record<string, Field<unknown>>> = {
  [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

export interface FieldSet<F extends Record<string, Field<unknown>>> {
  fields: F;
  /** Names the server sets (id, version, timestamps...): a body that sets one is a 422. */
  readOnly: readonly string[];
  /**
   * Parses a body: `full` (PUT) gives every field, absent optional ones as `null`; `create` is `full` where a
   * {@link setOnce} field is required too; `partial` (PATCH, a JSON Merge Patch, RFC 7396, which for these flat
   * resources sets each member it names and clears the ones it sets to `null`) gives only the fields the body
   * names. Throws a 422 listing every bad field.
   */
  parse(body: unknown, mode: 'create' | 'full', more?: MoreChecks<F>): FieldValues<F>;
  parse(body: unknown, mode: 'partial', more?: MoreChecks<F>): Partial<FieldValues<F>>;
  /**
   * The JSON Schema of a body `parse` accepts in this mode: what the server refuses for a reason a schema can
   * state, it states (required members, types, ranges, decimals, text that is empty once trimmed); the rest
   * (NFC, a reference to nothing, a set-once field changed) is in the fields' descriptions.
   */
  bodySchema(mode: BodyMode): JsonSchema;
}

/** The body of a create (POST), of a replace (PUT) or of a JSON Merge Patch (PATCH). */
export type BodyMode = 'create' | 'full' | 'partial';

/** Checks that need more than one field's value (the database, say): given the fields that passed their own. */
export type MoreChecks<F extends Record<string, Field<unknown>>> = (valid: Partial<FieldValues<F>>) => FieldError[];

const own = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);

/** Throws the `422` for `errors` (none: returns). */
export function throwIfInvalid(errors: FieldError[]): void {
  if (errors.length === 0) return;
  const summary = errors.map((e) => (e.field === '' ? e.message : `${e.field} ${e.message}`)).join('; ');
  throw new HttpError(
    422,
    'validation-failed',
    `The body has ${errors.length === 1 ? 'an invalid field' : `${errors.length} invalid fields`}: ${summary}.`,
    {},
    { errors },
  );
}

export function defineFields<F extends Record<string, Field<unknown>>>(
  fields: F,
  { readOnly }: { readOnly: readonly string[] },
): FieldSet<F> {
  const writable = Object.keys(fields);
  function parse(body: unknown, mode: BodyMode, more?: MoreChecks<F>): Record<string, unknown> {
    if (!isJsonObject(body)) throwIfInvalid([{ field: '', message: 'The body must be a JSON object' }]);
    const object = body as Record<string, unknown>;
    const errors: FieldError[] = [];
    const values: Record<string, unknown> = {};
    const valid: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      if (readOnly.includes(key)) errors.push({ field: key, message: 'is set by the server and cannot be written' });
      else if (!own(fields, key))
        errors.push({ field: key, message: `is not a field; the writable fields are ${writable.join(', ')}` });
    }
    for (const [name, field] of Object.entries(fields)) {
      if (mode === 'partial' && !own(object, name)) continue;
      const value = own(object, name) ? object[name] : null;
      if (value === null) {
        if (field.required) errors.push({ field: name, message: `is required (${field.describe})` });
        else if (mode === 'create' && field.setOnce !== undefined)
          errors.push({ field: name, message: `is required: ${field.setOnce}` });
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
  /** One field's schema in a body of this mode: a set-once field is required on create, read-only after it. */
  function fieldSchema(field: Field<unknown>, mode: BodyMode): JsonSchema {
    if (field.setOnce === undefined) return field.schema;
    if (mode === 'create')
      return {
        ...field.valueSchema,
        description: `Required: ${field.setOnce}. ${String(field.valueSchema.description ?? '')}`.trim(),
      };
    return {
      ...field.schema,
      readOnly: true,
      description:
        `Set when created and never changed: only its current value (ASCII case ignored) is accepted, ${field.required ? '' : 'null or absent for none, '}anything else is refused (422). ${String(field.schema.description ?? '')}`.trim(),
    };
  }
  function bodySchema(mode: BodyMode): JsonSchema {
    const entries = Object.entries(fields);
    const required = entries
      .filter(([, field]) => field.required || (mode === 'create' && field.setOnce !== undefined))
      .map(([name]) => name);
    return {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(entries.map(([name, field]) => [name, fieldSchema(field, mode)])),
      ...(mode === 'partial' ? {} : { required }),
    };
  }
  return { fields, readOnly, parse: parse as FieldSet<F>['parse'], bodySchema };
}
