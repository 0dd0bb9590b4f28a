import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
  const echo = async (path: string, init?: RequestInit): Promise<Echo> =>
    (await json(await spin.fetch(path, init))) as Echo;

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

/**
 * Spin's full route syntax on the real guest (runtime/test-fixtures/routes.spin.toml). The unit cases, with
 * their sources in Spin, are in routes.test.ts; these check that the runtime applies them end to end.
 */
describe('Spin route syntax and precedence, end to end', () => {
  const state = tempDir();
  let spin: SpinRuntime;
  const warnings: string[] = [];
  const echo = async (path: string, init?: RequestInit): Promise<Echo> =>
    (await json(await spin.fetch(path, init))) as Echo;
  const spinHeaders = (headers: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(headers).filter(([name]) => name.startsWith('spin-') && name !== 'spin-client-addr'),
    );

  beforeAll(async () => {
    const { create } = await loadRuntime();
    // As Spin, the runtime prints its start-up warnings about routes to stderr.
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      spin = await create({
        from: join(dirname(fixtureManifest), 'routes.spin.toml'),
        stateDir: state.path,
        guestOutput: () => {},
      });
    } finally {
      stderr.mockRestore();
    }
  });
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  it('passes :name segments as spin-path-match-<name> and the wildcard rest as spin-path-info', async () => {
    const { url, headers } = await echo('/users/42/cart/items?x=1', {
      headers: { 'spin-path-match-user-id': 'forged' },
    });
    expect(spinHeaders(headers)).toEqual({
      'spin-full-url': url,
      'spin-path-info': '/cart/items',
      'spin-path-match-user-id': '42',
      'spin-matched-route': '/users/:user_id/...',
      'spin-raw-component-route': '/users/:user_id/...',
      'spin-component-route': '/users/:user_id',
      'spin-base-path': '/',
    });
  });

  it('gives the wildcard rest as Spin does around trailing slashes', async () => {
    expect((await echo('/users/42')).headers['spin-path-info']).toBe('');
    expect((await echo('/users/42/')).headers['spin-path-info']).toBe('/');
    expect((await echo('/users/42/hello/')).headers['spin-path-info']).toBe('/hello/');
  });

  it('prefers a literal segment to :name, and :name to a wildcard', async () => {
    const me = await echo('/users/me');
    expect(me.headers['spin-matched-route']).toBe('/users/me');
    expect(Object.keys(me.headers).filter((h) => h.startsWith('spin-path-match-'))).toEqual([]);
    // `/users/me` is exact, so a longer path is the parameterised route's, with `me` as the value.
    const under = await echo('/users/me/x');
    expect([
      under.headers['spin-matched-route'],
      under.headers['spin-path-match-user-id'],
      under.headers['spin-path-info'],
    ]).toEqual(['/users/:user_id/...', 'me', '/x']);
    // `:user_id` needs a segment: `/users` alone falls through to the catch-all.
    expect((await echo('/users')).headers).toMatchObject({
      'spin-matched-route': '/...',
      'spin-path-info': '/users',
      'spin-component-route': '',
    });
  });

  it('matches several :name segments, an exact number of segments, ignoring a trailing slash', async () => {
    const repo = await echo('/orgs/acme/repos/web/');
    expect(spinHeaders(repo.headers)).toMatchObject({
      'spin-path-match-org': 'acme',
      'spin-path-match-repo': 'web',
      'spin-path-info': '',
      'spin-component-route': '/orgs/:org/repos/:repo',
    });
    expect((await echo('/orgs/acme/repos/web/extra')).headers['spin-matched-route']).toBe('/...');
  });

  it('lists the routes in the order Spin tries them', () => {
    expect(spin.routes.map((r) => [r.pattern, r.component])).toEqual([
      ['/.well-known/spin/...', 'catch-all'],
      ['/twice', 'repo'],
      ['/users/me', 'me'],
      ['/orgs/:org/repos/:repo', 'repo'],
      ['/users/:user_id/...', 'user'],
      ['/...', 'catch-all'],
    ]);
  });

  it('serves a route declared twice by the last trigger, and warned at start', async () => {
    expect((await echo('/twice')).url).toMatch(/\/twice$/);
    expect(spin.routes.find((r) => r.pattern === '/twice')?.component).toBe('repo');
    expect(warnings.filter((w) => w.includes("'/twice'"))).toEqual([expect.stringMatching(/'me'.*'repo'/)]);
  });

  it('keeps /.well-known/spin/ for the runtime, warned at start', async () => {
    expect((await spin.fetch('/.well-known/spin/info')).status).toBe(404);
    expect(await (await spin.fetch('/.well-known/spin/health')).text()).toBe('OK');
    expect(warnings.filter((w) => w.includes('/.well-known/spin/...'))).toHaveLength(1);
  });

  it('presents a chained call as Spin does: route /..., the whole path as spin-path-info, no :name values', async () => {
    const result = (await json(
      await spin.fetch(`/users/42/chain?to=repo&path=${encodeURIComponent('/orgs/acme/repos/web')}`),
    )) as { status: number; body: string };
    expect(result.status).toBe(200);
    const callee = JSON.parse(result.body) as Echo;
    expect(callee.url).toBe('http://repo.spin.internal/orgs/acme/repos/web');
    expect(spinHeaders(callee.headers)).toEqual({
      'spin-full-url': callee.url,
      'spin-path-info': '/orgs/acme/repos/web',
      'spin-matched-route': '/...',
      'spin-raw-component-route': '/...',
      'spin-component-route': '',
      'spin-base-path': '/',
    });
  });

  it('reaches a private component by chaining, with the same headers', async () => {
    const result = (await json(await spin.fetch(`/users/42/chain?to=hidden&path=${encodeURIComponent('/x/y')}`))) as {
      status: number;
      body: string;
    };
    expect((JSON.parse(result.body) as Echo).headers).toMatchObject({
      'spin-path-info': '/x/y',
      'spin-matched-route': '/...',
    });
  });
});
