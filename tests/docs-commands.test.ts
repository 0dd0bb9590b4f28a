/**
 * Every shell command the README and docs/*.md show is run here, against an app this test starts, and gives
 * the outcome the docs state. So a command that stops working, or whose answer changes, fails this test.
 *
 * What is run: the fenced blocks in `sh`, `bash`, `shell` or `console` of README.md and docs/*.md, in page
 * order, each page in one shell session (bash) of its own, as a reader would type them: a variable set in one
 * block is there in the next. Each page gets a new state directory (the test's `.spin/`), and `.spin/` in a
 * command means it. The documented address (`localhost:3000`, `127.0.0.1:3000`, any `host:port` of
 * localhost) is rewritten to the app the page is at.
 *
 * How the docs state outcomes:
 * - `# -> 200` at the end of a command: the HTTP status of its curl call (`# -> 201 200` for two calls, in
 *   order). Every command that calls curl states it; curl is wrapped to report each status.
 * - In a `console` block, a command starts with `$ ` and the lines up to the next `$ ` are its output, which
 *   must match what it printed: whitespace outside double-quoted strings is ignored (a one-line JSON answer may
 *   be shown wrapped), `...` stands for anything, and any UUID, RFC 3339 time or `"latencyMs"` value for any
 *   other. In `sh` and `bash` blocks the output is not checked.
 * - Every command must exit 0.
 * - `npm start` and `npm run up` (but `--help`) serve until stopped. Such a command stands alone and ends with
 *   `# serves http://127.0.0.1:3000/<path>`: the test starts it with the page's state directory and a free
 *   port (`--state-dir`, `--listen`, added after the command's own flags), waits until that address answers
 *   200 (within a time limit: the first requests after a start may time out on a busy machine), and the
 *   page's next commands go to it until the next such command (which stops it first, as a reader stops one
 *   before starting another) or the page's end. Before any, a page's commands go to the app as `npm start`
 *   serves it (spin.toml, `--sqlite @migrations.sql`), started here.
 * - A block the test cannot run (the Spin CLI, `kubectl`, `npm ci`, `npm test`, the benchmarks) starts with a
 *   visible line `# not run by the docs test: <why>`. A block without it that runs a program the test does not
 *   run FAILS the test, as does a marked block the test could run, a curl without a stated status, and a
 *   server without the address it serves (the first case below proves it on made-up markdown).
 *
 * The programs it runs: curl, node, sqlite3 and the usual text tools (tests/support/doc-commands.ts lists
 * them). `.ci/run` installs curl and sqlite3 when they are missing.
 */
