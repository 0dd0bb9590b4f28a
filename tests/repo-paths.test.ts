/**
 * Every repository path named in a comment or a README exists. Plain file reading: no Wasm, no runtime.
 *
 * What counts as a named path (precise rather than complete):
 * - in tracked `*.md` files, outside fenced code blocks: the targets of markdown links `[x](path)`, and
 *   backticked spans that are one path-like token ending in a known extension or in `/`;
 * - in the comments of tracked `.ts`, `.mts`, `.mjs`, `.cjs`, `.js` files (found with TypeScript's own
 *   scanner, so strings, templates and regular expressions are never read as comments): tokens ending in a source
 *   extension (`.ts .mjs .cjs .js .md .json .toml .sql .wasm .c`).
 *
 * A path passes when it names a file or folder of the checkout (tracked, or new and not ignored) relative to
 * the repository root or to the referring file's folder; a bare file name (no `/`) passes when some file of
 * the checkout has that name. A `.js` path also passes for the `.ts` it is compiled from (ES module imports
 * name the output). URLs, globs, placeholders and generated paths (build output, caches, ignored folders)
 * are not checked; each exception is listed below.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { posix } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Files of the checkout as a commit would hold them: tracked (and not deleted) or new and not ignored. */
function checkoutFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = out.split('\0').filter((f) => f !== '' && !f.split('/').includes('node_modules'));
  return [...new Set(files)].filter((f) => existsSync(root + f)).sort();
}

const files = checkoutFiles();
const fileSet = new Set(files);
const dirSet = new Set<string>();
const baseNames = new Set<string>();
for (const file of files) {
  baseNames.add(posix.basename(file));
  for (let dir = posix.dirname(file); dir !== '.'; dir = posix.dirname(dir)) dirSet.add(dir);
}

/**
 * Paths that are never in a checkout, by design: build output, caches and ignored folders. Matched against
 * the path as written (after `./` and `../` are dropped).
 */
const GENERATED: RegExp[] = [
  /(^|\/)node_modules(\/|$)/, // installed packages and their caches (jco's transpile cache, spin-sqlite3)
  /(^|\/)dist(\/|$)/, // compiled output: runtime/dist, each component's dist/*.js and *.wasm
  /(^|\/)\.spin(\/|$)/, // Spin's state directory
  /(^|\/)target(\/|$)/, // cargo output, in notes about Spin's Rust sources
  /(^|^tests\/|^\.\.\/)browser\/screenshots\/$/, // the browser tests' screenshots (ignored by git)
  /\.wasm$/, // every .wasm is built (spin.toml's components, the fixture and conformance guests)
];

/** Names that look like paths in prose but are not: product names and the like. */
const NOT_PATHS = new Set(['Node.js', 'Vue.js', 'Next.js', 'Express.js', 'D3.js', 'Chart.js']);

/**
 * Files of installed packages named by their bare name: checked in node_modules (when it is installed),
 * not in the checkout.
 */
const PACKAGE_FILES: Record<string, string> = {
  'swagger-ui-bundle.js': 'swagger-ui-dist/swagger-ui-bundle.js',
  'swagger-ui.css': 'swagger-ui-dist/swagger-ui.css',
  'swagger-ui-bundle.js.LICENSE.txt': 'swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt',
  'dynamicRef.js': 'ajv/dist/vocabularies/dynamic/dynamicRef.js',
  'sqlite3.c': 'better-sqlite3/deps', // the amalgamation, unpacked from better-sqlite3's deps by build-sqlite.mjs
};

/** Paths in other projects, each named where the text says whose they are. Keyed by the referring file. */
const OTHER_PROJECTS: Record<string, string[]> = {
  'tests/conformance/cases/SOURCES.md': ['docs/test-manifest.md'], // spinframework/conformance-tests
  'tests/conformance/replay.ts': ['docs/test-manifest.md'], // the same suite's manifest format
  'runtime/tests/routes.test.ts': ['content/v3/http-trigger.md'], // spinframework/spin-docs
};

/**
 * More folders a file's relative names are read against. The runtime's files name its modules relative to
 * its src/ folder, and its README's host API table names the folders of src/host/.
 */
function extraBases(file: string): string[] {
  return file.startsWith('runtime/') ? ['runtime/src', 'runtime/src/host'] : [];
}

/** A component's own path (`src/index.ts`, `src/browser.ts`) named for every component, or any. */
const COMPONENT_DIRS = [...new Set(files.map((f) => f.split('/')[0] ?? ''))].filter((d) => d.endsWith('-service'));

