/**
 * Guest stack traces pointed back at the sources. A component's JavaScript is one bundle inside the Wasm, so the
 * engine's frames name the bundle (`handle@customers-service.bundle.js:4711:13`), a file nobody edits. When a
 * source map lies beside the component's `.wasm` (`<name>.bundle.js.map`, else `<name>.js.map`), the frames
 * that name its generated file are rewritten to the source position (`customers-service/src/app.ts:42:7`)
 * before the guest's output is printed. No map, or a position the map does not cover: the text is left alone.
 *
 * A source map v3 decoder of our own (base64 VLQ, no `sections`), so the package needs no dependency for it;
 * maps are read on the first frame that needs one, as large bundles have multi-megabyte maps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One mapping: a generated column (0-based) to a source, line and column (all 0-based). */
interface Segment {
  column: number;
  source: number;
  line: number;
  sourceColumn: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGITS = new Map([...BASE64].map((char, value) => [char.charCodeAt(0), value]));

/**
 * The `mappings` string as segments per generated line (index 0 is line 1). Segments without a source (one
 * field) only move the column; the source, line and source column are relative to the previous segment's,
 * across lines, and the generated column to the previous one's on the same line (source map v3).
 */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let current: Segment[] = [];
  let column = 0;
  let source = 0;
  let line = 0;
  let sourceColumn = 0;
  const fields: number[] = [];
  const endSegment = (): void => {
    if (fields.length === 0) return;
    column += fields[0] ?? 0;
    if (fields.length >= 4) {
      source += fields[1] ?? 0;
      line += fields[2] ?? 0;
      sourceColumn += fields[3] ?? 0;
      current.push({ column, source, line, sourceColumn });
    }
    fields.length = 0;
  };
  let i = 0;
  while (i < mappings.length) {
    const char = mappings[i];
    if (char === ',' || char === ';') {
      endSegment();
      if (char === ';') {
        lines.push(current);
        current = [];
        column = 0;
      }
      i += 1;
      continue;
    }
    let value = 0;
    let shift = 0;
    let digit: number;
    do {
      const next = DIGITS.get(mappings.charCodeAt(i));
      if (next === undefined) throw new Error(`invalid character in mappings at ${i}`);
      digit = next;
      value += (digit & 31) * 2 ** shift;
      shift += 5;
      i += 1;
    } while (digit & 32);
    fields.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
  }
  endSegment();
  lines.push(current);
  // Generators emit a line's segments in column order; sort anyway, since lookups search by column.
  for (const segments of lines) segments.sort((a, b) => a.column - b.column);
  return lines;
}

/** A position in a source file, lines and columns 1-based as engines print them. */
export interface SourcePosition {
  source: string;
  line: number;
  column: number;
}

export class SourceMap {
  /** The generated file the map describes (its `file`), as frames name it. */
  readonly file: string;
  readonly #sources: string[];
  readonly #lines: Segment[][];

  private constructor(file: string, sources: string[], lines: Segment[][]) {
    this.file = file;
    this.#sources = sources;
    this.#lines = lines;
  }

  /**
   * Parses a map read from `mapPath`. Sources are shown relative to `displayBase` when inside it (else absolute);
   * a `webpack://<namespace>/` or other URL-like prefix is dropped, leaving the path the bundler recorded.
   */
  static parse(json: string, mapPath: string, displayBase: string): SourceMap {
    const raw = JSON.parse(json) as {
      version?: unknown;
      file?: unknown;
      sourceRoot?: unknown;
      sources?: unknown;
      mappings?: unknown;
    };
    if (raw.version !== 3 || typeof raw.mappings !== 'string' || !Array.isArray(raw.sources))
      throw new Error('not a source map v3 with mappings and sources');
    const root = typeof raw.sourceRoot === 'string' ? raw.sourceRoot : '';
    const sources = raw.sources.map((source: unknown) =>
      displaySource(typeof source === 'string' ? source : '', root, dirname(mapPath), displayBase),
    );
    const file = typeof raw.file === 'string' && raw.file !== '' ? basename(raw.file) : basename(mapPath, '.map');
    return new SourceMap(file, sources, decodeMappings(raw.mappings));
  }

