/**
 * The worker pool's scheduling decisions (runtime/src/schedule.ts) on plain data, without workers: which
 * queued task goes to which idle worker, the admission limit for new requests, and how many workers to start.
 */
import { describe, expect, it } from 'vitest';
import { budgetWorkers, defaultMemoryBudget, idleToStop } from '../src/memory-budget';
import {
  defaultMaxWorkers,
  freshLimit,
  learnWidths,
  mayQueue,
  ordinaryWorkers,
  plan,
  starvedLimit,
  type PlanInput,
  type QueuedTask,
  type SlotState,
} from '../src/schedule';

const idle = (...prepared: string[]): SlotState => ({
  ready: true,
  running: undefined,
  blocked: false,
  prepared: new Set(prepared),
});
const starting = (): SlotState => ({ ready: false, running: undefined, blocked: false, prepared: new Set() });
/**
 * A worker running a task of root `root` (a new request at depth 0, a chained call deeper), of `component`
 * (default 'a'); `blocked`: waiting for an outbound reply.
 */
const busy = (root: number, depth: number, blocked = false, component = 'a', ...prepared: string[]): SlotState => ({
  ready: true,
  running: { root, depth, component },
  blocked,
  prepared: new Set(prepared),
});
/** A new request (its own root, numbered by arrival) and a chained call of `root`. */
const request = (root: number, component = 'a'): QueuedTask => ({ root, depth: 0, component });
const call = (root: number, depth = 1, component = 'b'): QueuedTask => ({ root, depth, component });

function input(overrides: Partial<PlanInput>): PlanInput {
  return {
    slots: [],
    nested: [],
    fresh: [],
    min: 0,
    max: 64,
    runnable: 4,
    chainLimit: 4,
    ...overrides,
    ceiling: overrides.ceiling ?? overrides.max ?? 64,
  };
}

