/**
 * Application variables: `[variables]` defaults, overridden by `SPIN_VARIABLE_<NAME>` environment variables,
 * overridden by `--variable name=value`; then each component's `variables` templates (`"{{ name }}"`) are
 * expanded, so a component sees only its own keys.
 */
import { ConfigError } from './errors.js';
import type { Manifest } from './manifest.js';
import { expandTemplate } from './variable-names.js';

export function envName(variable: string): string {
  return `SPIN_VARIABLE_${variable.toUpperCase()}`;
}

/** Returns, per component, its variables with values; throws when a required variable has no value. */
export function resolveVariables(
  manifest: Manifest,
  flags: Record<string, string>,
  env: Record<string, string | undefined>,
): Record<string, Record<string, string>> {
  const unknown = Object.keys(flags).find((name) => !manifest.variables[name]);
  if (unknown !== undefined) throw new ConfigError(`--variable ${unknown}: ${manifest.file} declares no such variable in [variables]`);
  const values: Record<string, string> = {};
  for (const [name, decl] of Object.entries(manifest.variables)) {
    const value = flags[name] ?? env[envName(name)] ?? decl.default;
    if (value === undefined) {
      throw new ConfigError(`variable '${name}' is required but has no value: pass --variable ${name}=... or set ${envName(name)}`);
    }
    values[name] = value;
  }
  const byComponent: Record<string, Record<string, string>> = {};
  for (const component of Object.values(manifest.components)) {
    byComponent[component.id] = Object.fromEntries(
      Object.entries(component.variables).map(([name, template]) => [name, expandTemplate(template, values)]),
    );
  }
  return byComponent;
}
