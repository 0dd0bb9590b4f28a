/**
 * Spin's own conformance cases, replayed on the local runtime: each case's spin.toml (its component played
 * by our guest, see guest/src/index.ts), its preconditions, its requests over real HTTP, and its expected
 * responses checked the way the suite checks them. The cases are facts about Spin: when one fails, the
 * runtime is what differs. Cases and provenance: cases/SOURCES.md; what is not replayed and why: README.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRuntime, tempDir, type SpinRuntime } from '../../runtime/tests/support/runtime';
import { freePort, serverProgramsFor, startRedis, type TestRedis } from '../support/servers';
import { buildConformanceGuest, conformanceWasm } from './build-guest.mjs';
import {
  differences,
  readCase,
  send,
  startHttpEcho,
  SUITE_COMMIT,
  writeAdaptedManifest,
  type CaseManifest,
} from './replay';

/** Every case of fermyon/conformance-tests (at SUITE_COMMIT) that applies to this runtime. */
const REPLAYED = [
  'request-shape',
  'key-value',
  'key-value-no-permission',
  'sqlite',
  'sqlite-no-permission',
  'variables',
  'outbound-wasi-http-v0.2.0',
  'outbound-wasi-http-v0.2.0-no-perms',
];

beforeAll(async () => {
  await buildConformanceGuest({ log: (line) => console.log(`[conformance] ${line}`) });
});

interface Running {
  spin: SpinRuntime;
  ports: Record<number, number>;
  stop(): Promise<void>;
}

/** Starts a case as the suite's runner would: fresh state, its preconditions provided, listening on TCP. */
async function startCase(
  name: string,
  test: CaseManifest,
  spinToml: string,
  listen = '127.0.0.1:0',
  redisUrl?: string,
): Promise<Running> {
  const dir = tempDir('spin-conformance-');
  const stops: (() => Promise<void> | void)[] = [() => dir.remove()];
  const ports: Record<number, number> = {};
  try {
    for (const precondition of test.preconditions ?? []) {
      if (precondition.kind === 'http-echo') {
        const echo = await startHttpEcho();
        ports[80] = echo.port;
        stops.unshift(() => echo.close());
      } else if (!(
        precondition.kind === 'sqlite' ||
        (precondition.kind === 'key-value-store' && precondition.label === 'default')
      )) {
        // A fresh state directory is Spin's default database and store, empty; anything else needs adding here.
        throw new Error(`${name}: unsupported precondition ${JSON.stringify(precondition)}`);
      }
    }
    const { create } = await loadRuntime();
    let runtimeConfigFile: string | undefined;
    if (redisUrl !== undefined) {
      runtimeConfigFile = join(dir.path, 'runtime-config.toml');
      writeFileSync(runtimeConfigFile, `[key_value_store.default]\ntype = "redis"\nurl = "${redisUrl}"\n`);
    }
    const spin = await create({
      from: writeAdaptedManifest(dir.path, spinToml, conformanceWasm, ports),
      stateDir: join(dir.path, 'state'),
      ...(runtimeConfigFile === undefined ? {} : { runtimeConfigFile }),
      listen,
      env: {},
      log: () => {},
      guestOutput: () => {},
    });
    stops.unshift(() => spin.dispose());
    const stop = async (): Promise<void> => {
      for (const step of stops) await step();
    };
    return { spin, ports, stop };
  } catch (error) {
    for (const stop of stops) await stop();
    throw error;
  }
}

for (const name of REPLAYED) {
  const { test, spinToml } = readCase(name);
  describe(`${name} (fermyon/conformance-tests tests/${name} @ ${SUITE_COMMIT.slice(0, 7)})`, () => {
    let running: Running;
    beforeAll(async () => {
      running = await startCase(name, test, spinToml);
    });
    afterAll(() => running.stop());

    test.invocations.forEach((invocation, i) => {
      it(`invocation ${i + 1}: ${invocation.request.method ?? 'GET'} ${invocation.request.path} answers ${invocation.response.status ?? 200}`, async () => {
        const response = await send(running.spin, invocation, running.ports);
        expect(differences(invocation.response, response)).toEqual([]);
      });
    });
  });
}

// Beyond the suite, which runs Spin on 127.0.0.1: the same case over IPv6, where `spin-client-addr` must still be
// a Rust SocketAddr (`[::1]:port`), which the request-shape component checks.
describe('request-shape over IPv6 ([::1])', () => {
  const { test, spinToml } = readCase('request-shape');
  let running: Running;
  beforeAll(async () => {
    running = await startCase('request-shape', test, spinToml, '[::1]:0');
  });
  afterAll(() => running.stop());

  it('answers as over IPv4', async () => {
    for (const invocation of test.invocations) {
      expect(differences(invocation.response, await send(running.spin, invocation, running.ports))).toEqual([]);
    }
  });
});

// The key-value cases again with the `default` store on a real Redis (runtime config `type = "redis"`), as a
// SpinKube deployment runs it: the same answers. Each case starts from an empty keyspace (`get-keys` is `KEYS *`).
const noRedis =
  serverProgramsFor('tests/conformance/spin-conformance.test.ts (Redis store)', ['redis-server']) === undefined;
describe.skipIf(noRedis)('key-value cases on a Redis store', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  for (const name of ['key-value', 'key-value-no-permission']) {
    it(`${name}: every invocation answers as on Spin`, async () => {
      const { test, spinToml } = readCase(name);
      expect(await redis.command('FLUSHALL')).toBe('+OK');
      const running = await startCase(name, test, spinToml, '127.0.0.1:0', redis.url);
      try {
        for (const invocation of test.invocations)
          expect(differences(invocation.response, await send(running.spin, invocation, running.ports))).toEqual([]);
      } finally {
        await running.stop();
      }
    });
  }

  it('key-value: differs when that Redis is unreachable (so the store above really was Redis)', async () => {
    const { test, spinToml } = readCase('key-value');
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    const running = await startCase('key-value', test, spinToml, '127.0.0.1:0', unreachable);
    try {
      const [invocation] = test.invocations;
      if (!invocation) throw new Error('the key-value case has no invocation');
      expect(differences(invocation.response, await send(running.spin, invocation, running.ports))).not.toEqual([]);
    } finally {
      await running.stop();
    }
  });
});