describe('assignments', () => {
  it('runs the chained calls of a request whose workers all wait before new requests', () => {
    // Roots 1 and 2 wait on their calls (blocked); new requests 3 and 4 queue.
    const slots = [busy(1, 0, true), busy(2, 0, true), idle(), idle(), idle()];
    const result = plan(input({ slots, nested: [call(1), call(2)], fresh: [request(3), request(4)] }));
    expect(result.assignments).toEqual([
      { queue: 'nested', task: 0, slot: 2 },
      { queue: 'nested', task: 1, slot: 3 },
      { queue: 'fresh', task: 0, slot: 4 },
    ]);
  });

  it('gives the only idle worker to a chained call of a waiting request even when a new request arrived first', () => {
    const result = plan(input({ slots: [busy(1, 0, true), idle()], nested: [call(1)], fresh: [request(2)] }));
    expect(result.assignments).toEqual([{ queue: 'nested', task: 0, slot: 1 }]);
  });

  it('runs the deepest queued call of a request first: it is what the others wait for', () => {
    const slots = [busy(1, 0, true), busy(1, 1, true), idle()];
    const result = plan(input({ slots, nested: [call(1, 1), call(1, 1), call(1, 2)] }));
    expect(result.assignments).toEqual([{ queue: 'nested', task: 2, slot: 2 }]);
  });

  it('takes turns between requests: a fan-out does not hold every worker while another request waits', () => {
    // Root 1 fans out (100 calls queued) and one of its calls computes; root 2 has just blocked on one call.
    const slots = [busy(1, 0, true), busy(1, 1), busy(2, 0, true), idle(), idle()];
    const fanout = Array.from({ length: 100 }, () => call(1));
    const result = plan(input({ slots, nested: [...fanout, call(2)], chainLimit: 4 }));
    // Root 2 computes nothing: its call first; then root 1 again.
    expect(result.assignments).toEqual([
      { queue: 'nested', task: 100, slot: 3 },
      { queue: 'nested', task: 0, slot: 4 },
    ]);
  });

  it('lets new requests in before the further calls of a request that already computes', () => {
    const slots = [busy(1, 0, true), busy(1, 1), idle(), idle()];
    const result = plan(input({ slots, nested: [call(1), call(1)], fresh: [request(2)] }));
    expect(result.assignments).toEqual([
      { queue: 'fresh', task: 0, slot: 2 },
      { queue: 'nested', task: 0, slot: 3 },
    ]);
  });

  it('caps the chained calls of one request that compute at once at `chainLimit` (waiting ones do not count)', () => {
    const slots = [busy(1, 0, true), busy(1, 1), busy(1, 1), busy(1, 1, true), idle(), idle()];
    const fanout = Array.from({ length: 10 }, () => call(1));
    expect(plan(input({ slots, nested: fanout, chainLimit: 2 })).assignments).toEqual([]);
    expect(plan(input({ slots, nested: fanout, chainLimit: 3 })).assignments).toEqual([
      { queue: 'nested', task: 0, slot: 4 },
    ]);
  });

  it('round-robins chained calls between requests, the one computing fewest first', () => {
    const slots = [busy(1, 0, true), busy(2, 0, true), busy(1, 1), busy(1, 1), busy(2, 1), idle(), idle(), idle()];
    const nested = [call(1), call(1), call(1), call(2), call(2), call(2)];
    const result = plan(input({ slots, nested, chainLimit: 4 }));
    // Root 2 computes 1, root 1 computes 2: root 2, then both at 2 (the older root first), then root 2.
    expect(result.assignments.map((a) => nested[a.task]?.root)).toEqual([2, 1, 2]);
  });

  it('admits new requests only while fewer than `freshLimit` run', () => {
    const slots = [busy(1, 0), busy(2, 0, true), busy(3, 0, true), idle(), idle(), idle()];
    // runnable 2: at most 4 new requests at once, 3 already run.
    const result = plan(input({ slots, fresh: [request(4), request(5), request(6)], runnable: 2 }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 3 }]);
  });

  it('admits no new request of a busy component at the limit, but still runs chained calls', () => {
    const slots = [busy(1, 0), busy(2, 0, true), idle(), idle()];
    const result = plan(input({ slots, nested: [call(2)], fresh: [request(3)], runnable: 1 }));
    expect(result.assignments).toEqual([{ queue: 'nested', task: 0, slot: 2 }]);
  });

  it('admits a new request of a component with none running beyond the limit, so one component cannot starve another', () => {
    // Component a holds the admission limit (runnable 1: 2 at once); a request for b still gets a worker.
    const slots = [busy(1, 0, false, 'a'), busy(2, 0, false, 'a'), idle(), idle()];
    const result = plan(input({ slots, fresh: [request(3, 'a'), request(4, 'b')], runnable: 1, max: 8 }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 1, slot: 2 }]);
  });

  it('prefers the component with the fewest running among new requests', () => {
    const slots = [busy(1, 0, false, 'a'), busy(2, 0, false, 'b'), busy(3, 0, false, 'b'), idle()];
    const result = plan(input({ slots, fresh: [request(4, 'b'), request(5, 'a')] }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 1, slot: 3 }]);
  });

  it('does not count running chained calls against the admission limit', () => {
    const slots = [busy(1, 1), busy(1, 1), idle()];
    const result = plan(input({ slots, fresh: [request(2)], runnable: 1 }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 2 }]);
  });

  it('prefers an idle worker that has the component prepared', () => {
    const result = plan(input({ slots: [idle('a'), idle('c'), idle('b', 'x')], fresh: [request(1, 'b')] }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 2 }]);
  });

  it('takes the first idle ready worker when none has the component prepared', () => {
    const slots = [starting(), busy(1, 0, false, 'a', 'b'), idle('a'), idle()];
    const result = plan(input({ slots, fresh: [request(2, 'b')] }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 2 }]);
  });

  it('does not give a worker two tasks in one round', () => {
    const result = plan(
      input({ slots: [idle(), idle('b')], fresh: [request(1, 'b'), request(2, 'b'), request(3, 'b')] }),
    );
    expect(result.assignments).toEqual([
      { queue: 'fresh', task: 0, slot: 1 },
      { queue: 'fresh', task: 1, slot: 0 },
    ]);
  });

  it('assigns nothing when no worker is idle', () => {
    const slots = [starting(), busy(1, 0), busy(2, 1, true)];
    expect(plan(input({ slots, nested: [call(2, 2)], fresh: [request(3)] })).assignments).toEqual([]);
  });
});

