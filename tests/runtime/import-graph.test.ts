/**
 * The shape of the code, read from its imports (type-only ones included): the packages keep to their folders
 * and their declared dependencies (spin-local imports nothing of the app; components reach shared code only as
 * @aggregates/common), no import cycles in the runtime or the shared app code, and the runtime's host APIs stay
 * folders the core reaches through one door (runtime/src/host/index.ts), as runtime/README.md describes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Module (path relative to `root`, `.ts`) -> the modules it imports from within `root`. */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(root)) {
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => {
      const target = resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'));
      return relative(root, target.endsWith('.ts') ? target : `${target}.ts`);
    });
    graph.set(
      relative(root, file),
      targets.filter((t) => !t.startsWith('..')),
    );
  }
  return graph;
}

/** Every cycle's modules, each cycle once (as found by depth-first search). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const runtime = importGraph(join(repoRoot, 'runtime/src'));
const edges = [...runtime].flatMap(([from, targets]) => targets.map((to) => ({ from, to })));
const apiOf = (module: string): string | undefined => /^host\/([^/]+)\//.exec(module)?.[1];

describe('import graph', () => {
  it('finds the modules it checks (the graph is not empty)', () => {
    expect(runtime.get('index.ts')).toContain('host/index.ts');
    expect(runtime.get('host/sqlite/index.ts')).toContain('host/api.ts');
  });

  it.each(['runtime/src', 'common/src', 'aggregates-service/src'])('has no import cycle in %s', (dir) => {
    expect(cycles(importGraph(join(repoRoot, dir)))).toEqual([]);
  });

  it('is shown to find a cycle', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c', 'a']]);
  });

  it("lets the runtime's core reach the host APIs only through host/index.ts", () => {
    const through = edges.filter(
      ({ from, to }) => !from.startsWith('host/') && to.startsWith('host/') && to !== 'host/index.ts',
    );
    expect(through).toEqual([]);
  });

  it('keeps each host API to its own folder, the shared host modules and wasi:io streams', () => {
    const crossing = edges.filter(({ from, to }) => {
      const own = apiOf(from);
      const other = apiOf(to);
      return own !== undefined && other !== undefined && own !== other && to !== 'host/wasi/io.ts';
    });
    expect(crossing).toEqual([]);
  });

  it("lets the host APIs use only the core's plain modules (errors, messages, TOML reading)", () => {
    const plain = new Set(['errors.ts', 'protocol.ts', 'toml-checks.ts']);
    const reaching = edges.filter(
      ({ from, to }) => from.startsWith('host/') && !to.startsWith('host/') && !plain.has(to),
    );
    expect(reaching).toEqual([]);
  });
});

/** Every module specifier a file names: static imports and re-exports, side-effect imports, `import()`. */
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm;

function filesUnder(dir: string, pattern = /\.(ts|mts|mjs|js|cjs)$/): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return filesUnder(path, pattern);
    return pattern.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The code without its comments (where examples show imports). */
const withoutComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** Each specifier with the file naming it, relative to the repository. */
function specifiers(dir: string): { file: string; specifier: string }[] {
  return filesUnder(join(repoRoot, dir)).flatMap((path) =>
    [...withoutComments(readFileSync(path, 'utf8')).matchAll(SPECIFIER)].map((m) => ({
      file: relative(repoRoot, path),
      specifier: m[1] ?? '',
    })),
  );
}

/** The bare package name of a specifier (`@scope/name/sub` -> `@scope/name`). */
const packageName = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };

/** Relative specifiers that leave `dir`. */
const leaving = (dir: string) =>
  specifiers(dir).filter(
    ({ file, specifier }) =>
      specifier.startsWith('.') &&
      relative(join(repoRoot, dir), resolve(repoRoot, dirname(file), specifier)).startsWith('..'),
  );

const COMPONENTS = ['customers-service', 'incidents-service', 'aggregates-service', 'page-service', 'docs-service'];

describe('packages', () => {
  const runtime = manifest('runtime');
  const declared = (...kinds: ('dependencies' | 'devDependencies' | 'peerDependencies')[]) =>
    new Set(kinds.flatMap((kind) => Object.keys(runtime[kind] ?? {})));

  it('finds the imports it checks', () => {
    expect(specifiers('runtime/src').some(({ specifier }) => specifier === 'better-sqlite3')).toBe(true);
    expect(
      specifiers('aggregates-service/src').some(({ specifier }) => specifier.startsWith('@aggregates/common/')),
    ).toBe(true);
    expect(
      leaving('tests').some(({ specifier }) => specifier.includes('runtime/tests/support')),
      'the checker sees imports that leave a folder',
    ).toBe(true);
  });

  it('spin-local (runtime/) imports nothing of the repository outside its folder', () => {
    expect(leaving('runtime')).toEqual([]);
  });

  it("spin-local's code imports only Node's modules and its own dependencies; its tests and fixture builder add its dev dependencies", () => {
    // Its own name (a test installs the packed package and imports it) and, in the fixture guest, Spin's host modules.
    const outside = (dir: string, allowed: Set<string>) =>
      specifiers(dir).filter(
        ({ specifier }) =>
          !/^(\.|node:|fermyon:|wasi:)/.test(specifier) &&
          packageName(specifier) !== runtime.name &&
          !allowed.has(packageName(specifier)),
      );
    expect(outside('runtime/src', declared('dependencies', 'peerDependencies'))).toEqual([]);
    const everything = declared('dependencies', 'peerDependencies', 'devDependencies');
    expect([...outside('runtime/tests', everything), ...outside('runtime/test-fixtures', everything)]).toEqual([]);
  });

  it('@aggregates/common imports nothing outside its folder but the Spin host modules and its dependencies', () => {
    expect(leaving('common')).toEqual([]);
    const own = new Set(Object.keys(manifest('common').dependencies ?? {}));
    const bare = specifiers('common/src').filter(({ specifier }) => !specifier.startsWith('.'));
    expect(
      bare.filter(({ specifier }) => !/^(fermyon|wasi):/.test(specifier) && !own.has(packageName(specifier))),
    ).toEqual([]);
  });

  it.each(COMPONENTS)(
    '%s reaches shared code only as @aggregates/common, and no other component, nor the runtime',
    (component) => {
      // The schema every component bootstraps from is the app's one migrations.sql, at the top as Spin apps keep it.
      expect(leaving(component).filter(({ specifier }) => specifier !== '../../migrations.sql?raw')).toEqual([]);
      const bare = specifiers(`${component}/src`).filter(({ specifier }) => !specifier.startsWith('.'));
      // docs-service embeds Swagger UI's files as text at build time.
      const allowed = /^(fermyon|wasi):|^@aggregates\/common\/|^#browser-bundle|^swagger-ui-dist\/.*\?raw$/;
      expect(bare.filter(({ specifier }) => !allowed.test(specifier))).toEqual([]);
      expect(
        bare.filter(({ specifier }) => specifier.startsWith('swagger-ui-dist/') && component !== 'docs-service'),
      ).toEqual([]);
    },
  );

  it("keeps spin-local's copy of the WIT its fixture is built against equal to the app's wit/deps", () => {
    const app = filesUnder(join(repoRoot, 'wit/deps'), /\.wit$/).map((f) => relative(join(repoRoot, 'wit/deps'), f));
    expect(app.length).toBeGreaterThan(0);
    for (const file of app)
      expect(readFileSync(join(repoRoot, 'runtime/test-fixtures/wit/deps', file), 'utf8'), file).toBe(
        readFileSync(join(repoRoot, 'wit/deps', file), 'utf8'),
      );
  });
});
