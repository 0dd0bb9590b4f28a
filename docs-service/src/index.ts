// Spin entry point of the docs component: the app with Swagger UI's files from swagger-ui-dist (pinned in
// package.json) and the page's own script and style, all bundled into the component at build time
// (scripts/build.mjs bundles browser.ts for browsers first). Logic lives in app.ts.
import swaggerScript from 'swagger-ui-dist/swagger-ui-bundle.js?raw';
import swaggerStyle from 'swagger-ui-dist/swagger-ui.css?raw';
import script from '#browser-bundle?raw';
import style from './docs.css?raw';
import { serve } from '../../common/src/spin-entry';
import { createDocsApp } from './app';

serve(createDocsApp({ assets: { swaggerScript, swaggerStyle, script, style } }));
