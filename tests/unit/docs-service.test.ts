/**
 * The docs component in-process: the catalog page (no inline code, strict CSP), Swagger UI's files and its own
 * under content-hashed names, its 404s, and its own OpenAPI document. The assets are the real ones from
 * swagger-ui-dist, so what is checked here is what the component embeds (the page's own script is a stand-in:
 * the build bundles src/browser.ts; tests/browser/docs.test.ts runs the real one).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createDocsApp, CONTENT_SECURITY_POLICY, DOCS_DOCUMENT_PATH } from '../../docs-service/src/app';
import { IMMUTABLE } from '@aggregates/common/static-assets';
import { QUIET } from '../support/in-process-app';
import { operations, problemTypesByStatus, validateDocument, type OpenApiDoc } from '../support/openapi';

const swaggerFile = (name: string): string =>
  readFileSync(createRequire(import.meta.url).resolve(`swagger-ui-dist/${name}`), 'utf8');

const ASSETS = {
  swaggerScript: swaggerFile('swagger-ui-bundle.js'),
  swaggerStyle: swaggerFile('swagger-ui.css'),
  script: 'SwaggerUIBundle({ url: "/aggregates/openapi.json" })',
  style: readFileSync(new URL('../../docs-service/src/docs.css', import.meta.url), 'utf8'),
  licenses: { LICENSE: swaggerFile('LICENSE'), NOTICE: swaggerFile('NOTICE') },
};

const app = createDocsApp({ assets: ASSETS, ...QUIET });
const get = (path: string, init?: RequestInit) =>
  app.fetch(new Request(`http://docs-service.spin.internal${path}`, init));

/** The asset paths a page links (`src` and `href` under the docs assets). */
const assetLinks = (html: string): string[] =>
  [...html.matchAll(/(?:src|href)="(\/aggregates\/docs\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');

describe('docs-service, in-process', () => {
  it('answers /aggregates/docs with the page: strict CSP, nosniff, no referrer, no inline script or style', async () => {
    const response = await get('/aggregates/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    for (const loose of ['unsafe-inline', 'unsafe-eval', 'unsafe-hashes', 'http:', 'https:', '*'])
      expect(CONTENT_SECURITY_POLICY).not.toContain(loose);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{16}"$/);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    // Every script is external and empty; no <style> element, no style attribute, no event handler attribute.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => [/\ssrc="\/aggregates\/docs\/assets\/[^"]+"/.test(m[1] ?? ''), m[2]])).toEqual([
      [true, ''],
      [true, ''],
    ]);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    // Nothing from another origin.
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(html).toContain('<main id="swagger-ui" data-spec-url="/aggregates/openapi.json">');
  });

  it('redirects the trailing-slash form to the page (308), and answers HEAD without a body', async () => {
    const slash = await get('/aggregates/docs/');
    expect(slash.status).toBe(308);
    expect(slash.headers.get('location')).toBe('/aggregates/docs');
    expect(await slash.text()).toBe('');
    const head = await get('/aggregates/docs', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves Swagger UI and its own files under content-hashed names, immutable for a year, byte for byte', async () => {
    const html = await (await get('/aggregates/docs')).text();
    const links = assetLinks(html);
    const expected: [RegExp, string, string][] = [
      [/^\/aggregates\/docs\/assets\/docs\.([0-9a-f]{16})\.svg$/, 'image/svg+xml', ''],
      [/^\/aggregates\/docs\/assets\/swagger-ui\.([0-9a-f]{16})\.css$/, 'text/css; charset=utf-8', ASSETS.swaggerStyle],
      [/^\/aggregates\/docs\/assets\/docs\.([0-9a-f]{16})\.css$/, 'text/css; charset=utf-8', ASSETS.style],
      [
        /^\/aggregates\/docs\/assets\/swagger-ui-bundle\.([0-9a-f]{16})\.js$/,
        'text/javascript; charset=utf-8',
        ASSETS.swaggerScript,
      ],
      [/^\/aggregates\/docs\/assets\/docs\.([0-9a-f]{16})\.js$/, 'text/javascript; charset=utf-8', ASSETS.script],
    ];
    expect(links).toHaveLength(expected.length);
    for (const [index, [pattern, contentType, body]] of expected.entries()) {
      const link = links[index] ?? '';
      const hash = pattern.exec(link)?.[1];
      expect(hash, link).toBeDefined();
      const asset = await get(link);
      expect({
        link,
        status: asset.status,
        type: asset.headers.get('content-type'),
        cache: asset.headers.get('cache-control'),
      }).toEqual({ link, status: 200, type: contentType, cache: IMMUTABLE });
      expect(asset.headers.get('etag')).toBe(`"${hash}"`);
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
      const text = await asset.text();
      if (body !== '') expect(text === body, `${link} is the file as given`).toBe(true);
      else expect(text).toMatch(/^<svg /);
      const revalidated = await get(link, { headers: { 'if-none-match': `"${hash}"` } });
      expect(revalidated.status).toBe(304);
    }
  });

  it('answers a not-found problem for an asset it does not have, and for other paths under its route', async () => {
    for (const path of [
      '/aggregates/docs/assets/swagger-ui-bundle.0000000000000000.js',
      '/aggregates/docs/assets/swagger-ui-bundle.js',
      '/aggregates/docs/index.html',
    ]) {
      const response = await get(path);
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({
        path,
        status: 404,
        type: 'application/problem+json',
      });
      expect(((await response.json()) as { type: string }).type).toBe('urn:aggregates-dashboard:problem:not-found');
    }
  });

  it('changes an asset name when its content changes', async () => {
    const other = createDocsApp({ assets: { ...ASSETS, swaggerScript: `${ASSETS.swaggerScript}\n` }, ...QUIET });
    const before = assetLinks(await (await get('/aggregates/docs')).text());
    const after = assetLinks(await (await other.fetch(new Request('http://x/aggregates/docs'))).text());
    expect(after.filter((link) => !before.includes(link))).toEqual([
      expect.stringMatching(/\/swagger-ui-bundle\.[0-9a-f]{16}\.js$/),
    ]);
  });

  it(`describes its routes in ${DOCS_DOCUMENT_PATH}: a valid OpenAPI 3.1 document`, async () => {
    const response = await get(DOCS_DOCUMENT_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const doc = (await response.json()) as OpenApiDoc;
    expect(validateDocument(doc)).toEqual([]);
    expect(doc.info.title).toBe('docs-service');
    const found = operations(doc)
      .filter((o) => o.method === 'get')
      .map((o) => [o.path, o.operation.operationId]);
    expect(found).toEqual([
      ['/aggregates/docs', 'docs.view'],
      ['/aggregates/docs/', 'docs.redirect'],
      ['/aggregates/docs/assets/{file}', 'docs.asset'],
      ['/aggregates/docs/licenses/{file}', 'docs.license'],
      ['/aggregates/docs/openapi.json', 'docs.openapi'],
    ]);
    const view = doc.paths['/aggregates/docs']?.get as {
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    expect(Object.keys(view.responses['200']?.content ?? {})).toEqual(['text/html']);
    const asset = operations(doc).find((o) => o.operation.operationId === 'docs.asset')?.operation;
    expect(Object.keys(asset?.responses['200']?.content ?? {})).toEqual([
      'image/svg+xml',
      'text/css',
      'text/javascript',
    ]);
    expect(asset && problemTypesByStatus(asset)['404']).toEqual(['urn:aggregates-dashboard:problem:not-found']);
  });

  it("links Swagger UI's licence and notices from the page, and serves them as shipped", async () => {
    const html = await (await get('/aggregates/docs')).text();
    expect(html).toContain('<a href="/aggregates/docs/licenses/LICENSE">LICENSE</a>');
    expect(html).toContain('<a href="/aggregates/docs/licenses/NOTICE">NOTICE</a>');
    const license = await get('/aggregates/docs/licenses/LICENSE');
    expect(license.status).toBe(200);
    expect(license.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await license.text()).toBe(swaggerFile('LICENSE'));
    const missing = await get('/aggregates/docs/licenses/COPYING');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });
});