import { spawn, spawnSync, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { create, type SpinRuntime } from 'spin-local';
import {
  outputMatches,
  planDocCommands,
  rewriteAddress,
  rewriteStateDir,
  scanShell,
  type DocCommand,
} from './support/doc-commands';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The pages whose commands are run, in the order a reader meets them. */
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** How long a server command may take to answer (npm start checks the build and warms the app up first). */
const SERVE_WITHIN_MS = 240_000;
/** How long any other command may take. */
const COMMAND_WITHIN_MS = 60_000;

describe('the rules for the docs blocks (made-up markdown)', () => {
  const md = (...blocks: string[]) => blocks.join('\n\n');
  const sh = (body: string, language = 'sh') => `\`\`\`${language}\n${body}\n\`\`\``;

  it('fails a block it cannot run unless the block says why it is not run', () => {
    const unmarked = planDocCommands('x.md', md('# Title', sh('spin up --sqlite @migrations.sql')));
    expect(unmarked.problems).toEqual([
      'x.md:4: `spin` is not a command this test runs; run something it can, or make the block\'s first line "# not run by the docs test: <why>"',
    ]);
    const marked = planDocCommands('x.md', sh('# not run by the docs test: needs the Spin CLI\nspin up'));
    expect(marked.problems).toEqual([]);
    expect(marked.blocks.map((block) => block.skipped)).toEqual(['needs the Spin CLI']);
    for (const command of ['npm ci', 'npm test', 'npm run bench', 'kubectl apply -f deploy/', 'npm ci && npm start']) {
      const { problems } = planDocCommands('x.md', sh(command));
      expect(
        problems.filter((problem) => problem.includes('is not a command this test runs')),
        command,
      ).toHaveLength(1);
    }
  });

  it('fails a marker on a block it can run, a marker without a reason, a curl without a status, a server without an address', () => {
    expect(
      planDocCommands('x.md', sh('# not run by the docs test: slow\ncurl -s localhost:3000/   # -> 200')).problems,
    ).toEqual(['x.md:2: the block is marked as not run, but the test can run it: remove the marker']);
    expect(planDocCommands('x.md', sh('# not run by the docs test:\nspin up')).problems).toEqual([
      'x.md:2: say why the block is not run, after the colon',
    ]);
    expect(planDocCommands('x.md', sh('curl -s localhost:3000/customers/count')).problems).toEqual([
      'x.md:2: state what its curl call answers: "# -> <status>"',
    ]);
    expect(planDocCommands('x.md', sh('npm start')).problems).toEqual([
      'x.md:2: a command that serves until stopped states where: "# serves http://127.0.0.1:3000/<path>"',
    ]);
    expect(planDocCommands('x.md', sh('curl -s localhost:3000/   # -> 200 200')).problems).toEqual([
      'x.md:2: "# ->" states 2 status(es) for 1 curl call(s)',
    ]);
    expect(planDocCommands('x.md', sh('curl -s localhost:3000/   # -> ok')).problems).toHaveLength(2);
  });

  it('reads commands, continuation lines, statuses, shown output and servers', () => {
    const plan = planDocCommands(
      'x.md',
      md(
        sh('npm start -- --variable api_token=s3cret   # serves http://127.0.0.1:3000/customers/count until stopped'),
        sh(
          [
            "T='Authorization: Bearer s3cret'",
            '# a comment line',
            `id=$(curl -s -X POST localhost:3000/customers/items -H "$T" \\`,
            `  -d '{"name": "A"}' | node -p 'JSON.parse(require("fs").readFileSync(0)).id')   # -> 201`,
          ].join('\n'),
        ),
        sh('$ curl -s localhost:3000/customers/count   # -> 200\n{"count": 40}\n$ echo done\ndone', 'console'),
        '```json\n{"not": "run"}\n```',
      ),
    );
    expect(plan.problems).toEqual([]);
    const commands = plan.blocks.flatMap((block) => block.commands);
    expect(
      commands.map(({ line, programs, statuses, serves, output }) => ({ line, programs, statuses, serves, output })),
    ).toEqual([
      {
        line: 2,
        programs: ['npm start'],
        statuses: null,
        serves: 'http://127.0.0.1:3000/customers/count',
        output: null,
      },
      { line: 6, programs: [], statuses: null, serves: null, output: null },
      { line: 8, programs: ['curl', 'node'], statuses: [201], serves: null, output: null },
      { line: 13, programs: ['curl'], statuses: [200], serves: null, output: '{"count": 40}' },
      { line: 15, programs: ['echo'], statuses: null, serves: null, output: 'done' },
    ]);
  });

  it('matches shown output: whitespace outside strings, `...`, ids and times do not count', () => {
    expect(outputMatches('{ "count": 40 }', '{"count":40}')).toBe(true);
    expect(outputMatches('{ "count": 40 }', '{"count":41}')).toBe(false);
    expect(outputMatches('{"name": "A B"}', '{"name":"AB"}')).toBe(false);
    expect(outputMatches('[{"seq":41,...}]', '[{"seq":41,"type":"CustomerCreated"}]')).toBe(true);
    expect(
      outputMatches(
        '{"id":"3F0C2A52-8B1D-4C3E-9A7F-2D6E5B4C3A21","at":"2026-11-30T08:31:01.178Z","latencyMs":12}',
        '{"id":"E194669B-D11A-C3FF-FCFD-4C41B1B927C4","at":"2026-12-07T19:01:02.003Z","latencyMs":3}',
      ),
    ).toBe(true);
    expect(
      outputMatches('HTTP/1.1 200 OK\n...\netag: "1"\n...', 'HTTP/1.1 200 OK\r\nx: y\r\netag: "1"\r\n\r\n{}'),
    ).toBe(true);
  });

  it('splits shell text into commands without running it', () => {
    expect(scanShell(`a=$(curl -s x | node -p 'a | b') && echo "$(printf ')')" 2>&1   # -> 200`)).toEqual({
      commands: [
        ['curl', '-s', 'x'],
        ['node', '-p', "'a | b'"],
        ['a=$()'],
        ['printf', "')'"],
        ['echo', '"$()"', '2>&1'],
      ],
      comment: '-> 200',
      open: false,
    });
    expect(scanShell("curl -d '{\n").open).toBe(true);
    expect(scanShell('curl x \\').open).toBe(true);
  });
});

describe('the docs', () => {
  const plans = PAGES.map((file) => planDocCommands(file, readFileSync(join(ROOT, file), 'utf8')));

  it('find the programs the docs use on this machine', () => {
    const missing = ['bash', 'curl', 'sqlite3'].filter(
      (program) => spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0,
    );
    expect(missing, `missing: apt-get install ${missing.join(' ')} (.ci/run installs them)`).toEqual([]);
  });

  it('run only commands this test can run, each stating its outcome, or say why a block is not run', () => {
    expect(plans.flatMap((plan) => plan.problems)).toEqual([]);
    // Nothing is left out in silence: every shell block is either run or says why not.
    expect(plans.flatMap((plan) => plan.blocks).length).toBeGreaterThan(0);
  });

  PAGES.forEach((file, index) => {
    const runnable = (plans[index]?.blocks ?? []).filter((block) => block.skipped === null);
    if (runnable.length === 0) return;
    it(
      `${file}: every command gives the outcome shown`,
      async () => {
        const page = new Page(file);
        try {
          for (const block of runnable) for (const command of block.commands) await page.run(command);
        } finally {
          await page.close();
        }
      },
      (SERVE_WITHIN_MS + COMMAND_WITHIN_MS) * 8,
    );
  });
});

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The environment of the commands: this one, without vitest's variables or Spin variables of its own. */
function commandEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && !name.startsWith('SPIN_')),
  );
}

