/**
 * Reading the shell commands of the README and docs/*.md, for tests/docs-commands.test.ts: which fenced blocks
 * run, the commands in each, the outcome each states, and whether the shown output matches what a command
 * printed. Plain functions on text, no I/O; the conventions are described at the top of the test.
 */

/** Fenced blocks in these languages are run; any other language is left alone. */
export const SHELL_LANGUAGES = ['sh', 'bash', 'shell', 'console'];

/** A block's first line that says it is not run, and why (the reason is required). */
export const SKIP_MARKER = /^#\s*not run by the docs test:\s*(.*)$/;

/** Programs the test runs as given (after rewriting the address and the state directory). */
export const PLAIN_PROGRAMS = new Set([
  'curl',
  'node',
  'sqlite3',
  'echo',
  'printf',
  'grep',
  'sed',
  'cut',
  'tr',
  'head',
  'tail',
  'wc',
  'sort',
  'cat',
  'test',
  'true',
  'sleep',
]);

/** Commands that serve until stopped: started, fetched at the address they state, stopped again. */
export const SERVER_PROGRAMS = new Set(['npm start', 'npm run up']);

export interface DocCommand {
  /** The command as written, continuation lines included (without a console block's `$ `). */
  text: string;
  /** 1-based line of the markdown file where it starts. */
  line: number;
  /** The programs of its simple commands (`curl`, `node`, `npm start`, `npm run up`...), in order. */
  programs: string[];
  /** `# -> 200 304`: the HTTP statuses of its curl calls, in order; `null` when none is stated. */
  statuses: number[] | null;
  /** `# serves <url>`: a command that serves until stopped, and the address to fetch once it serves. */
  serves: string | null;
  /** What a console block shows after the command, or `null` when it shows nothing (or is not a console block). */
  output: string | null;
}

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  /** Why it is not run (the block's marker), or `null` when it is run. */
  skipped: string | null;
  commands: DocCommand[];
}

export interface DocPlan {
  blocks: DocBlock[];
  /** Every reason a block cannot be run as written, `file:line: ...`; the test fails on any. */
  problems: string[];
}

interface Scan {
  /** The words of each simple command, quotes kept. */
  commands: string[][];
  /** The text after an unquoted `#` on the last line, or `null`. */
  comment: string | null;
  /** Whether the text ends inside quotes, a `$(...)` or after a trailing backslash: more lines belong to it. */
  open: boolean;
}

/**
 * A small reading of shell syntax, enough to split commands and find their programs: quotes, backslashes,
 * `$(...)`, comments, and the operators `| || && ; & ( )`. Not a shell: what it cannot read is refused by the
 * allow-list of programs, never run by mistake.
 */
export function scanShell(text: string): Scan {
  const commands: string[][] = [];
  let comment: string | null = null;
  // One frame per `$(` (and the top level): the current simple command's words and the quote state outside it.
  const stack: { words: string[]; word: string; quote: '' | '"' }[] = [{ words: [], word: '', quote: '' }];
  let single = false;
  const top = () => stack[stack.length - 1] ?? { words: [], word: '', quote: '' as const };
  const endWord = () => {
    const frame = top();
    if (frame.word !== '') frame.words.push(frame.word);
    frame.word = '';
  };
  const endCommand = () => {
    endWord();
    const frame = top();
    if (frame.words.length > 0) commands.push(frame.words);
    frame.words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const frame = top();
    if (single) {
      frame.word += c;
      if (c === "'") single = false;
      continue;
    }
    if (c === '\\') {
      frame.word += text.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === '$' && text[i + 1] === '(') {
      frame.word += '$(';
      i++;
      stack.push({ words: [], word: '', quote: '' });
      continue;
    }
    if (frame.quote === '"') {
      frame.word += c;
      if (c === '"') frame.quote = '';
      continue;
    }
    if (c === "'") {
      single = true;
      frame.word += c;
      continue;
    }
    if (c === '"') {
      frame.quote = '"';
      frame.word += c;
      continue;
    }
    if (c === ')' && stack.length > 1) {
      endCommand();
      stack.pop();
      top().word += ')';
      continue;
    }
    if (c === '#' && frame.word === '') {
      const end = text.indexOf('\n', i);
      const rest = text.slice(i + 1, end === -1 ? text.length : end);
      if (end === -1) comment = rest.trim();
      i = end === -1 ? text.length : end - 1;
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord();
      continue;
    }
    if (c === '\n' || c === ';' || c === '|' || c === '&' || c === '(' || c === ')') {
      // `2>&1` and `>&2` are redirections, not operators.
      if (c === '&' && /[<>]$/.test(frame.word)) {
        frame.word += c;
        continue;
      }
      endCommand();
      continue;
    }
    frame.word += c;
  }
  const open = single || stack.length > 1 || top().quote !== '' || /\\\n?$/.test(text.replace(/[ \t]+$/, ''));
  while (stack.length > 1) {
    endCommand();
    stack.pop();
  }
  endCommand();
  return { commands, comment, open };
}