describe('workers to start', () => {
  it('starts one worker per request whose workers all wait, even when `runnable` workers compute', () => {
    // Two slow requests compute (or sleep); roots 3 and 4 wait on calls; runnable 2.
    const slots = [busy(1, 0), busy(2, 0), busy(3, 0, true), busy(4, 0, true)];
    expect(plan(input({ slots, nested: [call(3), call(3), call(4)], runnable: 2 })).spawn).toBe(2);
  });

  it('starts a worker for a new request of a component with none running (never for other new requests)', () => {
    const slots = [busy(1, 0, false, 'a'), busy(2, 0, false, 'a')];
    expect(
      plan(input({ slots, fresh: [request(3, 'a'), request(4, 'b'), request(5, 'b')], runnable: 1, max: 8 })).spawn,
    ).toBe(1);
    expect(plan(input({ slots, fresh: [request(3, 'a')], runnable: 1, max: 8 })).spawn).toBe(0);
  });

  it('starts one per further chained call allowed under `chainLimit` while fewer than `runnable` workers compute', () => {
    const slots = [busy(1, 0, true), busy(1, 1)];
    // Root 1 computes one call; chainLimit 3 allows two more; runnable 4 (one computes): two.
    expect(plan(input({ slots, nested: [call(1), call(1), call(1), call(1)], runnable: 4, chainLimit: 3 })).spawn).toBe(
      2,
    );
    // runnable 2: one more.
    expect(plan(input({ slots, nested: [call(1), call(1), call(1), call(1)], runnable: 2, chainLimit: 3 })).spawn).toBe(
      1,
    );
  });

  it('counts workers still starting against what it would start', () => {
    const slots = [busy(1, 0, true), busy(2, 0, true), starting()];
    expect(plan(input({ slots, nested: [call(1), call(2)], runnable: 4 })).spawn).toBe(1);
  });

  it('never goes beyond `max`', () => {
    const slots = [busy(1, 0, true), busy(2, 0, true), busy(3, 0, true)];
    expect(plan(input({ slots, nested: [call(1), call(2), call(3)], max: 4 })).spawn).toBe(1);
    expect(plan(input({ slots, nested: [call(1)], max: 3 })).spawn).toBe(0);
    expect(plan(input({ slots: [], min: 4, max: 3 })).spawn).toBe(3);
  });

  it('lets requests that compute nothing take the pool past `max`, up to `ceiling`, and nothing else', () => {
    // Three requests, each waiting on a chained call (page -> aggregates -> data is three deep), at max 3.
    const slots = [busy(1, 0, true), busy(2, 0, true), busy(3, 0, true)];
    expect(plan(input({ slots, nested: [call(1), call(2), call(3)], max: 3, ceiling: 5 })).spawn).toBe(2);
    expect(plan(input({ slots, nested: [call(1), call(2), call(3)], max: 3, ceiling: 3 })).spawn).toBe(0);
    // A new request alone never grows the pool past `max`.
    expect(plan(input({ slots, fresh: [request(4, 'b')], runnable: 1, max: 3, ceiling: 5 })).spawn).toBe(0);
  });

  it('tops the pool up to `min`, counting workers still starting', () => {
    expect(plan(input({ slots: [], min: 2 })).spawn).toBe(2);
    expect(plan(input({ slots: [starting()], min: 2 })).spawn).toBe(1);
    expect(plan(input({ slots: [idle(), idle()], min: 2 })).spawn).toBe(0);
  });

  it('starts no worker for queued new requests of a component that has one running', () => {
    const slots = [busy(1, 0, true), busy(2, 0, true)];
    const result = plan(input({ slots, fresh: [request(3), request(4), request(5)], min: 2, runnable: 4 }));
    expect(result).toEqual({ assignments: [], spawn: 0, busy: [] });
  });
});

