/**
 * Fault injection, for testing how callers cope with slow, failing or trapping components. A rule names a
 * component (and optionally a path prefix) and applies to every request dispatched to it: from a client and,
 * the case that matters most, chained through `http://<id>.spin.internal`. {@link withFaults} wraps the
 * dispatcher's runner and asks {@link FaultTable.take} once per request; the first rule that matches and has
 * uses left applies.
 *
 * @example
 *   // The next two chained calls to component `hidden` under /db/ answer 503 after 300 ms.
 *   spin.setFaults([{ component: 'hidden', path: '/db/', delayMs: 300, status: 503, times: 2 }]);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { text, type Runner } from './request-dispatcher.js';
import { ConfigError, UsageError } from './errors.js';

export interface FaultRule {
  /** Component id, as in spin.toml. */
  component: string;
  /** Applies only to requests whose path starts with this (e.g. `/db/`); default: every path. */
  path?: string;
  /** Holds the answer back this long; the guest still runs (unless `status` is set). */
  delayMs?: number;
  /** Answers this status with a short `text/plain` body, without running the guest. */
  status?: number;
  /** Fails the request as a guest trap does: 500, and the log line says `trap:`. */
  trap?: boolean;
  /** Applies to the first N matching requests only. */
  times?: number;
}

/** What the dispatcher does for one request. */
export interface FaultAction {
  delayMs: number;
  status: number | undefined;
  trap: boolean;
  /** For the log line, e.g. `delay 200ms, status 503`. */
  summary: string;
}

const RULE_KEYS = new Set(['component', 'path', 'delayMs', 'status', 'trap', 'times']);

/** The rule in `--fault` syntax, to name it in error messages. */
export function describeFault(rule: FaultRule): string {
  const actions = [
    ...(rule.delayMs === undefined ? [] : [`delay:${rule.delayMs}`]),
    ...(rule.status === undefined ? [] : [`status:${rule.status}`]),
    ...(rule.trap ? ['trap'] : []),
    ...(rule.times === undefined ? [] : [`times:${rule.times}`]),
  ];
  return `${rule.component}${rule.path === undefined ? '' : `:${rule.path}`}=${actions.join(',')}`;
}

function checkRule(rule: FaultRule, components: readonly string[]): string | undefined {
  const unknownKey = Object.keys(rule).find((key) => !RULE_KEYS.has(key));
  if (unknownKey !== undefined) return `unknown key '${unknownKey}' (known: ${[...RULE_KEYS].join(', ')})`;
  if (typeof rule.component !== 'string' || !components.includes(rule.component)) {
    return `unknown component '${String(rule.component)}' (components: ${components.join(', ')})`;
  }
  if (rule.path !== undefined && (typeof rule.path !== 'string' || !rule.path.startsWith('/')))
    return `path must start with '/'`;
  const isCount = (value: unknown, min: number): boolean =>
    typeof value === 'number' && Number.isInteger(value) && value >= min;
  if (rule.delayMs !== undefined && !isCount(rule.delayMs, 0)) return 'delayMs must be an integer >= 0';
  if (rule.status !== undefined && !(isCount(rule.status, 200) && rule.status <= 599))
    return 'status must be an integer from 200 to 599';
  if (rule.trap !== undefined && typeof rule.trap !== 'boolean') return 'trap must be true or false';
  if (rule.times !== undefined && !isCount(rule.times, 1)) return 'times must be an integer >= 1';
  if (rule.status !== undefined && rule.trap) return 'status and trap exclude each other';
  if (rule.delayMs === undefined && rule.status === undefined && !rule.trap)
    return 'does nothing: set delayMs, status or trap';
  return undefined;
}

