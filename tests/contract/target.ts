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

/** Empties the database and recreates the schema from migrations.sql, without the sample rows. */
export const RESET_SQL = (): string =>
  [
    'DROP TABLE IF EXISTS Customers;',
    'DROP TABLE IF EXISTS Incidents;',
    'DROP TABLE IF EXISTS AppMigrations;',
    migrationsSql(),
    'DELETE FROM Customers;',
    'DELETE FROM Incidents;',
  ].join('\n');

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
    throw new Error(`expected application/problem+json, got ${contentType} (status ${response.status}): ${await response.text()}`);
  }
  return (await response.json()) as ProblemBody;
}

/** GETs `path` and every page its `Link: rel="next"` headers lead to; returns the parsed pages in order. */
export async function followPages(target: ServiceTarget, path: string, maxPages = 100): Promise<unknown[]> {
  const pages: unknown[] = [];
  for (let next: string | null = path; next !== null; ) {
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
