import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundDenial, type AllowedHost } from '../src/host/http/allowed-hosts';
import { createOutbound } from '../src/host/http/outbound';
import { loadManifest, type Manifest } from '../src/manifest';
import { fixtureManifest, json, loadRuntime, tempDir, type SpinRuntime } from './support/runtime';

interface CallResult {
  status?: number;
  body?: string;
  error?: string;
}

/**
 * What the guest's `fetch` makes of any failed call (the engine does not pass the WIT error variant on): its
 * `/fetch` and `/chain` answer 502 with this body. Which variant the host gave is checked at the host's seam
 * (`outboundDenial`, `createOutbound`) beside each end-to-end case, and the request log shows whether the
 * callee ran at all.
 */
const FAILED_CALL = { error: 'NetworkError when attempting to fetch resource' };
const DENIED = { tag: 'HTTP-request-denied' };

describe('outbound HTTP and local service chaining', () => {
  const state = tempDir();
  let spin: SpinRuntime;
  let manifest: Manifest;
  let upstream: Server;
  let upstreamPort = 0;
  const lines: string[] = [];
  const call = async (path: string): Promise<CallResult> => (await json(await spin.fetch(path))) as CallResult;
  const chainPath = (to: string, path: string) => `/chain?to=${to}&path=${encodeURIComponent(path)}`;
  /** The response's status and JSON body, and the request log lines it wrote (times left out). */
  const logged = async (path: string): Promise<{ status: number; body: unknown; log: string[] }> => {
    const from = lines.length;
    const response = await spin.fetch(path);
    const body = await json(response);
    const log = lines
      .slice(from)
      .filter((line) => /^[A-Z]+ /.test(line))
      .map((line) => line.replace(/ \d+(?:\.\d+)?ms/, ''));
    return { status: response.status, body, log };
  };
  /** The component's `allowed_outbound_hosts` as the runtime parses them. */
  const rulesOf = (id: string): AllowedHost[] => manifest.components[id]?.uses.http ?? [];

  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url}`));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    manifest = await loadManifest(fixtureManifest);
    const { create } = await loadRuntime();
    spin = await create({
      from: fixtureManifest,
      stateDir: state.path,
      guestOutput: () => {},
      log: (line) => lines.push(line),
      requestTimeoutMs: 20_000,
    });
  });
  afterAll(async () => {
    await spin.dispose();
    upstream.close();
    state.remove();
  });

  it('lets a component call an allowed host', async () => {
    expect(outboundDenial(rulesOf('alpha'), new URL(`http://127.0.0.1:${upstreamPort}/x?y=1`))).toBeUndefined();
    expect(await call(`/a/fetch?url=${encodeURIComponent(`http://127.0.0.1:${upstreamPort}/x?y=1`)}`)).toEqual({
      status: 200,
      body: 'upstream saw GET /x?y=1',
    });
  });

  it('denies a host outside allowed_outbound_hosts with an error to the guest', async () => {
    expect(outboundDenial(rulesOf('alpha'), new URL('http://example.com/'))).toEqual(DENIED);
    expect(await logged(`/a/fetch?url=${encodeURIComponent('http://example.com/')}`)).toEqual({
      status: 502,
      body: FAILED_CALL,
      log: ['GET /a/fetch alpha 502'],
    });
  });

  it('denies chaining to a component the caller may not call', async () => {
    // beta may call alpha only: the call to hidden is denied, and hidden never runs.
    expect(outboundDenial(rulesOf('beta'), new URL('http://hidden.spin.internal/echo'))).toEqual(DENIED);
    expect(await logged(`/a/deeper${chainPath('hidden', '/echo')}`)).toEqual({
      status: 502,
      body: FAILED_CALL,
      log: ['GET /a/deeper/chain beta 502'],
    });

    expect(outboundDenial(rulesOf('beta'), new URL('http://alpha.spin.internal/a/echo'))).toBeUndefined();
    const allowed = await logged(`/a/deeper${chainPath('alpha', '/a/echo')}`);
    expect(allowed.status).toBe(200);
    expect(allowed.log).toEqual([
      'GET http://alpha.spin.internal/a/echo alpha 200 (chained)',
      'GET /a/deeper/chain beta 200',
    ]);
    const { status, body } = allowed.body as Required<CallResult>;
    expect(status).toBe(200);
    expect((JSON.parse(body) as { url: string }).url).toBe('http://alpha.spin.internal/a/echo');
  });

  it('does not grant chaining through *://*:*', async () => {
    // The rule allows any other host (the upstream), but not http://<id>.spin.internal.
    expect(outboundDenial(rulesOf('fallback'), new URL(`http://127.0.0.1:${upstreamPort}/`))).toBeUndefined();
    expect(outboundDenial(rulesOf('fallback'), new URL('http://alpha.spin.internal/a/echo'))).toEqual(DENIED);
    expect(await logged(`/f${chainPath('alpha', '/a/echo')}`)).toEqual({
      status: 502,
      body: FAILED_CALL,
      log: ['GET /f/chain fallback 502'],
    });
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
    // alpha may call any *.spin.internal, so the allow-list lets the call through and the host answers
    // `destination-not-found`, without running anything.
    expect(outboundDenial(rulesOf('alpha'), new URL('http://nobody.spin.internal/'))).toBeUndefined();
    const outbound = createOutbound({
      hasComponent: (id) => id in manifest.components,
      chain: () => Promise.reject(new Error('must not be called')),
      timeoutMs: 1000,
    });
    expect(
      await outbound(
        {
          method: 'GET',
          url: 'http://nobody.spin.internal/',
          authority: 'nobody.spin.internal',
          pathWithQuery: '/',
          headers: [],
          body: null,
        },
        0,
      ),
    ).toEqual({ error: { tag: 'destination-not-found' } });
    expect(await logged(`/a${chainPath('nobody', '/')}`)).toEqual({
      status: 502,
      body: FAILED_CALL,
      log: ['GET /a/chain alpha 502'],
    });
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
    const order = ['alpha', 'hidden', 'beta', 'alpha', 'hidden', 'beta'];
    const requests = Array.from({ length: 6 }, () =>
      spin.fetch(`/a/fanout?to=${order.join(',')}&path=${encodeURIComponent('/sleep?ms=50')}`),
    );
    const bodies = (await Promise.all(requests.map(async (r) => json(await r)))) as { to: string; status: number }[][];
    for (const results of bodies) {
      expect(results.map((r) => [r.to, r.status])).toEqual(order.map((to) => [to, 200]));
    }
  });
});
