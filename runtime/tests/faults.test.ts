/**
 * Fault injection (runtime/src/faults.ts) on the fixture guest: delays, statuses and traps on direct and
 * chained requests, `times`, path prefixes, replacing rules while running, and the `--fault` flag. Also the
 * request id in the log line and trace headers on chained calls, which the resilience tests rely on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCli, USAGE } from '../src/cli-args';
import { FaultTable } from '../src/faults';
import { fixtureManifest, json, loadRuntime, startFixture, tempDir, type SpinRuntime } from './support/runtime';

interface CallResult {
  status?: number;
  body?: string;
  error?: string;
  timedOut?: boolean;
}

const chain = (to: string, path: string, extra = ''): string =>
  `/a/chain?to=${to}&path=${encodeURIComponent(path)}${extra}`;

/** Resolves once `predicate` holds, polling; fails after a generous bound so a hang shows as a failure. */
async function eventually(predicate: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !predicate(); waited += 20) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('fault injection', () => {
  const state = tempDir();
  const lines: string[] = [];
  let spin: SpinRuntime;
  const call = async (path: string, init?: RequestInit): Promise<CallResult> =>
    (await json(await spin.fetch(path, init))) as CallResult;

  beforeAll(async () => {
    spin = await startFixture(state.path, {
      requestTimeoutMs: 10_000,
      log: (line) => lines.push(line),
      // Starts with a rule, to show `faults` in create() is honoured; each test sets its own.
      faults: [{ component: 'beta', status: 418 }],
    });
  });
  afterEach(() => spin.setFaults([]));
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  it('applies the rules given to create()', async () => {
    const response = await spin.fetch('/a/exact');
    expect(response.status).toBe(418);
  });

  describe('status', () => {
    it('answers the status with a short text/plain body without running the guest', async () => {
      spin.setFaults([{ component: 'alpha', status: 503 }]);
      const response = await spin.fetch('/a/kv/set?key=status-fault&value=ran');
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toBe('Injected fault: status 503');
      spin.setFaults([]);
      expect(await call('/a/kv/get?key=status-fault')).toEqual({ value: null });
      expect(lines.find((l) => l.startsWith('GET /a/kv/set alpha 503'))).toContain('fault: status 503');
    });

    it('reaches a chained caller as that status', async () => {
      spin.setFaults([{ component: 'hidden', status: 503 }]);
      expect(await call(chain('hidden', '/echo'))).toEqual({ status: 503, body: 'Injected fault: status 503' });
    });
  });

  describe('trap', () => {
    it('fails a chained callee exactly like a real trap: the caller sees a 500 and the server keeps serving', async () => {
      const real = await call(chain('hidden', '/trap'));
      spin.setFaults([{ component: 'hidden', trap: true }]);
      const injected = await call(chain('hidden', '/echo'));
      expect(injected).toEqual(real);
      expect(injected).toEqual({ status: 500, body: 'Internal Server Error' });
      expect(lines.find((l) => l.includes('hidden.spin.internal/echo hidden 500'))).toMatch(
        /\(chained\) - fault: trap - trap: RuntimeError: .*injected fault/,
      );
      // Every worker may have taken an injected trap by now; all must still serve.
      const during = await Promise.all(Array.from({ length: 4 }, () => call(chain('hidden', '/echo'))));
      expect(during.map((r) => r.status)).toEqual([500, 500, 500, 500]);
      spin.setFaults([]);
      expect((await call(chain('hidden', '/echo'))).status).toBe(200);
    });

    it('answers a direct request 500 with the trap logged', async () => {
      spin.setFaults([{ component: 'alpha', trap: true }]);
      const response = await spin.fetch('/a/echo?direct-trap');
      expect(response.status).toBe(500);
      expect(await response.text()).toBe('Internal Server Error');
    });
  });

  describe('delay', () => {
    it('holds the answer back while the guest still runs', async () => {
      spin.setFaults([{ component: 'alpha', delayMs: 50 }]);
      expect(await call('/a/kv/set?key=delayed&value=ran')).toEqual({ ok: true });
      expect(await call('/a/kv/get?key=delayed')).toEqual({ value: 'ran' });
      expect(lines.find((l) => l.startsWith('GET /a/kv/set alpha 200'))).toContain('fault: delay 50ms');
    });

    it('lets a chained caller give up first without breaking anything', async () => {
      spin.setFaults([{ component: 'hidden', delayMs: 800 }]);
      expect(await call(chain('hidden', '/echo', '&timeout=50'))).toEqual({ timedOut: true });
      // The late answer arrives after its caller is gone; the runtime must simply drop it.
      await eventually(
        () => lines.some((l) => l.includes('hidden.spin.internal/echo hidden 200') && l.includes('delay 800ms')),
        'the delayed chained answer',
      );
      spin.setFaults([]);
      expect(await call(chain('hidden', '/echo?after'))).toMatchObject({ status: 200 });
      expect((await spin.fetch('/a/echo')).status).toBe(200);
    });

    it('does not block other requests while an answer is held back', async () => {
      spin.setFaults([{ component: 'hidden', delayMs: 1500 }]);
      let delayedDone = false;
      const delayed = call(chain('hidden', '/echo')).then((result) => {
        delayedDone = true;
        return result;
      });
      // More requests than workers, all served while the delayed one waits.
      const others = await Promise.all(Array.from({ length: 6 }, (_, i) => call(`/a/db/insert?name=other-${i}`)));
      expect(others.every((r) => 'id' in r)).toBe(true);
      expect(delayedDone).toBe(false);
      expect((await delayed).status).toBe(200);
    });

    it('combines with a status: the status arrives late', async () => {
      spin.setFaults([{ component: 'hidden', delayMs: 600, status: 502 }]);
      expect(await call(chain('hidden', '/echo', '&timeout=50'))).toEqual({ timedOut: true });
      expect(await call(chain('hidden', '/echo'))).toEqual({ status: 502, body: 'Injected fault: status 502' });
    });
  });

  describe('matching', () => {
    it('applies a rule with times to the first N matching requests only', async () => {
      spin.setFaults([{ component: 'hidden', status: 503, times: 2 }]);
      const statuses: (number | undefined)[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await call(chain('hidden', '/echo'))).status);
      expect(statuses).toEqual([503, 503, 200]);
    });

    it('matches the path prefix of chained and direct requests', async () => {
      spin.setFaults([
        { component: 'hidden', path: '/top/', status: 503 },
        { component: 'alpha', path: '/a/kv/', status: 429 },
      ]);
      expect((await call(chain('hidden', '/top/by-count/5'))).status).toBe(503);
      expect((await call(chain('hidden', '/topless'))).status).toBe(200);
      expect((await spin.fetch('/a/kv/get?key=x')).status).toBe(429);
      expect((await spin.fetch('/a/echo')).status).toBe(200);
    });

    it('uses the first matching rule that has uses left', async () => {
      spin.setFaults([
        { component: 'hidden', status: 503, times: 1 },
        { component: 'hidden', status: 504 },
      ]);
      expect((await call(chain('hidden', '/echo'))).status).toBe(503);
      expect((await call(chain('hidden', '/echo'))).status).toBe(504);
    });

    it('leaves other components alone', async () => {
      spin.setFaults([{ component: 'hidden', status: 503 }]);
      expect((await spin.fetch('/a/echo')).status).toBe(200);
      expect((await spin.fetch('/a/exact')).status).toBe(200);
      expect((await call(chain('beta', '/a/exact'))).status).toBe(200);
    });
  });

  describe('setFaults', () => {
    it('replaces the rules, restarts times counts, and [] removes them', async () => {
      spin.setFaults([{ component: 'alpha', status: 503, times: 1 }]);
      expect((await spin.fetch('/a/echo')).status).toBe(503);
      expect((await spin.fetch('/a/echo')).status).toBe(200);
      spin.setFaults([{ component: 'alpha', status: 503, times: 1 }]);
      expect((await spin.fetch('/a/echo')).status).toBe(503);
      spin.setFaults([{ component: 'alpha', status: 500 }]);
      spin.setFaults([]);
      expect((await spin.fetch('/a/echo')).status).toBe(200);
    });

    it('rejects a bad rule naming it, and keeps the rules it had', async () => {
      spin.setFaults([{ component: 'alpha', status: 503 }]);
      expect(() => spin.setFaults([{ component: 'nobody', trap: true }])).toThrow(
        "faults[0] (nobody=trap): unknown component 'nobody' (components: alpha, beta, hidden, fallback)",
      );
      expect((await spin.fetch('/a/echo')).status).toBe(503);
    });
  });

  describe('request ids and trace headers', () => {
    it('logs the x-request-id of a request', async () => {
      await spin.fetch('/a/echo?logged', { headers: { 'x-request-id': 'req-123' } });
      expect(lines.find((l) => l.startsWith('GET /a/echo alpha 200'))).toBeDefined();
      expect(lines.some((l) => /^GET \/a\/echo alpha 200 [\d.]+ms id=req-123$/.test(l))).toBe(true);
    });

    it('passes traceparent and x-request-id set by a guest on a chained call to the callee unchanged, and logs the id', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const headers = `&header=${encodeURIComponent(`traceparent:${traceparent}`)}&header=${encodeURIComponent('x-request-id:chain-42')}`;
      const result = await call(chain('hidden', '/echo', headers));
      const echo = JSON.parse(result.body ?? '{}') as { headers: Record<string, string> };
      expect(echo.headers.traceparent).toBe(traceparent);
      expect(echo.headers['x-request-id']).toBe('chain-42');
      expect(
        lines.some((l) => /hidden\.spin\.internal\/echo hidden 200 [\d.]+ms id=chain-42 \(chained\)$/.test(l)),
      ).toBe(true);
    });
  });
});

