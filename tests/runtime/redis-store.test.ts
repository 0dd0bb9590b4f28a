/**
 * Key-value stores on a real Redis (Debian's `redis-server`, started here on a free loopback port): Spin's
 * semantics (plain keys, binary values, the whole keyspace for `get-keys`), failures as `error::other`, a Redis
 * that is down at start, one that hangs (each call bounded by `--redis-timeout`), and the connection coming back
 * by itself. Spin's own key-value conformance case runs on a Redis store in tests/conformance.
 * Without `redis-server` these tests are skipped with the line to install it, except under CI, where they fail.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killGroup, serverProgramsFor, startRedis, type TestRedis } from '../support/servers';
import {
  fixtureManifest,
  ITEMS_TABLE,
  json,
  loadRuntime,
  tempDir,
  type SpinRuntime,
} from '../../runtime/tests/support/runtime';

const missing = serverProgramsFor('tests/runtime/redis-store.test.ts', ['redis-server']) === undefined;

/**
 * A Redis the tests stop and start again on the same port (the runtime keeps its URL), and pause (SIGSTOP) to
 * play a hung server.
 */
class Redis {
  #server: TestRedis | undefined;
  constructor(
    readonly port: number,
    readonly password?: string,
  ) {}
  get url(): string {
    return `redis://${this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`}127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.#server = await startRedis({
      port: this.port,
      ...(this.password === undefined ? {} : { password: this.password }),
    });
  }
  async stop(): Promise<void> {
    await this.#server?.stop();
    this.#server = undefined;
  }
  signal(signal: NodeJS.Signals): void {
    if (this.#server) killGroup(this.#server.pid, signal);
  }
  command(command: string): Promise<string> {
    if (!this.#server) throw new Error('Redis is not running');
    return this.#server.command(command);
  }
}

function runtimeConfig(dir: string, url: string): string {
  const file = join(dir, 'runtime-config.toml');
  writeFileSync(file, `[key_value_store.default]\ntype = "redis"\nurl = "${url}"\n`);
  return file;
}

describe.skipIf(missing)('key-value stores on Redis', () => {
  const dir = tempDir();
  let redis: Redis;
  let spin: SpinRuntime;
  const text = async (path: string): Promise<{ status: number; body: string }> => {
    const response = await spin.fetch(path);
    return { status: response.status, body: await response.text() };
  };

  beforeAll(async () => {
    redis = new Redis(await freePort());
    await redis.start();
    const { create } = await loadRuntime();
    spin = await create({
      from: fixtureManifest,
      stateDir: join(dir.path, 'state'),
      sqlite: [ITEMS_TABLE],
      runtimeConfigFile: runtimeConfig(dir.path, redis.url),
      redisTimeoutMs: 300,
      guestOutput: () => {},
    });
  });
  afterAll(async () => {
    await spin?.dispose();
    await redis?.stop();
    dir.remove();
  });

  it('keeps values as plain Redis keys, byte for byte, and reads keys written by anyone', async () => {
    expect(await json(await spin.fetch(`/a/kv/set?key=greeting&value=${encodeURIComponent('héllo ✓')}`))).toEqual({
      ok: true,
    });
    expect(await redis.command('GET greeting')).toBe(`$${Buffer.byteLength('héllo ✓')}`);
    expect(await json(await spin.fetch('/a/kv/get?key=greeting'))).toEqual({ value: 'héllo ✓' });
    await redis.command('SET written-by-redis-cli plain');
    expect(await json(await spin.fetch('/a/kv/get?key=written-by-redis-cli'))).toEqual({ value: 'plain' });
    expect(await json(await spin.fetch('/a/kv/get?key=missing'))).toEqual({ value: null });
  });

  it('fails a call with error::other while Redis is down, and works again once it is back, on its own', async () => {
    await redis.stop();
    const down = await text('/a/kv/open');
    expect(down.status).toBe(500);
    expect(down.body).toMatch(/other/);
    expect(down.body).toMatch(/Redis at 127\.0\.0\.1/);
    await redis.start();
    expect(await json(await spin.fetch('/a/kv/set?key=after&value=restart'))).toEqual({ ok: true });
    expect(await json(await spin.fetch('/a/kv/get?key=after'))).toEqual({ value: 'restart' });
  });

  it('bounds each call of a hung Redis by --redis-timeout, not the request time limit, then recovers', async () => {
    redis.signal('SIGSTOP');
    try {
      const started = Date.now();
      const hung = await text('/a/kv/open');
      const elapsed = Date.now() - started;
      expect(hung.status).toBe(500);
      expect(hung.body).toMatch(/no answer from Redis at 127\.0\.0\.1:\d+ within 300 ms/);
      expect(elapsed).toBeLessThan(5000);
    } finally {
      redis.signal('SIGCONT');
    }
    expect(await json(await spin.fetch('/a/kv/get?key=after'))).toEqual({ value: 'restart' });
  });
});

describe.skipIf(missing)('a Redis store at start', () => {
  it('starts and serves while Redis is down; the store works once Redis is up', async () => {
    const dir = tempDir();
    const redis = new Redis(await freePort());
    const { create } = await loadRuntime();
    const spin = await create({
      from: fixtureManifest,
      stateDir: join(dir.path, 'state'),
      sqlite: [ITEMS_TABLE],
      runtimeConfigFile: runtimeConfig(dir.path, redis.url),
      guestOutput: () => {},
    });
    try {
      expect((await spin.fetch('/a/db/count')).status).toBe(200);
      expect((await spin.fetch('/a/kv/open')).status).toBe(500);
      await redis.start();
      expect(await json(await spin.fetch('/a/kv/open'))).toEqual({ ok: true });
    } finally {
      await spin.dispose();
      await redis.stop();
      dir.remove();
    }
  });

  it('authenticates with the password of the URL, in the form deploy/runtime-config.toml uses (redis://:PASSWORD@host:port)', async () => {
    const dir = tempDir();
    const redis = new Redis(await freePort(), 's3cret/with:odd@chars');
    await redis.start();
    const { create } = await loadRuntime();
    const spin = await create({
      from: fixtureManifest,
      stateDir: join(dir.path, 'state'),
      sqlite: [ITEMS_TABLE],
      runtimeConfigFile: runtimeConfig(dir.path, redis.url),
      guestOutput: () => {},
    });
    try {
      expect(await json(await spin.fetch('/a/kv/set?key=authed&value=yes'))).toEqual({ ok: true });
      expect(await json(await spin.fetch('/a/kv/get?key=authed'))).toEqual({ value: 'yes' });
      // The server really asks for the password: without it, a command is refused.
      expect(await redis.command('GET authed')).toMatch(/^-NOAUTH/);
    } finally {
      await spin.dispose();
      await redis.stop();
      dir.remove();
    }
  });

  it('refuses a URL that is not redis:// and --key-value pairs for a Redis default store, naming why', async () => {
    const dir = tempDir();
    const { create } = await loadRuntime();
    try {
      const bad = join(dir.path, 'bad.toml');
      writeFileSync(bad, '[key_value_store.default]\ntype = "redis"\nurl = "rediss://127.0.0.1:1"\n');
      await expect(
        create({ from: fixtureManifest, stateDir: join(dir.path, 's1'), runtimeConfigFile: bad }),
      ).rejects.toThrow(/key_value_store\.default\.url: .*only redis:\/\/ URLs are supported/);
      await expect(
        create({
          from: fixtureManifest,
          stateDir: join(dir.path, 's2'),
          runtimeConfigFile: runtimeConfig(dir.path, 'redis://127.0.0.1:1'),
          keyValues: { a: 'b' },
        }),
      ).rejects.toThrow(/--key-value: the default store is Redis/);
    } finally {
      dir.remove();
    }
  });
});
