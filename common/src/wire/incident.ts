/**
 * The incident shapes that travel between components: what incidents-service answers (its OpenAPI schemas
 * and the types of its answers) and what aggregates-service checks it receives, declared once (shape.ts).
 */
import {
  array,
  integer,
  named,
  number,
  numberOrNull,
  object,
  orNull,
  record,
  text,
  textOrNull,
  type Infer,
} from './shape';
import { VERSIONED } from './versioned';

const { id, ...stamps } = VERSIONED;
const AMOUNT_OR_NULL = numberOrNull({ description: '0 to 9e9 with at most 6 decimals when written through the API' });

/** An item of `/incidents/items` and of each group of `/incidents/grouped-by-customer`. */
export const IncidentSummaryShape = named(
  'IncidentSummary',
  object({ id: textOrNull(), amount: AMOUNT_OR_NULL, customerName: textOrNull() }),
);
export type IncidentSummary = Infer<typeof IncidentSummaryShape>;

/** `/incidents/items/:id`, each item of `/incidents/latest`, and the answer to every write. */
export const IncidentShape = named(
  'Incident',
  object({
    id,
    amount: AMOUNT_OR_NULL,
    customerName: textOrNull({
      readOnly: true,
      description: 'Set by the server: the name of the customer it refers to (or the name plain SQL gave it)',
    }),
    category: textOrNull(),
    /** The customer the incident refers to; `null` for one written with plain SQL under a name no single customer has. */
    customerId: textOrNull({
      description:
        'The customer it refers to; null for an incident written with plain SQL under a name no single customer has',
    }),
    ...stamps,
  }),
);
export type Incident = Infer<typeof IncidentShape>;

/** `/incidents/grouped-by-customer`: incidents under the customer name they carry, as stored. */
export const IncidentGroupsShape = named(
  'IncidentGroups',
  record(array(IncidentSummaryShape), 'Incidents by customer name as stored; a group may continue on the next page'),
);

/** An item of `/incidents/top/by-count/:limit`. */
export const IncidentCountShape = named(
  'IncidentCount',
  object({ customerName: text(), numberOfIncidents: integer({ minimum: 1 }) }),
);
export type IncidentCount = Infer<typeof IncidentCountShape>;

/** An item of `/incidents/top/by-volume/:limit`. */
export const IncidentVolumeShape = named(
  'IncidentVolume',
  object({ customerName: text(), incidentVolume: number({ description: 'Rounded once to cents' }) }),
);
export type IncidentVolume = Infer<typeof IncidentVolumeShape>;

/** `/incidents/rankings/:limit`: both top lists in one answer, read on one snapshot. */
export const IncidentRankingsShape = named(
  'IncidentRankings',
  object({ mostIncidents: array(IncidentCountShape), highestVolume: array(IncidentVolumeShape) }),
);
export type IncidentRankings = Infer<typeof IncidentRankingsShape>;

/** The sum of the amounts in micro-units (each rounded half away from zero), exact. */
const VOLUME_MICROS = integer({
  description: 'The sum of the amounts in millionths, each amount rounded half away from zero: exact',
});

/** An item of `/incidents/totals`: one customer name's incidents, summed exactly. */
export const NameTotalsShape = named(
  'IncidentTotals',
  object({ customerName: text(), numberOfIncidents: integer({ minimum: 1 }), volumeMicros: VOLUME_MICROS }),
);
export type NameTotals = Infer<typeof NameTotalsShape>;

/** `/incidents/standing?customerName=`: a name's totals and where it stands in the dashboard's incident rankings. */
export const NameStandingShape = named(
  'IncidentStanding',
  object({
    customerName: text(),
    numberOfIncidents: integer({ minimum: 0 }),
    volumeMicros: VOLUME_MICROS,
    /** The volume rounded once to cents (half away from zero), as the dashboard shows it. */
    incidentVolume: number({ description: 'volumeMicros rounded once to cents, half away from zero' }),
    /** 1-based positions in `/incidents/top/by-count` and `/incidents/top/by-volume`; `null` without incidents. */
    rank: orNull(
      object({
        byCount: integer({ minimum: 1, description: 'Position in /incidents/top/by-count/{limit}' }),
        byVolume: integer({ minimum: 1, description: 'Position in /incidents/top/by-volume/{limit}' }),
      }),
      { description: 'null when the name has no incidents (it is in neither ranking)' },
    ),
    customerNames: integer({ minimum: 0, description: 'How many customer names have incidents' }),
  }),
);
export type NameStanding = Infer<typeof NameStandingShape>;
