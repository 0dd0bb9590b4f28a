/**
 * The fields a client writes to an incident, and the rule each is checked by (common/src/field-rules.ts): the
 * write routes (app.ts) and the store (store.ts) take them from here.
 */
import { decimal, defineFields, oneOf, setOnce, text, type FieldValues } from '@aggregates/common/field-rules';

/** Incident categories. */
export const CATEGORIES = ['A', 'B', 'C', 'D', 'E', 'F'] as const;

/**
 * The fields a client writes, and how each is checked (docs/writing-data.md). Amounts have at most six
 * decimals (the dashboard sums micro-units) and stay within 9e9, where a micro-unit count is still exact.
 * `customerId` names the customer on create and cannot change afterwards; `customerName` follows from it.
 */
export const INCIDENT_FIELDS = defineFields(
  {
    amount: decimal({ min: 0, max: 9_000_000_000, decimals: 6 }),
    category: oneOf(CATEGORIES, { required: false }),
    customerId: setOnce(text({ max: 200, required: false }), 'the id of the customer the incident belongs to'),
  },
  { readOnly: ['id', 'customerName', 'version', 'createdAt', 'updatedAt'] },
);

export type IncidentFields = FieldValues<typeof INCIDENT_FIELDS.fields>;
