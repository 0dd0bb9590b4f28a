/**
 * The customers component as a plain `(Request) => Promise<Response>` app.
 * The database is injected, so this runs unchanged in Wasm (Spin SQLite) and in Node tests (a SQLite file).
 * Each route's operations carry their description, from which `/customers/openapi.json` is written.
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
import { json } from '@aggregates/common/responses';
import type { RouteDefinition } from '@aggregates/common/routes';
import { arrayOf, jsonResponse } from '@aggregates/common/openapi';
import { pagedListOperation } from '@aggregates/common/paging';
import { filters, ID_PARAMETER, LIMIT_PARAMETER, parseId, parseLimit } from '@aggregates/common/params';
import { HttpError } from '@aggregates/common/problem';
import type { Database } from '@aggregates/common/sql';
import {
  CustomerCountAndTopShape,
  CustomerCountShape,
  CustomerRankShape,
  CustomerShape,
  CustomerSummaryShape,
  type CustomerSummary,
} from '@aggregates/common/wire/customer';
import {
  CUSTOMER_FIELDS,
  CUSTOMERS_BY_NAME,
  createCustomersRepository,
  createCustomersStore,
  type CustomerFilters,
} from './repository';

export interface CustomersAppOptions extends AppOptions {
  /** Opens the database; called only by routes that use data. */
  openDatabase: () => Database;
  /** The API token writes need (the Spin variable `api_token`); none (the default) or empty: writes are refused. */
  apiToken?: () => string | null;
  /** Ids of new customers (default: random UUIDs). */
  newId?: () => string;
}

const COMPONENT = 'customers-service';

/** The routes of the customers component; `openDatabase` and the rest are those of {@link createCustomersApp}. */
function customersRoutes({
  openDatabase,
  apiToken = () => null,
  newId = () => crypto.randomUUID(),
}: CustomersAppOptions): RouteDefinition[] {
  const customers = () => createCustomersRepository(openDatabase());
  /** The `Data-Version` of the reads the dashboard makes (see dataVersionHeader). */
  const dataVersion = () => dataVersionHeader(openDatabase(), 'CustomerEvents');
  const items = writeRoutes({
    noun: 'customer',
    plural: 'customers',
    collection: '/customers/items',
    resource: CustomerShape.schema,
    referenced: true,
    fields: CUSTOMER_FIELDS,
    openDatabase,
    readHeaders: () => dataVersion(),
    store: createCustomersStore,
    apiToken,
    newId,
  });
  return [
    {
      path: '/customers/items',
      get: pagedListOperation<CustomerSummary, CustomerFilters>(
        {
          operationId: 'customers.list',
          summary: 'Customers by name, then id (code-point order), paged',
          page: arrayOf(CustomerSummaryShape.schema),
          headers: DATA_VERSION_DOC,
        },
        {
          order: CUSTOMERS_BY_NAME,
          headers: dataVersion,
          filters: {
            country: filters.text('country', 'Only customers in this country'),
            minScoring: filters.integer('minScoring', 0, 10, 'Only customers scored at least this'),
            updatedSince: filters.timestamp('updatedSince', 'Only customers changed at or after this time'),
          },
          read: (limit, after, where) => customers().listPage(limit, after, where),
        },
      ),
      post: items.create,
    },
    { path: '/customers/items/:id', get: items.read, put: items.replace, patch: items.patch, delete: items.remove },
    {
      path: '/customers/items/:id/rank',
      get: {
        operationId: 'customers.rank',
        summary: "Where a customer stands in the dashboard's topCustomers order",
        description: 'Counted on the index of that order, so it costs the number of customers ahead, not a sort.',
        path: { id: ID_PARAMETER },
        responses: { 200: jsonResponse(CustomerRankShape.schema, 'OK', DATA_VERSION_DOC) },
        problems: ['invalid-id', 'not-found'],
        handle: ({ params }) => {
          const id = parseId(params.id ?? '');
          const headers = dataVersion();
          const rank = customers().rank(id);
          if (!rank) throw new HttpError(404, 'not-found', `There is no customer with id ${JSON.stringify(id)}.`);
          return json(rank, { headers });
        },
      },
    },
    {
      path: '/customers/count',
      get: {
        operationId: 'customers.count',
        summary: 'How many customers there are',
        responses: { 200: jsonResponse(CustomerCountShape.schema, 'OK', DATA_VERSION_DOC) },
        problems: [],
        handle: () => {
          const headers = dataVersion();
          return json({ count: customers().count() }, { headers });
        },
      },
    },
    {
      path: '/customers/top/:limit',
      get: {
        operationId: 'customers.top',
        summary: 'The best-scored customers, ties by name then id (code-point order)',
        path: { limit: LIMIT_PARAMETER },
        responses: { 200: jsonResponse(arrayOf(CustomerSummaryShape.schema), 'OK', DATA_VERSION_DOC) },
        problems: ['invalid-limit'],
        handle: ({ params }) => {
          const limit = parseLimit(params.limit ?? '');
          const headers = dataVersion();
          return json(customers().top(limit), { headers });
        },
      },
    },
    {
      path: '/customers/count-and-top/:limit',
      get: {
        operationId: 'customers.countAndTop',
        summary: 'The count and the best-scored customers in one answer (what the dashboard needs of this component)',
        description:
          'The answers of /customers/count and /customers/top/{limit} together, read in one statement (one snapshot of the database): the count, the top and the Data-Version header are all at the same point, whatever is written meanwhile.',
        path: { limit: LIMIT_PARAMETER },
        responses: { 200: jsonResponse(CustomerCountAndTopShape.schema, 'OK', DATA_VERSION_DOC) },
        problems: ['invalid-limit'],
        handle: ({ params }) => {
          const { version, count, top } = customers().countAndTop(parseLimit(params.limit ?? ''));
          return json({ count, top }, { headers: versionHeader(version) });
        },
      },
    },
    { path: '/customers/events', get: eventFeedOperation(openDatabase, 'CustomerEvents') },
    { path: '/customers/events/last', get: lastSeqOperation(openDatabase, 'CustomerEvents') },
  ];
}

export const CUSTOMERS_DOCUMENT_PATH = '/customers/openapi.json';

export function createCustomersApp(options: CustomersAppOptions): App {
  const routes = customersRoutes(options);
  return createComponentApp(
    routes,
    CUSTOMERS_DOCUMENT_PATH,
    COMPONENT,
    'The Customers aggregate: reads, versioned writes (ETag/If-Match, bearer token) and its event feed.',
    options,
  );
}
