// The SpinKube deployment files in deploy/: the SpinApp is checked against the SpinApp CRD vendored in schemas/
// (with unknown fields rejected, as `kubectl apply` does by default), then against what spin.toml declares.
import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadRuntime, tempDir } from '../runtime/tests/support/runtime';
import { repoRoot } from './support/repo';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const asObject = (value: unknown, what: string): JsonObject => {
  if (!isObject(value)) throw new Error(`${what} is not an object`);
  return value;
};
const asArray = (value: unknown, what: string): unknown[] => {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
};

// --- The CRD's schema for the SpinApp version the manifest uses ------------------------------------------------

const crd = asObject(parseYaml(read('schemas/core.spinkube.dev_spinapps.yaml')), 'the SpinApp CRD');
const crdSpec = asObject(crd.spec, 'CRD spec');
const crdGroup = crdSpec.group;
const crdKind = asObject(crdSpec.names, 'CRD names').kind;

const openApiSchemaFor = (version: string): JsonObject => {
  const match = asArray(crdSpec.versions, 'CRD versions')
    .map((v) => asObject(v, 'CRD version'))
    .find((v) => v.name === version);
  if (!match) throw new Error(`the CRD has no version ${version}`);
  return asObject(asObject(match.schema, 'version schema').openAPIV3Schema, 'openAPIV3Schema');
};

/**
 * Kubernetes prunes or (with kubectl's default strict field validation) rejects fields a structural schema does not
 * declare; JSON Schema allows them. Close every object that lists its properties, so a misspelt field fails here.
 */
const closeObjects = (node: Json): Json => {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!isObject(node)) return node;
  const copy: JsonObject = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, closeObjects(v)]));
  if (
    isObject(node.properties) &&
    node.additionalProperties === undefined &&
    node['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    copy.additionalProperties = false;
  }
  return copy;
};

const validatorFor = (version: string): ValidateFunction => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // Kubernetes' OpenAPI formats and extensions. The extensions only annotate (int-or-string fields also carry an
  // anyOf of integer and string, which Ajv checks); the integer formats are ranges.
  for (const keyword of [
    'x-kubernetes-int-or-string',
    'x-kubernetes-map-type',
    'x-kubernetes-list-type',
    'x-kubernetes-preserve-unknown-fields',
  ]) {
    ajv.addKeyword({ keyword });
  }
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) =>
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)),
  });
  return ajv.compile(asObject(closeObjects(openApiSchemaFor(version)), 'closed schema'));
};

const spinAppText = read('deploy/spinapp.yaml');
const spinApp = asObject(parseYaml(spinAppText), 'deploy/spinapp.yaml');
const [group, version] = String(spinApp.apiVersion).split('/');
const validate = validatorFor(version ?? '');
const spec = asObject(spinApp.spec, 'spec');
const clone = (): JsonObject => asObject(parseYaml(spinAppText), 'deploy/spinapp.yaml');

// --- spin.toml and the runtime config ---------------------------------------------------------------------------

interface SpinVariable {
  default?: string;
  required?: boolean;
  secret?: boolean;
}
interface SpinComponent {
  sqlite_databases?: string[];
  key_value_stores?: string[];
}
interface SpinManifest {
  variables?: Record<string, SpinVariable>;
  component: Record<string, SpinComponent>;
}
const spinToml = parseToml(read('spin.toml')) as unknown as SpinManifest;
const declaredVariables = spinToml.variables ?? {};
const components = Object.values(spinToml.component);

interface Store {
  type?: unknown;
  url?: unknown;
  token?: unknown;
}
interface RuntimeConfig {
  sqlite_database?: Record<string, Store>;
  key_value_store?: Record<string, Store>;
}
const runtimeConfig = parseToml(read('deploy/runtime-config.toml')) as RuntimeConfig;

const readme = read('deploy/README.md');

