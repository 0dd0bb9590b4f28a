#!/usr/bin/env node
/**
 * `spin-local [flags]` (`npm run up -- [flags]` in this repository): serves the app like `spin up` (see USAGE in cli-args.ts). Prints the address
 * and routes, one line per request, and on SIGINT/SIGTERM stops accepting, lets in-flight requests
 * finish, and exits 0. A taken `--listen` address exits 1 with one line saying how to pick another.
 */
import { parseCli, USAGE } from './cli-args.js';
import { AddressInUseError, ConfigError, UsageError } from './errors.js';
import { create, type SpinRuntime } from './index.js';
import { checkAddressFree, parseListen } from './listen-address.js';

/**
 * How to choose another address: the flag, and where the CLI runs from an npm script (`npm_lifecycle_event`)
 * the same through npm, whose arguments after `--` reach the script's last command. A free port near the
 * taken one is suggested when one is found at once.
 */
async function anotherAddress(address: string): Promise<string> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const taken = Number(address.slice(colon + 1));
  let port = '<port>';
  for (let candidate = taken + 1; candidate <= Math.min(taken + 10, 65535); candidate++) {
    try {
      await checkAddressFree(parseListen(`${host}:${candidate}`), `${host}:${candidate}`);
      port = String(candidate);
      break;
    } catch {
      // Taken as well (or not bindable): try the next one.
    }
  }
  const flag = `--listen ${host}:${port}`;
  const script = process.env['npm_lifecycle_event'];
  const npm = !script ? '' : ` (npm ${script === 'start' ? 'start' : `run ${script}`} -- ${flag})`;
  return `choose another with ${flag}${npm}`;
}

function routeLines(runtime: SpinRuntime, base: string): string[] {
  const lines = runtime.routes.map((r) => `  ${r.component}: ${base}${r.prefix}${r.wildcard ? ' (wildcard)' : ''}`);
  const privateIds = runtime.manifest.triggers.filter((t) => typeof t.route !== 'string').map((t) => t.component);
  for (const id of privateIds) lines.push(`  ${id}: (private: only via http://${id}.spin.internal)`);
  return lines;
}

async function main(argv: string[]): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(argv);
  } catch (error) {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}\nRun with --help for usage.`);
    return 2;
  }
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  const log = (line: string): void => console.log(line);
  // A first start transpiles each component (seconds apiece): say so on the line, then how long it took.
  let midLine = false;
  const transpileProgress = {
    start: (file: string) => {
      process.stdout.write(`transpiling ${file} (first start only; cached afterwards)... `);
      midLine = true;
    },
    done: (_file: string, ms: number) => {
      process.stdout.write(`${(ms / 1000).toFixed(1)} s\n`);
      midLine = false;
    },
  };
  let runtime: SpinRuntime;
  try {
    // --quiet drops the per-request lines (and, through `follow: []`, the guests' output), not the start-up
    // notes (the warm-up's summary, transpiles).
    runtime = await create({
      ...cli.create,
      // One line per request a client sent; a chained call only when it went wrong (--log-format json has all).
      chainedLines: 'failed',
      log: cli.quiet ? () => {} : log,
      notes: log,
      ...(cli.logFormat === 'text' ? { transpileProgress } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (midLine) process.stdout.write('failed\n');
    if (error instanceof AddressInUseError) {
      console.error(`Error: ${message}; ${await anotherAddress(error.address)}`);
      return 1;
    }
    console.error(`Error: ${message}`);
    if (error instanceof UsageError) return 2;
    if (!(error instanceof ConfigError) && error instanceof Error && error.stack) console.error(error.stack);
    return 1;
  }
  const base = runtime.url ?? '';
  console.log(`\nServing ${base}\nAvailable Routes:\n${routeLines(runtime, base).join('\n')}\n`);
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      console.log(`\n${signal}: finishing in-flight requests...`);
      runtime.dispose().then(
        () => resolve(0),
        (error: unknown) => {
          console.error(`Error while shutting down: ${error instanceof Error ? error.message : String(error)}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

process.exitCode = await main(process.argv.slice(2));