describe('when the pool is stuck', () => {
  it('refuses the queued calls of the youngest request when every worker waits and none may be added', () => {
    const slots = [busy(1, 0, true), busy(1, 1, true), busy(2, 0, true), busy(2, 1, true)];
    const nested = [call(1, 2), call(2, 2), call(2, 1)];
    expect(plan(input({ slots, nested, max: 4 }))).toEqual({ assignments: [], spawn: 0, busy: [1, 2] });
  });

  it('refuses nothing below `ceiling`: a stuck request gets another worker instead', () => {
    const slots = [busy(1, 0, true), busy(1, 1, true), busy(2, 0, true), busy(2, 1, true)];
    const nested = [call(1, 2), call(2, 2), call(2, 1)];
    expect(plan(input({ slots, nested, max: 4, ceiling: 6 }))).toEqual({ assignments: [], spawn: 2, busy: [] });
  });

  it('refuses nothing while a worker computes, starts, or may still be added', () => {
    const waiting = [busy(1, 0, true), busy(2, 0, true)];
    expect(plan(input({ slots: [...waiting, busy(3, 0)], nested: [call(1)], max: 3 })).busy).toEqual([]);
    expect(plan(input({ slots: [...waiting, starting()], nested: [call(1)], max: 3 })).busy).toEqual([]);
    expect(plan(input({ slots: waiting, nested: [call(1)], max: 3 })).busy).toEqual([]);
  });
});

describe('limits', () => {
  it('admits twice the cores of new requests, at most half the workers', () => {
    expect(freshLimit({ runnable: 2, max: 8 })).toBe(4);
    expect(freshLimit({ runnable: 4, max: 8 })).toBe(4);
    expect(freshLimit({ runnable: 2, max: 1 })).toBe(1);
    expect(starvedLimit({ max: 8 })).toBe(6);
  });

  it('queues new requests up to `maxQueued`, three quarters of it for one component', () => {
    expect(mayQueue({ depth: 0, fresh: 63, freshOfComponent: 10, nestedOfRoot: 0 }, 64)).toBe(true);
    expect(mayQueue({ depth: 0, fresh: 64, freshOfComponent: 10, nestedOfRoot: 0 }, 64)).toBe(false);
    expect(mayQueue({ depth: 0, fresh: 47, freshOfComponent: 47, nestedOfRoot: 0 }, 64)).toBe(true);
    expect(mayQueue({ depth: 0, fresh: 48, freshOfComponent: 48, nestedOfRoot: 0 }, 64)).toBe(false);
    expect(mayQueue({ depth: 0, fresh: 0, freshOfComponent: 0, nestedOfRoot: 0 }, 1)).toBe(true);
  });

  it('queues up to twice `maxQueued` chained calls per request, whatever the new requests', () => {
    expect(mayQueue({ depth: 1, fresh: 64, freshOfComponent: 64, nestedOfRoot: 127 }, 64)).toBe(true);
    expect(mayQueue({ depth: 2, fresh: 0, freshOfComponent: 0, nestedOfRoot: 128 }, 64)).toBe(false);
  });

  it('caps the workers at 8 per core, between 4 and 32, within half the memory; ordinary growth at half of that', () => {
    const GiB = 1024 ** 3;
    expect(defaultMaxWorkers({ cores: 2, totalMemory: 24 * GiB })).toBe(16);
    expect(defaultMaxWorkers({ cores: 32, totalMemory: 64 * GiB })).toBe(32);
    expect(defaultMaxWorkers({ cores: 1, totalMemory: 24 * GiB })).toBe(8);
    expect(ordinaryWorkers(16, 2)).toBe(8);
    expect(ordinaryWorkers(4, 3)).toBe(3);
    // 1 GiB: 512 MiB at 64 MiB a worker.
    expect(defaultMaxWorkers({ cores: 4, totalMemory: GiB })).toBe(8);
    // A 2 GiB instance limit counts per worker; never below 4.
    expect(defaultMaxWorkers({ cores: 4, totalMemory: 24 * GiB, maxInstanceMemory: 2 * GiB })).toBe(5);
    expect(defaultMaxWorkers({ cores: 4, totalMemory: 4 * GiB, maxInstanceMemory: 2 * GiB })).toBe(4);
  });
});

