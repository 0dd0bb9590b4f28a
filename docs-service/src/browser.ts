/**
 * The catalog page's script: starts Swagger UI (swagger-ui-bundle.js, loaded before this script) on the
 * document the page names in `#swagger-ui[data-spec-url]`, a path of this origin. Configuration is passed here
 * only: `queryConfigEnabled` stays off, so a link with `?url=` cannot point the page at another document.
 */

interface SwaggerUIBundle {
  (options: Record<string, unknown>): unknown;
  presets: { apis: unknown };
}

const root = document.getElementById('swagger-ui');
const specUrl = root?.dataset.specUrl;
const start = (window as unknown as { SwaggerUIBundle?: SwaggerUIBundle }).SwaggerUIBundle;

if (root && specUrl && start) {
  start({
    url: specUrl,
    domNode: root,
    presets: [start.presets.apis],
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    filter: true,
    // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
    validatorUrl: null,
    queryConfigEnabled: false,
  });
} else if (root) {
  root.textContent =
    'The API viewer could not start; the catalog itself is at ' + (specUrl ?? '/aggregates/openapi.json') + '.';
}

// A module, not a global script: its names stay its own.
export {};
