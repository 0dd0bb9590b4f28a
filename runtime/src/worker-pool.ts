/**
 * The worker threads that run guests, shared by all components. A guest blocks its thread while it waits
 * for an outbound call, so the pool counts *runnable* workers (idle or computing) rather than all of them,
 * and knows which top-level request (root) each chained call belongs to. A chained call of a request whose
 * workers all wait gets a worker first (a new one if need be, up to the cap), which is what lets nested and
 * cyclic chains (a -> b -> a) proceed instead of deadlocking; other chained calls take turns with new
 * requests and with other requests' calls, at most `chainLimit` computing per request (schedule.ts).
 *
 * Everything is bounded: workers (`maxWorkers`), queued new requests (`maxQueued`, three quarters per
 * component) and queued chained calls per request (twice that); a task that does not fit is answered
 * `busy` (503 with Retry-After) at once. Every request has a time limit; a worker that overruns it is
 * terminated and replaced, so a runaway guest costs one request, not the server.
 */
import { availableParallelism, totalmem } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { allocateGate, releaseGate, stopWorker } from './host/index.js';
import { STOCK_LIMIT } from './instances.js';
import { budgetWorkers, idleToStop, RssGauge } from './memory-budget.js';
import {
  DEFAULT_MAX_QUEUED,
  defaultMaxWorkers,
  learnWidths,
  mayQueue,
  ordinaryWorkers,
  plan,
  type QueuedTask,
  type SlotState,
} from './schedule.js';
import type {
  ComponentSetup,
  FromWorker,
  GateSetup,
  HostCall,
  OutboundOutcome,
  OutboundReply,
  ToWorker,
  TranspiledModule,
  WireRequest,
  WireResponse,
  WorkerSetup,
} from './protocol.js';

export type RunOutcome =
  | { kind: 'response'; response: WireResponse }
  | { kind: 'trap'; message: string }
  | { kind: 'timeout' }
  | { kind: 'closed' }
  /** The queue is full (or the pool is stuck and this chained call was refused): answer 503, retry later. */
  /** Not run: `reason` says why (the queue is full, the request waited too long for a worker, the pool was stuck). */
  | { kind: 'busy'; reason: string };

export interface PoolOptions {
  components: Record<string, ComponentSetup>;
  modules: Record<string, TranspiledModule>;
  requestTimeoutMs: number;
  /** Workers kept alive even when idle (default 2: enough for one chained call without spawning). */
  minWorkers?: number;
  /** Hard cap, including workers blocked on calls (default: schedule.ts `defaultMaxWorkers`, 4 to 16). */
  maxWorkers?: number;
  /** Workers allowed to compute at once (default: available cores, at least 2). */
  runnable?: number;
  /** New requests waiting for a worker before more are answered busy (default 1024). */
  maxQueued?: number;
  /** Chained calls of one top-level request allowed to compute at once (default: `runnable`). */
  chainLimit?: number;
  /** Bytes each instance's linear memory may grow to (Spin's `--max-instance-memory`); default: no limit. */
  maxInstanceMemory?: number;
  /**
   * Bytes of RSS the process should stay within (`--memory-budget`, whose default is memory-budget.ts
   * `defaultMemoryBudget`): at that many workers (memory-budget.ts `budgetWorkers`) the pool grows no further and
   * new requests wait in the queue, but requests that compute nothing may still take it up to `maxWorkers`.
   * Default: none (the process may not be the runtime's alone, as in tests).
   */
  memoryBudget?: number;
  onOutput(component: string, stream: 'stdout' | 'stderr', text: string): void;
  /** Serves a worker's call to a host API's main-thread side (a Redis command); rejects with the failure. */
  onHostCall(call: HostCall): Promise<unknown>;
}

export interface RunOptions {
  /** The chain depth: 0 (the default) for a new request, > 0 for a chained call, which runs before new requests. */
  depth?: number;
  /** Serves the guest's outbound requests during this run; the caller knows its depth and whom it may call. */
  onOutbound(request: WireRequest): Promise<OutboundOutcome>;
}

