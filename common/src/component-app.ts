/** How every component that serves its own OpenAPI document makes its app (the aggregates one merges its own). */
import { createApp, type App, type AppOptions } from './http';
import { componentInfo, withOpenApi } from './openapi';
import type { RouteDefinition } from './routes';

/** `routes` served as `component`'s app, plus `GET <documentPath>` answering their OpenAPI document. */
export function createComponentApp(
  routes: RouteDefinition[],
  documentPath: string,
  component: string,
  description: string,
  options: AppOptions = {},
): App {
  return createApp(withOpenApi(routes, documentPath, componentInfo(component, description)), { component, ...options });
}
