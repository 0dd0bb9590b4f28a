/**
 * The incidents component as a plain `(Request) => Promise<Response>` app.
 * The database is injected, so this runs unchanged in Wasm (Spin SQLite) and in Node tests (a SQLite file).
 * Each route's operations carry their description, from which `/incidents/openapi.json` is written.
 */
import { writeRoutes } from '@aggregates/common/write-api';
import { createComponentApp } from '@aggregates/common/component-app';
import {
  DATA_VERSION_DOC,
  dataVersionHeader,
  eventFeedOperation,
  lastSeqOperation,
  versionHeader,
} from '@aggregates/common/event-feed';
import type { App, AppOptions } from '@aggregates/common/http';
import { queryParam } from '@aggregates/common/query';
import { json } from '@aggregates/common/responses';
import type { RouteDefinition, RouteContext } from '@aggregates/common/routes';
import { jsonGroups } from '@aggregates/common/json-groups';
import { arrayOf, jsonResponse, type JsonSchema, type Operation, type ParameterDoc } from '@aggregates/common/openapi';
import { checkQueryNames, pagedListOperation } from '@aggregates/common/paging';
import { filters, LIMIT_PARAMETER, parseId, parseLimit } from '@aggregates/common/params';
import { HttpError } from '@aggregates/common/problem';
import type { Database } from '@aggregates/common/sql';
import {
  IncidentCountShape,
  IncidentGroupsShape,
  IncidentRankingsShape,
  IncidentShape,
  IncidentSummaryShape,
  IncidentVolumeShape,
  NameStandingShape,
  NameTotalsShape,
  type IncidentSummary,
  type NameTotals,
} from '@aggregates/common/wire/incident';
import { CATEGORIES, INCIDENT_FIELDS } from './fields';
import {
  createIncidentsRepository,
  INCIDENTS_BY_CUSTOMER,
  INCIDENTS_BY_ID,
  TOTALS_BY_NAME,
  type IncidentFilters,
} from './repository';
import { createIncidentsStore } from './store';

export interface IncidentsAppOptions extends AppOptions {
  /** Opens the database; called only by routes that use data. */
  openDatabase: () => Database;
  /** The API token writes need (the Spin variable `api_token`); none (the default) or empty: writes are refused. */
  apiToken?: () => string | null;
  /** Ids of new incidents (default: random UUIDs). */
  newId?: () => string;
}

const COMPONENT = 'incidents-service';

/** The most incidents `/incidents/latest` answers, and how many by default. */
export const LATEST_MAX = 100;
export const LATEST_DEFAULT = 5;

/** A query parameter every call must give (a 400 naming it when absent). */
function requiredQuery(url: URL, name: string): string {
  const value = queryParam(url, name);
  if (value === null) throw new HttpError(400, 'invalid-query', `The query parameter ${name} is required.`);
  return value;
}

/** The longest name `/incidents/standing` takes, in UTF-16 code units: names are compared as stored, whatever wrote them. */
const MAX_STORED_NAME = 4096;

const CUSTOMER_NAME_QUERY: ParameterDoc = {
  required: true,
  description:
    'The customer name exactly as stored: not trimmed or normalised (it may be one plain SQL wrote), so the aggregates component can pass on the name it read',
  schema: { type: 'string', maxLength: MAX_STORED_NAME },
};

/** `?customerName=` of `/incidents/standing`: as given, any text up to {@link MAX_STORED_NAME} code units. */
function storedName(raw: string): string {
  if (raw.length > MAX_STORED_NAME)
    throw new HttpError(
      400,
      'invalid-query',
      `customerName must be at most ${MAX_STORED_NAME} characters; got ${raw.length}.`,
    );
  return raw;
}

