/**
 * Rules of the write side that are about what a request says exactly, run against every target (the
 * in-process apps: tests/unit/writes.test.ts; the real Wasm: tests/e2e/writes.test.ts):
 *
 * - numbers are judged on their JSON text, never on the double it reads as: an integer field takes `7`, `7.0`,
 *   `7e0`, `1e1`; an amount takes `12.5` and `1.250000`; `7.5` or `1e-400` for an integer, an amount with more
 *   than 6 decimals (`0.1234560000000000001`, which reads as the double 0.123456) and `-0` are a 422 naming the
 *   field, and nothing is written (no row, no event);
 * - a write with a query parameter is the 400 a list gives an unknown one (writes take none).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { FeedEvent } from '@aggregates/common/event-feed';
import type { WriteTarget } from './writes.contract';
import { readProblem, RESET_SQL, TEST_API_TOKEN, type ProblemBody } from './target';

type Json = Record<string, unknown>;
type Problem = ProblemBody & Json & { errors?: Array<{ field: string; message: string }>; allowed?: unknown };

const CUSTOMERS = '/customers/items';
const INCIDENTS = '/incidents/items';
const AUTH = { authorization: `Bearer ${TEST_API_TOKEN}` };

export function writeRulesContract(getTarget: () => WriteTarget): void {
  const t = getTarget;
  beforeEach(() => t().sql(RESET_SQL()));

  /** Sends `body` as it is written (the number texts are the point). */
  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    t().fetch(path, {
      method,
      headers: { ...AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body }),
    });
  const created = async (response: Response): Promise<Json> => {
    const text = await response.text();
    if (response.status !== 201) throw new Error(`expected 201, got ${response.status}: ${text}`);
    return JSON.parse(text) as Json;
  };
  const newCustomer = async () => created(await send('POST', CUSTOMERS, '{"name":"Number Owner","scoring":5}'));
  /** What a refused write must leave as it was: every row and both feeds' last sequence numbers. */
  const state = () =>
    JSON.stringify(
      [
        t().query('SELECT * FROM Customers ORDER BY Id'),
        t().query('SELECT * FROM Incidents ORDER BY Id'),
        t().query('SELECT * FROM CustomerMeta ORDER BY Id'),
        t().query('SELECT * FROM IncidentMeta ORDER BY Id'),
        t().query('SELECT MAX(Seq) AS a FROM CustomerEvents'),
        t().query('SELECT MAX(Seq) AS b FROM IncidentEvents'),
      ],
      (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    );
  const events = async (feed: string) => (await (await t().fetch(`${feed}?after=0`)).json()) as FeedEvent[];

  /** A 422 naming exactly `field`, with nothing written. */
  const expectFieldRefused = async (
    response: Response,
    field: string,
    before: string,
    where: string,
  ): Promise<string> => {
    const problem = (await readProblem(response)) as Problem;
    expect({
      where,
      status: response.status,
      type: problem.type,
      fields: (problem.errors ?? []).map((e) => e.field),
    }).toEqual({
      where,
      status: 422,
      type: 'urn:aggregates-dashboard:problem:validation-failed',
      fields: [field],
    });
    expect(state()).toBe(before);
    return problem.errors?.[0]?.message ?? '';
  };

  describe('numbers are judged on their JSON text', () => {
    it('an integer field takes every text whose exact value is a whole number in range: 7, 7.0, 7e0, 1e1, 70e-1, 0.0, 0e-400', async () => {
      const customer = await newCustomer();
      const cases: Array<[string, number]> = [
        ['7', 7],
        ['7.0', 7],
        ['7e0', 7],
        ['1e1', 10],
        ['70e-1', 7],
        ['0.0', 0],
        ['0e-400', 0],
        ['10.000', 10],
        ['1E+1', 10],
      ];
      for (const [text, scoring] of cases) {
        const response = await send('PATCH', `${CUSTOMERS}/${String(customer.id)}`, `{"scoring":${text}}`, {
          'if-match': '*',
        });
        const body = (await response.json()) as Json;
        expect({ text, status: response.status, scoring: body.scoring }).toEqual({ text, status: 200, scoring });
      }
      const made = await created(await send('POST', CUSTOMERS, '{"name":"Written 7e0","scoring":7e0}'));
      expect(made.scoring).toBe(7);
    });

    it('an integer field refuses a text whose exact value is not a whole number in range, even where the double is one: 7.5, 1e-400, -0, 10.0000000000000001, 1e400', async () => {
      const customer = await newCustomer();
      const before = state();
      const cases = [
        '7.5',
        '1e-400',
        '-0',
        '-0.0',
        '-0e0',
        '10.0000000000000001',
        '9.9999999999999999',
        '1e400',
        '11',
        '-1',
        '5.000000000000000000001',
        '0.1e1000',
      ];
      for (const text of cases) {
        const where = `scoring ${text}`;
        const message = await expectFieldRefused(
          await send('POST', CUSTOMERS, `{"name":"Refused","scoring":${text}}`),
          'scoring',
          before,
          `POST ${where}`,
        );
        expect({ where, message }).toEqual({ where, message: expect.stringMatching(/whole number|from 0 to 10/) });
        await expectFieldRefused(
          await send('PATCH', `${CUSTOMERS}/${String(customer.id)}`, `{"scoring":${text}}`, { 'if-match': '*' }),
          'scoring',
          before,
          `PATCH ${where}`,
        );
        await expectFieldRefused(
          await send('PUT', `${CUSTOMERS}/${String(customer.id)}`, `{"name":"Refused","scoring":${text}}`, {
            'if-match': '*',
          }),
          'scoring',
          before,
          `PUT ${where}`,
        );
      }
    });

    it('an amount takes at most 6 decimals of exact value, whatever the text: 12.5, 1.250000, 125e-2, 0.000001, 9e9, 9000000000.000000', async () => {
      const customer = await newCustomer();
      const cases: Array<[string, number]> = [
        ['12.5', 12.5],
        ['1.250000', 1.25],
        ['125e-2', 1.25],
        ['0.000001', 0.000001],
        ['1e-6', 0.000001],
        ['9e9', 9e9],
        ['9000000000.000000', 9e9],
        ['0', 0],
        ['1234567890.123456', 1234567890.123456],
        ['12.3456780000000', 12.345678],
      ];
      for (const [text, amount] of cases) {
        const body = await created(
          await send('POST', INCIDENTS, `{"amount":${text},"customerId":${JSON.stringify(customer.id)}}`),
        );
        expect({ text, amount: body.amount }).toEqual({ text, amount });
      }
      const feed = await events('/incidents/events');
      expect(feed.map((e) => e.diff.amount?.new)).toEqual(cases.map(([, amount]) => amount));
    });

    it('an amount with more than 6 decimals of exact value is refused, even where the double has fewer: 0.1234560000000000001, 1e-400, 1.0000001, 9000000000.0000001', async () => {
      const customer = await newCustomer();
      const incident = await created(
        await send('POST', INCIDENTS, `{"amount":1,"customerId":${JSON.stringify(customer.id)}}`),
      );
      const before = state();
      const cases: Array<[string, RegExp]> = [
        ['0.1234560000000000001', /decimals/],
        ['1e-400', /decimals/],
        ['1.0000001', /decimals/],
        ['12.3456789e0', /decimals/],
        ['1234567e-7', /decimals/],
        ['9000000000.0000001', /from 0 to 9000000000|decimals/],
        ['9000000000.000001', /from 0 to 9000000000/],
        ['1e400', /from 0 to 9000000000/],
        ['-0', /a number from 0/],
        ['-0.000', /a number from 0/],
        ['-1e-400', /from 0 to 9000000000|decimals/],
      ];
      for (const [text, phrase] of cases) {
        const where = `amount ${text}`;
        const message = await expectFieldRefused(
          await send('POST', INCIDENTS, `{"amount":${text},"customerId":${JSON.stringify(customer.id)}}`),
          'amount',
          before,
          `POST ${where}`,
        );
        expect({ where, message }).toEqual({ where, message: expect.stringMatching(phrase) });
        await expectFieldRefused(
          await send('PATCH', `${INCIDENTS}/${String(incident.id)}`, `{"amount":${text}}`, { 'if-match': '*' }),
          'amount',
          before,
          `PATCH ${where}`,
        );
      }
      // The refused texts left no event: the feed holds the one creation, with the amount as written.
      expect((await events('/incidents/events')).map((e) => [e.type, e.diff.amount?.new])).toEqual([
        ['IncidentCreated', 1],
      ]);
    });

    it('names the number as written in the message, cut short when long', async () => {
      const long = `1.${'0'.repeat(300)}1`;
      const before = state();
      const message = await expectFieldRefused(
        await send('POST', CUSTOMERS, `{"name":"Long","scoring":${long}}`),
        'scoring',
        before,
        'long',
      );
      expect(message).toContain(long.slice(0, 40));
      expect(message.length).toBeLessThan(120);
    });
  });

  describe('writes take no query parameters', () => {
    it('answers a write with a query parameter 400 invalid-query, as a list answers an unknown one, and writes nothing', async () => {
      const customer = await newCustomer();
      const item = `${CUSTOMERS}/${String(customer.id)}`;
      const before = state();
      const requests: Array<[string, string, string | undefined]> = [
        ['POST', `${CUSTOMERS}?dryRun=true`, '{"name":"With a query","scoring":1}'],
        ['POST', `${INCIDENTS}?x`, `{"amount":1,"customerId":${JSON.stringify(customer.id)}}`],
        ['PUT', `${item}?name=x`, '{"name":"With a query","scoring":1}'],
        ['PATCH', `${item}?scoring=2`, '{"scoring":2}'],
        ['DELETE', `${item}?force=1`, undefined],
        ['DELETE', `${item}?%ZZ`, undefined],
      ];
      const list = (await readProblem(await t().fetch(`${CUSTOMERS}?bogus=1`))) as Problem;
      for (const [method, path, body] of requests) {
        const response = await send(method, path, body, { 'if-match': '*' });
        const problem = (await readProblem(response)) as Problem;
        expect({ method, path, status: response.status, type: problem.type }).toEqual({
          method,
          path,
          status: 400,
          type: list.type,
        });
        if (!path.includes('%ZZ'))
          expect({ path, detail: problem.detail, allowed: problem.allowed }).toEqual({
            path,
            detail: expect.stringMatching(
              /^Unknown query parameter ".+"\. This operation takes no query parameters\.$/,
            ),
            allowed: [],
          });
        expect(state()).toBe(before);
      }
      // The token still comes first: without it, the answer is the 401 whatever the query.
      const anonymous = await t().fetch(`${CUSTOMERS}?dryRun=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"x","scoring":1}',
      });
      expect(anonymous.status).toBe(401);
      // An empty query is no parameter.
      expect((await send('PATCH', `${item}?`, '{"scoring":3}', { 'if-match': '*' })).status).toBe(200);
    });
  });
}
