/**
 * The page component as a plain `(Request) => Promise<Response>` app: `/` is the dashboard as an HTML page and
 * `/overview/{id}` one customer's overview, each rendered here from one chained call to the aggregates
 * component; `/assets/` serves the page's script and style under content-hashed names; `/page/openapi.json`
 * describes them all. Fetch and the assets are injected, so tests run it in-process too.
 */
import { fetchJsonWithin } from '@aggregates/common/chained-json';
import { createComponentApp } from '@aggregates/common/component-app';
import { bodyTag } from '@aggregates/common/etag';
import type { App, AppOptions } from '@aggregates/common/http';
import type { RouteDefinition } from '@aggregates/common/routes';
import {
  CSS,
  hashedAssets,
  HTML,
  htmlResponse,
  JAVASCRIPT,
  pageSecurityHeaders,
  SVG,
} from '@aggregates/common/static-assets';
import { traceHeaders } from '@aggregates/common/trace';
import { renderOverviewDocument, toOverviewView } from './overview';
import { renderDocument, toView } from './view';

/** The component the pages come from, by local service chaining (spin.toml allows only it). */
const AGGREGATES = 'http://aggregates-service.spin.internal';

/** Where the dashboard comes from. */
export const DASHBOARD_URL = `${AGGREGATES}/aggregates/dashboard`;

/** Where a customer's overview comes from. */
export const overviewUrl = (id: string): string =>
  `${AGGREGATES}/aggregates/customers/${encodeURIComponent(id)}/overview`;

/** The "data as of" time of the page its ETag is computed from: none, so the time is no part of it. */
const UNTIMED = '';

/** The composed answers' own deadline is 5 s by default; past this a page shows its error state instead of hanging. */
const DASHBOARD_TIMEOUT_MS = 8000;

/**
 * Scripts and styles only from this origin (no inline code at all), data only from this origin, no frames,
 * no plugins, no forms, no base URL games.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = pageSecurityHeaders(CONTENT_SECURITY_POLICY);

const COMPONENT = 'page-service';

/** Where page-service describes its own routes (the aggregates component merges it into the catalog). */
export const PAGE_DOCUMENT_PATH = '/page/openapi.json';

export interface PageAssets {
  script: string;
  style: string;
}

/** The tab's icon: three bars. */
const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="8" width="4" height="7" fill="#1f5fa8"/><rect x="6" y="3" width="4" height="12" fill="#1f5fa8"/><rect x="11" y="6" width="4" height="9" fill="#1f5fa8"/></svg>';

export interface PageAppOptions extends AppOptions {
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  assets: PageAssets;
}

/** The routes of the page component; the options are those of {@link createPageApp}. */
function pageRoutes({ fetch, assets, now = () => Date.now() }: PageAppOptions): RouteDefinition[] {
  const files = hashedAssets(
    '/assets',
    {
      icon: { stem: 'page', ext: 'svg', body: ICON, contentType: SVG },
      script: { stem: 'page', ext: 'js', body: assets.script, contentType: JAVASCRIPT },
      style: { stem: 'page', ext: 'css', body: assets.style, contentType: CSS },
    },
    { operationId: 'page.asset', summary: "The page's script, style and icon", securityHeaders: SECURITY_HEADERS },
  );

  /** An answer of the aggregates component (status, body, ETag), or a 502 when it does not come in time. */
  async function chained(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: unknown; etag: string }> {
    const answer = await fetchJsonWithin(fetch, url, headers, DASHBOARD_TIMEOUT_MS);
    if (answer.ok) return answer;
    return {
      status: 502,
      body: { detail: `the aggregates component could not be reached (${answer.reason})` },
      etag: '',
    };
  }

  return [
    {
      path: '/',
      get: {
        operationId: 'page.view',
        summary: 'The dashboard as a page',
        description:
          'Rendered on the server from one chained call to `GET /aggregates/dashboard` (it works with JavaScript off), then kept current by its script. Strict Content-Security-Policy: no inline script or style.',
        responses: {
          200: htmlResponse(
            'The page, every section the dashboard could compute (a partial answer says which are missing and why)',
          ),
          502: htmlResponse('A readable error page: the dashboard could not be had at all (its script keeps trying)'),
        },
        problems: [],
        handle: async ({ trace }) => {
          const answer = await chained(DASHBOARD_URL, traceHeaders(trace));
          const view = toView(answer.status, answer.body);
          const parts = {
            etag: answer.etag,
            scriptUrl: files.urls.script,
            styleUrl: files.urls.style,
            iconUrl: files.urls.icon,
          };
          const html = renderDocument(view, { ...parts, dataTime: new Date(now()).toISOString() });
          // Everything failed: a readable page all the same, with a status that says so.
          const status = view.failure === null ? 200 : 502;
          if (status !== 200)
            return new Response(html, { status, headers: { 'content-type': HTML, ...SECURITY_HEADERS } });
          // The validator covers every byte of the page but the time it was made (see the README): the same
          // data gives the same tag, so a browser's revalidation gets a 304. Weak, since the bytes differ by
          // that time from one render to the next.
          const etag = `W/${await bodyTag(renderDocument(view, { ...parts, dataTime: UNTIMED }))}`;
          return new Response(html, { status, headers: { 'content-type': HTML, etag, ...SECURITY_HEADERS } });
        },
      },
    },
    {
      path: '/overview/:id',
      get: {
        operationId: 'page.overview',
        summary: "One customer's overview as a page",
        description:
          'Rendered on the server from one chained call to `GET /aggregates/customers/{id}/overview`, with the same Content-Security-Policy, escaping and weak ETag as `/`. No script: it is not refreshed.',
        path: { id: { description: "The customer's id", schema: { type: 'string' } } },
        responses: {
          200: htmlResponse(
            'The page: the customer, where it stands, its newest incidents (a partial answer says what is missing)',
          ),
          404: htmlResponse('A readable page: there is no customer with this id'),
          502: htmlResponse('A readable error page: the overview could not be had'),
        },
        problems: [],
        handle: async ({ params, trace }) => {
          const id = params.id ?? '';
          const answer = await chained(overviewUrl(id), traceHeaders(trace));
          const view = toOverviewView(id, answer.status, answer.body);
          const parts = { styleUrl: files.urls.style, iconUrl: files.urls.icon };
          const html = renderOverviewDocument(view, { ...parts, dataTime: new Date(now()).toISOString() });
          if (view.kind !== 'customer') {
            const status = view.kind === 'not-found' ? 404 : 502;
            return new Response(html, { status, headers: { 'content-type': HTML, ...SECURITY_HEADERS } });
          }
          // As for `/`: every byte but the time of the render, so a weak tag.
          const etag = `W/${await bodyTag(renderOverviewDocument(view, { ...parts, dataTime: UNTIMED }))}`;
          return new Response(html, { headers: { 'content-type': HTML, etag, ...SECURITY_HEADERS } });
        },
      },
    },
    files.route,
  ];
}

export function createPageApp(options: PageAppOptions): App {
  const routes = pageRoutes(options);
  return createComponentApp(
    routes,
    PAGE_DOCUMENT_PATH,
    COMPONENT,
    "The dashboard and each customer's overview as pages people open in a browser, and their assets.",
    options,
  );
}
