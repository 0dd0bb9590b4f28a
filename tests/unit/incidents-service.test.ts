import { afterAll, describe } from 'vitest';
import { createIncidentsApp } from '../../incidents-service/src/app';
import { incidentsContract } from '../contract/incidents.contract';
import { TEST_API_TOKEN, type ServiceTarget } from '../contract/target';
import { countRows } from '../support/count';
import { QUIET } from '../support/in-process-app';
import { createTestDatabase } from '../support/sqlite';

describe('incidents-service, in-process app on a SQLite file', () => {
  const db = createTestDatabase();
  const app = createIncidentsApp({ openDatabase: () => db.database, apiToken: () => TEST_API_TOKEN, ...QUIET });
  const target: ServiceTarget = {
    fetch: (path, init) => app.fetch(new Request(`http://incidents-service.spin.internal${path}`, init)),
    sql: (statements) => db.exec(statements),
  };
  afterAll(() => db.close());

  incidentsContract(
    () => target,
    () => countRows(db, 'Incidents'),
  );
});
