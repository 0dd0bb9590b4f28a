import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fixtureManifest,
  ITEMS_TABLE,
  runCli as runCliWith,
  servingUrl,
  tempDir,
  waitForOutput,
  writeManifest,
  type Cli,
} from './support/runtime';

const runCli = (args: string[]): Cli => runCliWith(args, { SPIN_VARIABLE_API_KEY: 'from-env' });

describe('npm run up (runtime/dist/cli.js)', () => {
  const state = tempDir();
  const running: Cli[] = [];
  afterAll(() => {
    for (const cli of running) cli.child.kill('SIGKILL');
    state.remove();
  });

  /** The fixture app served by the CLI on a free port, its state in `dir` (its items table made unless told not). */
  async function serve(dir: string, extra: string[] = [], { sqlite = true } = {}): Promise<{ cli: Cli; url: string }> {
    const table = sqlite ? ['--sqlite', ITEMS_TABLE] : [];
    const cli = runCli(['-f', fixtureManifest, '--listen', '127.0.0.1:0', '--state-dir', dir, ...table, ...extra]);
    running.push(cli);
    return { cli, url: await servingUrl(cli) };
  }
  /** SIGTERM: a clean stop exits 0. */
  async function stop(cli: Cli): Promise<void> {
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }

  it('serves over real HTTP, prints address and routes, logs each request, and exits 0 on SIGTERM after in-flight requests', async () => {
    const { cli, url } = await serve(state.path, ['--variable', 'greeting=hi', '--key-value', 'seeded=yes']);
    const listing = cli.output();
    expect(listing).toContain(`alpha: ${url}/a (wildcard)`);
    expect(listing).toContain(`beta: ${url}/a/exact\n`);
    expect(listing).toContain('hidden: (private');

    expect(await (await fetch(`${url}/a/var?name=greeting`)).json()).toEqual({ value: 'hi, alpha' });
    expect(await (await fetch(`${url}/a/var?name=api_key`)).json()).toEqual({ value: 'from-env' });
    expect(await (await fetch(`${url}/a/kv/get?key=seeded`)).json()).toEqual({ value: 'yes' });
    await waitForOutput(cli, /GET \/a\/kv\/get alpha 200 [\d.]+ms/);

    const inFlight = fetch(`${url}/a/sleep?ms=700`);
    await waitForOutput(cli, /GET \/a\/kv\/get/);
    await new Promise((r) => setTimeout(r, 150));
    cli.child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/GET \/a\/sleep alpha 200/);
  });

  it('sends the --warm-up requests through the guests before it serves, and sums them up in one line', async () => {
    const dir = tempDir();
    try {
      // A GET with an effect, so the test sees that the warm-up ran the guest: each round inserts a row.
      const warmUp = ['--warm-up', '/a/db/insert?name=warm', '--warm-up', '/nowhere', '--warm-up-rounds', '2'];
      const { cli, url } = await serve(dir.path, warmUp);
      const startUp = cli.output();
      // Before the listener opened, one line: what each path answered and took; the requests have no line of their own.
      expect(startUp).toMatch(
        /warm-up: GET \/a\/db\/insert\?name=warm \d+\/\d+ms; GET \/nowhere \d+\/\d+ms \(answered 404: check the path\); \d+ms in all\n/,
      );
      expect(startUp.indexOf('warm-up:')).toBeLessThan(startUp.indexOf('Serving'));
      expect(startUp).not.toContain('id=warm-up-');
      // Nothing else before the address: no compile times (the transpile cache has the fixture).
      expect(startUp.slice(0, startUp.indexOf('warm-up:'))).toBe('');
      expect(
        await (
          await fetch(
            `${url}/a/db/query?sql=${encodeURIComponent("SELECT count(*) AS n FROM items WHERE name = 'warm'")}`,
          )
        ).json(),
      ).toMatchObject({ rows: [{ n: 2 }] });
      await stop(cli);
    } finally {
      dir.remove();
    }
  });

  it('keeps the fault rules for the clients: the warm-up neither uses up a times:N rule nor meets it, and --quiet keeps its summary', async () => {
    const dir = tempDir();
    try {
      const { cli, url } = await serve(dir.path, [
        ...['--quiet', '--fault', 'alpha:/a/db/count=status:503,times:1'],
        ...['--warm-up', '/a/db/count', '--warm-up-rounds', '2'],
      ]);
      // Both warm-up rounds answered 200 (no fault), and the summary is printed although per-request lines are not.
      expect(cli.output()).toMatch(/warm-up: GET \/a\/db\/count \d+\/\d+ms; \d+ms in all\n/);
      expect(cli.output()).not.toContain('id=warm-up-');
      // The rule is whole for the first client, then spent.
      expect((await fetch(`${url}/a/db/count`)).status).toBe(503);
      expect((await fetch(`${url}/a/db/count`)).status).toBe(200);
      await stop(cli);
    } finally {
      dir.remove();
    }
  });

  it('logs one text line per client request: a chained call only when it failed', async () => {
    const dir = tempDir();
    try {
      const { cli, url } = await serve(dir.path);
      await (await fetch(`${url}/a/chain?to=hidden&path=${encodeURIComponent('/db/count')}`)).text();
      await (await fetch(`${url}/a/chain?to=hidden&path=${encodeURIComponent('/trap')}`)).text();
      await waitForOutput(cli, /GET \/a\/chain alpha 200 [\d.]+ms\n[^]*GET \/a\/chain alpha 200 [\d.]+ms\n/);
      const lines = cli.output().split('\n');
      const chained = lines.filter((line) => line.includes('(chained)'));
      expect(chained).toHaveLength(1);
      expect(chained[0]).toMatch(/^GET http:\/\/hidden\.spin\.internal\/trap hidden 500 [\d.]+ms \(chained\) - trap: /);
      await stop(cli);
    } finally {
      dir.remove();
    }
  });

  it('--log-format json: a JSON object per request (warm-up and chained ones included) and per start-up note', async () => {
    const dir = tempDir();
    try {
      const { cli, url } = await serve(dir.path, [
        ...['--log-format', 'json', '--warm-up', '/a/db/count', '--warm-up-rounds', '2'],
      ]);
      await (await fetch(`${url}/a/chain?to=hidden&path=${encodeURIComponent('/db/count')}`)).text();
      await waitForOutput(cli, /"target":"\/a\/chain"/);
      const records = cli
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const record of records) expect(Number.isNaN(Date.parse(String(record['time'])))).toBe(false);
      const notes = records.filter((r) => 'note' in r).map((r) => String(r['note']));
      expect(notes.some((note) => /^alpha: (transpiled and )?compiled in \d+ms$/.test(note))).toBe(true);
      expect(notes.some((note) => note.startsWith('warm-up: GET /a/db/count'))).toBe(true);
      const requests = records.filter((r) => 'method' in r);
      expect(requests.filter((r) => r['warmUp'] === true).map((r) => r['requestId'])).toEqual([
        'warm-up-1',
        'warm-up-2',
      ]);
      const [chained, caller] = requests.filter((r) => r['warmUp'] === undefined);
      expect(chained).toMatchObject({
        method: 'GET',
        target: 'http://hidden.spin.internal/db/count',
        component: 'hidden',
        status: 200,
        chained: true,
      });
      expect(caller).toMatchObject({
        method: 'GET',
        target: '/a/chain',
        component: 'alpha',
        status: 200,
        chained: false,
      });
      expect(typeof caller?.['durationMs']).toBe('number');
      await stop(cli);
    } finally {
      dir.remove();
    }
  });

  it('prints the followed components’ output only (--follow), none with --quiet, and guest stack frames at source lines', async () => {
    const dir = tempDir();
    try {
      const { cli: followed, url } = await serve(dir.path, ['--follow', 'beta'], { sqlite: false });
      // /a/throw reaches alpha, /a/deeper/throw beta: each throws, and the engine prints the error.
      expect((await fetch(`${url}/a/throw`)).status).toBe(500);
      expect((await fetch(`${url}/a/deeper/throw`)).status).toBe(500);
      await waitForOutput(followed, /GET \/a\/deeper\/throw beta 500/);
      await waitForOutput(followed, /guest threw/);
      const output = followed.output();
      expect(output.match(/guest threw/g)).toHaveLength(1);
      expect(output).toMatch(/guest\/src\/index\.ts:\d+:\d+/);
      await stop(followed);

      const { cli: quiet, url: quietUrl } = await serve(dir.path, ['--quiet'], { sqlite: false });
      expect((await fetch(`${quietUrl}/a/throw`)).status).toBe(500);
      await new Promise((r) => setTimeout(r, 300));
      expect(quiet.output()).not.toContain('guest threw');
      expect(quiet.output()).not.toContain('GET /a/throw');
      await stop(quiet);
    } finally {
      dir.remove();
    }
  });

  it('exits 1 at once with one line saying how to choose another address when --listen is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const address = taken.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const cli = runCliWith(['-f', fixtureManifest, '--listen', `127.0.0.1:${port}`], {
        npm_lifecycle_event: 'start',
      });
      expect(await cli.exited).toBe(1);
      const lines = cli.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^Error: --listen 127\\.0\\.0\\.1:${port}: address already in use .*; choose another with --listen 127\\.0\\.0\\.1:(\\d+|<port>) \\(npm start -- --listen 127\\.0\\.0\\.1:(\\d+|<port>)\\)$`,
        ),
      );
      // Without npm, the flag alone.
      const plain = runCliWith(['-f', fixtureManifest, '--listen', `127.0.0.1:${port}`], { npm_lifecycle_event: '' });
      expect(await plain.exited).toBe(1);
      expect(plain.output()).toMatch(/choose another with --listen 127\.0\.0\.1:(\d+|<port>)\n$/);
    } finally {
      taken.close();
    }
  });

  it('exits 2 for --quiet with --follow, --follow-all with --follow, a --follow naming no component, or a bad --log-format', async () => {
    for (const [args, message] of [
      [['--quiet', '--follow', 'alpha'], '--quiet cannot be used with --follow'],
      [['-q', '--follow-all'], '--quiet cannot be used with --follow-all'],
      [['--follow-all', '--follow', 'alpha'], '--follow-all cannot be used with --follow'],
      [['--follow', 'nobody'], '--follow nobody: no such component (spin.toml declares alpha, beta, hidden, fallback)'],
      [['--log-format', 'xml'], '--log-format xml: expected text or json'],
    ] as const) {
      const cli = runCli(['-f', fixtureManifest, '--listen', '127.0.0.1:0', ...args]);
      expect({ args, code: await cli.exited }).toEqual({ args, code: 2 });
      expect(cli.output()).toContain(message);
    }
  });

  it('exits 2 for a --warm-up that is not a path, or a bad --warm-up-rounds', async () => {
    for (const [args, message] of [
      [['--warm-up', 'http://localhost/a'], '--warm-up http://localhost/a: expected a path'],
      [['--warm-up', '/a b'], '--warm-up /a b: expected a path'],
      [['--warm-up', '/a', '--warm-up-rounds', '0'], '--warm-up-rounds 0: expected a whole number from 1 to 100'],
      [['--warm-up', '/a', '--warm-up-rounds', 'x'], '--warm-up-rounds x: expected a whole number from 1 to 100'],
      [['--warm-up-rounds', '2'], '--warm-up-rounds needs at least one --warm-up <path>'],
    ] as const) {
      const cli = runCli(['-f', fixtureManifest, ...args]);
      expect({ args, code: await cli.exited }).toEqual({ args, code: 2 });
      expect(cli.output()).toContain(message);
    }
  });

  it('prints --help with every flag', async () => {
    const cli = runCli(['--help']);
    expect(await cli.exited).toBe(0);
    for (const flag of [
      '--from',
      '--listen',
      '--sqlite',
      '--state-dir',
      '--runtime-config-file',
      '--variable',
      '--key-value',
      '--max-instance-memory',
      '--request-timeout',
      '--redis-timeout',
      '--memory-budget',
      '--quiet',
      '-q,',
      '--follow',
      '--follow-all',
      '--log-format',
      '--fault',
      '--warm-up',
      '--warm-up-rounds',
      '--help',
    ]) {
      expect(cli.output()).toContain(flag);
    }
  });

  it('exits 2 naming an unknown flag', async () => {
    const cli = runCli(['--bogus']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain("Unknown option '--bogus'");
  });

  it('exits 2 for a malformed --variable or --listen', async () => {
    const variable = runCli(['--variable', 'novalue']);
    expect(await variable.exited).toBe(2);
    expect(variable.output()).toContain('--variable novalue: expected key=value');
    const listen = runCli(['-f', fixtureManifest, '--listen', 'nowhere']);
    expect(await listen.exited).toBe(2);
    expect(listen.output()).toContain('--listen nowhere');
  });

  it('exits 1 with one line naming the offending spin.toml key', async () => {
    const dir = tempDir();
    try {
      const manifest = writeManifest(
        dir.path,
        '[[trigger.http]]\nroute = "/..."\ncomponent = "c"\n[component.c]\nsource = GUEST_WASM\nallowed_http_hosts = ["x"]\n',
      );
      const cli = runCli(['-f', manifest, '--state-dir', join(dir.path, 'state')]);
      expect(await cli.exited).toBe(1);
      expect(cli.output().trim()).toBe(
        `Error: ${manifest}: component.c.allowed_http_hosts: unknown or unsupported key (supported: source, description, build, environment, files, exclude_files, allowed_outbound_hosts, variables, sqlite_databases, key_value_stores)`,
      );
    } finally {
      dir.remove();
    }
  });
});