function isCheckable(path: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return false; // URLs (http:, https:, mailto:) and WIT names (wasi:io/poll)
  if (/[*?{}[\]<>$|]/.test(path)) return false; // globs, placeholders (<component>), shell and template syntax
  if (path.startsWith('#')) return false; // an anchor in the same page
  if (path.startsWith('/') && !path.startsWith('//')) return false; // a URL path of the app (/aggregates/...)
  if (/^\.[\w.]+$/.test(path)) return false; // an extension (`.d.mts`, `.wasm`), not a file
  if (NOT_PATHS.has(path)) return false;
  if (/^(\.\/)?(file|x|foo|name)\.\w+$/.test(path)) return false; // a placeholder: `--sqlite @file.sql`
  return true;
}

function exists(path: string, file: string): boolean {
  if (OTHER_PROJECTS[file]?.includes(path)) return true;
  if (path in PACKAGE_FILES)
    return !existsSync(root + 'node_modules') || existsSync(root + 'node_modules/' + PACKAGE_FILES[path]);
  const clean = path.replace(/\/+$/, '');
  const isDir = path.endsWith('/');
  const candidates = [clean];
  if (/\.js$/.test(clean)) candidates.push(clean.replace(/\.js$/, '.ts'));
  if (/\.mjs$/.test(clean)) candidates.push(clean.replace(/\.mjs$/, '.mts'));
  const bases = [''];
  for (let dir = posix.dirname(file); dir !== '.'; dir = posix.dirname(dir)) bases.push(dir);
  bases.push(...extraBases(file));
  if (`${clean}/`.startsWith('src/')) bases.push(...COMPONENT_DIRS);
  for (const candidate of candidates) {
    for (const base of bases) {
      const full = posix.normalize(posix.join(base, candidate));
      if (full.startsWith('..')) continue;
      if (full === '.' || full === '') return true;
      if (dirSet.has(full)) return true;
      if (!isDir && fileSet.has(full)) return true;
    }
    // A bare name (`field-rules.ts`, `nfc.ts`) is read in the context of its sentence: any file of that name.
    if (!candidate.includes('/') && !isDir && baseNames.has(candidate)) return true;
  }
  return false;
}

interface Reference {
  file: string;
  line: number;
  path: string;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

const MD_EXTENSIONS =
  'ts|mts|cts|mjs|cjs|js|md|json|jsonl|toml|sql|wasm|c|h|yaml|yml|wit|css|html|svg|png|txt|sh|lock|d\\.ts|d\\.mts';
const MD_PATH_TOKEN = new RegExp(`^[\\w.@-][\\w./@+-]*(\\.(${MD_EXTENSIONS})|/)$`);

/** The paths a markdown file names outside its fenced code blocks. */
export function markdownReferences(file: string, text: string): Reference[] {
  const refs: Reference[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, index) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker;
      else if (marker.startsWith(fence)) fence = undefined;
      return;
    }
    if (fence !== undefined) return; // code that may describe other projects, shell sessions, diagrams
    const prose = line.replace(/`[^`]*`/g, (span) => ' '.repeat(span.length));
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const path = decodeURI((m[1] ?? '').replace(/#.*$/, ''));
      if (path !== '') refs.push({ file, line: index + 1, path });
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      const token = (m[1] ?? '').trim();
      if (MD_PATH_TOKEN.test(token) && !/^\.+\/?$/.test(token)) refs.push({ file, line: index + 1, path: token });
    }
  });
  return refs;
}

const COMMENT_PATH_TOKEN = /[\w.@/*<>-]*[\w@-]\.(?:ts|mjs|cjs|js|md|json|toml|sql|wasm|c)(?![\w/-]|\.\w)/g;
const COMMENT_PATH_ONLY = new RegExp(`^${COMMENT_PATH_TOKEN.source}$`);

const K = ts.SyntaxKind;
/** Tokens after which a `/` divides; after anything else it starts a regular expression. */
const ENDS_EXPRESSION = new Set<ts.SyntaxKind>([
  K.Identifier,
  K.PrivateIdentifier,
  K.CloseParenToken,
  K.CloseBracketToken,
  K.CloseBraceToken,
  K.NumericLiteral,
  K.BigIntLiteral,
  K.StringLiteral,
  K.RegularExpressionLiteral,
  K.NoSubstitutionTemplateLiteral,
  K.TemplateTail,
  K.ThisKeyword,
  K.SuperKeyword,
  K.NullKeyword,
  K.TrueKeyword,
  K.FalseKeyword,
  K.PlusPlusToken,
  K.MinusMinusToken,
]);

/**
 * Every comment of a source file, with its offset, from TypeScript's scanner: strings, template literals and
 * regular expressions are tokens of their own, so nothing in them is read as a comment. (The scanner needs the
 * parser's two decisions: whether a `/` starts a regular expression, and whether a `}` resumes a template.)
 */
function comments(text: string): { pos: number; text: string }[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const found: { pos: number; text: string }[] = [];
  const templates: number[] = []; // the brace depth at each open `${`
  let depth = 0;
  let previous: ts.SyntaxKind = K.Unknown;
  for (let kind = scanner.scan(); kind !== K.EndOfFileToken; kind = scanner.scan()) {
    if (kind === K.SingleLineCommentTrivia || kind === K.MultiLineCommentTrivia) {
      found.push({ pos: scanner.getTokenStart(), text: scanner.getTokenText() });
      continue;
    }
    if (kind === K.WhitespaceTrivia || kind === K.NewLineTrivia || kind === K.ShebangTrivia) continue;
    if ((kind === K.SlashToken || kind === K.SlashEqualsToken) && !ENDS_EXPRESSION.has(previous))
      kind = scanner.reScanSlashToken();
    else if (kind === K.TemplateHead) templates.push(depth);
    else if (kind === K.OpenBraceToken) depth++;
    else if (kind === K.CloseBraceToken) {
      if (templates.at(-1) === depth) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === K.TemplateTail) templates.pop();
      } else depth--;
    }
    previous = kind;
  }
  return found;
}

/**
 * The paths a source file's comments name. A token inside a quoted string or inside a backticked code
 * snippet (a span that holds more than the path) is example code, not a reference: `import x from './x.sql?raw'`.
 */
export function commentReferences(file: string, text: string): Reference[] {
  const refs: Reference[] = [];
  for (const comment of comments(text)) {
    const code: [number, number][] = [];
    for (const m of comment.text.matchAll(/`([^`\n]*)`|'[^'\n]*'|"[^"\n]*"/g)) {
      if (m[0].startsWith('`') && COMMENT_PATH_ONLY.test(m[1] ?? '')) continue;
      code.push([m.index, m.index + m[0].length]);
    }
    for (const m of comment.text.matchAll(COMMENT_PATH_TOKEN)) {
      if (code.some(([start, end]) => m.index > start && m.index < end)) continue;
      let path = m[0];
      if (path.startsWith('//')) continue; // the rest of a URL (https://host/x.js)
      if (/[a-z][a-z0-9+.-]*:$/i.test(comment.text.slice(0, m.index))) continue;
      if (path.startsWith('@')) path = path.slice(1); // a CLI file argument: `--sqlite @migrations.sql`
      refs.push({ file, line: lineOf(text, comment.pos + m.index), path });
    }
  }
  return refs;
}

