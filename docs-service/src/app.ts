/**
 * The docs component as a plain `(Request) => Promise<Response>` app: `/aggregates/docs` is the app's operation
 * catalog (`/aggregates/openapi.json`, which the aggregates component merges from every component's document)
 * rendered for people by Swagger UI, served from this component (no CDN), and under it the same operations as a
 * plain list rendered here, from one chained call to the aggregates component for the catalog, so the page shows
 * them before any script runs and without JavaScript. Fetch and the assets are injected, so tests run it
 * in-process too.
 */
import { fetchJsonWithin } from '@aggregates/common/chained-json';
import { createComponentApp } from '@aggregates/common/component-app';
import { traceHeaders } from '@aggregates/common/trace';
import type { App, AppOptions } from '@aggregates/common/http';
import { CATALOG_PATH, type RouteDefinition } from '@aggregates/common/routes';
import { HttpError } from '@aggregates/common/problem';
import {
  CSS,
  hashedAssets,
  HTML,
  htmlResponse,
  JAVASCRIPT,
  pageSecurityHeaders,
  SVG,
} from '@aggregates/common/static-assets';
import { listOperations, renderOperationList, type OperationList } from './operation-list';

const COMPONENT = 'docs-service';

/** Where the catalog comes from: the aggregates component, by local service chaining (spin.toml allows only it). */
export const CATALOG_URL = `http://aggregates-service.spin.internal${CATALOG_PATH}`;

/** The catalog is fetched under its own deadline; past this the page is answered without the list. */
const CATALOG_TIMEOUT_MS = 5000;

/** The page; with a trailing slash it redirects here (one page, one URL). */
export const DOCS_PATH = '/aggregates/docs';
export const DOCS_ASSETS_PATH = `${DOCS_PATH}/assets`;
/** Where docs-service describes its own routes (the aggregates component merges it into the catalog). */
export const DOCS_DOCUMENT_PATH = `${DOCS_PATH}/openapi.json`;

/**
 * The page component's policy (scripts, styles, data only from this origin; no inline code at all; no frames,
 * forms or base URL games), with the one addition Swagger UI needs: `img-src data:`. swagger-ui.css draws its
 * icons as `data:` SVG and PNG backgrounds and its script shows `data:` images; without it Chromium reports
 * img-src violations from both. Nothing else: Swagger UI adds no inline script or `<style>` element, evaluates
 * no strings, and the style values React sets go through the CSSOM, which `style-src` does not govern
 * (tests/browser/docs.test.ts fails on any violation).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = pageSecurityHeaders(CONTENT_SECURITY_POLICY);

/** The files the page loads: Swagger UI's (from swagger-ui-dist) and this component's own. */
export interface DocsAssets {
  swaggerScript: string;
  swaggerStyle: string;
  /** The script that starts Swagger UI (src/browser.ts, bundled for browsers). */
  script: string;
  style: string;
  /** Swagger UI's licence and notices (file name -> text), served under `/aggregates/docs/licenses/`, as its licence asks. */
  licenses?: Record<string, string>;
}

export interface DocsAppOptions extends AppOptions {
  /** The outbound HTTP the catalog is read with. */
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  assets: DocsAssets;
}

/** The tab's icon: braces. */
const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M6 2H5a2 2 0 0 0-2 2v2.5L1.5 8 3 9.5V12a2 2 0 0 0 2 2h1M10 2h1a2 2 0 0 1 2 2v2.5L14.5 8 13 9.5V12a2 2 0 0 1-2 2h-1" fill="none" stroke="#1f5fa8" stroke-width="1.6"/></svg>';

export const DOCS_LICENSES_PATH = `${DOCS_PATH}/licenses`;

/** Markup written in pieces that fit a line, joined with nothing between them. */
const join = (...parts: string[]): string => parts.join('');

/**
 * The page: the bar above, the element Swagger UI renders into (naming the document it shows), and under it the
 * list of operations rendered here (`list`, HTML).
 */
function renderPage(
  urls: Record<Exclude<keyof DocsAssets, 'licenses'> | 'icon', string>,
  licenses: string[],
  list: string,
): string {
  const credits = licenses
    .map((name) => `<a href="${DOCS_LICENSES_PATH}/${encodeURIComponent(name)}">${name}</a>`)
    .join(' ');
  return join(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>API catalog: aggregates dashboard</title>',
    `<link rel="icon" href="${urls.icon}" type="image/svg+xml">`,
    `<link rel="stylesheet" href="${urls.swaggerStyle}"><link rel="stylesheet" href="${urls.style}">`,
    `<script src="${urls.swaggerScript}" defer></script><script src="${urls.script}" defer></script>`,
    '</head><body>',
    '<header class="catalog-bar"><h1>API catalog</h1>',
    `<a href="/">Dashboard</a><a href="${CATALOG_PATH}">The catalog as OpenAPI 3.1 JSON</a></header>`,
    `<main id="catalog"><div id="swagger-ui" data-spec-url="${CATALOG_PATH}">`,
    '<noscript><p class="catalog-fallback">The interactive viewer needs JavaScript; ',
    `every operation is listed below, and the catalog itself is <a href="${CATALOG_PATH}">${CATALOG_PATH}</a>.</p>`,
    `</noscript></div>${list}</main>`,
    credits ? `<footer class="catalog-credits">Rendered by Swagger UI (Apache-2.0): ${credits}</footer>` : '',
    '</body></html>',
  );
}

