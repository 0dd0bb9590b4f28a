/** The page component in-process: its HTML from real dashboard answers (in-process data components), its headers and assets. */
import { afterEach, describe, expect, it } from 'vitest';
import { createCustomersApp } from '../../customers-service/src/app';
import {
  createPageApp,
  CONTENT_SECURITY_POLICY,
  DASHBOARD_URL,
  overviewUrl,
  PAGE_DOCUMENT_PATH,
} from '../../page-service/src/app';
import { renderOverviewMain, toOverviewView } from '../../page-service/src/overview';
import { escapeHtml, formatInteger, formatMoney, renderMain, shortenLabel, toView } from '../../page-service/src/view';
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
  // The page may call the aggregates component only, and only for the dashboard and the overviews.
  const fetchDashboard = wrap(async (url: string) => {
    const prefix = 'http://aggregates-service.spin.internal';
    expect(url.startsWith(`${prefix}/aggregates/`), url).toBe(true);
    expect(
      url === DASHBOARD_URL || /^\/aggregates\/customers\/[^/]+\/overview$/.test(url.slice(prefix.length)),
      url,
    ).toBe(true);
    return aggregates(url.slice(prefix.length));
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

  describe('/overview/{id}: one customer, from one chained call to its overview', () => {
    const BIRCHWOOD = 'E2516B95-4BF7-5943-D8B4-7A28B5B68B22';

    it('answers the page: the customer, where it stands, its newest incidents, with the CSP and a weak ETag', async () => {
      const calls: string[] = [];
      const app = page(undefined, (f) => (url) => (calls.push(url), f(url)), { now: tickingClock() });
      const response = await app.fetch(new Request(`http://x/overview/${BIRCHWOOD}`));
      expect(response.status).toBe(200);
      expect(calls).toEqual([overviewUrl(BIRCHWOOD)]);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = response.headers.get('etag') ?? '';
      expect(etag).toMatch(/^W\/"[0-9a-f]{16}"$/);
      const html = await response.text();
      expect(html).toContain('<h1 id="customer-name">Birchwood Analytics</h1>');
      expect(html).toContain('Graz, Portugal.');
      expect(html).toMatch(/<div id="incident-count"><dt>Incidents<\/dt><dd>5<\/dd><\/div>/);
      expect(html).toContain('<div id="incident-volume"><dt>Incident volume</dt><dd>32,399.96</dd></div>');
      expect(html).toMatch(/<div id="rank-count"><dt>By incidents<\/dt><dd>1 of \d+, on the dashboard/);
      expect(html).toContain('<table id="latest-incidents">');
      expect(html).toContain('<time id="data-time"');
      expect(html).not.toMatch(/<script/);
      expect(html).not.toContain('id="notice"');

      // Another render (another time) of the same data: the same tag; a revalidation gets 304, HEAD the same tag.
      const again = await app.fetch(new Request(`http://x/overview/${BIRCHWOOD}`));
      expect(again.headers.get('etag')).toBe(etag);
      const revalidated = await app.fetch(
        new Request(`http://x/overview/${BIRCHWOOD}`, { headers: { 'if-none-match': etag } }),
      );
      expect(revalidated.status).toBe(304);
      expect(await revalidated.text()).toBe('');
      const head = await app.fetch(new Request(`http://x/overview/${BIRCHWOOD}`, { method: 'HEAD' }));
      expect({ status: head.status, etag: head.headers.get('etag'), body: await head.text() }).toEqual({
        status: 200,
        etag,
        body: '',
      });
      // A write to the customer's incidents changes the page, so its tag.
      app.db.exec(
        `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ('page-ov-1', 1, 'Birchwood Analytics', 'B');`,
      );
      const after = await app.fetch(
        new Request(`http://x/overview/${BIRCHWOOD}`, { headers: { 'if-none-match': etag } }),
      );
      expect(after.status).toBe(200);
      expect(after.headers.get('etag')).not.toBe(etag);
    });

    it('answers a readable 404 page for an id no customer has, without an ETag', async () => {
      const app = page();
      for (const id of ['no-such-customer', '<b>x</b>']) {
        const response = await app.fetch(new Request(`http://x/overview/${encodeURIComponent(id)}`));
        expect({ id, status: response.status, type: response.headers.get('content-type') }).toEqual({
          id,
          status: 404,
          type: 'text/html; charset=utf-8',
        });
        expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
        expect(response.headers.get('etag')).toBeNull();
        const html = await response.text();
        expect(html).toContain('<section id="not-found" role="alert"><h2>No such customer</h2>');
        expect(html).toContain(escapeHtml(id));
        expect(html).not.toContain('<b>x</b>');
        expect(html).not.toContain('Data as of');
        expect(html).not.toMatch(/\.\.</);
      }
    });

    it('escapes every value of the customer: a name with markup is shown as text', async () => {
      const name = `Aardvark <b>Renamed</b> & "Co" <script>alert(1)</script>`;
      const app = page((db) =>
        db.exec(
          `INSERT INTO Customers (Id, Name, City, Scoring) VALUES ('evil-ov', '${name.replaceAll("'", "''")}', '<i>Oslo</i>', 4);`,
        ),
      );
      const html = await (await app.fetch(new Request('http://x/overview/evil-ov'))).text();
      expect(html).toContain(`<h1 id="customer-name">${escapeHtml(name)}</h1>`);
      expect(html).toContain(`<title>${escapeHtml(name)}: customer overview</title>`);
      expect(html).toContain('&lt;i&gt;Oslo&lt;/i&gt;');
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).not.toContain('<b>Renamed</b>');
    });

    it('answers the unavailable page (502, no ETag, no "Data as of") when the chained call fails', async () => {
      const app = page(undefined, () => () => Promise.reject(new TypeError('connection refused')));
      const response = await app.fetch(new Request(`http://x/overview/${BIRCHWOOD}`));
      expect(response.status).toBe(502);
      expect(response.headers.get('etag')).toBeNull();
      const html = await response.text();
      expect(html).toContain('<section id="error" role="alert"><h2>The overview is not available</h2>');
      expect(html).toContain('the aggregates component could not be reached (connection refused).');
      expect(html).not.toContain('Data as of');
    });

    it('shows which parts are missing or older copies, as the dashboard does', () => {
      const body = {
        customer: { id: 'c1', name: 'C One', city: null, country: null, scoring: 3 },
        topCustomers: null,
        incidents: {
          numberOfIncidents: 0,
          incidentVolume: 0,
          customersWithMostIncidents: null,
          customersWithHighestIncidentVolume: null,
        },
        latestIncidents: [],
        errors: [
          { section: 'topCustomers', detail: 'customers-service GET /customers/items/c1/rank answered 500' },
          {
            section: 'latestIncidents',
            detail: 'incidents-service answered 500; a cached copy 3 s old was served instead',
          },
        ],
      };
      const html = renderOverviewMain(toOverviewView('c1', 200, body), '2026-11-30T08:00:00.000Z');
      expect(html).toContain('<h2>Part of the overview is missing, part is an older copy</h2>');
      expect(html).toContain('data-section="topCustomers" data-state="missing"');
      expect(html).toContain('data-section="latestIncidents" data-state="stale"');
      expect(html).toContain('not in this list (no incidents under its name)');
    });
  });

  it("links each name the dashboard gives an id to that customer's overview", async () => {
    const app = page(undefined, (f) => async (url) => {
      const body = (await (await f(url)).json()) as { topCustomers: { customerName: string }[] };
      return Response.json({
        ...body,
        topCustomers: body.topCustomers.map((c, i) => ({ ...c, customerId: i === 0 ? 'a/b <c>' : 'plain' })),
      });
    });
    const html = await (await app.fetch(new Request('http://x/'))).text();
    expect(html).toContain('<td class="name"><a href="/overview/a%2Fb%20%3Cc%3E">Ironbridge Tools</a></td>');
    expect(html).toContain('<a href="/overview/plain">Jasper Creek Mining</a>');
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
      ['/overview/{id}', 'page.overview'],
      ['/assets/{file}', 'page.asset'],
      ['/page/openapi.json', 'page.openapi'],
    ]);
    const view = operations(doc).find((o) => o.operation.operationId === 'page.view')?.operation;
    for (const status of ['200', '502'])
      expect(Object.keys(view?.responses[status]?.content ?? {}), status).toEqual(['text/html']);
    const overview = operations(doc).find((o) => o.operation.operationId === 'page.overview')?.operation;
    for (const status of ['200', '404', '502'])
      expect(Object.keys(overview?.responses[status]?.content ?? {}), status).toEqual(['text/html']);
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

  it('says "an older copy" when every section is served from the cache, "missing" for what is not there', () => {
    const detail = 'customers-service answered 500; a cached copy 4 s old was served instead';
    const body = {
      customerCount: 3,
      topCustomers: [],
      customersWithMostIncidents: [],
      customersWithHighestIncidentVolume: [],
      errors: ['customerCount', 'topCustomers', 'customersWithMostIncidents', 'customersWithHighestIncidentVolume'].map(
        (section) => ({ section, detail }),
      ),
    };
    const all = renderMain(toView(200, body), '2026-11-30T08:00:00.000Z');
    expect(all).toContain('<h2>All of the dashboard is an older copy</h2>');
    expect(all).not.toContain('incomplete');
    const one = renderMain(toView(200, { ...body, errors: body.errors.slice(0, 1) }), '2026-11-30T08:00:00.000Z');
    expect(one).toContain('<h2>Part of the dashboard is an older copy</h2>');
    const gone = renderMain(
      toView(200, { ...body, topCustomers: null, errors: body.errors.slice(0, 1) }),
      '2026-11-30T08:00:00.000Z',
    );
    expect(gone).toContain('<h2>Part of the dashboard is missing, part is an older copy</h2>');
    expect(renderMain(toView(200, { ...body, topCustomers: null, errors: [] }), 'x')).toContain(
      '<h2>Part of the dashboard is missing</h2>',
    );
  });

  it('ends an error text with one full stop, and shows no "Data as of" without data', () => {
    const html = renderMain(
      toView(500, { detail: 'The server failed to answer this request; the cause is in its log.' }),
      '2026-11-30T08:00:00.000Z',
    );
    expect(html).toContain('<p>The server failed to answer this request; the cause is in its log.</p>');
    expect(html).not.toContain('..');
    expect(html).not.toContain('Data as of');
    expect(renderMain(toView(502, { detail: 'no part could be computed' }), 'x')).toContain(
      '<p>no part could be computed.</p>',
    );
  });

  it('shortens a long chart label at a word, by characters, never inside one', () => {
    expect(shortenLabel('Aardvark <b>Renamed</b>')).toBe('Aardvark <b>Renamed</b>');
    const tricky = '<script>alert(1)</script> & "Quotes" 東京 😀';
    expect(shortenLabel(tricky)).toBe(tricky);
    expect(shortenLabel('Birchwood Analytics and Extraordinarily Long Holdings Company')).toBe(
      'Birchwood Analytics and Extraordinarily…',
    );
    // A word that ends exactly where the room does is kept.
    expect(shortenLabel('Birchwood Analytics <Research & Development Division>')).toBe(
      'Birchwood Analytics <Research & Development…',
    );
    // Wide characters take the room of two.
    expect(shortenLabel('東京'.repeat(15))).toBe(`${'東京'.repeat(10)}東…`);
    // One word longer than the room: cut by characters (a code point at a time, never half an emoji).
    const word = '😀'.repeat(40);
    expect(shortenLabel(word)).toBe(`${'😀'.repeat(21)}…`);
  });

  it('draws each chart label on a line of its own, escaped, with the full name as the tooltip of a shortened one', () => {
    const long = 'Birchwood Analytics <Research & Development Division> International';
    const html = renderMain(
      toView(200, {
        customerCount: 2,
        topCustomers: [],
        customersWithMostIncidents: [
          { customerName: 'Aardvark <b>Renamed</b>', numberOfIncidents: 5 },
          { customerName: long, numberOfIncidents: 2 },
        ],
        customersWithHighestIncidentVolume: [],
      }),
      'x',
    );
    expect(html).toContain('<text x="0" y="15" class="label">Aardvark &lt;b&gt;Renamed&lt;/b&gt;</text>');
    expect(html).toContain(
      `<text x="0" y="61" class="label"><title>${escapeHtml(long)}</title>Birchwood Analytics &lt;Research &amp; Development…</text>`,
    );
    // The bars start on the next line, at x 0: no label can run into one.
    expect(html).toContain('<rect x="0" y="21"');
    expect(html).not.toContain('<b>');
  });

  it('treats a body of the wrong shape as missing sections, never as a crash', () => {
    const view = toView(200, { customerCount: 'many', topCustomers: [{ customerName: 1 }] });
    expect(view.failure).toBe('no part of the dashboard could be computed');
    expect(toView(504, { detail: 'No part of the dashboard could be computed: timeouts' }).failure).toBe(
      'No part of the dashboard could be computed: timeouts',
    );
  });
});
