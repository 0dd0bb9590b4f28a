/** The customers and incidents contracts, run against the real Wasm components on the local runtime. */
import { afterAll, beforeAll, describe } from 'vitest';
import { customersContract } from '../contract/customers.contract';
import { incidentsContract } from '../contract/incidents.contract';
import { countRows } from '../support/count';
import { startApp, type AppRuntime } from './app-runtime';

let app: AppRuntime;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.stop();
});

describe('customers-service, real Wasm on the local runtime', () => {
  customersContract(
    () => app.target,
    () => countRows(app.db, 'Customers'),
  );
});

describe('incidents-service, real Wasm on the local runtime', () => {
  incidentsContract(
    () => app.target,
    () => countRows(app.db, 'Incidents'),
  );
});
