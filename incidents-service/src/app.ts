/**
 * The incidents component as a plain `(Request) => Promise<Response>` app.
 * The database is injected, so this runs unchanged in Wasm (Spin SQLite) and in Node tests (a SQLite file).
 */
import { aggregateRoutes } from '../../common/src/aggregate-api';
import { dataVersionHeader, eventFeedRoute, lastSeqRoute } from '../../common/src/event-feed';
import { createApp, json, type App, type AppOptions } from '../../common/src/http';
import { jsonGroups } from '../../common/src/json-groups';
import { pagedList } from '../../common/src/paging';
import { filters, parseLimit } from '../../common/src/params';
import type { Database } from '../../common/src/sql';
import { CATEGORIES, createIncidentsRepository, createIncidentsStore, INCIDENT_FIELDS, type IncidentFilters, type IncidentSummary } from './repository';

export interface IncidentsAppOptions extends AppOptions {
  /** Opens the database; called only by routes that use data. */
  openDatabase: () => Database;
  /** The API token writes need (the Spin variable `api_token`); none (the default) or empty: writes are refused. */
  apiToken?: () => string | null;
  /** Ids of new incidents (default: random UUIDs). */
  newId?: () => string;
}

export function createIncidentsApp({ openDatabase, apiToken = () => null, newId = () => crypto.randomUUID(), ...options }: IncidentsAppOptions): App {
  const incidents = () => createIncidentsRepository(openDatabase());
  /** The `Data-Version` of the reads the dashboard makes (see dataVersionHeader). */
  const dataVersion = () => dataVersionHeader(openDatabase(), 'IncidentEvents');
  const items = aggregateRoutes({
    noun: 'incident',
    collection: '/incidents/items',
    fields: INCIDENT_FIELDS,
    openDatabase,
    store: createIncidentsStore,
    apiToken,
    newId,
  });
  return createApp(
    [
      {
        path: '/incidents/items',
        get: ({ url }) =>
          pagedList<IncidentSummary, IncidentFilters>(url, {
            cursorArity: 1,
            filters: {
              customerName: filters.text('customerName'),
              customerId: filters.text('customerId'),
              category: filters.oneOf('category', CATEGORIES),
              updatedSince: filters.timestamp('updatedSince'),
            },
            read: (limit, after, where) => incidents().listPage(limit, after, where),
            cursorOf: (i) => [i.id ?? ''],
          }),
        post: items.create,
      },
      { path: '/incidents/items/:id', get: items.read, put: items.replace, patch: items.patch, delete: items.remove },
      {
        // Paged by incidents: a customer's incidents may continue on the next page, under the same key.
        path: '/incidents/grouped-by-customer',
        get: ({ url }) =>
          pagedList(url, {
            cursorArity: 2,
            headers: dataVersion,
            read: (limit, after) => incidents().byCustomerPage(limit, after),
            cursorOf: (i) => [i.customerName ?? '', i.id ?? ''],
            render: (items) => jsonGroups(items, (i) => i.customerName ?? ''),
          }),
      },
      {
        path: '/incidents/top/by-count/:limit',
        get: ({ params }) => {
          const limit = parseLimit(params.limit ?? '');
          const headers = dataVersion();
          return json(incidents().topByCount(limit), { headers });
        },
      },
      {
        path: '/incidents/top/by-volume/:limit',
        get: ({ params }) => {
          const limit = parseLimit(params.limit ?? '');
          const headers = dataVersion();
          return json(incidents().topByVolume(limit), { headers });
        },
      },
      { path: '/incidents/events', get: eventFeedRoute(openDatabase, 'IncidentEvents') },
      { path: '/incidents/events/last', get: lastSeqRoute(openDatabase, 'IncidentEvents') },
    ],
    { component: 'incidents-service', ...options },
  );
}
