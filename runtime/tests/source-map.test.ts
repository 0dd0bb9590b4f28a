/**
 * Guest stack traces mapped to the sources (src/source-map.ts): the VLQ decoder against maps TypeScript writes,
 * the frame rewriting on made-up traces (SpiderMonkey's and V8's frame forms, a path before the file name, no
 * map at all), and a real trace: the fixture guest's `/throw` route, whose frames name the guest's JavaScript,
 * printed with runtime/test-fixtures/guest/src/index.ts lines through the guest.js.map its build leaves beside
 * guest.wasm.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMappings, SourceMap, StackMapper } from '../src/source-map';
import { fixtureManifest, loadRuntime, tempDir, type SpinRuntime } from './support/runtime';

/** `source` (TypeScript) transpiled by TypeScript itself, with its map. */
function transpile(source: string, fileName: string): { js: string; map: string } {
  const { outputText, sourceMapText } = ts.transpileModule(source, {
    fileName,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true },
  });
  if (sourceMapText === undefined) throw new Error('no map');
  return { js: outputText, map: sourceMapText };
}

/** 1-based line and column of the first `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`${needle} not found`);
  return { line: line + 1, column: (lines[line] ?? '').indexOf(needle) + 1 };
}

const SOURCE = [
  'interface Shape { kind: string }',
  'type Id = string;',
  '',
  'export function fail(shape: Shape, id: Id): never {',
  '  const message: string = `${shape.kind} ${id}`;',
  '  throw new Error(message);',
  '}',
  '',
].join('\n');

describe('source maps', () => {
  const dir = tempDir('spin-source-map-');
  afterAll(() => dir.remove());

  it('decodes VLQ mappings: negative deltas, multi-digit values, empty lines, segments without a source', () => {
    // "AAAA": [0,0,0,0]; "gBAAgB": [16,0,0,16]; "D": [-1] (one field: no source); ";;": two empty lines.
    const lines = decodeMappings('AAAA,gBAAgB,D;;CACD');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual([
      { column: 0, source: 0, line: 0, sourceColumn: 0 },
      { column: 16, source: 0, line: 0, sourceColumn: 16 },
    ]);
    expect(lines[1]).toEqual([]);
    // Source, line and source column carry over lines; the generated column starts again at 0.
    expect(lines[2]).toEqual([{ column: 1, source: 0, line: 1, sourceColumn: 15 }]);
    expect(() => decodeMappings('A!')).toThrow(/invalid character/);
  });

  it('finds the TypeScript line of a generated position in a map TypeScript wrote', () => {
    const { js, map } = transpile(SOURCE, join(dir.path, 'src', 'shape.ts'));
    const sourceMap = SourceMap.parse(map, join(dir.path, 'src', 'shape.js.map'), dir.path);
    const generated = positionOf(js, 'throw new Error');
    expect(sourceMap.lookup(generated.line, generated.column)).toEqual({
      source: join('src', 'shape.ts'),
      ...positionOf(SOURCE, 'throw new Error'),
    });
    expect(sourceMap.lookup(999, 1)).toBeUndefined();
  });

  it('rewrites the frames that name the map’s file, in the forms engines print, and leaves other text alone', () => {
    const { js, map } = transpile(SOURCE, join(dir.path, 'src', 'shape.ts'));
    const wasm = join(dir.path, 'shape.wasm');
    writeFileSync(wasm, '');
    // As scripts/build.mjs leaves it: <name>.bundle.js.map beside <name>.wasm, naming <name>.bundle.js.
    const bundleMap = { ...JSON.parse(map), file: 'shape.bundle.js', sources: ['src/shape.ts'] };
    writeFileSync(join(dir.path, 'shape.bundle.js.map'), JSON.stringify(bundleMap));
    const at = positionOf(js, 'throw new Error');
    const frame = `shape.bundle.js:${at.line}:${at.column}`;
    const notes: string[] = [];
    const mapper = new StackMapper(dir.path, (line) => notes.push(line));
    const expected = `${join('src', 'shape.ts')}:${positionOf(SOURCE, 'throw new Error').line}:3`;
    const trace = [
      'Error: circle 7',
      `fail@${frame}`,
      `handle@.building-123/${frame}`,
      `    at fail (${frame})`,
      `    at ${frame}`,
      'other@another.bundle.js:1:1',
      'myshape.bundle.js:1:1',
    ].join('\n');
    expect(mapper.rewrite(wasm, trace).split('\n')).toEqual([
      'Error: circle 7',
      `fail@${expected}`,
      `handle@${expected}`,
      `    at fail (${expected})`,
      `    at ${expected}`,
      'other@another.bundle.js:1:1',
      'myshape.bundle.js:1:1',
    ]);
    expect(notes).toEqual([]);
    // No map beside another Wasm: the text as it was.
    expect(mapper.rewrite(join(dir.path, 'other.wasm'), `fail@${frame}`)).toBe(`fail@${frame}`);
  });

  it('reports a map it cannot read once, and leaves the traces alone', () => {
    const wasm = join(dir.path, 'broken.wasm');
    writeFileSync(wasm, '');
    writeFileSync(join(dir.path, 'broken.bundle.js.map'), '{ not json');
    const notes: string[] = [];
    const mapper = new StackMapper(dir.path, (line) => notes.push(line));
    expect(mapper.rewrite(wasm, 'f@broken.bundle.js:1:1')).toBe('f@broken.bundle.js:1:1');
    expect(mapper.rewrite(wasm, 'f@broken.bundle.js:2:1')).toBe('f@broken.bundle.js:2:1');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/broken\.bundle\.js\.map: not used for stack traces/);
  });
});

describe('a real guest stack trace', () => {
  const state = tempDir();
  const output: string[] = [];
  let spin: SpinRuntime;

  beforeAll(async () => {
    const { create } = await loadRuntime();
    spin = await create({
      from: fixtureManifest,
      stateDir: state.path,
      guestOutput: (component, stream, text) => output.push(`${component} ${stream} ${text}`),
    });
  });
  afterAll(async () => {
    await spin.dispose();
    state.remove();
  });

  it('names guest/src/index.ts lines, not guest.js, in what the guest prints when it throws', async () => {
    const response = await spin.fetch('/a/throw');
    expect(response.status).toBe(500);
    const source = readFileSync(join(fixtureManifest, '..', 'guest', 'src', 'index.ts'), 'utf8');
    const { line } = positionOf(source, "throw new Error('guest threw')");
    const printed = output.join('');
    expect(printed).toContain('guest threw');
    expect(printed).toMatch(new RegExp(`guest/src/index\\.ts:${line}:\\d+`));
    expect(printed).not.toMatch(/guest\.js:\d+:\d+/);
  });
});
