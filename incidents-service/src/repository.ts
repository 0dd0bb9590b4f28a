/**
 * The reads of the incidents component: the SQL of every list, item, total and ranking it answers, each
 * answer typed by its shape (common/src/wire/incident.ts). Every query has an index in migrations.sql.
 */
import { lastSeqSql } from '@aggregates/common/event-feed';
import { keyset } from '@aggregates/common/keyset';
import type { Cursor } from '@aggregates/common/params';
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
  type SqlParam,
} from '@aggregates/common/sql';
import type {
  Incident,
  IncidentCount,
  IncidentRankings,
  IncidentSummary,
  IncidentVolume,
  NameStanding,
  NameTotals,
} from '@aggregates/common/wire/incident';

/** The filters `/incidents/items` accepts. */
export interface IncidentFilters {
  customerName?: string;
  customerId?: string;
  category?: string;
  updatedSince?: string;
}

const toSummary = (row: Row): IncidentSummary => ({
  id: textColumn(row, 'Id'),
  amount: numberColumn(row, 'Amount'),
  customerName: textColumn(row, 'CustomerName'),
});

const COLUMNS = 'SELECT Id, Amount, CustomerName FROM Incidents';

/** The orders of the incidents component's paged lists (keyset.ts): by id; by customer name, then id; totals by name. */
export const INCIDENTS_BY_ID = keyset<IncidentSummary>([['Id', (i) => i.id ?? '']]);
export const INCIDENTS_BY_CUSTOMER = keyset<IncidentSummary>([
  ['CustomerName', (i) => i.customerName ?? ''],
  ['Id', (i) => i.id ?? ''],
]);
export const TOTALS_BY_NAME = keyset<NameTotals>([['CustomerName', (t) => t.customerName]]);

/** The two rankings' orders over the trigger-kept totals: by value descending, ties by name (code points). */
const BY_COUNT_FROM = 'IncidentTotals ORDER BY IncidentCount DESC, CustomerName COLLATE BINARY';
const BY_VOLUME_FROM = 'IncidentTotals ORDER BY VolumeCents DESC, CustomerName COLLATE BINARY';

// The totals' columns are NOT NULL (migrations.sql).
const toCountEntry = (row: Row): IncidentCount => ({
  customerName: textColumn(row, 'CustomerName') ?? '',
  numberOfIncidents: numberColumn(row, 'IncidentCount') ?? 0,
});

const toVolumeEntry = (row: Row): IncidentVolume => ({
  customerName: textColumn(row, 'CustomerName') ?? '',
  incidentVolume: (numberColumn(row, 'VolumeCents') ?? 0) / 100,
});

