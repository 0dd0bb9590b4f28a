/** The dashboard document: its shape, and how it is computed from what the data components return. */
import { centsToAmount, microsToCents, toMicros } from './money';
import { topByValue } from './ranking';
import type { IncidentCount, IncidentRankings, IncidentVolume } from '@aggregates/common/wire/incident';
import type { IncidentEntry } from './shapes';

/** The document `GET /aggregates/dashboard` returns; members in this order. */
export interface Dashboard {
  customerCount: number;
  topCustomers: Array<{ customerId: string | null; customerName: string; scoring: number }>;
  customersWithMostIncidents: IncidentCount[];
  customersWithHighestIncidentVolume: IncidentVolume[];
}

/**
 * Incidents per customer name exactly as stored (a name without a customer row counts like any other),
 * counted as they come: the "naive" strategy, whose cost grows with the number of incidents. Memory grows
 * only with the number of names. Volumes are exact sums of micro-units, rounded once to cents.
 */
export class IncidentTally {
  readonly #totals = new Map<string, { count: number; micros: number }>();

  add(incident: IncidentEntry): void {
    const entry = this.#totals.get(incident.customerName);
    if (entry) {
      entry.count += 1;
      entry.micros += toMicros(incident.amount);
    } else {
      this.#totals.set(incident.customerName, { count: 1, micros: toMicros(incident.amount) });
    }
  }

  rank(topN: number): IncidentRankings {
    const perName = [...this.#totals].map(([name, { count, micros }]) => ({
      name,
      count,
      cents: microsToCents(micros),
    }));
    return {
      mostIncidents: topByValue(perName, (t) => t.count, topN).map((t) => ({
        customerName: t.name,
        numberOfIncidents: t.count,
      })),
      highestVolume: topByValue(perName, (t) => t.cents, topN).map((t) => ({
        customerName: t.name,
        incidentVolume: centsToAmount(t.cents),
      })),
    };
  }
}

/** The one ordering rule applied to rankings a data component computed, so a downstream that sorts differently cannot change the document. */
export const rerankCounts = (items: IncidentCount[], topN: number): IncidentCount[] =>
  topByValue(
    items.map((item) => ({ item, name: item.customerName })),
    (e) => e.item.numberOfIncidents,
    topN,
  ).map((e) => e.item);

export const rerankVolumes = (items: IncidentVolume[], topN: number): IncidentVolume[] =>
  topByValue(
    items.map((item) => ({ item, name: item.customerName })),
    (e) => Math.round(e.item.incidentVolume * 100),
    topN,
  ).map((e) => e.item);