/** The routes of the docs component; the options are those of {@link createDocsApp}. */
function docsRoutes({ assets, fetch }: DocsAppOptions): RouteDefinition[] {
  const files = hashedAssets(
    DOCS_ASSETS_PATH,
    {
      icon: { stem: 'docs', ext: 'svg', body: ICON, contentType: SVG },
      swaggerScript: { stem: 'swagger-ui-bundle', ext: 'js', body: assets.swaggerScript, contentType: JAVASCRIPT },
      swaggerStyle: { stem: 'swagger-ui', ext: 'css', body: assets.swaggerStyle, contentType: CSS },
      script: { stem: 'docs', ext: 'js', body: assets.script, contentType: JAVASCRIPT },
      style: { stem: 'docs', ext: 'css', body: assets.style, contentType: CSS },
    },
    {
      operationId: 'docs.asset',
      summary: "The catalog page's scripts, styles and icon (Swagger UI's among them)",
      securityHeaders: SECURITY_HEADERS,
    },
  );
  const licenses = new Map(Object.entries(assets.licenses ?? {}));

  /** The catalog's operations, or why there are none to list. */
  async function catalogList(
    headers: Record<string, string>,
  ): Promise<{ list: OperationList | null; problem: string }> {
    const answer = await fetchJsonWithin(fetch, CATALOG_URL, headers, CATALOG_TIMEOUT_MS);
    if (!answer.ok) return { list: null, problem: `the catalog could not be read (${answer.reason})` };
    const list = answer.status === 200 ? listOperations(answer.body) : null;
    return { list, problem: list ? '' : `the catalog answered ${answer.status}` };
  }
  return [
    {
      path: DOCS_PATH,
      get: {
        operationId: 'docs.view',
        summary: 'The operation catalog as a page (Swagger UI, and a plain list)',
        description: `Swagger UI, served by this component, showing ${CATALOG_PATH}, and under it every operation (method, path, summary, operation id, by component) rendered on the server from one chained call for ${CATALOG_PATH}, so it is there with JavaScript off. Strict Content-Security-Policy: no inline script or style, nothing from another origin.`,
        responses: {
          200: htmlResponse(
            'The page; its script loads the catalog into the viewer. Without the catalog, the list says why',
          ),
        },
        problems: [],
        handle: async ({ trace }) => {
          const { list, problem } = await catalogList(traceHeaders(trace));
          const html = renderPage(files.urls, [...licenses.keys()], renderOperationList(list, problem, CATALOG_PATH));
          return new Response(html, { headers: { 'content-type': HTML, ...SECURITY_HEADERS } });
        },
      },
    },
    {
      // Declared, so the shared layer's "no trailing slash" rule lets it through: people type it.
      path: `${DOCS_PATH}/`,
      get: {
        operationId: 'docs.redirect',
        summary: `Redirects to ${DOCS_PATH}`,
        responses: {
          308: {
            description: `Permanent redirect to ${DOCS_PATH}`,
            headers: { Location: { description: DOCS_PATH, schema: { type: 'string' } } },
          },
        },
        problems: [],
        handle: () => new Response(null, { status: 308, headers: { location: DOCS_PATH, ...SECURITY_HEADERS } }),
      },
    },
    files.route,
    {
      path: `${DOCS_LICENSES_PATH}/:file`,
      get: {
        operationId: 'docs.license',
        summary: "Swagger UI's licence and notices, as it ships them",
        path: {
          file: { description: `One of: ${[...licenses.keys()].join(', ') || '(none)'}`, schema: { type: 'string' } },
        },
        responses: { 200: { description: 'The text', content: { 'text/plain': { type: 'string' } } } },
        problems: ['not-found'],
        handle: ({ params }) => {
          const text = licenses.get(params.file ?? '');
          if (text === undefined)
            throw new HttpError(404, 'not-found', `No licence file named ${JSON.stringify(params.file ?? '')}.`);
          return new Response(text, { headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS } });
        },
      },
    },
  ];
}

export function createDocsApp(options: DocsAppOptions): App {
  const routes = docsRoutes(options);
  return createComponentApp(
    routes,
    DOCS_DOCUMENT_PATH,
    COMPONENT,
    'The operation catalog rendered for people (Swagger UI and a plain list), and its assets.',
    options,
  );
}
