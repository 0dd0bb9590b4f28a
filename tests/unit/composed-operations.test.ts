/**
 * The aggregates component's composed operations, `GET /aggregates/customers/{id}/overview` and
 * `GET /aggregates/incidents/by-country`, and the data-component endpoints they are built on
 * (`/customers/items/{id}/rank`, `/incidents/standing`, `/incidents/latest`, `/incidents/totals`).
 *
 * In-process, with a real SQLite file (migrations.sql applied) behind the data apps. Every answer is checked
 * against an oracle written here: plain JavaScript over the rows read back with SQL from the same file,
 * sharing no code with the components (its own code-point order, rounding and exact sums with BigInt).
 * Faults are injected into the chained fetch, as in aggregates-resilience.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, Fetch } from '../../aggregates-service/src/downstream';
import { readProblem, TEST_API_TOKEN } from '../contract/target';
import {
  chainedFetch,
  inProcessAggregates,
  memoryStore,
  NO_CACHE,
  type InProcessOptions,
} from '../support/in-process-app';
import { prng, randomDataSql } from '../support/random-data';
import { createTestDatabase, sqlText, type TestDatabase } from '../support/sqlite';

// ---------------------------------------------------------------------------------------------------------
// Databases and data

const opened: TestDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));

/** A database with the schema; `seeded` keeps the 40 customers and 100 incidents of migrations.sql. */
function database({ seeded = false } = {}): TestDatabase {
  const db = createTestDatabase();
  if (!seeded) db.exec('DELETE FROM Customers; DELETE FROM Incidents;');
  opened.push(db);
  return db;
}

const customerSql = (id: string, name: string, scoring: number, country: string | null = 'Norway') =>
  `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(id)}, ${sqlText(name)}, 'City', ${country === null ? 'NULL' : sqlText(country)}, ${scoring});`;
let incidentSeq = 0;
/** An incident written with plain SQL: it refers to the one customer with its name, if exactly one has it. */
const incidentSql = (customerName: string, amount: number | string) =>
  `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('sql-${++incidentSeq}', ${typeof amount === 'string' ? sqlText(amount) : amount}, ${sqlText(customerName)}, 'A');`;

/** GETs a path of a data component directly (the in-process apps the aggregates component is chained to). */
function dataApps(db: TestDatabase) {
  const fetch = chainedFetch(db);
  return (component: 'customers' | 'incidents', path: string, init?: RequestInit) =>
    fetch(`http://${component}-service.spin.internal${path}`, init);
}

