/** Wires an app to Spin's `fetch` event; each component's `index.ts` calls this once. */
import type { App } from './http';

/**
 * Serves `app` for every request Spin sends this component.
 * Call it at module top level: Spin snapshots that code at build time, so it must not touch host APIs.
 */
export function serve(app: App): void {
  // The WebWorker lib types `addEventListener` for a dedicated worker, which has no `fetch` event;
  // StarlingMonkey dispatches one like a service worker does.
  const onFetch = (event: FetchEvent) => event.respondWith(app.fetch(event.request));
  addEventListener('fetch', onFetch as unknown as EventListener);
}
