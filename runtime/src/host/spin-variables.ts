/** `fermyon:spin/variables@2.0.0`: the component's own variables, resolved at start-up. */
import { witError } from './wit-error.js';

const NAME = /^[a-z][a-z0-9_]*$/;

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
