/**
 * Creates the schema from migrations.sql on first use, for databases nobody ran `--sqlite` on (SpinKube,
 * where there is no `spin up`, or a fresh libSQL database). The happy path costs nothing: a query runs as
 * usual, and only when it fails with "no such table" are the migrations applied, once, and the query retried.
 *
 * Safe with many replicas starting at once: the migrations run in one `BEGIN IMMEDIATE` transaction where the
 * backend allows it (the others wait for it, then find nothing to do), and every statement is idempotent
 * where it does not.
 */
import { splitStatements } from './sql-statements';
import type { Database } from './sql';

const isMissingTable = (error: unknown): boolean =>
  /no such table/i.test(
    error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : (JSON.stringify(error) ?? ''),
  );

function applyMigrations(db: Database, statements: string[]): void {
  let transaction = false;
  try {
    db.query('BEGIN IMMEDIATE');
    transaction = true;
  } catch {
    // No transaction on this backend: the statements are idempotent on their own.
  }
  try {
    for (const statement of statements) db.query(statement);
    if (transaction) db.query('COMMIT');
  } catch (error) {
    if (transaction) {
      try {
        db.query('ROLLBACK');
      } catch {
        // The failed statement may have ended the transaction already.
      }
    }
    throw error;
  }
}

/** Wraps `open` so that the database it returns bootstraps its own schema when a table is missing. */
export function withSchemaBootstrap(
  open: () => Database,
  migrations: string,
  log: (line: string) => void = console.error,
): () => Database {
  return () => {
    const db = open();
    let bootstrapped = false;
    return {
      query(sql, params) {
        try {
          return db.query(sql, params);
        } catch (error) {
          if (bootstrapped || !isMissingTable(error)) throw error;
          bootstrapped = true;
          log('schema: a table is missing; applying migrations.sql');
          applyMigrations(db, splitStatements(migrations));
          return db.query(sql, params);
        }
      },
    };
  };
}
