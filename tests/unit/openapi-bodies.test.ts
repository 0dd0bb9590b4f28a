/**
 * The request schemas say what the server enforces: seeded random bodies are sent to every write operation of
 * the in-process data apps, each also checked with Ajv against the body schema the component's own OpenAPI
 * document gives for that operation. Every body the schema accepts must be written, or refused only for a
 * reason no schema can state, which the document says in words instead:
 *
 * - a `customerId` that refers to no customer (the schema cannot see the database);
 * - a `customerId` a PUT or PATCH changes (it is set once; the schema cannot see the stored value);
 * - a text longer than allowed once normalised to NFC (a few characters grow under NFC).
 *
 * The bodies are JavaScript values sent as `JSON.stringify` writes them, so Ajv (which sees doubles) and the
 * server (which judges a number's text) see the same numbers; number texts are tests/contract/write-rules.contract.ts's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCustomersApp } from '../../customers-service/src/app';
import { createIncidentsApp } from '../../incidents-service/src/app';
import type { App } from '@aggregates/common/http';
import { RESET_SQL, TEST_API_TOKEN } from '../contract/target';
import { QUIET } from '../support/in-process-app';
import { describeErrors, requestBodyValidator, type OpenApiDoc } from '../support/openapi';
import { prng } from '../support/random-data';
import { createTestDatabase } from '../support/sqlite';

const SEED = Number(process.env.FUZZ_SEED ?? 24);
const BODIES_PER_OPERATION = 250;

type Json = Record<string, unknown>;
type FieldError = { field: string; message: string };

const db = createTestDatabase();
afterAll(() => db.close());

const options = { openDatabase: () => db.database, apiToken: () => TEST_API_TOKEN, ...QUIET };
const apps: Record<string, App> = { customers: createCustomersApp(options), incidents: createIncidentsApp(options) };
const request = (path: string, init?: RequestInit) => {
  const component = path.split('/')[1] ?? '';
  return (apps[component] as App).fetch(new Request(`http://${component}-service.spin.internal${path}`, init));
};
const AUTH = { authorization: `Bearer ${TEST_API_TOKEN}` };

async function created(path: string, body: Json): Promise<Json> {
  const response = await request(path, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`setup: POST ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Json;
}

/** Texts around every rule of a text field: trimming (which \s drops: NBSP, BOM, U+2028 too), control characters, NFC, lengths. */
const texts = (max: number): unknown[] => [
  'Acme',
  '  Padded  ',
  '',
  ' ',
  '\t\n',
  '\u00a0\ufeff\u2028',
  'a\tb',
  ' a\n',
  '\u00a0Nbsp\u00a0',
  '\ufeffBom',
  'Line\u2028Sep',
  'Nel\u0085',
  '\u0085',
  'Del\u007f',
  'C1\u009f',
  '\u0001',
  'Cafe\u0301',
  'x'.repeat(max),
  'x'.repeat(max + 1),
  `  ${'y'.repeat(max)}  `,
  '\u0958'.repeat(Math.ceil(max / 2) + 1),
  '😀'.repeat(max),
  null,
  42,
  true,
  [],
  {},
];
const SCORINGS: unknown[] = [0, 5, 10, -1, 11, 5.5, 1e-7, 7.0, 1e1, 100, null, '5', false];
const AMOUNTS: unknown[] = [
  0,
  12.5,
  1.123456,
  1.1234567,
  9e9,
  9e9 + 0.5,
  9000000001,
  -1,
  -0.000001,
  0.1,
  0.3,
  1e-6,
  1e-7,
  12.345678,
  1234567.891011,
  0.30000000000000004,
  null,
  '1',
  true,
];
const CATEGORIES: unknown[] = ['A', 'C', 'F', 'a', 'G', '', ' A', null, 1];
const EXTRA_MEMBERS = ['id', 'version', 'createdAt', 'updatedAt', 'customerName', 'nickname', 'Name'];

