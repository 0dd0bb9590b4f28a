/**
 * The route table's types: a route is a path and, per method, an {@link Operation} (the handler and its
 * description, from which the component's OpenAPI document is written: see openapi.ts, which re-exports the
 * description types).
 */
import type { ProblemCode } from './problem';
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

/** A JSON Schema (2020-12) object. */
export type JsonSchema = { [keyword: string]: unknown };

export interface ParameterDoc {
  description: string;
  schema: JsonSchema;
  /** Query parameters and headers are optional unless this says otherwise; path parameters always required. */
  required?: boolean;
}

export interface ResponseDoc {
  description: string;
  /** The body's schema by media type; none: an empty body. */
  content?: Record<string, JsonSchema>;
  /** Response headers worth knowing (`Location`, `ETag`, `Link`...). */
  headers?: Record<string, ParameterDoc>;
}

/** What an operation does and answers, in the terms of an OpenAPI operation object. */
export interface OperationDoc {
  /** Unique in the whole app: `<component>.<verb>` such as `customers.create`. */
  operationId: string;
  summary: string;
  description?: string;
  /** Each `:name` of the route's path. */
  path?: Record<string, ParameterDoc>;
  query?: Record<string, ParameterDoc>;
  /** Request headers the operation reads (`If-Match`...). */
  headers?: Record<string, ParameterDoc>;
  /** Needs `Authorization: Bearer <api_token>` (adds the 401 and 403 problems). */
  bearer?: boolean;
  body?: { contentTypes: readonly string[]; schema: JsonSchema; description?: string };
  /** The answers that are not problems, by status. */
  responses: Record<number, ResponseDoc>;
  /** The problems the operation itself may answer; those of the shared HTTP layer are added. */
  problems: readonly ProblemCode[];
}

/** One method of a route: how it is answered and how it is described. */
export interface Operation extends OperationDoc {
  handle: RouteHandler;
}

export type RouteDefinition = {
  /** An itty-router pattern such as `/customers/items/:id`. */
  path: string;
} & { [M in RouteMethod]?: Operation };

/** Where the operations of the whole app are listed (the aggregates component's catalog). */
export const CATALOG_PATH = '/aggregates/openapi.json';
