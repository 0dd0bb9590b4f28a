/** Reads the WIT error variant a Spin host call threw (`result<_, E>` arrives as an Error with `payload`). */

export interface HostErrorVariant {
  tag: string;
  val?: unknown;
}

/** The error variant of a failed host call, or `undefined` when `error` did not come from the host. */
export function hostErrorVariant(error: unknown): HostErrorVariant | undefined {
  if (typeof error !== 'object' || error === null || !('payload' in error)) return undefined;
  const payload: unknown = error.payload;
  if (typeof payload !== 'object' || payload === null || !('tag' in payload) || typeof payload.tag !== 'string')
    return undefined;
  return 'val' in payload ? { tag: payload.tag, val: payload.val } : { tag: payload.tag };
}

/** An Error for a failed host call whose message names the call and the WIT variant (`io: no such table: X`). */
export function describeHostError(call: string, error: unknown): Error {
  const variant = hostErrorVariant(error);
  if (!variant) return error instanceof Error ? error : new Error(`${call}: ${String(error)}`);
  const detail = variant.val === undefined ? variant.tag : `${variant.tag}: ${String(variant.val)}`;
  return new Error(`${call} failed: ${detail}`, { cause: error });
}

/** Runs a host call, turning a WIT error it throws into {@link describeHostError}'s Error named after `call`. */
export function hostCall<T>(call: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw describeHostError(call, error);
  }
}
