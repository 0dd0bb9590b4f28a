/** SQL for the customers component. Every query has an index in migrations.sql. */
import { compareCodePoints } from '../../common/src/collation';
import type { Cursor } from '../../common/src/params';
import { exactNumberSql, numberColumn, packedNumber, packedText, pageOf, queryPacked, textColumn, type Database, type Row } from '../../common/src/sql';

/** An item of `/customers/items` and `/customers/top/:limit`. */
export interface CustomerSummary {
  id: string | null;
  name: string | null;
  country: string | null;
  scoring: number | null;
}

/** `/customers/items/:id`. */
export interface Customer extends CustomerSummary {
  city: string | null;
}

const toSummary = (row: Row): CustomerSummary => ({
  id: textColumn(row, 'Id'),
  name: textColumn(row, 'Name'),
  country: textColumn(row, 'Country'),
  scoring: numberColumn(row, 'Scoring'),
});

// Names compare as UTF-8 bytes (BINARY), which is code-point order; the id settles the rest so every list
// has one order for the same data.
const BY_NAME = 'Name COLLATE BINARY, Id COLLATE BINARY';

export function createCustomersRepository(db: Database) {
  return {
    /** A page of all customers, by name then id: `limit` of them after `after` (a name and an id). */
    listPage(limit: number, after: Cursor | null): { items: CustomerSummary[]; more: boolean } {
      const columns = 'SELECT Id, Name, Country, Scoring FROM Customers';
      const rows = queryPacked(
        db,
        after
          ? `${columns} WHERE (Name COLLATE BINARY, Id COLLATE BINARY) > (?1, ?2) ORDER BY ${BY_NAME} LIMIT ?3`
          : `${columns} ORDER BY ${BY_NAME} LIMIT ?1`,
        ['Id', 'Name', 'Country', exactNumberSql('Scoring')],
        after ? [after[0] ?? '', after[1] ?? '', limit + 1] : [limit + 1],
      )
        .map(([id, name, country, scoring]) => ({ id: packedText(id), name: packedText(name), country: packedText(country), scoring: packedNumber(scoring) }))
        .sort((a, b) => compareCodePoints(a.name ?? '', b.name ?? '') || compareCodePoints(a.id ?? '', b.id ?? ''));
      return pageOf(rows, limit);
    },

    /** One customer by id, ignoring ASCII case; `null` when there is none. */
    find(id: string): Customer | null {
      const [row] = db.query(
        `SELECT Id, Name, City, Country, Scoring FROM Customers WHERE Id = ?1 COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1`,
        [id],
      );
      return row ? { ...toSummary(row), city: textColumn(row, 'City') } : null;
    },

    count(): number {
      const [row] = db.query('SELECT COUNT(*) AS Count FROM Customers');
      return row ? (numberColumn(row, 'Count') ?? 0) : 0;
    },

    /** The `limit` best-scored customers: scoring descending, then name and id ascending. */
    top(limit: number): CustomerSummary[] {
      return db
        .query(`SELECT Id, Name, Country, Scoring FROM Customers ORDER BY Scoring DESC, ${BY_NAME} LIMIT ?1`, [limit])
        .map(toSummary);
    },
  };
}