/** A command that serves until stopped, as a process group of its own. */
interface Served {
  port: number;
  stop(): Promise<void>;
}

/** One page read as a reader would: one shell, one state directory, the app its commands reach. */
class Page {
  constructor(private readonly file: string) {}
  readonly stateDir = mkdtempSync(join(tmpdir(), 'docs-commands-'));
  private served: Served | null = null;
  private shell: Shell | null = null;

  async run(command: DocCommand): Promise<void> {
    const where = `${this.file}:${command.line}: ${command.text}`;
    if (command.serves !== null) {
      await this.stopServed();
      this.served = await serve(this.file, command, this.stateDir);
      return;
    }
    this.served ??= await defaultApp(this.stateDir);
    this.shell ??= new Shell(this.stateDir);
    const text = rewriteStateDir(rewriteAddress(command.text, this.served.port), this.stateDir);
    const result = await this.shell.run(text);
    const report = `${where}\n--- printed:\n${result.stdout}\n--- stderr:\n${result.stderr}`;
    expect(result.code, `exit code of ${report}`).toBe(0);
    expect(result.statuses, `curl statuses of ${report}`).toEqual(command.statuses ?? []);
    if (command.output !== null) {
      const shown = rewriteAddress(command.output, this.served.port);
      expect(outputMatches(shown, result.stdout), `output of ${report}\n--- shown:\n${shown}`).toBe(true);
    }
  }

  private async stopServed(): Promise<void> {
    const served = this.served;
    this.served = null;
    await served?.stop();
  }

