/**
 * The dashboard page (page-service, route `/...`) in a real browser: Chromium driven by playwright-core,
 * against the real Wasm components on the local runtime listening on real HTTP, with data loaded by
 * plain SQL. Checked against the page's DOM contract:
 *
 * - what the page shows equals `/aggregates/dashboard` (fetched here independently), names as text only;
 * - server-rendered: the same content with JavaScript off;
 * - partial answers (`#notice`, `p.missing`) and a total failure (`#error`), with faults injected into the
 *   data components (runtime/src/faults.ts);
 * - the script keeps the open page current (If-None-Match polling, paused while the tab is hidden);
 * - no console errors or failed requests; CSP and nosniff on `/`, immutable assets;
 * - axe-core finds nothing serious or critical, light, dark and at phone width;
 * - chart labels never overlap the bars (bounding boxes), long names shortened at a word with the full name
 *   as tooltip, at desktop and phone widths;
 * - a customer's overview page (`/overview/{id}`): the customer as text, its standings, the 404 page;
 * - screenshots into tests/browser/screenshots/ (ignored by git); `UPDATE_SCREENSHOT=1` also rewrites the
 *   tracked ones in docs/ (dashboard and overview, desktop and phone).
 *
 * Which Chromium, and when the suite is skipped: tests/browser/chromium.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AxeResults } from 'axe-core';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  type Response as PageResponse,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from 'spin-local';
import { ROOT, startApp, type AppRuntime } from '../e2e/app-runtime';
import { chromiumFor, cspDirectives, LAUNCH_ARGS, watch, type PageWatch } from './chromium';

const executablePath = chromiumFor('tests/browser/page.test.ts');

// ---------------------------------------------------------------------------------------------------------
// The dashboard document and what the page must show for it.

interface Dashboard {
  customerCount: number | null;
  topCustomers: { customerName: string; scoring: number }[] | null;
  customersWithMostIncidents: { customerName: string; numberOfIncidents: number }[] | null;
  customersWithHighestIncidentVolume: { customerName: string; incidentVolume: number }[] | null;
  errors?: { section: string; source: string; status: number | null; code: string; detail: string }[];
}

const TABLES = [
  { id: 'top-customers', section: 'topCustomers' },
  { id: 'most-incidents', section: 'customersWithMostIncidents' },
  { id: 'highest-volume', section: 'customersWithHighestIncidentVolume' },
] as const;
type TableId = (typeof TABLES)[number]['id'];
const TABLE_IDS: TableId[] = TABLES.map((table) => table.id);
const INCIDENT_SECTIONS = ['customersWithHighestIncidentVolume', 'customersWithMostIncidents'];

interface RowView {
  /** `td.name`'s textContent, exactly. */
  name: string | null;
  /** `td.value`'s textContent, trimmed. */
  value: string | null;
  /** `td.value`'s `data-value`. */
  raw: string | null;
}

const integer = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const money = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const row = (name: string, value: number, format: (n: number) => string): RowView => ({
  name,
  value: format(value),
  raw: String(value),
});

function expectedRows(dashboard: Dashboard): Record<TableId, RowView[] | null> {
  return {
    'top-customers': dashboard.topCustomers?.map((c) => row(c.customerName, c.scoring, integer)) ?? null,
    'most-incidents':
      dashboard.customersWithMostIncidents?.map((c) => row(c.customerName, c.numberOfIncidents, integer)) ?? null,
    'highest-volume':
      dashboard.customersWithHighestIncidentVolume?.map((c) => row(c.customerName, c.incidentVolume, money)) ?? null,
  };
}

/** The parts of the DOM the contract names, read in one go. */
interface PageView {
  lang: string | null;
  main: boolean;
  etag: string | null;
  count: string | null;
  tables: Record<string, { caption: string | null; rows: RowView[] } | null>;
  missing: (string | null)[];
  notice: { role: string | null; items: { section: string | null; text: string }[] } | null;
  error: string | null;
  charts: { role: string | null; title: string | null }[];
  dataTime: string | null;
  /** Script elements whose whole text is `alert(1)` or `alert(2)`: markup injected through a name. */
  injectedScripts: number;
  /** Elements inside table cells or list items that came from a name (img, script, iframe). */
  injectedElements: number;
}