describe('fault rules (no Wasm)', () => {
  const components = ['alpha', 'hidden'];

  it.each([
    [
      { component: 'nobody', trap: true },
      "faults[0] (nobody=trap): unknown component 'nobody' (components: alpha, hidden)",
    ],
    [{ component: 'alpha' }, 'does nothing: set delayMs, status or trap'],
    [{ component: 'alpha', status: 99 }, 'status must be an integer from 200 to 599'],
    [{ component: 'alpha', status: 503, trap: true }, 'status and trap exclude each other'],
    [{ component: 'alpha', delayMs: -1 }, 'delayMs must be an integer >= 0'],
    [{ component: 'alpha', trap: true, times: 0 }, 'times must be an integer >= 1'],
    [{ component: 'alpha', path: 'top', trap: true }, "path must start with '/'"],
    [{ component: 'alpha', delay: 5 }, "unknown key 'delay'"],
  ])('rejects %j', (rule, message) => {
    // Rules from JavaScript callers are not type-checked: the table must check them itself.
    expect(() => new FaultTable(components, [rule as never])).toThrow(message);
  });

  it('counts times per rule and stops matching after them', () => {
    const table = new FaultTable(components, [{ component: 'alpha', path: '/a/', status: 503, times: 2 }]);
    expect(table.take('alpha', '/a/x')?.status).toBe(503);
    expect(table.take('alpha', '/b/x')).toBeUndefined();
    expect(table.take('hidden', '/a/x')).toBeUndefined();
    expect(table.take('alpha', '/a/y')?.summary).toBe('status 503');
    expect(table.take('alpha', '/a/z')).toBeUndefined();
  });
});

