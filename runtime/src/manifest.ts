/**
 * Loads and validates `spin.toml` (manifest version 2, HTTP trigger only) into typed values. Anything this
 * runtime does not implement is rejected with the key that uses it, rather than ignored.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from './errors.js';
import { toRoute, type HttpTrigger } from './router.js';
import { TomlReader } from './toml-checks.js';
import { templateNames, VARIABLE_NAME } from './variable-names.js';

export interface VariableDecl {
  default: string | undefined;
  required: boolean;
  secret: boolean;
}

export type { HttpTrigger };

export interface ComponentDecl {
  id: string;
  /** Absolute path of the `.wasm` file. */
  source: string;
  allowedOutboundHosts: string[];
  sqliteDatabases: string[];
  keyValueStores: string[];
  /** Component variables as written: templates such as `"{{ api_url }}"`. */
  variables: Record<string, string>;
  environment: Record<string, string>;
}

export interface Manifest {
  file: string;
  dir: string;
  name: string;
  variables: Record<string, VariableDecl>;
  triggers: HttpTrigger[];
  components: Record<string, ComponentDecl>;
}

const COMPONENT_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** What a request path can hold (RFC 3986 pchar and `/`); a route with anything else could never match. */
const ROUTE_CHARS = /^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** Finds the manifest the way `spin up -f` does: a file, or a directory holding `spin.toml`. */
export function resolveManifestPath(from: string | undefined, cwd = process.cwd()): string {
  const target = resolve(cwd, from ?? '.');
  if (existsSync(target) && statSync(target).isDirectory()) return join(target, 'spin.toml');
  return target;
}

/**
 * A route as Spin reads it (router.ts): exact `/a/b`, `:name` segments, a trailing `/...` (or `/*`). Refused
 * like Spin: a bare `:`, a named `*x`, `{ private = false }`. Refused here although Spin would start: no
 * leading `/` (Spin's manifest schema requires it), characters a request path cannot hold, `...` anywhere
 * but a trailing `/...`, and a `*` segment before the end (Spin panics on requests that reach it).
 */
function parseRoute(reader: TomlReader, value: unknown, key: string, component: string): HttpTrigger['route'] {
  if (reader.isTable(value)) {
    const table = reader.table(value, key, ['private']);
    if (table.private !== true) reader.fail(`${key}.private`, 'must be true (use a path string for a public route)');
    return { private: true };
  }
  const route = reader.string(value, key);
  const syntax = "routes are exact ('/a/b'), with ':name' segments ('/users/:id') and/or a trailing wildcard ('/a/...')";
  if (!route.startsWith('/')) reader.fail(key, `'${route}' must start with /`);
  if (!ROUTE_CHARS.test(route)) reader.fail(key, `'${route}' holds characters a request path cannot (percent-encode them); ${syntax}`);
  if (route.replace(/\/\.\.\.\/?$/, '').includes('...')) reader.fail(key, `'${route}': '...' may only end the route, as '/...'; ${syntax}`);
  try {
    toRoute(route, component);
  } catch (error) {
    reader.fail(key, `'${route}' (component ${component}): ${error instanceof Error ? error.message : String(error)}`);
  }
  return route;
}

function parseComponent(reader: TomlReader, dir: string, id: string, value: unknown, appVariables: Record<string, VariableDecl>): ComponentDecl {
  const key = `component.${id}`;
  if (!COMPONENT_ID.test(id)) reader.fail(key, 'component ids are kebab-case: lowercase letters, digits and single dashes');
  const table = reader.table(value, key, [
    'source',
    'description',
    'allowed_outbound_hosts',
    'sqlite_databases',
    'key_value_stores',
    'variables',
    'environment',
    'build',
    'files',
    'exclude_files',
  ]);
  if (reader.isTable(table.source)) reader.fail(`${key}.source`, 'remote sources (url + digest) are not supported; build the component locally');
  const source = resolve(dir, reader.string(table.source, `${key}.source`));
  if (!existsSync(source)) reader.fail(`${key}.source`, `${source} does not exist (build it first: npm run build)`);
  reader.optionalString(table.description, `${key}.description`);
  if (reader.stringArray(table.files, `${key}.files`).length > 0) reader.fail(`${key}.files`, 'mounting files is not supported by this runtime');
  reader.stringArray(table.exclude_files, `${key}.exclude_files`);
  if (table.build !== undefined) reader.table(table.build, `${key}.build`);
  const variables = reader.stringMap(table.variables, `${key}.variables`);
  for (const [name, template] of Object.entries(variables)) {
    if (!VARIABLE_NAME.test(name)) reader.fail(`${key}.variables.${name}`, 'variable names are lowercase letters, digits and single underscores between them, starting with a letter');
    for (const ref of templateNames(template)) {
      if (!appVariables[ref]) reader.fail(`${key}.variables.${name}`, `refers to '{{ ${ref} }}' but [variables] has no '${ref}'`);
    }
  }
  return {
    id,
    source,
    allowedOutboundHosts: reader.stringArray(table.allowed_outbound_hosts, `${key}.allowed_outbound_hosts`),
    sqliteDatabases: reader.stringArray(table.sqlite_databases, `${key}.sqlite_databases`),
    keyValueStores: reader.stringArray(table.key_value_stores, `${key}.key_value_stores`),
    variables,
    environment: reader.stringMap(table.environment, `${key}.environment`),
  };
}

