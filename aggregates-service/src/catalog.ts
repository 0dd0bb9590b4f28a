/**
 * `GET /aggregates/openapi.json`: the catalog of the whole app. The aggregates component's own document,
 * merged with the documents of the other components, fetched by local service chaining under the dashboard's
 * deadline, retry, cache and partial-answer rules. A component that does not answer is not dropped in silence:
 * the catalog then carries `x-errors` and `x-sources` (as the dashboard's `errors` and `sources`), its tag says
 * so, and the `Catalog-Incomplete` header names it.
 *
 * Merging: paths and tags are united (the components' routes do not overlap; a path two documents claim is
 * kept from the first and reported). Schemas of the same name are kept once when equal; a different one is
 * renamed `<component>.<name>` with the references to it.
 */
import { APP_VERSION } from '@aggregates/common/app-info';
import { json } from '@aggregates/common/responses';
import type { OpenApiDocument } from '@aggregates/common/openapi';
import { compose } from './compose';
import type { FailurePolicy } from './config';
import type { Source } from './downstream';
import { fetchParts, type FetchContext } from './fetch-parts';
import { part, type Part } from './parts';
import { isRecord } from '@aggregates/common/wire/shape';

/** The composition's name: its headers are `Catalog-Incomplete` and `Catalog-Stale`. */
export const CATALOG = 'catalog';

/** The other components and where each publishes its document. */
export const COMPONENT_DOCUMENTS: ReadonlyArray<{ source: Source; path: string }> = [
  { source: 'customers-service', path: '/customers/openapi.json' },
  { source: 'incidents-service', path: '/incidents/openapi.json' },
  { source: 'page-service', path: '/page/openapi.json' },
  { source: 'docs-service', path: '/aggregates/docs/openapi.json' },
];

type Documents = Record<Source, OpenApiDocument>;

/** What the merge relies on; the full rules are the OpenAPI schema's, which the tests check. */
function openApiShape(body: unknown): OpenApiDocument {
  if (
    !isRecord(body) ||
    typeof body.openapi !== 'string' ||
    !/^3\.1\./.test(body.openapi) ||
    !isRecord(body.paths) ||
    !isRecord(body.info)
  ) {
    throw new Error('expected an OpenAPI 3.1 document with info and paths');
  }
  if (body.components !== undefined && !isRecord(body.components)) throw new Error('components must be an object');
  if (body.tags !== undefined && !Array.isArray(body.tags)) throw new Error('tags must be an array');
  return body as OpenApiDocument;
}

const documentParts = (): Part<Documents>[] =>
  COMPONENT_DOCUMENTS.map(({ source, path }) => ({
    ...part<OpenApiDocument, Documents>(
      source,
      path,
      [source],
      openApiShape,
      (document) => ({ [source]: document }) as Partial<Documents>,
    ),
    // A document changes with a deployment, not with the data: its cache entries are fresh for the TTL alone.
    versioned: false,
  }));

/** Replaces `#/components/schemas/<from>` references by `<to>`'s, everywhere in `value`. */
function renameRefs(value: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, renames));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const target =
      key === '$ref' && typeof item === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(item)?.[1] : undefined;
    out[key] =
      target !== undefined && renames.has(target)
        ? `#/components/schemas/${renames.get(target)}`
        : renameRefs(item, renames);
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `own` with `others` merged into it; conflicts are listed, never silent. */
export function mergeDocuments(
  own: OpenApiDocument,
  others: Array<{ component: string; document: OpenApiDocument }>,
): { document: OpenApiDocument; conflicts: string[] } {
  const merged = JSON.parse(JSON.stringify(own)) as OpenApiDocument;
  merged.components.schemas ??= {};
  const conflicts: string[] = [];
  for (const { component, document } of others) {
    const schemas = (document.components?.schemas ?? {}) as Record<string, unknown>;
    const renames = new Map<string, string>();
    for (const [name, schema] of Object.entries(schemas)) {
      const known = merged.components.schemas[name];
      if (known !== undefined && !same(known, schema)) renames.set(name, `${component}.${name}`);
    }
    const incoming = renameRefs(document, renames) as OpenApiDocument;
    for (const [name, schema] of Object.entries(
      (incoming.components?.schemas ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      merged.components.schemas[renames.get(name) ?? name] ??= schema;
    }
    for (const [name, scheme] of Object.entries(
      (incoming.components?.securitySchemes ?? {}) as Record<string, unknown>,
    )) {
      merged.components.securitySchemes ??= {};
      if (merged.components.securitySchemes[name] === undefined) merged.components.securitySchemes[name] = scheme;
      else if (!same(merged.components.securitySchemes[name], scheme))
        conflicts.push(`${component}: security scheme ${name} differs; the first one is kept`);
    }
    for (const tag of incoming.tags ?? []) if (!merged.tags.some((t) => t.name === tag.name)) merged.tags.push(tag);
    for (const [path, item] of Object.entries(incoming.paths)) {
      if (merged.paths[path] !== undefined)
        conflicts.push(
          `${component}: ${path} is already served by another component; its operations there are left out`,
        );
      else merged.paths[path] = item;
    }
  }
  return { document: merged, conflicts };
}

const CATALOG_DESCRIPTION =
  'Every operation of the aggregates dashboard, one tag per component: the aggregates component (the dashboard and the operations composed from both data components), the customers and incidents components (their aggregates, writes and event feeds), the page and its docs. Errors are application/problem+json; each response lists the problem types it may carry. Every GET also answers HEAD, every path OPTIONS (documented once, in x-head-and-options, rather than as operations of each path); other methods answer 405 with Allow, unknown paths 404.';

export async function catalog(own: OpenApiDocument, context: FetchContext, policy: FailurePolicy): Promise<Response> {
  const outcomes = await fetchParts<Documents>(documentParts(), context);
  const {
    document: fetched,
    complete,
    errors,
    sources,
    headers,
  } = compose(outcomes, policy, {
    name: CATALOG,
    sections: COMPONENT_DOCUMENTS.map((d) => d.source),
    // The component's own operations are always there to list: an answer even when no other document came.
    answerWhenNothing: true,
  });
  const others = COMPONENT_DOCUMENTS.flatMap(({ source }) =>
    fetched[source] ? [{ component: source, document: fetched[source] }] : [],
  );
  const { document, conflicts } = mergeDocuments(
    { ...own, info: { title: 'aggregates-dashboard', version: APP_VERSION, description: CATALOG_DESCRIPTION } },
    others,
  );
  for (const error of errors) {
    if (fetched[error.source as Source]) continue;
    if (!document.tags.some((t) => t.name === error.source))
      document.tags.push({ name: error.source, description: `Missing from this catalog: ${error.detail}.` });
  }
  if (!complete) Object.assign(document, { 'x-errors': errors, 'x-sources': sources });
  if (conflicts.length > 0) Object.assign(document, { 'x-conflicts': conflicts });
  return json(document, { headers });
}
