/**
 * The docs component on the real Wasm, over the runtime's routing (spin.toml as `spin up` reads it):
 * `/aggregates/docs/...` reaches docs-service, the most specific route, while the rest of `/aggregates/...` stays
 * the aggregates component's; the page (with its list of operations, from one chained call for the catalog),
 * Swagger UI's files byte for byte as swagger-ui-dist ships them, and docs-service's own document. (What the
 * page does in a browser: tests/browser/docs.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../docs-service/src/app';
import { operations, validateDocument, type OpenApiDoc } from '../support/openapi';
import { useApp } from './app-runtime';

const app = useApp();

/** The component the runtime's request log names for the last request to `path` (not chained). */
function componentThatServed(path: string): string | undefined {
  const line = app.logs.filter((l) => l.startsWith(`GET ${path} `) && !l.includes('(chained)')).at(-1);
  return line?.split(' ')[2];
}

const swaggerFile = (name: string): Buffer =>
  readFileSync(createRequire(import.meta.url).resolve(`swagger-ui-dist/${name}`));

describe('docs-service, real Wasm on the local runtime', () => {
  it('gets every path under /aggregates/docs, and the aggregates component the rest of /aggregates', async () => {
    const expected: [string, string, number][] = [
      ['/aggregates/docs', 'docs-service', 200],
      ['/aggregates/docs/', 'docs-service', 308],
      ['/aggregates/docs/openapi.json', 'docs-service', 200],
      ['/aggregates/docs/no/such/thing', 'docs-service', 404],
      ['/aggregates/docsx', 'aggregates-service', 404],
      ['/aggregates/dashboard', 'aggregates-service', 200],
      ['/docs', 'page-service', 404],
    ];
    for (const [path, component, status] of expected) {
      const response = await app.spin.fetch(path);
      await response.arrayBuffer();
      expect({ path, component: componentThatServed(path), status: response.status }).toEqual({
        path,
        component,
        status,
      });
    }
  });

  it('answers the page with its CSP, linking only its own hashed files', async () => {
    const response = await app.spin.fetch('/aggregates/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const html = await response.text();
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(links.filter((link) => !/^\/aggregates\/docs\/assets\/[a-z-]+\.[0-9a-f]{16}\.[a-z]+$/.test(link))).toEqual([
      '/',
      '/aggregates/openapi.json',
      '/aggregates/openapi.json',
      '/aggregates/openapi.json',
      '/aggregates/docs/licenses/LICENSE',
      '/aggregates/docs/licenses/NOTICE',
      '/aggregates/docs/licenses/swagger-ui-bundle.js.LICENSE.txt',
    ]);
    expect(html).not.toMatch(/<script>|<style|\sstyle=/);
  });

  it('lists every operation of the catalog under the viewer, from one chained call to the aggregates component', async () => {
    app.logs.length = 0;
    const html = await (await app.spin.fetch('/aggregates/docs')).text();
    const chained = app.logs.filter((line) => line.includes('(chained)'));
    expect(
      chained.filter((line) => line.includes('http://aggregates-service.spin.internal/aggregates/openapi.json')),
    ).toHaveLength(1);
    const catalog = (await (await app.spin.fetch('/aggregates/openapi.json')).json()) as OpenApiDoc;
    const ids = [...html.matchAll(/<code class="op-id">([^<]*(?:<wbr>[^<]*)*)<\/code>/g)].map((m) =>
      (m[1] ?? '').replaceAll('<wbr>', ''),
    );
    expect(ids.sort()).toEqual(
      operations(catalog)
        .map((o) => o.operation.operationId ?? '')
        .sort(),
    );
    expect(ids.length).toBeGreaterThan(20);
  });

  it("serves Swagger UI's files exactly as swagger-ui-dist ships them, immutable, and 404 for any other name", async () => {
    const html = await (await app.spin.fetch('/aggregates/docs')).text();
    for (const [pattern, file, type] of [
      [
        /\/aggregates\/docs\/assets\/swagger-ui-bundle\.[0-9a-f]{16}\.js/,
        'swagger-ui-bundle.js',
        'text/javascript; charset=utf-8',
      ],
      [/\/aggregates\/docs\/assets\/swagger-ui\.[0-9a-f]{16}\.css/, 'swagger-ui.css', 'text/css; charset=utf-8'],
    ] as const) {
      const link = pattern.exec(html)?.[0] ?? '';
      const asset = await app.spin.fetch(link);
      expect({
        link,
        status: asset.status,
        type: asset.headers.get('content-type'),
        cache: asset.headers.get('cache-control'),
      }).toEqual({
        link,
        status: 200,
        type,
        cache: 'public, max-age=31536000, immutable',
      });
      // Byte for byte: the file's non-ASCII characters survive the component's UTF-8 encoding.
      expect(Buffer.from(await asset.arrayBuffer()).equals(swaggerFile(file)), `${link} is ${file}`).toBe(true);
    }
    const missing = await app.spin.fetch('/aggregates/docs/assets/swagger-ui-bundle.0000000000000000.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });

  it('publishes its own OpenAPI 3.1 document', async () => {
    const response = await app.spin.fetch('/aggregates/docs/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as OpenApiDoc;
    expect(validateDocument(doc)).toEqual([]);
    expect(
      operations(doc)
        .filter((o) => o.method === 'get')
        .map((o) => o.operation.operationId),
    ).toEqual(['docs.view', 'docs.redirect', 'docs.asset', 'docs.license', 'docs.openapi']);
  });

  it("serves Swagger UI's licence texts exactly as swagger-ui-dist ships them", async () => {
    for (const name of ['LICENSE', 'NOTICE', 'swagger-ui-bundle.js.LICENSE.txt']) {
      const response = await app.spin.fetch(`/aggregates/docs/licenses/${name}`);
      expect({ name, status: response.status }).toEqual({ name, status: 200 });
      expect(Buffer.from(await response.arrayBuffer()).equals(swaggerFile(name))).toBe(true);
    }
  });
});
