/**
 * Calls to the data components over Spin local service chaining, each with a time limit and a check of
 * the answer's shape. Every failure becomes a {@link DownstreamError} that names the part that failed.
 */

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** The components the dashboard depends on, as named in spin.toml. */
export type Source = 'customers-service' | 'incidents-service';

export type FailureKind = 'timeout' | 'unreachable' | 'status' | 'malformed';

export class DownstreamError extends Error {
  constructor(
    readonly source: Source,
    readonly path: string,
    readonly kind: FailureKind,
    /** Safe to show to clients: says what failed, not the internals of why. */
    readonly publicDetail: string,
    /** For the log only. */
    override readonly cause?: unknown,
  ) {
    super(`${source} ${path}: ${publicDetail}`);
    this.name = 'DownstreamError';
  }
}

/** Checks a parsed JSON body and returns it typed, or throws a message saying what is wrong with it. */
export type Validator<T> = (body: unknown) => T;

export interface CallOptions<T> {
  fetch: Fetch;
  source: Source;
  baseUrl: string;
  path: string;
  timeoutMs: number;
  validate: Validator<T>;
  /** Request headers to pass on (e.g. a request id). */
  headers?: Record<string, string>;
}

/** GETs `baseUrl + path` and returns the validated JSON body. */
export async function getJson<T>({ fetch, source, baseUrl, path, timeoutMs, validate, headers }: CallOptions<T>): Promise<T> {
  const fail = (kind: FailureKind, detail: string, cause?: unknown) => new DownstreamError(source, path, kind, detail, cause);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail('timeout', `did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const call = async (): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { headers: { accept: 'application/json', ...headers } });
    } catch (error) {
      throw fail('unreachable', 'could not be reached', error);
    }
    const text = await response.text().catch((error: unknown) => {
      throw fail('unreachable', 'broke off its answer', error);
    });
    if (!response.ok) throw fail('status', `answered ${response.status}`, text.slice(0, 500));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw fail('malformed', 'answered with a body that is not JSON', error);
    }
    try {
      return validate(body);
    } catch (error) {
      throw fail('malformed', `answered with an unexpected shape: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  try {
    return await Promise.race([call(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
