/**
 * The incidents component as a plain `(Request) => Promise<Response>` app.
 * The database is injected, so this runs unchanged in Wasm (Spin SQLite) and in Node tests (a SQLite file).
 */
import { createApp, json, type App, type AppOptions } from '../../common/src/http';
import { jsonGroups } from '../../common/src/json-groups';
import { pagedList } from '../../common/src/paging';
import { parseId, parseLimit } from '../../common/src/params';
import { HttpError } from '../../common/src/problem';
import type { Database } from '../../common/src/sql';
import { createIncidentsRepository } from './repository';

export interface IncidentsAppOptions extends AppOptions {
  /** Opens the database; called only by routes that read data. */
  openDatabase: () => Database;
}

export function createIncidentsApp({ openDatabase, ...options }: IncidentsAppOptions): App {
  const incidents = () => createIncidentsRepository(openDatabase());
  return createApp(
    [
      {
        path: '/incidents/items',
        get: ({ url }) =>
          pagedList(url, { cursorArity: 1, read: (limit, after) => incidents().listPage(limit, after), cursorOf: (i) => [i.id ?? ''] }),
      },
      {
        path: '/incidents/items/:id',
        get: ({ params }) => {
          const id = parseId(params.id ?? '');
          const incident = incidents().find(id);
          if (!incident) throw new HttpError(404, 'not-found', `There is no incident with id ${JSON.stringify(id)}.`);
          return json(incident);
        },
      },
      {
        // Paged by incidents: a customer's incidents may continue on the next page, under the same key.
        path: '/incidents/grouped-by-customer',
        get: ({ url }) =>
          pagedList(url, {
            cursorArity: 2,
            read: (limit, after) => incidents().byCustomerPage(limit, after),
            cursorOf: (i) => [i.customerName ?? '', i.id ?? ''],
            render: (items) => jsonGroups(items, (i) => i.customerName ?? ''),
          }),
      },
      {
        path: '/incidents/top/by-count/:limit',
        get: ({ params }) => {
          const limit = parseLimit(params.limit ?? '');
          return json(incidents().topByCount(limit));
        },
      },
      {
        path: '/incidents/top/by-volume/:limit',
        get: ({ params }) => {
          const limit = parseLimit(params.limit ?? '');
          return json(incidents().topByVolume(limit));
        },
      },
    ],
    { component: 'incidents-service', ...options },
  );
}
