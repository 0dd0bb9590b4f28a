/**
 * The page component on the real Wasm, over the runtime's routing: `/`, `/overview/{id}` and the assets go to
 * page-service, every other component keeps its routes. (What the pages look like and do in a browser:
 * tests/browser/.)
 */
import { describe, expect, it } from 'vitest';
import { TEST_API_TOKEN } from '../contract/target';
import { useApp } from './app-runtime';

const app = useApp({ variables: { cache_ttl_ms: '0', api_token: TEST_API_TOKEN } });

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
    expect(
      chained.filter((line) => line.includes('http://aggregates-service.spin.internal/aggregates/dashboard')),
    ).toHaveLength(1);
  });

  it('serves the assets it links, cached for a year', async () => {
    const html = await (await app.spin.fetch('/')).text();
    const links = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
    expect(links.length).toBe(3);
    for (const link of links) {
      const asset = await app.spin.fetch(link);
      expect({ link, status: asset.status, cache: asset.headers.get('cache-control') }).toEqual({
        link,
        status: 200,
        cache: 'public, max-age=31536000, immutable',
      });
    }
  });

  it("answers /overview/{id} with the customer's page, made from one chained call to its overview", async () => {
    const id = 'E2516B95-4BF7-5943-D8B4-7A28B5B68B22';
    app.logs.length = 0;
    const response = await app.spin.fetch(`/overview/${id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(
      (await app.spin.fetch('/')).headers.get('content-security-policy'),
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = response.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/"[0-9a-f]{16}"$/);
    const html = await response.text();
    expect(html).toContain('<h1 id="customer-name">Birchwood Analytics</h1>');
    expect(html).toContain('<div id="incident-volume"><dt>Incident volume</dt><dd>32,399.96</dd></div>');
    const chained = app.logs.filter((line) => line.includes('(chained)') && line.includes('page-service'));
    expect(
      app.logs.filter(
        (line) =>
          line.includes('(chained)') &&
          line.includes(`http://aggregates-service.spin.internal/aggregates/customers/${id}/overview`),
      ),
      chained.join('\n'),
    ).toHaveLength(1);
    // Revalidated like `/`: 304 while the data is the same, HEAD with the same tag.
    const revalidated = await app.spin.fetch(`/overview/${id}`, { headers: { 'if-none-match': etag } });
    expect({ status: revalidated.status, body: await revalidated.text() }).toEqual({ status: 304, body: '' });
    const head = await app.spin.fetch(`/overview/${id}`, { method: 'HEAD' });
    expect({ status: head.status, etag: head.headers.get('etag') }).toEqual({ status: 200, etag });
  });

  it('answers a readable 404 page for an unknown customer, every value escaped', async () => {
    const response = await app.spin.fetch(`/overview/${encodeURIComponent('<b>zz</b>')}`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('etag')).toBeNull();
    const html = await response.text();
    expect(html).toContain('<h2>No such customer</h2>');
    expect(html).toContain('&lt;b&gt;zz&lt;/b&gt;');
    expect(html).not.toContain('<b>zz</b>');
  });

  it('leaves the other routes to their components, and answers other paths 404', async () => {
    expect(await (await app.spin.fetch('/customers/count')).json()).toEqual({ count: 40 });
    expect((await app.spin.fetch('/aggregates/dashboard')).headers.get('content-type')).toBe('application/json');
    const missing = await app.spin.fetch('/no/such/page');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });

  // Last: it writes, and the tests above count the sample data.
  it("revalidates: 304 to If-None-Match while the data is the same, HEAD's ETag is GET's, 200 with a new ETag after a plain SQL insert and after an API write", async () => {
    const first = await app.spin.fetch('/');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    const firstTime = /<time id="data-time" datetime="([^"]+)">/.exec(await first.text())?.[1];
    // Another render, at another time (the page shows when it read the data), with the same data.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await app.spin.fetch('/');
    expect(second.headers.get('etag')).toBe(etag);
    expect(/<time id="data-time" datetime="([^"]+)">/.exec(await second.text())?.[1]).not.toBe(firstTime);
    const head = await app.spin.fetch('/', { method: 'HEAD' });
    expect({ status: head.status, etag: head.headers.get('etag') }).toEqual({ status: 200, etag });

    const revalidated = await app.spin.fetch('/', { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect((await app.spin.fetch('/', { method: 'HEAD', headers: { 'if-none-match': etag } })).status).toBe(304);
    expect(etag).toMatch(/^W\/"[0-9a-f]{16}"$/);

    app.db.exec(
      "INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('e2e-page-etag', 'Plain SQL Ltd', 'Oslo', 'Norway', 3);",
    );
    const afterSql = await app.spin.fetch('/', { headers: { 'if-none-match': etag } });
    expect(afterSql.status).toBe(200);
    const sqlEtag = afterSql.headers.get('etag') ?? '';
    expect(sqlEtag).not.toBe(etag);
    expect(await afterSql.text()).toContain('<strong id="customer-count">41</strong>');
    expect((await app.spin.fetch('/', { headers: { 'if-none-match': sqlEtag } })).status).toBe(304);

    const created = await app.spin.fetch('/customers/items', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Api Write AS', scoring: 10 }),
    });
    expect(created.status).toBe(201);
    const afterApi = await app.spin.fetch('/', { headers: { 'if-none-match': sqlEtag } });
    expect(afterApi.status).toBe(200);
    const apiEtag = afterApi.headers.get('etag') ?? '';
    expect(apiEtag).not.toBe(sqlEtag);
    expect(await afterApi.text()).toContain('<strong id="customer-count">42</strong>');
    expect((await app.spin.fetch('/', { headers: { 'if-none-match': apiEtag } })).status).toBe(304);

    // If-Match compares strongly: the page's weak tag never matches it; "*" does.
    expect((await app.spin.fetch('/', { headers: { 'if-match': apiEtag } })).status).toBe(412);
    expect((await app.spin.fetch('/', { headers: { 'if-match': '*' } })).status).toBe(200);
  });
});
