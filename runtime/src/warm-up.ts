/**
 * Warm-up before serving (`--warm-up <path>`, local runtime only): GET requests the user names, sent through
 * the dispatcher as a client's would be, before the listener opens, their answers dropped.
 *
 * Why: the first requests after a start are several times slower than the next ones, for reasons that have
 * nothing to do with the app: V8 compiles each Wasm function the first time it runs (lazily; five 13 MB
 * components do not share compiled code), optimises the hot ones in the background, and each worker compiles
 * the host's and the glue's JavaScript on first use. Eager compilation of every function costs more start-up
 * time than it saves (runtime README, "First requests"). Running the requests users will make first moves that
 * cost into start-up, where it is visible and paid once.
 *
 * The requests are real: they run the guests, with whatever effects a GET has in the app (the dashboard fills
 * its cache). Each carries `x-request-id: warm-up-<n>`, so its log lines say what it was. An answer that is
 * not a success is reported and does not stop the start: warming is an optimisation. So is its length: once it
 * has taken {@link WARM_UP_BUDGET_MS} in all (a slow path on a large database), the remaining rounds are skipped.
 */
import type { WireRequest, WireResponse } from './protocol.js';

export interface WarmUpOptions {
  /** Paths (with any query) to GET, each `rounds` times in turn. */
  paths: string[];
  /** How many times each path is asked for (default 3: the first run compiles, the next ones let V8 optimise). */
  rounds?: number;
}

export const DEFAULT_WARM_UP_ROUNDS = 3;
/** After this long in all, the warm-up stops (and says so): it must not hold a start for minutes. */
export const WARM_UP_BUDGET_MS = 10_000;

/** Throws for a path that is not an origin-form request target (`/...`). */
export function checkWarmUpPath(path: string): void {
  if (!path.startsWith('/') || path.startsWith('//') || /[\s#]/.test(path))
    throw new Error(
      `expected a path such as /items/count (no host, no spaces, no fragment); got ${JSON.stringify(path)}`,
    );
}

/** Sends the warm-up requests through `dispatch`, one at a time; returns a line for the log. */
export async function warmUp(
  options: WarmUpOptions,
  dispatch: (request: WireRequest) => Promise<WireResponse>,
): Promise<string> {
  const rounds = options.rounds ?? DEFAULT_WARM_UP_ROUNDS;
  const started = performance.now();
  const notes: string[] = [];
  let n = 0;
  let stopped = false;
  for (const path of options.paths) {
    const times: string[] = [];
    const statuses = new Set<number>();
    for (let round = 0; round < rounds && !stopped; round++) {
      const t0 = performance.now();
      const response = await dispatch({
        method: 'GET',
        url: `http://localhost${path}`,
        authority: 'localhost',
        pathWithQuery: path,
        headers: [['x-request-id', `warm-up-${++n}`]],
        body: null,
      });
      times.push((performance.now() - t0).toFixed(0));
      statuses.add(response.status);
      stopped = performance.now() - started > WARM_UP_BUDGET_MS;
    }
    if (times.length === 0) continue;
    const failed = [...statuses].filter((status) => status >= 400);
    notes.push(
      `GET ${path} ${times.join('/')}ms${failed.length > 0 ? ` (answered ${failed.join(', ')}: check the path)` : ''}`,
    );
  }
  const end = stopped ? `; stopped after ${WARM_UP_BUDGET_MS / 1000} s, the rest skipped` : '';
  return `warm-up: ${notes.join('; ')}; ${(performance.now() - started).toFixed(0)}ms in all${end}`;
}
