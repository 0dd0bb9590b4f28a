/** The dashboard document: its shape, and how it is computed from what the data components return. */
import { centsToAmount, microsToCents, toMicros } from './money';
import { topByValue } from './ranking';
import type { CustomerCount, IncidentEntry, TopCustomer } from './shapes';

/** The document `GET /aggregates/dashboard` returns; members in this order. */
export interface Dashboard {
  customerCount: number;
  topCustomers: Array<{ customerName: string; scoring: number }>;
  customersWithMostIncidents: Array<{ customerName: string; numberOfIncidents: number }>;
  customersWithHighestIncidentVolume: Array<{ customerName: string; incidentVolume: number }>;
}

interface IncidentTotals {
  name: string;
  count: number;
  cents: bigint;
}

/**
 * Incidents per customer name exactly as stored (a name without a customer row counts like any other):
 * how many, and the volume in whole cents (exact sum of micro-units, rounded once).
 */
export function totalsByCustomer(incidents: Iterable<IncidentEntry>): IncidentTotals[] {
  const totals = new Map<string, { count: number; micros: bigint }>();
  for (const incident of incidents) {
    const entry = totals.get(incident.customerName) ?? { count: 0, micros: 0n };
    entry.count += 1;
    entry.micros += toMicros(incident.amount);
    totals.set(incident.customerName, entry);
  }
  return [...totals].map(([name, { count, micros }]) => ({ name, count, cents: microsToCents(micros) }));
}

export interface DashboardInputs {
  customerCount: CustomerCount;
  topCustomers: TopCustomer[];
  incidents: IncidentEntry[];
  /** How many entries each list holds. */
  topN: number;
}

/** Composes the dashboard; every list is ranked by its value descending, ties by name in code-point order. */
export function composeDashboard({ customerCount, topCustomers, incidents, topN }: DashboardInputs): Dashboard {
  const totals = totalsByCustomer(incidents);
  return {
    customerCount: customerCount.count,
    topCustomers: topByValue(topCustomers, (c) => c.scoring, topN).map((c) => ({ customerName: c.name, scoring: c.scoring })),
    customersWithMostIncidents: topByValue(totals, (t) => t.count, topN).map((t) => ({
      customerName: t.name,
      numberOfIncidents: t.count,
    })),
    customersWithHighestIncidentVolume: topByValue(totals, (t) => t.cents, topN).map((t) => ({
      customerName: t.name,
      incidentVolume: centsToAmount(t.cents),
    })),
  };
}
