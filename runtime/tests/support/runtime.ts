/**
 * Loads the compiled runtime (runtime/dist, built by global-setup.ts): its workers need plain JS, so tests
 * drive the same files `npm run up` runs. Types come from the sources, so type-checking needs no build.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as RuntimeModule from '../../src/index.js';
import { fixtureManifest, guestWasm } from '../../test-fixtures/build-fixtures.mjs';

export type { CreateOptions, SpinRuntime } from '../../src/index.js';
export { fixtureManifest, guestWasm };

/** The spin-local package's folder (runtime/ in this repository). */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = join(packageRoot, 'dist/cli.js');

export async function loadRuntime(): Promise<typeof RuntimeModule> {
  return (await import(join(packageRoot, 'dist/index.js'))) as typeof RuntimeModule;
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'spin-runtime-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes a spin.toml into `dir` whose components load the fixture guest (or another build of it: `wasm`). */
export function writeManifest(dir: string, body: string, wasm = guestWasm): string {
  const file = join(dir, 'spin.toml');
  writeFileSync(
    file,
    `spin_manifest_version = 2\n[application]\nname = "test-app"\n${body.replaceAll('GUEST_WASM', JSON.stringify(wasm))}`,
  );
  return file;
}

export const ITEMS_TABLE = 'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)';

/**
 * The fixture app (runtime/test-fixtures/spin.toml) on the runtime, its `items` table created, guest output
 * dropped; `options` add to or override that.
 */
export async function startFixture(
  stateDir: string,
  options: Partial<RuntimeModule.CreateOptions> = {},
): Promise<RuntimeModule.SpinRuntime> {
  const { create } = await loadRuntime();
  return create({ from: fixtureManifest, stateDir, sqlite: [ITEMS_TABLE], guestOutput: () => {}, ...options });
}

export async function json(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`expected JSON, got ${response.status}: ${text}`);
  }
}

/** The runtime's CLI (`npm run up`) as a child process: a crash there is seen, not suffered. */
export interface Cli {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

/** Relative paths in `args` are resolved against `cwd` (default: the package's folder). */
export function runCli(args: string[], env: Record<string, string> = {}, { cwd = packageRoot } = {}): Cli {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function waitForOutput(cli: Cli, pattern: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const match = pattern.exec(cli.output());
    if (match) return match;
    const done = await Promise.race([
      cli.exited.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 50)),
    ]);
    if (done) throw new Error(`the CLI exited before printing ${pattern}:\n${cli.output()}`);
  }
}

/** The address the CLI prints once it serves (`Serving http://127.0.0.1:<port>`), waited for. */
export async function servingUrl(cli: Cli): Promise<string> {
  const [, url = ''] = await waitForOutput(cli, /Serving (http:\/\/127\.0\.0\.1:\d+)/);
  return url;
}

/** CPU seconds a process has used (user + system, from /proc; Linux only). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After "pid (comm) ": state is field 0; utime and stime are fields 11 and 12, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's peak resident memory so far, in bytes (VmHWM, from /proc; Linux only). */
export function peakRss(pid: number): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? NaN) * 1024;
}
