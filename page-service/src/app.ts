/**
 * The page component as a plain `(Request) => Promise<Response>` app: `/` is the dashboard as an HTML page,
 * rendered here from one chained call to the aggregates component; `/assets/` serves the page's script and
 * style under content-hashed names. Fetch and the assets are injected, so tests run it in-process too.
 */
import { etagOf } from '../../common/src/etag';
import { createApp, type App, type AppOptions } from '../../common/src/http';
import { HttpError } from '../../common/src/problem';
import { traceHeaders } from '../../common/src/trace';
import { renderDocument, toView } from './view';

/** Where the dashboard comes from: the aggregates component, by local service chaining (spin.toml allows only it). */
export const DASHBOARD_URL = 'http://aggregates-service.spin.internal/aggregates/dashboard';

/** The dashboard's own deadline is 5 s by default; past this the page shows its error state instead of hanging. */
const DASHBOARD_TIMEOUT_MS = 8000;

/**
 * Scripts and styles only from this origin (no inline code at all), data only from this origin, no frames,
 * no plugins, no forms, no base URL games.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = { 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

export interface PageAssets {
  script: string;
  style: string;
}

/** The tab's icon: three bars. */
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="8" width="4" height="7" fill="#1f5fa8"/><rect x="6" y="3" width="4" height="12" fill="#1f5fa8"/><rect x="11" y="6" width="4" height="9" fill="#1f5fa8"/></svg>';

export interface PageAppOptions extends AppOptions {
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  assets: PageAssets;
}

interface Asset {
  body: string;
  contentType: string;
}

/** `page.<16 hex digits of the content's hash>.<ext>`: a new name whenever the content changes. */
const hashedName = (body: string, ext: string): string => `page.${etagOf(body).slice(1, -1)}.${ext}`;

export function createPageApp({ fetch, assets, ...options }: PageAppOptions): App {
  const now = options.now ?? (() => Date.now());
  const scriptName = hashedName(assets.script, 'js');
  const styleName = hashedName(assets.style, 'css');
  const iconName = hashedName(ICON, 'svg');
  const files = new Map<string, Asset>([
    [iconName, { body: ICON, contentType: 'image/svg+xml' }],
    [scriptName, { body: assets.script, contentType: 'text/javascript; charset=utf-8' }],
    [styleName, { body: assets.style, contentType: 'text/css; charset=utf-8' }],
  ]);

  /** The dashboard answer (status, body, ETag), or a 504-like failure when it does not come in time. */
  async function dashboard(headers: Record<string, string>): Promise<{ status: number; body: unknown; etag: string }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${DASHBOARD_TIMEOUT_MS / 1000} s`)), DASHBOARD_TIMEOUT_MS);
    });
    try {
      const response = await Promise.race([fetch(DASHBOARD_URL, { headers: { accept: 'application/json', ...headers } }), timeout]);
      const text = await Promise.race([response.text(), timeout]);
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
      return { status: response.status, body, etag: response.headers.get('etag') ?? '' };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { status: 502, body: { detail: `the aggregates component could not be reached (${why})` }, etag: '' };
    } finally {
      clearTimeout(timer);
    }
  }

  return createApp(
    [
      {
        path: '/',
        get: async ({ trace }) => {
          const answer = await dashboard(traceHeaders(trace));
          const view = toView(answer.status, answer.body);
          const html = renderDocument(view, {
            etag: answer.etag,
            dataTime: new Date(now()).toISOString(),
            scriptUrl: `/assets/${scriptName}`,
            styleUrl: `/assets/${styleName}`,
            iconUrl: `/assets/${iconName}`,
          });
          // Everything failed: a readable page all the same, with a status that says so.
          const status = view.failure === null ? 200 : 502;
          return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS } });
        },
      },
      {
        path: '/assets/:file',
        get: ({ params }) => {
          const file = files.get(params.file ?? '');
          if (!file) throw new HttpError(404, 'not-found', `No asset named ${JSON.stringify(params.file ?? '')}; the page links the current ones.`);
          // Named after their content, so they never change: cached for a year.
          return new Response(file.body, { headers: { 'content-type': file.contentType, 'cache-control': 'public, max-age=31536000, immutable', ...SECURITY_HEADERS } });
        },
      },
    ],
    { component: 'page-service', ...options },
  );
}
