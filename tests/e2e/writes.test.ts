/**
 * The write contract against the real Wasm components on the local runtime: once with the API token set
 * (`--variable api_token=...`), once without it, where every write is refused.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { TEST_API_TOKEN } from '../contract/target';
import { writesContract, writesDisabledContract, type WriteTarget } from '../contract/writes.contract';
import { writeRulesContract } from '../contract/write-rules.contract';
import { startApp, type AppRuntime } from './app-runtime';

const writeTarget = (app: AppRuntime): WriteTarget => ({ ...app.target, query: (sql) => app.db.database.query(sql) });

describe('writes, real Wasm on the local runtime', () => {
  let app: AppRuntime;
  beforeAll(async () => {
    app = await startApp({ variables: { api_token: TEST_API_TOKEN } });
  });
  afterAll(async () => {
    await app.stop();
  });

  writesContract(() => writeTarget(app));
  describe('write rules on exact input (number texts, query parameters)', () => {
    writeRulesContract(() => writeTarget(app));
  });
});

describe('writes without api_token, real Wasm on the local runtime', () => {
  let app: AppRuntime;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  writesDisabledContract(() => writeTarget(app));
});
