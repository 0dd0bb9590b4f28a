/**
 * SQL for the customers component: its reads, each answer typed by its shape (common/src/wire/customer.ts),
 * and the write store. Every query has an index in migrations.sql.
 */
import type { AggregateStore } from '@aggregates/common/write-api';
import { lastSeqSql } from '@aggregates/common/event-feed';
import { keyset } from '@aggregates/common/keyset';
import { defineFields, integer, text, type FieldValues } from '@aggregates/common/field-rules';
import type { Cursor } from '@aggregates/common/params';
import { HttpError } from '@aggregates/common/problem';
import {
  exactNumberSql,
  numberColumn,
  packedNumber,
  packedText,
  pageOf,
  queryPacked,
  sqlConditions,
  textColumn,
  type Database,
  type Row,
} from '@aggregates/common/sql';
import type { Customer, CustomerCountAndTop, CustomerRank, CustomerSummary } from '@aggregates/common/wire/customer';

/** The fields a client writes, and how each is checked (docs/writing-data.md). */
export const CUSTOMER_FIELDS = defineFields(
  {
    name: text({ max: 200 }),
    city: text({ max: 100, required: false }),
    country: text({ max: 100, required: false }),
    scoring: integer({ min: 0, max: 10 }),
  },
  { readOnly: ['id', 'version', 'createdAt', 'updatedAt'] },
);

export type CustomerFields = FieldValues<typeof CUSTOMER_FIELDS.fields>;

/** The filters `/customers/items` accepts. */
export interface CustomerFilters {
  country?: string;
  minScoring?: number;
  updatedSince?: string;
}

const toSummary = (row: Row): CustomerSummary => ({
  id: textColumn(row, 'Id'),
  name: textColumn(row, 'Name'),
  country: textColumn(row, 'Country'),
  scoring: numberColumn(row, 'Scoring'),
});

// Names compare as UTF-8 bytes (BINARY), which is code-point order; the id settles the rest so every list
// has one order for the same data.
export const CUSTOMERS_BY_NAME = keyset<CustomerSummary>([
  ['Name', (c) => c.name ?? ''],
  ['Id', (c) => c.id ?? ''],
]);
const BY_NAME = CUSTOMERS_BY_NAME.orderBy;
/** The order of `top`: scoring descending, then name and id ascending (code points). */
const TOP_FROM = `Customers ORDER BY Scoring DESC, ${BY_NAME}`;

/** Columns of each writable field. */
const COLUMNS: Record<keyof CustomerFields, string> = {
  name: 'Name',
  city: 'City',
  country: 'Country',
  scoring: 'Scoring',
};

