/**
 * The worker pool's scheduling decisions, apart from its workers and timers so that they can be tested on
 * plain data: which queued task goes to which idle worker, how many workers to start, which chained calls to
 * refuse when the pool is stuck, whether a task may queue at all, and the default worker cap. worker-pool.ts
 * takes a snapshot, calls `plan` and carries the plan out. Why the rules are what they are is in the file
 * comment of worker-pool.ts and in runtime/README.md ("Chaining without deadlock", "Fair scheduling").
 *
 * Vocabulary: a *root* is a top-level request (a client's), identified by a number that grows with arrival;
 * its chained calls, at any depth, belong to the same root. A worker *computes* when it runs a task that is
 * not blocked on an outbound call (a guest sleeping in `wasi:io/poll` on a timer counts as computing: the
 * pool cannot tell the difference).
 */

/** The task a worker runs. */
export interface RunningState {
  readonly root: number;
  /** 0 for a top-level request, > 0 for a chained call. */
  readonly depth: number;
  readonly component: string;
}

/** One worker as the scheduler sees it. */
export interface SlotState {
  /** False while the worker is still loading the components: it counts as starting and takes no task. */
  readonly ready: boolean;
  /** The task it runs, if any. */
  readonly running: RunningState | undefined;
  /** Its guest waits for an outbound reply, so it computes nothing. */
  readonly blocked: boolean;
  /** Components it holds a ready instance of: a task for one of those starts sooner there. */
  readonly prepared: ReadonlySet<string>;
}

/** A queued task. */
export interface QueuedTask {
  readonly component: string;
  readonly root: number;
  readonly depth: number;
}

export interface PlanInput {
  /** Every worker, in the order idle workers are preferred (the pool's: oldest first). */
  readonly slots: readonly SlotState[];
  /** The queued chained calls (depth > 0), in arrival order. */
  readonly nested: readonly QueuedTask[];
  /** The queued new requests (depth 0, each its own root), in arrival order. */
  readonly fresh: readonly QueuedTask[];
  /** Workers kept even when idle. */
  readonly min: number;
  /** Workers for ordinary growth (new requests, chained calls of requests that still compute). */
  readonly max: number;
  /**
   * Hard cap on workers, blocked ones included (>= `max`). Only requests that compute nothing (every worker of
   * theirs waits on a call) may take the pool from `max` up to it: blocked workers cost memory, not CPU, and
   * without a worker such a request can never finish.
   */
  readonly ceiling: number;
  /** Workers allowed to compute at once (the cores). */
  readonly runnable: number;
  /** Chained calls of one root allowed to compute at once (blocked ones do not count). */
  readonly chainLimit: number;
  /**
   * Workers the memory budget allows now (worker-pool.ts derives it from `--memory-budget`, the process's RSS and
   * a worker's cost: memory-budget.ts); undefined: no budget. Ordinary growth stops there, and a new request is
   * admitted only while the workers busy, plus those the running requests may still take (see `widths`), plus
   * its own width, fit in it; else it waits in the queue (or runs alone when nothing runs). Requests that compute
   * nothing still take the pool up to `ceiling`: the budget never deadlocks a chain.
   */
  readonly budget?: number;
  /**
   * Per component, the most workers one of its requests has held at once (its chain's width, learned by
   * `learnWidths`); 1 for a component not in it.
   */
  readonly widths?: ReadonlyMap<string, number>;
}

/** Run the `task`-th entry of `queue` (an index into the snapshot) on worker `slot`. */
export interface Assignment {
  readonly queue: 'nested' | 'fresh';
  readonly task: number;
  readonly slot: number;
}

export interface Plan {
  /** In the order decided; `task` indices are into the snapshot's queues (not necessarily their heads). */
  readonly assignments: readonly Assignment[];
  /** Workers to start now (past `max` only for requests that compute nothing; never past `ceiling`). */
  readonly spawn: number;
  /** Indices into `nested` of chained calls to answer busy (503) at once: the pool is stuck without them. */
  readonly busy: readonly number[];
}

