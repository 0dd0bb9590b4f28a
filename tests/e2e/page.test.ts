/**
 * The page component on the real Wasm, over the runtime's routing: `/` and its assets go to page-service, every
 * other component keeps its routes. (What the page looks like and does in a browser: tests/browser/.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppRuntime } from './app-runtime';

let app: AppRuntime;
beforeAll(async () => {
  app = await startApp({ variables: { cache_ttl_ms: '0' } });
});
afterAll(async () => {
  await app.stop();
});

describe('page-service, real Wasm on the local runtime', () => {
  it('answers / with the server-rendered page, made from one chained call to the aggregates component', async () => {
    app.logs.length = 0;
    const response = await app.spin.fetch('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).toContain('<strong id="customer-count">40</strong>');
    const chained = app.logs.filter((line) => line.includes('(chained)'));
    expect(chained.filter((line) => line.includes('http://aggregates-service.spin.internal/aggregates/dashboard'))).toHaveLength(1);
  });

  it('serves the assets it links, cached for a year', async () => {
    const html = await (await app.spin.fetch('/')).text();
    const links = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
    expect(links.length).toBe(3);
    for (const link of links) {
      const asset = await app.spin.fetch(link);
      expect({ link, status: asset.status, cache: asset.headers.get('cache-control') }).toEqual({ link, status: 200, cache: 'public, max-age=31536000, immutable' });
    }
  });

  it('leaves the other routes to their components, and answers other paths 404', async () => {
    expect(await (await app.spin.fetch('/customers/count')).json()).toEqual({ count: 40 });
    expect((await app.spin.fetch('/aggregates/dashboard')).headers.get('content-type')).toBe('application/json');
    const missing = await app.spin.fetch('/no/such/page');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });
});
