/**
 * A client of the app's HTTP API over real HTTP for tests that run it as separate processes (tests/e2e/durability,
 * tests/servers/production-shape): requests carrying the write token, answers with their text and parsed JSON, and
 * an event feed read to its end by following its `Link: <...>; rel="next"` pages.
 */
import { expect } from 'vitest';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  body: unknown;
}

export interface FeedEvent {
  seq: number;
  type: string;
  aggregateId: string;
  version: number;
  diff: Record<string, { old: unknown; new: unknown }>;
}

export interface ApiClient {
  /** `method path` on `base`, a JSON body if given (merge-patch for PATCH). */
  call(base: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  get(base: string, path: string, headers?: Record<string, string>): Promise<Answer>;
  /** Every event of `feed` (`/customers/events`...) after `after`, in order; each page must answer 200. */
  readFeed(base: string, feed: string, after?: number): Promise<FeedEvent[]>;
}

/** A client whose requests carry `Bearer <token>` and give up after `timeoutMs`. */
export function apiClient(token: string, timeoutMs: number): ApiClient {
  async function call(
    base: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const all: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
    if (body !== undefined)
      all['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers: all,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }
  async function readFeed(base: string, feed: string, after = 0): Promise<FeedEvent[]> {
    const events: FeedEvent[] = [];
    let next: string | null = `${feed}?after=${after}&limit=500`;
    for (let page = 0; next !== null && page < 1000; page++) {
      const response: Response = await fetch(`${base}${next}`, { signal: AbortSignal.timeout(timeoutMs) });
      expect(response.status).toBe(200);
      events.push(...((await response.json()) as FeedEvent[]));
      next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
    }
    return events;
  }
  return { call, get: (base, path, headers = {}) => call(base, 'GET', path, undefined, headers), readFeed };
}