export function createIncidentsRepository(db: Database) {
  /** Incidents of a `COLUMNS` query, packed into one value (see `queryPacked`). */
  const readPacked = (select: string, params: SqlParam[]): IncidentSummary[] =>
    queryPacked(db, select, ['Id', exactNumberSql('Amount'), 'CustomerName'], params).map(
      ([id, amount, customerName]) => ({
        id: packedText(id),
        amount: packedNumber(amount),
        customerName: packedText(customerName),
      }),
    );

  return {
    /** A page of the incidents that pass `filters`, by id (binary order): `limit` of them after `after` (an id). */
    listPage(
      limit: number,
      after: Cursor | null,
      filters: IncidentFilters = {},
    ): { items: IncidentSummary[]; more: boolean } {
      const q = sqlConditions();
      if (filters.customerName !== undefined) q.add('CustomerName = ?', filters.customerName);
      if (filters.category !== undefined) q.add('Category = ?', filters.category);
      // Ids are matched ignoring ASCII case, as everywhere: the customer's id as stored is what incidents refer to.
      if (filters.customerId !== undefined) {
        q.add(
          'Id IN (SELECT Id FROM IncidentMeta WHERE CustomerId = (SELECT Id FROM Customers WHERE Id = ? COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1))',
          filters.customerId,
        );
      }
      if (filters.updatedSince !== undefined)
        q.add('Id IN (SELECT Id FROM IncidentMeta WHERE UpdatedAt >= ?)', filters.updatedSince);
      if (after) q.add(...INCIDENTS_BY_ID.after(after));
      const rows = readPacked(
        `${COLUMNS}${q.where()} ORDER BY ${INCIDENTS_BY_ID.orderBy} LIMIT ${q.param(limit + 1)}`,
        q.params,
      );
      return pageOf(INCIDENTS_BY_ID.sort(rows), limit);
    },

    /** One incident by id, ignoring ASCII case; `null` when there is none. */
    find(id: string): Incident | null {
      const [row] = db.query(
        `SELECT i.Id, i.Amount, i.CustomerName, i.Category, m.CustomerId, COALESCE(m.Version, 1) AS Version, m.CreatedAt, m.UpdatedAt
           FROM (SELECT * FROM Incidents WHERE Id = ?1 COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1) AS i
           LEFT JOIN IncidentMeta m ON m.Id = i.Id`,
        [id],
      );
      if (!row) return null;
      return {
        ...toSummary(row),
        id: textColumn(row, 'Id') ?? id,
        category: textColumn(row, 'Category'),
        customerId: textColumn(row, 'CustomerId'),
        version: numberColumn(row, 'Version') ?? 1,
        createdAt: textColumn(row, 'CreatedAt'),
        updatedAt: textColumn(row, 'UpdatedAt'),
      };
    },

    /** The incidents of the customer with this id (ASCII case ignored), newest first (then by id, descending). */
    latest(customerId: string, limit: number): Incident[] {
      const rows = db.query(
        `SELECT i.Id, i.Amount, i.CustomerName, i.Category, m.CustomerId, m.Version, m.CreatedAt, m.UpdatedAt
           FROM IncidentMeta m JOIN Incidents i ON i.Id = m.Id
          WHERE m.CustomerId = (SELECT Id FROM Customers WHERE Id = ?1 COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1)
          ORDER BY m.CreatedAt DESC, m.Id DESC LIMIT ?2`,
        [customerId, limit],
      );
      return rows.map((row) => ({
        ...toSummary(row),
        id: textColumn(row, 'Id') ?? '',
        category: textColumn(row, 'Category'),
        customerId: textColumn(row, 'CustomerId'),
        version: numberColumn(row, 'Version') ?? 1,
        createdAt: textColumn(row, 'CreatedAt'),
        updatedAt: textColumn(row, 'UpdatedAt'),
      }));
    },

    /** A page of the per-name totals, by name (binary order): `limit` of them after `after` (a name). */
    totalsPage(limit: number, after: Cursor | null): { items: NameTotals[]; more: boolean } {
      const q = sqlConditions();
      if (after) q.add(...TOTALS_BY_NAME.after(after));
      const select = `SELECT CustomerName, IncidentCount, VolumeMicros FROM IncidentTotals${q.where()} ORDER BY ${TOTALS_BY_NAME.orderBy} LIMIT ${q.param(limit + 1)}`;
      const rows = queryPacked(db, select, ['CustomerName', 'IncidentCount', 'VolumeMicros'], q.params).map(
        ([customerName, count, micros]) => ({
          customerName: String(customerName),
          numberOfIncidents: Number(count),
          volumeMicros: Number(micros),
        }),
      );
      return pageOf(TOTALS_BY_NAME.sort(rows), limit);
    },

    /**
     * A name's totals and its positions in the two rankings, counted on the indexes of their orders (the names
     * ahead), so the cost does not grow with the number of incidents.
     */
    standing(customerName: string): NameStanding {
      const [row] = db.query(
        `SELECT t.IncidentCount, t.VolumeMicros, t.VolumeCents,
                (SELECT COUNT(*) FROM IncidentTotals WHERE IncidentCount > t.IncidentCount)
              + (SELECT COUNT(*) FROM IncidentTotals WHERE IncidentCount = t.IncidentCount AND CustomerName COLLATE BINARY < t.CustomerName) + 1 AS ByCount,
                (SELECT COUNT(*) FROM IncidentTotals WHERE VolumeCents > t.VolumeCents)
              + (SELECT COUNT(*) FROM IncidentTotals WHERE VolumeCents = t.VolumeCents AND CustomerName COLLATE BINARY < t.CustomerName) + 1 AS ByVolume
           FROM IncidentTotals t WHERE t.CustomerName = ?1`,
        [customerName],
      );
      const [names] = db.query('SELECT COUNT(*) AS Names FROM IncidentTotals');
      const customerNames = numberColumn(names ?? {}, 'Names') ?? 0;
      if (!row)
        return { customerName, numberOfIncidents: 0, volumeMicros: 0, incidentVolume: 0, rank: null, customerNames };
      return {
        customerName,
        numberOfIncidents: numberColumn(row, 'IncidentCount') ?? 0,
        volumeMicros: numberColumn(row, 'VolumeMicros') ?? 0,
        incidentVolume: (numberColumn(row, 'VolumeCents') ?? 0) / 100,
        rank: { byCount: numberColumn(row, 'ByCount') ?? 0, byVolume: numberColumn(row, 'ByVolume') ?? 0 },
        customerNames,
      };
    },

    /**
     * The `limit` customer names with the most incidents, ties by name (code-point order). Reads the
     * trigger-maintained totals, so it costs the same at any number of incidents.
     */
    topByCount(limit: number): IncidentCount[] {
      return db.query(`SELECT CustomerName, IncidentCount FROM ${BY_COUNT_FROM} LIMIT ?1`, [limit]).map(toCountEntry);
    },

    /** The `limit` customer names with the highest incident volume in cents, ties by name (code-point order). */
    topByVolume(limit: number): IncidentVolume[] {
      return db.query(`SELECT CustomerName, VolumeCents FROM ${BY_VOLUME_FROM} LIMIT ?1`, [limit]).map(toVolumeEntry);
    },

    /**
     * {@link topByCount} and {@link topByVolume} with the data version they are at, in one statement: one SELECT
     * reads one snapshot, so the three agree whatever is written meanwhile, with no transaction to open. The
     * LEFT JOIN keeps the one row of the version when there is no incident (no `List` then).
     */
    rankings(limit: number): { version: number } & IncidentRankings {
      const rows = db.query(
        `SELECT v.Version, r.List, r.CustomerName, r.IncidentCount, r.VolumeCents
           FROM (SELECT ${lastSeqSql('IncidentEvents')} AS Version) AS v
           LEFT JOIN (
             SELECT 1 AS List, CustomerName, IncidentCount, VolumeCents, IncidentCount AS Value FROM (SELECT * FROM ${BY_COUNT_FROM} LIMIT ?1)
             UNION ALL
             SELECT 2, CustomerName, IncidentCount, VolumeCents, VolumeCents FROM (SELECT * FROM ${BY_VOLUME_FROM} LIMIT ?1)
           ) AS r ON 1
          ORDER BY r.List, r.Value DESC, r.CustomerName COLLATE BINARY`,
        [limit],
      );
      return {
        version: numberColumn(rows[0] ?? {}, 'Version') ?? 0,
        mostIncidents: rows.filter((row) => numberColumn(row, 'List') === 1).map(toCountEntry),
        highestVolume: rows.filter((row) => numberColumn(row, 'List') === 2).map(toVolumeEntry),
      };
    },

    /**
     * A page of all incidents ordered by customer name as stored, then id (both binary order): `limit` of
     * them after `after` (a name and an id).
     */
    byCustomerPage(limit: number, after: Cursor | null): { items: IncidentSummary[]; more: boolean } {
      const q = sqlConditions();
      if (after) q.add(...INCIDENTS_BY_CUSTOMER.after(after));
      const rows = readPacked(
        `${COLUMNS}${q.where()} ORDER BY ${INCIDENTS_BY_CUSTOMER.orderBy} LIMIT ${q.param(limit + 1)}`,
        q.params,
      );
      return pageOf(INCIDENTS_BY_CUSTOMER.sort(rows), limit);
    },
  };
}
