/**
 * The docs component in-process: the catalog page (no inline code, strict CSP) with its server-rendered list of
 * operations (from one chained call for the catalog), Swagger UI's files and its own under content-hashed names,
 * its 404s, and its own OpenAPI document. The assets are the real ones from
 * swagger-ui-dist, so what is checked here is what the component embeds (the page's own script is a stand-in:
 * the build bundles src/browser.ts; tests/browser/docs.test.ts runs the real one).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CATALOG_URL, createDocsApp, CONTENT_SECURITY_POLICY, DOCS_DOCUMENT_PATH } from '../../docs-service/src/app';
import { openApiDocument } from '@aggregates/common/openapi';
import type { RouteDefinition } from '@aggregates/common/routes';
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

/** A small catalog, as the aggregates component merges them: two components' operations, markup in a summary. */
const handle = () => new Response('');
const CATALOG_ROUTES: RouteDefinition[] = [
  {
    path: '/customers/items/:id',
    get: {
      operationId: 'customers.read',
      summary: 'One customer <b>by id</b> & "more"',
      path: { id: { description: 'id', schema: { type: 'string' } } },
      responses: { 200: { description: 'OK' } },
      problems: [],
      handle,
    },
    delete: {
      operationId: 'customers.delete',
      summary: 'Deletes one',
      path: { id: { description: 'id', schema: { type: 'string' } } },
      responses: { 204: { description: 'Deleted' } },
      problems: [],
      handle,
    },
  },
  {
    path: '/aggregates/customers/:id/overview',
    get: {
      operationId: 'aggregates.customerOverview',
      summary: 'One customer, composed',
      path: { id: { description: 'id', schema: { type: 'string' } } },
      responses: { 200: { description: 'OK' } },
      problems: [],
      handle,
    },
  },
];
const customersDoc = openApiDocument(CATALOG_ROUTES.slice(0, 1), {
  title: 'customers-service',
  version: '1',
  description: 'Customers',
  component: 'customers-service',
});
const aggregatesDoc = openApiDocument(CATALOG_ROUTES.slice(1), {
  title: 'aggregates-service',
  version: '1',
  description: 'Aggregates',
  component: 'aggregates-service',
});
const CATALOG_DOC = {
  ...aggregatesDoc,
  tags: [...aggregatesDoc.tags, ...customersDoc.tags],
  paths: { ...aggregatesDoc.paths, ...customersDoc.paths },
};

/** The URLs the docs app asked for, in order. */
const chained: string[] = [];
const app = createDocsApp({
  fetch: (url) => {
    chained.push(url);
    return Promise.resolve(Response.json(CATALOG_DOC));
  },
  assets: ASSETS,
  ...QUIET,
});
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
    expect(html).toContain('<div id="swagger-ui" data-spec-url="/aggregates/openapi.json">');
  });

  it('lists every operation of the catalog under the viewer, by component, escaped, from one chained call', async () => {
    chained.length = 0;
    const html = await (await get('/aggregates/docs')).text();
    expect(chained).toEqual([CATALOG_URL]);
    expect(CATALOG_URL).toBe('http://aggregates-service.spin.internal/aggregates/openapi.json');
    const list = html.slice(html.indexOf('<section id="operation-list"'));
    expect(html.indexOf('<section id="operation-list"')).toBeGreaterThan(html.indexOf('<div id="swagger-ui"'));
    // By tag, in the catalog's order of tags; in each, its operations.
    const groups = [...list.matchAll(/<h3 id="[^"]+">([^<]+)<\/h3>/g)].map((m) => m[1]);
    expect(groups).toEqual(['aggregates-service', 'customers-service']);
    const items = [...list.matchAll(/<li class="operation">(.*?)<\/li>/g)].map((m) => m[1]?.replace(/<[^>]+>/g, ''));
    expect(items).toEqual([
      'GET /aggregates/customers/{id}/overview One customer, composed aggregates.customerOverview',
      'GET /customers/items/{id} One customer &lt;b&gt;by id&lt;/b&gt; &amp; &quot;more&quot; customers.read',
      'DELETE /customers/items/{id} Deletes one customers.delete',
    ]);
    expect(list).not.toContain('<b>by id</b>');
    // HEAD and OPTIONS once, in words, not as items; an id may break after a dot only.
    expect(list).toContain('3 operations of <a href="/aggregates/openapi.json">/aggregates/openapi.json</a>');
    expect(list).toContain('The two methods every path answers the same way');
    expect(items.some((item) => /^(HEAD|OPTIONS) /.test(item ?? ''))).toBe(false);
    expect(list).toContain('<code class="op-id">aggregates.<wbr>customerOverview</code>');
    // Nothing inline here either.
    expect(list).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
  });

  it('answers the page all the same when the catalog cannot be had, saying why under the viewer', async () => {
    for (const [what, fetch] of [
      ['refused', () => Promise.reject(new TypeError('connection refused'))],
      ['502', () => Promise.resolve(Response.json({ detail: 'no' }, { status: 502 }))],
      ['not a document', () => Promise.resolve(new Response('<html>', { status: 200 }))],
    ] as const) {
      const failing = createDocsApp({ fetch, assets: ASSETS, ...QUIET });
      const response = await failing.fetch(new Request('http://x/aggregates/docs'));
      expect({ what, status: response.status }).toEqual({ what, status: 200 });
      const html = await response.text();
      expect(html).toContain('<div id="swagger-ui" data-spec-url="/aggregates/openapi.json">');
      expect(html).toMatch(
        /<p class="list-problem">The list of operations could not be made: the catalog (could not be read \(connection refused\)|answered 502|answered 200)\./,
      );
    }
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
    const other = createDocsApp({
      fetch: () => Promise.resolve(Response.json(CATALOG_DOC)),
      assets: { ...ASSETS, swaggerScript: `${ASSETS.swaggerScript}\n` },
      ...QUIET,
    });
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
