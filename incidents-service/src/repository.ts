/** SQL for the incidents component. Every query has an index in migrations.sql. */
import { numberColumn, textColumn, type Database, type Row } from '../../common/src/sql';

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

export function createIncidentsRepository(db: Database) {
  return {
    /** All incidents, by id (binary order). */
    list(): IncidentSummary[] {
      return db.query('SELECT Id, Amount, CustomerName FROM Incidents ORDER BY Id COLLATE BINARY').map(toSummary);
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

    /** All incidents grouped by customer name as stored: groups by name, incidents by id (both binary order). */
    groupedByCustomer(): Array<[customerName: string, incidents: IncidentSummary[]]> {
      const groups: Array<[string, IncidentSummary[]]> = [];
      const rows = db.query(
        'SELECT Id, Amount, CustomerName FROM Incidents ORDER BY CustomerName COLLATE BINARY, Id COLLATE BINARY',
      );
      for (const row of rows) {
        const incident = toSummary(row);
        const name = incident.customerName ?? '';
        const last = groups[groups.length - 1];
        if (last && last[0] === name) last[1].push(incident);
        else groups.push([name, [incident]]);
      }
      return groups;
    },
  };
}