  async close(): Promise<void> {
    this.shell?.close();
    await this.stopServed();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** The app as `npm start` serves it (warm-up included), for the commands of a page before any server command. */
async function defaultApp(stateDir: string): Promise<Served> {
  const port = await freePort();
  const spin: SpinRuntime = await create({
    from: join(ROOT, 'spin.toml'),
    cwd: ROOT,
    sqlite: ['@migrations.sql'],
    stateDir,
    env: {},
    listen: `127.0.0.1:${port}`,
    // As `npm start` warms it: the first requests after a start would otherwise be much slower than the rest.
    warmUp: { paths: ['/aggregates/dashboard', '/'], rounds: 3 },
    log: () => {},
    guestOutput: () => {},
  });
  return { port, stop: () => spin.dispose() };
}

/**
 * Starts a command that serves until stopped (`npm start ...`, `npm run up ...`) on a free port and the page's
 * state directory, and waits until the address it states answers 200.
 */
async function serve(file: string, command: DocCommand, stateDir: string): Promise<Served> {
  const port = await freePort();
  let text = rewriteAddress(command.text.replace(/\s+#\s*serves\s.*$/, ''), port);
  const words = scanShell(text).commands.flat();
  const extra = [...(words.includes('--listen') ? [] : ['--listen', `127.0.0.1:${port}`]), '--state-dir', stateDir];
  text = `${text}${words.includes('--') ? '' : ' --'} ${extra.join(' ')}`;
  const child = spawn('bash', ['-c', text], { cwd: ROOT, env: commandEnv(), detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const stop = () => stopGroup(child, exited);
  const url = rewriteAddress(command.serves ?? '', port);
  const started = Date.now();
  // The first requests after a start may run out of time on a busy machine (a chained call's 2 s limit): the
  // address must answer 200 within the time limit, not at the first try.
  let last = 'no answer';
  for (;;) {
    if (done) throw new Error(`${file}:${command.line}: ${text}\nexited before it served ${url}:\n${output}`);
    if (Date.now() - started > SERVE_WITHIN_MS) {
      await stop();
      throw new Error(
        `${file}:${command.line}: ${text}\ndid not serve ${url} within ${SERVE_WITHIN_MS} ms (last: ${last}):\n${output}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
      last = `status ${response.status}`;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return { port, stop };
}

/** SIGTERM to the process group (npm, the shell and the runtime), then SIGKILL if it lingers. */
async function stopGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL'); // whatever the group left behind
}

interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
  statuses: number[];
}

/**
 * One bash session for a page. Each command is written to a file and sourced (stdin /dev/null, so a command
 * that reads stdin cannot eat the next ones); a marker after it on stdout and stderr says it ended and how.
 * `curl` is a function that also writes each answer's status to stderr.
 */
class Shell {
  private readonly process: ChildProcessWithoutNullStreams;
  private stdout = '';
  private stderr = '';
  private count = 0;
  private exited = false;

  constructor(private readonly dir: string) {
    this.process = spawn('bash', ['--noprofile', '--norc'], { cwd: ROOT, env: commandEnv(), detached: true });
    this.process.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.process.on('exit', () => (this.exited = true));
    this.process.stdin.write(
      [
        `curl() { command curl -w '%{stderr}\\n@@docs-status %{http_code}\\n' "$@"; }`,
        `__docs_end() { local code=$?; printf '\\n@@docs-end %s %s\\n' "$1" "$code"; printf '\\n@@docs-end %s %s\\n' "$1" "$code" >&2; }`,
        '',
      ].join('\n'),
    );
  }

  async run(text: string): Promise<ShellResult> {
    const n = ++this.count;
    const file = join(this.dir, `.docs-command-${n}.sh`);
    writeFileSync(file, `${text}\n`);
    this.process.stdin.write(`source ${JSON.stringify(file)} </dev/null; __docs_end ${n}\n`);
    const marker = new RegExp(`\\n@@docs-end ${n} (\\d+)\\n`);
    const started = Date.now();
    while (!(marker.test(this.stdout) && marker.test(this.stderr))) {
      if (this.exited) throw new Error(`the shell ended during:\n${text}\n${this.stdout}\n${this.stderr}`);
      if (Date.now() - started > COMMAND_WITHIN_MS)
        throw new Error(
          `no end within ${COMMAND_WITHIN_MS} ms:\n${text}\n--- printed:\n${this.stdout}\n${this.stderr}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const take = (buffer: 'stdout' | 'stderr'): { text: string; code: number } => {
      const match = marker.exec(this[buffer]);
      if (match === null) throw new Error(`no end marker in ${buffer}`);
      const taken = this[buffer].slice(0, match.index);
      this[buffer] = this[buffer].slice(match.index + match[0].length);
      return { text: taken, code: Number(match[1]) };
    };
    const out = take('stdout');
    const err = take('stderr');
    const statuses = [...err.text.matchAll(/\n?@@docs-status (\d{3})\n?/g)].map((m) => Number(m[1]));
    return {
      code: out.code,
      stdout: out.text,
      stderr: err.text.replace(/\n?@@docs-status \d{3}\n?/g, ''),
      statuses,
    };
  }

  close(): void {
    try {
      if (this.process.pid !== undefined) process.kill(-this.process.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