/** The program of a simple command: its first word after assignments and redirections, `npm run <script>` whole. */
export function programOf(words: string[]): string | null {
  const rest = words.filter((w, i) => {
    const before = words.slice(0, i);
    const leading = before.every((b) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(b));
    return !(leading && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) && !/^[0-9]*[<>]/.test(w);
  });
  const first = rest[0];
  if (first === undefined) return null;
  if (first === 'npm' || first === 'npx') {
    const args = rest.slice(1).filter((w) => !w.startsWith('-'));
    if (first === 'npm' && (args[0] === 'run' || args[0] === 'run-script')) return `npm run ${args[1] ?? ''}`.trim();
    return `${first} ${args[0] ?? ''}`.trim();
  }
  return first;
}

/** Whether a command's words ask only for help (`npm run up -- --help`): it prints and exits. */
const asksForHelp = (words: string[]): boolean => words.includes('--help') || words.includes('-h');

/** The fenced shell blocks of a markdown text, their commands, and what keeps any of them from being run. */
export function planDocCommands(file: string, markdown: string): DocPlan {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[1] ?? '```';
    const language = (open[2] ?? '').toLowerCase();
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').trimStart().startsWith(fence); i++) body.push(lines[i] ?? '');
    if (!SHELL_LANGUAGES.includes(language)) continue;
    const block = readBlock(file, start + 1, language, body, problems);
    blocks.push(block);
  }
  return { blocks, problems };
}