/** New requests admitted at once: twice the cores, but never more than half the workers (the rest serve their chained calls). */
export function freshLimit(input: Pick<PlanInput, 'runnable' | 'max'>): number {
  return Math.max(1, Math.min(input.runnable * 2, Math.floor(input.max / 2)));
}

/**
 * New requests at once when a component has none running (so one component cannot starve another): up to
 * three quarters of the workers.
 */
export function starvedLimit(input: Pick<PlanInput, 'max'>): number {
  return Math.max(1, input.max - Math.ceil(input.max / 4));
}

const count = <K>(map: Map<K, number>, key: K): number => map.get(key) ?? 0;
const bump = <K>(map: Map<K, number>, key: K, by = 1): void => {
  map.set(key, count(map, key) + by);
};

/**
 * Decides one scheduling round. Each free worker goes to the first of, in this order:
 *
 * 1. a chained call of a root that computes nothing (every worker of that request waits): without it that
 *    request cannot progress at all, which is what keeps chains free of deadlock. Oldest root first; within
 *    a root the deepest call first (it is what the others wait for), then in arrival order;
 * 2. a new request, while fewer than `freshLimit` run, or at any count below `starvedLimit` when its
 *    component has none running. The component with the fewest running first, then arrival order;
 * 3. a chained call of a root that computes fewer than `chainLimit` chained calls: the root computing the
 *    fewest first (round-robin between requests), then the oldest; deepest first within the root.
 *
 * So a burst of chained calls from one request can hold at most `chainLimit` computing workers beyond one
 * per waiting level, and new requests and other requests' calls get their turn in between.
 */
