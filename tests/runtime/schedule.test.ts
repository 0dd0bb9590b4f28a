/**
 * The worker pool's scheduling decisions (runtime/src/schedule.ts) on plain data, without workers: which
 * queued task goes to which idle worker, the admission limit for new requests, and how many workers to start.
 */
import { describe, expect, it } from 'vitest';
import { plan, type PlanInput, type SlotState } from '../../runtime/src/schedule';

const idle = (...prepared: string[]): SlotState => ({ ready: true, running: undefined, blocked: false, prepared: new Set(prepared) });
const starting = (): SlotState => ({ ready: false, running: undefined, blocked: false, prepared: new Set() });
/** A worker computing a task of that kind (`blocked`: waiting for an outbound reply). */
const busy = (running: 'nested' | 'fresh', blocked = false, ...prepared: string[]): SlotState => ({ ready: true, running, blocked, prepared: new Set(prepared) });

function input(overrides: Partial<PlanInput>): PlanInput {
  return { slots: [], nested: [], fresh: [], min: 0, max: 64, runnable: 4, ...overrides };
}

describe('assignments', () => {
  it('runs queued chained calls before new requests, each queue in arrival order', () => {
    const result = plan(input({ slots: [idle(), idle(), idle()], nested: ['b', 'c'], fresh: ['a', 'd'] }));
    expect(result.assignments).toEqual([
      { queue: 'nested', task: 0, slot: 0 },
      { queue: 'nested', task: 1, slot: 1 },
      { queue: 'fresh', task: 0, slot: 2 },
    ]);
  });

  it('gives the only idle worker to a chained call even when a new request arrived first', () => {
    const result = plan(input({ slots: [busy('fresh', true), idle()], nested: ['b'], fresh: ['a'] }));
    expect(result.assignments).toEqual([{ queue: 'nested', task: 0, slot: 1 }]);
  });

  it('admits new requests only while fewer than twice `runnable` of them run', () => {
    const slots = [busy('fresh'), busy('fresh', true), busy('fresh', true), idle(), idle(), idle()];
    // runnable 2: at most 4 new requests at once, 3 already run.
    const result = plan(input({ slots, fresh: ['a', 'a', 'a'], runnable: 2 }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 3 }]);
  });

  it('admits no new request at the limit, but still runs chained calls', () => {
    const slots = [busy('fresh'), busy('fresh'), idle(), idle()];
    const result = plan(input({ slots, nested: ['b'], fresh: ['a'], runnable: 1 }));
    expect(result.assignments).toEqual([{ queue: 'nested', task: 0, slot: 2 }]);
  });

  it('does not count running chained calls against the admission limit', () => {
    const slots = [busy('nested'), busy('nested'), idle()];
    const result = plan(input({ slots, fresh: ['a'], runnable: 1 }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 2 }]);
  });

  it('prefers an idle worker that has the component prepared', () => {
    const result = plan(input({ slots: [idle('a'), idle('c'), idle('b', 'x')], fresh: ['b'] }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 2 }]);
  });

  it('takes the first idle ready worker when none has the component prepared', () => {
    const slots = [starting(), busy('fresh', false, 'b'), idle('a'), idle()];
    const result = plan(input({ slots, fresh: ['b'] }));
    expect(result.assignments).toEqual([{ queue: 'fresh', task: 0, slot: 2 }]);
  });

  it('does not give a worker two tasks in one round', () => {
    const result = plan(input({ slots: [idle(), idle('b')], fresh: ['b', 'b', 'b'] }));
    expect(result.assignments).toEqual([
      { queue: 'fresh', task: 0, slot: 1 },
      { queue: 'fresh', task: 1, slot: 0 },
    ]);
  });

  it('assigns nothing when no worker is idle', () => {
    const slots = [starting(), busy('fresh'), busy('nested', true)];
    expect(plan(input({ slots, nested: ['b'], fresh: ['a'] })).assignments).toEqual([]);
  });
});

describe('workers to start', () => {
  it('starts a worker per queued chained call while runnable workers are below `runnable`', () => {
    const slots = [busy('fresh', true), busy('nested', true)];
    expect(plan(input({ slots, nested: ['a', 'b', 'c'], runnable: 4 })).spawn).toBe(3);
    // Two computing: only two more may compute.
    const computing = [busy('fresh'), busy('fresh'), busy('fresh', true)];
    expect(plan(input({ slots: computing, nested: ['a', 'b', 'c'], runnable: 4 })).spawn).toBe(2);
  });

  it('starts none for chained calls when `runnable` workers already compute', () => {
    const slots = [busy('fresh'), busy('nested'), busy('fresh', true)];
    expect(plan(input({ slots, nested: ['a'], runnable: 2 })).spawn).toBe(0);
  });

  it('counts only the chained calls left queued after the assignments', () => {
    const slots = [busy('fresh', true), idle()];
    const result = plan(input({ slots, nested: ['a', 'b'], runnable: 4 }));
    expect(result.assignments).toEqual([{ queue: 'nested', task: 0, slot: 1 }]);
    expect(result.spawn).toBe(1);
  });

  it('counts workers still starting against the chained calls and the runnable ones', () => {
    const slots = [busy('fresh', true), busy('fresh', true), starting()];
    expect(plan(input({ slots, nested: ['a', 'b', 'c'], runnable: 4 })).spawn).toBe(2);
    // runnable 2, one starting: one more at most.
    expect(plan(input({ slots, nested: ['a', 'b', 'c'], runnable: 2 })).spawn).toBe(1);
  });

  it('never goes beyond `max`', () => {
    const slots = [busy('fresh', true), busy('fresh', true), busy('fresh', true)];
    expect(plan(input({ slots, nested: ['a', 'b', 'c', 'd'], runnable: 8, max: 5 })).spawn).toBe(2);
    expect(plan(input({ slots, nested: ['a'], runnable: 8, max: 3 })).spawn).toBe(0);
    expect(plan(input({ slots: [], min: 4, max: 3 })).spawn).toBe(3);
  });

  it('tops the pool up to `min`, counting workers still starting', () => {
    expect(plan(input({ slots: [], min: 2 })).spawn).toBe(2);
    expect(plan(input({ slots: [starting()], min: 2 })).spawn).toBe(1);
    expect(plan(input({ slots: [idle(), idle()], min: 2 })).spawn).toBe(0);
  });

  it('starts no worker for queued new requests beyond `min`', () => {
    const slots = [busy('fresh', true), busy('fresh', true)];
    const result = plan(input({ slots, fresh: ['a', 'a', 'a', 'a'], min: 2, runnable: 4 }));
    expect(result).toEqual({ assignments: [], spawn: 0 });
  });

  it('counts an idle worker and one given a task this round as runnable', () => {
    // Both idle workers take a chained call and stay runnable: with runnable 3, one more for the two left.
    const slots = [busy('fresh', true), idle(), idle()];
    const result = plan(input({ slots, nested: ['a', 'b', 'c', 'd'], runnable: 3 }));
    expect(result.assignments).toHaveLength(2);
    expect(result.spawn).toBe(1);
  });
});