  /** The source position of a generated one (1-based line and column), or `undefined` where nothing maps. */
  lookup(line: number, column: number): SourcePosition | undefined {
    const segments = this.#lines[line - 1];
    if (!segments || segments.length === 0) return undefined;
    // The last segment starting at or before the column (0-based in the map).
    let low = 0;
    let high = segments.length - 1;
    let found: Segment | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const segment = segments[middle];
      if (!segment) break;
      if (segment.column <= column - 1) {
        found = segment;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    // A frame before the line's first segment still lies in the statement the first segment starts.
    found ??= segments[0];
    const source = found ? this.#sources[found.source] : undefined;
    if (!found || source === undefined || source === '') return undefined;
    return { source, line: found.line + 1, column: found.sourceColumn + 1 };
  }
}

function displaySource(source: string, sourceRoot: string, mapDir: string, displayBase: string): string {
  let path = source;
  if (/^file:\/\//.test(path)) path = fileURLToPath(path);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    // webpack://<namespace>/./src/x.ts: the part after the namespace is relative to the bundler's context,
    // which the map does not record; show it as recorded.
    return path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*\//i, '').replace(/^\.\//, '');
  } else path = resolve(mapDir, sourceRoot, path);
  const shown = relative(displayBase, path);
  return shown !== '' && !shown.startsWith(`..${sep}`) && shown !== '..' && !isAbsolute(shown) ? shown : path;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `<name>.bundle.js.map`, then `<name>.js.map`, beside `<name>.wasm`: where a build puts a component's map. */
export function sourceMapPathFor(wasmPath: string): string | undefined {
  const base = wasmPath.replace(/\.wasm$/, '');
  return [`${base}.bundle.js.map`, `${base}.js.map`].find((candidate) => existsSync(candidate));
}

/**
 * Rewrites the stack frames in guests' output, per Wasm file. `displayBase` is where source paths are shown
 * from (the runtime's working directory). A map that cannot be read or parsed is reported once through `warn`
 * and then ignored: traces stay as the engine wrote them.
 */
export class StackMapper {
  readonly #displayBase: string;
  readonly #warn: (line: string) => void;
  readonly #maps = new Map<string, { map: SourceMap; frame: RegExp } | null>();

  constructor(displayBase: string, warn: (line: string) => void) {
    this.#displayBase = displayBase;
    this.#warn = warn;
  }

  #load(wasmPath: string): { map: SourceMap; frame: RegExp } | null {
    let entry = this.#maps.get(wasmPath);
    if (entry !== undefined) return entry;
    entry = null;
    const mapPath = sourceMapPathFor(wasmPath);
    if (mapPath) {
      try {
        const map = SourceMap.parse(readFileSync(mapPath, 'utf8'), mapPath, this.#displayBase);
        // The file name alone or after any folders (an older build's temporary one, say), as a frame writes it: `fn@file:line:col` (SpiderMonkey), `at fn (file:line:col)` or `at file:line:col` (V8).
        const frame = new RegExp(`(?<![^\\s@(])(?:[^\\s@()]*/)?${escapeRegExp(map.file)}:(\\d+):(\\d+)`, 'g');
        entry = { map, frame };
      } catch (error) {
        this.#warn(`${mapPath}: not used for stack traces: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.#maps.set(wasmPath, entry);
    return entry;
  }

  /** `text` with each frame naming the component's bundle replaced by its source position. */
  rewrite(wasmPath: string, text: string): string {
    // Cheap test first: most output has no `:line:col` at all, and then no map is read.
    if (!/:\d+:\d+/.test(text)) return text;
    const entry = this.#load(wasmPath);
    if (!entry) return text;
    return text.replace(entry.frame, (whole, line: string, column: string) => {
      const position = entry.map.lookup(Number(line), Number(column));
      return position ? `${position.source}:${position.line}:${position.column}` : whole;
    });
  }
}