export function plan(input: PlanInput): Plan {
  const { slots, nested, fresh } = input;
  const idle = slots.map((slot) => slot.ready && slot.running === undefined);
  let idleCount = idle.filter(Boolean).length;
  /** Per root: its tasks that compute, and of those its chained calls. */
  const computing = new Map<number, number>();
  const chainComputing = new Map<number, number>();
  /** Per component: its new requests running (blocked or not). */
  const freshBy = new Map<string, number>();
  let freshRunning = 0;
  for (const slot of slots) {
    const task = slot.running;
    if (!task) continue;
    if (task.depth === 0) {
      freshRunning += 1;
      bump(freshBy, task.component);
    }
    if (!slot.blocked) {
      bump(computing, task.root);
      if (task.depth > 0) bump(chainComputing, task.root);
    }
  }
  const admit = freshLimit(input);
  const starved = starvedLimit(input);
  // The memory budget: workers busy, and per running request the workers its chain may still take.
  const widthOf = (component: string): number => Math.max(1, input.widths?.get(component) ?? 1);
  const held = new Map<number, number>();
  const rootWidth = new Map<number, number>();
  let busyWorkers = 0;
  for (const slot of slots) {
    const task = slot.running;
    if (!task) continue;
    busyWorkers += 1;
    bump(held, task.root);
    if (task.depth === 0) rootWidth.set(task.root, widthOf(task.component));
  }
  let reserved = 0;
  for (const [root, width] of rootWidth) reserved += Math.max(0, width - count(held, root));
  const fitsBudget = (component: string): boolean =>
    input.budget === undefined || busyWorkers === 0 || busyWorkers + reserved + widthOf(component) <= input.budget;
  const nestedTaken = nested.map(() => false);
  const freshTaken = fresh.map(() => false);
  const assignments: Assignment[] = [];

  const better = (a: QueuedTask, b: QueuedTask | undefined): boolean =>
    !b || a.root < b.root || (a.root === b.root && a.depth > b.depth);
  const pickNested = (urgent: boolean): number => {
    let best = -1;
    let bestLoad = Infinity;
    for (let index = 0; index < nested.length; index += 1) {
      const task = nested[index];
      if (!task || nestedTaken[index]) continue;
      const load = count(computing, task.root);
      if (urgent ? load !== 0 : count(chainComputing, task.root) >= input.chainLimit) continue;
      if (load < bestLoad || (load === bestLoad && better(task, nested[best]))) {
        best = index;
        bestLoad = load;
      }
    }
    return best;
  };
  const pickFresh = (): number => {
    let best = -1;
    let bestLoad = Infinity;
    for (let index = 0; index < fresh.length; index += 1) {
      const task = fresh[index];
      if (!task || freshTaken[index]) continue;
      const load = count(freshBy, task.component);
      if (!(freshRunning < admit || (load === 0 && freshRunning < starved))) continue;
      if (load < bestLoad) {
        best = index;
        bestLoad = load;
      }
    }
    // Over the budget the first in line waits, and nothing overtakes it (a wide request would starve).
    const chosen = fresh[best];
    return chosen && !fitsBudget(chosen.component) ? -1 : best;
  };

  while (idleCount > 0) {
    let queue: Assignment['queue'] = 'nested';
    let index = pickNested(true);
    if (index < 0) {
      queue = 'fresh';
      index = pickFresh();
    }
    if (index < 0) {
      queue = 'nested';
      index = pickNested(false);
    }
    const task = index < 0 ? undefined : queue === 'nested' ? nested[index] : fresh[index];
    if (!task) break;
    const slot = idleSlot(slots, idle, task.component);
    idle[slot] = false;
    idleCount -= 1;
    assignments.push({ queue, task: index, slot });
    bump(computing, task.root);
    busyWorkers += 1;
    const width = rootWidth.get(task.root);
    if (queue === 'fresh') {
      rootWidth.set(task.root, widthOf(task.component));
      reserved += widthOf(task.component) - 1;
    } else if (width !== undefined && count(held, task.root) < width) {
      reserved -= 1;
    }
    bump(held, task.root);
    if (queue === 'nested') {
      nestedTaken[index] = true;
      bump(chainComputing, task.root);
    } else {
      freshTaken[index] = true;
      freshRunning += 1;
      bump(freshBy, task.component);
    }
  }

  // What is left: roots that compute nothing and wait for a worker; components starved of one; and chained
  // calls that may compute under their root's limit.
  const urgentRoots = new Set<number>();
  const allowed = new Map<number, number>();
  nested.forEach((task, index) => {
    if (nestedTaken[index]) return;
    if (count(computing, task.root) === 0) urgentRoots.add(task.root);
    else if (count(chainComputing, task.root) + count(allowed, task.root) < input.chainLimit) bump(allowed, task.root);
  });
  const starvedComponents = new Set<string>();
  fresh.forEach((task, index) => {
    if (
      !freshTaken[index] &&
      count(freshBy, task.component) === 0 &&
      freshRunning < starved &&
      fitsBudget(task.component)
    )
      starvedComponents.add(task.component);
  });
  let eligible = 0;
  for (const value of allowed.values()) eligible += value;
  const spawn = workersToStart(input, urgentRoots.size, starvedComponents.size, eligible);

  let busy: number[] = [];
  if (
    spawn === 0 &&
    assignments.length === 0 &&
    slots.length >= input.ceiling &&
    slots.every((s) => s.ready && s.running !== undefined && s.blocked)
  ) {
    // Stuck: every worker waits for a call, and no worker may be added. Refuse the queued calls of the
    // youngest request, so that its callers get answers (503) and free their workers, rather than all of
    // them waiting for the time limit.
    let youngest = -1;
    for (const task of nested) youngest = Math.max(youngest, task.root);
    busy = nested.flatMap((task, index) => (task.root === youngest ? [index] : []));
  }
  return { assignments, spawn, busy };
}

/** An idle worker that has `component` prepared, else the first idle one (the caller knows one is idle). */
function idleSlot(slots: readonly SlotState[], idle: readonly boolean[], component: string): number {
  let fallback = -1;
  for (let index = 0; index < slots.length; index += 1) {
    if (!idle[index]) continue;
    if (slots[index]?.prepared.has(component)) return index;
    if (fallback < 0) fallback = index;
  }
  return fallback;
}

/**
 * Tops the pool up to `min`; starts a worker for each request that cannot progress without one (a root
 * that computes nothing, a component with no request running), whatever computes elsewhere; and one per
 * other chained call allowed to compute while fewer than `runnable` workers compute. Workers still starting
 * count against all of these. New requests beyond those wait for a free worker instead, which keeps the
 * pool (its memory and start-up cost) small. Up to `max`, or `ceiling` while some root computes nothing.
 */
