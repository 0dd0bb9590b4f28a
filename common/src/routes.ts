/**
 * The route table's types: a route is a path and, per method, an {@link Operation} (the handler and its
 * description, from which the component's OpenAPI document is written: see openapi.ts).
 */
import type { Operation } from './openapi';
import type { Trace } from './trace';

/** What a route handler receives. */
export interface RouteContext {
  request: Request;
  url: URL;
  /** Decoded path parameters. */
  params: Record<string, string>;
  trace: Trace;
  /** The caller's remaining budget in ms (`x-budget-ms`), or `null` when it set none. */
  budgetMs: number | null;
}

export type RouteHandler = (context: RouteContext) => Response | Promise<Response>;

/** The methods a route may answer besides the HEAD and OPTIONS every route gets. */
export const ROUTE_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];

export type RouteDefinition = {
  /** An itty-router pattern such as `/customers/items/:id`. */
  path: string;
} & { [M in RouteMethod]?: Operation };

/** Where the operations of the whole app are listed (the aggregates component's catalog). */
export const CATALOG_PATH = '/aggregates/openapi.json';
