/**
 * The dashboard follows the write API at once, with the default settings (the response cache on): each
 * answer after an acknowledged write is the independently computed document for the rows as they are then,
 * ETag/304 included; and while nothing changes, the cache spares the data components all but a version check.
 * Real Wasm components on the local runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../support/random-data';
import { referenceDashboard } from '../support/reference-dashboard';
import { startApp, type AppRuntime } from './app-runtime';

const TOKEN = 'dashboard-after-writes-token';

describe('the dashboard after writes through the API, default settings, real Wasm', () => {
  let app: AppRuntime;
  beforeAll(async () => {
    app = await startApp({ variables: { api_token: TOKEN } });
  });
  afterAll(async () => {
    await app.stop();
  });

  const write = async (method: string, path: string, body?: unknown, etag?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (body !== undefined)
      headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    if (etag) headers['if-match'] = etag;
    const response = await app.spin.fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (response.status >= 300)
      throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return {
      etag: response.headers.get('etag') ?? '',
      body: response.status === 204 ? null : ((await response.json()) as Record<string, unknown>),
    };
  };
  /** An incident's ETag as of now: a customer's rename moves its incidents to a new version too. */
  const currentTag = async (path: string) => (await app.spin.fetch(path)).headers.get('etag') ?? '';
  const dashboard = async (headers: Record<string, string> = {}) =>
    app.spin.fetch('/aggregates/dashboard', { headers });

  it('is served from the cache while nothing changes, after checking only each data version', async () => {
    await dashboard();
    app.logs.length = 0;
    const again = await dashboard();
    expect(again.status).toBe(200);
    const chained = app.logs.filter((line) => line.includes('(chained)'));
    expect(chained.length).toBe(2);
    expect(chained.every((line) => line.includes('/events/last'))).toBe(true);
  });

  it('reflects every acknowledged write in the next answer, byte for byte, with a new ETag when it changed', async () => {
    const random = prng(12);
    const customers: Array<{ id: string; etag: string }> = [];
    const incidents: string[] = [];
    let before = await dashboard();
    let etag = before.headers.get('etag') ?? '';
    let text = await before.text();
    expect(text).toBe(referenceDashboard(app.db));
    for (let step = 0; step < 40; step++) {
      const roll = random();
      if (roll < 0.25 || customers.length === 0) {
        const created = await write('POST', '/customers/items', {
          name: `Writer ${step % 7}`,
          scoring: Math.floor(random() * 11),
          country: 'Norway',
        });
        customers.push({ id: String(created.body?.id), etag: created.etag });
      } else if (roll < 0.55) {
        const customer = customers[Math.floor(random() * customers.length)];
        if (!customer) continue;
        const created = await write('POST', '/incidents/items', {
          amount: Math.round(random() * 1e8) / 1e4,
          customerId: customer.id,
          category: 'B',
        });
        incidents.push(String(created.body?.id));
      } else if (roll < 0.7 && incidents.length > 0) {
        const incident = incidents[Math.floor(random() * incidents.length)];
        if (!incident) continue;
        const path = `/incidents/items/${incident}`;
        await write('PATCH', path, { amount: Math.round(random() * 1e8) / 1e4 }, await currentTag(path));
      } else if (roll < 0.85) {
        // A rename moves the customer's incidents, and their totals, to the new name.
        const customer = customers[Math.floor(random() * customers.length)];
        if (!customer) continue;
        customer.etag = (
          await write(
            'PATCH',
            `/customers/items/${customer.id}`,
            { name: `Renamed ${step}`, scoring: Math.floor(random() * 11) },
            customer.etag,
          )
        ).etag;
      } else if (incidents.length > 0) {
        const [incident] = incidents.splice(Math.floor(random() * incidents.length), 1);
        if (!incident) continue;
        const path = `/incidents/items/${incident}`;
        await write('DELETE', path, undefined, await currentTag(path));
      }
      const after = await dashboard({ 'if-none-match': etag });
      const expected = referenceDashboard(app.db);
      if (expected === text) {
        expect(after.status, `step ${step}: unchanged document, conditional request`).toBe(304);
        continue;
      }
      expect(after.status, `step ${step}`).toBe(200);
      const afterText = await after.text();
      expect(afterText, `step ${step}`).toBe(expected);
      expect(after.headers.get('etag')).not.toBe(etag);
      etag = after.headers.get('etag') ?? '';
      text = afterText;
    }
    // The strategies agree on the final rows.
    expect(await (await app.spin.fetch('/aggregates/dashboard?strategy=naive')).text()).toBe(
      referenceDashboard(app.db),
    );
    before = await dashboard({ 'if-none-match': etag });
    expect(before.status).toBe(304);
  });
});
