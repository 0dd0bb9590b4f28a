// Spin entry point of the page component: the app with Spin's outbound HTTP and the bundled script and
// style (scripts/build.mjs bundles browser.ts for the browser first). Logic lives in app.ts.
import script from '#browser-bundle?raw';
import style from './page.css?raw';
import { serve } from '@aggregates/common/spin-entry';
import { createPageApp } from './app';

serve(createPageApp({ fetch: (url, init) => fetch(url, init), assets: { script, style } }));
