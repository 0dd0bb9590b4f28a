import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureManifest, json, loadRuntime, tempDir, type SpinRuntime } from './support/runtime';

interface Echo {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

describe('routing and request headers, on the fixture app', () => {
  const state = tempDir();
  let spin: SpinRuntime;
  const echo = async (path: string, init?: RequestInit): Promise<Echo> => (await json(await spin.fetch(path, init))) as Echo;

  beforeAll(async () => {
    const { create } = await loadRuntime();
    spin = await create({ from: fixtureManifest, stateDir: state.path, guestOutput: () => {} });
  });
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  it('routes a wildcard route, passing the rest of the path as spin-path-info', async () => {
    const { headers } = await echo('/a/some/thing?x=1');
    expect(headers['spin-matched-route']).toBe('/a/...');
    expect(headers['spin-path-info']).toBe('/some/thing');
    expect(headers['spin-component-route']).toBe('/a');
  });

  it('lets an exact route beat a wildcard that also matches', async () => {
    const { headers } = await echo('/a/exact');
    expect(headers['spin-matched-route']).toBe('/a/exact');
    expect(headers['spin-path-info']).toBe('');
  });

  it('lets the longest wildcard prefix win', async () => {
    expect((await echo('/a/deeper/x')).headers['spin-matched-route']).toBe('/a/deeper/...');
    expect((await echo('/a/deeperx')).headers['spin-matched-route']).toBe('/a/...');
  });

  it('matches a wildcard route without a trailing path', async () => {
    expect((await echo('/a')).headers['spin-path-info']).toBe('');
  });

  it('answers 404 for a path no route matches', async () => {
    const response = await spin.fetch('/nope');
    expect(response.status).toBe(404);
  });

  it('answers HEAD with the headers and no body, from a component or from the runtime', async () => {
    const fromGuest = await spin.fetch('/a/echo', { method: 'HEAD' });
    expect(fromGuest.status).toBe(200);
    expect(fromGuest.headers.get('content-type')).toBe('application/json');
    expect(await fromGuest.text()).toBe('');
    const notFound = await spin.fetch('/nope', { method: 'HEAD' });
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toBe('');
  });

  it('never routes to a private component from outside', async () => {
    // `hidden` has only a private route, so no public path reaches it.
    expect(spin.routes.some((r) => r.component === 'hidden')).toBe(false);
    expect((await spin.fetch('/hidden/echo')).status).toBe(404);
  });

  it('reaches a private component by chaining', async () => {
    const body = (await json(await spin.fetch('/a/chain?to=hidden&path=/echo'))) as { status: number; body: string };
    expect(body.status).toBe(200);
    expect((JSON.parse(body.body) as Echo).url).toBe('http://hidden.spin.internal/echo');
  });

  it('sets every spin-* header and drops spin-* headers sent by the client', async () => {
    const { headers, url } = await echo('/a/h?q=1', { headers: { 'spin-path-info': '/forged', 'x-custom': 'kept' } });
    expect(headers).toMatchObject({
      'spin-full-url': url,
      'spin-path-info': '/h',
      'spin-matched-route': '/a/...',
      'spin-component-route': '/a',
      'spin-raw-component-route': '/a/...',
      'spin-base-path': '/',
      'x-custom': 'kept',
    });
    expect(headers['spin-client-addr']).toMatch(/:\d+$/);
  });

  it('passes method and body through', async () => {
    const body = await echo('/a/echo', { method: 'POST', body: 'payload é' });
    expect(body.method).toBe('POST');
    expect(body.body).toBe('payload é');
  });

  it('serves /.well-known/spin/health itself', async () => {
    const response = await spin.fetch('/.well-known/spin/health');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('OK');
  });
});