describe('request body schemas against the server, fuzzed (in-process apps)', () => {
  it(`accepts, or refuses only for reasons the documents give in words, every body their schemas accept (seed ${SEED})`, async () => {
    db.exec(RESET_SQL());
    const documents: Record<string, OpenApiDoc> = {
      customers: (await (await request('/customers/openapi.json')).json()) as OpenApiDoc,
      incidents: (await (await request('/incidents/openapi.json')).json()) as OpenApiDoc,
    };
    const owner = await created('/customers/items', { name: 'Fuzz Owner', scoring: 5 });
    const other = await created('/customers/items', { name: 'Fuzz Other', scoring: 3 });
    const customer = await created('/customers/items', { name: 'Fuzz Target', scoring: 1 });
    const incident = await created('/incidents/items', { amount: 1, customerId: owner.id });
    const ownerId = String(owner.id);
    const customerIds: unknown[] = [
      ownerId,
      ownerId.toUpperCase(),
      ` ${ownerId} `,
      String(other.id),
      'no-such-customer',
      '',
      null,
      42,
    ];

    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const fieldValues: Record<string, readonly unknown[]> = {
      name: texts(200),
      city: texts(100),
      country: texts(100),
      scoring: SCORINGS,
      amount: AMOUNTS,
      category: CATEGORIES,
      customerId: customerIds,
    };
    const body = (fields: readonly string[]): Json => {
      const members: Json = {};
      for (const field of fields) if (random() < 0.8) members[field] = pick(fieldValues[field] ?? []);
      if (random() < 0.1) members[pick(EXTRA_MEMBERS)] = pick(['x', 1, null]);
      return members;
    };

    const operations = [
      {
        component: 'customers',
        method: 'POST',
        template: '/customers/items',
        path: '/customers/items',
        fields: ['name', 'city', 'country', 'scoring'],
      },
      {
        component: 'customers',
        method: 'PUT',
        template: '/customers/items/{id}',
        path: `/customers/items/${String(customer.id)}`,
        fields: ['name', 'city', 'country', 'scoring'],
      },
      {
        component: 'customers',
        method: 'PATCH',
        template: '/customers/items/{id}',
        path: `/customers/items/${String(customer.id)}`,
        fields: ['name', 'city', 'country', 'scoring'],
      },
      {
        component: 'incidents',
        method: 'POST',
        template: '/incidents/items',
        path: '/incidents/items',
        fields: ['amount', 'category', 'customerId'],
      },
      {
        component: 'incidents',
        method: 'PUT',
        template: '/incidents/items/{id}',
        path: `/incidents/items/${String(incident.id)}`,
        fields: ['amount', 'category', 'customerId'],
      },
      {
        component: 'incidents',
        method: 'PATCH',
        template: '/incidents/items/{id}',
        path: `/incidents/items/${String(incident.id)}`,
        fields: ['amount', 'category', 'customerId'],
      },
    ] as const;

    /** Whether a 422 error is one the documents can only give in words, for this body. */
    const unstatable = (error: FieldError, sent: Json): boolean => {
      if (error.field === 'customerId') return /refers to no customer|cannot change/.test(error.message);
      const value = sent[error.field];
      const max = { name: 200, city: 100, country: 100 }[error.field];
      return (
        typeof value === 'string' &&
        max !== undefined &&
        /at most \d+ characters/.test(error.message) &&
        [...value.trim().normalize('NFC')].length > max
      );
    };

    const findings: string[] = [];
    const counts = { schemaAccepted: 0, schemaRefused: 0, written: 0, refusedInWords: 0 };
    for (const operation of operations) {
      const contentType = operation.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      const validate = requestBodyValidator(
        documents[operation.component] as OpenApiDoc,
        operation.template,
        operation.method.toLowerCase(),
        contentType,
      );
      for (let i = 0; i < BODIES_PER_OPERATION; i++) {
        const sent = body(operation.fields);
        const accepted = validate(sent);
        const schemaSays = accepted ? 'valid' : describeErrors(validate.errors).join('; ');
        const response = await request(operation.path, {
          method: operation.method,
          headers: {
            ...AUTH,
            'content-type': contentType,
            ...(operation.method === 'POST' ? {} : { 'if-match': '*' }),
          },
          body: JSON.stringify(sent),
        });
        const text = await response.text();
        if (!accepted) {
          counts.schemaRefused++;
          continue;
        }
        counts.schemaAccepted++;
        const where = `${operation.method} ${operation.template} ${JSON.stringify(sent)}`;
        if (response.status === 200 || response.status === 201) {
          counts.written++;
          continue;
        }
        if (response.status !== 422) {
          findings.push(`${where}: schema ${schemaSays}, server ${response.status} ${text}`);
          continue;
        }
        const errors = ((JSON.parse(text) as { errors?: FieldError[] }).errors ?? []).filter(
          (e) => !unstatable(e, sent),
        );
        if (errors.length > 0) findings.push(`${where}: schema ${schemaSays}, server 422 ${JSON.stringify(errors)}`);
        else counts.refusedInWords++;
      }
    }
    expect(findings).toEqual([]);
    // Not vacuous: both ways were taken, and some bodies were refused only for what the words say.
    expect(counts.schemaAccepted).toBeGreaterThan(BODIES_PER_OPERATION / 5);
    expect(counts.schemaRefused).toBeGreaterThan(BODIES_PER_OPERATION / 5);
    expect(counts.written).toBeGreaterThan(BODIES_PER_OPERATION / 10);
    expect(counts.refusedInWords).toBeGreaterThan(0);
  }, 120_000);
});
