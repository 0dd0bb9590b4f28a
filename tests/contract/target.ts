/**
 * What a contract test needs from the thing it tests. The same contract runs against the in-process app on
 * a SQLite file (tests/unit) and against the real Wasm component on the local runtime (tests/e2e).
 */
import { migrationsSql } from '../support/sqlite';

export interface ServiceTarget {
  /** Sends a request for `path` (e.g. `/customers/count`) to the component under test. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Runs plain SQL on the database the component reads, as a user would. */
  sql(statements: string): void;
}

/**
 * The API token the tests configure: in-process apps get `apiToken: () => TEST_API_TOKEN`, the runtime
 * `variables: { api_token: TEST_API_TOKEN }`. Writes send it as `Authorization: Bearer <token>`.
 */
export const TEST_API_TOKEN = 'test-token-8c1e5f0b2a7d4e93';

/** Every table migrations.sql creates (their indexes and triggers go with them). */
export const MIGRATION_TABLES = [
  'Customers',
  'Incidents',
  'AppMigrations',
  'IncidentTotals',
  'IncidentLedger',
  'CustomerMeta',
  'IncidentMeta',
  'CustomerEvents',
  'IncidentEvents',
] as const;

/** The `CREATE TABLE ... AppMigrations` statement exactly as migrations.sql has it. */
function appMigrationsTableSql(migrations: string): string {
  const statement = /CREATE TABLE IF NOT EXISTS AppMigrations \([^;]*\);/.exec(migrations)?.[0];
  if (statement === undefined)
    throw new Error('migrations.sql no longer creates AppMigrations the way RESET_SQL expects');
  return statement;
}

/**
 * Empties the database and recreates the schema from migrations.sql, without the sample rows: every table
 * the migrations create is dropped (an AUTOINCREMENT table's row in sqlite_sequence goes with it, so the
 * event feeds start again at seq 1), then AppMigrations is created with the `sample-data-v1` marker the
 * migrations check before inserting sample data, then migrations.sql runs. No row is inserted and then
 * deleted, so both feeds start empty.
 */
export const RESET_SQL = (): string => {
  const migrations = migrationsSql();
  return [
    ...MIGRATION_TABLES.map((table) => `DROP TABLE IF EXISTS ${table};`),
    appMigrationsTableSql(migrations),
    "INSERT INTO AppMigrations (Name) VALUES ('sample-data-v1');",
    migrations,
  ].join('\n');
};

/** How the components write `createdAt`/`updatedAt`: UTC, RFC 3339 with milliseconds (SQLite's `%Y-%m-%dT%H:%M:%fZ`). */
export const RFC3339_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** Asserts nothing; returns the parsed problem body after checking the media type. */
export async function readProblem(response: Response): Promise<ProblemBody> {
  const contentType = response.headers.get('content-type');
  if (contentType !== 'application/problem+json') {
    throw new Error(
      `expected application/problem+json, got ${contentType} (status ${response.status}): ${await response.text()}`,
    );
  }
  return (await response.json()) as ProblemBody;
}

/** GETs `path` and every page its `Link: rel="next"` headers lead to; returns the parsed pages in order. */
export async function followPages(target: ServiceTarget, path: string, maxPages = 100): Promise<unknown[]> {
  const pages: unknown[] = [];
  for (let next: string | null = path; next !== null;) {
    if (pages.length === maxPages) throw new Error(`more than ${maxPages} pages from ${path}`);
    const response = await target.fetch(next);
    if (response.status !== 200) throw new Error(`${next} answered ${response.status}: ${await response.text()}`);
    pages.push(await response.json());
    const link = response.headers.get('link');
    next = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null);
    if (link !== null && next === null) throw new Error(`unexpected Link header ${link}`);
  }
  return pages;
}
