/**
 * Resolution at start: `[variables]` defaults, overridden by `SPIN_VARIABLE_<NAME>` environment variables,
 * overridden by `--variable name=value`; then each component's templates (`"{{ name }}"`) are expanded, so a
 * component sees only its own keys.
 */
import { ConfigError } from '../../errors.js';
import { expandTemplate } from './names.js';

export interface VariableDecl {
  default: string | undefined;
  required: boolean;
  secret: boolean;
}

/** An own entry only: `constructor` is no flag, environment variable or declaration. */
const own = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

export function envName(variable: string): string {
  return `SPIN_VARIABLE_${variable.toUpperCase()}`;
}

/**
 * Per component, its variables with values. Throws when a flag names an undeclared variable or a required one
 * has no value; `manifestFile` names spin.toml in the message.
 */
export function resolveVariables(
  declared: Record<string, VariableDecl>,
  templates: Record<string, Record<string, string>>,
  flags: Record<string, string>,
  env: Record<string, string | undefined>,
  manifestFile: string,
): Record<string, Record<string, string>> {
  const unknown = Object.keys(flags).find((name) => !Object.hasOwn(declared, name));
  if (unknown !== undefined)
    throw new ConfigError(`--variable ${unknown}: ${manifestFile} declares no such variable in [variables]`);
  const values: Record<string, string> = {};
  for (const [name, decl] of Object.entries(declared)) {
    const value = own(flags, name) ?? own(env, envName(name)) ?? decl.default;
    if (value === undefined) {
      throw new ConfigError(
        `variable '${name}' is required but has no value: pass --variable ${name}=... or set ${envName(name)}`,
      );
    }
    values[name] = value;
  }
  return Object.fromEntries(
    Object.entries(templates).map(([id, own]) => [
      id,
      Object.fromEntries(Object.entries(own).map(([name, template]) => [name, expandTemplate(template, values)])),
    ]),
  );
}
