import { afterEach, describe, expect, it } from 'vitest';
import { createCustomersApp } from '../customers-service/src/app';
import { createIncidentsApp } from '../incidents-service/src/app';
import type { Database, Row, SqlParam } from '@aggregates/common/sql';
import { RFC3339_MILLIS } from './contract/target';
import { countRows } from './support/count';
import { QUIET } from './support/in-process-app';
import { createTestDatabase, migrationsSql, type TestDatabase } from './support/sqlite';
import { readFileSync } from 'node:fs';

const opened: TestDatabase[] = [];
const database = (options?: { migrate: boolean }) => {
  const db = createTestDatabase(options);
  opened.push(db);
  return db;
};
afterEach(() => opened.splice(0).forEach((db) => db.close()));

const schema = (db: TestDatabase) => db.database.query('SELECT type, name, sql FROM sqlite_master ORDER BY name');
const dump = (db: TestDatabase) => ({
  customers: db.database.query('SELECT * FROM Customers ORDER BY Id'),
  incidents: db.database.query('SELECT * FROM Incidents ORDER BY Id'),
});

describe('migrations.sql', () => {
  it('seeds 40 sample customers and 100 incidents into a new database', () => {
    const db = database();
    expect(countRows(db, 'Customers')).toBe(40);
    expect(countRows(db, 'Incidents')).toBe(100);
  });

  it('is idempotent: a second and third run change neither schema nor data', () => {
    const db = database();
    const before = { schema: schema(db), data: dump(db) };
    db.exec(migrationsSql());
    db.exec(migrationsSql());
    expect({ schema: schema(db), data: dump(db) }).toEqual(before);
  });

  it('keeps rows added, changed and deleted by users across re-runs', () => {
    const db = database();
    db.exec(`
      INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('user-1', 'User Ltd', 'Rome', 'Italy', 2);
      INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('user-i', 1.5, 'User Ltd', 'Z');
      UPDATE Customers SET Scoring = 1 WHERE Name = 'Alder Freight';
      DELETE FROM Customers WHERE Name = 'Zephyr Telecom';
      DELETE FROM Incidents WHERE CustomerName = 'Wrenfield Partners';
    `);
    const before = dump(db);
    db.exec(migrationsSql());
    expect(dump(db)).toEqual(before);
    expect(countRows(db, 'Customers')).toBe(40);
  });

  it('does not seed again after a user empties the tables', () => {
    const db = database();
    db.exec('DELETE FROM Customers; DELETE FROM Incidents;');
    db.exec(migrationsSql());
    expect(countRows(db, 'Customers')).toBe(0);
    expect(countRows(db, 'Incidents')).toBe(0);
  });

  it('puts no sample rows into a database that already holds data', () => {
    const db = database({ migrate: false });
    db.exec(`CREATE TABLE Customers (Id TEXT NOT NULL PRIMARY KEY, Name TEXT NOT NULL, City TEXT, Country TEXT, Scoring INTEGER NOT NULL);
      INSERT INTO Customers (Id, Name, Scoring) VALUES ('mine', 'Mine Ltd', 1);`);
    db.exec(migrationsSql());
    db.exec(migrationsSql());
    expect(countRows(db, 'Customers')).toBe(1);
    expect(countRows(db, 'Incidents')).toBe(0);
  });

  it('adopts a database made with the upstream sample schema, keeping its rows, and the services read it', async () => {
    const db = database({ migrate: false });
    db.exec(`
      CREATE TABLE Customers (Id VARCHAR(36) PRIMARY KEY, Name TEXT NOT NULL, City TEXT NOT NULL, Country TEXT NOT NULL, Scoring INTEGER NOT NULL);
      CREATE TABLE Incidents (Id VARCHAR(36) PRIMARY KEY, Amount NUMERIC NOT NULL, CustomerName TEXT NOT NULL, Category INTEGER NOT NULL);
      INSERT INTO Customers VALUES ('AB-1', 'Upstream Co', 'Bern', 'Switzerland', 6);
      INSERT INTO Incidents VALUES ('IN-1', 6189, 'Upstream Co', 'B');
    `);
    db.exec(migrationsSql());
    expect(db.database.query('SELECT Id FROM Customers')).toEqual([{ Id: 'AB-1' }]);
    const customers = createCustomersApp({ openDatabase: () => db.database, ...QUIET });
    const incidents = createIncidentsApp({ openDatabase: () => db.database, ...QUIET });
    const customer = await customers.fetch(new Request('http://x/customers/items/ab-1'));
    const stamp = expect.stringMatching(RFC3339_MILLIS);
    expect(await customer.json()).toEqual({
      id: 'AB-1',
      name: 'Upstream Co',
      city: 'Bern',
      country: 'Switzerland',
      scoring: 6,
      version: 1,
      createdAt: stamp,
      updatedAt: stamp,
    });
    const incident = await incidents.fetch(new Request('http://x/incidents/items/in-1'));
    // Its customer is the one customer with its name.
    expect(await incident.json()).toEqual({
      id: 'IN-1',
      amount: 6189,
      customerName: 'Upstream Co',
      category: 'B',
      customerId: 'AB-1',
      version: 1,
      createdAt: stamp,
      updatedAt: stamp,
    });
  });

  it('adopts an upstream-schema database holding a row without an id, and answers its NOT NULL columns with a 422', async () => {
    const db = database({ migrate: false });
    db.exec(`
      CREATE TABLE Customers (Id VARCHAR(36) PRIMARY KEY, Name TEXT NOT NULL, City TEXT NOT NULL, Country TEXT NOT NULL, Scoring INTEGER NOT NULL);
      CREATE TABLE Incidents (Id VARCHAR(36) PRIMARY KEY, Amount NUMERIC NOT NULL, CustomerName TEXT NOT NULL, Category INTEGER NOT NULL);
      INSERT INTO Customers VALUES (NULL, 'No Id Co', 'Bern', 'Switzerland', 6);
    `);
    db.exec(migrationsSql());
    db.exec(migrationsSql());
    // A row without an id is no aggregate (it has no version and no event) but stays, and plain SQL still adds one.
    db.exec("INSERT INTO Customers VALUES (NULL, 'No Id Either', 'Oslo', 'Norway', 2)");
    expect(countRows(db, 'Customers')).toBe(2);
    expect(countRows(db, 'CustomerEvents')).toBe(0);
    const token = 'migration-token';
    const customers = createCustomersApp({ openDatabase: () => db.database, apiToken: () => token, ...QUIET });
    const response = await customers.fetch(
      new Request('http://x/customers/items', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"name":"Acme","scoring":7}',
      }),
    );
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { errors: unknown };
    expect(problem.errors).toEqual([{ field: 'city', message: expect.stringContaining('NOT NULL') }]);
    expect(countRows(db, 'Customers')).toBe(2);
    expect(countRows(db, 'CustomerEvents')).toBe(0);
  });

  it('has an index for every query the services run: no full-table scan, no sort', async () => {
    const db = database();
    const statements = new Map<string, readonly SqlParam[]>();
    let ranByRequest = 0;
    const recording: Database = {
      query(sql: string, params: readonly SqlParam[] = []): Row[] {
        statements.set(sql, params);
        ranByRequest += 1;
        return db.database.query(sql, params);
      },
    };
    /** Each request must reach the database, or its queries would go unchecked (a route renamed, a 404 before any read). */
    const read = async (app: { fetch(request: Request): Promise<Response> }, path: string) => {
      ranByRequest = 0;
      const status = (await app.fetch(new Request(`http://x${path}`))).status;
      expect({ path, status: status < 500, queried: ranByRequest > 0 }).toEqual({ path, status: true, queried: true });
    };
    const customers = createCustomersApp({ openDatabase: () => recording, ...QUIET });
    const incidents = createIncidentsApp({ openDatabase: () => recording, ...QUIET });
    // Second pages too (`after`), which read by keyset.
    const after = (cursor: string[]) => encodeURIComponent(JSON.stringify(cursor));
    for (const path of [
      '/customers/items',
      `/customers/items?limit=2&after=${after(['M', 'x'])}`,
      '/customers/items/x',
      '/customers/count',
      '/customers/top/5',
      '/customers/events?after=3',
      '/customers/events/last',
    ]) {
      await read(customers, path);
    }
    for (const path of [
      '/incidents/items',
      `/incidents/items?after=${after(['M'])}`,
      '/incidents/items/x',
      '/incidents/grouped-by-customer',
      `/incidents/grouped-by-customer?after=${after(['M', 'x'])}`,
      '/incidents/top/by-count/5',
      '/incidents/top/by-volume/5',
      '/incidents/events?after=3',
      '/incidents/events/last',
    ]) {
      await read(incidents, path);
    }
    // The filters' plans are checked in tests/unit/writes.test.ts.
    for (const [sql, params] of statements) {
      const plan = db.database.query(`EXPLAIN QUERY PLAN ${sql}`, params).map((row) => String(row.detail));
      const unindexed = plan.filter((step) => /TEMP B-TREE|^SCAN (Customers|Incidents)$/.test(step));
      expect({ sql, unindexed }).toEqual({ sql, unindexed: [] });
    }
  });
});

