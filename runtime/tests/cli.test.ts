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

  it('serves over real HTTP, prints address and routes, logs each request, and exits 0 on SIGTERM after in-flight requests', async () => {
    const cli = runCli([
      '-f',
      fixtureManifest,
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      state.path,
      '--sqlite',
      ITEMS_TABLE,
      '--variable',
      'greeting=hi',
      '--key-value',
      'seeded=yes',
    ]);
    running.push(cli);
    const url = await servingUrl(cli);
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

  it('sends the --warm-up requests through the guests before it serves, and reports them and what they answered', async () => {
    const dir = tempDir();
    try {
      // A GET with an effect, so the test sees that the warm-up ran the guest: each round inserts a row.
      const args = ['-f', fixtureManifest, '--listen', '127.0.0.1:0', '--state-dir', dir.path, '--sqlite', ITEMS_TABLE];
      const cli = runCli([
        ...args,
        '--warm-up',
        '/a/db/insert?name=warm',
        '--warm-up',
        '/nowhere',
        '--warm-up-rounds',
        '2',
      ]);
      running.push(cli);
      const url = await servingUrl(cli);
      const startUp = cli.output();
      // Before the listener opened: both rounds ran and are logged with their ids, and the summary says what each path answered.
      expect(startUp).toMatch(/GET \/a\/db\/insert alpha 201 [\d.]+ms id=warm-up-1\n/);
      expect(startUp).toMatch(/GET \/a\/db\/insert alpha 201 [\d.]+ms id=warm-up-2\n/);
      expect(startUp).toMatch(
        /warm-up: GET \/a\/db\/insert\?name=warm \d+\/\d+ms; GET \/nowhere \d+\/\d+ms \(answered 404: check the path\); \d+ms in all\n/,
      );
      expect(startUp.indexOf('warm-up:')).toBeLessThan(startUp.indexOf('Serving'));
      expect(
        await (
          await fetch(
            `${url}/a/db/query?sql=${encodeURIComponent("SELECT count(*) AS n FROM items WHERE name = 'warm'")}`,
          )
        ).json(),
      ).toMatchObject({ rows: [{ n: 2 }] });
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      dir.remove();
    }
  });

  it('keeps the fault rules for the clients: the warm-up neither uses up a times:N rule nor meets it, and --quiet keeps its summary', async () => {
    const dir = tempDir();
    try {
      const args = [
        '-f',
        fixtureManifest,
        '--listen',
        '127.0.0.1:0',
        '--state-dir',
        dir.path,
        '--sqlite',
        ITEMS_TABLE,
        '--quiet',
      ];
      const cli = runCli([
        ...args,
        '--fault',
        'alpha:/a/db/count=status:503,times:1',
        '--warm-up',
        '/a/db/count',
        '--warm-up-rounds',
        '2',
      ]);
      running.push(cli);
      const url = await servingUrl(cli);
      // Both warm-up rounds answered 200 (no fault), and the summary is printed although per-request lines are not.
      expect(cli.output()).toMatch(/warm-up: GET \/a\/db\/count \d+\/\d+ms; \d+ms in all\n/);
      expect(cli.output()).not.toContain('id=warm-up-');
      // The rule is whole for the first client, then spent.
      expect((await fetch(`${url}/a/db/count`)).status).toBe(503);
      expect((await fetch(`${url}/a/db/count`)).status).toBe(200);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      dir.remove();
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
      '--quiet',
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