const SOURCE = /\.(ts|mts|cts|mjs|cjs|js)$/;

function allReferences(): Reference[] {
  const refs: Reference[] = [];
  for (const file of files) {
    if (file.split('/').includes('dist')) continue;
    if (file.endsWith('.md')) refs.push(...markdownReferences(file, readFileSync(root + file, 'utf8')));
    else if (SOURCE.test(file)) {
      const text = readFileSync(root + file, 'utf8');
      if (text.length > 2_000_000) continue; // generated tables (none today), not prose
      refs.push(...commentReferences(file, text));
    }
  }
  return refs;
}

describe('repository paths in comments and READMEs', () => {
  it('finds the paths it is meant to find (the extraction itself)', () => {
    const md = [
      'See [results](../bench/results/runtime.md#top) and `src/host/sqlite-gate.ts`, `common/`, `npm run up`,',
      '`*.spin.internal`, `<component>/src/app.ts`, [site](https://example.com/x.md), `Atomics.wait`.',
      '```sh',
      'cat other-project/src/main.rs lib/thing.ts',
      '```',
    ].join('\n');
    expect(markdownReferences('runtime/README.md', md).map((r) => `${r.line}:${r.path}`)).toEqual([
      '1:../bench/results/runtime.md',
      '1:src/host/sqlite-gate.ts',
      '1:common/',
      '2:https://example.com/x.md',
    ]);
    const code = [
      "const url = 'http://x/not-a-comment.ts'; // see common/src/sql.ts",
      '/* the `spin-sqlite.ts` seam; https://github.com/a/b/blob/main/c.ts */',
      'const re = /\\/\\/ not.ts/;',
      'const t = `${`${a}`}/* not.ts */${b}`; // after/tag.ts',
      'const p = a / b; /* spaced/x.ts */ const q = 2 / (c); // q/y.ts',
      'if (x) { /* in-block.ts */ }',
    ].join('\n');
    expect(commentReferences('x.ts', code).map((r) => `${r.line}:${r.path}`)).toEqual([
      '1:common/src/sql.ts',
      '2:spin-sqlite.ts',
      '4:after/tag.ts',
      '5:spaced/x.ts',
      '5:q/y.ts',
      '6:in-block.ts',
    ]);
  });

  it('every path named in a comment or a README exists', () => {
    const missing = allReferences()
      .filter((ref) => isCheckable(ref.path) && !GENERATED.some((re) => re.test(ref.path.replace(/^(\.\.?\/)+/, ''))))
      .filter((ref) => !exists(ref.path, ref.file))
      .map((ref) => `${ref.file}:${ref.line}: ${ref.path}`);
    expect(missing).toEqual([]);
  });
});
