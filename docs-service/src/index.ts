// Spin entry point of the docs component: the app with Spin's outbound HTTP (for the catalog it lists), Swagger
// UI's files from swagger-ui-dist (pinned in package.json) and the page's own script and style, all bundled into
// the component at build time (scripts/build.mjs bundles browser.ts for browsers first). Logic lives in app.ts.
import swaggerScript from 'swagger-ui-dist/swagger-ui-bundle.js?raw';
import swaggerStyle from 'swagger-ui-dist/swagger-ui.css?raw';
import swaggerLicense from 'swagger-ui-dist/LICENSE?raw';
import swaggerNotice from 'swagger-ui-dist/NOTICE?raw';
import swaggerBundleLicenses from 'swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt?raw';
import script from '#browser-bundle?raw';
import style from './docs.css?raw';
import { serve } from '@aggregates/common/spin-entry';
import { createDocsApp } from './app';

const licenses = {
  LICENSE: swaggerLicense,
  NOTICE: swaggerNotice,
  'swagger-ui-bundle.js.LICENSE.txt': swaggerBundleLicenses,
};
serve(
  createDocsApp({
    fetch: (url, init) => fetch(url, init),
    assets: { swaggerScript, swaggerStyle, script, style, licenses },
  }),
);
