/** The page component in-process: its HTML from real dashboard answers (in-process data components), its headers and assets. */
import { afterEach, describe, expect, it } from 'vitest';
import { createCustomersApp } from '../../customers-service/src/app';
import { createPageApp, CONTENT_SECURITY_POLICY, DASHBOARD_URL, PAGE_DOCUMENT_PATH } from '../../page-service/src/app';
import { escapeHtml, formatInteger, formatMoney, renderMain, toView } from '../../page-service/src/view';
import { TEST_API_TOKEN } from '../contract/target';
import { inProcessAggregates, NO_CACHE, QUIET } from '../support/in-process-app';
import { operations, problemTypesByStatus, validateDocument, type OpenApiDoc } from '../support/openapi';
import { createTestDatabase, type TestDatabase } from '../support/sqlite';

const opened: TestDatabase[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));

const ASSETS = { script: 'console.log("page")', style: 'body{}' };

/** The page app over the real aggregates app (in-process, with the data components on a SQLite file). */
function page(
  setup: (db: TestDatabase) => void = () => {},
  wrap: (fetch: (url: string) => Promise<Response>) => (url: string) => Promise<Response> = (f) => f,
  {
    variables = NO_CACHE as Record<string, string>,
    now,
  }: { variables?: Record<string, string>; now?: () => number } = {},
) {
  const db = createTestDatabase();
  opened.push(db);
  setup(db);
  const aggregates = inProcessAggregates(db, { variables });
  const fetchDashboard = wrap(async (url: string) => {
    expect(url).toBe(DASHBOARD_URL);
    return aggregates('/aggregates/dashboard');
  });
  return Object.assign(
    createPageApp({ fetch: (url) => fetchDashboard(url), assets: ASSETS, ...QUIET, ...(now ? { now } : {}) }),
    { db },
  );
}

/** A clock that moves one second on each reading: every render of the page happens at another time. */
function tickingClock(start = Date.parse('2026-11-30T09:00:00.000Z')): () => number {
  let at = start;
  return () => (at += 1000);
}

/** The `datetime` of the page's "Data as of" time. */
const dataTimeOf = (html: string): string => /<time id="data-time" datetime="([^"]+)">/.exec(html)?.[1] ?? '';

