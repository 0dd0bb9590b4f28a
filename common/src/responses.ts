/** JSON answers. */

/** A response whose body is JSON text already written (e.g. by `jsonGroups`). */
export function jsonText(body: string, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return new Response(body, { ...init, headers });
}

/** A JSON response; `JSON.stringify` output is deterministic for the same data. */
export function json(data: unknown, init: ResponseInit = {}): Response {
  return jsonText(JSON.stringify(data), init);
}
