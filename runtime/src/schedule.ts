/**
 * The worker pool's scheduling decisions, apart from its workers and timers so that they can be tested on
 * plain data: which queued task goes to which idle worker, and how many workers to start. worker-pool.ts
 * takes a snapshot, calls `plan` and carries the plan out. Why the rules are what they are is in the file
 * comment of worker-pool.ts and in runtime/README.md ("Chaining without deadlock").
 */

/** One worker as the scheduler sees it. */
export interface SlotState {
  /** False while the worker is still loading the components: it counts as starting and takes no task. */
  readonly ready: boolean;
  /** The kind of task it runs, if any: running new requests count against the admission limit. */
  readonly running: 'nested' | 'fresh' | undefined;
  /** Its guest waits for an outbound reply, so it computes nothing and does not count as runnable. */
  readonly blocked: boolean;
  /** Components it holds a ready instance of: a task for one of those starts sooner there. */
  readonly prepared: ReadonlySet<string>;
}

export interface PlanInput {
  /** Every worker, in the order idle workers are preferred (the pool's: oldest first). */
  readonly slots: readonly SlotState[];
  /** Components of the queued chained calls (depth > 0), in arrival order. */
  readonly nested: readonly string[];
  /** Components of the queued new requests, in arrival order. */
  readonly fresh: readonly string[];
  /** Workers kept even when idle. */
  readonly min: number;
  /** Hard cap on workers, blocked ones included. */
  readonly max: number;
  /** Workers allowed to compute at once (the cores). */
  readonly runnable: number;
}

/** Run the `task`-th entry of `queue` (an index into the snapshot) on worker `slot`. */
export interface Assignment {
  readonly queue: 'nested' | 'fresh';
  readonly task: number;
  readonly slot: number;
}

export interface Plan {
  /**
   * In order. Each takes the head of its queue: the indices of one queue run 0, 1, 2..., so carrying them
   * out in order by taking each queue's first task is the same thing.
   */
  readonly assignments: readonly Assignment[];
  /** Workers to start now (never past `max`). */
  readonly spawn: number;
}

/**
 * Decides one scheduling round. Queued chained calls go first: blocked callers wait for them. New requests
 * are admitted only while fewer than twice `runnable` of them run, so that blocked callers do not make the
 * pool grow a worker per waiting request. The round stops at the first task no idle worker is left for.
 */
export function plan(input: PlanInput): Plan {
  const { slots, nested, fresh } = input;
  const idle = slots.map((slot) => slot.ready && slot.running === undefined);
  let freshRunning = slots.filter((slot) => slot.running === 'fresh').length;
  let nextNested = 0;
  let nextFresh = 0;
  const assignments: Assignment[] = [];
  for (;;) {
    let queue: Assignment['queue'];
    let component: string | undefined;
    if (nextNested < nested.length) {
      queue = 'nested';
      component = nested[nextNested];
    } else if (nextFresh < fresh.length && freshRunning < input.runnable * 2) {
      // New requests beyond twice the cores only queue up behind blocked callers: admitting them would make
      // the pool grow a worker per waiting caller, and the start-up and memory of those cost more than waiting.
      queue = 'fresh';
      component = fresh[nextFresh];
    } else {
      break;
    }
    const slot = idleSlot(slots, idle, component ?? '');
    // Every idle worker is a candidate whatever the component, so none for this task means none for any.
    if (slot < 0) break;
    idle[slot] = false;
    if (queue === 'nested') {
      assignments.push({ queue, task: nextNested, slot });
      nextNested += 1;
    } else {
      assignments.push({ queue, task: nextFresh, slot });
      nextFresh += 1;
      freshRunning += 1;
    }
  }
  return { assignments, spawn: workersToStart(input, nested.length - nextNested) };
}

/** An idle worker that has `component` prepared, else the first idle one; -1 when none is idle. */
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
 * Tops the pool up to `min`, and starts a worker per chained call still queued after the assignments while
 * fewer than `runnable` workers are runnable, counting workers still starting against both. Only queued
 * chained calls justify a new worker: they are what blocked callers wait for; new requests wait for a free
 * worker instead, which keeps the pool (its memory and start-up cost) small.
 */
function workersToStart(input: PlanInput, nestedLeft: number): number {
  let starting = 0;
  let runnable = 0;
  // Counted on the snapshot: the assignments do not change it, as an idle worker and one that has just been
  // given a task (not blocked yet) are both runnable.
  for (const slot of input.slots) {
    if (!slot.ready) starting += 1;
    else if (slot.running === undefined || !slot.blocked) runnable += 1;
  }
  const size = input.slots.length;
  const wanted = Math.max(input.min - size, Math.min(nestedLeft - starting, input.runnable - runnable - starting));
  return Math.max(0, Math.min(wanted, input.max - size));
}
