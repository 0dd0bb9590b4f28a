/**
 * The customers component as a plain `(Request) => Promise<Response>` app.
 * The database is injected, so this runs unchanged in Wasm (Spin SQLite) and in Node tests (a SQLite file).
 */
import { createApp, json, type App, type AppOptions } from '../../common/src/http';
import { pagedList } from '../../common/src/paging';
import { parseId, parseLimit } from '../../common/src/params';
import { HttpError } from '../../common/src/problem';
import type { Database } from '../../common/src/sql';
import { createCustomersRepository } from './repository';

export interface CustomersAppOptions extends AppOptions {
  /** Opens the database; called only by routes that read data. */
  openDatabase: () => Database;
}

export function createCustomersApp({ openDatabase, ...options }: CustomersAppOptions): App {
  const customers = () => createCustomersRepository(openDatabase());
  return createApp(
    [
      {
        path: '/customers/items',
        get: ({ url }) =>
          pagedList(url, {
            cursorArity: 2,
            read: (limit, after) => customers().listPage(limit, after),
            cursorOf: (c) => [c.name ?? '', c.id ?? ''],
          }),
      },
      {
        path: '/customers/items/:id',
        get: ({ params }) => {
          const id = parseId(params.id ?? '');
          const customer = customers().find(id);
          if (!customer) throw new HttpError(404, 'not-found', `There is no customer with id ${JSON.stringify(id)}.`);
          return json(customer);
        },
      },
      { path: '/customers/count', get: () => json({ count: customers().count() }) },
      {
        path: '/customers/top/:limit',
        get: ({ params }) => {
          const limit = parseLimit(params.limit ?? '');
          return json(customers().top(limit));
        },
      },
    ],
    { component: 'customers-service', ...options },
  );
}