export function createCustomersRepository(db: Database) {
  return {
    /** A page of the customers that pass `filters`, by name then id: `limit` of them after `after` (a name and an id). */
    listPage(
      limit: number,
      after: Cursor | null,
      filters: CustomerFilters = {},
    ): { items: CustomerSummary[]; more: boolean } {
      const q = sqlConditions();
      if (filters.country !== undefined) q.add('Country = ?', filters.country);
      if (filters.minScoring !== undefined) q.add('Scoring >= ?', filters.minScoring);
      if (filters.updatedSince !== undefined)
        q.add('Id IN (SELECT Id FROM CustomerMeta WHERE UpdatedAt >= ?)', filters.updatedSince);
      if (after) q.add(...CUSTOMERS_BY_NAME.after(after));
      const select = `SELECT Id, Name, Country, Scoring FROM Customers${q.where()} ORDER BY ${BY_NAME} LIMIT ${q.param(limit + 1)}`;
      const rows = queryPacked(db, select, ['Id', 'Name', 'Country', exactNumberSql('Scoring')], q.params).map(
        ([id, name, country, scoring]) => ({
          id: packedText(id),
          name: packedText(name),
          country: packedText(country),
          scoring: packedNumber(scoring),
        }),
      );
      return pageOf(CUSTOMERS_BY_NAME.sort(rows), limit);
    },

    /** One customer by id, ignoring ASCII case; `null` when there is none. */
    find(id: string): Customer | null {
      const [row] = db.query(
        `SELECT c.Id, c.Name, c.City, c.Country, c.Scoring, COALESCE(m.Version, 1) AS Version, m.CreatedAt, m.UpdatedAt
           FROM (SELECT * FROM Customers WHERE Id = ?1 COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1) AS c
           LEFT JOIN CustomerMeta m ON m.Id = c.Id`,
        [id],
      );
      if (!row) return null;
      return {
        id: textColumn(row, 'Id') ?? id,
        name: textColumn(row, 'Name'),
        city: textColumn(row, 'City'),
        country: textColumn(row, 'Country'),
        scoring: numberColumn(row, 'Scoring'),
        version: numberColumn(row, 'Version') ?? 1,
        createdAt: textColumn(row, 'CreatedAt'),
        updatedAt: textColumn(row, 'UpdatedAt'),
      };
    },

    count(): number {
      const [row] = db.query('SELECT COUNT(*) AS Count FROM Customers');
      return row ? (numberColumn(row, 'Count') ?? 0) : 0;
    },

    /** The `limit` best-scored customers: scoring descending, then name and id ascending. */
    /**
     * Where the customer with this id (ASCII case ignored) stands in the order of `top`: how many come before it,
     * counted on the index of that order. `null` when there is no such customer.
     */
    rank(id: string): CustomerRank | null {
      const [row] = db.query(
        'SELECT Id, Name, Scoring FROM Customers WHERE Id = ?1 COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1',
        [id],
      );
      if (!row) return null;
      const storedId = textColumn(row, 'Id') ?? id;
      const name = textColumn(row, 'Name');
      // Compared as stored: a number (Spin hands INTEGER back as bigint), or whatever text plain SQL left there.
      const raw = row.Scoring;
      const scoring =
        typeof raw === 'bigint' ? Number(raw) : typeof raw === 'number' || typeof raw === 'string' ? raw : null;
      // ORDER BY Scoring DESC puts NULL last; Name (ascending) puts NULL first.
      const scoredAhead = scoring === null ? 'Scoring IS NOT NULL' : 'Scoring > ?1';
      const sameScore = scoring === null ? 'Scoring IS NULL' : 'Scoring = ?1';
      const nameAhead = name === null ? '0' : '(Name IS NULL OR Name COLLATE BINARY < ?2)';
      const [counts] = db.query(
        `SELECT (SELECT COUNT(*) FROM Customers WHERE ${scoredAhead})
              + (SELECT COUNT(*) FROM Customers WHERE ${sameScore} AND (${nameAhead} OR (Name IS ?2 AND Id COLLATE BINARY < ?3))) AS Ahead,
                (SELECT COUNT(*) FROM Customers) AS Total`,
        [scoring, name, storedId],
      );
      return {
        id: storedId,
        byScoring: (numberColumn(counts ?? {}, 'Ahead') ?? 0) + 1,
        customers: numberColumn(counts ?? {}, 'Total') ?? 0,
      };
    },

    top(limit: number): CustomerSummary[] {
      return db.query(`SELECT Id, Name, Country, Scoring FROM ${TOP_FROM} LIMIT ?1`, [limit]).map(toSummary);
    },

    /**
     * {@link count} and {@link top} with the data version they are at, in one statement: one SELECT reads one
     * snapshot, so the three agree whatever is written meanwhile, with no transaction to open. The LEFT JOIN keeps
     * the one row of the version and count when there is no customer.
     */
    countAndTop(limit: number): { version: number } & CustomerCountAndTop {
      const rows = db.query(
        `SELECT v.Version, v.Count, t.Id, t.Name, t.Country, t.Scoring
           FROM (SELECT ${lastSeqSql('CustomerEvents')} AS Version, (SELECT COUNT(*) FROM Customers) AS Count) AS v
           LEFT JOIN (SELECT Id, Name, Country, Scoring FROM ${TOP_FROM} LIMIT ?1) AS t ON 1
          ORDER BY t.Scoring DESC, ${BY_NAME}`,
        [limit],
      );
      const first = rows[0] ?? {};
      const count = numberColumn(first, 'Count') ?? 0;
      return { version: numberColumn(first, 'Version') ?? 0, count, top: count === 0 ? [] : rows.map(toSummary) };
    },
  };
}

/** The write side (write-api.ts): the triggers of migrations.sql keep the version and the events. */
export function createCustomersStore(db: Database): AggregateStore<CustomerFields, Customer> {
  const repository = createCustomersRepository(db);
  return {
    find: (id) => repository.find(id),
    create(id, values) {
      db.query('INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES (?1, ?2, ?3, ?4, ?5)', [
        id,
        values.name,
        values.city,
        values.country,
        values.scoring,
      ]);
    },
    update(current, values) {
      const names = (Object.keys(COLUMNS) as (keyof CustomerFields)[]).filter((name) => values[name] !== undefined);
      if (names.length === 0) return;
      const assignments = names.map((name, i) => `${COLUMNS[name]} = ?${i + 2}`).join(', ');
      db.query(`UPDATE Customers SET ${assignments} WHERE Id = ?1`, [
        current.id,
        ...names.map((name) => values[name] ?? null),
      ]);
    },
    remove(current) {
      // Incidents carry their customer's name; deleting the customer under them is refused, not cascaded.
      const [row] = db.query('SELECT COUNT(*) AS Count FROM IncidentMeta WHERE CustomerId = ?1', [current.id]);
      const incidents = row ? (numberColumn(row, 'Count') ?? 0) : 0;
      if (incidents > 0) {
        throw new HttpError(
          409,
          'conflict',
          `The customer still has ${incidents} incident${incidents === 1 ? '' : 's'}; delete ${incidents === 1 ? 'it' : 'them'} first (GET /incidents/items?customerId=${encodeURIComponent(current.id)} lists them).`,
          {},
          { incidents },
        );
      }
      db.query('DELETE FROM Customers WHERE Id = ?1', [current.id]);
    },
  };
}
