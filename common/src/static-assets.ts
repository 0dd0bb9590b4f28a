/**
 * What the components that serve pages to browsers (page-service, docs-service) share: their script, style
 * and icon files under content-hashed names, cached for a year, and the headers every answer of theirs carries.
 *
 * An asset's name holds a hash of its content (`page.<16 hex digits>.js`), so a name never changes meaning: the
 * browser may keep it for a year without asking again, and a new build links new names. The hashes are computed
 * when the app is created, which in a component is at build time (the module's top level is snapshotted), so no
 * request pays for hashing a large file.
 *
 * @example
 * const assets = hashedAssets('/assets', { script: { stem: 'page', ext: 'js', body: script, contentType: JAVASCRIPT } }, {
 *   operationId: 'page.asset', summary: "The page's script, style and icon", securityHeaders: pageSecurityHeaders(CSP),
 * });
 * assets.urls.script; // '/assets/page.1b2c...e9.js'
 * routes.push(assets.route);
 */
import type { RouteDefinition } from './routes';
import { etagOf } from './etag';
import type { ResponseDoc } from './openapi';
import { HttpError } from './problem';

export const JAVASCRIPT = 'text/javascript; charset=utf-8';
export const CSS = 'text/css; charset=utf-8';
export const SVG = 'image/svg+xml';
export const HTML = 'text/html; charset=utf-8';

/** How long a content-hashed file may be kept: a year, never revalidated. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The headers of every answer of a page component: its Content-Security-Policy, no MIME sniffing, no referrer. */
export const pageSecurityHeaders = (contentSecurityPolicy: string): Record<string, string> => ({
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/** An HTML answer, as an operation documents it. */
export const htmlResponse = (description: string): ResponseDoc => ({
  description,
  content: { 'text/html': { type: 'string' } },
});

export interface StaticAsset {
  /** The name before the hash: `page` gives `page.<hash>.<ext>`. */
  stem: string;
  /** The extension after the hash, without its dot. */
  ext: string;
  body: string;
  contentType: string;
}

export interface HashedAssetsOptions {
  operationId: string;
  summary: string;
  /** Sent with every asset (a page component's {@link pageSecurityHeaders}). */
  securityHeaders?: Record<string, string>;
}

export interface HashedAssets<K extends string> {
  /** The path each asset is served at, by key: `<base>/<stem>.<hash>.<ext>`. */
  urls: Record<K, string>;
  /** `GET <base>/:file`: the assets, and a `not-found` problem for any other name. */
  route: RouteDefinition;
}

/** The 16 hex digits of a body's hash (its strong ETag without the quotes). */
const hashOf = (body: string): string => etagOf(body).slice(1, -1);

/** A media type without its parameters (`text/css; charset=utf-8` -> `text/css`), as a document keys content by. */
const mediaType = (contentType: string): string => contentType.split(';')[0]?.trim() ?? contentType;

/** Serves `assets` under `base` (no trailing slash), each under a name made from its content's hash. */
export function hashedAssets<K extends string>(
  base: string,
  assets: Record<K, StaticAsset>,
  options: HashedAssetsOptions,
): HashedAssets<K> {
  const files = new Map<string, { asset: StaticAsset; etag: string }>();
  const urls = {} as Record<K, string>;
  for (const key of Object.keys(assets) as K[]) {
    const asset = assets[key];
    const hash = hashOf(asset.body);
    const name = `${asset.stem}.${hash}.${asset.ext}`;
    if (files.has(name)) throw new Error(`two assets are named ${name}`);
    files.set(name, { asset, etag: `"${hash}"` });
    urls[key] = `${base}/${name}`;
  }
  const types = [...new Set(Object.values<StaticAsset>(assets).map((asset) => mediaType(asset.contentType)))].sort();
  return {
    urls,
    route: {
      path: `${base}/:file`,
      get: {
        operationId: options.operationId,
        summary: options.summary,
        description:
          'Named after a hash of their content, so a name never changes meaning: cached for a year (`immutable`). The page links the current names.',
        path: {
          file: {
            description: '`<name>.<16 hex digits>.<extension>`, as the page links it',
            schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.[0-9a-f]{16}\\.[a-z]+$' },
          },
        },
        responses: {
          200: {
            description: 'The file',
            content: Object.fromEntries(types.map((type) => [type, { type: 'string' }])),
            headers: {
              'Cache-Control': { description: IMMUTABLE, schema: { type: 'string' } },
              ETag: { description: 'The hash of the content, as in the name', schema: { type: 'string' } },
            },
          },
        },
        problems: ['not-found'],
        handle: ({ params }) => {
          const file = files.get(params.file ?? '');
          if (!file)
            throw new HttpError(
              404,
              'not-found',
              `No asset named ${JSON.stringify(params.file ?? '')}; the page links the current ones.`,
            );
          // The ETag is set here, so the shared HTTP layer does not hash the body again on every request.
          return new Response(file.asset.body, {
            headers: {
              'content-type': file.asset.contentType,
              'cache-control': IMMUTABLE,
              etag: file.etag,
              ...options.securityHeaders,
            },
          });
        },
      },
    },
  };
}
