import { describe, expect, it } from 'vitest';
import { splitStatements } from '@aggregates/common/sql-statements';
import { createTestDatabase, migrationsSql } from '../support/sqlite';

describe('splitStatements', () => {
  it('splits on semicolons outside strings, identifiers and comments, keeping the comments', () => {
    expect(splitStatements(`SELECT 'a;b'; -- c; d\nSELECT "x;y" /* ; */ ; SELECT 'it''s; fine'; -- trailing`)).toEqual([
      "SELECT 'a;b'",
      '-- c; d\nSELECT "x;y" /* ; */',
      "SELECT 'it''s; fine'",
    ]);
  });

  it('keeps a trigger body, with its inner semicolons, in one statement', () => {
    const sql = 'CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; DELETE FROM c; END; SELECT 1;';
    expect(splitStatements(sql)).toEqual([
      'CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; DELETE FROM c; END',
      'SELECT 1',
    ]);
  });

  it('splits migrations.sql into statements that, run one by one, build the same database as the whole script', () => {
    const whole = createTestDatabase({ migrate: false });
    const oneByOne = createTestDatabase({ migrate: false });
    whole.exec(migrationsSql());
    const statements = splitStatements(migrationsSql());
    for (const statement of statements) oneByOne.exec(statement);
    const dump = (db: typeof whole) => ({
      schema: db.database.query('SELECT type, name, sql FROM sqlite_master ORDER BY name'),
      customers: db.database.query('SELECT * FROM Customers ORDER BY Id'),
      totals: db.database.query('SELECT * FROM IncidentTotals ORDER BY CustomerName'),
      versions: db.database.query(
        'SELECT Id, Version FROM CustomerMeta UNION ALL SELECT Id, Version FROM IncidentMeta ORDER BY Id',
      ),
      events: db.database.query(
        'SELECT Seq, Type, AggregateId, Version, Diff FROM CustomerEvents UNION ALL SELECT Seq, Type, AggregateId, Version, Diff FROM IncidentEvents ORDER BY Type, Seq',
      ),
    });
    expect(dump(oneByOne)).toEqual(dump(whole));
    // Every trigger the script makes is one whole statement of its own, body and END included.
    const withoutComments = statements.map((s) => s.replace(/^(\s*--[^\n]*\n)+/, '').trimStart());
    const triggerStatements = withoutComments.filter((s) => /^CREATE\s+TRIGGER\b/i.test(s));
    const triggerName = (s: string) => /^CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/i.exec(s)?.[1];
    const made = whole.database
      .query("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
      .map((row) => String(row.name));
    expect(made).not.toEqual([]);
    expect(triggerStatements.map(triggerName).sort()).toEqual(made);
    for (const statement of triggerStatements)
      expect({ statement, end: /\bEND$/i.test(statement.trimEnd()) }).toEqual({ statement, end: true });
    whole.close();
    oneByOne.close();
  });
});
