/**
 * A JSON answer of another component, over local service chaining, within a time limit: what the page and
 * the docs components do to render from the aggregates component's answers. Never throws: a call that fails
 * or does not answer in time comes back as `reason`, for the caller to render its own unavailable state.
 */
export type ChainedJson = { ok: true; status: number; body: unknown; etag: string } | { ok: false; reason: string };

/** How the caller sends a request: the component's `fetch` (tests hand in their own). */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export async function fetchJsonWithin(
  fetch: Fetch,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<ChainedJson> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const response = await Promise.race([fetch(url, { headers: { accept: 'application/json', ...headers } }), timeout]);
    const text = await Promise.race([response.text(), timeout]);
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the caller sees a null body with the status
    }
    return { ok: true, status: response.status, body, etag: response.headers.get('etag') ?? '' };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
