/**
 * The catalog page (docs-service, route `/aggregates/docs/...`) in a real browser: Chromium driven by
 * playwright-core, against the real Wasm components on the local runtime listening on real HTTP.
 *
 * - Swagger UI, served by docs-service itself, renders `/aggregates/openapi.json` (fetched here too): every
 *   operation of the catalog is listed by its operationId, those of the data components and of the
 *   aggregates component among them;
 * - no console error, failed request or Content-Security-Policy violation (each is also caught by a
 *   `securitypolicyviolation` listener installed before the page's own scripts run), and nothing is loaded
 *   from another origin;
 * - "Try it out" works within `connect-src 'self'`;
 * - under the viewer, the same operations as a server-rendered list, by component: with JavaScript off it is
 *   what the page shows, every operation of the catalog in it;
 * - operation ids are never broken inside a word, in the viewer or the list, at desktop and phone widths;
 * - screenshots at 1280 and 390 px into tests/browser/screenshots/ (ignored by git); `UPDATE_SCREENSHOT=1`
 *   also rewrites the tracked docs/catalog.png and docs/catalog-phone.png.
 *
 * Which Chromium, and when the suite is skipped: tests/browser/chromium.ts.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContextOptions,
  type Page,
  type Response as PageResponse,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../docs-service/src/app';
import { ROOT, startApp, type AppRuntime } from '../e2e/app-runtime';
import { operations, type OpenApiDoc } from '../support/openapi';
import { chromiumFor, cspDirectives, LAUNCH_ARGS, watch, type PageWatch } from './chromium';

const executablePath = chromiumFor('tests/browser/docs.test.ts');

const DOCS = '/aggregates/docs';
const CATALOG = '/aggregates/openapi.json';
/** Swagger UI renders one `.opblock` per operation once the document is loaded; this long at most. */
const RENDER_TIMEOUT_MS = 20_000;
const screenshotsDir = join(ROOT, 'tests/browser/screenshots');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * The elements matching `selector` whose text is broken across lines inside a word: each of their text nodes
 * (the markup puts a `<wbr>` between the parts an id may break between) must lie on one line.
 */
function brokenInsideAWord(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((css) => {
    const broken: string[] = [];
    for (const element of Array.from(document.querySelectorAll(css))) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set(Array.from(range.getClientRects()).map((rect) => Math.round(rect.top)));
        if (lines.size > 1) broken.push(element.textContent ?? '');
      }
    }
    return broken;
  }, selector);
}

interface OpenPage extends PageWatch {
  page: Page;
  response: PageResponse | null;
  /** The Content-Security-Policy violations the page reported (`securitypolicyviolation` events). */
  violations: () => Promise<string[]>;
}

