/**
 * An aggregate's event feed over HTTP: `GET <feed>?after=<seq>&limit=` answers the events after `seq` in
 * commit order, keyset-paged like the lists (`Link: rel="next"` while more follow). The events are written by
 * the database's triggers, in the transaction of the change (migrations.sql), so sequence numbers are
 * assigned in commit order and a reader never sees a gap that fills later. A consumer that follows the feed
 * from 0 and applies each `diff` rebuilds the current state of every aggregate.
 *
 * `GET <feed>/last` answers `{"seq": N}`, the newest sequence number (0 when there are none): a cheap
 * version of all the component's data, which the aggregates component keys its cache on. The reads the
 * dashboard makes carry the same number in a `Data-Version` header ({@link dataVersionHeader}).
 */
import { json } from './responses';
import { jsonResponse, named, type Operation } from './openapi';
import { pagedListOperation, type CursorText } from './paging';
import { HttpError } from './problem';
import { numberColumn, packedText, pageOf, queryPacked, type Database } from './sql';
import { DataVersionShape } from './wire/data-version';

/** One event of a feed. */
export interface FeedEvent {
  seq: number;
  type: string;
  aggregateId: string;
  version: number;
  /** When it was committed (UTC, RFC 3339). */
  at: string;
  /** Each changed field as `{"old": ..., "new": ...}`. */
  diff: Record<string, { old: unknown; new: unknown }>;
}

/** The event tables migrations.sql creates. */
export type EventTable = 'CustomerEvents' | 'IncidentEvents';

/** `?after=` of a feed is a sequence number, not a JSON cursor: `after=0` starts from the beginning. */
const SEQ_CURSOR: CursorText = {
  parse(raw) {
    if (raw === null) return null;
    if (!/^[0-9]{1,15}$/.test(raw))
      throw new HttpError(
        400,
        'invalid-query',
        `after must be a sequence number (a whole number, 0 for the start); got ${JSON.stringify(raw.slice(0, 40))}.`,
      );
    return [String(Number(raw))];
  },
  format: (cursor) => cursor[0] ?? '0',
};

export const EventSchema = named('Event', {
  type: 'object',
  description: 'One change of an aggregate, in commit order',
  required: ['seq', 'type', 'aggregateId', 'version', 'at', 'diff'],
  properties: {
    seq: { type: 'integer', minimum: 1, description: 'Position in the feed' },
    type: { type: 'string', description: 'CustomerCreated, CustomerUpdated, CustomerDeleted, IncidentCreated...' },
    aggregateId: { type: 'string' },
    version: { type: 'integer', description: 'The version of the aggregate this event made' },
    at: { type: 'string', description: 'When it was committed (UTC, RFC 3339)' },
    diff: {
      type: 'object',
      description: 'Each changed field as {old, new}',
      additionalProperties: { type: 'object', required: ['old', 'new'], properties: { old: {}, new: {} } },
    },
  },
});

/** The noun of a feed's component, for operation ids. */
const nounOf = (table: EventTable) => (table === 'CustomerEvents' ? 'customers' : 'incidents');

export function eventFeedOperation(openDatabase: () => Database, table: EventTable): Operation {
  return pagedListOperation(
    {
      operationId: `${nounOf(table)}.events`,
      summary: `The ${nounOf(table)} event feed, in commit order`,
      description: 'Follow it from after=0 and apply each diff to rebuild the current state of every aggregate.',
      page: { type: 'array', items: EventSchema },
      after: {
        description: 'The sequence number after which the page starts (0: the beginning)',
        schema: { type: 'string', pattern: '^[0-9]{1,15}$' },
      },
    },
    {
      // By sequence number (an integer, so not a text keyset): the cursor is the last one read.
      order: { arity: 1, cursorOf: (event: FeedEvent) => [String(event.seq)] },
      cursorText: SEQ_CURSOR,
      read(limit, after) {
        const select = `SELECT Seq, Type, AggregateId, Version, At, Diff FROM ${table} WHERE Seq > ?1 ORDER BY Seq LIMIT ?2`;
        const rows = queryPacked(
          openDatabase(),
          select,
          ['Seq', 'Type', 'AggregateId', 'Version', 'At', 'json(Diff)'],
          [Number(after?.[0] ?? 0), limit + 1],
        );
        const events = rows
          .map(([seq, type, aggregateId, version, at, diff]) => ({
            seq: Number(seq),
            type: packedText(type) ?? '',
            aggregateId: packedText(aggregateId) ?? '',
            version: Number(version),
            at: packedText(at) ?? '',
            diff: diff as FeedEvent['diff'],
          }))
          .sort((a, b) => a.seq - b.seq);
        return pageOf(events, limit);
      },
    },
  );
}

/** The header that carries a component's data version on the reads the dashboard makes. */
export const DATA_VERSION_HEADER = 'data-version';

/** A feed's data version as an SQL expression (the newest sequence number, 0 when none), to read with the data. */
export const lastSeqSql = (table: EventTable): string => `(SELECT COALESCE(MAX(Seq), 0) FROM ${table})`;

function lastSeq(db: Database, table: EventTable): number {
  const [row] = db.query(`SELECT ${lastSeqSql(table)} AS Seq`);
  return row ? (numberColumn(row, 'Seq') ?? 0) : 0;
}

export function lastSeqOperation(openDatabase: () => Database, table: EventTable): Operation {
  return {
    operationId: `${nounOf(table)}.dataVersion`,
    summary: `The ${nounOf(table)} data version: the newest event's sequence number`,
    responses: { 200: jsonResponse(DataVersionShape.schema) },
    problems: [],
    handle: () => json({ seq: lastSeq(openDatabase(), table) }),
  };
}

/** The `Data-Version` response header, documented. */
export const DATA_VERSION_DOC = {
  'Data-Version': {
    description: 'The data version the answer is at least as new as (see events/last)',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
};

/** The `Data-Version` header for a version read in the same statement as the data ({@link lastSeqSql}). */
export const versionHeader = (version: number): Record<string, string> => ({ [DATA_VERSION_HEADER]: String(version) });

/**
 * The `Data-Version` header of a read the dashboard makes. Call it after the request is validated and BEFORE
 * the data is read, so the answer is at least as new as the version it carries: a cache that keys on it may
 * refetch needlessly, never serve an old answer as new.
 */
export function dataVersionHeader(db: Database, table: EventTable): Record<string, string> {
  return versionHeader(lastSeq(db, table));
}