describe('deploy/spinapp.yaml', () => {
  it('is one SpinApp named aggregates-dashboard, of the group and kind the CRD defines', () => {
    expect(parseAllDocuments(spinAppText)).toHaveLength(1);
    expect(group).toBe(crdGroup);
    expect(group).toBe('core.spinkube.dev');
    expect(version).toBe('v1alpha1');
    expect(spinApp.kind).toBe(crdKind);
    expect(asObject(spinApp.metadata, 'metadata').name).toBe('aggregates-dashboard');
  });

  it('is valid against the CRD schema, unknown fields rejected', () => {
    const valid = validate(spinApp);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is rejected by the same validator when broken, so the check above can fail', () => {
    const noExecutor = clone();
    delete asObject(noExecutor.spec, 'spec').executor;
    expect(validate(noExecutor)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({ keyword: 'required', params: { missingProperty: 'executor' } }),
    );

    const misspelt = clone();
    const misspeltSpec = asObject(misspelt.spec, 'spec');
    misspeltSpec.check = misspeltSpec.checks ?? null;
    delete misspeltSpec.checks;
    expect(validate(misspelt)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'check' } }),
    );

    const badQuantity = clone();
    asObject(asObject(asObject(badQuantity.spec, 'spec').resources, 'resources').limits, 'limits').memory =
      '512 megabytes';
    expect(validate(badQuantity)).toBe(false);
  });

  it('runs on the containerd-shim-spin executor with an image placeholder the README explains', () => {
    expect(spec.executor).toBe('containerd-shim-spin');
    expect(spec.image).toBe('ghcr.io/YOUR-ORG/aggregates-dashboard:0.1.0');
    expect(readme).toContain(`spin registry push ghcr.io/YOUR-ORG/aggregates-dashboard:0.1.0`);
  });

  it('has a fixed replica count above 0 (the operator refuses 0 without autoscaling, and any count with it)', () => {
    expect(spec.enableAutoscaling ?? false).toBe(false);
    expect(Number.isInteger(spec.replicas)).toBe(true);
    expect(Number(spec.replicas)).toBeGreaterThan(0);
  });

  it("probes liveness and readiness at Spin's health endpoint", () => {
    const checks = asObject(spec.checks, 'checks');
    for (const probe of ['liveness', 'readiness']) {
      expect(asObject(asObject(checks[probe], probe).httpGet, `${probe}.httpGet`).path).toBe(
        '/.well-known/spin/health',
      );
    }
  });

  it('requests and limits CPU and memory', () => {
    const resources = asObject(spec.resources, 'resources');
    for (const kind of ['requests', 'limits']) {
      expect(Object.keys(asObject(resources[kind], kind)).sort()).toEqual(['cpu', 'memory']);
    }
  });

  it('binds only variables declared in spin.toml, each once, with a string value', () => {
    const bound = asArray(spec.variables, 'variables').map((v) => asObject(v, 'variable'));
    const names = bound.map((v) => String(v.name));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(Object.keys(declaredVariables)).toContain(name);
    expect(names).toEqual(expect.arrayContaining(['top_n', 'downstream_timeout_ms']));
    for (const v of bound) expect(typeof v.value === 'string' || isObject(v.valueFrom)).toBe(true);
    const required = Object.entries(declaredVariables)
      .filter(([, v]) => v.required === true)
      .map(([name]) => name);
    for (const name of required) expect(names).toContain(name);
  });

  it('deploys every component together (no selective deployment), so local service chaining works', () => {
    expect(spec.components).toBeUndefined();
  });

  it('takes the API token from the Secret the README creates, never as a literal value', () => {
    const token = asArray(spec.variables, 'variables')
      .map((v) => asObject(v, 'variable'))
      .find((v) => v.name === 'api_token');
    expect(token?.value).toBeUndefined();
    const ref = asObject(asObject(token?.valueFrom, 'valueFrom').secretKeyRef, 'secretKeyRef');
    const command = /kubectl create secret generic (\S+)\s+\\?\s*--from-literal=([^=\s]+)=/.exec(readme);
    expect([ref.name, ref.key]).toEqual([command?.[1], command?.[2]]);
    expect(declaredVariables.api_token?.secret).toBe(true);
  });

  it('loads its runtime config from the Secret the README creates, under the key the operator mounts', () => {
    const secretName = asObject(spec.runtimeConfig, 'runtimeConfig').loadFromSecret;
    expect(secretName).toBe('aggregates-dashboard-runtime-config');
    const command = /kubectl create secret generic (\S+)\s+\\?\s*--from-file=([^=\s]+)=/.exec(readme);
    expect(command?.[1]).toBe(secretName);
    expect(command?.[2]).toBe('runtime-config.toml');
  });
});

describe('deploy/runtime-config.toml', () => {
  it('puts the default SQLite database on libSQL, with an http(s) url and a token', () => {
    const db = runtimeConfig.sqlite_database?.default;
    expect(db?.type).toBe('libsql');
    expect(String(db?.url)).toMatch(/^https?:\/\//);
    expect(typeof db?.token).toBe('string');
  });

  it('puts the default key-value store on Redis', () => {
    const kv = runtimeConfig.key_value_store?.default;
    expect(kv?.type).toBe('redis');
    expect(String(kv?.url)).toMatch(/^rediss?:\/\//);
  });

  it('declares every database and key-value store a component in spin.toml uses', () => {
    const databases = new Set(components.flatMap((c) => c.sqlite_databases ?? []));
    const stores = new Set(components.flatMap((c) => c.key_value_stores ?? []));
    expect(databases.size).toBeGreaterThan(0);
    for (const name of databases) expect(Object.keys(runtimeConfig.sqlite_database ?? {})).toContain(name);
    for (const name of stores) expect(Object.keys(runtimeConfig.key_value_store ?? {})).toContain(name);
  });
});

describe('the local runtime and this runtime config', () => {
  it('accepts its key-value section as it is: the Redis store the replicas are tested with', async () => {
    const { create } = await loadRuntime();
    const dir = tempDir();
    try {
      const text = read('deploy/runtime-config.toml');
      const section = text.slice(text.indexOf('[key_value_store.default]'));
      const file = `${dir.path}/kv-only.toml`;
      writeFileSync(file, section);
      // Redis is not contacted at start, so the placeholder host does not matter here.
      const spin = await create({
        from: 'spin.toml',
        cwd: repoRoot,
        stateDir: `${dir.path}/state`,
        runtimeConfigFile: file,
        guestOutput: () => {},
      });
      await spin.dispose();
    } finally {
      dir.remove();
    }
  });

  it('refuses it at start with an error naming the unsupported libSQL backend, why, and the stand-in', async () => {
    const { create } = await loadRuntime();
    const dir = tempDir();
    try {
      await expect(
        create({
          from: 'spin.toml',
          cwd: repoRoot,
          stateDir: dir.path,
          runtimeConfigFile: `${repoRoot}deploy/runtime-config.toml`,
          guestOutput: () => {},
        }),
      ).rejects.toThrow(
        /sqlite_database\.default\.type: 'libsql' is not supported by this runtime: no libSQL server installs from the package registries it is tested with\. The stand-in for a shared database is several runtime processes on one local SQLite file/,
      );
    } finally {
      dir.remove();
    }
  });
});
