/**
 * What the browser tests share: which Chromium to drive (and the skip rule when there is none), how it is
 * launched, and a watcher of everything that goes wrong in a page.
 *
 * Chromium: `CHROMIUM_PATH`, else /usr/bin/chromium, else `chromium` on PATH. Without one the browser suites are
 * skipped with a warning, except under CI (`CI` set), where that is a failure.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Page, Request, Response as PageResponse } from 'playwright-core';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The Chromium to drive, or why there is none. */
function findChromium(): { path: string } | { missing: string } {
  const configured = process.env.CHROMIUM_PATH;
  if (configured !== undefined && configured !== '') {
    // Set explicitly: a wrong value is a mistake to report, never a reason to skip quietly.
    if (!isExecutable(configured))
      throw new Error(`CHROMIUM_PATH=${configured} is not an executable file; fix or unset it.`);
    return { path: configured };
  }
  if (isExecutable('/usr/bin/chromium')) return { path: '/usr/bin/chromium' };
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, 'chromium'))) return { path: join(dir, 'chromium') };
  }
  return {
    missing:
      'no Chromium found (CHROMIUM_PATH is unset, /usr/bin/chromium does not exist, and there is no `chromium` on PATH)',
  };
}

/**
 * The Chromium binary, or `undefined` when there is none (the suite is then skipped: `describe.skipIf`).
 * `suite` names the test file in the messages.
 */
export function chromiumFor(suite: string): string | undefined {
  const found = findChromium();
  if ('path' in found) return found.path;
  const howTo =
    'Install it with `sudo apt-get install chromium` (Debian/Ubuntu; .ci/run does this), or set CHROMIUM_PATH to a Chromium or Chrome binary.';
  const inCI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
  if (inCI) throw new Error(`${suite}: ${found.missing}. The browser tests must run in CI. ${howTo}`);
  console.warn(`\n[browser tests] ${suite} SKIPPED: ${found.missing}. ${howTo}\n`);
  return undefined;
}

export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PageWatch {
  /** Console errors, page errors, failed requests and answers >= 400, as they happen. */
  problems: string[];
  dialogs: string[];
  /** Every response the page received (assets, the script's fetches). */
  responses: PageResponse[];
}

/** Records what goes wrong in `page` from now on (CSP violations reach the console as errors). */
export function watch(page: Page): PageWatch {
  const problems: string[] = [];
  const dialogs: string[] = [];
  const responses: PageResponse[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // Chromium reports a fetch answered 304 whose (empty) body the script never reads as failed, ERR_ABORTED,
  // right after the response arrived: the request succeeded, so that one is no problem.
  const notModified = new WeakSet<Request>();
  page.on('requestfailed', (request) => {
    const errorText = request.failure()?.errorText ?? '?';
    if (errorText === 'net::ERR_ABORTED' && notModified.has(request)) return;
    problems.push(`request failed: ${request.method()} ${request.url()}: ${errorText}`);
  });
  page.on('response', (response) => {
    responses.push(response);
    if (response.status() === 304) notModified.add(response.request());
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { problems, dialogs, responses };
}

/** A Content-Security-Policy header as directive name (lower case) -> its values. */
export function cspDirectives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = '', ...values]) => [name.toLowerCase(), values]),
  );
}