function readPage(page: Page): Promise<PageView> {
  return page.evaluate((ids) => {
    const text = (element: Element | null | undefined): string | null => (element ? (element.textContent ?? '') : null);
    const main = document.querySelector('main#dashboard');
    const tables: PageView['tables'] = {};
    for (const id of ids) {
      const table = document.querySelector(`table#${id}`);
      tables[id] = table
        ? {
            caption: text(table.querySelector('caption'))?.trim() ?? null,
            rows: Array.from(table.querySelectorAll('tbody tr')).map((tr) => {
              const value = tr.querySelector('td.value');
              return {
                name: text(tr.querySelector('td.name')),
                value: text(value)?.trim() ?? null,
                raw: value?.getAttribute('data-value') ?? null,
              };
            }),
          }
        : null;
    }
    const notice = document.querySelector('#notice');
    const error = document.querySelector('#error');
    return {
      lang: document.documentElement.getAttribute('lang'),
      main: main !== null,
      etag: main?.getAttribute('data-etag') ?? null,
      count: text(document.querySelector('#customer-count'))?.trim() ?? null,
      tables,
      missing: Array.from(document.querySelectorAll('p.missing')).map((p) => p.getAttribute('data-section')),
      notice: notice
        ? {
            role: notice.getAttribute('role'),
            items: Array.from(notice.querySelectorAll('li[data-section]')).map((li) => ({
              section: li.getAttribute('data-section'),
              text: (li.textContent ?? '').trim(),
            })),
          }
        : null,
      error: error ? (error.textContent ?? '').trim() : null,
      charts: Array.from(document.querySelectorAll('svg.chart')).map((svg) => ({
        role: svg.getAttribute('role'),
        title: text(svg.querySelector('title'))?.trim() ?? null,
      })),
      dataTime: document.querySelector('time#data-time')?.getAttribute('datetime') ?? null,
      injectedScripts: Array.from(document.scripts).filter((script) => /^alert\([12]\)$/.test(script.textContent ?? ''))
        .length,
      injectedElements: document.querySelectorAll('td img, td script, td iframe, li img, li script').length,
    };
  }, TABLE_IDS);
}

/** The page shows exactly what `dashboard` holds: each section filled, or replaced by `p.missing`. */
function expectShows(view: PageView, dashboard: Dashboard, etag: string | null): void {
  expect(view.lang).toBe('en');
  expect(view.main, 'main#dashboard').toBe(true);
  expect(view.error, '#error').toBeNull();
  if (etag !== null) expect(view.etag, 'main#dashboard[data-etag]').toBe(etag);
  if (dashboard.customerCount !== null) expect(view.count, '#customer-count').toBe(integer(dashboard.customerCount));
  const expected = expectedRows(dashboard);
  for (const { id, section } of TABLES) {
    const rows = expected[id];
    const table = view.tables[id];
    if (rows === null) {
      expect(table, `table#${id} (section ${section} is missing)`).toBeNull();
      expect(view.missing, `p.missing[data-section=${section}]`).toContain(section);
    } else {
      expect(table, `table#${id}`).not.toBeNull();
      expect(table?.caption, `table#${id} caption`).toBeTruthy();
      expect(table?.rows, `table#${id} rows`).toEqual(rows);
      expect(view.missing).not.toContain(section);
    }
  }
  expect(view.injectedScripts, 'script elements made from a name').toBe(0);
  expect(view.injectedElements, 'elements made from a name').toBe(0);
}

/** `#notice` (role status) lists exactly the sections the answer's `errors` name, each with its reason. */
function expectReasons(view: PageView, dashboard: Dashboard): void {
  const errors = dashboard.errors ?? [];
  expect(errors.length, 'errors in the answer').toBeGreaterThan(0);
  expect(view.notice, '#notice').not.toBeNull();
  expect(view.notice?.role, '#notice[role]').toBe('status');
  expect(view.notice?.items.map((item) => item.section).sort(), '#notice li[data-section]').toEqual(
    errors.map((error) => error.section).sort(),
  );
  for (const error of errors) {
    const item = view.notice?.items.find((candidate) => candidate.section === error.section);
    // A stale copy's age ("a cached copy 2 s old") moves on between the page's request and this one.
    const ageless = (text: string | undefined): string => (text ?? '').replace(/\b\d+ (ms|s|min|h) old\b/g, 'N $1 old');
    expect(ageless(item?.text), `#notice li[data-section=${error.section}]: the reason`).toContain(
      ageless(error.detail),
    );
  }
}

function expectCharts(view: PageView): void {
  expect(view.charts, 'svg.chart: one for incident counts, one for volumes').toHaveLength(2);
  for (const chart of view.charts) {
    expect(chart.role).toBe('img');
    expect(chart.title, 'svg.chart > title').toBeTruthy();
  }
}

