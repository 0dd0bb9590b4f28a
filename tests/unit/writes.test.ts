/**
 * The write contract on the in-process apps over a real SQLite file, and the query plans of the list filters.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '@aggregates/common/http';
import type { Database, Row, SqlParam } from '@aggregates/common/sql';
import { createCustomersApp } from '../../customers-service/src/app';
import { createIncidentsApp } from '../../incidents-service/src/app';
import { RESET_SQL, TEST_API_TOKEN } from '../contract/target';
import { writesContract, writesDisabledContract, type WriteTarget } from '../contract/writes.contract';
import { writeRulesContract } from '../contract/write-rules.contract';
import { QUIET } from '../support/in-process-app';
import { createTestDatabase, type TestDatabase } from '../support/sqlite';

/** Both data apps behind one fetch, routed by path as spin.toml routes them. */
function inProcessTarget(db: TestDatabase, database: Database, apiToken?: () => string | null): WriteTarget {
  const options = { openDatabase: () => database, ...(apiToken ? { apiToken } : {}), ...QUIET };
  const apps: Record<string, App> = { customers: createCustomersApp(options), incidents: createIncidentsApp(options) };
  return {
    fetch: (path, init) => {
      const component = path.split('/')[1] ?? '';
      const app = apps[component];
      if (!app) throw new Error(`no component serves ${path}`);
      return app.fetch(new Request(`http://${component}-service.spin.internal${path}`, init));
    },
    sql: (statements) => db.exec(statements),
    query: (sql) => db.database.query(sql),
  };
}

const db = createTestDatabase();
afterAll(() => db.close());

describe('writes, in-process apps on a SQLite file', () => {
  const target = inProcessTarget(db, db.database, () => TEST_API_TOKEN);
  writesContract(() => target);
});

describe('write rules on exact input (number texts, query parameters), in-process apps on a SQLite file', () => {
  const target = inProcessTarget(db, db.database, () => TEST_API_TOKEN);
  writeRulesContract(() => target);
});

describe('writes without an API token configured, in-process', () => {
  const target = inProcessTarget(db, db.database);
  writesDisabledContract(() => target);

  it('treats an empty token as none', async () => {
    const empty = inProcessTarget(db, db.database, () => '');
    const response = await empty.fetch('/customers/items', {
      method: 'POST',
      headers: { authorization: 'Bearer ', 'content-type': 'application/json' },
      body: '{"name":"x","scoring":1}',
    });
    expect(response.status).toBe(403);
  });

  it('ignores whitespace around the configured token (a Secret made from a file ends in a newline)', async () => {
    const fromFile = inProcessTarget(db, db.database, () => `${TEST_API_TOKEN}\n`);
    const response = await fromFile.fetch('/customers/items', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
      body: '{"name":"From a file","scoring":1}',
    });
    expect(response.status).toBe(201);
  });
});

describe('query plans of the list filters', () => {
  it('uses an index for every filter, alone and combined, first and later pages: no SCAN of Customers or Incidents without one', async () => {
    db.exec(RESET_SQL());
    const statements = new Map<string, readonly SqlParam[]>();
    const recording: Database = {
      query(sql: string, params: readonly SqlParam[] = []): Row[] {
        statements.set(sql, params);
        return db.database.query(sql, params);
      },
    };
    const target = inProcessTarget(db, recording, () => TEST_API_TOKEN);
    const after = (cursor: string[]) => `after=${encodeURIComponent(JSON.stringify(cursor))}`;
    const since = 'updatedSince=2026-01-01T00:00:00Z';
    const customerQueries = [
      'country=Norway',
      'minScoring=7',
      since,
      'country=Norway&minScoring=7',
      `country=Norway&minScoring=7&${since}`,
      `minScoring=3&${since}`,
      `country=Norway&${since}`,
    ];
    const incidentQueries = [
      'customerName=Acme',
      'customerId=c-1',
      'category=A',
      since,
      'customerName=Acme&category=A',
      `customerId=c-1&category=A&${since}`,
      `customerName=Acme&${since}`,
      `category=A&${since}`,
    ];
    const paths = [
      ...customerQueries.flatMap((q) => [
        `/customers/items?${q}`,
        `/customers/items?${q}&limit=2&${after(['M', 'x'])}`,
      ]),
      ...incidentQueries.flatMap((q) => [`/incidents/items?${q}`, `/incidents/items?${q}&limit=2&${after(['x'])}`]),
    ];
    for (const path of paths)
      expect({ path, status: (await target.fetch(path)).status }).toEqual({ path, status: 200 });
    const filtered = [...statements].filter(([sql]) => /FROM (Customers|Incidents) WHERE/.test(sql));
    expect(filtered.length).toBe(paths.length);
    for (const [sql, params] of filtered) {
      const plan = db.database.query(`EXPLAIN QUERY PLAN ${sql}`, params).map((row) => String(row.detail));
      const unindexed = plan.filter((step) => /^SCAN (Customers|Incidents)$/.test(step));
      expect({ sql, plan, unindexed }).toEqual({ sql, plan, unindexed: [] });
    }
  });
});