function readBlock(file: string, line: number, language: string, body: string[], problems: string[]): DocBlock {
  const where = (offset: number) => `${file}:${line + 1 + offset}`;
  const firstLine = body.findIndex((l) => l.trim() !== '');
  const marker = firstLine === -1 ? null : SKIP_MARKER.exec((body[firstLine] ?? '').trim());
  const console = language === 'console';
  const commands: DocCommand[] = [];
  for (let i = 0; i < body.length; i++) {
    const raw = body[i] ?? '';
    if (console && !raw.startsWith('$ ')) {
      if (raw.trim() !== '' && commands.length === 0)
        problems.push(`${where(i)}: a console block's commands start with "$ "; this line comes before any`);
      else if (commands.length > 0 && raw !== '') {
        const last = commands[commands.length - 1];
        if (last) last.output = last.output === null ? raw : `${last.output}\n${raw}`;
      }
      continue;
    }
    let text = console ? raw.slice(2) : raw;
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    const startLine = i;
    while (scanShell(text).open && i + 1 < body.length) text = `${text}\n${body[++i] ?? ''}`;
    const scan = scanShell(text);
    const programs = scan.commands.map(programOf).filter((p): p is string => p !== null);
    let statuses: number[] | null = null;
    let serves: string | null = null;
    const stated = scan.comment === null ? null : /^->\s*(.*)$/.exec(scan.comment);
    const serving = scan.comment === null ? null : /^serves\s+(https?:\/\/\S+)/.exec(scan.comment);
    if (stated) {
      const words = (stated[1] ?? '').trim().split(/\s+/);
      if (words.length === 0 || !words.every((w) => /^[1-5][0-9]{2}$/.test(w)))
        problems.push(
          `${where(startLine)}: "# -> ${stated[1]}": state HTTP statuses, e.g. "# -> 200" or "# -> 201 200"`,
        );
      else statuses = words.map(Number);
    }
    if (serving) serves = serving[1] ?? null;
    commands.push({ text, line: line + 1 + startLine, programs, statuses, serves, output: null });
  }
  if (marker) {
    const reason = (marker[1] ?? '').trim();
    if (reason === '') problems.push(`${where(firstLine)}: say why the block is not run, after the colon`);
    const runnable = commands.every((c) => c.programs.every(canRun));
    if (runnable && commands.length > 0)
      problems.push(`${where(firstLine)}: the block is marked as not run, but the test can run it: remove the marker`);
    return { file, line, language, skipped: reason, commands };
  }
  for (const command of commands) {
    const at = `${file}:${command.line}`;
    for (const program of command.programs) {
      if (!canRun(program))
        problems.push(
          `${at}: \`${program}\` is not a command this test runs; run something it can, or make the block's first line "# not run by the docs test: <why>"`,
        );
    }
    const server = command.programs.some((p) => SERVER_PROGRAMS.has(p)) && !asksForHelp(words(command));
    const curls = command.programs.filter((p) => p === 'curl').length;
    if (server) {
      if (command.programs.length !== 1)
        problems.push(`${at}: a command that serves until stopped stands alone (no pipe, no &&)`);
      if (command.serves === null)
        problems.push(
          `${at}: a command that serves until stopped states where: "# serves http://127.0.0.1:3000/<path>"`,
        );
      if (command.output !== null) problems.push(`${at}: a command that serves until stopped shows no output`);
    } else if (command.serves !== null) {
      problems.push(`${at}: "# serves" belongs on a command that serves until stopped (npm start, npm run up)`);
    }
    if (curls > 0 && command.statuses === null)
      problems.push(
        `${at}: state what its curl call${curls > 1 ? 's' : ''} answer${curls > 1 ? '' : 's'}: "# -> <status>"`,
      );
    if (command.statuses !== null && command.statuses.length !== curls)
      problems.push(`${at}: "# ->" states ${command.statuses.length} status(es) for ${curls} curl call(s)`);
  }
  return { file, line, language, skipped: null, commands };
}

const words = (command: DocCommand): string[] => scanShell(command.text).commands.flat();

/** Whether the test runs a program: one it knows, or a command that serves until stopped. */
const canRun = (program: string): boolean => PLAIN_PROGRAMS.has(program) || SERVER_PROGRAMS.has(program);

/** The same text with the whitespace outside double-quoted strings removed, and carriage returns dropped. */
export function squash(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      out += c;
      inString = true;
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

const UUID = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/;
const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/;
const LATENCY = /"latencyMs":\d+/;
const PIECES = new RegExp(`(\\.\\.\\.)|(${UUID.source})|(${TIME.source})|(${LATENCY.source})`, 'g');

/**
 * Whether a command's output is what the docs show: whitespace outside double-quoted strings is ignored (the
 * docs may wrap a one-line JSON answer), `...` stands for anything, and any UUID, any RFC 3339 time and any
 * `"latencyMs"` value stand for any other.
 */
export function outputMatches(shown: string, printed: string): boolean {
  const expected = squash(shown);
  let pattern = '';
  let last = 0;
  for (const match of expected.matchAll(PIECES)) {
    pattern += escape(expected.slice(last, match.index));
    if (match[1]) pattern += '[\\s\\S]*?';
    else if (match[2]) pattern += UUID.source;
    else if (match[3]) pattern += TIME.source;
    else pattern += '"latencyMs":\\d+';
    last = match.index + match[0].length;
  }
  pattern += escape(expected.slice(last));
  return new RegExp(`^${pattern}$`).test(squash(printed));
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The documented address (`localhost:3000`, `127.0.0.1:8080`...) pointed at the one the test serves on. */
export const rewriteAddress = (text: string, port: number): string =>
  text.replace(/\b(?:localhost|127\.0\.0\.1):\d+/g, `127.0.0.1:${port}`);

/** `.spin/` (the default state directory) pointed at the test's own. */
export const rewriteStateDir = (text: string, stateDir: string): string =>
  text.replace(/(^|[\s'"=])\.spin\//g, `$1${stateDir}/`);
