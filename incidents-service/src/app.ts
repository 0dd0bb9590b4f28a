/**
 * The incidents component as a plain `(Request) => Promise<Response>` app.
 * The database is injected, so this runs unchanged in Wasm (Spin SQLite) and in Node tests (a SQLite file).
 */
import { createApp, json, jsonObject, type App, type AppOptions } from '../../common/src/http';
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
      { path: '/incidents/items', get: () => json(incidents().list()) },
      {
        path: '/incidents/items/:id',
        get: ({ params }) => {
          const id = parseId(params.id ?? '');
          const incident = incidents().find(id);
          if (!incident) throw new HttpError(404, 'not-found', `There is no incident with id ${JSON.stringify(id)}.`);
          return json(incident);
        },
      },
      { path: '/incidents/grouped-by-customer', get: () => jsonObject(incidents().groupedByCustomer()) },
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
