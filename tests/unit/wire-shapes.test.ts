/**
 * The wire shapes (common/src/wire/): a value passes a shape's check exactly when it is valid against the
 * shape's JSON Schema, the one the producer's OpenAPI document states (checked by Ajv), for sample answers and
 * every variant of them with one member missing or of another type. A valid value is returned as it came.
 */
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import * as customer from '@aggregates/common/wire/customer';
import * as dataVersion from '@aggregates/common/wire/data-version';
import * as incident from '@aggregates/common/wire/incident';
import type { Shape } from '@aggregates/common/wire/shape';

const summary = { id: 'c1', name: 'Acme', country: null, scoring: 7 };
const stamps = { version: 2, createdAt: '2024-05-01T10:00:00.000Z', updatedAt: null };
const incidentSummary = { id: 'i1', amount: 1.5, customerName: 'Acme' };
const count = { customerName: 'Acme', numberOfIncidents: 2 };
const volume = { customerName: 'Acme', incidentVolume: 12.34 };

/** Sample answers of each shape, by its name in the documents. */
const SAMPLES: Record<string, unknown[]> = {
  CustomerSummary: [summary, { id: null, name: null, country: 'FR', scoring: null }],
  Customer: [{ id: 'c1', name: 'Acme', city: null, country: 'FR', scoring: 7, ...stamps }],
  CustomerRank: [{ id: 'c1', byScoring: 1, customers: 3 }],
  CustomerCount: [{ count: 0 }],
  CustomerCountAndTop: [
    { count: 1, top: [summary] },
    { count: 0, top: [] },
  ],
  IncidentSummary: [incidentSummary],
  Incident: [{ id: 'i1', amount: null, customerName: 'Acme', category: 'A', customerId: 'c1', ...stamps }],
  IncidentGroups: [{ Acme: [incidentSummary], '': [] }, {}],
  IncidentCount: [count],
  IncidentVolume: [volume],
  IncidentRankings: [{ mostIncidents: [count], highestVolume: [volume] }],
  IncidentTotals: [{ customerName: 'Acme', numberOfIncidents: 2, volumeMicros: 1_500_000 }],
  IncidentStanding: [
    {
      customerName: 'Acme',
      numberOfIncidents: 2,
      volumeMicros: 5,
      incidentVolume: 0,
      rank: { byCount: 1, byVolume: 2 },
      customerNames: 3,
    },
    { customerName: 'Nobody', numberOfIncidents: 0, volumeMicros: 0, incidentVolume: 0, rank: null, customerNames: 3 },
  ],
  DataVersion: [{ seq: 0 }, { seq: 7 }],
};

const shapes = (
  [...Object.values(customer), ...Object.values(incident), ...Object.values(dataVersion)] as unknown[]
).filter((value): value is Shape<unknown> => typeof value === 'object' && value !== null && 'check' in value);
const nameOf = (shape: Shape<unknown>) => String(shape.schema.$ref).replace('#/components/schemas/', '');

const ajv = new Ajv2020({ strict: false });
ajv.addSchema(
  { components: { schemas: Object.fromEntries(shapes.map((shape) => [nameOf(shape), shape.definition])) } },
  'doc',
);

/** `value` with the member at `path` replaced by `replacement` (or removed: `undefined`). */
function changed(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  if (rest.length === 0 && replacement === undefined)
    return Array.isArray(value)
      ? value.filter((_, index) => index !== key)
      : Object.fromEntries(Object.entries(value as object).filter(([name]) => name !== key));
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[key] = changed(copy[key], rest, replacement);
  return copy;
}

/** The paths of every member and item of `value`, itself included. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const inner =
    typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([key, member]) =>
          paths(member, [...at, Array.isArray(value) ? Number(key) : key]),
        )
      : [];
  return [at, ...inner];
}

const accepts = (shape: Shape<unknown>, value: unknown) => {
  try {
    shape.check(value);
    return true;
  } catch {
    return false;
  }
};

describe('wire shapes', () => {
  it('has samples for every shape', () => {
    expect(shapes.map(nameOf).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  for (const shape of shapes) {
    const name = nameOf(shape);
    const validate = ajv.getSchema(`doc#/components/schemas/${name}`);
    it(`${name}: the check and the schema agree`, () => {
      if (!validate) throw new Error(`no schema ${name}`);
      for (const sample of SAMPLES[name] ?? []) {
        expect(validate(sample)).toBe(true);
        expect(shape.check(sample)).toEqual(sample);
        for (const path of paths(sample)) {
          for (const replacement of [undefined, 'x', -1, 1.5, null, {}, []]) {
            if (path.length === 0 && replacement === undefined) continue;
            const variant = changed(sample, path, replacement);
            expect({ path, replacement, check: accepts(shape, variant) }).toEqual({
              path,
              replacement,
              check: validate(variant),
            });
          }
        }
      }
    });
  }

  it('ignores members a shape does not declare, and names the one that is wrong', () => {
    expect(customer.CustomerRankShape.check({ id: 'c1', byScoring: 1, customers: 1, more: true })).toEqual({
      id: 'c1',
      byScoring: 1,
      customers: 1,
    });
    expect(() => customer.CustomerCountAndTopShape.check({ count: 1, top: [{ ...summary, scoring: '7' }] })).toThrow(
      'top[0].scoring must be a number or null; got "7"',
    );
    expect(() => incident.NameStandingShape.check({})).toThrow('customerName is missing');
  });
});
