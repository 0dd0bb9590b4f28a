/**
 * The catalog's operations as a plain HTML list, rendered on the server under Swagger UI: method, path, summary
 * and operation id, grouped by tag (one tag per component). It is there before any script runs, and it is all
 * there is with JavaScript off, so the page is never just Swagger UI's "Loading". Made from the catalog itself
 * (`/aggregates/openapi.json`, read by one chained call), read defensively: what is not the shape it should be
 * is left out, never trusted. Every value from the document is escaped.
 */

/** One operation of the list. */
export interface ListedOperation {
  method: string;
  path: string;
  summary: string;
  operationId: string;
}

export interface ListedTag {
  name: string;
  description: string;
  operations: ListedOperation[];
}

/** What the list shows: the operations by tag, and what the document says once of HEAD and OPTIONS. */
export interface OperationList {
  tags: ListedTag[];
  /** The document's `x-head-and-options` description, if it has one. */
  headAndOptions: string | null;
}

/** The methods OpenAPI lists in a path item, in the order the list shows them. */
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The list of an OpenAPI document; `null` when it is not one (no `paths`). */
export function listOperations(document: unknown): OperationList | null {
  if (!isRecord(document) || !isRecord(document.paths)) return null;
  const tags: ListedTag[] = [];
  const byName = new Map<string, ListedTag>();
  const tagOf = (name: string, description = ''): ListedTag => {
    let tag = byName.get(name);
    if (!tag) {
      tag = { name, description, operations: [] };
      byName.set(name, tag);
      tags.push(tag);
    }
    return tag;
  };
  // The document's own order of tags first, with their descriptions; then any tag only an operation names.
  if (Array.isArray(document.tags))
    for (const tag of document.tags) if (isRecord(tag) && text(tag.name)) tagOf(text(tag.name), text(tag.description));
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isRecord(operation)) continue;
      const [tag] = Array.isArray(operation.tags) ? operation.tags.filter((t) => typeof t === 'string') : [];
      tagOf(typeof tag === 'string' ? tag : 'other').operations.push({
        method: method.toUpperCase(),
        path,
        summary: text(operation.summary),
        operationId: text(operation.operationId),
      });
    }
  }
  const shared = document['x-head-and-options'];
  return {
    tags: tags.filter((tag) => tag.operations.length > 0 || tag.description.startsWith('Missing')),
    headAndOptions: isRecord(shared) && typeof shared.description === 'string' ? shared.description : null,
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and quoted attribute values. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/**
 * An operation id, escaped, with a line-break opportunity after each dot: a narrow screen may break
 * `aggregates.customerOverview` between its parts, never inside one.
 */
export const breakableId = (id: string): string => escapeHtml(id).replaceAll('.', '.<wbr>');

/** Markup written in pieces that fit a line, joined with nothing between them. */
const join = (...parts: string[]): string => parts.join('');

function renderOperation({ method, path, summary, operationId }: ListedOperation): string {
  return join(
    `<li class="operation"><span class="method method-${escapeHtml(method.toLowerCase())}">`,
    `${escapeHtml(method)}</span>`,
    ` <code class="path">${escapeHtml(path)}</code>`,
    summary ? ` <span class="summary">${escapeHtml(summary)}</span>` : '',
    operationId ? ` <code class="op-id">${breakableId(operationId)}</code>` : '',
    '</li>',
  );
}

function renderTag(tag: ListedTag): string {
  const id = `tag-${tag.name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return join(
    `<section class="tag" aria-labelledby="${escapeHtml(id)}"><h3 id="${escapeHtml(id)}">${escapeHtml(tag.name)}</h3>`,
    tag.description ? `<p>${escapeHtml(tag.description)}</p>` : '',
    tag.operations.length ? `<ul>${tag.operations.map(renderOperation).join('')}</ul>` : '',
    '</section>',
  );
}

/**
 * The section under the viewer: the list, or, when the catalog could not be had, why (the viewer, which reads
 * the catalog itself from the browser, may still show it).
 */
export function renderOperationList(list: OperationList | null, problem: string, catalogPath: string): string {
  const link = `<a href="${escapeHtml(catalogPath)}">${escapeHtml(catalogPath)}</a>`;
  if (list === null) {
    return join(
      '<section id="operation-list" aria-labelledby="operation-list-title">',
      '<h2 id="operation-list-title">Every operation</h2>',
      `<p class="list-problem">The list of operations could not be made: ${escapeHtml(problem)}. `,
      `The catalog itself is ${link}.</p></section>`,
    );
  }
  const count = list.tags.reduce((sum, tag) => sum + tag.operations.length, 0);
  return join(
    '<section id="operation-list" aria-labelledby="operation-list-title">',
    '<h2 id="operation-list-title">Every operation</h2>',
    `<p>${count} operations of ${link}, by component.`,
    list.headAndOptions ? ` ${escapeHtml(list.headAndOptions)}` : '',
    '</p>',
    list.tags.map(renderTag).join(''),
    '</section>',
  );
}