function incidentsRoutes({
  openDatabase,
  apiToken = () => null,
  newId = () => crypto.randomUUID(),
}: IncidentsAppOptions): RouteDefinition[] {
  const incidents = () => createIncidentsRepository(openDatabase());
  /** The `Data-Version` of the reads the dashboard makes (see dataVersionHeader). */
  const dataVersion = () => dataVersionHeader(openDatabase(), 'IncidentEvents');
  const items = writeRoutes({
    noun: 'incident',
    plural: 'incidents',
    collection: '/incidents/items',
    resource: IncidentShape.schema,
    fields: INCIDENT_FIELDS,
    openDatabase,
    readHeaders: () => dataVersion(),
    store: createIncidentsStore,
    apiToken,
    newId,
  });
  /** A top-N read of the per-name totals: the limit checked, the data version read before the data. */
  const topOperation = (
    operationId: string,
    summary: string,
    entry: JsonSchema,
    read: (limit: number) => unknown,
  ): Operation => ({
    operationId,
    summary,
    path: { limit: LIMIT_PARAMETER },
    responses: { 200: jsonResponse(arrayOf(entry), 'OK', DATA_VERSION_DOC) },
    problems: ['invalid-limit'],
    handle: ({ params }) => {
      const limit = parseLimit(params.limit ?? '');
      const headers = dataVersion();
      return json(read(limit), { headers });
    },
  });
  const latestLimit = filters.integer('limit', 1, LATEST_MAX, `How many (default ${LATEST_DEFAULT})`);
  return [
    {
      path: '/incidents/items',
      get: pagedListOperation<IncidentSummary, IncidentFilters>(
        {
          operationId: 'incidents.list',
          summary: 'Incidents by id (code-point order), paged',
          page: arrayOf(IncidentSummaryShape.schema),
        },
        {
          order: INCIDENTS_BY_ID,
          filters: {
            customerName: filters.text('customerName', 'Only incidents of this customer name'),
            customerId: filters.text('customerId', 'Only incidents of the customer with this id (ASCII case ignored)'),
            category: filters.oneOf('category', CATEGORIES, 'Only incidents of this category'),
            updatedSince: filters.timestamp('updatedSince', 'Only incidents changed at or after this time'),
          },
          read: (limit, after, where) => incidents().listPage(limit, after, where),
        },
      ),
      post: items.create,
    },
    { path: '/incidents/items/:id', get: items.read, put: items.replace, patch: items.patch, delete: items.remove },
    {
      // Paged by incidents: a customer's incidents may continue on the next page, under the same key.
      path: '/incidents/grouped-by-customer',
      get: pagedListOperation(
        {
          operationId: 'incidents.grouped',
          summary: 'Every incident, grouped by customer name, paged',
          page: IncidentGroupsShape.schema,
          headers: DATA_VERSION_DOC,
        },
        {
          order: INCIDENTS_BY_CUSTOMER,
          headers: dataVersion,
          read: (limit, after) => incidents().byCustomerPage(limit, after),
          render: (list) => jsonGroups(list, (i) => i.customerName ?? ''),
        },
      ),
    },
    {
      path: '/incidents/top/by-count/:limit',
      get: topOperation(
        'incidents.topByCount',
        'The customer names with the most incidents, ties by name (code-point order)',
        IncidentCountShape.schema,
        (limit) => incidents().topByCount(limit),
      ),
    },
    {
      path: '/incidents/top/by-volume/:limit',
      get: topOperation(
        'incidents.topByVolume',
        'The customer names with the highest incident volume, ties by name (code-point order)',
        IncidentVolumeShape.schema,
        (limit) => incidents().topByVolume(limit),
      ),
    },
    {
      path: '/incidents/rankings/:limit',
      get: {
        operationId: 'incidents.rankings',
        summary: 'Both incident rankings in one answer (what the dashboard needs of this component)',
        description:
          'The answers of /incidents/top/by-count/{limit} and /incidents/top/by-volume/{limit} together, read in one statement (one snapshot of the database, the Data-Version header at the same point), from the trigger-kept totals.',
        path: { limit: LIMIT_PARAMETER },
        responses: { 200: jsonResponse(IncidentRankingsShape.schema, 'OK', DATA_VERSION_DOC) },
        problems: ['invalid-limit'],
        handle: ({ params }) => {
          const { version, mostIncidents, highestVolume } = incidents().rankings(parseLimit(params.limit ?? ''));
          return json({ mostIncidents, highestVolume }, { headers: versionHeader(version) });
        },
      },
    },
    {
      path: '/incidents/totals',
      get: pagedListOperation<NameTotals>(
        {
          operationId: 'incidents.totals',
          summary: 'Each customer name with its incident count and exact volume, by name (code-point order), paged',
          description:
            'Read from the per-name totals the triggers keep: the cost grows with the number of names, not of incidents.',
          page: arrayOf(NameTotalsShape.schema),
          headers: DATA_VERSION_DOC,
        },
        {
          order: TOTALS_BY_NAME,
          headers: dataVersion,
          read: (limit, after) => incidents().totalsPage(limit, after),
        },
      ),
    },
    {
      path: '/incidents/standing',
      get: {
        operationId: 'incidents.standing',
        summary: "A customer name's incident count and volume, and its positions in the dashboard's incident rankings",
        query: { customerName: CUSTOMER_NAME_QUERY },
        responses: { 200: jsonResponse(NameStandingShape.schema, 'OK', DATA_VERSION_DOC) },
        problems: ['invalid-query'],
        handle: ({ url }: RouteContext) => {
          checkQueryNames(url, ['customerName']);
          const name = storedName(requiredQuery(url, 'customerName'));
          const headers = dataVersion();
          return json(incidents().standing(name), { headers });
        },
      },
    },
    {
      path: '/incidents/latest',
      get: {
        operationId: 'incidents.latest',
        summary: "A customer's newest incidents (by creation time, then id)",
        query: {
          customerId: {
            required: true,
            description: 'The id of the customer (ASCII case ignored)',
            schema: { type: 'string', minLength: 1, maxLength: 200 },
          },
          limit: latestLimit.doc,
        },
        responses: {
          200: jsonResponse(
            arrayOf(IncidentShape.schema),
            'Newest first; empty when the customer has none (or does not exist)',
            DATA_VERSION_DOC,
          ),
        },
        problems: ['invalid-query', 'invalid-id'],
        handle: ({ url }) => {
          checkQueryNames(url, ['customerId', 'limit']);
          const customerId = parseId(requiredQuery(url, 'customerId'));
          const rawLimit = queryParam(url, 'limit');
          const limit = rawLimit === null ? LATEST_DEFAULT : latestLimit.parse(rawLimit);
          const headers = dataVersion();
          return json(incidents().latest(customerId, limit), { headers });
        },
      },
    },
    { path: '/incidents/events', get: eventFeedOperation(openDatabase, 'IncidentEvents') },
    { path: '/incidents/events/last', get: lastSeqOperation(openDatabase, 'IncidentEvents') },
  ];
}

export const INCIDENTS_DOCUMENT_PATH = '/incidents/openapi.json';

export function createIncidentsApp(options: IncidentsAppOptions): App {
  const routes = incidentsRoutes(options);
  return createComponentApp(
    routes,
    INCIDENTS_DOCUMENT_PATH,
    COMPONENT,
    'The Incidents aggregate: reads, per-customer totals kept by triggers, versioned writes (ETag/If-Match, bearer token) and its event feed.',
    options,
  );
}
