import { afterEach, describe, expect, it } from 'vitest';
import { createCustomersApp } from '../customers-service/src/app';
import { createIncidentsApp } from '../incidents-service/src/app';
import type { Database, Row, SqlParam } from '../common/src/sql';
import { countRows } from './support/count';
import { QUIET } from './support/in-process-app';
import { createTestDatabase, migrationsSql, type TestDatabase } from './support/sqlite';

const opened: TestDatabase[] = [];
const database = (options?: { migrate: boolean }) => {
  const db = createTestDatabase(options);
  opened.push(db);
  return db;
};
afterEach(() => opened.splice(0).forEach((db) => db.close()));

const schema = (db: TestDatabase) => db.database.query("SELECT type, name, sql FROM sqlite_master ORDER BY name");
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
    expect(await customer.json()).toEqual({ id: 'AB-1', name: 'Upstream Co', country: 'Switzerland', scoring: 6, city: 'Bern' });
    const incident = await incidents.fetch(new Request('http://x/incidents/items/in-1'));
    expect(await incident.json()).toEqual({ id: 'IN-1', amount: 6189, customerName: 'Upstream Co', category: 'B' });
  });

  it('has an index for every query the services run: no full-table scan, no sort', async () => {
    const db = database();
    const statements = new Map<string, readonly SqlParam[]>();
    const recording: Database = {
      query(sql: string, params: readonly SqlParam[] = []): Row[] {
        statements.set(sql, params);
        return db.database.query(sql, params);
      },
    };
    const customers = createCustomersApp({ openDatabase: () => recording, ...QUIET });
    const incidents = createIncidentsApp({ openDatabase: () => recording, ...QUIET });
    // Second pages too (`after`), which read by keyset.
    const after = (cursor: string[]) => encodeURIComponent(JSON.stringify(cursor));
    for (const path of ['/customers/items', `/customers/items?limit=2&after=${after(['M', 'x'])}`, '/customers/items/x', '/customers/count', '/customers/top/5']) {
      expect((await customers.fetch(new Request(`http://x${path}`))).status).toBeLessThan(500);
    }
    for (const path of ['/incidents/items', `/incidents/items?after=${after(['M'])}`, '/incidents/items/x', '/incidents/grouped-by-customer', `/incidents/grouped-by-customer?after=${after(['M', 'x'])}`, '/incidents/top/by-count/5', '/incidents/top/by-volume/5']) {
      expect((await incidents.fetch(new Request(`http://x${path}`))).status).toBeLessThan(500);
    }
    expect(statements.size).toBe(12);
    for (const [sql, params] of statements) {
      const plan = db.database.query(`EXPLAIN QUERY PLAN ${sql}`, params).map((row) => String(row.detail));
      const unindexed = plan.filter((step) => /TEMP B-TREE|^SCAN (Customers|Incidents)$/.test(step));
      expect({ sql, unindexed }).toEqual({ sql, unindexed: [] });
    }
  });
});
