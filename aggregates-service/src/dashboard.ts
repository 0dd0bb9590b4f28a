/** The dashboard document: its shape, and how it is computed from what the data components return. */
import { centsToAmount, microsToCents, toMicros } from './money';
import { topByValue } from './ranking';
import type { IncidentCount, IncidentEntry, IncidentVolume } from './shapes';

/** The document `GET /aggregates/dashboard` returns; members in this order. */
export interface Dashboard {
  customerCount: number;
  topCustomers: Array<{ customerName: string; scoring: number }>;
  customersWithMostIncidents: IncidentCount[];
  customersWithHighestIncidentVolume: IncidentVolume[];
}

export interface IncidentRankings {
  mostIncidents: IncidentCount[];
  highestVolume: IncidentVolume[];
}

/**
 * Ranks incidents per customer name exactly as stored (a name without a customer row counts like any other),
 * from the full list of incidents: the "naive" strategy, whose cost grows with the number of incidents.
 * Volumes are exact sums of micro-units, rounded once to cents.
 */
export function rankIncidents(incidents: Iterable<IncidentEntry>, topN: number): IncidentRankings {
  const totals = new Map<string, { count: number; micros: bigint }>();
  for (const incident of incidents) {
    const entry = totals.get(incident.customerName) ?? { count: 0, micros: 0n };
    entry.count += 1;
    entry.micros += toMicros(incident.amount);
    totals.set(incident.customerName, entry);
  }
  const perName = [...totals].map(([name, { count, micros }]) => ({ name, count, cents: microsToCents(micros) }));
  return {
    mostIncidents: topByValue(perName, (t) => t.count, topN).map((t) => ({ customerName: t.name, numberOfIncidents: t.count })),
    highestVolume: topByValue(perName, (t) => t.cents, topN).map((t) => ({ customerName: t.name, incidentVolume: centsToAmount(t.cents) })),
  };
}

/** The one ordering rule applied to rankings a data component computed, so a downstream that sorts differently cannot change the document. */
export const rerankCounts = (items: IncidentCount[], topN: number): IncidentCount[] =>
  topByValue(items.map((item) => ({ item, name: item.customerName })), (e) => e.item.numberOfIncidents, topN).map((e) => e.item);

export const rerankVolumes = (items: IncidentVolume[], topN: number): IncidentVolume[] =>
  topByValue(items.map((item) => ({ item, name: item.customerName })), (e) => Math.round(e.item.incidentVolume * 100), topN).map((e) => e.item);