function parseVariables(reader: TomlReader, value: unknown): Record<string, VariableDecl> {
  if (value === undefined) return {};
  const table = reader.table(value, 'variables');
  const result: Record<string, VariableDecl> = {};
  for (const [name, raw] of Object.entries(table)) {
    const key = `variables.${name}`;
    if (!VARIABLE_NAME.test(name)) reader.fail(key, 'variable names are lowercase letters, digits and single underscores between them, starting with a letter');
    const decl = reader.table(raw, key, ['default', 'required', 'secret', 'description']);
    const required = decl.required === undefined ? false : reader.boolean(decl.required, `${key}.required`);
    const dflt = reader.optionalString(decl.default, `${key}.default`);
    if (required === (dflt !== undefined)) reader.fail(key, 'set exactly one of default = "..." or required = true');
    reader.optionalString(decl.description, `${key}.description`);
    result[name] = { default: dflt, required, secret: decl.secret === undefined ? false : reader.boolean(decl.secret, `${key}.secret`) };
  }
  return result;
}

/** Validates a parsed manifest; `file` is used for error messages and relative paths. */
export function validateManifest(parsed: unknown, file: string): Manifest {
  const reader = new TomlReader(file);
  const dir = dirname(file);
  const root = reader.table(parsed, '', ['spin_manifest_version', 'application', 'variables', 'trigger', 'component']);
  if (root.spin_manifest_version !== 2) reader.fail('spin_manifest_version', 'must be 2 (manifest v1 is not supported)');
  const application = reader.table(root.application, 'application', ['name', 'version', 'description', 'authors']);
  const name = reader.string(application.name, 'application.name');
  reader.optionalString(application.version, 'application.version');
  reader.optionalString(application.description, 'application.description');
  reader.stringArray(application.authors, 'application.authors');

  const variables = parseVariables(reader, root.variables);
  const componentTable = reader.table(root.component ?? {}, 'component');
  const components: Record<string, ComponentDecl> = {};
  for (const [id, value] of Object.entries(componentTable)) components[id] = parseComponent(reader, dir, id, value, variables);

  const trigger = reader.table(root.trigger ?? {}, 'trigger', ['http']);
  const httpEntries: unknown = trigger.http;
  if (!Array.isArray(httpEntries) || httpEntries.length === 0) reader.fail('trigger.http', 'expected at least one [[trigger.http]] entry');
  const triggers = (httpEntries as unknown[]).map((raw: unknown, i: number): HttpTrigger => {
    const key = `trigger.http[${i}]`;
    const entry = reader.table(raw, key, ['route', 'component', 'id', 'executor']);
    if (entry.executor !== undefined) {
      const executor = reader.table(entry.executor, `${key}.executor`, ['type']);
      if (executor.type !== 'spin') reader.fail(`${key}.executor.type`, "only the 'spin' executor is supported");
    }
    reader.optionalString(entry.id, `${key}.id`);
    if (reader.isTable(entry.component)) reader.fail(`${key}.component`, 'inline components are not supported; declare [component.<id>] and refer to its id');
    const component = reader.string(entry.component, `${key}.component`);
    if (!components[component]) reader.fail(`${key}.component`, `no [component.${component}] in the manifest`);
    // The same route twice is not an error: as Spin, the router keeps the last and warns at start.
    const route = parseRoute(reader, entry.route, `${key}.route`, component);
    return { route, component };
  });
  return { file, dir, name, variables, triggers, components };
}

export async function loadManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(`cannot read manifest ${file} (pass -f <spin.toml or dir>)`);
  }
  let parsed: unknown;
  try {
    parsed = parseToml(text);
  } catch (error) {
    throw new ConfigError(`${file}: invalid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return validateManifest(parsed, file);
}
