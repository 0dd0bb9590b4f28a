/**
 * The customers component as a plain `(Request) => Promise<Response>` app.
 * The database is injected, so this runs unchanged in Wasm (Spin SQLite) and in Node tests (a SQLite file).
 */
import { aggregateRoutes } from '../../common/src/aggregate-api';
import { dataVersionHeader, eventFeedRoute, lastSeqRoute } from '../../common/src/event-feed';
import { createApp, json, type App, type AppOptions } from '../../common/src/http';
import { pagedList } from '../../common/src/paging';
import { filters, parseLimit } from '../../common/src/params';
import type { Database } from '../../common/src/sql';
import { CUSTOMER_FIELDS, createCustomersRepository, createCustomersStore, type CustomerFilters, type CustomerSummary } from './repository';

export interface CustomersAppOptions extends AppOptions {
  /** Opens the database; called only by routes that use data. */
  openDatabase: () => Database;
  /** The API token writes need (the Spin variable `api_token`); none (the default) or empty: writes are refused. */
  apiToken?: () => string | null;
  /** Ids of new customers (default: random UUIDs). */
  newId?: () => string;
}

export function createCustomersApp({ openDatabase, apiToken = () => null, newId = () => crypto.randomUUID(), ...options }: CustomersAppOptions): App {
  const customers = () => createCustomersRepository(openDatabase());
  /** The `Data-Version` of the reads the dashboard makes (see dataVersionHeader). */
  const dataVersion = () => dataVersionHeader(openDatabase(), 'CustomerEvents');
  const items = aggregateRoutes({
    noun: 'customer',
    collection: '/customers/items',
    fields: CUSTOMER_FIELDS,
    openDatabase,
    store: createCustomersStore,
    apiToken,
    newId,
  });
  return createApp(
    [
      {
        path: '/customers/items',
        get: ({ url }) =>
          pagedList<CustomerSummary, CustomerFilters>(url, {
            cursorArity: 2,
            filters: {
              country: filters.text('country'),
              minScoring: filters.integer('minScoring', 0, 10),
              updatedSince: filters.timestamp('updatedSince'),
            },
            read: (limit, after, where) => customers().listPage(limit, after, where),
            cursorOf: (c) => [c.name ?? '', c.id ?? ''],
          }),
        post: items.create,
      },
      { path: '/customers/items/:id', get: items.read, put: items.replace, patch: items.patch, delete: items.remove },
      {
        path: '/customers/count',
        get: () => {
          const headers = dataVersion();
          return json({ count: customers().count() }, { headers });
        },
      },
      {
        path: '/customers/top/:limit',
        get: ({ params }) => {
          const limit = parseLimit(params.limit ?? '');
          const headers = dataVersion();
          return json(customers().top(limit), { headers });
        },
      },
      { path: '/customers/events', get: eventFeedRoute(openDatabase, 'CustomerEvents') },
      { path: '/customers/events/last', get: lastSeqRoute(openDatabase, 'CustomerEvents') },
    ],
    { component: 'customers-service', ...options },
  );
}
