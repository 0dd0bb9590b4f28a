/**
 * The worker pool's memory budget (`--memory-budget`, `PoolOptions.memoryBudget`): how many workers the process
 * may have, from the budget, what a worker costs, and the process's resident memory (RSS) as measured. The
 * decisions that follow (ordinary growth stops at that many workers, new requests wait in the queue when their
 * chains would not fit) are schedule.ts's `plan`; worker-pool.ts feeds it `budgetWorkers`. Also when an idle
 * worker is stopped (`idleToStop`), which is what gives the memory back once the load is over.
 */

const MIB = 1024 * 1024;

/**
 * What one more worker adds to the process's RSS under load, measured on this app (bench/results/memory-load.md):
 * its isolate and the five components' glue, a memory image per component it has run (4-20 MB each, copied once
 * per worker), and the linear memories of its stock of prepared instances and spare ones (~9.5 MB each, fully
 * resident once reset).
 */
export const WORKER_COST_BYTES = 96 * MIB;

/** Workers the budget allows at the least: enough for a chain a -> b -> a -> c to run without going past it. */
export const BUDGET_FLOOR_WORKERS = 4;

/**
 * The default budget: 384 MiB per core, between 768 MiB and 4 GiB, and at most a quarter of the machine's memory
 * (but not below the floor). On 2 cores that is 768 MiB: the main thread (~250-350 MB with the compiled modules)
 * plus about five workers, which keep both cores busy on this app; more would only hold memory while they wait.
 */
export function defaultMemoryBudget(input: { cores: number; totalMemory: number }): number {
  const byCores = Math.min(4096 * MIB, Math.max(768 * MIB, 384 * MIB * Math.max(1, input.cores)));
  return Math.max(512 * MIB, Math.min(byCores, Math.floor(input.totalMemory / 4)));
}

export interface BudgetState {
  /** The budget, bytes of RSS for the whole process. */
  readonly budget: number;
  /** The process's RSS now, bytes. */
  readonly rss: number;
  /** RSS of the process before it had any worker (the main thread, the compiled modules), bytes. */
  readonly base: number;
  /** Workers now, starting ones included. */
  readonly workers: number;
  /** Of those, workers still starting: they have not grown to their cost yet. */
  readonly starting: number;
  /** What a worker costs, bytes (default {@link WORKER_COST_BYTES}). */
  readonly workerCost?: number;
  /** Never fewer than this (default {@link BUDGET_FLOOR_WORKERS}). */
  readonly floor?: number;
}

/**
 * The workers the budget allows: the fewer of what fits beside the main thread at a worker's cost
 * (`(budget - base) / cost`), and the workers now plus what fits in the room RSS leaves (starting workers
 * counted at their cost), so memory that is not the workers' (bodies, what the allocator keeps) counts too.
 * Never below `floor`.
 */
export function budgetWorkers(state: BudgetState): number {
  const cost = state.workerCost ?? WORKER_COST_BYTES;
  const floor = state.floor ?? BUDGET_FLOOR_WORKERS;
  const byEstimate = Math.floor((state.budget - state.base) / cost);
  const room = state.budget - state.rss - state.starting * cost;
  const byMeasure = state.workers + Math.floor(room / cost);
  return Math.max(floor, Math.min(byEstimate, byMeasure));
}

/** An idle worker above the minimum stops after this long without a task. */
export const IDLE_STOP_MS = 5_000;
/**
 * A worker of the minimum that has run tasks is replaced by a fresh one after this long without a task: under load
 * a worker gathers spare memories and prepared instances of every component it ran (~9.5 MB each, all resident),
 * which a fresh worker does not hold until it needs them.
 */
export const IDLE_RENEW_MS = 10_000;

/**
 * The idle workers to stop now, by index, only when nothing is queued (a queued task is about to need them): those
 * idle for `idleMs` or more, the longest idle first, while more than `min` remain; then, once the pool is down to
 * `min`, one that has run a task (`used`) and has been idle for `renewMs` (the pool starts a fresh one in its place).
 */
export function idleToStop(input: {
  workers: readonly { idleSince: number | undefined; used?: boolean }[];
  min: number;
  queued: number;
  now: number;
  idleMs?: number;
  renewMs?: number;
}): number[] {
  if (input.queued > 0) return [];
  const idleFor = (ms: number) =>
    input.workers
      .map((worker, index) => ({ index, since: worker.idleSince, used: worker.used === true }))
      .filter(
        (worker): worker is { index: number; since: number; used: boolean } =>
          worker.since !== undefined && input.now - worker.since >= ms,
      )
      .sort((a, b) => a.since - b.since);
  const surplus = Math.max(0, input.workers.length - input.min);
  const stop = idleFor(input.idleMs ?? IDLE_STOP_MS)
    .slice(0, surplus)
    .map((worker) => worker.index);
  if (stop.length < surplus) return stop;
  const renew = idleFor(input.renewMs ?? IDLE_RENEW_MS).find((worker) => worker.used && !stop.includes(worker.index));
  return renew && input.workers.length - stop.length <= input.min ? [...stop, renew.index] : stop;
}

/** The process's RSS, read at most every `everyMs` (reading it costs a system call). */
export class RssGauge {
  #value = 0;
  #at = -Infinity;
  readonly #everyMs: number;

  constructor(everyMs = 100) {
    this.#everyMs = everyMs;
  }

  read(now = performance.now()): number {
    if (now - this.#at >= this.#everyMs) {
      this.#value = process.memoryUsage.rss();
      this.#at = now;
    }
    return this.#value;
  }
}
