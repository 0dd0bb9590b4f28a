import { afterEach, describe, expect, it } from 'vitest';
import type { Fetch } from '../../aggregates-service/src/downstream';
import { readProblem } from '../contract/target';
import { inProcessAggregates } from '../support/in-process-app';
import { randomDataSql } from '../support/random-data';
import { referenceDashboard } from '../support/reference-dashboard';
import { createTestDatabase, sqlText, type TestDatabase } from '../support/sqlite';

const opened: TestDatabase[] = [];
/** A database with the schema; `seeded` keeps the sample rows of migrations.sql. */
function database({ seeded = false } = {}): TestDatabase {
  const db = createTestDatabase();
  if (!seeded) db.exec('DELETE FROM Customers; DELETE FROM Incidents;');
  opened.push(db);
  return db;
}
afterEach(() => opened.splice(0).forEach((db) => db.close()));

const customer = (name: string, scoring: number, id = name) =>
  `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(id)}, ${sqlText(name)}, 'City', 'Country', ${scoring});`;
let incidentId = 0;
const incident = (customerName: string, amount: number) =>
  `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('inc-${++incidentId}', ${amount}, ${sqlText(customerName)}, 'A');`;

async function dashboardTextOf(db: TestDatabase, variables: Record<string, string>): Promise<string> {
  const response = await inProcessAggregates(db, { variables })();
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  return response.text();
}

