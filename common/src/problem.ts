/**
 * Errors as `application/problem+json` (RFC 9457).
 *
 * Domain code throws a {@link HttpError}; one renderer ({@link problemResponse}) turns it into a response.
 * Anything else that is thrown becomes a 500 whose details go to the log, never to the client.
 */

/** Stable machine-readable codes; each maps to the `type` URI `urn:aggregates-dashboard:problem:<code>`. */
export type ProblemCode =
  | 'invalid-limit'
  | 'invalid-id'
  | 'invalid-path'
  | 'invalid-query'
  | 'not-found'
  | 'method-not-allowed'
  | 'invalid-json'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'unauthorized'
  | 'writes-disabled'
  | 'precondition-required'
  | 'precondition-failed'
  | 'validation-failed'
  | 'conflict'
  | 'bad-gateway'
  | 'gateway-timeout'
  | 'internal-error';

/** The status each problem is answered with (one each, so a document can list a status's problems). */
export const PROBLEM_STATUS: Record<ProblemCode, number> = {
  'invalid-limit': 400,
  'invalid-id': 400,
  'invalid-path': 400,
  'invalid-query': 400,
  'not-found': 404,
  'method-not-allowed': 405,
  'invalid-json': 400,
  'unsupported-media-type': 415,
  'payload-too-large': 413,
  unauthorized: 401,
  'writes-disabled': 403,
  'precondition-required': 428,
  'precondition-failed': 412,
  'validation-failed': 422,
  conflict: 409,
  'bad-gateway': 502,
  'gateway-timeout': 504,
  'internal-error': 500,
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<ProblemCode, string> = {
  'invalid-limit': 'Invalid limit',
  'invalid-id': 'Invalid id',
  'invalid-path': 'Invalid path',
  'invalid-query': 'Invalid query parameter',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  'invalid-json': 'Malformed JSON body',
  'unsupported-media-type': 'Unsupported media type',
  'payload-too-large': 'Body too large',
  unauthorized: 'Unauthorized',
  'writes-disabled': 'Writes are disabled',
  'precondition-required': 'If-Match required',
  'precondition-failed': 'Precondition failed',
  'validation-failed': 'Invalid fields',
  conflict: 'Conflict',
  'bad-gateway': 'Bad gateway',
  'gateway-timeout': 'Gateway timeout',
  'internal-error': 'Internal server error',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** An error that knows its HTTP status; its `detail` is safe to show to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
    // The documents list each problem under one status; an error that disagrees would answer undocumented.
    if (PROBLEM_STATUS[code] !== status)
      throw new Error(`the problem ${code} is answered with ${PROBLEM_STATUS[code]}, not ${status}`);
  }
}

export const problemType = (code: ProblemCode): string => `urn:aggregates-dashboard:problem:${code}`;

/** Builds the problem document for an error; `instance` is the request path. */
export function toProblem(error: HttpError, instance?: string): Problem {
  return {
    type: problemType(error.code),
    title: TITLES[error.code],
    status: error.status,
    detail: error.detail,
    ...(instance === undefined ? {} : { instance }),
    ...error.extensions,
  };
}

/** Renders any thrown value as a problem+json response; unknown errors are logged and masked as 500. */
export function problemResponse(
  error: unknown,
  instance?: string,
  log: (line: string) => void = console.error,
): Response {
  const httpError =
    error instanceof HttpError
      ? error
      : new HttpError(500, 'internal-error', 'The server failed to answer this request; the cause is in its log.');
  if (!(error instanceof HttpError)) log(`internal error on ${instance ?? '?'}: ${describeError(error)}`);
  return new Response(JSON.stringify(toProblem(httpError, instance)), {
    status: httpError.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...httpError.headers },
  });
}

/** Any thrown value as text for a log line: name, message and (where the engine keeps one) the stack. */
export function describeError(error: unknown): string {
  // SpiderMonkey's `stack` lists frames only, without the name and message V8 puts first.
  if (error instanceof Error) return `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
