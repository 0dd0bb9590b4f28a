import { describe, expect, it } from 'vitest';
import { keyset } from '@aggregates/common/keyset';
import { createTestDatabase } from '../support/sqlite';

interface Row {
  name: string;
  id: string;
}

const BY_NAME = keyset<Row>([
  ['Name', (r) => r.name],
  ['Id', (r) => r.id],
]);

describe('keyset: one declaration of a list order', () => {
  it('writes the ORDER BY, the next-page condition, the cursor and its arity from the same keys', () => {
    expect(BY_NAME.orderBy).toBe('Name COLLATE BINARY, Id COLLATE BINARY');
    expect(BY_NAME.after(['b', 'x'])).toEqual(['(Name COLLATE BINARY, Id COLLATE BINARY) > (?, ?)', 'b', 'x']);
    expect(BY_NAME.arity).toBe(2);
    expect(BY_NAME.cursorOf({ name: 'Acme', id: '7' })).toEqual(['Acme', '7']);
    const single = keyset<Row>([['Id', (r) => r.id]]);
    expect(single.after(['7'])).toEqual(['Id COLLATE BINARY > ?', '7']);
  });

  it('sorts as SQLite orders the same rows (code points, not UTF-16 units), and pages through them without a gap', () => {
    const names = ['😀 Emoji', 'Ａ Fullwidth', 'a', 'B', 'é', 'e\u0301', '', 'Zed', 'Zed'];
    const rows: Row[] = names.map((name, i) => ({ name, id: `id-${(i * 7) % 10}` }));
    const db = createTestDatabase({ migrate: false });
    try {
      db.exec('CREATE TABLE T (Name TEXT, Id TEXT)');
      for (const r of rows) db.database.query('INSERT INTO T (Name, Id) VALUES (?1, ?2)', [r.name, r.id]);
      const read = (sql: string, params: string[] = []) =>
        db.database.query(sql, params).map((row) => ({ name: String(row.Name), id: String(row.Id) }));
      const sqlOrder = read(`SELECT Name, Id FROM T ORDER BY ${BY_NAME.orderBy}`);
      expect(BY_NAME.sort([...rows].reverse())).toEqual(sqlOrder);
      // Two rows at a time, each page after the last row of the one before.
      const paged: Row[] = [];
      for (let last: Row | undefined; ;) {
        const [condition, ...values] = last ? BY_NAME.after(BY_NAME.cursorOf(last)) : ['1', ...[]];
        const page = read(`SELECT Name, Id FROM T WHERE ${condition} ORDER BY ${BY_NAME.orderBy} LIMIT 2`, values);
        if (page.length === 0) break;
        paged.push(...page);
        last = page[page.length - 1];
      }
      expect(paged).toEqual(sqlOrder);
    } finally {
      db.close();
    }
  });
});
