/**
 * A JSON shape that travels between components, declared once. From the one declaration come the TypeScript
 * type ({@link Infer}), the JSON Schema the producing component's OpenAPI document states, and the check the
 * consuming component runs on what it receives: the three cannot drift apart. The shapes themselves are in
 * customer.ts, incident.ts and versioned.ts.
 *
 * A check refuses what the schema refuses for a member's type, range or absence, and ignores members the
 * shape does not declare (a producer may add one without breaking its consumers); it returns the declared
 * members only.
 *
 * @example
 * const Count = named('Count', object({ count: integer({ minimum: 0 }) }));
 * type Count = Infer<typeof Count>; // { count: number }
 * Count.schema; // { $ref: '#/components/schemas/Count' }, listed once under components.schemas
 * Count.check(JSON.parse('{"count": -1}')); // throws: count must be at least 0; got -1
 */
import { arrayOf, named as namedSchema, nullable, objectSchema, type JsonSchema } from '../openapi';

export interface Shape<T> {
  /** The JSON Schema (for a named shape, the `$ref` the document resolves under `components.schemas`). */
  readonly schema: JsonSchema;
  /** The schema itself, also for a named shape. */
  readonly definition: JsonSchema;
  /** `value` as a `T`; throws an `Error` saying which member (`at`) differs and how. */
  readonly check: (value: unknown, at?: string) => T;
}

/** The TypeScript type of a shape's values. */
export type Infer<S> = S extends Shape<infer T> ? T : never;

/** The values of an object shape's members, by name. */
export type Members<P extends Record<string, Shape<unknown>>> = { [K in keyof P]: Infer<P[K]> };

/** A JSON object (not an array, not null). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value for an error message: JSON, cut to 40 characters. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const fail = (at: string, wanted: string, value: unknown): never => {
  throw new Error(`${at || 'the body'} must be ${wanted}; got ${shown(value)}`);
};

const unnamed = <T>(schema: JsonSchema, check: (value: unknown, at: string) => T): Shape<T> => ({
  schema,
  definition: schema,
  check: (value, at = '') => check(value, at),
});

/** A scalar member: `type` with `keywords` (description, readOnly, minimum...) after it, as the schema lists them. */
function scalar<T>(type: string | string[], keywords: JsonSchema, wanted: string, test: (value: unknown) => boolean) {
  return unnamed<T>({ type, ...keywords }, (value, at) => (test(value) ? (value as T) : fail(at, wanted, value)));
}

const isText = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A string. */
export const text = (keywords: JsonSchema = {}): Shape<string> => scalar('string', keywords, 'a string', isText);

/** A string or null (a column plain SQL may leave empty). */
export const textOrNull = (keywords: JsonSchema = {}): Shape<string | null> =>
  scalar(['string', 'null'], keywords, 'a string or null', (value) => value === null || isText(value));

/** A number. */
export const number = (keywords: JsonSchema = {}): Shape<number> => scalar('number', keywords, 'a number', isNumber);

/** A number or null. */
export const numberOrNull = (keywords: JsonSchema = {}): Shape<number | null> =>
  scalar(['number', 'null'], keywords, 'a number or null', (value) => value === null || isNumber(value));

/** A whole number (a safe integer), within the `minimum` and `maximum` among `keywords` when they are given. */
export function integer(keywords: JsonSchema & { minimum?: number; maximum?: number } = {}): Shape<number> {
  const { minimum = -Infinity, maximum = Infinity } = keywords;
  const range = [
    ...(keywords.minimum === undefined ? [] : [`at least ${minimum}`]),
    ...(keywords.maximum === undefined ? [] : [`at most ${maximum}`]),
  ];
  const wanted = ['a whole number', ...range].join(', ');
  return scalar('integer', keywords, wanted, (value) => {
    return Number.isSafeInteger(value) && (value as number) >= minimum && (value as number) <= maximum;
  });
}

/**
 * An object with these members, every one present: exactly these (`objectSchema`), or with `open`, others
 * allowed too (the schema says nothing of them).
 */
export function object<P extends Record<string, Shape<unknown>>>(
  members: P,
  description?: string,
  { open = false }: { open?: boolean } = {},
): Shape<Members<P>> {
  const properties = Object.fromEntries(Object.entries(members).map(([name, shape]) => [name, shape.schema]));
  const schema = open
    ? { type: 'object', ...(description ? { description } : {}), required: Object.keys(properties), properties }
    : objectSchema(properties, description);
  return unnamed(schema, (value, at) => {
    if (!isRecord(value)) return fail(at, `an object with ${Object.keys(members).join(', ')}`, value);
    const result: Record<string, unknown> = {};
    for (const [name, shape] of Object.entries(members)) {
      const where = at ? `${at}.${name}` : name;
      if (!Object.hasOwn(value, name)) throw new Error(`${where} is missing`);
      result[name] = shape.check(value[name], where);
    }
    return result as Members<P>;
  });
}

/** `shape`, or null; `keywords` (a description) are added to the schema. */
export function orNull<T>(shape: Shape<T>, keywords: JsonSchema = {}): Shape<T | null> {
  return unnamed(nullable({ ...shape.schema, ...keywords }), (value, at) =>
    value === null ? null : shape.check(value, at),
  );
}

/** An array of `items`. */
export function array<T>(items: Shape<T>, description?: string): Shape<T[]> {
  return unnamed(arrayOf(items.schema, description), (value, at) => {
    if (!Array.isArray(value)) return fail(at, 'an array', value);
    return value.map((item: unknown, index) => items.check(item, `${at}[${index}]`));
  });
}

/** An object whose members, under any names, are each a `values`. */
export function record<T>(values: Shape<T>, description: string): Shape<Record<string, T>> {
  const schema = { type: 'object', description, additionalProperties: values.schema };
  return unnamed(schema, (value, at) => {
    if (!isRecord(value)) return fail(at, 'an object', value);
    const result: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const [name, member] of Object.entries(value))
      result[name] = values.check(member, `${at}[${JSON.stringify(name)}]`);
    return result;
  });
}

/** `shape` under a name: documents refer to it, and list it once under `components.schemas` (`named`). */
export function named<T>(name: string, shape: Shape<T>): Shape<T> {
  return { schema: namedSchema(name, shape.definition), definition: shape.definition, check: shape.check };
}

const ANNOTATIONS = new Set(['description', 'readOnly']);

/**
 * A shape's schema without its annotations (`description`, `readOnly`), recursively: the bare shape, for the
 * document of a component whose answer carries values of a shape it received (the producer's words about
 * them are the producer's).
 */
export function bare(shape: Shape<unknown>): JsonSchema {
  const strip = (schema: JsonSchema): JsonSchema =>
    Object.fromEntries(
      Object.entries(schema)
        .filter(([keyword]) => !ANNOTATIONS.has(keyword))
        .map(([keyword, value]) => {
          if (keyword === 'properties' && isRecord(value))
            return [
              keyword,
              Object.fromEntries(Object.entries(value).map(([name, s]) => [name, strip(s as JsonSchema)])),
            ];
          if ((keyword === 'items' || keyword === 'additionalProperties') && isRecord(value))
            return [keyword, strip(value)];
          return [keyword, value];
        }),
    );
  return strip(shape.definition);
}
