/** SQL for the incidents component. Every query has an index in migrations.sql. */
import { compareCodePoints } from '../../common/src/collation';
import type { Cursor } from '../../common/src/params';
import { exactNumberSql, numberColumn, packedNumber, packedText, pageOf, queryPacked, textColumn, type Database, type Row, type SqlParam } from '../../common/src/sql';

/** An item of `/incidents/items` and of each group of `/incidents/grouped-by-customer`. */
export interface IncidentSummary {
  id: string | null;
  amount: number | null;
  customerName: string | null;
}

/** An item of `/incidents/top/by-count/:limit`. */
export interface CustomerIncidentCount {
  customerName: string | null;
  numberOfIncidents: number | null;
}

/** An item of `/incidents/top/by-volume/:limit`. */
export interface CustomerIncidentVolume {
  customerName: string | null;
  incidentVolume: number | null;
}

/** `/incidents/items/:id`. */
export interface Incident extends IncidentSummary {
  category: string | null;
}

const toSummary = (row: Row): IncidentSummary => ({
  id: textColumn(row, 'Id'),
  amount: numberColumn(row, 'Amount'),
  customerName: textColumn(row, 'CustomerName'),
});

const COLUMNS = 'SELECT Id, Amount, CustomerName FROM Incidents';

export function createIncidentsRepository(db: Database) {
  /** Incidents of a `COLUMNS` query, packed into one value (see `queryPacked`). */
  const readPacked = (select: string, params: SqlParam[]): IncidentSummary[] =>
    queryPacked(db, select, ['Id', exactNumberSql('Amount'), 'CustomerName'], params).map(([id, amount, customerName]) => ({
      id: packedText(id),
      amount: packedNumber(amount),
      customerName: packedText(customerName),
    }));

  return {
    /** A page of all incidents, by id (binary order): `limit` of them after `after` (an id). */
    listPage(limit: number, after: Cursor | null): { items: IncidentSummary[]; more: boolean } {
      const rows = readPacked(
        after ? `${COLUMNS} WHERE Id COLLATE BINARY > ?1 ORDER BY Id COLLATE BINARY LIMIT ?2` : `${COLUMNS} ORDER BY Id COLLATE BINARY LIMIT ?1`,
        after ? [after[0] ?? '', limit + 1] : [limit + 1],
      ).sort((a, b) => compareCodePoints(a.id ?? '', b.id ?? ''));
      return pageOf(rows, limit);
    },

    /** One incident by id, ignoring ASCII case; `null` when there is none. */
    find(id: string): Incident | null {
      const [row] = db.query(
        'SELECT Id, Amount, CustomerName, Category FROM Incidents WHERE Id = ?1 COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1',
        [id],
      );
      return row ? { ...toSummary(row), category: textColumn(row, 'Category') } : null;
    },

    /**
     * The `limit` customer names with the most incidents, ties by name (code-point order). Reads the
     * trigger-maintained totals, so it costs the same at any number of incidents.
     */
    topByCount(limit: number): CustomerIncidentCount[] {
      return db
        .query('SELECT CustomerName, IncidentCount FROM IncidentTotals ORDER BY IncidentCount DESC, CustomerName COLLATE BINARY LIMIT ?1', [limit])
        .map((row) => ({ customerName: textColumn(row, 'CustomerName'), numberOfIncidents: numberColumn(row, 'IncidentCount') }));
    },

    /** The `limit` customer names with the highest incident volume in cents, ties by name (code-point order). */
    topByVolume(limit: number): CustomerIncidentVolume[] {
      return db
        .query('SELECT CustomerName, VolumeCents FROM IncidentTotals ORDER BY VolumeCents DESC, CustomerName COLLATE BINARY LIMIT ?1', [limit])
        .map((row) => {
          const cents = numberColumn(row, 'VolumeCents');
          return { customerName: textColumn(row, 'CustomerName'), incidentVolume: cents === null ? null : cents / 100 };
        });
    },

    /**
     * A page of all incidents ordered by customer name as stored, then id (both binary order): `limit` of
     * them after `after` (a name and an id).
     */
    byCustomerPage(limit: number, after: Cursor | null): { items: IncidentSummary[]; more: boolean } {
      const order = 'ORDER BY CustomerName COLLATE BINARY, Id COLLATE BINARY';
      const rows = readPacked(
        after ? `${COLUMNS} WHERE (CustomerName COLLATE BINARY, Id COLLATE BINARY) > (?1, ?2) ${order} LIMIT ?3` : `${COLUMNS} ${order} LIMIT ?1`,
        after ? [after[0] ?? '', after[1] ?? '', limit + 1] : [limit + 1],
      ).sort((a, b) => compareCodePoints(a.customerName ?? '', b.customerName ?? '') || compareCodePoints(a.id ?? '', b.id ?? ''));
      return pageOf(rows, limit);
    },
  };
}
