/** `fermyon:spin/variables@2.0.0`: the component's own variables, resolved at start-up. */
import { VARIABLE_NAME } from '../variable-names.js';
import { witError } from './wit-error.js';

export function variablesImports(variables: Record<string, string>): Record<string, object> {
  return {
    'fermyon:spin/variables': {
      // A name that breaks Spin's key rule is `invalid-name`, as in Spin.
      get(name: string): string {
        if (!VARIABLE_NAME.test(name)) throw witError({ tag: 'invalid-name', val: name });
        const value = variables[name];
        if (value === undefined) throw witError({ tag: 'undefined', val: `no variable '${name}' for this component` });
        return value;
      },
    },
  };
}
