/** `fermyon:spin/variables@2.0.0`: the component's own variables, resolved at start-up. */
import { witError } from './wit-error.js';

/**
 * Spin's variable key rules (spinframework/spin, crates/expressions, `Key::validate`): lowercase ASCII letters,
 * digits and single underscores between them, starting with a letter. `get` of any other name is `invalid-name`.
 */
const NAME = /^[a-z](?:_?[a-z0-9])*$/;

export function variablesImports(variables: Record<string, string>): Record<string, object> {
  return {
    'fermyon:spin/variables': {
      get(name: string): string {
        if (!NAME.test(name)) throw witError({ tag: 'invalid-name', val: name });
        const value = variables[name];
        if (value === undefined) throw witError({ tag: 'undefined', val: `no variable '${name}' for this component` });
        return value;
      },
    },
  };
}