/** Throws a {@link ConfigError} naming the first bad rule. */
export function validateFaults(rules: readonly FaultRule[], components: readonly string[]): void {
  rules.forEach((rule, i) => {
    const problem = typeof rule === 'object' && rule !== null ? checkRule(rule, components) : 'not an object';
    if (problem !== undefined)
      throw new ConfigError(
        `faults[${i}] (${typeof rule === 'object' && rule !== null ? describeFault(rule) : String(rule)}): ${problem}`,
      );
  });
}

/** Parses one `--fault <component>[:<path-prefix>]=<action>[,<action>...]` value; actions: `delay:MS`, `status:CODE`, `trap`, `times:N`. */
export function parseFaultFlag(value: string): FaultRule {
  const fail = (why: string): never => {
    throw new UsageError(
      `--fault ${value}: ${why} (expected <component>[:<path-prefix>]=<delay:MS|status:CODE|trap>[,...])`,
    );
  };
  const eq = value.indexOf('=');
  if (eq <= 0) fail('missing component or action');
  const target = value.slice(0, eq);
  const colon = target.indexOf(':');
  const rule: FaultRule = { component: colon < 0 ? target : target.slice(0, colon) };
  if (colon >= 0) rule.path = target.slice(colon + 1);
  if (rule.component === '') fail('missing component');
  const number = (text: string, name: string): number => {
    if (!/^\d+$/.test(text)) fail(`${name} needs a whole number, got '${text}'`);
    return Number(text);
  };
  for (const action of value.slice(eq + 1).split(',')) {
    const [name = '', argument] = action.split(':', 2);
    if (name === 'trap' && argument === undefined) rule.trap = true;
    else if (name === 'delay' && argument !== undefined) rule.delayMs = number(argument, 'delay');
    else if (name === 'status' && argument !== undefined) rule.status = number(argument, 'status');
    else if (name === 'times' && argument !== undefined) rule.times = number(argument, 'times');
    else fail(`unknown action '${action}'`);
  }
  return rule;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

export class FaultTable {
  #rules: ActiveRule[] = [];
  readonly #components: readonly string[];

  constructor(components: readonly string[], rules: readonly FaultRule[] = []) {
    this.#components = components;
    this.replace(rules);
  }

  /** Validates, then swaps in the new rules with fresh `times` counts. */
  replace(rules: readonly FaultRule[]): void {
    validateFaults(rules, this.#components);
    this.#rules = rules.map((rule) => ({ rule: { ...rule }, remaining: rule.times ?? Infinity }));
  }

  /** The fault for one request to `component` at `path`, if any; counts it against the rule's `times`. */
  take(component: string, path: string): FaultAction | undefined {
    if (this.#rules.length === 0) return undefined;
    const active = this.#rules.find(
      ({ rule, remaining }) => remaining > 0 && rule.component === component && path.startsWith(rule.path ?? '/'),
    );
    if (!active) return undefined;
    active.remaining -= 1;
    const { delayMs = 0, status, trap = false } = active.rule;
    const summary = [
      ...(delayMs > 0 ? [`delay ${delayMs}ms`] : []),
      ...(status === undefined ? [] : [`status ${status}`]),
      ...(trap ? ['trap'] : []),
    ].join(', ');
    return { delayMs, status, trap, summary };
  }
}

/**
 * The runner with the table's faults applied: a `status` answers without running the guest, a `trap` fails
 * the request as a guest trap does (500, `trap:` in the log) without running it either, a delay holds the
 * answer back (only this request's: the worker is free meanwhile).
 */
export function withFaults(run: Runner, table: FaultTable): Runner {
  return async (component, request, options) => {
    const fault = table.take(component, request.pathWithQuery.split('?')[0] ?? '');
    if (!fault) return run(component, request, options);
    const outcome =
      fault.status !== undefined
        ? ({ kind: 'response', response: text(fault.status, `Injected fault: status ${fault.status}`) } as const)
        : fault.trap
          ? ({ kind: 'trap', message: 'RuntimeError: unreachable (injected fault)' } as const)
          : await run(component, request, options);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    return { ...outcome, fault: fault.summary };
  };
}
