#!/usr/bin/env node
/**
 * `spin-local [flags]` (`npm run up -- [flags]` in this repository): serves the app like `spin up` (see USAGE in cli-args.ts). Prints the address
 * and routes, one line per request, and on SIGINT/SIGTERM stops accepting, lets in-flight requests
 * finish, and exits 0.
 */
import { parseCli, USAGE } from './cli-args.js';
import { ConfigError, UsageError } from './errors.js';
import { create, type SpinRuntime } from './index.js';

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
  let runtime: SpinRuntime;
  try {
    // --quiet drops the per-request lines, not the start-up notes (compile times, the warm-up's summary).
    runtime = await create({ ...cli.create, log: cli.quiet ? () => {} : log, notes: log });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
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