/** `time#data-time[datetime]` is a date between `after` and now (a little slack for clocks). */
function expectDataTime(view: PageView, after: number): number {
  expect(view.dataTime, 'time#data-time[datetime]').toBeTruthy();
  const at = Date.parse(view.dataTime ?? '');
  expect(Number.isFinite(at), `datetime ${view.dataTime} parses as a date`).toBe(true);
  expect(at).toBeGreaterThanOrEqual(after - 2_000);
  expect(at).toBeLessThanOrEqual(Date.now() + 2_000);
  return at;
}

// ---------------------------------------------------------------------------------------------------------
// Apps, browser, pages.

const sqlText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** A customer with the top scoring and `incidents` incidents of `amount` each, in plain SQL. */
function addCustomerSql(id: string, name: string, scoring: number, incidents: number, amount: number): string {
  const rows = Array.from(
    { length: incidents },
    (_, i) => `(${sqlText(`${id}-incident-${i + 1}`)}, ${amount}, ${sqlText(name)}, 'A')`,
  );
  return `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(id)}, ${sqlText(name)}, 'Tokyo', 'Japan', ${scoring});
INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES ${rows.join(', ')};`;
}

/** Markup, an ampersand, quotes, CJK and an emoji: must show as text, and never run. */
const TRICKY_NAME = '<script>alert(1)</script> & "Quotes" 東京 😀';
/** A name that was cut inside its markup ("Aardvark <b>Renar"): shown whole. */
const RENAMED = 'Aardvark <b>Renamed</b>';
/** A name too long for a chart's line: shortened at a word, whole in its tooltip. */
const LONG_NAME = 'Birchwood Analytics International Holdings & Partners Worldwide';

const started: AppRuntime[] = [];
async function start(variables: Record<string, string>): Promise<AppRuntime & { url: string }> {
  const app = await startApp({ listen: '127.0.0.1:0', variables });
  started.push(app);
  const url = app.spin.url;
  if (url === undefined) throw new Error('the runtime did not report the address it listens on');
  return Object.assign(app, { url });
}

async function fetchDashboard(base: string): Promise<{ status: number; etag: string | null; body: Dashboard }> {
  const response = await fetch(`${base}/aggregates/dashboard`);
  return { status: response.status, etag: response.headers.get('etag'), body: (await response.json()) as Dashboard };
}

interface OpenPage extends PageWatch {
  page: Page;
  response: PageResponse | null;
}

const isDashboardFetch = (response: PageResponse): boolean =>
  new URL(response.url()).pathname === '/aggregates/dashboard';
const assetPath = /^\/assets\/page\.[A-Za-z0-9_-]+\.(js|css)$/;

const screenshotsDir = join(ROOT, 'tests/browser/screenshots');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8).toString('hex'), `${file} is a PNG`).toBe('89504e470d0a1a0a');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

// ---------------------------------------------------------------------------------------------------------

