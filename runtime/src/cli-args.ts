/**
 * `spin-local [flags]`: the `spin up` flags, same names and meanings, turned into {@link CreateOptions}.
 * Every mistake is a {@link UsageError} naming the flag.
 */
import { availableParallelism, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { parseFaultFlag } from './faults.js';
import { defaultMemoryBudget } from './memory-budget.js';
import { checkWarmUpPath, DEFAULT_WARM_UP_ROUNDS } from './warm-up.js';
import type { CreateOptions } from './index.js';

const MIB = 1024 * 1024;

export const USAGE = `Usage: spin-local [flags]

Runs the Spin app's Wasm components on Node, the way \`spin up\` does.

Flags (same names and meanings as spin up):
  -f, --from <path>                spin.toml, or a directory containing one (default: ./spin.toml)
      --listen <host:port>         address to serve on (default: 127.0.0.1:3000)
      --sqlite <STATEMENT|@file.sql[:label]>
                                   SQL run at every start, in order (repeatable); a file with @, against
                                   the 'default' database unless :label names another declared one; one
                                   that takes 1 s or more is reported with its time
      --state-dir <dir>            where SQLite and key-value files live (default: .spin beside spin.toml)
      --runtime-config-file <toml> defines [sqlite_database.<label>] and [key_value_store.<label>]
                                   (type = "spin", path = "...", relative to this file; a key-value
                                   store may also be type = "redis", url = "redis://host:port[/db]")
      --variable <name=value>      sets an application variable (repeatable); beats SPIN_VARIABLE_<NAME>
      --key-value <key=value>      sets a key in the 'default' key-value store at start (repeatable)
      --max-instance-memory <bytes>
                                   the most linear memory each instance may grow to, in bytes; a guest
                                   that needs more fails its request (500) (default: no limit; env
                                   SPIN_MAX_INSTANCE_MEMORY)
      --follow <component>         prints the output (stdout, stderr) of this component only (repeatable);
                                   default: every component's
      --follow-all                 prints every component's output (the default; for older Spin scripts)
  -q, --quiet                      prints no component output; here also no per-request lines (the
                                   start-up notes stay)
  -h, --help                       shows this text

Local runtime only:
      --request-timeout <ms>       per-request time limit; an overrun answers 504 (default: 30000)
      --redis-timeout <ms>         time limit of each call to a Redis key-value store: a hung or
                                   unreachable Redis costs a call this long, then the guest gets
                                   error::other (default: 500)
      --log-format <text|json>     text (default): one short line per request (method, path, component,
                                   status, time; a chained call only when it failed) and the start-up notes
                                   that matter (the warm-up's summary, first-start transpiles); json: one
                                   JSON object per line, for every request (chained and warm-up ones
                                   included) and every start-up note
      --memory-budget <MiB|none>   resident memory the process should stay within: at that many workers
                                   (about 96 MiB each beside the main thread, and the process's RSS as
                                   measured) the pool starts no more and new requests wait in the queue
                                   (503 with Retry-After when it is full); only a chained call that its
                                   request cannot do without may take the pool past it (default:
                                   384 MiB per core, from 768 MiB to 4096 MiB, at most a quarter of the
                                   machine's memory: ${Math.round(defaultMemoryBudget({ cores: availableParallelism(), totalMemory: totalmem() }) / MIB)} here)
      --warm-up <path>             before serving, GETs this path (repeatable) a few times and drops the
                                   answers, so the first users' requests do not pay V8's first-run
                                   compilation; start-up takes that much longer (it is printed)
      --warm-up-rounds <n>         how many times each --warm-up path is asked for (default: 3)
      --fault <component>[:<path-prefix>]=<delay:MS|status:CODE|trap>[,...]
                                   for testing: injects a fault into every request to that component
                                   (chained ones included) whose path starts with the prefix; actions
                                   combine with commas, and times:N limits the rule to N requests
                                   (repeatable; the first matching rule applies)

Environment: SPIN_VARIABLE_<NAME>=value sets the variable <name>; SPIN_MAX_INSTANCE_MEMORY=<bytes> as
--max-instance-memory (the flag wins).
Exit codes: 0 after SIGINT/SIGTERM, 1 on a start-up error (spin.toml, migration, --listen address in use,
...), 2 on a bad flag.`;

export interface CliOptions {
  help: boolean;
  quiet: boolean;
  logFormat: 'text' | 'json';
  create: CreateOptions;
}

function pairs(values: string[], flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} ${value}: expected key=value`);
    result[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return result;
}

/** Bytes as `spin up` takes them (clap's usize): digits only, no unit. */
function bytes(value: string, name: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new UsageError(`${name} ${value}: expected a whole number of bytes`);
  return number;
}

/** `env` is where `SPIN_MAX_INSTANCE_MEMORY` comes from (default `process.env`). */
export function parseCli(argv: string[], env: Record<string, string | undefined> = process.env): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0] ?? ''}' (flags only; see --help)`);
  let requestTimeoutMs: number | undefined;
  if (values['request-timeout'] !== undefined) {
    requestTimeoutMs = Number(values['request-timeout']);
    if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs <= 0)
      throw new UsageError(
        `--request-timeout ${values['request-timeout']}: expected a positive number of milliseconds`,
      );
  }
  let redisTimeoutMs: number | undefined;
  if (values['redis-timeout'] !== undefined) {
    redisTimeoutMs = Number(values['redis-timeout']);
    if (!Number.isInteger(redisTimeoutMs) || redisTimeoutMs <= 0)
      throw new UsageError(`--redis-timeout ${values['redis-timeout']}: expected a positive number of milliseconds`);
  }
  const memoryFlag = values['max-instance-memory'];
  // An empty variable counts as unset.
  const memoryEnv = env['SPIN_MAX_INSTANCE_MEMORY'] === '' ? undefined : env['SPIN_MAX_INSTANCE_MEMORY'];
  const maxInstanceMemory =
    memoryFlag !== undefined
      ? bytes(memoryFlag, '--max-instance-memory')
      : memoryEnv !== undefined
        ? bytes(memoryEnv, 'SPIN_MAX_INSTANCE_MEMORY')
        : undefined;
  const budgetFlag = values['memory-budget'];
  let memoryBudget = defaultMemoryBudget({ cores: availableParallelism(), totalMemory: totalmem() });
  if (budgetFlag === 'none') memoryBudget = Infinity;
  else if (budgetFlag !== undefined) {
    if (!/^\d+$/.test(budgetFlag) || Number(budgetFlag) < 1 || !Number.isSafeInteger(Number(budgetFlag) * MIB))
      throw new UsageError(`--memory-budget ${budgetFlag}: expected a whole number of MiB, or none`);
    memoryBudget = Number(budgetFlag) * MIB;
  }
  const warmUpPaths = values['warm-up'] ?? [];
  for (const path of warmUpPaths) {
    try {
      checkWarmUpPath(path);
    } catch (error) {
      throw new UsageError(`--warm-up ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const roundsFlag = values['warm-up-rounds'];
  const rounds = roundsFlag === undefined ? DEFAULT_WARM_UP_ROUNDS : Number(roundsFlag);
  if (!/^\d+$/.test(roundsFlag ?? String(DEFAULT_WARM_UP_ROUNDS)) || rounds < 1 || rounds > 100)
    throw new UsageError(`--warm-up-rounds ${roundsFlag ?? ''}: expected a whole number from 1 to 100`);
  if (roundsFlag !== undefined && warmUpPaths.length === 0)
    throw new UsageError('--warm-up-rounds needs at least one --warm-up <path>');
  const logFormat = values['log-format'] ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new UsageError(`--log-format ${logFormat}: expected text or json`);
  const follow = values.follow ?? [];
  // As spin up, where --quiet conflicts with --follow.
  if (values.quiet && (follow.length > 0 || values['follow-all']))
    throw new UsageError(`--quiet cannot be used with ${follow.length > 0 ? '--follow' : '--follow-all'}`);
  if (values['follow-all'] && follow.length > 0) throw new UsageError('--follow-all cannot be used with --follow');
  const create: CreateOptions = {
    listen: values.listen ?? '127.0.0.1:3000',
    sqlite: values.sqlite ?? [],
    variables: pairs(values.variable ?? [], '--variable'),
    keyValues: pairs(values['key-value'] ?? [], '--key-value'),
    ...(values.from === undefined ? {} : { from: values.from }),
    ...(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] }),
    ...(values['runtime-config-file'] === undefined ? {} : { runtimeConfigFile: values['runtime-config-file'] }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
    ...(redisTimeoutMs === undefined ? {} : { redisTimeoutMs }),
    ...(maxInstanceMemory === undefined ? {} : { maxInstanceMemory }),
    memoryBudget,
    ...(values.fault === undefined ? {} : { faults: values.fault.map(parseFaultFlag) }),
    ...(warmUpPaths.length === 0 ? {} : { warmUp: { paths: warmUpPaths, rounds } }),
    logFormat,
    ...(values.quiet ? { follow: [] } : follow.length > 0 ? { follow } : {}),
  };
  return { help: values.help ?? false, quiet: values.quiet ?? false, logFormat, create };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      from: { type: 'string', short: 'f' },
      listen: { type: 'string' },
      sqlite: { type: 'string', multiple: true },
      'state-dir': { type: 'string' },
      'runtime-config-file': { type: 'string' },
      variable: { type: 'string', multiple: true },
      'key-value': { type: 'string', multiple: true },
      'request-timeout': { type: 'string' },
      'redis-timeout': { type: 'string' },
      'max-instance-memory': { type: 'string' },
      'memory-budget': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      follow: { type: 'string', multiple: true },
      'follow-all': { type: 'boolean' },
      'log-format': { type: 'string' },
      fault: { type: 'string', multiple: true },
      'warm-up': { type: 'string', multiple: true },
      'warm-up-rounds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
