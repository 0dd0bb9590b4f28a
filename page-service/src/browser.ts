/**
 * The page's script: keeps the server-rendered dashboard current. Every few seconds, while the tab is visible,
 * it asks `/aggregates/dashboard` with `If-None-Match`: a 304 only moves the "data as of" time; a new answer is
 * rendered with the same code the server used (view.ts). Without JavaScript the page is simply not refreshed.
 */
import { escapeHtml, readableTime, renderMain, toView } from './view';

const REFRESH_MS = 5000;
const main = document.getElementById('dashboard');

async function refresh(): Promise<void> {
  if (!main || document.hidden) return;
  const etag = main.dataset.etag ?? '';
  try {
    const response = await fetch('/aggregates/dashboard', {
      headers: etag ? { 'if-none-match': etag } : {},
      cache: 'no-store',
    });
    const now = new Date().toISOString();
    if (response.status === 304) {
      // Read the (empty) body, so the browser counts the request as finished rather than aborted.
      await response.arrayBuffer();
      const time = document.getElementById('data-time');
      if (time) {
        time.setAttribute('datetime', now);
        time.textContent = readableTime(now);
      }
      return;
    }
    const body: unknown = await response.json().catch(() => null);
    main.innerHTML = renderMain(toView(response.status, body), now);
    main.dataset.etag = response.headers.get('etag') ?? '';
  } catch (error) {
    // Offline, or the server is gone: say so beside the time (or at the end, on the error page, which has no
    // time), keep what is shown.
    const time = document.getElementById('data-time');
    document.querySelectorAll('.stale-note').forEach((note) => note.remove());
    const why = escapeHtml(error instanceof Error ? error.message : String(error));
    const note = ` <span class="stale-note">(could not refresh: ${why})</span>`;
    if (time) time.insertAdjacentHTML('afterend', note);
    else main.insertAdjacentHTML('beforeend', note);
  }
}

setInterval(() => void refresh(), REFRESH_MS);
document.addEventListener('visibilitychange', () => void refresh());