describe.skipIf(executablePath === undefined)(
  'the dashboard page in Chromium (page-service, real Wasm, real HTTP)',
  () => {
    let browser: Browser;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS });
    });
    afterAll(async () => {
      for (const context of contexts.splice(0)) await context.close().catch(() => {});
      await browser?.close();
      for (const app of started.splice(0)) {
        app.spin.setFaults([]);
        await app.stop();
      }
    });

    async function open(url: string, options: BrowserContextOptions = {}): Promise<OpenPage> {
      const context = await browser.newContext({ viewport: DESKTOP, ...options });
      contexts.push(context);
      const page = await context.newPage();
      const watched = watch(page);
      const response = await page.goto(url, { waitUntil: 'load' });
      return { page, response, ...watched };
    }
    async function close(opened: OpenPage): Promise<void> {
      const context = opened.page.context();
      contexts.splice(contexts.indexOf(context), 1);
      await context.close();
    }

    // -------------------------------------------------------------------------------------------------------
    describe('with the sample data and a customer whose name is markup', () => {
      let app: AppRuntime & { url: string };
      const since = Date.now();
      beforeAll(async () => {
        app = await start({ cache_ttl_ms: '0' });
        // Top scoring (ties with "Ironbridge Tools", before it in code-point order), 6 incidents (the most),
        // 60,000.06 in all (the highest volume): in every list, first.
        app.db.exec(addCustomerSql('browser-test-tricky', TRICKY_NAME, 10, 6, 10000.01));
        // Second and third in both incident lists (and charts), behind it.
        app.db.exec(addCustomerSql('browser-test-renamed', RENAMED, 9, 6, 9000));
        app.db.exec(addCustomerSql('browser-test-long', LONG_NAME, 9, 6, 8000));
      });

      it.each([
        { name: 'desktop', viewport: DESKTOP },
        { name: 'phone', viewport: PHONE },
      ])('(h) chart labels never overlap a bar, and are shortened only at a word: $name', async ({ viewport }) => {
        const opened = await open(app.url, { viewport });
        const charts = await opened.page.evaluate(() =>
          Array.from(document.querySelectorAll('svg.chart')).map((svg) => {
            const box = (element: Element) => {
              const { left, right, top, bottom } = element.getBoundingClientRect();
              return { left, right, top, bottom };
            };
            return {
              svg: box(svg),
              labels: Array.from(svg.querySelectorAll('text.label')).map((label) => ({
                box: box(label),
                // The label's own text, without the tooltip's.
                shown: Array.from(label.childNodes)
                  .filter((node) => node.nodeType === Node.TEXT_NODE)
                  .map((node) => node.textContent ?? '')
                  .join(''),
                tooltip: label.querySelector('title')?.textContent ?? null,
              })),
              bars: Array.from(svg.querySelectorAll('rect.bar')).map(box),
              amounts: Array.from(svg.querySelectorAll('text.amount')).map(box),
            };
          }),
        );
        expect(charts).toHaveLength(2);
        type Box = { left: number; right: number; top: number; bottom: number };
        const overlap = (a: Box, b: Box) =>
          a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        for (const [index, chart] of charts.entries()) {
          expect(chart.labels.length, `chart ${index}: labels`).toBe(chart.bars.length);
          for (const label of chart.labels) {
            for (const bar of [...chart.bars, ...chart.amounts])
              expect(overlap(label.box, bar), `chart ${index}: "${label.shown}" overlaps a bar or amount`).toBe(false);
            // Inside the drawing: nothing cut off at its right edge.
            expect(label.box.right, `chart ${index}: "${label.shown}" ends inside the chart`).toBeLessThanOrEqual(
              chart.svg.right + 0.5,
            );
          }
          // In the order of the list, each name whole, or shortened with the whole name as its tooltip.
          const names = chart.labels.map((label) => label.tooltip ?? label.shown);
          expect(names.slice(0, 3), `chart ${index}`).toEqual([TRICKY_NAME, RENAMED, LONG_NAME]);
          expect(chart.labels[1]?.shown, `chart ${index}: shown whole`).toBe(RENAMED);
          const long = chart.labels.find((label) => label.tooltip === LONG_NAME);
          expect(long, `chart ${index}: the long name has its full name as tooltip`).toBeDefined();
          // Cut at a word: what is shown is whole words of the name, then an ellipsis.
          const kept = long?.shown.replace(/…$/, '') ?? '';
          expect(long?.shown.endsWith('…')).toBe(true);
          expect(LONG_NAME.startsWith(kept) && LONG_NAME[kept.length] === ' ', `"${long?.shown}"`).toBe(true);
          for (const label of chart.labels) {
            if (label.tooltip === null) expect(label.shown.endsWith('…')).toBe(false);
            else expect(label.tooltip.startsWith(label.shown.replace(/…$/, '')), label.tooltip).toBe(true);
          }
        }
        expect(opened.dialogs).toEqual([]);
        await close(opened);
      });

      it('(i) the overview page: the customer as text, where it stands, no script at all, with or without JavaScript', async () => {
        for (const javaScriptEnabled of [true, false]) {
          const opened = await open(`${app.url}/overview/browser-test-tricky`, { javaScriptEnabled });
          expect(opened.response?.status()).toBe(200);
          const headers = (await opened.response?.allHeaders()) ?? {};
          expect(headers['content-security-policy']).toBe(
            (await fetch(app.url)).headers.get('content-security-policy'),
          );
          expect(headers.etag).toMatch(/^W\/"[0-9a-f]{16}"$/);
          const page = opened.page;
          expect(await page.locator('h1#customer-name').textContent()).toBe(TRICKY_NAME);
          expect(await page.title()).toBe(`${TRICKY_NAME}: customer overview`);
          expect((await page.locator('#incident-count dd').textContent())?.trim()).toBe('6');
          expect((await page.locator('#incident-volume dd').textContent())?.trim()).toBe('60,000.06');
          expect(await page.locator('#rank-count dd').textContent()).toMatch(/^1 of \d+, on the dashboard/);
          expect(await page.locator('table#latest-incidents tbody tr').count()).toBe(5);
          expect(await page.locator('script').count()).toBe(0);
          expect(await page.locator('a[href="/"]').count()).toBeGreaterThan(0);
          await page.waitForLoadState('networkidle');
          expect(opened.dialogs).toEqual([]);
          expect(opened.problems).toEqual([]);
          await close(opened);
        }
      });

      it('(i) the overview of an unknown customer: a readable 404 page', async () => {
        const opened = await open(`${app.url}/overview/zz-no-such-customer`);
        expect(opened.response?.status()).toBe(404);
        expect(await opened.page.locator('#not-found h2').textContent()).toBe('No such customer');
        expect(await opened.page.locator('#not-found').textContent()).toContain('zz-no-such-customer');
        expect(await opened.page.locator('time#data-time').count()).toBe(0);
        // The 404 of the document itself is the only failed request.
        expect(opened.problems.filter((problem) => !problem.includes('404'))).toEqual([]);
        await close(opened);
      });

      it('(a) loads without console errors or failed requests; CSP, nosniff and immutable assets', async () => {
        const opened = await open(app.url);
        const { page, response } = opened;
        expect(response?.status()).toBe(200);
        await page.waitForLoadState('networkidle');
        expect(opened.problems).toEqual([]);
        expect(opened.dialogs).toEqual([]);

        const headers = (await response?.allHeaders()) ?? {};
        expect(headers['content-type']).toMatch(/^text\/html/);
        expect(headers['x-content-type-options']).toBe('nosniff');
        const csp = headers['content-security-policy'];
        expect(csp, 'content-security-policy on /').toBeTruthy();
        const directives = cspDirectives(csp ?? '');
        const scripts = directives.get('script-src') ?? directives.get('default-src');
        expect(scripts, `CSP ${csp} restricts scripts (script-src or default-src)`).toBeDefined();
        expect(scripts, `CSP ${csp}`).not.toContain("'unsafe-inline'");

        const assets = opened.responses.filter((r) => assetPath.test(new URL(r.url()).pathname));
        expect(
          assets.map((r) => new URL(r.url()).pathname.split('.').at(-1)).sort(),
          'assets /assets/page.<hash>.js and .css',
        ).toEqual(['css', 'js']);
        for (const asset of assets) {
          expect(asset.status(), asset.url()).toBe(200);
          expect((await asset.allHeaders())['cache-control'], `cache-control of ${asset.url()}`).toContain('immutable');
        }
        await close(opened);
      });

      it('(b) shows every name and number of /aggregates/dashboard, a name with markup as text', async () => {
        const opened = await open(app.url);
        const view = await readPage(opened.page);
        const { status, etag, body } = await fetchDashboard(app.url);
        expect(status).toBe(200);
        expect(body.errors).toBeUndefined();
        expectShows(view, body, etag);
        expectCharts(view);
        expect(view.notice, '#notice (nothing is missing)').toBeNull();
        expectDataTime(view, since);
        for (const id of TABLE_IDS)
          expect(view.tables[id]?.rows[0]?.name, `first row of table#${id}`).toBe(TRICKY_NAME);
        // And exactly that text through Playwright's own reading of the cells.
        for (const id of TABLE_IDS)
          expect(await opened.page.locator(`table#${id} tbody tr td.name`).first().textContent()).toBe(TRICKY_NAME);
        await opened.page.waitForLoadState('networkidle');
        expect(opened.dialogs, 'dialogs (alert) fired').toEqual([]);
        expect(opened.problems).toEqual([]);
        await close(opened);
      });

      it('(c) is server-rendered: the same content with JavaScript disabled', async () => {
        const opened = await open(app.url, { javaScriptEnabled: false });
        const view = await readPage(opened.page);
        const { etag, body } = await fetchDashboard(app.url);
        expectShows(view, body, etag);
        expectCharts(view);
        expect(view.notice).toBeNull();
        expectDataTime(view, since);
        for (const id of TABLE_IDS) expect(view.tables[id]?.rows[0]?.name).toBe(TRICKY_NAME);
        expect(opened.dialogs).toEqual([]);
        expect(opened.problems).toEqual([]);
        await close(opened);
      });

      const axeCases: { name: string; options: BrowserContextOptions }[] = [
        { name: 'light, desktop', options: { colorScheme: 'light', viewport: DESKTOP } },
        { name: 'dark, desktop', options: { colorScheme: 'dark', viewport: DESKTOP } },
        {
          name: 'light, phone 390x844',
          options: { colorScheme: 'light', viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
        },
        {
          name: 'dark, phone 390x844',
          options: { colorScheme: 'dark', viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
        },
      ];
      it.each(axeCases)('(f) axe-core finds no serious or critical violations: $name', async ({ options }) => {
        // bypassCSP: axe is injected as an inline script, which the page's own CSP (rightly) refuses.
        for (const path of ['/', '/overview/browser-test-tricky']) {
          const opened = await open(`${app.url}${path}`, { ...options, bypassCSP: true });
          expect(await axeSeriousViolations(opened.page), path).toEqual([]);
          await close(opened);
        }
      });

      it('(d) stale: incidents-service failing with cached copies standing in, #notice names the stale sections, tables still filled', async () => {
        // The cache's fresh period is 0, but stale-if-error keeps its default (300 s): the earlier requests
        // left copies of every part, which now stand in for the failing component (one more request makes
        // sure of that when this test runs alone).
        expect((await fetchDashboard(app.url)).status).toBe(200);
        app.spin.setFaults([{ component: 'incidents-service', status: 500 }]);
        try {
          const opened = await open(app.url);
          const view = await readPage(opened.page);
          const response = await fetch(`${app.url}/aggregates/dashboard`);
          expect(response.headers.get('dashboard-stale'), 'the answer is stale (precondition)').toBeTruthy();
          const body = (await response.json()) as Dashboard;
          expect(body.customersWithMostIncidents, 'stale copy (precondition)').not.toBeNull();
          expectShows(view, body, null);
          expectCharts(view);
          expect(view.missing, 'p.missing (nothing is missing, only stale)').toEqual([]);
          expectReasons(view, body);
          expect(view.notice?.items.map((item) => item.section).sort()).toEqual(INCIDENT_SECTIONS);
          expect(opened.dialogs).toEqual([]);
          await close(opened);
        } finally {
          app.spin.setFaults([]);
        }
      });
    });

    // -------------------------------------------------------------------------------------------------------
    describe('when data components fail (no cache to stand in)', () => {
      let app: AppRuntime & { url: string };
      beforeAll(async () => {
        app = await start({ cache_ttl_ms: '0', cache_stale_if_error_ms: '0' });
      });
      afterAll(() => app?.spin.setFaults([]));
      const fail = (...components: string[]): void =>
        app.spin.setFaults(components.map((component): FaultRule => ({ component, status: 500 })));

      it('(d) incidents-service failing: #notice names the two incident sections with a reason; customer sections filled', async () => {
        fail('incidents-service');
        const since = Date.now();
        const opened = await open(app.url);
        const view = await readPage(opened.page);
        const { status, body } = await fetchDashboard(app.url);
        expect(status).toBe(200);
        expect(body.customersWithMostIncidents).toBeNull();
        expect(body.customersWithHighestIncidentVolume).toBeNull();

        expectShows(view, body, null);
        expect(view.tables['top-customers']?.rows.length).toBeGreaterThan(0);
        expect(view.missing.slice().sort(), 'p.missing[data-section]').toEqual(INCIDENT_SECTIONS);
        expect(body.errors?.map((error) => error.section).sort()).toEqual(INCIDENT_SECTIONS);
        expectReasons(view, body);
        expectDataTime(view, since - 60_000);
        expect(opened.dialogs).toEqual([]);
        await close(opened);
      });

      it('(d) both data components failing: #error with a readable message, no tables', async () => {
        fail('incidents-service', 'customers-service');
        const opened = await open(app.url);
        const view = await readPage(opened.page);
        expect(view.error, '#error').not.toBeNull();
        expect(view.error?.length ?? 0, `#error text: ${view.error}`).toBeGreaterThanOrEqual(10);
        expect(view.error, 'a message for people, not a JSON problem').not.toMatch(
          /^[[{]|urn:aggregates-dashboard|Injected fault/,
        );
        expect(await opened.page.locator('table').count(), 'tables').toBe(0);
        expect(view.count, '#customer-count').toBeNull();
        expect(view.lang).toBe('en');
        expect(opened.dialogs).toEqual([]);
        await close(opened);
      });

      it('(f) axe-core finds no serious or critical violations: partial answer, light and dark', async () => {
        fail('incidents-service');
        for (const colorScheme of ['light', 'dark'] as const) {
          const opened = await open(app.url, { colorScheme, bypassCSP: true });
          expect(await opened.page.locator('#notice').count()).toBe(1);
          expect(await axeSeriousViolations(opened.page), colorScheme).toEqual([]);
          await close(opened);
        }
      });

      it('(g) screenshots, desktop 1280x900 and phone 390x844: the dashboard normal and partial, an overview', async () => {
        mkdirSync(screenshotsDir, { recursive: true });
        // Birchwood Analytics, of the sample data: first in both incident lists.
        const overview = '/overview/E2516B95-4BF7-5943-D8B4-7A28B5B68B22';
        const shots: { file: string; viewport: typeof DESKTOP; faults: string[]; path?: string; docs?: string }[] = [
          { file: 'desktop.png', viewport: DESKTOP, faults: [], docs: 'dashboard.png' },
          { file: 'phone.png', viewport: PHONE, faults: [], docs: 'dashboard-phone.png' },
          { file: 'desktop-partial.png', viewport: DESKTOP, faults: ['incidents-service'] },
          { file: 'phone-partial.png', viewport: PHONE, faults: ['incidents-service'] },
          { file: 'overview.png', viewport: DESKTOP, faults: [], path: overview, docs: 'overview.png' },
          { file: 'overview-phone.png', viewport: PHONE, faults: [], path: overview, docs: 'overview-phone.png' },
        ];
        for (const shot of shots) {
          fail(...shot.faults);
          const phone = shot.viewport === PHONE;
          const opened = await open(`${app.url}${shot.path ?? '/'}`, {
            viewport: shot.viewport,
            ...(phone ? { isMobile: true, hasTouch: true } : {}),
          });
          expect(opened.response?.status(), shot.file).toBe(200);
          await opened.page.evaluate(() => document.fonts.ready.then(() => undefined));
          expect(await opened.page.locator('#notice').count(), `${shot.file}: #notice`).toBe(
            shot.faults.length > 0 ? 1 : 0,
          );
          if (phone) {
            const layoutWidth = await opened.page.evaluate(() => document.documentElement.clientWidth);
            expect(
              layoutWidth,
              `${shot.file}: layout viewport at the phone's width (<meta name="viewport" content="width=device-width">)`,
            ).toBe(PHONE.width);
          }
          // Nothing wider than the viewport: the page scrolls only vertically (tables may scroll inside).
          const widths = await opened.page.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
          }));
          expect(
            widths.scroll,
            `${shot.file}: page width ${widths.scroll} > viewport ${widths.client}`,
          ).toBeLessThanOrEqual(widths.client);
          const file = join(screenshotsDir, shot.file);
          await opened.page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
          expect(pngSize(file).width).toBe(shot.viewport.width);
          // The tracked copies in docs/ change only when asked to.
          if (shot.docs && process.env.UPDATE_SCREENSHOT === '1') {
            const docs = join(ROOT, 'docs', shot.docs);
            mkdirSync(dirname(docs), { recursive: true });
            writeFileSync(docs, readFileSync(file));
          }
          await close(opened);
        }
      }, 120_000);
    });

    // -------------------------------------------------------------------------------------------------------
    describe('an open page keeps itself current', () => {
      let app: AppRuntime & { url: string };
      let opened: OpenPage;
      beforeAll(async () => {
        app = await start({ cache_ttl_ms: '0' });
        opened = await open(app.url);
        // Survives only while the document does: gone after any reload or navigation.
        await opened.page.evaluate(() => Object.assign(window, { __noReloadMarker: 'still here' }));
      });

      it('(e) re-fetches with If-None-Match; a 304 changes nothing but re-confirms data-time', async () => {
        const before = await readPage(opened.page);
        expect(before.etag).toBeTruthy();
        const previousTime = Date.parse(before.dataTime ?? '');
        const poll = await opened.page.waitForResponse(isDashboardFetch, { timeout: 15_000 });
        expect((await poll.request().allHeaders())['if-none-match'], 'If-None-Match of the poll').toBe(before.etag);
        expect(poll.status()).toBe(304);
        await opened.page.waitForFunction(
          (previous) => Date.parse(document.querySelector('time#data-time')?.getAttribute('datetime') ?? '') > previous,
          previousTime,
          { timeout: 5_000 },
        );
        const after = await readPage(opened.page);
        expect({ ...after, dataTime: null }).toEqual({ ...before, dataTime: null });
        expect(opened.problems).toEqual([]);
      });

      it('(e) shows rows added with plain SQL within 15 s, without a reload, names as text', async () => {
        const before = await readPage(opened.page);
        const framesNavigated: string[] = [];
        opened.page.on('framenavigated', (frame) => {
          if (frame === opened.page.mainFrame()) framesNavigated.push(frame.url());
        });
        // Rendered by the script this time: markup in a name must stay text there too.
        const name = '<img src=x onerror=alert(2)> Live & "Update" 😀';
        app.db.exec(addCustomerSql('browser-test-live', name, 10, 7, 20000.02));
        const t0 = Date.now();
        await opened.page.waitForFunction(
          ({ name, count }) =>
            document.querySelector('#customer-count')?.textContent?.trim() !== count &&
            ['top-customers', 'most-incidents', 'highest-volume'].every(
              (id) => document.querySelector(`table#${id} tbody tr td.name`)?.textContent === name,
            ),
          { name, count: before.count },
          { timeout: 15_000, polling: 250 },
        );
        const tookMs = Date.now() - t0;
        const view = await readPage(opened.page);
        const { etag, body } = await fetchDashboard(app.url);
        expectShows(view, body, etag);
        expectCharts(view);
        expect(view.etag).not.toBe(before.etag);
        expect(Date.parse(view.dataTime ?? '')).toBeGreaterThanOrEqual(Date.parse(before.dataTime ?? ''));
        expect(
          await opened.page.evaluate(() => (window as unknown as { __noReloadMarker?: string }).__noReloadMarker),
          'window marker (no reload)',
        ).toBe('still here');
        expect(framesNavigated, 'main-frame navigations').toEqual([]);
        expect(opened.dialogs, 'dialogs (alert) fired').toEqual([]);
        expect(opened.problems).toEqual([]);
        console.log(`[browser tests] the open page showed the new rows ${tookMs} ms after the SQL insert`);
      }, 60_000);

      it('(e) pauses polling while the tab is hidden and resumes when it is visible again', async () => {
        const { page } = opened;
        // Headless tabs are always visible: make the document say it is hidden, as a background tab's does.
        await page.evaluate(() => {
          const state = (): DocumentVisibilityState =>
            (window as unknown as { __testHidden?: boolean }).__testHidden ? 'hidden' : 'visible';
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: state });
          Object.defineProperty(document, 'hidden', { configurable: true, get: () => state() === 'hidden' });
        });
        // The interval, from two consecutive polls.
        const first = await page.waitForResponse(isDashboardFetch, { timeout: 15_000 });
        const t1 = Date.now();
        await page.waitForResponse((r) => isDashboardFetch(r) && r !== first, { timeout: 15_000 });
        const intervalMs = Date.now() - t1;

        await page.evaluate(() => {
          Object.assign(window, { __testHidden: true });
          document.dispatchEvent(new Event('visibilitychange'));
        });
        const hiddenAt = Date.now();
        const whileHidden: string[] = [];
        const onRequest = (request: { url(): string }): void => {
          if (Date.now() - hiddenAt > 250 && new URL(request.url()).pathname === '/aggregates/dashboard')
            whileHidden.push(new Date().toISOString());
        };
        page.on('request', onRequest);
        await page.waitForTimeout(Math.min(Math.max(2.5 * intervalMs, 5_000), 20_000));
        page.off('request', onRequest);
        expect(whileHidden, `dashboard fetches while hidden (poll interval ${intervalMs} ms)`).toEqual([]);

        const resumed = page.waitForRequest((request) => new URL(request.url()).pathname === '/aggregates/dashboard', {
          timeout: intervalMs + 5_000,
        });
        await page.evaluate(() => {
          Object.assign(window, { __testHidden: false });
          document.dispatchEvent(new Event('visibilitychange'));
        });
        await resumed;
        expect(opened.problems).toEqual([]);
      }, 90_000);
    });
  },
);

/** Runs axe-core in the page; the serious and critical violations, readable. */
async function axeSeriousViolations(page: Page): Promise<string[]> {
  const axePath = join(dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js');
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run());
  const serious = results.violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
  const described = serious.map(
    (violation) =>
      `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.length} nodes: ${violation.nodes
        .slice(0, 5)
        .map(
          (node) =>
            `${node.target.join(' ')}${node.failureSummary ? ` -- ${node.failureSummary.replace(/\s+/g, ' ')}` : ''}`,
        )
        .join('; ')})`,
  );
  if (described.length > 0)
    console.error(`[browser tests] axe violations on ${page.url()}:\n  ${described.join('\n  ')}`);
  return described;
}
