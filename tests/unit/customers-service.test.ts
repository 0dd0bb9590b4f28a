import { afterAll, describe, expect, it } from 'vitest';
import { createCustomersApp } from '../../customers-service/src/app';
import { customersContract } from '../contract/customers.contract';
import { RESET_SQL, TEST_API_TOKEN, type ServiceTarget } from '../contract/target';
import { countRows } from '../support/count';
import { QUIET } from '../support/in-process-app';
import { createTestDatabase } from '../support/sqlite';

describe('customers-service, in-process app on a SQLite file', () => {
  const db = createTestDatabase();
  const logged: string[] = [];
  const app = createCustomersApp({
    openDatabase: () => db.database,
    apiToken: () => TEST_API_TOKEN,
    accessLog: () => {},
    log: (line) => logged.push(line),
  });
  const target: ServiceTarget = {
    fetch: (path, init) => app.fetch(new Request(`http://customers-service.spin.internal${path}`, init)),
    sql: (statements) => db.exec(statements),
  };
  afterAll(() => db.close());

  customersContract(
    () => target,
    () => countRows(db, 'Customers'),
  );

  it('logs the cause of a 500 that it hides from the client', async () => {
    db.exec(`${RESET_SQL()} ALTER TABLE Customers RENAME COLUMN Name TO FullName;`);
    logged.length = 0;
    const response = await target.fetch('/customers/items');
    expect(response.status).toBe(500);
    expect(logged.join('\n')).toMatch(/no such column: Name/);
  });

  it('opens the database only for routes that read data', async () => {
    let opened = 0;
    const lazy = createCustomersApp({ openDatabase: () => (opened++, db.database), ...QUIET });
    await lazy.fetch(new Request('http://customers-service.spin.internal/customers/nope'));
    await lazy.fetch(new Request('http://customers-service.spin.internal/customers/top/0'));
    await lazy.fetch(new Request('http://customers-service.spin.internal/customers/count', { method: 'POST' }));
    expect(opened).toBe(0);
  });
});
