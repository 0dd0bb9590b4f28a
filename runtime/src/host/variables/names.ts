/**
 * The syntax of Spin variables, shared by the manifest check and the guest's `get` (index.ts) and resolution
 * at start (resolve.ts). Depends on nothing.
 */

/**
 * Spin's variable key rule (spinframework/spin, crates/expressions, `Key::validate`): lowercase ASCII letters,
 * digits and single underscores between them, starting with a letter.
 */
export const VARIABLE_NAME = /^[a-z](?:_?[a-z0-9])*$/;

/** A reference to an application variable inside a component variable's template: `{{ name }}`. */
const TEMPLATE = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;

/** The application variables a template refers to, in order. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(TEMPLATE)].map((m) => m[1] ?? '');
}

/** The template with each `{{ name }}` replaced by its value (`''` for a name without one). */
export function expandTemplate(template: string, values: Record<string, string>): string {
  return template.replace(TEMPLATE, (_m, ref: string) => (Object.hasOwn(values, ref) ? values[ref] : undefined) ?? '');
}
