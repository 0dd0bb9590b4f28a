import { afterEach, describe, expect, it } from 'vitest';
import { withSchemaBootstrap } from '@aggregates/common/schema-bootstrap';
import { createCustomersApp } from '../../customers-service/src/app';
import { createIncidentsApp } from '../../incidents-service/src/app';
import { QUIET } from '../support/in-process-app';
import { createTestDatabase, migrationsSql, type TestDatabase } from '../support/sqlite';

const opened: TestDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));
function empty(): TestDatabase {
  const db = createTestDatabase({ migrate: false });
  opened.push(db);
  return db;
}

describe('schema bootstrap on first use (no --sqlite, as on SpinKube)', () => {
  it('creates the schema and sample data when a table is missing, then answers the request', async () => {
    const db = empty();
    const logged: string[] = [];
    const app = createCustomersApp({
      openDatabase: withSchemaBootstrap(
        () => db.database,
        migrationsSql(),
        (l) => logged.push(l),
      ),
      ...QUIET,
    });
    const response = await app.fetch(new Request('http://x/customers/count'));
    expect(await response.json()).toEqual({ count: 40 });
    expect(logged).toEqual(['schema: a table is missing; applying migrations.sql']);
  });

  it('does nothing on a database that has the schema: no migration runs, user data untouched', async () => {
    const db = createTestDatabase();
    opened.push(db);
    db.exec('DELETE FROM Customers;');
    const logged: string[] = [];
    const app = createCustomersApp({
      openDatabase: withSchemaBootstrap(
        () => db.database,
        migrationsSql(),
        (l) => logged.push(l),
      ),
      ...QUIET,
    });
    expect(await (await app.fetch(new Request('http://x/customers/count'))).json()).toEqual({ count: 0 });
    expect(logged).toEqual([]);
  });

  it('adds the totals to a database that has only the upstream tables, then ranks by them', async () => {
    const db = empty();
    db.exec(`CREATE TABLE Incidents (Id VARCHAR(36) PRIMARY KEY, Amount NUMERIC NOT NULL, CustomerName TEXT NOT NULL, Category INTEGER NOT NULL);
      INSERT INTO Incidents VALUES ('a', 10, 'Old Co', 'A'), ('b', 5.5, 'Old Co', 'B');`);
    const app = createIncidentsApp({
      openDatabase: withSchemaBootstrap(
        () => db.database,
        migrationsSql(),
        () => {},
      ),
      ...QUIET,
    });
    const response = await app.fetch(new Request('http://x/incidents/top/by-volume/1'));
    expect(await response.json()).toEqual([{ customerName: 'Old Co', incidentVolume: 15.5 }]);
  });

  it('rolls back and reports a migration that fails, leaving no half-made schema', async () => {
    const db = empty();
    const app = createCustomersApp({
      openDatabase: withSchemaBootstrap(
        () => db.database,
        `${migrationsSql()}\nSELECT * FROM NoSuchThing;`,
        () => {},
      ),
      ...QUIET,
      log: () => {},
    });
    expect((await app.fetch(new Request('http://x/customers/count'))).status).toBe(500);
    expect(db.database.query("SELECT name FROM sqlite_master WHERE type = 'table'")).toEqual([]);
  });
});
