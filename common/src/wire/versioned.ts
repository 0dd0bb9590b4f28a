/**
 * The members every versioned aggregate's resource carries (write-api.ts): its id, its version (the ETag) and
 * its timestamps, declared once for the customer and incident shapes (customer.ts, incident.ts).
 */
import { integer, text, textOrNull, type Members } from './shape';

const TIMESTAMP = { readOnly: true, description: 'UTC, RFC 3339 with milliseconds' };

export const VERSIONED = {
  id: text({ readOnly: true, description: "Set by the server (a UUID for the API's writes)" }),
  version: integer({
    minimum: 1,
    readOnly: true,
    description: 'Grows by one with each change; the ETag is this number in quotes',
  }),
  createdAt: textOrNull(TIMESTAMP),
  updatedAt: textOrNull(TIMESTAMP),
};

/** A versioned resource's own members; `createdAt` and `updatedAt` are `null` only for a row the migrations have not reached yet. */
export type Versioned = Members<typeof VERSIONED>;