/** Records every CSP violation in `window.__cspViolations`; installed by the browser, so CSP does not apply to it. */
function recordViolations(): void {
  const seen: string[] = [];
  (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
  document.addEventListener('securitypolicyviolation', (event) => {
    seen.push(
      `${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'} at ${event.sourceFile}:${event.lineNumber} ${event.sample}`,
    );
  });
}

describe.skipIf(executablePath === undefined)(
  'the catalog page in Chromium (docs-service, Swagger UI, real Wasm, real HTTP)',
  () => {
    let browser: Browser;
    let app: AppRuntime & { url: string };

    beforeAll(async () => {
      const started = await startApp({ listen: '127.0.0.1:0' });
      const url = started.spin.url;
      if (url === undefined) throw new Error('the runtime did not report the address it listens on');
      app = Object.assign(started, { url });
      browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS });
      // The first calls to a freshly started runtime's components may outlast the catalog's time limit per call
      // (each component's first instance): warm them up, as any running app is, until the catalog is complete.
      for (let attempt = 1; attempt <= 5; attempt++) {
        const doc = (await (await fetch(`${url}${CATALOG}`)).json()) as OpenApiDoc;
        if (doc['x-errors'] === undefined) break;
      }
    });
    afterAll(async () => {
      await browser?.close();
      if (app) {
        await app.stop();
      }
    });

    async function open(path: string, options: BrowserContextOptions = {}): Promise<OpenPage> {
      const context = await browser.newContext({ viewport: DESKTOP, ...options });
      const page = await context.newPage();
      await page.addInitScript(recordViolations);
      const watched = watch(page);
      const response = await page.goto(`${app.url}${path}`, { waitUntil: 'load' });
      const violations = () =>
        page.evaluate(
          () =>
            (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [
              '(the listener was not installed)',
            ],
        );
      return { page, response, violations, ...watched };
    }

    it('renders every operation of the catalog, with no console error, failed request or CSP violation', async () => {
      const opened = await open(DOCS);
      const { page, response } = opened;
      expect(response?.status()).toBe(200);
      const headers = (await response?.allHeaders()) ?? {};
      expect(headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      const directives = cspDirectives(headers['content-security-policy'] ?? '');
      for (const name of ['script-src', 'style-src']) {
        expect(directives.get(name), name).toEqual(["'self'"]);
      }
      expect(headers['x-content-type-options']).toBe('nosniff');

      await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: RENDER_TIMEOUT_MS });
      await page.waitForLoadState('networkidle');
      const shown = await page.locator('.swagger-ui .opblock .opblock-summary-operation-id').allTextContents();
      // Exactly the operations of the catalog the page received.
      const received = opened.responses.find((r) => new URL(r.url()).pathname === CATALOG);
      expect(received?.status(), `the page's request for ${CATALOG}`).toBe(200);
      const doc = (await received?.json()) as OpenApiDoc;
      expect(doc['x-errors'], 'the catalog the page got is complete').toBeUndefined();
      expect([...shown].sort()).toEqual(
        operations(doc)
          .map((o) => o.operation.operationId ?? '')
          .sort(),
      );
      // Operations of each kind of component, by operationId and by path.
      expect(shown).toContain('customers.list');
      // HEAD and OPTIONS are said once, in the catalog's description, not as three operations per path.
      expect(shown.filter((id) => /\.(head|options)$/.test(id))).toEqual([]);
      expect(await page.locator('.swagger-ui .info').textContent()).toContain('x-head-and-options');
      expect(shown.some((id) => id.startsWith('incidents.'))).toBe(true);
      expect(shown.some((id) => id.startsWith('aggregates.'))).toBe(true);
      const paths = await page.locator('.swagger-ui .opblock .opblock-summary-path').allTextContents();
      expect(paths.map((p) => p.replace(/\u200b/g, ''))).toContain('/customers/items');

      // Everything the page loaded came from this origin: the app's own files and the catalog.
      const origin = new URL(app.url).origin;
      expect(opened.responses.map((r) => new URL(r.url()).origin).filter((o) => o !== origin)).toEqual([]);
      const assets = opened.responses.filter((r) => new URL(r.url()).pathname.startsWith(`${DOCS}/assets/`));
      expect(assets.map((r) => new URL(r.url()).pathname.replace(/\.[0-9a-f]{16}\./, '.<hash>.')).sort()).toEqual([
        '/aggregates/docs/assets/docs.<hash>.css',
        '/aggregates/docs/assets/docs.<hash>.js',
        '/aggregates/docs/assets/docs.<hash>.svg',
        '/aggregates/docs/assets/swagger-ui-bundle.<hash>.js',
        '/aggregates/docs/assets/swagger-ui.<hash>.css',
      ]);
      for (const asset of assets)
        expect((await asset.allHeaders())['cache-control'], asset.url()).toBe('public, max-age=31536000, immutable');

      expect(await opened.violations()).toEqual([]);
      expect(opened.problems).toEqual([]);
      expect(opened.dialogs).toEqual([]);
      mkdirSync(screenshotsDir, { recursive: true });
      await page.screenshot({ path: join(screenshotsDir, 'docs.png') });
      await page.context().close();
    });

    it('opens an operation and runs it with "Try it out", within the same policy', async () => {
      const opened = await open(DOCS);
      const { page } = opened;
      const block = page
        .locator('.swagger-ui .opblock', {
          has: page.locator('.opblock-summary-operation-id', { hasText: /^customers\.count$/ }),
        })
        .first();
      await block.waitFor({ timeout: RENDER_TIMEOUT_MS });
      await block.locator('.opblock-summary-control').click();
      await block.locator('button.try-out__btn').click();
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/customers/count');
      await block.locator('button.execute').click();
      expect((await answered).status()).toBe(200);
      const row = block.locator('.live-responses-table tbody tr.response').first();
      await row.waitFor();
      expect((await row.locator('.response-col_status').textContent())?.trim()).toBe('200');
      await expect.poll(() => row.locator('.response-col_description').textContent()).toContain('"count"');
      await page.waitForLoadState('networkidle');
      expect(await opened.violations()).toEqual([]);
      expect(opened.problems).toEqual([]);
      await page.context().close();
    });

    it('takes /aggregates/docs/ (trailing slash) to the same working page', async () => {
      const opened = await open(`${DOCS}/`);
      expect(new URL(opened.page.url()).pathname).toBe(DOCS);
      await opened.page.locator('.swagger-ui .opblock').first().waitFor({ timeout: RENDER_TIMEOUT_MS });
      await opened.page.waitForLoadState('networkidle');
      expect(await opened.violations()).toEqual([]);
      expect(opened.problems).toEqual([]);
      await opened.page.context().close();
    });

    it('lists every operation of the catalog, by component, when JavaScript is off', async () => {
      const opened = await open(DOCS, { javaScriptEnabled: false });
      const { page } = opened;
      const fallback = page.locator('.catalog-fallback');
      expect(await fallback.isVisible()).toBe(true);
      expect(await fallback.locator('a').getAttribute('href')).toBe(CATALOG);
      const list = page.locator('#operation-list');
      expect(await list.isVisible()).toBe(true);
      const doc = (await (await fetch(`${app.url}${CATALOG}`)).json()) as OpenApiDoc;
      const items = await list.locator('li.operation').evaluateAll((lis) =>
        lis.map((li) => ({
          method: li.querySelector('.method')?.textContent ?? '',
          path: li.querySelector('.path')?.textContent ?? '',
          summary: li.querySelector('.summary')?.textContent ?? '',
          id: li.querySelector('.op-id')?.textContent ?? '',
          tag: li.closest('section.tag')?.querySelector('h3')?.textContent ?? '',
        })),
      );
      const sortKey = (o: { id: string }) => o.id;
      expect([...items].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))).toEqual(
        operations(doc)
          .map(({ path, method, operation }) => ({
            method: method.toUpperCase(),
            path,
            summary: operation.summary ?? '',
            id: operation.operationId ?? '',
            tag: operation.tags?.[0] ?? '',
          }))
          .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)),
      );
      // One group per component, in the catalog's order of tags.
      const groups = await list.locator('section.tag h3').allTextContents();
      expect(groups).toEqual((doc.tags ?? []).map((tag) => tag.name));
      expect(await list.textContent()).toContain('HEAD wherever GET is answered');
      expect(opened.problems).toEqual([]);
      mkdirSync(screenshotsDir, { recursive: true });
      await page.screenshot({ path: join(screenshotsDir, 'catalog-no-javascript.png'), fullPage: true });
      await opened.page.context().close();
    });

    it.each([
      { name: 'desktop 1280', viewport: DESKTOP, file: 'catalog.png' },
      { name: 'phone 390', viewport: PHONE, file: 'catalog-phone.png' },
    ])('never breaks an operation id inside a word, in the viewer or the list: $name; screenshot', async (shot) => {
      const phone = shot.viewport === PHONE;
      const opened = await open(DOCS, {
        viewport: shot.viewport,
        ...(phone ? { isMobile: true, hasTouch: true } : {}),
      });
      const { page } = opened;
      await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: RENDER_TIMEOUT_MS });
      await page.waitForLoadState('networkidle');
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      expect(await page.locator('.swagger-ui .opblock-summary-operation-id').count()).toBeGreaterThan(20);
      expect(await brokenInsideAWord(page, '.swagger-ui .opblock-summary-operation-id')).toEqual([]);
      expect(await brokenInsideAWord(page, '#operation-list .op-id')).toEqual([]);
      // Nothing wider than the viewport.
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      expect(widths.scroll, `page width ${widths.scroll} > viewport ${widths.client}`).toBeLessThanOrEqual(
        widths.client,
      );
      expect(await opened.violations()).toEqual([]);
      expect(opened.problems).toEqual([]);
      mkdirSync(screenshotsDir, { recursive: true });
      const file = join(screenshotsDir, shot.file);
      // The top of the page down to the first operations of the viewer (the whole page is several screens).
      const height = Math.min(await page.evaluate(() => document.documentElement.scrollHeight), phone ? 2400 : 1400);
      await page.screenshot({
        path: file,
        fullPage: true,
        clip: { x: 0, y: 0, width: shot.viewport.width, height },
        animations: 'disabled',
      });
      // The tracked copies in docs/ change only when asked to.
      if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(file, join(ROOT, 'docs', shot.file));
      await page.context().close();
    });
  },
);
