/**
 * The customer shapes that travel between components: what customers-service answers (its OpenAPI schemas
 * and the types of its answers) and what aggregates-service checks it receives, declared once (shape.ts).
 */
import { array, integer, named, numberOrNull, object, text, textOrNull, type Infer } from './shape';
import { VERSIONED } from './versioned';

const { id, ...stamps } = VERSIONED;
const SCORING_OR_NULL = numberOrNull({ description: '0 to 10 when written through the API' });

/** An item of `/customers/items` and of `/customers/top/:limit`. */
export const CustomerSummaryShape = named(
  'CustomerSummary',
  object({ id: textOrNull(), name: textOrNull(), country: textOrNull(), scoring: SCORING_OR_NULL }),
);
export type CustomerSummary = Infer<typeof CustomerSummaryShape>;

/** `/customers/items/:id`, and the answer to every write. */
export const CustomerShape = named(
  'Customer',
  object({
    id,
    name: textOrNull(),
    city: textOrNull(),
    country: textOrNull(),
    scoring: SCORING_OR_NULL,
    ...stamps,
  }),
);
export type Customer = Infer<typeof CustomerShape>;

/** `/customers/items/:id/rank`: where the customer stands in `/customers/top` (the dashboard's topCustomers). */
export const CustomerRankShape = named(
  'CustomerRank',
  object({
    id: text(),
    byScoring: integer({
      minimum: 1,
      description: 'Position in /customers/top/{limit}: by scoring, then name and id (code-point order)',
    }),
    customers: integer({ minimum: 1, description: 'How many customers there are' }),
  }),
);
export type CustomerRank = Infer<typeof CustomerRankShape>;

const COUNT = integer({ minimum: 0 });

/** `/customers/count`. */
export const CustomerCountShape = named('CustomerCount', object({ count: COUNT }));

/** `/customers/count-and-top/:limit`: the count and the top in one answer, read on one snapshot. */
export const CustomerCountAndTopShape = named(
  'CustomerCountAndTop',
  object({ count: COUNT, top: array(CustomerSummaryShape) }),
);
export type CustomerCountAndTop = Infer<typeof CustomerCountAndTopShape>;