describe.each(['pushdown', 'naive'])(
  'GET /aggregates/dashboard with the %s strategy (in-process, real SQLite behind the data apps)',
  (strategy) => {
    const dashboardText = (db: TestDatabase, variables: Record<string, string> = {}) =>
      dashboardTextOf(db, { dashboard_strategy: strategy, ...variables });

    it('matches the independently computed dashboard for the sample data, byte for byte', async () => {
      const db = database({ seeded: true });
      const text = await dashboardText(db);
      expect(text).toBe(referenceDashboard(db));
      expect(JSON.parse(text)).toMatchObject({ customerCount: 40 });
      // Same data, same bytes.
      expect(await dashboardText(db)).toBe(text);
    });

    it('has exactly the four members, in order, with five entries per list by default', async () => {
      const body = JSON.parse(await dashboardText(database({ seeded: true }))) as Record<string, unknown[]>;
      expect(Object.keys(body)).toEqual([
        'customerCount',
        'topCustomers',
        'customersWithMostIncidents',
        'customersWithHighestIncidentVolume',
      ]);
      expect(Object.keys(body.topCustomers?.[0] ?? {})).toEqual(['customerId', 'customerName', 'scoring']);
      expect(body.topCustomers?.[0]).toEqual({
        customerId: expect.any(String),
        customerName: expect.any(String),
        scoring: expect.any(Number),
      });
      expect(body.customersWithMostIncidents?.[0]).toEqual({
        customerName: expect.any(String),
        numberOfIncidents: expect.any(Number),
      });
      expect(body.customersWithHighestIncidentVolume?.[0]).toEqual({
        customerName: expect.any(String),
        incidentVolume: expect.any(Number),
      });
      for (const list of ['topCustomers', 'customersWithMostIncidents', 'customersWithHighestIncidentVolume'])
        expect(body[list]).toHaveLength(5);
    });

    it('breaks ties at the top-N boundary by name in code-point order, in every list', async () => {
      const db = database();
      // Seven customers tie on scoring 5; code-point order: "B" < "a" < "É" < "Ａ" (U+FF21) < "😀" (U+1F600).
      const names = ['😀 Smile', 'Ａ Wide', 'É Accent', 'a lower', 'B upper', 'C upper', 'b lower'];
      db.exec(names.map((n) => customer(n, 5)).join('\n'));
      // Each name gets two incidents of 10.00, so counts and volumes tie too.
      db.exec(names.flatMap((n) => [incident(n, 4.5), incident(n, 5.5)]).join('\n'));
      // Six entries, so the boundary falls between "Ａ" and "😀", which UTF-16 order (JavaScript's `<`) would swap.
      const body = JSON.parse(await dashboardText(db, { top_n: '6' }));
      const expected = ['B upper', 'C upper', 'a lower', 'b lower', 'É Accent', 'Ａ Wide'];
      expect(body.topCustomers.map((c: { customerName: string }) => c.customerName)).toEqual(expected);
      expect(body.customersWithMostIncidents).toEqual(
        expected.map((customerName) => ({ customerName, numberOfIncidents: 2 })),
      );
      expect(body.customersWithHighestIncidentVolume).toEqual(
        expected.map((customerName) => ({ customerName, incidentVolume: 10 })),
      );
      expect(JSON.stringify(body)).toBe(referenceDashboard(db, 6));
    });

    it('answers an empty database with a zero count and empty lists', async () => {
      expect(JSON.parse(await dashboardText(database()))).toEqual({
        customerCount: 0,
        topCustomers: [],
        customersWithMostIncidents: [],
        customersWithHighestIncidentVolume: [],
      });
    });

    it('counts hundreds of incidents of one customer exactly, and incidents of names without a customer row', async () => {
      const db = database();
      db.exec([customer('Busy Ltd', 3), ...Array.from({ length: 300 }, () => incident('Busy Ltd', 1.01))].join('\n'));
      db.exec([incident('Ghost Corp', 999.99), incident('Ghost Corp', 0.02)].join('\n'));
      const body = JSON.parse(await dashboardText(db));
      expect(body.customerCount).toBe(1);
      expect(body.customersWithMostIncidents).toEqual([
        { customerName: 'Busy Ltd', numberOfIncidents: 300 },
        { customerName: 'Ghost Corp', numberOfIncidents: 2 },
      ]);
      expect(body.customersWithHighestIncidentVolume).toEqual([
        { customerName: 'Ghost Corp', incidentVolume: 1000.01 },
        { customerName: 'Busy Ltd', incidentVolume: 303 },
      ]);
    });

    it('sums volumes exactly and rounds once to cents, half away from zero', async () => {
      const db = database();
      db.exec(Array.from({ length: 10 }, () => incident('Tenths', 0.1)).join('\n'));
      db.exec(
        [
          incident('Half', 0.005),
          incident('Half', 1),
          incident('NegHalf', -0.005),
          incident('Third', 0.333333),
          incident('Third', 0.333333),
          incident('Third', 0.333334),
        ].join('\n'),
      );
      const body = JSON.parse(await dashboardText(db));
      expect(body.customersWithHighestIncidentVolume).toEqual([
        { customerName: 'Half', incidentVolume: 1.01 },
        { customerName: 'Tenths', incidentVolume: 1 },
        { customerName: 'Third', incidentVolume: 1 },
        { customerName: 'NegHalf', incidentVolume: -0.01 },
      ]);
      expect(JSON.stringify(body)).toBe(referenceDashboard(db));
    });

    it('matches the independent computation on random data with many ties (30 seeds)', async () => {
      for (let seed = 1; seed <= 30; seed++) {
        const db = database();
        const data = randomDataSql(seed, seed % 7 === 0 ? 0 : 25, seed * 7);
        db.exec(`${data.customers}\n${data.incidents}`);
        const topN = 1 + (seed % 8);
        expect({ seed, text: await dashboardText(db, { top_n: String(topN) }) }).toEqual({
          seed,
          text: referenceDashboard(db, topN),
        });
      }
    });

    it('sizes every list by the top_n variable', async () => {
      const db = database({ seeded: true });
      const text = await dashboardText(db, { top_n: '3' });
      expect(text).toBe(referenceDashboard(db, 3));
      expect(JSON.parse(text).topCustomers).toHaveLength(3);
    });

    it('answers 500 without internals for an unusable variable, and logs why', async () => {
      const logged: string[] = [];
      const response = await inProcessAggregates(database(), {
        variables: { top_n: 'lots' },
        log: (l) => logged.push(l),
      })();
      expect(response.status).toBe(500);
      expect((await readProblem(response)).detail).not.toContain('top_n');
      expect(logged.join('\n')).toContain('variable top_n must be a whole number from 1 to 100; got "lots"');
    });

    it('calls the base URLs from the variables, all calls concurrently', async () => {
      const db = database({ seeded: true });
      const seen: string[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const wrapFetch =
        (inner: Fetch): Fetch =>
        async (url, init) => {
          seen.push(url);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 20));
          try {
            return await inner(
              url.replace('http://customers.elsewhere:8080', 'http://customers-service.spin.internal'),
              init,
            );
          } finally {
            inFlight--;
          }
        };
      const variables = { customers_service_url: 'http://customers.elsewhere:8080/', dashboard_strategy: strategy };
      expect((await inProcessAggregates(db, { variables, wrapFetch })()).status).toBe(200);
      const incidentCalls =
        strategy === 'naive'
          ? ['http://incidents-service.spin.internal/incidents/grouped-by-customer?limit=2000']
          : ['http://incidents-service.spin.internal/incidents/rankings/5'];
      expect([...seen].sort()).toEqual(['http://customers.elsewhere:8080/customers/count-and-top/5', ...incidentCalls]);
      expect(maxInFlight).toBe(seen.length);
    });
  },
);

