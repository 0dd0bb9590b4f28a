/**
 * The dashboard's whole answer, kept beside its parts when `cache_max_age_ms` is set. Within that age the parts
 * would be served without asking anything anyway, so the answer they make is served as it was made: one read
 * of the store instead of reading and decoding each part, composing, serialising and tagging the document
 * again (in a component all of that is interpreted JavaScript, most of a cached dashboard's cost).
 *
 * An answer is kept only when it is complete and every part came fresh or from the cache (none stale or
 * failed), and it is served only while younger than `cache_max_age_ms` counted from when its data was last
 * known to be current: a part fetched or revalidated while making it counts as checked then, a part served
 * unasked counts from when it was stored. So a write is invisible for at most `cache_max_age_ms`, as with the
 * parts. The answer carries the same `Cache-Status` as one made of parts that were all served unasked, and
 * `Age` from that time.
 */
import { etagOf } from '@aggregates/common/etag';
import { jsonText } from '@aggregates/common/responses';
import type { ResponseCache } from './cache';
import { CACHE_NAME } from './cache-status';
import type { PartOutcome } from './fetch-parts';

interface KeptAnswer {
  body: string;
  etag: string;
}

/** The store key of the answer for these settings (everything that changes the document). */
export const answerKey = (settings: readonly (string | number)[]): string => `answer ${settings.join(' ')}`;

/** The kept answer for `key`, when there is one younger than `maxAgeMs`; else `null`. */
export function keptAnswer(cache: ResponseCache, key: string, now: number, maxAgeMs: number): Response | null {
  if (maxAgeMs <= 0) return null;
  const entry = cache.read(key);
  if (!entry) return null;
  const { body, etag } = (entry.value ?? {}) as Partial<KeptAnswer>;
  const age = now - entry.storedAt;
  if (typeof body !== 'string' || typeof etag !== 'string' || !(age >= 0 && age < maxAgeMs)) return null;
  return jsonText(body, {
    headers: {
      etag,
      'cache-status': `${CACHE_NAME}; hit; detail=unchecked`,
      age: String(Math.floor(age / 1000)),
      'server-timing': `answer;dur=0;desc="cached answer"`,
    },
  });
}

/**
 * Keeps `response` (the answer just made from `outcomes`) for later requests, and returns it to send, tagged
 * now so the tag is computed once (a new Response with the same status and headers: a component's Response has
 * no `clone`). Keeps nothing, and returns `response` itself, unless `maxAgeMs` is set and the answer is complete
 * and current.
 */
export async function keepAnswer<D>(
  cache: ResponseCache,
  key: string,
  outcomes: readonly PartOutcome<D>[],
  response: Response,
  now: number,
  maxAgeMs: number,
): Promise<Response> {
  if (maxAgeMs <= 0 || response.status !== 200) return response;
  if (outcomes.some((o) => o.state !== 'cached' && o.state !== 'fresh')) return response;
  const checkedAt = Math.min(...outcomes.map((o) => (o.cache === 'unchecked' ? now - (o.ageMs ?? 0) : now)));
  const body = await response.text();
  const etag = etagOf(body);
  cache.write(key, { storedAt: checkedAt, dataVersion: null, value: { body, etag } satisfies KeptAnswer });
  const headers = new Headers(response.headers);
  headers.set('etag', etag);
  return new Response(body, { status: response.status, headers });
}
