/** Spin's variables host API (`fermyon:spin/variables@2.0.0`). */
import { get } from 'fermyon:spin/variables@2.0.0';
import { describeHostError, hostErrorVariant } from './host-error';

/**
 * The value of a component variable, or `null` when the component declares no such variable (or the name
 * is not a valid variable name). A failing variables provider throws: that is not the same as "not set".
 */
export function getSpinVariable(name: string): string | null {
  try {
    return get(name);
  } catch (error) {
    const tag = hostErrorVariant(error)?.tag;
    if (tag === 'undefined' || tag === 'invalid-name') return null;
    throw describeHostError(`variable '${name}'`, error);
  }
}