describe('--fault', () => {
  const faults = (...args: string[]) => parseCli(args.flatMap((value) => ['--fault', value])).create.faults;

  it('parses component, optional path prefix and actions; repeatable', () => {
    expect(
      faults(
        'incidents-service:/incidents/top/=delay:300',
        'customers-service=status:503',
        'hidden=trap,times:2',
        'alpha:/a/=delay:100,status:502',
      ),
    ).toEqual([
      { component: 'incidents-service', path: '/incidents/top/', delayMs: 300 },
      { component: 'customers-service', status: 503 },
      { component: 'hidden', trap: true, times: 2 },
      { component: 'alpha', path: '/a/', delayMs: 100, status: 502 },
    ]);
    expect(parseCli([]).create.faults).toBeUndefined();
  });

  it.each([
    ['alpha', 'missing component or action'],
    ['=trap', 'missing component or action'],
    ['alpha=explode', "unknown action 'explode'"],
    ['alpha=delay:soon', "delay needs a whole number, got 'soon'"],
    ['alpha=status', "unknown action 'status'"],
  ])('rejects --fault %s', (value, message) => {
    expect(() => parseCli(['--fault', value])).toThrow(`--fault ${value}: ${message}`);
  });

  it('is listed under "Local runtime only" in --help', () => {
    expect(USAGE.slice(USAGE.indexOf('Local runtime only'))).toContain(
      '--fault <component>[:<path-prefix>]=<delay:MS|status:CODE|trap>',
    );
  });

  it('makes create() fail with a ConfigError for an unknown component', async () => {
    const { create } = await loadRuntime();
    const state = tempDir();
    try {
      await expect(
        create({ from: fixtureManifest, stateDir: state.path, faults: faults('nobody=trap') }),
      ).rejects.toThrow(/^faults\[0\] \(nobody=trap\): unknown component 'nobody'/);
    } finally {
      state.remove();
    }
  });
});