/** Creates an incident through the API: it refers to `customerId` and carries that customer's name. */
async function createIncident(db: TestDatabase, customerId: string, amount: number): Promise<string> {
  const response = await dataApps(db)('incidents', '/incidents/items', {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ amount, category: 'B', customerId }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

type Answer = () => Promise<Response>;
const status =
  (code: number): Answer =>
  () =>
    Promise.resolve(new Response('{"oops":true}', { status: code }));
const never: Answer = () => new Promise<Response>(() => {});
/** Answers calls whose URL contains `match` (or passes it) with `answer`, passes the others through; records every URL. */
function faults(rules: Array<[match: string | ((url: string) => boolean), answer: Answer]>, calls: string[] = []) {
  return (inner: Fetch): Fetch =>
    (url, init) => {
      calls.push(url);
      const rule = rules.find(([match]) => (typeof match === 'string' ? url.includes(match) : match(url)));
      return rule ? rule[1]() : inner(url, init);
    };
}

/** A clock whose time only moves when the test says so. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  return { now: () => now, advance: (ms) => void (now += ms), sleep: () => Promise.resolve(), random: () => 0.5 };
}
const CACHE = { cache_ttl_ms: '1000', cache_stale_if_error_ms: '60000' };
const FAST_TIMEOUT = { downstream_timeout_ms: '30', downstream_retries: '0' };

const aggregates = (db: TestDatabase, options: InProcessOptions = {}) =>
  inProcessAggregates(db, { ...options, variables: { ...NO_CACHE, ...options.variables } });
const overviewPath = (id: string) => `/aggregates/customers/${encodeURIComponent(id)}/overview`;
const BY_COUNTRY = '/aggregates/incidents/by-country';

/** A partial or stale answer's sections, without its `errors` and `sources`. */
function sectionsOf(body: Record<string, unknown>): Record<string, unknown> {
  const sections = { ...body };
  delete sections.errors;
  delete sections.sources;
  return sections;
}

// ---------------------------------------------------------------------------------------------------------
// The oracle: the rules, computed from the rows

/** Code-point order: the order of the UTF-8 bytes. */
const byCodePoint = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

interface CustomerRow {
  id: string;
  name: string;
  country: string | null;
  scoring: number;
}
interface IncidentRow {
  id: string;
  amount: unknown;
  customerName: string;
  customerId: string | null;
  createdAt: string;
}

const text = (value: unknown): string =>
  value instanceof Uint8Array ? new TextDecoder().decode(value) : String(value);

function customerRows(db: TestDatabase): CustomerRow[] {
  return db.database.query('SELECT Id, Name, Country, Scoring FROM Customers').map((r) => ({
    id: text(r.Id),
    name: text(r.Name),
    country: r.Country === null ? null : text(r.Country),
    scoring: Number(r.Scoring),
  }));
}

function incidentRows(db: TestDatabase): IncidentRow[] {
  return db.database
    .query(
      'SELECT i.Id, i.Amount, i.CustomerName, m.CustomerId, m.CreatedAt FROM Incidents i LEFT JOIN IncidentMeta m ON m.Id = i.Id',
    )
    .map((r) => ({
      id: text(r.Id),
      amount: r.Amount,
      customerName: text(r.CustomerName),
      customerId: r.CustomerId === null ? null : text(r.CustomerId),
      createdAt: text(r.CreatedAt),
    }));
}

/** An amount in micro-units, rounded half away from zero; anything but a number counts 0. */
function micros(amount: unknown): bigint {
  const value = typeof amount === 'bigint' ? Number(amount) : amount;
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0n;
  const scaled = value * 1_000_000;
  return BigInt(scaled < 0 ? -Math.floor(-scaled + 0.5) : Math.floor(scaled + 0.5));
}
/** Micro-units to cents, rounded half away from zero, once. */
function cents(sum: bigint): bigint {
  const whole = ((sum < 0n ? -sum : sum) + 5000n) / 10000n;
  return sum < 0n ? -whole : whole;
}
const amountOf = (c: bigint): number => Number(c) / 100;

interface NameTotal {
  name: string;
  count: number;
  micros: bigint;
  cents: bigint;
}

function nameTotals(incidents: IncidentRow[]): Map<string, NameTotal> {
  const totals = new Map<string, NameTotal>();
  for (const incident of incidents) {
    const total = totals.get(incident.customerName) ?? { name: incident.customerName, count: 0, micros: 0n, cents: 0n };
    total.count += 1;
    total.micros += micros(incident.amount);
    totals.set(incident.customerName, total);
  }
  for (const total of totals.values()) total.cents = cents(total.micros);
  return totals;
}

const desc = (a: bigint | number, b: bigint | number) => (a > b ? -1 : a < b ? 1 : 0);
const standing = <T>(ordered: T[], index: number, topN: number) => ({
  rank: index + 1,
  of: ordered.length,
  inDashboard: index + 1 <= topN,
});

/** `/customers/top`'s order: scoring descending, then name, then id (code points). */
const topOrder = (customers: CustomerRow[]) =>
  [...customers].sort((a, b) => desc(a.scoring, b.scoring) || byCodePoint(a.name, b.name) || byCodePoint(a.id, b.id));

/** The customer an id names: ASCII case ignored; of ids that differ only in case, the first in code-point order. */
const customerById = (customers: CustomerRow[], id: string) =>
  customers.filter((c) => asciiLower(c.id) === asciiLower(id)).sort((a, b) => byCodePoint(a.id, b.id))[0];

/** The overview the rules define, as JSON text; the resources are taken from the data components' own reads. */
async function expectedOverview(db: TestDatabase, id: string, topN = 5): Promise<string> {
  const customers = customerRows(db);
  const incidents = incidentRows(db);
  const customer = customerById(customers, id);
  if (!customer) throw new Error(`the oracle knows no customer ${id}`);
  const read = dataApps(db);
  const resource = async (component: 'customers' | 'incidents', path: string) => {
    const response = await read(component, path);
    expect(response.status).toBe(200);
    return (await response.json()) as unknown;
  };

  const totals = nameTotals(incidents);
  const mine = totals.get(customer.name);
  const byCount = [...totals.values()].sort((a, b) => desc(a.count, b.count) || byCodePoint(a.name, b.name));
  const byVolume = [...totals.values()].sort((a, b) => desc(a.cents, b.cents) || byCodePoint(a.name, b.name));
  const latestIds = incidents
    .filter((i) => i.customerId === customer.id)
    .sort((a, b) => byCodePoint(b.createdAt, a.createdAt) || byCodePoint(b.id, a.id))
    .slice(0, 5)
    .map((i) => i.id);
  const overview = {
    customer: await resource('customers', `/customers/items/${encodeURIComponent(customer.id)}`),
    topCustomers: standing(customers, topOrder(customers).indexOf(customer), topN),
    incidents: {
      numberOfIncidents: mine?.count ?? 0,
      incidentVolume: mine ? amountOf(mine.cents) : 0,
      customersWithMostIncidents: mine ? standing(byCount, byCount.indexOf(mine), topN) : null,
      customersWithHighestIncidentVolume: mine ? standing(byVolume, byVolume.indexOf(mine), topN) : null,
    },
    latestIncidents: await Promise.all(
      latestIds.map((i) => resource('incidents', `/incidents/items/${encodeURIComponent(i)}`)),
    ),
  };
  return JSON.stringify(overview);
}

interface Bucket {
  numberOfIncidents: number;
  incidentVolume: number;
  customerNames: number;
}

/** Incidents by country, as the rules define it, as JSON text. */
function expectedByCountry(db: TestDatabase): string {
  const countriesOf = new Map<string, Set<string | null>>();
  for (const c of customerRows(db)) countriesOf.set(c.name, (countriesOf.get(c.name) ?? new Set()).add(c.country));
  type Sum = { count: number; micros: bigint; names: number };
  const perCountry = new Map<string | null, Sum>();
  const withoutCustomer: Sum = { count: 0, micros: 0n, names: 0 };
  const ambiguous: Sum = { count: 0, micros: 0n, names: 0 };
  for (const total of nameTotals(incidentRows(db)).values()) {
    const countries = countriesOf.get(total.name);
    let sum: Sum;
    if (!countries) sum = withoutCustomer;
    else if (countries.size > 1) sum = ambiguous;
    else {
      const [country = null] = countries;
      sum = perCountry.get(country) ?? { count: 0, micros: 0n, names: 0 };
      perCountry.set(country, sum);
    }
    sum.count += total.count;
    sum.micros += total.micros;
    sum.names += 1;
  }
  const bucket = (s: Sum): Bucket => ({
    numberOfIncidents: s.count,
    incidentVolume: amountOf(cents(s.micros)),
    customerNames: s.names,
  });
  const countries = [...perCountry.entries()]
    .sort(([ca, a], [cb, b]) => desc(a.count, b.count) || (ca === null ? 1 : cb === null ? -1 : byCodePoint(ca, cb)))
    .map(([country, s]) => ({ country, ...bucket(s) }));
  return JSON.stringify({ countries, withoutCustomer: bucket(withoutCustomer), ambiguous: bucket(ambiguous) });
}

/** Asserts a 200 JSON answer equal to the oracle's text, member for member and byte for byte. */
async function expectAnswer(response: Response, expected: string, what: unknown = '') {
  const body = await response.text();
  expect(response.status, `${JSON.stringify(what)}: ${body.slice(0, 300)}`).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect({ what, body: JSON.parse(body) as unknown }).toEqual({ what, body: JSON.parse(expected) as unknown });
  expect(body).toBe(expected);
}

const ZERO = { numberOfIncidents: 0, incidentVolume: 0, customerNames: 0 };

// ---------------------------------------------------------------------------------------------------------

describe('GET /aggregates/customers/{id}/overview', () => {
  it('matches the independent computation for every customer of the sample data', async () => {
    const db = database({ seeded: true });
    const ids = customerRows(db).map((c) => c.id);
    expect(ids).toHaveLength(40);
    const call = aggregates(db);
    for (const id of ids) await expectAnswer(await call(overviewPath(id)), await expectedOverview(db, id), id);

    // Spot checks that do not depend on the oracle: the best-scored customer, and one with five incidents.
    const top = await (await call(overviewPath('8FA65961-0A7A-69D2-F6AF-355461E64256'))).json();
    expect(Object.keys(top)).toEqual(['customer', 'topCustomers', 'incidents', 'latestIncidents']);
    expect(top.customer).toMatchObject({
      id: '8FA65961-0A7A-69D2-F6AF-355461E64256',
      name: 'Ironbridge Tools',
      scoring: 10,
    });
    expect(top.topCustomers).toEqual({ rank: 1, of: 40, inDashboard: true });
    const birchwood = await (await call(overviewPath('E2516B95-4BF7-5943-D8B4-7A28B5B68B22'))).json();
    expect(birchwood.incidents).toEqual({
      numberOfIncidents: 5,
      incidentVolume: 32399.96,
      customersWithMostIncidents: { rank: 1, of: expect.any(Number), inDashboard: true },
      customersWithHighestIncidentVolume: { rank: 1, of: expect.any(Number), inDashboard: true },
    });
    expect(birchwood.latestIncidents).toHaveLength(5);
    expect(
      birchwood.latestIncidents.every(
        (i: { customerId: string }) => i.customerId === 'E2516B95-4BF7-5943-D8B4-7A28B5B68B22',
      ),
    ).toBe(true);
  });

  it('is a complete answer: ETag, Cache-Control: no-cache, 304 for a matching If-None-Match, no errors or sources', async () => {
    const db = database({ seeded: true });
    const call = aggregates(db);
    const path = overviewPath('8FA65961-0A7A-69D2-F6AF-355461E64256');
    const response = await call(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('overview-incomplete')).toBeNull();
    expect(response.headers.get('overview-stale')).toBeNull();
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(Object.keys(await response.json())).toEqual(['customer', 'topCustomers', 'incidents', 'latestIncidents']);
    expect((await call(path, { headers: { 'if-none-match': etag ?? '' } })).status).toBe(304);
  });

  it('places customers at the top-N boundary by scoring, then name, then id, in code-point order (and incident names likewise)', async () => {
    const db = database();
    // Code-point order: "Beta" < "Same" < "Ａwide" (U+FF21) < "😀" (U+1F600); UTF-16 order would put "😀" first.
    db.exec(
      [
        customerSql('t1', 'Alpha', 9),
        customerSql('t2', 'Beta', 7),
        customerSql('t4', 'Same', 7),
        customerSql('t3', 'Same', 7),
        customerSql('t5', 'Ａwide', 7),
        customerSql('t6', '😀', 7),
        customerSql('t7', 'Neg', 1),
        customerSql('t8', 'Quiet', 0),
      ].join('\n'),
    );
    // Counts: Alpha 3; Beta, Ghost, Same, Ａwide, 😀 2 each (tied, by name). Volumes: all of the 2s are
    // 1000 cents, though their exact sums differ (10.004, 9.996, 10, 10.0049, 10.00499): cents decide, then
    // the name. Neg: -0.005 rounds away from zero to -0.01.
    db.exec(
      [
        ...[1, 1, 1].map((a) => incidentSql('Alpha', a)),
        incidentSql('Beta', 5),
        incidentSql('Beta', 5.004),
        incidentSql('Ghost', 5),
        incidentSql('Ghost', 4.996),
        incidentSql('Same', 5),
        incidentSql('Same', 5),
        incidentSql('Ａwide', 5),
        incidentSql('Ａwide', 5.0049),
        incidentSql('😀', 5),
        incidentSql('😀', 5.00499),
        incidentSql('Neg', -0.005),
      ].join('\n'),
    );
    for (const topN of [3, 5]) {
      const call = aggregates(db, { variables: { top_n: String(topN) } });
      for (const id of ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8']) {
        await expectAnswer(await call(overviewPath(id)), await expectedOverview(db, id, topN), { id, topN });
      }
    }
    const at5 = aggregates(db, { variables: { top_n: '5' } });
    const overviewOf = async (id: string) => (await at5(overviewPath(id))).json();
    // Same name: the id decides (t3 before t4).
    expect((await overviewOf('t3')).topCustomers).toEqual({ rank: 3, of: 8, inDashboard: true });
    expect((await overviewOf('t4')).topCustomers).toEqual({ rank: 4, of: 8, inDashboard: true });
    expect((await overviewOf('t5')).topCustomers).toEqual({ rank: 5, of: 8, inDashboard: true });
    const emoji = await overviewOf('t6');
    expect(emoji.topCustomers).toEqual({ rank: 6, of: 8, inDashboard: false });
    expect(emoji.incidents).toEqual({
      numberOfIncidents: 2,
      incidentVolume: 10,
      customersWithMostIncidents: { rank: 6, of: 7, inDashboard: false },
      customersWithHighestIncidentVolume: { rank: 5, of: 7, inDashboard: true },
    });
    const wide = await overviewOf('t5');
    expect(wide.incidents.customersWithMostIncidents).toEqual({ rank: 5, of: 7, inDashboard: true });
    expect(wide.incidents.customersWithHighestIncidentVolume).toEqual({ rank: 4, of: 7, inDashboard: true });
    const neg = await overviewOf('t7');
    expect(neg.incidents).toEqual({
      numberOfIncidents: 1,
      incidentVolume: -0.01,
      customersWithMostIncidents: { rank: 7, of: 7, inDashboard: false },
      customersWithHighestIncidentVolume: { rank: 7, of: 7, inDashboard: false },
    });
  });

  it('answers zeros, null standings and no latest incidents for a customer without incidents', async () => {
    const db = database({ seeded: true });
    db.exec(customerSql('LONELY-1', 'Lonely Lighthouse', 10));
    const response = await aggregates(db)(overviewPath('LONELY-1'));
    const expected = await expectedOverview(db, 'LONELY-1');
    const body = JSON.parse(expected);
    expect(body.incidents).toEqual({
      numberOfIncidents: 0,
      incidentVolume: 0,
      customersWithMostIncidents: null,
      customersWithHighestIncidentVolume: null,
    });
    expect(body.latestIncidents).toEqual([]);
    // Scoring 10 ties with Ironbridge Tools, which comes first by name ("I" < "L").
    expect(body.topCustomers).toEqual({ rank: 2, of: 41, inDashboard: true });
    await expectAnswer(response, expected);
  });

  it('counts every incident under the name a customer shares, but lists as latest only the incidents that refer to it', async () => {
    const db = database({ seeded: true });
    db.exec([customerSql('dup-1', 'Twin Ltd', 4, 'Norway'), customerSql('dup-2', 'Twin Ltd', 6, 'Sweden')].join('\n'));
    const first = [await createIncident(db, 'dup-1', 10.25), await createIncident(db, 'dup-1', 20.5)];
    const second = await createIncident(db, 'DUP-2', 7);
    // Plain SQL under a name two customers have: the incidents count by name, but refer to neither.
    db.exec([incidentSql('Twin Ltd', 1000.005), incidentSql('Twin Ltd', 0.001)].join('\n'));
    const call = aggregates(db);
    const one = await call(overviewPath('dup-1'));
    const expectedOne = await expectedOverview(db, 'dup-1');
    await expectAnswer(one, expectedOne);
    const two = await (await call(overviewPath('dup-2'))).json();
    expect(JSON.stringify(two)).toBe(await expectedOverview(db, 'dup-2'));

    const parsedOne = JSON.parse(expectedOne);
    // 10.25 + 20.5 + 7 + 1000.005 + 0.001 = 1037.756 -> 1037.76, the same for both.
    for (const overview of [parsedOne, two])
      expect(overview.incidents).toMatchObject({ numberOfIncidents: 5, incidentVolume: 1037.76 });
    expect(two.incidents).toEqual(parsedOne.incidents);
    expect(parsedOne.latestIncidents.map((i: { id: string }) => i.id).sort()).toEqual([...first].sort());
    expect(two.latestIncidents.map((i: { id: string }) => i.id)).toEqual([second]);
    expect(two.latestIncidents[0]).toMatchObject({ customerId: 'dup-2', customerName: 'Twin Ltd', amount: 7 });
  });

  it('lists at most five of the newest incidents, newest first, then by id descending', async () => {
    const db = database();
    db.exec(customerSql('busy', 'Busy Bee', 5));
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push(await createIncident(db, 'busy', i + 0.5));
    // Plain SQL under the same unique name refers to the customer too; several in one statement share a time.
    db.exec(
      "INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('zz-a', 1, 'Busy Bee', 'A'), ('zz-c', 2, 'Busy Bee', 'A'), ('zz-b', 3, 'Busy Bee', 'A');",
    );
    const body = await (await aggregates(db)(overviewPath('busy'))).json();
    expect(JSON.stringify(body)).toBe(await expectedOverview(db, 'busy'));
    expect(body.latestIncidents.map((i: { id: string }) => i.id).slice(0, 3)).toEqual(['zz-c', 'zz-b', 'zz-a']);
    expect(body.latestIncidents).toHaveLength(5);
    expect(body.incidents.numberOfIncidents).toBe(10);
  });

  it('matches ids ignoring ASCII case (only ASCII case); of ids differing only in case, the first in code-point order answers', async () => {
    const db = database({ seeded: true });
    db.exec([customerSql('C-001', 'Upper Case Co', 5), customerSql('É-1', 'Accent Co', 5)].join('\n'));
    await createIncident(db, 'c-001', 12.34);
    const call = aggregates(db);
    const upper = await (await call(overviewPath('C-001'))).text();
    const lower = await call(overviewPath('c-001'));
    await expectAnswer(lower, upper);
    expect(JSON.parse(upper).customer.id).toBe('C-001');
    expect(JSON.parse(upper).latestIncidents).toHaveLength(1);
    // É is not ASCII: é is another id.
    expect((await call(overviewPath('é-1'))).status).toBe(404);
    expect((await call(overviewPath('É-1'))).status).toBe(200);
    // A second customer whose id differs only in case: "C-001" < "c-001", so both spellings name C-001.
    db.exec(customerSql('c-001', 'Lower Case Co', 9));
    for (const id of ['c-001', 'C-001']) {
      const response = await call(overviewPath(id));
      const expected = await expectedOverview(db, id);
      expect(JSON.parse(expected).customer.id).toBe('C-001');
      await expectAnswer(response, expected, id);
    }
  });

  it.each([['a b'], ['a/b'], ['100%'], ["O'Brien & Sons"], ['Zürich-1'], ['東京'], ['😀'], ['x+y&z=1#?'], ['%41']])(
    'finds a customer whose id needs percent-encoding: %j',
    async (id) => {
      const db = database();
      db.exec([customerSql(id, `Customer ${id}`, 3), customerSql('other', 'Other', 4)].join('\n'));
      await createIncident(db, id, 42.42);
      await createIncident(db, 'other', 1);
      const response = await aggregates(db)(overviewPath(id));
      const expected = await expectedOverview(db, id);
      await expectAnswer(response, expected, id);
      const body = JSON.parse(expected);
      expect(body.customer.id).toBe(id);
      expect(body.latestIncidents.map((i: { customerId: string }) => i.customerId)).toEqual([id]);
    },
  );

  it('answers 404 problem+json for an unknown id, 400 for an id over 200 characters or with a control character', async () => {
    const db = database({ seeded: true });
    const call = aggregates(db);
    const unknown = await call(overviewPath('no-such-customer'));
    expect(unknown.status).toBe(404);
    expect(await readProblem(unknown)).toMatchObject({
      type: 'urn:aggregates-dashboard:problem:not-found',
      status: 404,
      detail: expect.stringContaining('no-such-customer'),
    });
    expect((await call(overviewPath('x'.repeat(200)))).status).toBe(404);
    for (const id of ['x'.repeat(201), 'tab\there']) {
      const response = await call(overviewPath(id));
      expect(response.status).toBe(400);
      expect(await readProblem(response)).toMatchObject({
        type: 'urn:aggregates-dashboard:problem:invalid-id',
        status: 400,
      });
    }
    const policy = await call(`${overviewPath('8FA65961-0A7A-69D2-F6AF-355461E64256')}?policy=lenient`);
    expect(policy.status).toBe(400);
  });

  it('matches the independent computation on random data (5 seeds, 30 customers, 200 incidents each)', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const db = database();
      const data = randomDataSql(seed, 30, 200);
      db.exec(`BEGIN; ${data.customers}\n${data.incidents}; COMMIT;`);
      // Some incidents through the API, so customers whose name others share have incidents of their own.
      const random = prng(seed + 100);
      const ids = customerRows(db).map((c) => c.id);
      for (let i = 0; i < 6; i++)
        await createIncident(
          db,
          ids[Math.floor(random() * ids.length)] ?? 'none',
          Math.floor(random() * 100_000) / 100,
        );
      const topN = 1 + (seed % 6);
      const call = aggregates(db, { variables: { top_n: String(topN) } });
      for (const id of ids.filter((_, i) => i % 3 === seed % 3)) {
        await expectAnswer(await call(overviewPath(id)), await expectedOverview(db, id, topN), { seed, id });
      }
    }
  });
});