/** migrations.sql as it was before the write side (see the fixture's first line). */
const migrationsBeforeAggregatesSql = () =>
  readFileSync(new URL('./fixtures/migrations-before-aggregates.sql', import.meta.url), 'utf8');

/** Every table's rows, sqlite_sequence included: the whole state of a database. */
const dumpAll = (db: TestDatabase) =>
  Object.fromEntries(
    db.database
      .query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .map((row) => String(row.name))
      .map((table) => [table, db.database.query(`SELECT * FROM "${table}" ORDER BY 1, 2`)]),
  );

describe('upgrading a database made before the write side', () => {
  /** A database of the previous version: its sample data, plus rows users added, changed and deleted with plain SQL. */
  const previousVersion = () => {
    const db = database({ migrate: false });
    db.exec(migrationsBeforeAggregatesSql());
    expect(db.database.query("SELECT name FROM sqlite_master WHERE name LIKE '%Meta' OR name LIKE '%Events'")).toEqual(
      [],
    );
    db.exec(`
      INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('up-c-1', 'Upgrade Solo', NULL, NULL, 3);
      INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('up-c-2', 'Upgrade Twin', 'Oslo', 'Norway', 4);
      INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('up-c-3', 'Upgrade Twin', 'Graz', 'Austria', 5);
      INSERT INTO Incidents (CustomerName, Amount, Id) VALUES ('Upgrade Solo', 12, 'up-i-1');
      INSERT INTO Incidents (CustomerName, Amount, Id, Category) VALUES ('Upgrade Solo', 0.5, 'up-i-2', 'B');
      INSERT INTO Incidents (CustomerName, Amount, Id) VALUES ('Upgrade Twin', 7.25, 'up-i-3');
      INSERT INTO Incidents (CustomerName, Amount, Id) VALUES ('Nobody Upgraded', 1, 'up-i-4');
      INSERT INTO Incidents (CustomerName, Amount, Id, Category) VALUES ('Alder Freight', 99.99, 'up-i-5', 'A');
      UPDATE Customers SET Scoring = 1 WHERE Name = 'Alder Freight';
      DELETE FROM Incidents WHERE Id = '13FB2DE3-113B-F18D-4042-6B42DE0D7034';
    `);
    return db;
  };

  it('keeps every row as it was, gives each version 1 and exactly one Created event, links incidents by unique name, and adds nothing on a second run', () => {
    const db = previousVersion();
    const before = { ...dump(db), totals: db.database.query('SELECT * FROM IncidentTotals ORDER BY CustomerName') };
    db.exec(migrationsSql());
    const upgraded = dumpAll(db);
    db.exec(migrationsSql());
    expect(dumpAll(db)).toEqual(upgraded);
    expect({ ...dump(db), totals: db.database.query('SELECT * FROM IncidentTotals ORDER BY CustomerName') }).toEqual(
      before,
    );

    const customers = before.customers;
    const incidents = before.incidents;
    expect(customers.length).toBe(43);
    expect(incidents.length).toBe(104);
    const meta = (table: string) =>
      new Map(db.database.query(`SELECT * FROM ${table}`).map((row) => [String(row.Id), row]));
    const customerMeta = meta('CustomerMeta');
    const incidentMeta = meta('IncidentMeta');
    expect([...customerMeta.keys()].sort()).toEqual(customers.map((c) => String(c.Id)).sort());
    expect([...incidentMeta.keys()].sort()).toEqual(incidents.map((i) => String(i.Id)).sort());
    for (const row of [...customerMeta.values(), ...incidentMeta.values()]) {
      expect(row).toMatchObject({ Version: 1n, CreatedAt: expect.stringMatching(RFC3339_MILLIS) });
      expect(row.UpdatedAt).toBe(row.CreatedAt);
    }

    // The customer an incident refers to: the one customer with its name, if exactly one has it.
    const linkOf = (name: unknown) => {
      const named = customers.filter((c) => c.Name === name);
      return named.length === 1 ? String(named[0]?.Id) : null;
    };
    for (const incident of incidents)
      expect({ id: incident.Id, customerId: incidentMeta.get(String(incident.Id))?.CustomerId }).toEqual({
        id: incident.Id,
        customerId: linkOf(incident.CustomerName),
      });
    expect(['up-i-1', 'up-i-2', 'up-i-3', 'up-i-4', 'up-i-5'].map((id) => incidentMeta.get(id)?.CustomerId)).toEqual([
      'up-c-1',
      'up-c-1',
      null,
      null,
      'E194669B-D11A-C3FF-FCFD-4C41B1B927C4',
    ]);
    expect(
      incidents
        .filter((i) => i.CustomerName === 'Wrenfield Partners')
        .map((i) => incidentMeta.get(String(i.Id))?.CustomerId),
    ).toEqual([null, null, null]);

    // One Created event per row, version 1, every field from the row.
    const events = (table: string) =>
      db.database.query(`SELECT Type, AggregateId, Version, Diff FROM ${table} ORDER BY Seq`).map((row) => ({
        Type: row.Type,
        AggregateId: row.AggregateId,
        Version: row.Version,
        Diff: JSON.parse(String(row.Diff)) as unknown,
      }));
    const created = (fields: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, { old: null, new: value }]));
    const customerEvents = events('CustomerEvents');
    expect(customerEvents.length).toBe(customers.length);
    expect(new Set(customerEvents.map((e) => e.AggregateId)).size).toBe(customers.length);
    for (const c of customers) {
      expect(customerEvents.find((e) => e.AggregateId === c.Id)).toEqual({
        Type: 'CustomerCreated',
        AggregateId: c.Id,
        Version: 1n,
        Diff: created({ name: c.Name, city: c.City, country: c.Country, scoring: Number(c.Scoring) }),
      });
    }
    const incidentEvents = events('IncidentEvents');
    expect(incidentEvents.length).toBe(incidents.length);
    expect(new Set(incidentEvents.map((e) => e.AggregateId)).size).toBe(incidents.length);
    for (const i of incidents) {
      expect(incidentEvents.find((e) => e.AggregateId === i.Id)).toEqual({
        Type: 'IncidentCreated',
        AggregateId: i.Id,
        Version: 1n,
        Diff: created({
          amount: Number(i.Amount),
          customerName: i.CustomerName,
          category: i.Category,
          customerId: linkOf(i.CustomerName),
        }),
      });
    }
    expect(db.database.query("SELECT Name FROM AppMigrations WHERE Name = 'aggregates-v1'")).toHaveLength(1);
  });

  it('takes plain-SQL inserts that know nothing of the new tables afterwards: version 1 and one Created event each', () => {
    const db = previousVersion();
    db.exec(migrationsSql());
    db.exec(migrationsSql());
    const seqs = () =>
      db.database.query(
        'SELECT (SELECT MAX(Seq) FROM CustomerEvents) AS c, (SELECT MAX(Seq) FROM IncidentEvents) AS i',
      )[0];
    const before = seqs();
    db.exec(`
      INSERT INTO Customers (Id, Name, Scoring) VALUES ('after-c', 'After Upgrade', 6);
      INSERT INTO Incidents (Id, Amount, CustomerName) VALUES ('after-i', 2.5, 'After Upgrade');
    `);
    expect(seqs()).toEqual({ c: (before?.c as bigint) + 1n, i: (before?.i as bigint) + 1n });
    expect(db.database.query("SELECT Version, CustomerId FROM IncidentMeta WHERE Id = 'after-i'")).toEqual([
      { Version: 1n, CustomerId: 'after-c' },
    ]);
    expect(db.database.query("SELECT Version FROM CustomerMeta WHERE Id = 'after-c'")).toEqual([{ Version: 1n }]);
    expect(
      db.database.query("SELECT Type, AggregateId, Version FROM CustomerEvents WHERE AggregateId = 'after-c'"),
    ).toEqual([{ Type: 'CustomerCreated', AggregateId: 'after-c', Version: 1n }]);
    expect(
      db.database.query("SELECT Type, AggregateId, Version FROM IncidentEvents WHERE AggregateId = 'after-i'"),
    ).toEqual([{ Type: 'IncidentCreated', AggregateId: 'after-i', Version: 1n }]);
  });

  it('is served by the in-process apps: item GETs with their version fields, feeds and filters', async () => {
    const db = previousVersion();
    db.exec(migrationsSql());
    const customers = createCustomersApp({ openDatabase: () => db.database, ...QUIET });
    const incidents = createIncidentsApp({ openDatabase: () => db.database, ...QUIET });
    const get = async (app: typeof customers, path: string) => {
      const response = await app.fetch(new Request(`http://x${path}`));
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      return { etag: response.headers.get('etag'), body: (await response.json()) as unknown };
    };
    const stamp = expect.stringMatching(RFC3339_MILLIS);
    expect(await get(customers, '/customers/items/up-c-2')).toEqual({
      etag: '"1"',
      body: {
        id: 'up-c-2',
        name: 'Upgrade Twin',
        city: 'Oslo',
        country: 'Norway',
        scoring: 4,
        version: 1,
        createdAt: stamp,
        updatedAt: stamp,
      },
    });
    expect(await get(customers, '/customers/items/e194669b-d11a-c3ff-fcfd-4c41b1b927c4')).toMatchObject({
      etag: '"1"',
      body: { name: 'Alder Freight', scoring: 1, version: 1 },
    });
    expect(await get(incidents, '/incidents/items/up-i-2')).toEqual({
      etag: '"1"',
      body: {
        id: 'up-i-2',
        amount: 0.5,
        customerName: 'Upgrade Solo',
        category: 'B',
        customerId: 'up-c-1',
        version: 1,
        createdAt: stamp,
        updatedAt: stamp,
      },
    });
    expect((await get(incidents, '/incidents/items/up-i-3')).body).toMatchObject({
      customerName: 'Upgrade Twin',
      customerId: null,
      version: 1,
    });
    expect((await get(customers, '/customers/events/last')).body).toEqual({ seq: 43 });
    expect((await get(incidents, '/incidents/events/last')).body).toEqual({ seq: 104 });
    expect(
      ((await get(incidents, '/incidents/items?customerId=up-c-1')).body as Array<{ id: string }>).map((i) => i.id),
    ).toEqual(['up-i-1', 'up-i-2']);
  });
});