describe('page-service, in-process', () => {
  it('serves the dashboard as HTML with a strict CSP, nosniff, and links to content-hashed assets', async () => {
    const response = await page().fetch(new Request('http://x/'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    expect(html).toContain('<strong id="customer-count">40</strong>');
    expect(html).toMatch(/<script src="\/assets\/page\.[0-9a-f]{16}\.js" defer><\/script>/);
    expect(html).not.toMatch(/<script>/);
  });

  it('serves each asset under its content hash for a year, and 404 for any other name', async () => {
    const app = page();
    const html = await (await app.fetch(new Request('http://x/'))).text();
    for (const [path, body] of [
      [/\/assets\/page\.[0-9a-f]{16}\.js/, ASSETS.script],
      [/\/assets\/page\.[0-9a-f]{16}\.css/, ASSETS.style],
    ] as const) {
      const url = path.exec(html)?.[0] ?? '';
      const asset = await app.fetch(new Request(`http://x${url}`));
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await asset.text()).toBe(body);
    }
    expect((await app.fetch(new Request('http://x/assets/page.0000000000000000.js'))).status).toBe(404);
  });

  it('escapes every value from the data: a name with markup is shown as text', async () => {
    const name = `<script>alert(1)</script> & "Quotes" 'single' 東京 😀`;
    const app = page((db) =>
      db.exec(
        `INSERT INTO Customers (Id, Name, Scoring) VALUES ('evil', ${"'" + name.replaceAll("'", "''") + "'"}, 10);`,
      ),
    );
    const html = await (await app.fetch(new Request('http://x/'))).text();
    expect(html).toContain(escapeHtml(name));
    expect(html).not.toContain('<script>alert(1)</script>');
  });

  it('shows the missing sections and why, when the answer is partial', async () => {
    const app = page(undefined, (f) => async (url) => {
      const response = await f(url);
      const body = (await response.json()) as Record<string, unknown>;
      return Response.json({
        ...body,
        customersWithMostIncidents: null,
        customersWithHighestIncidentVolume: null,
        errors: [
          {
            section: 'customersWithMostIncidents',
            source: 'incidents-service',
            status: 500,
            code: 'bad-status',
            detail: 'incidents-service GET /incidents/top/by-count/5 answered 500',
          },
          {
            section: 'customersWithHighestIncidentVolume',
            source: 'incidents-service',
            status: 500,
            code: 'bad-status',
            detail: 'incidents-service GET /incidents/top/by-volume/5 answered 500',
          },
        ],
      });
    });
    const response = await app.fetch(new Request('http://x/'));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<section id="notice" role="status">');
    expect(html).toContain('data-section="customersWithMostIncidents" data-state="missing"');
    expect(html).toContain('incidents-service GET /incidents/top/by-count/5 answered 500');
    expect(html).toContain('<table id="top-customers">');
    expect(html).not.toContain('<table id="most-incidents">');
  });

  it('answers a readable error page with 502 when the dashboard cannot be had at all', async () => {
    const app = page(undefined, () => () => Promise.reject(new TypeError('connection refused')));
    const response = await app.fetch(new Request('http://x/'));
    expect(response.status).toBe(502);
    const html = await response.text();
    expect(html).toContain('<section id="error" role="alert">');
    expect(html).toContain('the aggregates component could not be reached (connection refused)');
    expect(html).not.toContain('<table');
  });

  describe('revalidation: the ETag of / is a function of the data alone', () => {
    it('answers 304 to If-None-Match with the ETag of an earlier GET while the data is the same, though each render shows its own time', async () => {
      const app = page(undefined, undefined, { now: tickingClock() });
      const first = await app.fetch(new Request('http://x/'));
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag') ?? '';
      expect(first.headers.get('cache-control')).toBe('no-cache');
      const firstHtml = await first.text();

      const again = await app.fetch(new Request('http://x/'));
      expect(again.headers.get('etag')).toBe(etag);
      const againHtml = await again.text();
      expect(dataTimeOf(againHtml)).not.toBe(dataTimeOf(firstHtml));
      expect(againHtml.replaceAll(dataTimeOf(againHtml), '')).not.toBe(againHtml);

      const revalidated = await app.fetch(new Request('http://x/', { headers: { 'if-none-match': etag } }));
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get('etag')).toBe(etag);
      expect(await revalidated.text()).toBe('');
      // Weak: the bytes differ from render to render ("Data as of" is the time of the render), the data does not.
      expect(etag).toMatch(/^W\/"[0-9a-f]{16}"$/);
      // The strong form of the same opaque tag matches too: If-None-Match compares weakly.
      expect((await app.fetch(new Request('http://x/', { headers: { 'if-none-match': etag.slice(2) } }))).status).toBe(
        304,
      );
    });

    it("answers HEAD with GET's ETag, and 304 to HEAD with If-None-Match", async () => {
      const app = page(undefined, undefined, { now: tickingClock() });
      const get = await app.fetch(new Request('http://x/'));
      const head = await app.fetch(new Request('http://x/', { method: 'HEAD' }));
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(
        (
          await app.fetch(
            new Request('http://x/', { method: 'HEAD', headers: { 'if-none-match': get.headers.get('etag') ?? '' } }),
          )
        ).status,
      ).toBe(304);
    });

    it('answers 200 with a new ETag after a plain SQL insert', async () => {
      const app = page(undefined, undefined, { now: tickingClock() });
      const before = await app.fetch(new Request('http://x/'));
      const etag = before.headers.get('etag') ?? '';
      expect(etag).not.toBe('');
      app.db.exec(
        "INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES ('page-etag-sql', 'Plain SQL Ltd', 'Oslo', 'Norway', 3);",
      );
      const after = await app.fetch(new Request('http://x/', { headers: { 'if-none-match': etag } }));
      expect(after.status).toBe(200);
      const newEtag = after.headers.get('etag') ?? '';
      expect(newEtag).toMatch(/^W\/"[0-9a-f]{16}"$/);
      expect(newEtag).not.toBe(etag);
      expect(await after.text()).toContain('<strong id="customer-count">41</strong>');
      expect((await app.fetch(new Request('http://x/', { headers: { 'if-none-match': newEtag } }))).status).toBe(304);
    });

    it("answers 200 with a new ETag after an API write, with the dashboard's cache on", async () => {
      const app = page(undefined, undefined, { now: tickingClock(), variables: {} });
      const customers = createCustomersApp({
        openDatabase: () => app.db.database,
        apiToken: () => TEST_API_TOKEN,
        ...QUIET,
      });
      const before = await app.fetch(new Request('http://x/'));
      const etag = before.headers.get('etag') ?? '';
      expect((await app.fetch(new Request('http://x/', { headers: { 'if-none-match': etag } }))).status).toBe(304);
      const created = await customers.fetch(
        new Request('http://customers-service.spin.internal/customers/items', {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Api Write AS', scoring: 10 }),
        }),
      );
      expect(created.status).toBe(201);
      const after = await app.fetch(new Request('http://x/', { headers: { 'if-none-match': etag } }));
      expect(after.status).toBe(200);
      const newEtag = after.headers.get('etag') ?? '';
      expect(newEtag).not.toBe(etag);
      const html = await after.text();
      expect(html).toContain('<strong id="customer-count">41</strong>');
      expect(html).toContain('Api Write AS');
      expect((await app.fetch(new Request('http://x/', { headers: { 'if-none-match': newEtag } }))).status).toBe(304);
    });

    it('compares If-Match strongly: a weak ETag never matches it (412), "*" does', async () => {
      const app = page(undefined, undefined, { now: tickingClock() });
      const etag = (await app.fetch(new Request('http://x/'))).headers.get('etag') ?? '';
      for (const tag of [etag, etag.slice(2)]) {
        const refused = await app.fetch(new Request('http://x/', { headers: { 'if-match': tag } }));
        expect({ tag, status: refused.status, type: refused.headers.get('content-type') }).toEqual({
          tag,
          status: 412,
          type: 'application/problem+json',
        });
      }
      const any = await app.fetch(new Request('http://x/', { headers: { 'if-match': '*', 'if-none-match': etag } }));
      expect(any.status).toBe(304);
    });
  });

  it(`describes its routes in ${PAGE_DOCUMENT_PATH}: the page (200 or 502, HTML), its assets (404 problem) and the document`, async () => {
    const response = await page().fetch(new Request(`http://x${PAGE_DOCUMENT_PATH}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const doc = (await response.json()) as OpenApiDoc;
    expect(validateDocument(doc)).toEqual([]);
    expect(doc.info.title).toBe('page-service');
    expect(
      operations(doc)
        .filter((o) => o.method === 'get')
        .map((o) => [o.path, o.operation.operationId]),
    ).toEqual([
      ['/', 'page.view'],
      ['/assets/{file}', 'page.asset'],
      ['/page/openapi.json', 'page.openapi'],
    ]);
    const view = operations(doc).find((o) => o.operation.operationId === 'page.view')?.operation;
    for (const status of ['200', '502'])
      expect(Object.keys(view?.responses[status]?.content ?? {}), status).toEqual(['text/html']);
    const asset = operations(doc).find((o) => o.operation.operationId === 'page.asset')?.operation;
    expect(Object.keys(asset?.responses['200']?.content ?? {})).toEqual([
      'image/svg+xml',
      'text/css',
      'text/javascript',
    ]);
    expect(asset && problemTypesByStatus(asset)['404']).toEqual(['urn:aggregates-dashboard:problem:not-found']);
  });
});

describe('view', () => {
  it('formats counts and money with grouped thousands and two decimals', () => {
    expect([formatInteger(0), formatInteger(999), formatInteger(1000), formatInteger(1234567)]).toEqual([
      '0',
      '999',
      '1,000',
      '1,234,567',
    ]);
    expect([
      formatMoney(0),
      formatMoney(5),
      formatMoney(32399.96),
      formatMoney(1234567.5),
      formatMoney(-1000.1),
    ]).toEqual(['0.00', '5.00', '32,399.96', '1,234,567.50', '-1,000.10']);
  });

  it('marks a section served from an old copy as stale, with the reason', () => {
    const view = toView(200, {
      customerCount: 3,
      topCustomers: [],
      customersWithMostIncidents: [],
      customersWithHighestIncidentVolume: [],
      errors: [
        {
          section: 'customerCount',
          detail: 'customers-service GET /customers/count answered 500; a cached copy 4 s old was served instead',
        },
      ],
    });
    expect(view.notices).toEqual([
      {
        section: 'customerCount',
        state: 'stale',
        reason: 'customers-service GET /customers/count answered 500; a cached copy 4 s old was served instead',
      },
    ]);
    expect(renderMain(view, '2026-11-30T08:00:00.000Z')).toContain('is an older copy');
  });

  it('treats a body of the wrong shape as missing sections, never as a crash', () => {
    const view = toView(200, { customerCount: 'many', topCustomers: [{ customerName: 1 }] });
    expect(view.failure).toBe('no part of the dashboard could be computed');
    expect(toView(504, { detail: 'No part of the dashboard could be computed: timeouts' }).failure).toBe(
      'No part of the dashboard could be computed: timeouts',
    );
  });
});
