import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureManifest, json, loadRuntime, tempDir, type SpinRuntime } from './support/runtime';

interface CallResult {
  status?: number;
  body?: string;
  error?: string;
}

describe('outbound HTTP and local service chaining', () => {
  const state = tempDir();
  let spin: SpinRuntime;
  let upstream: Server;
  let upstreamPort = 0;
  const call = async (path: string): Promise<CallResult> => (await json(await spin.fetch(path))) as CallResult;
  const chainPath = (to: string, path: string) => `/chain?to=${to}&path=${encodeURIComponent(path)}`;

  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url}`));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    const { create } = await loadRuntime();
    spin = await create({ from: fixtureManifest, stateDir: state.path, guestOutput: () => {}, requestTimeoutMs: 20_000 });
  });
  afterAll(async () => {
    await spin.dispose();
    upstream.close();
    state.remove();
  });

  it('lets a component call an allowed host', async () => {
    expect(await call(`/a/fetch?url=${encodeURIComponent(`http://127.0.0.1:${upstreamPort}/x?y=1`)}`)).toEqual({ status: 200, body: 'upstream saw GET /x?y=1' });
  });

  it('denies a host outside allowed_outbound_hosts with an error to the guest', async () => {
    const result = await call(`/a/fetch?url=${encodeURIComponent('http://example.com/')}`);
    expect(result.error).toBeDefined();
    expect(result.status).toBeUndefined();
  });

  it('denies chaining to a component the caller may not call', async () => {
    // beta may call alpha only.
    expect((await call(`/a/deeper${chainPath('hidden', '/echo')}`)).error).toBeDefined();
    expect((await call(`/a/deeper${chainPath('alpha', '/a/echo')}`)).status).toBe(200);
  });

  it('does not grant chaining through *://*:*', async () => {
    expect((await call(`/f${chainPath('alpha', '/a/echo')}`)).error).toBeDefined();
  });

  it('passes the path to the callee unchanged', async () => {
    const result = await call(`/a${chainPath('beta', '/a/exact?k=v')}`);
    const echo = JSON.parse(result.body ?? '{}') as { url: string; headers: Record<string, string> };
    expect(echo.url).toBe('http://beta.spin.internal/a/exact?k=v');
    // As in Spin, a chained request skips the routes: the callee sees a `/...` match of the whole path.
    expect(echo.headers['spin-matched-route']).toBe('/...');
    expect(echo.headers['spin-path-info']).toBe('/a/exact');
    expect(echo.headers['spin-client-addr']).toBe('0.0.0.0:0');
  });

  it('answers an unknown component with an error to the guest', async () => {
    expect((await call(`/a${chainPath('nobody', '/')}`)).error).toBeDefined();
  });

  it('serves nested chains: alpha -> hidden -> alpha -> beta', async () => {
    const innermost = '/var?name=greeting';
    const path = `/a${chainPath('hidden', chainPath('alpha', chainPath('beta', innermost)))}`;
    let result = await call(path);
    for (let depth = 0; depth < 3; depth++) {
      expect(result.status).toBe(200);
      result = JSON.parse(result.body ?? '{}') as CallResult;
    }
    // beta declares no variables.
    expect(result).toEqual({ value: null });
  });

  it('runs concurrent chained calls, including calls back to the caller, without deadlock', async () => {
    const targets = ['alpha', 'hidden', 'beta', 'alpha', 'hidden', 'beta'].join(',');
    const requests = Array.from({ length: 6 }, () => spin.fetch(`/a/fanout?to=${targets}&path=${encodeURIComponent('/sleep?ms=50')}`));
    const bodies = (await Promise.all(requests.map(async (r) => json(await r)))) as { to: string; status: number }[][];
    for (const results of bodies) {
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    }
  });
});
