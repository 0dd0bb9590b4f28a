import Ajv from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../aggregates-service/src/config';
import { APP_VERSION } from '@aggregates/common/app-info';

const manifestText = readFileSync(new URL('../spin.toml', import.meta.url), 'utf8');
const schema = JSON.parse(
  readFileSync(new URL('../schemas/spin-manifest-v2.schema.json', import.meta.url), 'utf8'),
) as object;

interface Component {
  source: string;
  sqlite_databases?: string[];
  key_value_stores?: string[];
  allowed_outbound_hosts?: string[];
  build?: { command: string; watch?: string[] };
}
interface Manifest {
  spin_manifest_version: number;
  application: { version: string };
  trigger: { http: Array<{ route: string | { private: boolean }; component: string }> };
  component: Record<string, Component>;
}
const manifest = parse(manifestText) as unknown as Manifest;

/**
 * The Spin variables a data component's source reads: the literal names it passes to `getSpinVariable`.
 * Any other use of getSpinVariable (a computed name, the function handed on) fails the test, since what it
 * reads could not be checked.
 */
function spinVariablesRead(id: string): string[] {
  const dir = new URL(`../${id}/src/`, import.meta.url);
  const code = readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(new URL(file, dir), 'utf8').replace(/^import .*$/gm, ''))
    .join('\n');
  const uses = [...code.matchAll(/getSpinVariable\b(?:\(\s*'([a-z_]+)'\s*\))?/g)];
  expect(uses.filter((use) => use[1] === undefined).map((use) => use[0])).toEqual([]);
  return [...new Set(uses.map((use) => use[1] ?? ''))].sort();
}

const component = (id: string): Component => {
  const found = manifest.component[id];
  if (!found) throw new Error(`spin.toml has no component ${id}`);
  return found;
};

describe('spin.toml', () => {
  it('starts with a #:schema comment and is manifest version 2', () => {
    expect(manifestText.split('\n')[0]).toBe('#:schema https://schemas.spinframework.dev/spin/manifest-v2/latest.json');
    expect(manifest.spin_manifest_version).toBe(2);
  });

  it('is valid against the Spin manifest v2 JSON schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    // The schema's one custom format (from Rust's schemars): an unsigned integer.
    ajv.addFormat('uint', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
    const validate = ajv.compile(schema);
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('routes /customers/..., /incidents/..., /aggregates/... and /aggregates/docs/... to their components, and every other path to the page', () => {
    expect(manifest.trigger.http.map((t) => [t.route, t.component])).toEqual([
      ['/customers/...', 'customers-service'],
      ['/incidents/...', 'incidents-service'],
      ['/aggregates/...', 'aggregates-service'],
      ['/aggregates/docs/...', 'docs-service'],
      ['/...', 'page-service'],
    ]);
  });

  it('lets the page component call only the aggregates component, with no database, store or variable', () => {
    const page = component('page-service') as Component & { variables?: unknown };
    expect(page.allowed_outbound_hosts).toEqual(['http://aggregates-service.spin.internal']);
    expect(page.sqlite_databases).toBeUndefined();
    expect(page.key_value_stores).toBeUndefined();
    expect(page.variables).toBeUndefined();
  });

  it('lets the docs component call only the aggregates component (for the catalog), with no database, store or variable', () => {
    const docs = component('docs-service') as Component & { variables?: unknown };
    expect(docs.allowed_outbound_hosts).toEqual(['http://aggregates-service.spin.internal']);
    expect(docs.sqlite_databases).toBeUndefined();
    expect(docs.key_value_stores).toBeUndefined();
    expect(docs.variables).toBeUndefined();
  });

  it('grants the data components the default database and no outbound hosts', () => {
    for (const id of ['customers-service', 'incidents-service']) {
      expect(component(id).sqlite_databases).toEqual(['default']);
      expect(component(id).allowed_outbound_hosts ?? []).toEqual([]);
      expect(component(id).key_value_stores).toBeUndefined();
    }
  });

  it('lets the aggregates component call exactly the other components, with no database but a key-value store', () => {
    const aggregates = component('aggregates-service');
    expect(aggregates.sqlite_databases).toBeUndefined();
    expect(aggregates.key_value_stores).toEqual(['default']);
    expect([...(aggregates.allowed_outbound_hosts ?? [])].sort()).toEqual([
      'http://customers-service.spin.internal',
      'http://docs-service.spin.internal',
      'http://incidents-service.spin.internal',
      'http://page-service.spin.internal',
    ]);
  });

  it('maps every application variable into the components that read it, and no component reads an undeclared one', () => {
    const variables = (manifest as unknown as { variables: Record<string, { default?: string; secret?: boolean }> })
      .variables;
    const declared = Object.keys(variables).sort();
    const mappedInto = (id: string) =>
      (component(id) as Component & { variables?: Record<string, string> }).variables ?? {};
    // What each component reads: the aggregates component its settings, the data components what their
    // Spin entry passes to getSpinVariable.
    const read: Record<string, string[]> = {
      'aggregates-service': Object.values(SETTINGS).map((s) => s.variable),
      'customers-service': spinVariablesRead('customers-service'),
      'incidents-service': spinVariablesRead('incidents-service'),
      'page-service': spinVariablesRead('page-service'),
      'docs-service': spinVariablesRead('docs-service'),
    };
    expect(Object.keys(read).sort()).toEqual(Object.keys(manifest.component).sort());
    for (const [id, names] of Object.entries(read)) {
      const mapped = mappedInto(id);
      expect({ id, mapped: Object.keys(mapped).sort() }).toEqual({ id, mapped: [...names].sort() });
      for (const [name, template] of Object.entries(mapped)) expect(template).toBe(`{{ ${name} }}`);
    }
    // Every declared variable is used somewhere, and least privilege: the API token only where writes are.
    expect([...new Set(Object.values(read).flat())].sort()).toEqual(declared);
    expect(read['customers-service']).toEqual(['api_token']);
    expect(read['incidents-service']).toEqual(['api_token']);
    expect(read['aggregates-service']).not.toContain('api_token');
    expect(variables.api_token).toEqual({ default: '', secret: true });
  });

  it('has a build command for every component that builds that component to its source path', () => {
    for (const [id, c] of Object.entries(manifest.component)) {
      expect(c.build?.command).toBe(`node scripts/build.mjs ${id}`);
      expect(c.source).toBe(`${id}/dist/${id}.wasm`);
      expect(c.build?.watch).toContain('common/src/**/*.ts');
    }
  });

  it("declares each aggregates setting's default in spin.toml as config.ts falls back to it (one value, in both places)", () => {
    const variables = (manifest as unknown as { variables: Record<string, { default?: string }> }).variables;
    for (const setting of Object.values(SETTINGS)) {
      const declared = variables[setting.variable]?.default;
      expect({ variable: setting.variable, declared }).toEqual({
        variable: setting.variable,
        declared: String(setting.fallback),
      });
    }
  });

  it('gives the OpenAPI documents the version spin.toml gives the app', () => {
    expect(APP_VERSION).toBe(manifest.application.version);
  });
});
