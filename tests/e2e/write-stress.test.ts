/**
 * The write side under concurrency, on the three real Wasm components on the local runtime (a fresh state
 * directory, `--sqlite @migrations.sql`, an API token configured):
 *
 * - conditional writes race: 20 PATCHes (or DELETEs, or both) of one aggregate with the same `If-Match`
 *   let exactly one through; every other one is told precisely why it lost (`412` naming the version that
 *   won, or `404` once the row is gone), and exactly one event records the winner;
 * - concurrent creates (500 customers, 200 incidents, and incidents racing a rename of their customer) all
 *   succeed with distinct ids, and the event feeds, followed from `after=0` through their `Link` headers, are
 *   complete, gap-free and in order; the per-customer incident totals equal what the incident feed adds up to.
 *
 * Nothing here asserts on speed: the runtime's request time limit is raised so a slow machine only runs longer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../support/random-data';
import { startApp, type AppRuntime } from './app-runtime';
import type { FeedEvent } from '@aggregates/common/event-feed';

/** This file's API token (the Spin variable `api_token`). */
const API_TOKEN = 'write-stress-token-4b7f0c2e';
const AUTH = { authorization: `Bearer ${API_TOKEN}` };
const PROBLEM = 'urn:aggregates-dashboard:problem:';
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Customer {
  id: string;
  name: string;
  city: string | null;
  country: string | null;
  scoring: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface Incident {
  id: string;
  amount: number;
  customerName: string;
  category: string | null;
  customerId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

describe('writes under concurrency, on the real Wasm components', () => {
  let app: AppRuntime;

  beforeAll(async () => {
    app = await startApp({ variables: { api_token: API_TOKEN }, requestTimeoutMs: 300_000 });
  });

  afterAll(async () => {
    await app.stop();
  });

  async function send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const init: RequestInit = { method, headers: { ...AUTH, ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??=
        method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    }
    const response = await app.spin.fetch(path, init);
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  async function createCustomer(fields: {
    name: string;
    city?: string | null;
    country?: string | null;
    scoring: number;
  }): Promise<Customer> {
    const answer = await send('POST', '/customers/items', fields);
    expect(answer.status, answer.text).toBe(201);
    return answer.body as Customer;
  }

  /** Every event of a feed after `after`, page by page through `Link: rel="next"`; checks each page's framing. */
  async function readFeed(
    feed: '/customers/events' | '/incidents/events',
    after = 0,
    limit = 97,
  ): Promise<FeedEvent[]> {
    const events: FeedEvent[] = [];
    let next: string | null = `${feed}?after=${after}&limit=${limit}`;
    let pages = 0;
    while (next !== null) {
      const response = await app.spin.fetch(next);
      expect(response.status, next).toBe(200);
      const page = (await response.json()) as FeedEvent[];
      expect(Array.isArray(page)).toBe(true);
      expect(page.length).toBeLessThanOrEqual(limit);
      events.push(...page);
      const link = response.headers.get('link');
      if (link === null) next = null;
      else {
        const match = /^<([^>]+)>; rel="next"$/.exec(link);
        expect(match, `Link header ${link}`).not.toBeNull();
        const target = new URL(match?.[1] ?? '', 'http://localhost');
        next = `${target.pathname}${target.search}`;
        // A next link only while more follow: a full page.
        expect(page.length).toBe(limit);
      }
      if (++pages > 10_000) throw new Error(`${feed}: the Link headers never end`);
    }
    return events;
  }

  async function lastSeq(feed: '/customers/events' | '/incidents/events'): Promise<number> {
    const response = await app.spin.fetch(`${feed}/last`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { seq: number }).seq;
  }

  /** Seq numbers 1, 2, 3, ... with no gap, in order; each event well-formed. */
  function expectGapFree(events: FeedEvent[]): void {
    const seqs = events.map((e) => e.seq);
    const expected = Array.from({ length: events.length }, (_, i) => i + 1);
    expect(seqs).toEqual(expected);
    for (const event of events) {
      expect(event.at).toMatch(RFC3339_MS);
      expect(Number.isInteger(event.version) && event.version >= 1).toBe(true);
    }
  }

  function expectProblem(answer: Answer, status: number, code: string): Record<string, unknown> {
    expect(answer.status, answer.text).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    const problem = answer.body as Record<string, unknown>;
    expect(problem.type).toBe(`${PROBLEM}${code}`);
    expect(problem.status).toBe(status);
    return problem;
  }

  describe('conflicting conditional writes', () => {
    it('20 concurrent PATCHes with the same If-Match: one 200, nineteen 412 naming version 2, one CustomerUpdated event', async () => {
      const customer = await createCustomer({ name: 'Patch Race', city: 'Bergen', country: 'Norway', scoring: 3 });
      expect(customer.version).toBe(1);
      const seqBefore = await lastSeq('/customers/events');

      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          send(
            'PATCH',
            `/customers/items/${customer.id}`,
            { name: `Racer ${i}`, scoring: i % 11 },
            { 'if-match': '"1"' },
          ),
        ),
      );

      const winners = answers.flatMap((answer, i) => (answer.status === 200 ? [i] : []));
      expect(winners, answers.map((a) => a.status).join(',')).toHaveLength(1);
      const winner = winners[0] ?? -1;
      const won = answers[winner] as Answer;
      expect(won.headers.get('etag')).toBe('"2"');
      expect(won.body).toMatchObject({
        id: customer.id,
        name: `Racer ${winner}`,
        scoring: winner % 11,
        city: 'Bergen',
        version: 2,
        createdAt: customer.createdAt,
      });

      for (const [i, answer] of answers.entries()) {
        if (i === winner) continue;
        const problem = expectProblem(answer, 412, 'precondition-failed');
        expect(problem.currentVersion).toBe(2);
        expect(problem.currentETag).toBe('"2"');
        expect(problem.detail).toContain('version 2');
      }

      const read = await send('GET', `/customers/items/${customer.id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get('etag')).toBe('"2"');
      expect(read.body).toEqual(won.body);

      const events = await readFeed('/customers/events', seqBefore);
      expect(events).toEqual([
        {
          seq: seqBefore + 1,
          type: 'CustomerUpdated',
          aggregateId: customer.id,
          version: 2,
          at: (won.body as Customer).updatedAt,
          diff: { name: { old: 'Patch Race', new: `Racer ${winner}` }, scoring: { old: 3, new: winner % 11 } },
        },
      ]);
      // A stale If-Match cannot have slipped through afterwards either: the version stays 2.
      expect(app.db.database.query('SELECT Version FROM CustomerMeta WHERE Id = ?1', [customer.id])).toEqual([
        { Version: 2n },
      ]);
    });

    it('20 concurrent PATCHes of one incident with the same If-Match: one 200, nineteen 412; the totals move once', async () => {
      const customer = await createCustomer({ name: 'Incident Race Co', scoring: 2 });
      const created = await send('POST', '/incidents/items', { amount: 100, category: 'A', customerId: customer.id });
      expect(created.status).toBe(201);
      const incident = created.body as Incident;
      const seqBefore = await lastSeq('/incidents/events');

      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          send('PATCH', `/incidents/items/${incident.id}`, { amount: 1000 + i }, { 'if-match': '"1"' }),
        ),
      );
      const winners = answers.flatMap((answer, i) => (answer.status === 200 ? [i] : []));
      expect(winners, answers.map((a) => a.status).join(',')).toHaveLength(1);
      const winner = winners[0] ?? -1;
      for (const [i, answer] of answers.entries()) {
        if (i !== winner) expect(expectProblem(answer, 412, 'precondition-failed').currentVersion).toBe(2);
      }
      expect(
        (await readFeed('/incidents/events', seqBefore)).map((e) => [e.type, e.aggregateId, e.version, e.diff]),
      ).toEqual([['IncidentUpdated', incident.id, 2, { amount: { old: 100, new: 1000 + winner } }]]);
      const byCount = (await send('GET', '/incidents/top/by-count/1000')).body as Array<{
        customerName: string;
        numberOfIncidents: number;
      }>;
      expect(byCount.find((row) => row.customerName === 'Incident Race Co')?.numberOfIncidents).toBe(1);
      const byVolume = (await send('GET', '/incidents/top/by-volume/1000')).body as Array<{
        customerName: string;
        incidentVolume: number;
      }>;
      expect(byVolume.find((row) => row.customerName === 'Incident Race Co')?.incidentVolume).toBe(1000 + winner);
    });

    it('20 concurrent DELETEs with the same If-Match: one 204; the other nineteen run after it, find no row and answer 404 (never 412)', async () => {
      const customer = await createCustomer({ name: 'Delete Race', scoring: 5 });
      const seqBefore = await lastSeq('/customers/events');

      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          send('DELETE', `/customers/items/${customer.id}`, undefined, { 'if-match': '"1"' }),
        ),
      );

      // Before the delete commits, the row is at version 1 and If-Match "1" matches: whoever gets the lock
      // first deletes. Every request after it finds no row: 404, not 412 (there is no current version to name).
      const statuses = answers.map((a) => a.status);
      expect(
        statuses.filter((s) => s === 204),
        statuses.join(','),
      ).toHaveLength(1);
      expect(
        statuses.filter((s) => s === 404),
        statuses.join(','),
      ).toHaveLength(19);
      for (const answer of answers) {
        if (answer.status === 204) expect(answer.text).toBe('');
        else expect(expectProblem(answer, 404, 'not-found').detail).toContain(customer.id);
      }

      expectProblem(await send('GET', `/customers/items/${customer.id}`), 404, 'not-found');
      const events = await readFeed('/customers/events', seqBefore);
      expect(events.map((e) => [e.seq, e.type, e.aggregateId, e.version, e.diff])).toEqual([
        [
          seqBefore + 1,
          'CustomerDeleted',
          customer.id,
          2,
          {
            name: { old: 'Delete Race', new: null },
            city: { old: null, new: null },
            country: { old: null, new: null },
            scoring: { old: 5, new: null },
          },
        ],
      ]);
      // The id keeps a tombstone at the version of its delete, so a later row with this id goes on from version 3.
      expect(app.db.database.query('SELECT Version, Deleted FROM CustomerMeta WHERE Id = ?1', [customer.id])).toEqual([
        { Version: 2n, Deleted: 1n },
      ]);
    });

    it('10 PATCHes and 10 DELETEs race with the same If-Match: exactly one wins, and every loser is told why by what won', async () => {
      const customer = await createCustomer({ name: 'Mixed Race', scoring: 1 });
      const seqBefore = await lastSeq('/customers/events');

      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? send('PATCH', `/customers/items/${customer.id}`, { name: `Mixed ${i}` }, { 'if-match': '"1"' })
            : send('DELETE', `/customers/items/${customer.id}`, undefined, { 'if-match': '"1"' }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      const successes = answers.flatMap((a, i) => (a.status === 200 || a.status === 204 ? [i] : []));
      expect(successes, statuses.join(',')).toHaveLength(1);
      const winner = successes[0] ?? -1;
      const events = await readFeed('/customers/events', seqBefore);

      if (winner % 2 === 0) {
        // A PATCH won: the row is at version 2, so every other request (PATCH or DELETE) is a 412 naming it.
        expect(statuses[winner]).toBe(200);
        for (const [i, answer] of answers.entries())
          if (i !== winner) expect(expectProblem(answer, 412, 'precondition-failed').currentVersion).toBe(2);
        expect(events.map((e) => [e.type, e.version, e.diff])).toEqual([
          ['CustomerUpdated', 2, { name: { old: 'Mixed Race', new: `Mixed ${winner}` } }],
        ]);
        expect((await send('GET', `/customers/items/${customer.id}`)).body).toMatchObject({
          name: `Mixed ${winner}`,
          version: 2,
        });
      } else {
        // A DELETE won: the row is gone, so every other request finds nothing.
        expect(statuses[winner]).toBe(204);
        for (const [i, answer] of answers.entries()) if (i !== winner) expectProblem(answer, 404, 'not-found');
        expect(events.map((e) => [e.type, e.aggregateId, e.version])).toEqual([['CustomerDeleted', customer.id, 2]]);
      }
    });
  });

  describe('concurrent creates and the event feeds', () => {
    /** Customers this block created, for the incident tests after it. */
    const created: Customer[] = [];

    it(
      '500 concurrent customer creates: all 201 with distinct ids; the feed has exactly one CustomerCreated each, gap-free and in order',
      { timeout: 240_000 },
      async () => {
        const feedBefore = await readFeed('/customers/events');
        expectGapFree(feedBefore);
        const countBefore = ((await send('GET', '/customers/count')).body as { count: number }).count;
        const rowsBefore = app.db.database.query('SELECT COUNT(*) AS n FROM Customers');

        const random = prng(500);
        const bodies = Array.from({ length: 500 }, (_, i) => ({
          name: `Bulk ${String(i).padStart(3, '0')} ${['Ådne', 'Zoë', '東京', "O'Neil", 'plain'][i % 5]}`,
          city: i % 3 === 0 ? null : `City ${Math.floor(random() * 50)}`,
          country: i % 4 === 0 ? null : (['Norway', 'Japan', 'Portugal'][i % 3] ?? null),
          scoring: Math.floor(random() * 11),
        }));
        const answers = await Promise.all(bodies.map((body) => send('POST', '/customers/items', body)));

        const statuses = new Map<number, number>();
        for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect([...statuses]).toEqual([[201, 500]]);
        const customers = answers.map((answer) => answer.body as Customer);
        for (const [i, customer] of customers.entries()) {
          const answer = answers[i] as Answer;
          expect(customer).toMatchObject({ ...bodies[i], version: 1 });
          expect(customer.createdAt).toMatch(RFC3339_MS);
          expect(customer.updatedAt).toBe(customer.createdAt);
          expect(answer.headers.get('etag')).toBe('"1"');
          expect(answer.headers.get('location')).toBe(`/customers/items/${encodeURIComponent(customer.id)}`);
        }
        const ids = customers.map((c) => c.id);
        expect(new Set(ids).size).toBe(500);
        created.push(...customers);

        const feed = await readFeed('/customers/events');
        expectGapFree(feed);
        // What was there before is still there, unchanged, and first.
        expect(feed.slice(0, feedBefore.length)).toEqual(feedBefore);
        const added = feed.slice(feedBefore.length);
        expect(added).toHaveLength(500);
        const byId = new Map(customers.map((c, i) => [c.id, { customer: c, body: bodies[i] }]));
        const seen = new Set<string>();
        for (const event of added) {
          expect(event.type).toBe('CustomerCreated');
          expect(event.version).toBe(1);
          const entry = byId.get(event.aggregateId);
          expect(entry, `event for an id no create answered: ${event.aggregateId}`).toBeDefined();
          expect(seen.has(event.aggregateId), `two events for ${event.aggregateId}`).toBe(false);
          seen.add(event.aggregateId);
          expect(event.at).toBe(entry?.customer.createdAt);
          expect(event.diff).toEqual({
            name: { old: null, new: entry?.body?.name },
            city: { old: null, new: entry?.body?.city },
            country: { old: null, new: entry?.body?.country },
            scoring: { old: null, new: entry?.body?.scoring },
          });
        }
        expect(seen.size).toBe(500);

        // Rows: the API's count, the table, the side table, and /customers/events/last agree.
        expect(((await send('GET', '/customers/count')).body as { count: number }).count).toBe(countBefore + 500);
        expect(app.db.database.query('SELECT COUNT(*) AS n FROM Customers')).toEqual([
          { n: (rowsBefore[0]?.n as bigint) + 500n },
        ]);
        expect(
          app.db.database.query('SELECT COUNT(*) AS n FROM CustomerMeta m JOIN Customers c ON c.Id = m.Id'),
        ).toEqual([{ n: (rowsBefore[0]?.n as bigint) + 500n }]);
        expect(await lastSeq('/customers/events')).toBe(feed.length);
        for (const customer of customers.slice(0, 25)) {
          expect((await send('GET', `/customers/items/${customer.id}`)).body).toEqual(customer);
        }
      },
    );

    it(
      '200 concurrent incident creates for a few customers: all 201, distinct ids; the feed is complete and gap-free; the totals equal the feed',
      { timeout: 240_000 },
      async () => {
        expect(created.length).toBeGreaterThanOrEqual(3);
        const sample = app.db.database.query(
          "SELECT Id, Name FROM Customers WHERE Name IN ('Birchwood Analytics', 'Zürich Präzision AG') ORDER BY Name",
        );
        expect(sample).toHaveLength(2);
        const targets = [
          ...sample.map((row) => ({ id: String(row.Id), name: String(row.Name) })),
          ...created.slice(0, 3).map((c) => ({ id: c.id, name: c.name })),
        ];
        const feedBefore = await readFeed('/incidents/events');
        expectGapFree(feedBefore);

        const random = prng(200);
        const bodies = Array.from({ length: 200 }, (_, i) => {
          const target = targets[i % targets.length] ?? { id: '', name: '' };
          // Ids in any ASCII case refer to the same customer; the incident stores the canonical one.
          const customerId = i % 7 === 0 ? target.id.toLowerCase() : i % 5 === 0 ? target.id.toUpperCase() : target.id;
          return {
            amount: Math.floor(random() * 1_000_000) / 100,
            category: ['A', 'B', 'C', 'D', 'E', 'F', null][i % 7] ?? null,
            customerId,
          };
        });
        const answers = await Promise.all(bodies.map((body) => send('POST', '/incidents/items', body)));
        expect(answers.filter((a) => a.status !== 201).map((a) => a.text)).toEqual([]);
        const incidents = answers.map((a) => a.body as Incident);
        expect(new Set(incidents.map((i) => i.id)).size).toBe(200);
        for (const [i, incident] of incidents.entries()) {
          const target = targets[i % targets.length];
          expect(incident).toMatchObject({
            amount: bodies[i]?.amount,
            category: bodies[i]?.category,
            customerId: target?.id,
            customerName: target?.name,
            version: 1,
          });
        }

        const feed = await readFeed('/incidents/events');
        expectGapFree(feed);
        expect(feed.slice(0, feedBefore.length)).toEqual(feedBefore);
        const added = feed.slice(feedBefore.length);
        const byId = new Map(incidents.map((incident) => [incident.id, incident]));
        expect(added).toHaveLength(200);
        expect(new Set(added.map((e) => e.aggregateId)).size).toBe(200);
        for (const event of added) {
          const incident = byId.get(event.aggregateId);
          expect(incident, `event for an id no create answered: ${event.aggregateId}`).toBeDefined();
          expect([event.type, event.version, event.at]).toEqual(['IncidentCreated', 1, incident?.createdAt]);
          expect(event.diff).toEqual({
            amount: { old: null, new: incident?.amount },
            customerName: { old: null, new: incident?.customerName },
            category: { old: null, new: incident?.category },
            customerId: { old: null, new: incident?.customerId },
          });
        }
        expect(app.db.database.query('SELECT COUNT(*) AS n FROM Incidents')).toEqual([
          {
            n: BigInt(
              feed.filter((e) => e.type === 'IncidentCreated').length -
                feed.filter((e) => e.type === 'IncidentDeleted').length,
            ),
          },
        ]);
        await expectTotalsMatchFeed(feed);
      },
    );

    it(
      '100 concurrent incident creates racing a rename of their customer: every incident ends under the new name, and the totals still equal the feed',
      { timeout: 240_000 },
      async () => {
        const customer = await createCustomer({ name: 'Before Rename Ltd', scoring: 4 });
        const seqBefore = await lastSeq('/incidents/events');
        const create = (i: number) => send('POST', '/incidents/items', { amount: i + 0.5, customerId: customer.id });
        // 80 creates in flight; once 20 are answered (so some surely precede it), the rename goes out among the
        // other 60; 20 more are sent once the rename is answered (so some surely follow it).
        let answered = 0;
        let startRename: () => void = () => {};
        const renameMay = new Promise<void>((resolve) => (startRename = resolve));
        const racing = Array.from({ length: 80 }, (_, i) =>
          create(i).then((answer) => {
            if (++answered === 20) startRename();
            return answer;
          }),
        );
        const renamed = await renameMay.then(() =>
          send('PATCH', `/customers/items/${customer.id}`, { name: 'After Rename Ltd' }, { 'if-match': '"1"' }),
        );
        expect(renamed.status, renamed.text).toBe(200);
        const answers = [
          ...(await Promise.all(racing)),
          ...(await Promise.all(Array.from({ length: 20 }, (_, i) => create(80 + i)))),
        ];
        expect(answers.filter((a) => a.status !== 201).map((a) => a.text)).toEqual([]);
        const incidents = answers.map((a) => a.body as Incident);
        const before = incidents.filter((i) => i.customerName === 'Before Rename Ltd').length;
        expect(before).toBeGreaterThanOrEqual(20);
        expect(incidents.slice(80).every((i) => i.customerName === 'After Rename Ltd')).toBe(true);

        // Each incident is now under the new name, and its version counts its events (1, or 2 if the rename moved it).
        const events = await readFeed('/incidents/events', seqBefore);
        const listed = (await send('GET', `/incidents/items?customerId=${encodeURIComponent(customer.id)}`))
          .body as Array<{ id: string; customerName: string }>;
        expect(listed.map((i) => i.id).sort()).toEqual(incidents.map((i) => i.id).sort());
        expect(new Set(listed.map((i) => i.customerName))).toEqual(new Set(['After Rename Ltd']));
        for (const incident of incidents) {
          const own = events.filter((e) => e.aggregateId === incident.id);
          const current = (await send('GET', `/incidents/items/${incident.id}`)).body as Incident;
          expect(current.customerName).toBe('After Rename Ltd');
          expect(current.version).toBe(own.length);
          expect(own.map((e) => e.version)).toEqual(own.map((_, i) => i + 1));
          if (incident.customerName === 'Before Rename Ltd') {
            expect(own.map((e) => [e.type, e.diff])).toEqual([
              ['IncidentCreated', expect.anything()],
              ['IncidentUpdated', { customerName: { old: 'Before Rename Ltd', new: 'After Rename Ltd' } }],
            ]);
          } else {
            expect(incident.customerName).toBe('After Rename Ltd');
            expect(own.map((e) => e.type)).toEqual(['IncidentCreated']);
          }
        }
        const byCount = (await send('GET', '/incidents/top/by-count/1000')).body as Array<{
          customerName: string;
          numberOfIncidents: number;
        }>;
        expect(byCount.filter((row) => row.customerName.endsWith('Rename Ltd'))).toEqual([
          { customerName: 'After Rename Ltd', numberOfIncidents: 100 },
        ]);
        const feed = await readFeed('/incidents/events');
        expectGapFree(feed);
        await expectTotalsMatchFeed(feed);
      },
    );

    /**
     * Replays the whole incident feed (each event's diff over the incident as the feed left it) and checks that
     * /incidents/top/by-count and /by-volume list exactly the per-name counts and volumes it adds up to, in their order.
     */
    async function expectTotalsMatchFeed(feed: FeedEvent[]): Promise<void> {
      const state = new Map<string, { customerName: string; amount: number }>();
      for (const event of feed) {
        const previous = state.get(event.aggregateId);
        if (event.type === 'IncidentDeleted') {
          state.delete(event.aggregateId);
          continue;
        }
        const next = { customerName: previous?.customerName ?? '', amount: previous?.amount ?? 0 };
        if (event.diff.customerName) next.customerName = String(event.diff.customerName.new);
        if (event.diff.amount) next.amount = Number(event.diff.amount.new);
        state.set(event.aggregateId, next);
      }
      const totals = new Map<string, { count: number; micros: number }>();
      for (const { customerName, amount } of state.values()) {
        const total = totals.get(customerName) ?? { count: 0, micros: 0 };
        total.count += 1;
        total.micros += Math.round(amount * 1_000_000);
        totals.set(customerName, total);
      }
      const expectedCount = [...totals].map(([customerName, t]) => ({ customerName, numberOfIncidents: t.count }));
      expectedCount.sort(
        (a, b) => b.numberOfIncidents - a.numberOfIncidents || compareCodePoints(a.customerName, b.customerName),
      );
      const expectedVolume = [...totals].map(([customerName, t]) => ({
        customerName,
        incidentVolume: Math.round(t.micros / 10_000) / 100,
      }));
      expectedVolume.sort(
        (a, b) => b.incidentVolume - a.incidentVolume || compareCodePoints(a.customerName, b.customerName),
      );
      expect(expectedCount.length).toBeLessThanOrEqual(1000);
      expect((await send('GET', '/incidents/top/by-count/1000')).body).toEqual(expectedCount);
      expect((await send('GET', '/incidents/top/by-volume/1000')).body).toEqual(expectedVolume);
    }
  });
});

/** Binary (code point) order, as the components break ties. */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return x.length - y.length;
}
