/**
 * Calls to the data components over Spin local service chaining: a time limit per attempt inside the
 * dashboard's overall deadline, the remaining budget passed on in `x-budget-ms`, a check of the answer's
 * shape, and a bounded retry for failures that a second attempt can fix. Every failure becomes a
 * {@link DownstreamError} that names the part that failed.
 */
import { BUDGET_HEADER } from '@aggregates/common/budget';

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** The components the aggregates component calls, as named in spin.toml. */
export type Source = 'customers-service' | 'incidents-service' | 'page-service' | 'docs-service';

/** `bad-status`: answered, but not 2xx. `malformed`: answered 2xx with a body of the wrong shape. */
export type FailureCode = 'timeout' | 'unreachable' | 'bad-status' | 'malformed';

export class DownstreamError extends Error {
  constructor(
    readonly source: Source,
    readonly path: string,
    readonly code: FailureCode,
    /** Safe to show to clients: says what failed, not the internals of why. */
    readonly publicDetail: string,
    /** The status the component answered with, when it answered. */
    readonly status: number | null = null,
    /** For the log only. */
    override readonly cause?: unknown,
  ) {
    super(`${source} ${path}: ${publicDetail}`);
    this.name = 'DownstreamError';
  }
}

/** Checks a parsed JSON body and returns it typed, or throws a message saying what is wrong with it. */
export type Validator<T> = (body: unknown) => T;

/** The clock and timers a call uses; injected so tests can drive them. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), for retry jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export interface CallOptions<T> {
  fetch: Fetch;
  clock: Clock;
  source: Source;
  baseUrl: string;
  path: string;
  validate: Validator<T>;
  /** Time limit of one attempt, in ms. */
  attemptTimeoutMs: number;
  /** Clock time after which no attempt may run. */
  deadline: number;
  /** Extra attempts after a retryable failure. */
  retries: number;
  /** Request headers to pass on (request id, traceparent). */
  headers?: Record<string, string>;
}

export interface CallResult<T> {
  value: T;
  latencyMs: number;
  attempts: number;
  /** Path and query of the next page, from a `Link: <...>; rel="next"` header; `null` on the last page. */
  next: string | null;
  /** The `Data-Version` header (see common/src/event-feed.ts), or `null` when absent or unreadable. */
  dataVersion: number | null;
}

function dataVersionOf(header: string | null): number | null {
  return header !== null && /^[0-9]{1,15}$/.test(header) ? Number(header) : null;
}

/** The target of a `rel="next"` link, as a path and query on the same host. */
function nextLink(header: string | null): string | null {
  const match = header === null ? null : /<([^>]*)>\s*;\s*rel="?next"?/.exec(header);
  if (!match?.[1]) return null;
  const target = new URL(match[1], 'http://same-host');
  return `${target.pathname}${target.search}`;
}

/** An attempt needs at least this long to be worth starting. */
const MIN_ATTEMPT_MS = 20;
/** First retry waits up to this long (full jitter); each further retry doubles it. */
const BACKOFF_BASE_MS = 25;

/**
 * Worth retrying: the component could not be reached, did not answer in time, or said it is temporarily
 * unable to (502/503/504). A 500 or a malformed body is a fault a second identical request will most
 * likely repeat, so it is not retried; nor is a 4xx.
 */
function retryable(error: DownstreamError): boolean {
  if (error.code === 'unreachable' || error.code === 'timeout') return true;
  return error.code === 'bad-status' && (error.status === 502 || error.status === 503);
}

/** GETs `baseUrl + path` and returns the validated JSON body, retrying within the deadline. */
export async function getJson<T>(options: CallOptions<T>): Promise<CallResult<T>> {
  const { clock, deadline, retries, source, path } = options;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - clock.now();
    if (remaining < MIN_ATTEMPT_MS) {
      throw new DownstreamError(source, path, 'timeout', 'was not called: the deadline had passed');
    }
    try {
      const { value, next, dataVersion } = await attemptOnce(options, Math.min(options.attemptTimeoutMs, remaining));
      return { value, next, dataVersion, latencyMs: clock.now() - started, attempts: attempt };
    } catch (error) {
      if (!(error instanceof DownstreamError) || attempt > retries || !retryable(error)) throw error;
      const backoff = clock.random() * BACKOFF_BASE_MS * 2 ** (attempt - 1);
      if (clock.now() + backoff + MIN_ATTEMPT_MS > deadline) throw error;
      await clock.sleep(backoff);
    }
  }
}

type Attempt<T> = Pick<CallResult<T>, 'value' | 'next' | 'dataVersion'>;

async function attemptOnce<T>(
  { fetch, source, baseUrl, path, validate, headers }: CallOptions<T>,
  timeoutMs: number,
): Promise<Attempt<T>> {
  const fail = (code: FailureCode, detail: string, status: number | null = null, cause?: unknown) =>
    new DownstreamError(source, path, code, detail, status, cause);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail('timeout', `did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const call = async (): Promise<Attempt<T>> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        headers: { accept: 'application/json', [BUDGET_HEADER]: String(Math.floor(timeoutMs)), ...headers },
      });
    } catch (error) {
      throw fail('unreachable', 'could not be reached', null, error);
    }
    const text = await response.text().catch((error: unknown) => {
      throw fail('unreachable', 'broke off its answer', null, error);
    });
    // A 504 from a data component means it gave up on the time budget it was given: a timeout.
    if (!response.ok)
      throw fail(
        response.status === 504 ? 'timeout' : 'bad-status',
        `answered ${response.status}`,
        response.status,
        text.slice(0, 500),
      );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw fail('malformed', 'answered with a body that is not JSON', response.status, error);
    }
    try {
      return {
        value: validate(body),
        next: nextLink(response.headers.get('link')),
        dataVersion: dataVersionOf(response.headers.get('data-version')),
      };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw fail('malformed', `answered with an unexpected shape: ${why}`, response.status);
    }
  };
  try {
    return await Promise.race([call(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
