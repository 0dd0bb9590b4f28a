/** The customers and incidents contracts, run against the real Wasm components on the local runtime. */
import { describe } from 'vitest';
import { customersContract } from '../contract/customers.contract';
import { incidentsContract } from '../contract/incidents.contract';
import { countRows } from '../support/count';
import { useApp } from './app-runtime';

const app = useApp();

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