describe('the memory budget', () => {
  const widths = new Map([
    ['page', 4],
    ['dash', 3],
  ]);

  it('admits a new request only while the busy workers, what the running requests may still take and its own width fit', () => {
    // A page request holds one worker and may take three more (width 4): 1 + 3 + 1 fits a budget of 5, not of 4.
    const slots = [busy(1, 0, true, 'page'), idle(), idle()];
    expect(plan(input({ slots, fresh: [request(2, 'list')], budget: 5, widths })).assignments).toEqual([
      { queue: 'fresh', task: 0, slot: 1 },
    ]);
    expect(plan(input({ slots, fresh: [request(2, 'list')], budget: 4, widths })).assignments).toEqual([]);
    // A chained call the page request has already taken no longer counts as still to take.
    const deeper = [busy(1, 0, true, 'page'), busy(1, 1, true, 'agg'), busy(1, 2, false, 'data'), idle()];
    expect(plan(input({ slots: deeper, fresh: [request(2, 'list')], budget: 5, widths })).assignments).toEqual([
      { queue: 'fresh', task: 0, slot: 3 },
    ]);
  });

  it('counts the requests admitted in the same round', () => {
    const slots = [idle(), idle(), idle(), idle()];
    const fresh = [request(1, 'dash'), request(2, 'dash'), request(3, 'list')];
    // The first dash (3) and the list (1) fill a budget of 4; the second dash waits.
    expect(plan(input({ slots, fresh, budget: 4, widths })).assignments.map((a) => fresh[a.task]?.root)).toEqual([
      1, 3,
    ]);
    expect(plan(input({ slots, fresh, budget: 7, widths })).assignments.map((a) => fresh[a.task]?.root)).toEqual([
      1, 3, 2,
    ]);
  });

  it('runs a new request when nothing runs, however wide, so the queue always moves', () => {
    expect(plan(input({ slots: [idle()], fresh: [request(1, 'page')], budget: 2, widths })).assignments).toEqual([
      { queue: 'fresh', task: 0, slot: 0 },
    ]);
  });

  it('lets no narrower request overtake the first in line at the budget', () => {
    const slots = [busy(1, 0, true, 'page'), idle(), idle()];
    // list would fit (1 + 3 + 1 <= 5), dash would not (1 + 3 + 3): dash is first in line, so both wait.
    const fresh = [request(2, 'dash'), request(3, 'list')];
    expect(plan(input({ slots, fresh, budget: 5, widths })).assignments).toEqual([]);
  });

  it('still gives the chained calls of a request that computes nothing a worker at and past the budget', () => {
    const slots = [busy(1, 0, true, 'page'), busy(2, 0, true, 'page'), idle()];
    const result = plan(input({ slots, nested: [call(1)], fresh: [request(3, 'list')], budget: 2, widths }));
    expect(result.assignments).toEqual([{ queue: 'nested', task: 0, slot: 2 }]);
  });

  it('starts no worker past the budget for new requests or further chained calls, only for requests that compute nothing (up to `ceiling`)', () => {
    const computing = [busy(1, 0, false, 'a'), busy(2, 0, false, 'a')];
    // Without a budget a request of a component with none running gets a worker; at a budget of 2 it waits.
    expect(plan(input({ slots: computing, fresh: [request(3, 'b')], runnable: 1, max: 8 })).spawn).toBe(1);
    expect(plan(input({ slots: computing, fresh: [request(3, 'b')], runnable: 1, max: 8, budget: 2 })).spawn).toBe(0);
    // Further chained calls of a request that computes: none past the budget.
    const fanning = [busy(1, 0, true), busy(1, 1)];
    expect(
      plan(input({ slots: fanning, nested: [call(1), call(1)], runnable: 4, chainLimit: 3, budget: 3 })).spawn,
    ).toBe(1);
    expect(
      plan(input({ slots: fanning, nested: [call(1), call(1)], runnable: 4, chainLimit: 3, budget: 2 })).spawn,
    ).toBe(0);
    // Three requests that compute nothing: a worker each, past a budget of 3, up to the ceiling.
    const waiting = [busy(1, 0, true), busy(2, 0, true), busy(3, 0, true)];
    expect(
      plan(input({ slots: waiting, nested: [call(1), call(2), call(3)], max: 8, ceiling: 8, budget: 3 })).spawn,
    ).toBe(3);
    expect(
      plan(input({ slots: waiting, nested: [call(1), call(2), call(3)], max: 8, ceiling: 5, budget: 3 })).spawn,
    ).toBe(2);
  });

  it('keeps `min` workers whatever the budget', () => {
    expect(plan(input({ slots: [], min: 2, budget: 1 })).spawn).toBe(2);
  });

  it("learns a component's width as the most workers one of its requests held at once, and never lowers it", () => {
    const learned = new Map<string, number>();
    learnWidths(
      [
        busy(1, 0, true, 'page'),
        busy(1, 1, true, 'agg'),
        busy(1, 2, false, 'data'),
        busy(1, 2, false, 'data'),
        busy(2, 0, false, 'list'),
        idle(),
      ],
      learned,
    );
    expect(Object.fromEntries(learned)).toEqual({ page: 4 });
    learnWidths([busy(3, 0, true, 'page'), busy(3, 1, false, 'agg')], learned);
    expect(learned.get('page')).toBe(4);
    // A chained call whose request is not running here (its own root) teaches nothing.
    learnWidths([busy(4, 1, false, 'x'), busy(4, 1, false, 'x')], learned);
    expect(learned.has('x')).toBe(false);
  });

  it("turns bytes into workers: within the budget at a worker's cost, by the estimate and by the RSS measured, never below the floor", () => {
    const MiB = 1024 * 1024;
    // (1024 - 256) / 96 = 8 by the estimate; RSS leaves room for 3 more than the 2 there are.
    expect(budgetWorkers({ budget: 1024 * MiB, base: 256 * MiB, rss: 700 * MiB, workers: 2, starting: 0 })).toBe(5);
    // Starting workers count at their cost before they show in RSS.
    expect(budgetWorkers({ budget: 1024 * MiB, base: 256 * MiB, rss: 700 * MiB, workers: 3, starting: 1 })).toBe(5);
    expect(budgetWorkers({ budget: 1024 * MiB, base: 256 * MiB, rss: 300 * MiB, workers: 2, starting: 0 })).toBe(8);
    expect(budgetWorkers({ budget: 1024 * MiB, base: 256 * MiB, rss: 2000 * MiB, workers: 6, starting: 0 })).toBe(4);
    expect(
      budgetWorkers({ budget: 1024 * MiB, base: 256 * MiB, rss: 2000 * MiB, workers: 6, starting: 0, floor: 2 }),
    ).toBe(2);
  });

  it('defaults to 384 MiB per core, from 768 MiB to 4 GiB, within a quarter of the memory', () => {
    const MiB = 1024 * 1024;
    expect(defaultMemoryBudget({ cores: 2, totalMemory: 24 * 1024 * MiB })).toBe(768 * MiB);
    expect(defaultMemoryBudget({ cores: 4, totalMemory: 24 * 1024 * MiB })).toBe(1536 * MiB);
    expect(defaultMemoryBudget({ cores: 64, totalMemory: 256 * 1024 * MiB })).toBe(4096 * MiB);
    expect(defaultMemoryBudget({ cores: 2, totalMemory: 2048 * MiB })).toBe(512 * MiB);
  });

  it('stops idle workers above `min` after a while, the longest idle first, and none while tasks are queued', () => {
    const workers = [{ idleSince: 1_000 }, { idleSince: undefined }, { idleSince: 9_000 }, { idleSince: 500 }];
    expect(idleToStop({ workers, min: 2, queued: 0, now: 10_000, idleMs: 5_000 })).toEqual([3, 0]);
    expect(idleToStop({ workers, min: 3, queued: 0, now: 10_000, idleMs: 5_000 })).toEqual([3]);
    expect(idleToStop({ workers, min: 2, queued: 1, now: 10_000, idleMs: 5_000 })).toEqual([]);
  });

  it('renews one worker of the minimum that has run tasks once it has been idle a while longer, never one that has not', () => {
    const workers = [
      { idleSince: 0, used: false },
      { idleSince: 1_000, used: true },
    ];
    expect(idleToStop({ workers, min: 2, queued: 0, now: 20_000, idleMs: 5_000, renewMs: 10_000 })).toEqual([1]);
    expect(idleToStop({ workers, min: 2, queued: 0, now: 9_000, idleMs: 5_000, renewMs: 10_000 })).toEqual([]);
    // Above the minimum the surplus goes first; the renewal waits until the pool is down to it.
    const more = [...workers, { idleSince: 2_000, used: true }];
    expect(idleToStop({ workers: more, min: 2, queued: 0, now: 20_000, idleMs: 5_000, renewMs: 10_000 })).toEqual([
      0, 1,
    ]);
  });
});