describe('the naive and pushdown strategies', () => {
  it('give byte-identical dashboards on random data, after random deletes, updates and replaces too (20 seeds)', async () => {
    for (let seed = 100; seed < 120; seed++) {
      const db = database();
      const data = randomDataSql(seed, 20, 40 + seed);
      db.exec(`${data.customers}\n${data.incidents}`);
      const both = async () => {
        const [naive, pushdown] = await Promise.all([
          dashboardTextOf(db, { dashboard_strategy: 'naive', top_n: '7' }),
          dashboardTextOf(db, { dashboard_strategy: 'pushdown', top_n: '7' }),
        ]);
        expect({ seed, pushdown }).toEqual({ seed, pushdown: naive });
        expect(naive).toBe(referenceDashboard(db, 7));
      };
      await both();
      db.exec(`
        DELETE FROM Incidents WHERE rowid % 3 = ${seed % 3};
        UPDATE Incidents SET Amount = Amount * -1.5 WHERE rowid % 5 = 0;
        UPDATE Incidents SET CustomerName = 'Moved ' || (rowid % 2) WHERE rowid % 7 = 0;
        INSERT OR REPLACE INTO Incidents (Id, Amount, CustomerName, Category) SELECT Id, 0.005, 'Replaced', 'R' FROM Incidents WHERE rowid % 4 = 1;`);
      await both();
      db.exec('DELETE FROM Incidents;');
      await both();
    }
  });

  it('is chosen per request by ?strategy=, and an unknown one is a 400', async () => {
    const db = database({ seeded: true });
    const seen: string[] = [];
    const call = inProcessAggregates(db, { wrapFetch: (inner) => (url, init) => (seen.push(url), inner(url, init)) });
    expect((await call('/aggregates/dashboard?strategy=naive')).status).toBe(200);
    expect(seen).toContain('http://incidents-service.spin.internal/incidents/grouped-by-customer?limit=2000');
    const bad = await call('/aggregates/dashboard?strategy=fast');
    expect(bad.status).toBe(400);
    expect(await readProblem(bad)).toMatchObject({
      type: 'urn:aggregates-dashboard:problem:invalid-query',
      detail: expect.stringContaining('pushdown, naive'),
    });
  });
});

describe('other requests to the aggregates component', () => {
  it('answers a wrong method with 405 and Allow, an unknown path with 404', async () => {
    const call = inProcessAggregates(database());
    const post = await call('/aggregates/dashboard', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const unknown = await call('/aggregates/nothing-here');
    expect(unknown.status).toBe(404);
    expect(await readProblem(unknown)).toMatchObject({ status: 404, instance: '/aggregates/nothing-here' });
  });
});
