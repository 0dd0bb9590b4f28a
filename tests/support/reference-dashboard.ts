/**
 * The dashboard computed independently of the aggregates component: straight from the tables, in SQL.
 * Tests compare the component's answer with this, byte for byte.
 *
 * Volumes follow the documented rule: each amount in integer micro-units (rounded half away from zero),
 * summed exactly, then rounded once to cents (half away from zero). Ties: name in BINARY (code-point) order.
 */
import type { TestDatabase } from './sqlite';

const CENTS = `CASE WHEN Micros >= 0 THEN (Micros + 5000) / 10000 ELSE -((-Micros + 5000) / 10000) END`;

export function referenceDashboard(db: TestDatabase, topN = 5): string {
  const q = (sql: string) => db.database.query(sql, [topN]);
  const [countRow] = db.database.query('SELECT COUNT(*) AS N FROM Customers');
  const topCustomers = q(
    'SELECT Id, Name, Scoring FROM Customers ORDER BY Scoring DESC, Name COLLATE BINARY, Id COLLATE BINARY LIMIT ?1',
  );
  const byCount = q(`SELECT CustomerName, COUNT(*) AS N FROM Incidents GROUP BY CustomerName
    ORDER BY N DESC, CustomerName COLLATE BINARY LIMIT ?1`);
  const byVolume = q(`SELECT CustomerName, ${CENTS} AS Cents FROM (
      SELECT CustomerName, SUM(CAST(ROUND(COALESCE(Amount, 0) * 1000000) AS INTEGER)) AS Micros FROM Incidents GROUP BY CustomerName)
    ORDER BY Cents DESC, CustomerName COLLATE BINARY LIMIT ?1`);
  return JSON.stringify({
    customerCount: Number(countRow?.N),
    topCustomers: topCustomers.map((r) => ({ customerId: r.Id, customerName: r.Name, scoring: Number(r.Scoring) })),
    customersWithMostIncidents: byCount.map((r) => ({ customerName: r.CustomerName, numberOfIncidents: Number(r.N) })),
    customersWithHighestIncidentVolume: byVolume.map((r) => ({
      customerName: r.CustomerName,
      incidentVolume: Number(r.Cents) / 100,
    })),
  });
}
