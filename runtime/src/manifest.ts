/**
 * Loads and validates `spin.toml` (manifest version 2, HTTP trigger only) into typed values. Anything this
 * runtime does not implement is rejected with the key that uses it, rather than ignored.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from './errors.js';
import { HOST_APIS, type AppUses, type ComponentUses } from './host/index.js';
import { toRoute, type HttpTrigger } from './router.js';
import { TomlReader, type Table } from './toml-checks.js';

export type { HttpTrigger };

export interface ComponentDecl {
  id: string;
  /** Absolute path of the `.wasm` file. */
  source: string;
  /** What each host API read from the component's keys, by API name (host/index.ts). */
  uses: ComponentUses;
}

export interface Manifest {
  file: string;
  dir: string;
  name: string;
  /** What each host API read from its top-level tables (`app.variables`: `[variables]`). */
  app: AppUses;
  triggers: HttpTrigger[];
  components: Record<string, ComponentDecl>;
}

/** The keys the core reads itself; the host APIs read the rest. */
const CORE_COMPONENT_KEYS = ['source', 'description', 'build'];
const CORE_ROOT_KEYS = ['spin_manifest_version', 'application', 'trigger', 'component'];

/** `table` restricted to `keys` (absent ones left out). */
function only(table: Table, keys: readonly string[]): Table {
  return Object.fromEntries(keys.filter((key) => key in table).map((key) => [key, table[key]]));
}

/** Each API's share of `table`, read by `read`, keyed by API name. */
function byApi<T>(
  table: Table,
  keysOf: (api: (typeof HOST_APIS)[number]) => readonly string[],
  read: (api: (typeof HOST_APIS)[number], own: Table) => unknown,
): T {
  return Object.fromEntries(HOST_APIS.map((api) => [api.name, read(api, only(table, keysOf(api)))])) as T;
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
  const syntax =
    "routes are exact ('/a/b'), with ':name' segments ('/users/:id') and/or a trailing wildcard ('/a/...')";
  if (!route.startsWith('/')) reader.fail(key, `'${route}' must start with /`);
  if (!ROUTE_CHARS.test(route))
    reader.fail(key, `'${route}' holds characters a request path cannot (percent-encode them); ${syntax}`);
  if (route.replace(/\/\.\.\.\/?$/, '').includes('...'))
    reader.fail(key, `'${route}': '...' may only end the route, as '/...'; ${syntax}`);
  try {
    toRoute(route, component);
  } catch (error) {
    reader.fail(key, `'${route}' (component ${component}): ${error instanceof Error ? error.message : String(error)}`);
  }
  return route;
}

function parseComponent(reader: TomlReader, dir: string, id: string, value: unknown, app: AppUses): ComponentDecl {
  const key = `component.${id}`;
  if (!COMPONENT_ID.test(id))
    reader.fail(key, 'component ids are kebab-case: lowercase letters, digits and single dashes');
  const table = reader.table(value, key, [...CORE_COMPONENT_KEYS, ...HOST_APIS.flatMap((api) => api.componentKeys)]);
  if (reader.isTable(table.source))
    reader.fail(`${key}.source`, 'remote sources (url + digest) are not supported; build the component locally');
  const source = resolve(dir, reader.string(table.source, `${key}.source`));
  if (!existsSync(source)) reader.fail(`${key}.source`, `${source} does not exist (build it first: npm run build)`);
  reader.optionalString(table.description, `${key}.description`);
  if (table.build !== undefined) reader.table(table.build, `${key}.build`);
  const scope = { reader, dir };
  const uses = byApi<ComponentUses>(
    table,
    (api) => api.componentKeys,
    (api, own) =>
      (api.component as (s: typeof scope, t: Table, k: string, a: unknown) => unknown)(scope, own, key, app[api.name]),
  );
  return { id, source, uses };
}

/** Validates a parsed manifest; `file` is used for error messages and relative paths. */
export function validateManifest(parsed: unknown, file: string): Manifest {
  const reader = new TomlReader(file);
  const dir = dirname(file);
  const root = reader.table(parsed, '', [...CORE_ROOT_KEYS, ...HOST_APIS.flatMap((api) => api.manifestKeys)]);
  if (root.spin_manifest_version !== 2)
    reader.fail('spin_manifest_version', 'must be 2 (manifest v1 is not supported)');
  const application = reader.table(root.application, 'application', ['name', 'version', 'description', 'authors']);
  const name = reader.string(application.name, 'application.name');
  reader.optionalString(application.version, 'application.version');
  reader.optionalString(application.description, 'application.description');
  reader.stringArray(application.authors, 'application.authors');

  const scope = { reader, dir };
  const app = byApi<AppUses>(
    root,
    (api) => api.manifestKeys,
    (api, own) => api.app(scope, own),
  );
  const componentTable = reader.table(root.component ?? {}, 'component');
  const components: Record<string, ComponentDecl> = {};
  for (const [id, value] of Object.entries(componentTable))
    components[id] = parseComponent(reader, dir, id, value, app);

  const trigger = reader.table(root.trigger ?? {}, 'trigger', ['http']);
  const httpEntries: unknown = trigger.http;
  if (!Array.isArray(httpEntries) || httpEntries.length === 0)
    reader.fail('trigger.http', 'expected at least one [[trigger.http]] entry');
  const triggers = (httpEntries as unknown[]).map((raw: unknown, i: number): HttpTrigger => {
    const key = `trigger.http[${i}]`;
    const entry = reader.table(raw, key, ['route', 'component', 'id', 'executor']);
    if (entry.executor !== undefined) {
      const executor = reader.table(entry.executor, `${key}.executor`, ['type']);
      if (executor.type !== 'spin') reader.fail(`${key}.executor.type`, "only the 'spin' executor is supported");
    }
    reader.optionalString(entry.id, `${key}.id`);
    if (reader.isTable(entry.component))
      reader.fail(
        `${key}.component`,
        'inline components are not supported; declare [component.<id>] and refer to its id',
      );
    const component = reader.string(entry.component, `${key}.component`);
    if (!components[component]) reader.fail(`${key}.component`, `no [component.${component}] in the manifest`);
    // The same route twice is not an error: as Spin, the router keeps the last and warns at start.
    const route = parseRoute(reader, entry.route, `${key}.route`, component);
    return { route, component };
  });
  return { file, dir, name, app, triggers, components };
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
    throw new ConfigError(
      `${file}: invalid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  return validateManifest(parsed, file);
}
