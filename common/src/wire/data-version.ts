/**
 * A component's data version, `{seq}`, as `GET <feed>/last` answers it (event-feed.ts) and the aggregates
 * component reads it to key its cache: declared once (shape.ts).
 */
import { integer, named, object } from './shape';

export const DataVersionShape = named(
  'DataVersion',
  object({ seq: integer({ minimum: 0, description: 'The newest sequence number of the feed (0: none)' }) }, undefined, {
    open: true,
  }),
);
