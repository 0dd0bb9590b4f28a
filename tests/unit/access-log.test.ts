/**
 * The components' own access-log line (common/src/http.ts): by default a JSON line on console.log only for a
 * 5xx answer or a request sent with `x-access-log: 1`, so that a terminal shows one line per request (the
 * runtime's); a logger of the caller's own gets every entry; the header travels on chained calls (trace.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '@aggregates/common/http';
import { json } from '@aggregates/common/responses';
import type { Operation, RouteDefinition } from '@aggregates/common/routes';
import { readTrace, traceHeaders } from '@aggregates/common/trace';

/** Two routes: one that answers, one that throws (a 500). */
const operation = (operationId: string, handle: Operation['handle']): Operation => ({
  operationId,
  summary: operationId,
  responses: { 200: { description: 'ok' } },
  problems: [],
  handle,
});
const routes: RouteDefinition[] = [
  { path: '/ok', get: operation('test.ok', () => json({ ok: true })) },
  {
    path: '/broken',
    get: operation('test.broken', () => {
      throw new Error('broken for the test');
    }),
  },
];

afterEach(() => vi.restoreAllMocks());

/** The JSON lines the default logger wrote while `run` ran. */
async function linesOf(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  await run();
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe('the access log of a component', () => {
  const app = createApp(routes, { component: 'test-service' });

  it('writes no line for an answer below 500', async () => {
    const lines = await linesOf(async () => {
      expect((await app.fetch(new Request('http://x/ok'))).status).toBe(200);
      expect((await app.fetch(new Request('http://x/nowhere'))).status).toBe(404);
    });
    expect(lines).toEqual([]);
  });

  it('writes one line for a 5xx answer', async () => {
    const lines = await linesOf(() => app.fetch(new Request('http://x/broken')));
    expect(lines).toEqual([expect.objectContaining({ component: 'test-service', path: '/broken', status: 500 })]);
  });

  it('writes one line for any request sent with x-access-log: 1', async () => {
    const lines = await linesOf(() => app.fetch(new Request('http://x/ok', { headers: { 'x-access-log': '1' } })));
    expect(lines).toEqual([expect.objectContaining({ method: 'GET', path: '/ok', status: 200 })]);
  });

  it('gives a logger of its own every entry', async () => {
    const entries: unknown[] = [];
    const logged = createApp(routes, { accessLog: (e) => entries.push(e) });
    await logged.fetch(new Request('http://x/ok'));
    expect(entries).toEqual([expect.objectContaining({ path: '/ok', status: 200 })]);
  });

  it('passes the request on chained calls', () => {
    expect(traceHeaders(readTrace(new Headers({ 'x-access-log': '1' })))).toMatchObject({ 'x-access-log': '1' });
    expect(traceHeaders(readTrace(new Headers()))).not.toHaveProperty('x-access-log');
  });
});