describe('GET /aggregates/customers/{id}/overview when parts fail', () => {
  const ID = 'E2516B95-4BF7-5943-D8B4-7A28B5B68B22'; // Birchwood Analytics: incidents of its own

  it('answers 200 with the customer and its rank when the incidents component is down, the rest null, with errors and sources', async () => {
    const db = database({ seeded: true });
    const complete = JSON.parse(await expectedOverview(db, ID));
    const response = await aggregates(db, { wrapFetch: faults([['/incidents/', status(500)]]) })(overviewPath(ID));
    expect(response.status).toBe(200);
    // In document order, whatever order the calls were made in (the newest incidents are asked first).
    expect(response.headers.get('overview-incomplete')).toBe('incidents, latestIncidents');
    expect(response.headers.get('overview-stale')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    const body = await response.json();
    expect(Object.keys(body)).toEqual([
      'customer',
      'topCustomers',
      'incidents',
      'latestIncidents',
      'errors',
      'sources',
    ]);
    expect(body).toEqual({
      customer: complete.customer,
      topCustomers: complete.topCustomers,
      incidents: null,
      latestIncidents: null,
      errors: [
        {
          section: 'incidents',
          source: 'incidents-service',
          status: 500,
          code: 'bad-status',
          detail: 'incidents-service GET /incidents/standing?customerName=Birchwood%20Analytics answered 500',
        },
        {
          section: 'latestIncidents',
          source: 'incidents-service',
          status: 500,
          code: 'bad-status',
          detail: `incidents-service GET /incidents/latest?customerId=${ID}&limit=5 answered 500`,
        },
      ],
      sources: {
        customers: { status: 'ok', latencyMs: expect.any(Number), stale: false },
        incidents: { status: 'error', latencyMs: expect.any(Number), stale: false },
      },
    });
  });

  it('reports a timed-out incidents component as timeouts', async () => {
    const db = database({ seeded: true });
    const response = await aggregates(db, { variables: FAST_TIMEOUT, wrapFetch: faults([['/incidents/', never]]) })(
      overviewPath(ID),
    );
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(
      body.errors.map((e: { section: string; code: string; status: number | null }) => [e.section, e.code, e.status]),
    ).toEqual([
      ['incidents', 'timeout', null],
      ['latestIncidents', 'timeout', null],
    ]);
    expect(body.sources.incidents.status).toBe('timeout');
    expect(body.customer.id).toBe(ID);
  });

  it('loses only the failed section when one call of the incidents component fails', async () => {
    const db = database({ seeded: true });
    const complete = JSON.parse(await expectedOverview(db, ID));
    const response = await aggregates(db, { wrapFetch: faults([['/incidents/standing', status(503)]]) })(
      overviewPath(ID),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('overview-incomplete')).toBe('incidents');
    const { errors, sources, ...sections } = await response.json();
    expect(sections).toEqual({ ...complete, incidents: null });
    expect(errors).toEqual([expect.objectContaining({ section: 'incidents', status: 503, code: 'bad-status' })]);
    expect(sources.incidents.status).toBe('error');
  });

  it('answers 502 problem+json when the customers component is down, 504 when its calls all timed out', async () => {
    const db = database({ seeded: true });
    const down = await aggregates(db, { wrapFetch: faults([['/customers/', status(500)]]) })(overviewPath(ID));
    expect(down.status).toBe(502);
    const problem = await readProblem(down);
    expect(problem).toMatchObject({ type: 'urn:aggregates-dashboard:problem:bad-gateway', status: 502 });
    expect(problem.detail).toContain(`customers-service GET /customers/items/${ID} answered 500`);
    const slow = await aggregates(db, { variables: FAST_TIMEOUT, wrapFetch: faults([['/customers/', never]]) })(
      overviewPath(ID),
    );
    expect(slow.status).toBe(504);
    expect(await readProblem(slow)).toMatchObject({
      type: 'urn:aggregates-dashboard:problem:gateway-timeout',
      status: 504,
    });
    // The customer itself unreadable, its rank fine: still nothing worth answering.
    const customerOnly = await aggregates(db, {
      wrapFetch: faults([[(url) => url.endsWith(`/customers/items/${ID}`), status(500)]]),
    })(overviewPath(ID));
    expect(customerOnly.status).toBe(502);
    // Both components down, in mixed ways: 502.
    const mixed = await aggregates(db, {
      variables: FAST_TIMEOUT,
      wrapFetch: faults([
        ['/customers/', never],
        ['/incidents/', status(500)],
      ]),
    })(overviewPath(ID));
    expect(mixed.status).toBe(502);
  });

  it('answers 200 without the rank when only the rank call fails', async () => {
    const db = database({ seeded: true });
    const response = await aggregates(db, { wrapFetch: faults([['/rank', status(500)]]) })(overviewPath(ID));
    expect(response.status).toBe(200);
    expect(response.headers.get('overview-incomplete')).toBe('topCustomers');
    const body = await response.json();
    expect(body.topCustomers).toBeNull();
    expect(body.customer.id).toBe(ID);
  });

  it('answers 502 under ?policy=strict (or failure_policy=strict) when the incidents component is down', async () => {
    const db = database({ seeded: true });
    const wrapFetch = faults([['/incidents/', status(500)]]);
    const strict = await aggregates(db, { wrapFetch })(`${overviewPath(ID)}?policy=strict`);
    expect(strict.status).toBe(502);
    const problem = await readProblem(strict);
    expect(problem.detail).toContain('incidents-service GET /incidents/latest');
    expect(problem.detail).toContain('incidents-service GET /incidents/standing');
    expect(
      (await aggregates(db, { wrapFetch, variables: { failure_policy: 'strict' } })(overviewPath(ID))).status,
    ).toBe(502);
    expect(
      (
        await aggregates(db, { wrapFetch, variables: { failure_policy: 'strict' } })(
          `${overviewPath(ID)}?policy=partial`,
        )
      ).status,
    ).toBe(200);
  });

  it('serves cached copies when the incidents component fails (stale-if-error), and says so', async () => {
    const db = database({ seeded: true });
    const store = memoryStore();
    const clock = manualClock();
    const complete = await (await inProcessAggregates(db, { variables: CACHE, clock, store })(overviewPath(ID))).text();
    expect(complete).toBe(await expectedOverview(db, ID));
    const failing = (calls: string[] = []) =>
      inProcessAggregates(db, {
        variables: CACHE,
        clock,
        store,
        wrapFetch: faults([['/incidents/', status(500)]], calls),
      });

    // Within the TTL: the incidents' data version cannot be read, so their parts are stale copies at once.
    clock.advance(100);
    const calls: string[] = [];
    const early = await failing(calls)(overviewPath(ID));
    expect(early.status).toBe(200);
    expect(early.headers.get('overview-stale')).toBe('incidents, latestIncidents');
    expect(JSON.stringify(sectionsOf(await early.json()))).toBe(complete);
    // Only the version was asked for (once per phase of the overview), none of the data calls.
    const incidentCalls = calls.filter((url) => url.includes('/incidents/')).map((url) => new URL(url).pathname);
    expect(incidentCalls.length).toBeGreaterThan(0);
    expect(new Set(incidentCalls)).toEqual(new Set(['/incidents/events/last']));

    // Past the TTL: the calls are made, fail, and the cached copies stand in.
    clock.advance(5000);
    const response = await failing()(overviewPath(ID));
    expect(response.status).toBe(200);
    expect(response.headers.get('overview-stale')).toBe('incidents, latestIncidents');
    expect(response.headers.get('overview-incomplete')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    const body = await response.json();
    expect(JSON.stringify(sectionsOf(body))).toBe(complete);
    expect(body.sources).toEqual({
      customers: { status: 'ok', latencyMs: expect.any(Number), stale: false },
      incidents: { status: 'error', latencyMs: expect.any(Number), stale: true },
    });
    expect(body.errors.map((e: { section: string }) => e.section)).toEqual(['incidents', 'latestIncidents']);
    for (const error of body.errors) expect(error.detail).toContain('a cached copy 5 s old was served instead');
  });

  it('serves a cached customer when the customers component fails, still as a 200', async () => {
    const db = database({ seeded: true });
    const store = memoryStore();
    const clock = manualClock();
    const complete = await (await inProcessAggregates(db, { variables: CACHE, clock, store })(overviewPath(ID))).text();
    clock.advance(5000);
    const response = await inProcessAggregates(db, {
      variables: CACHE,
      clock,
      store,
      wrapFetch: faults([['/customers/', status(503)]]),
    })(overviewPath(ID));
    expect(response.status).toBe(200);
    expect(response.headers.get('overview-stale')).toBe('customer, topCustomers');
    const body = await response.json();
    expect(JSON.stringify(sectionsOf(body))).toBe(complete);
    expect(body.sources.customers.stale).toBe(true);
  });

  it('reflects a write made within cache_ttl_ms, and serves unchanged parts from the cache', async () => {
    const db = database({ seeded: true });
    const store = memoryStore();
    const clock = manualClock();
    const calls: string[] = [];
    const call = inProcessAggregates(db, { variables: CACHE, clock, store, wrapFetch: faults([], calls) });
    await expectAnswer(await call(overviewPath(ID)), await expectedOverview(db, ID));
    calls.length = 0;
    clock.advance(100);
    await expectAnswer(await call(overviewPath(ID)), await expectedOverview(db, ID));
    // Nothing changed: the rank, the standing and the newest incidents came from the cache.
    expect(calls.filter((url) => /\/rank|\/incidents\/(latest|standing)/.test(url))).toEqual([]);
    // An incident through the API and a rescoring with plain SQL, both within the TTL: no stale window.
    const added = await createIncident(db, ID, 500000);
    db.exec(`UPDATE Customers SET Scoring = 10 WHERE Id = ${sqlText(ID)};`);
    clock.advance(100);
    const after = await call(overviewPath(ID));
    const expected = await expectedOverview(db, ID);
    await expectAnswer(after, expected);
    const body = JSON.parse(expected);
    expect(body.latestIncidents[0].id).toBe(added);
    expect(body.incidents.numberOfIncidents).toBe(6);
    expect(body.topCustomers).toEqual({ rank: 1, of: 40, inDashboard: true });
  });

  it('answers 404 for a deleted customer, never a stale copy of its older overview', async () => {
    const db = database({ seeded: true });
    db.exec(customerSql('GONE-1', 'Gone Gadgets', 8));
    await createIncident(db, 'GONE-1', 99.99);
    const store = memoryStore();
    const clock = manualClock();
    const first = await inProcessAggregates(db, { variables: CACHE, clock, store })(overviewPath('GONE-1'));
    expect(first.status).toBe(200);
    // Deleted with plain SQL (the API refuses while incidents refer to it): they keep its name.
    db.exec("DELETE FROM Customers WHERE Id = 'GONE-1';");
    // Within the TTL: the customers' data version moved, so the entry is not served.
    clock.advance(100);
    const fresh = await inProcessAggregates(db, { variables: CACHE, clock, store })(overviewPath('GONE-1'));
    expect(fresh.status).toBe(404);
    expect(await readProblem(fresh)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:not-found' });
    // Past the TTL, with the incidents component failing too: the customers component's 404 stands.
    clock.advance(5000);
    const failing = await inProcessAggregates(db, {
      variables: CACHE,
      clock,
      store,
      wrapFetch: faults([['/incidents/', status(500)]]),
    })(overviewPath('GONE-1'));
    expect(failing.status).toBe(404);
    // And with the customers' other call failing as well.
    const rankDown = await inProcessAggregates(db, {
      variables: CACHE,
      clock,
      store,
      wrapFetch: faults([['/rank', status(503)]]),
    })(overviewPath('GONE-1'));
    expect(rankDown.status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('GET /aggregates/incidents/by-country', () => {
  it('matches the independent computation for the sample data', async () => {
    const db = database({ seeded: true });
    const response = await aggregates(db)(BY_COUNTRY);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
    const expected = expectedByCountry(db);
    await expectAnswer(response, expected);
    const body = JSON.parse(expected);
    // 'Wrenfield Partners' has incidents but no customer row; every other name has one customer.
    expect(body.withoutCustomer.customerNames).toBe(1);
    expect(body.ambiguous).toEqual(ZERO);
    expect(
      body.countries.reduce((n: number, c: Bucket) => n + c.numberOfIncidents, 0) +
        body.withoutCustomer.numberOfIncidents,
    ).toBe(100);
  });

  it('answers an empty database with no countries and zero buckets', async () => {
    const response = await aggregates(database())(BY_COUNTRY);
    await expectAnswer(response, JSON.stringify({ countries: [], withoutCustomer: ZERO, ambiguous: ZERO }));
  });

  it('handles awkward names and countries: __proto__, numbers, emoji, case and NFC/NFD twins, null and ambiguous countries', async () => {
    const db = database();
    const nfc = 'Caf\u00e9';
    const nfd = 'Cafe\u0301';
    db.exec(
      [
        customerSql('p1', '__proto__', 1, 'Norway'),
        customerSql('p2', '42', 1, 'Norway'),
        customerSql('p3', 'constructor', 1, null),
        customerSql('p4', '😀 Corp', 1, 'Ísland'),
        customerSql('p5', 'acme', 1, 'Norway'),
        customerSql('p6', 'Acme', 1, 'Sweden'),
        customerSql('p7', nfc, 1, 'France'),
        customerSql('p8', nfd, 1, 'Belgium'),
        customerSql('p9', 'Split', 1, 'Norway'),
        customerSql('p10', 'Split', 1, null),
        customerSql('p11', 'Split2', 1, 'Norway'),
        customerSql('p12', 'Split2', 1, 'norway'),
        customerSql('p13', 'SameTwice', 1, 'Sweden'),
        customerSql('p14', 'SameTwice', 1, 'Sweden'),
        customerSql('p15', 'NoIncidents', 1, 'Chile'),
        customerSql('p16', 'Blank', 1, ''),
        customerSql('p17', 'valueOf', 1, '__proto__'),
      ].join('\n'),
    );
    db.exec(
      [
        incidentSql('__proto__', 1.5),
        incidentSql('__proto__', 2.25),
        "INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('num-42', 42, 42, 'A');",
        incidentSql('constructor', 0.005),
        incidentSql('😀 Corp', 10),
        incidentSql('acme', 1),
        incidentSql('Acme', 2),
        incidentSql('ACME', 4),
        incidentSql(nfc, 3),
        incidentSql(nfd, 5),
        incidentSql(nfd, 6),
        incidentSql('Split', 7),
        incidentSql('Split2', 8),
        incidentSql('Split2', -0.005),
        incidentSql('SameTwice', 9),
        incidentSql('Blank', 0.0000005),
        incidentSql('Blank', 1e-7),
        incidentSql('valueOf', 100),
        incidentSql('toString', 11),
        incidentSql('hasOwnProperty', 12),
        incidentSql('Ghost', 'n/a'),
      ].join('\n'),
    );
    const response = await aggregates(db)(BY_COUNTRY);
    const expected = expectedByCountry(db);
    await expectAnswer(response, expected);
    // Written out, so the oracle is checked too.
    expect(JSON.parse(expected)).toEqual({
      countries: [
        { country: 'Norway', numberOfIncidents: 4, incidentVolume: 46.75, customerNames: 3 },
        { country: '', numberOfIncidents: 2, incidentVolume: 0, customerNames: 1 },
        { country: 'Belgium', numberOfIncidents: 2, incidentVolume: 11, customerNames: 1 },
        { country: 'Sweden', numberOfIncidents: 2, incidentVolume: 11, customerNames: 2 },
        { country: 'France', numberOfIncidents: 1, incidentVolume: 3, customerNames: 1 },
        { country: '__proto__', numberOfIncidents: 1, incidentVolume: 100, customerNames: 1 },
        { country: 'Ísland', numberOfIncidents: 1, incidentVolume: 10, customerNames: 1 },
        { country: null, numberOfIncidents: 1, incidentVolume: 0.01, customerNames: 1 },
      ],
      withoutCustomer: { numberOfIncidents: 4, incidentVolume: 27, customerNames: 4 },
      // 7 + 8 - 0.005 = 14.995: rounded once, half away from zero, to 15.00.
      ambiguous: { numberOfIncidents: 3, incidentVolume: 15, customerNames: 2 },
    });
  });

  it('reads every page of both lists: more than 2000 customers and more than 2000 customer names', async () => {
    const db = database();
    db.exec(`BEGIN;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2099)
      INSERT INTO Customers (Id, Name, City, Country, Scoring)
      SELECT printf('bulk-%04d', i), printf('Name %04d', i), 'x', CASE i % 5 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN NULL WHEN 3 THEN 'C' ELSE 'Ünited' END, i % 11 FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 41)
      INSERT INTO Customers (Id, Name, City, Country, Scoring)
      SELECT printf('dupe-%04d', i), printf('Name %04d', i * 50), 'x', CASE i % 2 WHEN 0 THEN 'Z' ELSE NULL END, 1 FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2299)
      INSERT INTO Incidents (Id, Amount, CustomerName, Category)
      SELECT printf('bulk-inc-%04d', i), (i % 97) * 1.01 + (i % 7) * 0.000001, CASE WHEN i < 2100 THEN printf('Name %04d', i) ELSE printf('Ghost %03d', i - 2100) END, 'A' FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
      INSERT INTO Incidents (Id, Amount, CustomerName, Category)
      SELECT printf('more-inc-%04d', i), 0.125 * i, printf('Name %04d', (i * 7) % 2100), 'B' FROM n;
      COMMIT;`);
    const calls: string[] = [];
    const response = await aggregates(db, { wrapFetch: faults([], calls) })(BY_COUNTRY);
    const expected = expectedByCountry(db);
    await expectAnswer(response, expected);
    const paths = calls
      .map((url) => new URL(url))
      .map((url) => `${url.pathname}${url.searchParams.has('after') ? ' (after)' : ''}`);
    expect(paths.sort()).toEqual([
      '/customers/items',
      '/customers/items (after)',
      '/incidents/totals',
      '/incidents/totals (after)',
    ]);
    const body = JSON.parse(expected);
    expect(body.countries.map((c: Bucket & { country: string | null }) => c.country).sort()).toEqual(
      ['A', 'B', 'C', 'Ünited', null].sort(),
    );
    // Each of the 42 names two customers share has two countries ('A' and 'Z' or null): ambiguous.
    expect(body.ambiguous.customerNames).toBe(42);
    expect(body.withoutCustomer).toMatchObject({ numberOfIncidents: 200, customerNames: 200 });
  });

  it('matches the independent computation on random data with random countries (5 seeds)', async () => {
    const countries = ['Norway', 'norway', 'Sweden', 'Ísland', '😀land', '', null, null];
    for (let seed = 1; seed <= 5; seed++) {
      const db = database();
      const data = randomDataSql(seed, 30, 200);
      db.exec(`BEGIN; ${data.customers}\n${data.incidents}; COMMIT;`);
      const random = prng(seed + 500);
      const updates = customerRows(db).map(({ id }) => {
        const country = countries[Math.floor(random() * countries.length)] ?? null;
        return `UPDATE Customers SET Country = ${country === null ? 'NULL' : sqlText(country)} WHERE Id = ${sqlText(id)};`;
      });
      db.exec(`BEGIN; ${updates.join('\n')} COMMIT;`);
      await expectAnswer(await aggregates(db)(BY_COUNTRY), expectedByCountry(db), { seed });
    }
  });
});

describe('GET /aggregates/incidents/by-country when parts fail', () => {
  it('answers 502 problem+json when either component is down: both halves of the join are essential', async () => {
    const db = database({ seeded: true });
    for (const match of ['/customers/', '/incidents/']) {
      const response = await aggregates(db, { wrapFetch: faults([[match, status(500)]]) })(BY_COUNTRY);
      expect(response.status).toBe(502);
      const problem = await readProblem(response);
      expect(problem).toMatchObject({ type: 'urn:aggregates-dashboard:problem:bad-gateway', status: 502 });
      expect(problem.detail).toContain(
        match === '/customers/'
          ? 'customers-service GET /customers/items?limit=2000 answered 500'
          : 'incidents-service GET /incidents/totals?limit=2000 answered 500',
      );
    }
  });

  it('answers 504 when the failed calls all timed out, 502 when they failed in mixed ways', async () => {
    const db = database({ seeded: true });
    for (const match of ['/customers/', '/incidents/', '/']) {
      const response = await aggregates(db, { variables: FAST_TIMEOUT, wrapFetch: faults([[match, never]]) })(
        BY_COUNTRY,
      );
      expect({ match, status: response.status }).toEqual({ match, status: 504 });
      expect(await readProblem(response)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:gateway-timeout' });
    }
    const mixed = await aggregates(db, {
      variables: FAST_TIMEOUT,
      wrapFetch: faults([
        ['/customers/', never],
        ['/incidents/', status(500)],
      ]),
    })(BY_COUNTRY);
    expect(mixed.status).toBe(502);
  });

  it('fails when a later page fails: a half-read list is no list', async () => {
    const db = database();
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2049)
      INSERT INTO Customers (Id, Name, City, Country, Scoring) SELECT printf('p-%04d', i), printf('N %04d', i), 'x', 'A', 1 FROM n;`);
    const response = await aggregates(db, { wrapFetch: faults([['/customers/items?limit=2000&after=', status(500)]]) })(
      BY_COUNTRY,
    );
    expect(response.status).toBe(502);
  });

  it('reflects a write to either component made within cache_ttl_ms', async () => {
    const db = database({ seeded: true });
    const store = memoryStore();
    const clock = manualClock();
    const call = inProcessAggregates(db, { variables: CACHE, clock, store });
    await expectAnswer(await call(BY_COUNTRY), expectedByCountry(db));
    clock.advance(100);
    await expectAnswer(await call(BY_COUNTRY), expectedByCountry(db));
    db.exec("UPDATE Customers SET Country = 'Iceland' WHERE Name = 'Birchwood Analytics';");
    clock.advance(100);
    await expectAnswer(await call(BY_COUNTRY), expectedByCountry(db));
    expect(JSON.parse(expectedByCountry(db)).countries).toContainEqual({
      country: 'Iceland',
      numberOfIncidents: 5,
      incidentVolume: 32399.96,
      customerNames: 1,
    });
    db.exec(incidentSql('Wrenfield Partners', 0.01));
    clock.advance(100);
    await expectAnswer(await call(BY_COUNTRY), expectedByCountry(db));
  });

  it('serves cached copies of either half when its component fails, byte for byte, awkward names included', async () => {
    const db = database({ seeded: true });
    db.exec(
      [
        customerSql('q1', '__proto__', 1, 'Norway'),
        customerSql('q2', 'constructor', 1, null),
        incidentSql('__proto__', 1),
        incidentSql('constructor', 2),
        incidentSql('toString', 3),
      ].join('\n'),
    );
    const store = memoryStore();
    const clock = manualClock();
    const complete = await (await inProcessAggregates(db, { variables: CACHE, clock, store })(BY_COUNTRY)).text();
    expect(complete).toBe(expectedByCountry(db));
    clock.advance(5000);
    for (const [match, stale, source] of [
      ['/customers/', 'customerCountries', 'customers'],
      ['/incidents/', 'incidentTotals', 'incidents'],
      ['spin.internal/', 'customerCountries, incidentTotals', 'both'],
    ] as const) {
      const response = await inProcessAggregates(db, {
        variables: CACHE,
        clock,
        store,
        wrapFetch: faults([[match, status(503)]]),
      })(BY_COUNTRY);
      expect({ match, status: response.status }).toEqual({ match, status: 200 });
      expect(response.headers.get('incidents-by-country-stale')).toBe(stale);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const { errors, sources, ...result } = await response.json();
      expect(JSON.stringify(result)).toBe(complete);
      expect(errors.length).toBe(source === 'both' ? 2 : 1);
      if (source !== 'both') expect(sources[source].stale).toBe(true);
    }
    // Past cache_stale_if_error_ms, nothing stands in.
    clock.advance(60_000);
    const expired = await inProcessAggregates(db, {
      variables: CACHE,
      clock,
      store,
      wrapFetch: faults([['/customers/', status(503)]]),
    })(BY_COUNTRY);
    expect(expired.status).toBe(502);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('the data-component endpoints the composed operations call', () => {
  /** Sample data plus random rows, awkward names and ties included. */
  function mixedDatabase(): TestDatabase {
    const db = database({ seeded: true });
    const data = randomDataSql(7, 30, 250);
    db.exec(`BEGIN; ${data.customers}\n${data.incidents}; COMMIT;`);
    return db;
  }

  it('/customers/items/{id}/rank: the position in /customers/top/1000 and the number of customers; 404 for an unknown id', async () => {
    const db = mixedDatabase();
    const get = dataApps(db);
    const top = (await (await get('customers', '/customers/top/1000')).json()) as Array<{ id: string }>;
    const customers = customerRows(db);
    expect(top.map((c) => c.id)).toEqual(topOrder(customers).map((c) => c.id));
    for (const [index, { id }] of top.entries()) {
      const response = await get('customers', `/customers/items/${encodeURIComponent(id)}/rank`);
      expect(response.status).toBe(200);
      expect(response.headers.get('data-version')).toMatch(/^[0-9]+$/);
      expect({ id, rank: await response.json() }).toEqual({
        id,
        rank: { id, byScoring: index + 1, customers: customers.length },
      });
    }
    const lower = await (await get('customers', '/customers/items/8fa65961-0a7a-69d2-f6af-355461e64256/rank')).json();
    expect(lower).toMatchObject({ id: '8FA65961-0A7A-69D2-F6AF-355461E64256', byScoring: 1 });
    const unknown = await get('customers', '/customers/items/nobody/rank');
    expect(unknown.status).toBe(404);
    expect(await readProblem(unknown)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:not-found' });
    expect((await get('customers', `/customers/items/${'y'.repeat(201)}/rank`)).status).toBe(400);
  });

  it('/incidents/standing: each name’s totals and positions; zeros and rank null for a name without incidents; 400 for a bad query', async () => {
    const db = mixedDatabase();
    const get = dataApps(db);
    const totals = nameTotals(incidentRows(db));
    const byCount = [...totals.values()].sort((a, b) => desc(a.count, b.count) || byCodePoint(a.name, b.name));
    const byVolume = [...totals.values()].sort((a, b) => desc(a.cents, b.cents) || byCodePoint(a.name, b.name));
    for (const total of totals.values()) {
      const response = await get('incidents', `/incidents/standing?customerName=${encodeURIComponent(total.name)}`);
      expect(response.status).toBe(200);
      expect({ name: total.name, body: await response.json() }).toEqual({
        name: total.name,
        body: {
          customerName: total.name,
          numberOfIncidents: total.count,
          volumeMicros: Number(total.micros),
          incidentVolume: amountOf(total.cents),
          rank: { byCount: byCount.indexOf(total) + 1, byVolume: byVolume.indexOf(total) + 1 },
          customerNames: totals.size,
        },
      });
    }
    const none = await get('incidents', '/incidents/standing?customerName=Nobody%20At%20All');
    expect(await none.json()).toEqual({
      customerName: 'Nobody At All',
      numberOfIncidents: 0,
      volumeMicros: 0,
      incidentVolume: 0,
      rank: null,
      customerNames: totals.size,
    });
    // An empty name is a name as stored (plain SQL may write one): 200 with zeros, not a 400.
    expect((await get('incidents', '/incidents/standing?customerName=')).status).toBe(200);
    for (const query of [
      '',
      '?customerName=Acme&extra=1',
      '?name=Acme',
      '?customerName=Acme&customerName=Acme',
      `?customerName=${'x'.repeat(4097)}`,
    ]) {
      const response = await get('incidents', `/incidents/standing${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(await readProblem(response)).toMatchObject({ type: 'urn:aggregates-dashboard:problem:invalid-query' });
    }
  });

  it('/incidents/latest: newest first, 5 by default, up to 100; 400 for a bad limit or no customerId', async () => {
    const db = database();
    db.exec(customerSql('L-1', 'Latest Ltd', 5));
    for (let i = 0; i < 12; i++) await createIncident(db, 'L-1', i);
    db.exec([incidentSql('Latest Ltd', 99), incidentSql('Someone Else', 1)].join('\n'));
    const get = dataApps(db);
    const mine = incidentRows(db)
      .filter((i) => i.customerId === 'L-1')
      .sort((a, b) => byCodePoint(b.createdAt, a.createdAt) || byCodePoint(b.id, a.id))
      .map((i) => i.id);
    expect(mine).toHaveLength(13);
    const ids = async (query: string) => {
      const response = await get('incidents', `/incidents/latest${query}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as Array<{ id: string }>).map((i) => i.id);
    };
    expect(await ids('?customerId=L-1')).toEqual(mine.slice(0, 5));
    expect(await ids('?customerId=l-1&limit=7')).toEqual(mine.slice(0, 7));
    expect(await ids('?limit=100&customerId=L-1')).toEqual(mine);
    expect(await ids('?customerId=L-1&limit=1')).toEqual(mine.slice(0, 1));
    expect(await ids('?customerId=nobody')).toEqual([]);
    const [first] = (await (await get('incidents', '/incidents/latest?customerId=L-1&limit=1')).json()) as unknown[];
    expect(first).toEqual(await (await get('incidents', `/incidents/items/${mine[0]}`)).json());
    for (const query of [
      '?customerId=L-1&limit=0',
      '?customerId=L-1&limit=101',
      '?customerId=L-1&limit=abc',
      '?customerId=L-1&limit=',
      '?limit=5',
      '',
      '?customerId=L-1&other=1',
    ]) {
      const response = await get('incidents', `/incidents/latest${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      await readProblem(response);
    }
    expect((await get('incidents', `/incidents/latest?customerId=${'z'.repeat(201)}`)).status).toBe(400);
  });

  it('/incidents/totals: every name once, in code-point order, paged with Link, volumeMicros exact', async () => {
    const db = mixedDatabase();
    db.exec(
      [
        incidentSql('Tiny', 0.0000005),
        incidentSql('Tiny', 0.0000005),
        incidentSql('Tiny', -0.0000005),
        incidentSql('Huge', 4_500_000_000.123456),
        incidentSql('Huge', 4_500_000_000.123456),
      ].join('\n'),
    );
    const get = dataApps(db);
    const expected = [...nameTotals(incidentRows(db)).values()]
      .sort((a, b) => byCodePoint(a.name, b.name))
      .map((t) => ({ customerName: t.name, numberOfIncidents: t.count, volumeMicros: Number(t.micros) }));
    const items: unknown[] = [];
    let pages = 0;
    for (let next: string | null = '/incidents/totals?limit=7'; next !== null; pages++) {
      const response = await get('incidents', next);
      expect(response.status).toBe(200);
      expect(response.headers.get('data-version')).toMatch(/^[0-9]+$/);
      const page = (await response.json()) as unknown[];
      expect(page.length).toBeLessThanOrEqual(7);
      items.push(...page);
      const link = response.headers.get('link');
      next =
        link === null
          ? null
          : (/^<(\/incidents\/totals\?limit=7&after=[^>]+)>; rel="next"$/.exec(link)?.[1] ?? 'malformed');
    }
    expect(pages).toBe(Math.ceil(expected.length / 7));
    expect(items).toEqual(expected);
    // Half a micro-unit each, rounded away from zero: 1 + 1 - 1.
    expect(expected.find((t) => t.customerName === 'Tiny')).toEqual({
      customerName: 'Tiny',
      numberOfIncidents: 3,
      volumeMicros: 1,
    });
    expect(expected.find((t) => t.customerName === 'Huge')?.volumeMicros).toBe(9_000_000_000_246_912);
    // One page holds them all by default (up to 1000).
    expect(await (await get('incidents', '/incidents/totals')).json()).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------------------

/**
 * `/incidents/standing` takes the name exactly as stored (not normalised, any length a name can have), because
 * the overview passes on the name it read and incidents are grouped by the stored name.
 */
describe('the overview of a customer whose name is not what the API would write', () => {
  it('counts the incidents under a name stored in NFD (plain SQL), not those of its NFC twin', async () => {
    const db = database();
    db.exec([customerSql('nfd', 'Cafe\u0301 Co', 1), customerSql('nfc', 'Caf\u00e9 Co', 2)].join('\n'));
    db.exec(
      [incidentSql('Cafe\u0301 Co', 1), incidentSql('Cafe\u0301 Co', 2), incidentSql('Caf\u00e9 Co', 100)].join('\n'),
    );
    await expectAnswer(await aggregates(db)(overviewPath('nfd')), await expectedOverview(db, 'nfd'));
  });

  it('answers a complete overview for a customer whose API-written name is 150 emoji (150 characters, 300 UTF-16 units)', async () => {
    const db = database();
    const created = await dataApps(db)('customers', '/customers/items', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '😀'.repeat(150), scoring: 5 }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await createIncident(db, id, 3);
    await expectAnswer(await aggregates(db)(overviewPath(id)), await expectedOverview(db, id));
  });

  it('answers a complete overview for a customer named "" or with a name over 200 characters (plain SQL)', async () => {
    const db = database();
    db.exec([customerSql('empty', '', 1), customerSql('long', 'L'.repeat(250), 2)].join('\n'));
    db.exec([incidentSql('', 5), incidentSql('L'.repeat(250), 7)].join('\n'));
    const call = aggregates(db);
    for (const id of ['empty', 'long'])
      await expectAnswer(await call(overviewPath(id)), await expectedOverview(db, id), id);
  });
});
