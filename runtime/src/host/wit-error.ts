/**
 * jco turns a thrown value into a WIT `err` only when it carries an own `payload` property (or is not an
 * Error at all); a plain Error thrown by a host function traps the guest. Host APIs report expected failures
 * with this helper so the guest gets an error it can handle.
 */
export function witError(payload: { tag: string; val?: unknown }, message?: string): Error {
  const text = message ?? (typeof payload.val === 'string' ? payload.val : payload.tag);
  return Object.assign(new Error(text), { payload });
}

/** The message of whatever a host library threw, for the `val` of a WIT error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
