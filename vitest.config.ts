import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

/*
 * Test tiers (tests/README.md): `unit` needs no build, `wasm` runs the real components and the runtime's fixture
 * guests, `servers` starts Redis, HAProxy or Chromium, `slow` is the heavy end. `vitest run` (npm test, CI) runs
 * them all; `--project <name>` one of them. Every tests/**\/*.test.ts and runtime/tests/**\/*.test.ts (spin-local's own
 * tests, which its runtime/vitest.config.ts also runs alone) belongs to exactly one tier: checked below.
 */

/** No global setup: neither runtime/dist nor any .wasm is read (only sources, SQLite files and the documents). */
const unit = [
  'tests/unit/**/*.test.ts',
  'tests/migrations.test.ts',
  'tests/manifest.test.ts',
  'tests/repo-paths.test.ts',
  'runtime/tests/schedule.test.ts',
  'tests/runtime/import-graph.test.ts',
  'tests/runtime/sqlite-values.test.ts',
  'tests/conformance/variable-names.test.ts',
];
/** Real redis-server, haproxy or Chromium (skipped without them locally, failing under CI). */
const servers = ['tests/browser/**/*.test.ts', 'tests/servers/**/*.test.ts', 'tests/runtime/redis-store.test.ts'];
/** The heavy end: scale, memory growth, pool hardening, write stress, fuzzing, SQLite at a deadline. */
const slow = [
  'tests/e2e/naive-at-scale.test.ts',
  'tests/e2e/write-stress.test.ts',
  'tests/e2e/fuzz.test.ts',
  'tests/runtime/memory-growth.test.ts',
  'runtime/tests/hardening-pool.test.ts',
  'runtime/tests/sqlite-deadline.test.ts',
  'runtime/tests/pack.test.ts',
];
/** The rest of the real Wasm: end-to-end on the app's components, the runtime with its fixture guest, conformance. */
const wasm = [
  'tests/e2e/**/*.test.ts',
  'tests/runtime/**/*.test.ts',
  'runtime/tests/**/*.test.ts',
  'tests/conformance/**/*.test.ts',
  'tests/deploy.test.ts',
  'tests/docs-commands.test.ts',
];

const tiers: Record<string, { include: string[]; exclude: string[] }> = {
  unit: { include: unit, exclude: [] },
  wasm: { include: wasm, exclude: [...unit, ...servers, ...slow] },
  servers: { include: servers, exclude: [] },
  slow: { include: slow, exclude: [] },
};

/** `**` any run of folders, `*` any name part: all the patterns above use. */
const globRegExp = (glob: string): RegExp => {
  const part = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${glob.split('**/').map(part).join('(?:.*/)?')}$`);
};
const matchesAny = (file: string, globs: string[]): boolean => globs.some((glob) => globRegExp(glob).test(file));

const root = fileURLToPath(new URL('.', import.meta.url));
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path).split(sep).join('/')] : [];
  });
}

// A test file in no tier would never run; one in two would run twice.
const misplaced = [...testFiles(join(root, 'tests')), ...testFiles(join(root, 'runtime/tests'))].flatMap((file) => {
  const names = Object.entries(tiers)
    .filter(([, { include, exclude }]) => matchesAny(file, include) && !matchesAny(file, exclude))
    .map(([name]) => name);
  return names.length === 1 ? [] : [`${file}: ${names.length === 0 ? 'in no tier' : `in ${names.join(' and ')}`}`];
});
if (misplaced.length > 0)
  throw new Error(`vitest.config.ts: every test file belongs to exactly one tier:\n${misplaced.join('\n')}`);

// Compiles runtime/ and builds the Wasm the tests load (incremental; see the file). Vitest calls it once for each of
// these tiers in the run (never for `unit`); the first call builds and the others share that build.
const globalSetup = ['tests/runtime/global-setup.ts'];

export default defineConfig({
  test: {
    // Guards against hangs only; nothing here asserts on speed (that is `npm run bench`).
    testTimeout: 30_000,
    hookTimeout: 180_000,
    projects: Object.entries(tiers).map(([name, { include, exclude }]) => ({
      extends: true,
      test: {
        name,
        include,
        exclude: [...configDefaults.exclude, ...exclude],
        ...(name === 'unit' ? {} : { globalSetup }),
      },
    })),
  },
});