function workersToStart(input: PlanInput, urgent: number, starved: number, eligible: number): number {
  const needed = urgent + starved;
  let starting = 0;
  let runnable = 0;
  // Counted on the snapshot: an idle worker and one that has just been given a task are both runnable.
  for (const slot of input.slots) {
    if (!slot.ready) starting += 1;
    else if (slot.running === undefined || !slot.blocked) runnable += 1;
  }
  const size = input.slots.length;
  const extra = Math.max(0, Math.min(eligible, input.runnable - runnable));
  const wanted = Math.max(input.min - size, needed + extra - starting);
  if (input.budget === undefined) return Math.max(0, Math.min(wanted, (urgent > 0 ? input.ceiling : input.max) - size));
  // Within the budget: everything up to it (and `max`); past it only the workers of requests that compute nothing.
  const ordinary = Math.max(input.min, Math.min(input.max, input.budget));
  return Math.max(0, Math.min(wanted, ordinary - size), Math.min(urgent - starting, input.ceiling - size));
}

/**
 * Learns each component's chain width from a snapshot: for every request running, the workers its tasks hold
 * (its own, blocked, and its chained calls at any depth), recorded under the request's component when that is
 * more than what `widths` holds. Widths only grow: a request that once fanned out wide is planned for as wide.
 */
export function learnWidths(slots: readonly SlotState[], widths: Map<string, number>): void {
  const held = new Map<number, number>();
  const component = new Map<number, string>();
  for (const slot of slots) {
    const task = slot.running;
    if (!task) continue;
    bump(held, task.root);
    if (task.depth === 0) component.set(task.root, task.component);
  }
  for (const [root, name] of component) {
    const width = count(held, root);
    if (width > (widths.get(name) ?? 1)) widths.set(name, width);
  }
}

export interface QueueState {
  /** 0 for a new request, > 0 for a chained call. */
  readonly depth: number;
  /** New requests queued now, all components. */
  readonly fresh: number;
  /** New requests of the same component queued now. */
  readonly freshOfComponent: number;
  /** Chained calls of the same root queued now. */
  readonly nestedOfRoot: number;
}

/**
 * Whether a task may join the queue, or is answered busy (503) at once. New requests: at most `maxQueued`,
 * of which one component may hold three quarters (the rest stays for the others). Chained calls: at most
 * twice `maxQueued` per root (a 100-way fan-out fits the default).
 */
export function mayQueue(state: QueueState, maxQueued: number): boolean {
  if (state.depth > 0) return state.nestedOfRoot < maxQueued * 2;
  return state.fresh < maxQueued && state.freshOfComponent < Math.max(1, maxQueued - Math.floor(maxQueued / 4));
}

export const DEFAULT_MAX_QUEUED = 1024;
const MIB = 1024 * 1024;
/** What a worker holds besides its guest's growth: its isolate, the glue, ~4 stock instances and spare memories. */
const WORKER_BYTES = 64 * MIB;

/**
 * The default hard cap on workers: 8 per core, between 4 (enough for nested chains a -> b -> a -> c) and 32,
 * and no more than half the machine's memory allows at `WORKER_BYTES` per worker plus `maxInstanceMemory`
 * when set. Ordinary growth stops at half of it (`ordinaryWorkers`).
 */
export function defaultMaxWorkers(input: { cores: number; totalMemory: number; maxInstanceMemory?: number }): number {
  const byCores = Math.min(32, 8 * Math.max(1, input.cores));
  const byMemory = Math.floor(input.totalMemory / 2 / (WORKER_BYTES + (input.maxInstanceMemory ?? 0)));
  return Math.max(4, Math.min(byCores, byMemory));
}

/** The workers for ordinary growth under a hard cap of `ceiling`: half of it, at least `min`. */
export function ordinaryWorkers(ceiling: number, min: number): number {
  return Math.max(min, Math.floor(ceiling / 2));
}
