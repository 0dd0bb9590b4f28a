/**
 * The aggregates component. Until the dashboard is built it answers every path under /aggregates/
 * with 501 problem+json, so clients get an honest, machine-readable answer instead of a hang or a 404.
 */
import { createApp, type App, type AppOptions } from '../../common/src/http';
import { HttpError } from '../../common/src/problem';

export function createAggregatesApp(options: AppOptions = {}): App {
  return createApp(
    [
      {
        path: '/aggregates/*',
        get: () => {
          throw new HttpError(501, 'not-implemented', 'The dashboard is not implemented yet.');
        },
      },
    ],
    options,
  );
}
