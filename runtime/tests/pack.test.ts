/**
 * spin-local as its users get it: `npm pack` of this folder, installed from the tarball into an empty project
 * in a temporary folder (its dependencies from the registry, the SQLite build with Spin's dialect run by its
 * own install script), then a Spin app run from there through the bin (`npx spin-local`) and through the
 * programmatic API (`import { create } from 'spin-local'`). Slow tier: the install compiles SQLite (1-3 min).
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestWasm, packageRoot, tempDir } from './support/runtime';

const INSTALL_TIMEOUT_MS = 600_000;
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: INSTALL_TIMEOUT_MS });

const MANIFEST = `spin_manifest_version = 2
[application]
name = "packed"

[[trigger.http]]
route = "/..."
component = "guest"

[component.guest]
source = "guest.wasm"
sqlite_databases = ["default"]
`;

let dir: { path: string; remove(): void };
let project: string;
let packed: string[];

beforeAll(async () => {
  dir = tempDir('spin-local-pack-');
  const listing = JSON.parse(npm(['pack', '--json', '--pack-destination', dir.path], packageRoot)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const [tarball] = listing;
  if (tarball === undefined) throw new Error('npm pack listed no tarball');
  packed = tarball.files.map((f) => f.path);
  project = join(dir.path, 'project');
  mkdirSync(project);
  // What the README tells a user to write: the dependency, and better-sqlite3's own install script skipped
  // (it would fetch a prebuilt binary of another dialect that spin-local's install script then replaces).
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'packed-app',
      private: true,
      type: 'module',
      dependencies: { 'spin-local': `file:${join(dir.path, tarball.filename)}` },
      allowScripts: { 'better-sqlite3': false },
    }),
  );
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline'], project);
  copyFileSync(guestWasm, join(project, 'guest.wasm'));
  writeFileSync(join(project, 'spin.toml'), MANIFEST);
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(() => dir?.remove());

describe('spin-local packed and installed in another folder', () => {
  it('packs the compiled runtime, the SQLite build and its hooks, the guest types and the README; no tests or sources', () => {
    for (const file of [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli.js',
      'dist/worker.js',
      'dist/vitest.js',
      'scripts/build-sqlite.mjs',
      'native/spin-host-sqlite.c',
      'types/fermyon-spin.d.ts',
    ])
      expect(packed).toContain(file);
    expect(packed.filter((f) => /^(tests|src|test-fixtures)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it("serves an app through its bin, on SQLite with Spin's dialect (a double-quoted string is a literal)", async () => {
    // Its own process group: npx runs the CLI as a child of its own, and both must stop with the test.
    const child = spawn('npx', ['spin-local', '--listen', '127.0.0.1:0', '--quiet'], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not serving after 60 s:\n${output}`)), 60_000);
        const read = (chunk: Buffer): void => {
          output += chunk.toString();
          const match = /Serving (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.on('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
      });
      const response = await fetch(`${url}/db/query?sql=${encodeURIComponent('SELECT "spin" AS word')}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        columns: ['word'],
        rows: [{ word: 'spin' }],
      });
    } finally {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }
  }, 90_000);

  it("runs the same app through the programmatic API, its transpile cache in the project's node_modules", () => {
    const script = `
      import { create } from 'spin-local';
      const spin = await create({ from: 'spin.toml', sqlite: ['CREATE TABLE t (n INTEGER)', 'INSERT INTO t VALUES (41), (1)'] });
      const response = await spin.fetch('/db/query?sql=' + encodeURIComponent('SELECT sum(n) AS total FROM t'));
      console.log(JSON.stringify({ status: response.status, body: await response.json() }));
      await spin.dispose();`;
    writeFileSync(join(project, 'run.mjs'), script);
    const output = execFileSync(process.execPath, ['run.mjs'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    const { status, body } = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { status: number; body: unknown };
    expect(status).toBe(200);
    expect(body).toMatchObject({ rows: [{ total: 42 }] });
    const cache = join(project, 'node_modules/.cache/spin-local');
    expect(existsSync(cache) && readdirSync(cache).length).toBeGreaterThan(0);
  }, 90_000);
});
