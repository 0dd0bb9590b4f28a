/**
 * The shape of the code, read from its imports (type-only ones included): no import cycles in the runtime or
 * the shared app code, and the runtime's host APIs stay folders the core reaches through one door
 * (runtime/src/host/index.ts), as runtime/README.md describes.
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