interface Task extends QueuedTask {
  id: number;
  request: WireRequest;
  depth: number;
  onOutbound: RunOptions['onOutbound'];
  resolve(outcome: RunOutcome): void;
  timer: NodeJS.Timeout;
  slot: Slot | undefined;
}

interface Slot {
  worker: Worker;
  /** Its SQLite slot and handshake word: the worker is stopped through it (host/sqlite-gate.ts). */
  gate: GateSetup;
  exited: boolean;
  signal: Int32Array;
  replies: MessagePort;
  ready: boolean;
  task: Task | undefined;
  /** Outbound calls of the current task still waiting for a reply: > 0 means the guest is blocked. */
  waiting: number;
  /** Components the worker holds a ready instance of, oldest first, as the worker evicts (see #prepareIfIdle). */
  prepared: Set<string>;
  lastComponent: string | undefined;
  idleSince: number;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
/** How often idle workers are looked for (memory-budget.ts `idleToStop` says which to stop). */
const IDLE_CHECK_MS = 1_000;

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #min: number;
  readonly #max: number;
  readonly #runnable: number;
  readonly #maxQueued: number;
  readonly #chainLimit: number;
  readonly #slots = new Set<Slot>();
  /** Queued chained calls and new requests, each in arrival order; `plan` picks from both. */
  #nested: Task[] = [];
  #fresh: Task[] = [];
  #nextTaskId = 0;
  /**
   * The task whose outbound call is being handed to the dispatcher right now: a chained call that reaches
   * `run` during that (synchronous) hand-over belongs to its root. See #serveOutbound.
   */
  #caller: Task | undefined;
  #closed = false;
  readonly #reaper: NodeJS.Timeout;
  /** The memory budget in bytes (undefined: none), the process's RSS before the first worker, the RSS now. */
  readonly #budget: number | undefined;
  #baseRss = 0;
  readonly #rss = new RssGauge();
  /** Per component, the most workers one of its requests has held at once (schedule.ts `learnWidths`). */
  readonly #widths = new Map<string, number>();

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#runnable = options.runnable ?? Math.max(2, availableParallelism());
    this.#min = options.minWorkers ?? 2;
    const maxInstanceMemory = options.maxInstanceMemory;
    this.#max = Math.max(
      this.#min,
      options.maxWorkers ??
        defaultMaxWorkers({
          cores: this.#runnable,
          totalMemory: totalmem(),
          ...(maxInstanceMemory === undefined ? {} : { maxInstanceMemory }),
        }),
    );
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#chainLimit = options.chainLimit ?? this.#runnable;
    this.#budget =
      options.memoryBudget !== undefined && Number.isFinite(options.memoryBudget) ? options.memoryBudget : undefined;
    this.#reaper = setInterval(() => this.#reapIdle(), IDLE_CHECK_MS).unref();
  }

  /** Starts the minimum number of workers and resolves when they have loaded every component. */
  async start(): Promise<void> {
    this.#baseRss = process.memoryUsage.rss();
    await Promise.all(Array.from({ length: this.#min }, () => this.#spawn()));
    // The first request to each component should not pay for a first instantiation: each worker prepares
    // instances of up to STOCK_LIMIT components, starting at a different one, so together they cover them all.
    const components = Object.keys(this.#options.components);
    [...this.#slots].forEach((slot, i) => {
      for (let k = 0; k < Math.min(STOCK_LIMIT, components.length); k++)
        this.#prepare(slot, components[(i * STOCK_LIMIT + k) % components.length] ?? '');
    });
  }

  /** Workers now, starting ones included (for tests and diagnostics). */
  get size(): number {
    return this.#slots.size;
  }

  /** The worker cap in effect. */
  get maxWorkers(): number {
    return this.#max;
  }

  run(component: string, request: WireRequest, options: RunOptions): Promise<RunOutcome> {
    if (this.#closed) return Promise.resolve({ kind: 'closed' });
    const depth = options.depth ?? 0;
    // A chained call that arrives outside a hand-over (the dispatcher awaited something first) is its own root.
    const parent = depth > 0 ? this.#caller : undefined;
    const id = ++this.#nextTaskId;
    const root = parent?.root ?? id;
    if (!mayQueue(this.#queueState(depth, component, root), this.#maxQueued))
      return Promise.resolve({ kind: 'busy', reason: 'queue full' });
    return new Promise<RunOutcome>((resolve) => {
      const task: Task = {
        id,
        root,
        component,
        request,
        depth,
        onOutbound: options.onOutbound,
        resolve,
        slot: undefined,
        timer: setTimeout(() => this.#expire(task), this.#options.requestTimeoutMs),
      };
      (depth > 0 ? this.#nested : this.#fresh).push(task);
      this.#schedule();
    });
  }

  #queueState(depth: number, component: string, root: number) {
    let freshOfComponent = 0;
    let nestedOfRoot = 0;
    if (depth > 0) {
      for (const task of this.#nested) if (task.root === root) nestedOfRoot += 1;
    } else {
      for (const task of this.#fresh) if (task.component === component) freshOfComponent += 1;
    }
    return { depth, fresh: this.#fresh.length, freshOfComponent, nestedOfRoot };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reaper);
    const queued = [...this.#nested, ...this.#fresh];
    this.#nested = [];
    this.#fresh = [];
    for (const task of queued) this.#finish(task, { kind: 'closed' });
    await Promise.all([...this.#slots].map((slot) => this.#kill(slot)));
  }

  #finish(task: Task, outcome: RunOutcome): void {
    clearTimeout(task.timer);
    task.resolve(outcome);
  }

  #spawn(): Promise<void> {
    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    // A lock wait may take the request's whole time limit; its deadline ends it first (a second's margin).
    const gate = allocateGate(this.#options.requestTimeoutMs + 1000);
    const worker = new Worker(WORKER_URL, {
      workerData: {
        components: this.#options.components,
        modules: this.#options.modules,
        signal,
        replies: channel.port2,
        gate,
        ...(this.#options.maxInstanceMemory === undefined
          ? {}
          : { maxInstanceMemory: this.#options.maxInstanceMemory }),
      } satisfies WorkerSetup,
      transferList: [channel.port2],
      // A small young generation per worker: each request's garbage is collected sooner. With V8's default (tens of
      // MB per isolate) the memory benchmark peaked at 1.04-1.11 GB on a quiet machine; with 8 MB, 814 MB at a
      // higher request rate (bench/results/memory-load.md). The old generation keeps V8's default: no new limit.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    const slot: Slot = {
      worker,
      gate,
      exited: false,
      signal: new Int32Array(signal),
      replies: channel.port1,
      ready: false,
      task: undefined,
      waiting: 0,
      prepared: new Set(),
      lastComponent: undefined,
      idleSince: Date.now(),
    };
    this.#slots.add(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          slot.ready = true;
          resolve();
          this.#schedule();
        } else {
          this.#onMessage(slot, message);
        }
      });
      worker.on('error', (error) => {
        if (!slot.ready) reject(error);
        this.#lose(slot, `worker failed: ${error.message}`);
      });
      worker.on('exit', (code) => {
        slot.exited = true;
        releaseGate(gate);
        if (!slot.ready) reject(new Error(`worker exited with code ${code} before it was ready`));
        this.#lose(slot, `worker exited with code ${code}`);
      });
    });
  }

  /** A worker died under its task (crash, or we terminated it): fail the task, replace the worker. */
  #lose(slot: Slot, reason: string): void {
    if (!this.#slots.delete(slot)) return;
    slot.replies.close();
    const task = slot.task;
    slot.task = undefined;
    if (task) this.#finish(task, { kind: 'trap', message: reason });
    this.#schedule();
  }

  /**
   * Stops a worker: its SQLite work is interrupted first, and the thread terminated only once it is out of
   * better-sqlite3 (terminating it inside a call would abort the process; host/sqlite-gate.ts).
   */
  async #kill(slot: Slot): Promise<void> {
    this.#slots.delete(slot);
    slot.replies.close();
    await stopWorker(
      slot.gate,
      () => slot.worker.terminate(),
      () => slot.exited,
    );
  }

  /**
   * The task's time is up: a queued one waited the whole time limit for a worker (busy: no component ran, so
   * no component is to blame), a running one overran it (its worker is replaced).
   */
  #expire(task: Task): void {
    for (const queue of [this.#nested, this.#fresh]) {
      const index = queue.indexOf(task);
      if (index >= 0) queue.splice(index, 1);
    }
    const slot = task.slot;
    if (!slot) {
      this.#finish(task, { kind: 'busy', reason: 'no worker became free within the request time limit' });
      return;
    }
    if (slot && slot.task === task) {
      slot.task = undefined;
      void this.#kill(slot).then(() => this.#schedule());
    }
    this.#finish(task, { kind: 'timeout' });
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    const task = slot.task;
    switch (message.kind) {
      case 'output':
        this.#options.onOutput(message.component, message.stream, message.text);
        return;
      case 'outbound':
        if (task?.id === message.requestId) void this.#serveOutbound(slot, task, message.callId, message.request);
        return;
      case 'host-call':
        if (task?.id === message.requestId) void this.#serveHostCall(slot, task, message.callId, message);
        return;
      case 'done':
      case 'failed':
        if (!task || task.id !== message.requestId) return;
        slot.task = undefined;
        slot.waiting = 0;
        slot.idleSince = Date.now();
        this.#finish(
          task,
          message.kind === 'done'
            ? { kind: 'response', response: message.response }
            : { kind: 'trap', message: message.error },
        );
        this.#schedule();
        this.#prepareIfIdle(slot);
        return;
      case 'ready':
        return;
    }
  }

  async #serveOutbound(slot: Slot, task: Task, callId: number, request: WireRequest): Promise<void> {
    slot.waiting += 1;
    // The caller is now blocked: a queued task may need a new worker to run.
    this.#schedule();
    let result: OutboundOutcome;
    try {
      let pending: Promise<OutboundOutcome>;
      // The dispatcher reaches `run` synchronously for a chained call (no await before it), so `run` knows
      // the caller, and with it the root. Without that link the call would still run, as its own root.
      this.#caller = task;
      try {
        pending = task.onOutbound(request);
      } finally {
        this.#caller = undefined;
      }
      result = await pending;
    } catch (error) {
      result = { error: { tag: 'internal-error', val: error instanceof Error ? error.message : String(error) } };
    }
    if (slot.task !== task || !this.#slots.has(slot)) return;
    slot.waiting -= 1;
    this.#reply(
      slot,
      'error' in result
        ? { kind: 'outbound-result', callId, error: result.error }
        : { kind: 'outbound-result', callId, response: result.response },
    );
  }

  /** A host API call the worker blocks on (it does not count as waiting: it is the guest's own time). */
  async #serveHostCall(slot: Slot, task: Task, callId: number, call: HostCall): Promise<void> {
    let reply: OutboundReply;
    try {
      reply = {
        kind: 'host-result',
        callId,
        value: await this.#options.onHostCall({ api: call.api, call: call.call }),
      };
    } catch (error) {
      reply = { kind: 'host-result', callId, error: error instanceof Error ? error.message : String(error) };
    }
    if (slot.task !== task || !this.#slots.has(slot)) return;
    this.#reply(slot, reply);
  }

  /** Queues a reply on the worker's port, then wakes its guest (in that order, so the woken guest finds it). */
  #reply(slot: Slot, reply: OutboundReply): void {
    slot.replies.postMessage(reply);
    Atomics.add(slot.signal, 0, 1);
    Atomics.notify(slot.signal, 0);
  }

  /**
   * Instantiating costs about as much as a typical request (~1.5 ms for an 11 MB StarlingMonkey component),
   * so a worker that falls idle prepares an instance of the component it last ran, for its stock (one per
   * component, up to STOCK_LIMIT components). Only when nothing is queued: the worker does one thing at a
   * time, and a queued request must not wait behind a preparation.
   */
  #prepareIfIdle(slot: Slot): void {
    const component = slot.lastComponent;
    if (slot.task || this.#nested.length + this.#fresh.length > 0 || !component) return;
    this.#prepare(slot, component);
  }

  /** Asks the worker for a ready instance of `component` (it evicts its oldest when it holds STOCK_LIMIT). */
  #prepare(slot: Slot, component: string): void {
    if (slot.prepared.has(component)) return;
    if (slot.prepared.size >= STOCK_LIMIT) {
      const [oldest] = slot.prepared;
      if (oldest !== undefined) slot.prepared.delete(oldest);
    }
    slot.prepared.add(component);
    const message: ToWorker = { kind: 'prepare', component };
    slot.worker.postMessage(message);
  }

  /** One scheduling round: the decisions are schedule.ts's `plan`, on a snapshot; this carries them out. */
  #schedule(): void {
    if (this.#closed) return;
    const slots = [...this.#slots];
    const nested = this.#nested;
    const fresh = this.#fresh;
    const states = slots.map(slotState);
    learnWidths(states, this.#widths);
    if (nested.length + fresh.length === 0 && slots.length >= this.#min) return;
    const { assignments, spawn, busy } = plan({
      slots: states,
      nested,
      fresh,
      min: this.#min,
      max: ordinaryWorkers(this.#max, this.#min),
      ceiling: this.#max,
      runnable: this.#runnable,
      chainLimit: this.#chainLimit,
      ...(this.#budget === undefined ? {} : { budget: this.#budgetWorkers(states), widths: this.#widths }),
    });
    const taken = new Set<Task>();
    const started: [Slot, Task][] = [];
    for (const assignment of assignments) {
      const task = (assignment.queue === 'nested' ? nested : fresh)[assignment.task];
      const slot = slots[assignment.slot];
      if (task && slot) {
        taken.add(task);
        started.push([slot, task]);
      }
    }
    const refused = busy.flatMap((index) => nested[index] ?? []);
    for (const task of refused) taken.add(task);
    if (taken.size > 0) {
      this.#nested = nested.filter((task) => !taken.has(task));
      this.#fresh = fresh.filter((task) => !taken.has(task));
    }
    for (const [slot, task] of started) this.#start(slot, task);
    for (const task of refused) this.#finish(task, { kind: 'busy', reason: 'every worker waits on a chained call' });
    for (let index = 0; index < spawn; index += 1) {
      this.#spawn().catch(() => {
        // #lose already failed its task and rescheduled.
      });
    }
  }

  #start(slot: Slot, task: Task): void {
    // The time limit counts from here: time spent queued is the pool's, limited separately (#expire).
    clearTimeout(task.timer);
    task.timer = setTimeout(() => this.#expire(task), this.#options.requestTimeoutMs);
    slot.task = task;
    slot.waiting = 0;
    slot.prepared.delete(task.component);
    slot.lastComponent = task.component;
    task.slot = slot;
    const message: ToWorker = { kind: 'run', requestId: task.id, component: task.component, request: task.request };
    slot.worker.postMessage(message);
  }

  /** The workers the memory budget allows now (memory-budget.ts). */
  #budgetWorkers(states: readonly SlotState[]): number {
    return budgetWorkers({
      budget: this.#budget ?? Infinity,
      rss: this.#rss.read(),
      base: this.#baseRss,
      workers: states.length,
      starting: states.filter((state) => !state.ready).length,
    });
  }

  /** Stops workers above the minimum that have been idle a while (memory-budget.ts `idleToStop`), so memory comes back after a load. */
  #reapIdle(): void {
    const slots = [...this.#slots];
    const now = Date.now();
    const workers = slots.map((slot) => ({
      idleSince: slot.ready && !slot.task ? slot.idleSince : undefined,
      used: slot.lastComponent !== undefined,
    }));
    const stop = idleToStop({ workers, min: this.#min, queued: this.#nested.length + this.#fresh.length, now });
    for (const index of stop) {
      const slot = slots[index];
      if (slot) void this.#kill(slot);
    }
    // A worker of the minimum was stopped to be renewed: its fresh replacement starts now.
    if (stop.length > 0) this.#schedule();
  }
}

function slotState(slot: Slot): SlotState {
  return {
    ready: slot.ready,
    running: slot.task,
    blocked: slot.waiting > 0,
    prepared: slot.prepared,
  };
}
