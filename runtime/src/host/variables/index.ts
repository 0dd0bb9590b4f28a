/**
 * Variables (`fermyon:spin/variables@2.0.0`). spin.toml: the application's `[variables]` (default or
 * required, secret) and each component's `variables` templates. Start-up: values from flags, environment and
 * defaults (resolve.ts). Guest: `get` of the component's own keys; a name that breaks Spin's key rule is
 * `invalid-name`, as in Spin.
 */
import type { HostApi, ManifestScope } from '../api.js';
import type { Table } from '../../toml-checks.js';
import { witError } from '../wit-error.js';
import { templateNames, VARIABLE_NAME } from './names.js';
import { resolveVariables, type VariableDecl } from './resolve.js';

export type { VariableDecl };

const NAME_RULE =
  'variable names are lowercase letters, digits and single underscores between them, starting with a letter';

function declarations({ reader }: ManifestScope, root: Table): Record<string, VariableDecl> {
  if (root.variables === undefined) return {};
  const result: Record<string, VariableDecl> = {};
  for (const [name, raw] of Object.entries(reader.table(root.variables, 'variables'))) {
    const key = `variables.${name}`;
    if (!VARIABLE_NAME.test(name)) reader.fail(key, NAME_RULE);
    const decl = reader.table(raw, key, ['default', 'required', 'secret', 'description']);
    const required = decl.required === undefined ? false : reader.boolean(decl.required, `${key}.required`);
    const dflt = reader.optionalString(decl.default, `${key}.default`);
    if (required === (dflt !== undefined)) reader.fail(key, 'set exactly one of default = "..." or required = true');
    reader.optionalString(decl.description, `${key}.description`);
    result[name] = {
      default: dflt,
      required,
      secret: decl.secret === undefined ? false : reader.boolean(decl.secret, `${key}.secret`),
    };
  }
  return result;
}

/** The `get` import over one component's resolved variables. */
export function variablesImports(variables: Record<string, string>): Record<string, object> {
  return {
    'fermyon:spin/variables': {
      get(name: string): string {
        if (!VARIABLE_NAME.test(name)) throw witError({ tag: 'invalid-name', val: name });
        // Own keys only: `constructor` or `toString` are no variable of the component.
        const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
        if (typeof value !== 'string')
          throw witError({ tag: 'undefined', val: `no variable '${name}' for this component` });
        return value;
      },
    },
  };
}

/** App: the `[variables]` declarations. Component: its templates. Grant: its values. */
export const variables: HostApi<
  Record<string, VariableDecl>,
  Record<string, string>,
  Record<string, string>,
  'variables'
> = {
  name: 'variables',
  manifestKeys: ['variables'],
  componentKeys: ['variables'],
  runtimeConfigKeys: [],
  app: declarations,
  component({ reader }, table, key, declared) {
    const templates = reader.stringMap(table.variables, `${key}.variables`);
    for (const [name, template] of Object.entries(templates)) {
      if (!VARIABLE_NAME.test(name)) reader.fail(`${key}.variables.${name}`, NAME_RULE);
      for (const ref of templateNames(template)) {
        if (!Object.hasOwn(declared, ref))
          reader.fail(`${key}.variables.${name}`, `refers to '{{ ${ref} }}' but [variables] has no '${ref}'`);
      }
    }
    return templates;
  },
  grants: ({ app, components, options, manifestFile }) =>
    resolveVariables(app, components, options.variables ?? {}, options.env ?? process.env, manifestFile),
  guest: () => ({ imports: (_component, values) => variablesImports(values) }),
};
