/** Manifest validation, routing and allow-list rules, without running any Wasm. */
import { describe, expect, it } from 'vitest';
import { isAllowed, parseAllowedHost } from '../src/host/http/allowed-hosts';
import { validateManifest } from '../src/manifest';
import { Router } from '../src/router';
import { parseCli } from '../src/cli-args';
import { guestWasm } from './support/runtime';

const base = (extra: Record<string, unknown> = {}, component: Record<string, unknown> = {}) => ({
  spin_manifest_version: 2,
  application: { name: 'x' },
  trigger: { http: [{ route: '/...', component: 'c' }] },
  component: { c: { source: guestWasm, ...component } },
  ...extra,
});

describe('validateManifest', () => {
  const check = (value: unknown) => () => validateManifest(value, '/app/spin.toml');

  it('accepts a minimal v2 manifest', () => {
    expect(validateManifest(base(), '/app/spin.toml').components.c?.source).toBe(guestWasm);
  });

  it.each([
    [{ spin_manifest_version: 1 }, {}, 'spin_manifest_version: must be 2'],
    [
      { trigger: { http: [{ route: 'no-slash', component: 'c' }] } },
      {},
      "trigger.http[0].route: 'no-slash' must start with /",
    ],
    [
      { trigger: { http: [{ route: '/users/:', component: 'c' }] } },
      {},
      "trigger.http[0].route: '/users/:' (component c): ':' must be followed by a parameter name",
    ],
    [
      { trigger: { http: [{ route: '/a', component: 'missing' }] } },
      {},
      'trigger.http[0].component: no [component.missing]',
    ],
    [{ trigger: { redis: [] } }, {}, 'trigger.redis: unknown or unsupported key'],
    [{}, { allowed_outbound_hosts: 'http://x' }, 'component.c.allowed_outbound_hosts: expected an array of strings'],
    [{}, { source: '/no/such.wasm' }, 'component.c.source: /no/such.wasm does not exist'],
    [{}, { variables: { k: '{{ nope }}' } }, "component.c.variables.k: refers to '{{ nope }}'"],
    [{ variables: { Bad: { default: 'x' } } }, {}, 'variables.Bad: variable names are lowercase'],
    // Spin refuses these too (spin-expressions, Key::validate).
    [
      { variables: { a__b: { default: 'x' } } },
      {},
      'variables.a__b: variable names are lowercase letters, digits and single underscores',
    ],
    [
      { variables: { x_: { default: 'x' } } },
      {},
      'variables.x_: variable names are lowercase letters, digits and single underscores',
    ],
    [{ variables: { v: { default: 'x', required: true } } }, {}, 'variables.v: set exactly one of'],
  ])('rejects %j / component %j naming the key', (extra, component, message) => {
    expect(check(base(extra, component))).toThrow(`/app/spin.toml: ${message}`);
  });

  it('rejects an invalid component id', () => {
    expect(check({ ...base(), component: { Bad_Id: { source: guestWasm } } })).toThrow(
      'component.Bad_Id: component ids are kebab-case',
    );
  });
});

describe('Router', () => {
  const router = new Router([
    { route: '/...', component: 'root' },
    { route: '/api/...', component: 'api' },
    { route: '/api/v2/...', component: 'v2' },
    { route: '/api/exact', component: 'exact' },
    { route: { private: true }, component: 'hidden' },
  ]);
  const target = (path: string) => router.match(path)?.route.component;

  it('prefers exact, then the longest wildcard, then the catch-all', () => {
    expect(target('/api/exact')).toBe('exact');
    expect(target('/api/v2/x')).toBe('v2');
    expect(target('/api/v2')).toBe('v2');
    expect(target('/api/v22')).toBe('api');
    expect(target('/other')).toBe('root');
    expect(router.match('/api/v2/a/b')?.pathInfo).toBe('/a/b');
    expect(router.match('/other/x')?.pathInfo).toBe('/other/x');
  });

  it('never matches a private component', () => {
    expect(router.routes.map((r) => r.component)).not.toContain('hidden');
  });
});

describe('allowed_outbound_hosts', () => {
  const rules = (...raw: string[]) =>
    raw.map((r) => {
      const parsed = parseAllowedHost(r);
      if (typeof parsed === 'string') throw new Error(parsed);
      return parsed;
    });
  const allowed = (raw: string[], url: string) => isAllowed(rules(...raw), new URL(url));

  it('matches scheme, host and default or explicit ports', () => {
    expect(allowed(['https://api.example.com'], 'https://api.example.com/x')).toBe(true);
    expect(allowed(['https://api.example.com'], 'http://api.example.com/x')).toBe(false);
    expect(allowed(['https://api.example.com'], 'https://api.example.com:8443/x')).toBe(false);
    expect(allowed(['http://localhost:3000-3005'], 'http://localhost:3004/')).toBe(true);
    expect(allowed(['https://*.example.com'], 'https://a.example.com/')).toBe(true);
    expect(allowed(['*://*:*'], 'http://anything:81/')).toBe(true);
  });

  it('grants chaining only through the component host or *.spin.internal', () => {
    expect(allowed(['*://*:*'], 'http://a.spin.internal/')).toBe(false);
    expect(allowed(['http://b.spin.internal'], 'http://a.spin.internal/')).toBe(false);
    expect(allowed(['http://a.spin.internal'], 'http://a.spin.internal/x')).toBe(true);
    expect(allowed(['http://*.spin.internal'], 'http://a.spin.internal/x')).toBe(true);
  });

  it('explains a malformed rule', () => {
    expect(parseAllowedHost('api.example.com')).toMatch(/scheme:\/\/host/);
    expect(parseAllowedHost('ftp://x')).toMatch(/port is required/);
  });
});

describe('CLI flags', () => {
  it('maps the spin up flags to options', () => {
    const { create } = parseCli([
      '-f',
      'app',
      '--listen',
      '0.0.0.0:8080',
      '--sqlite',
      'A',
      '--sqlite',
      '@b.sql',
      '--variable',
      'k=v=w',
      '--key-value',
      'a=1',
    ]);
    expect(create).toMatchObject({
      from: 'app',
      listen: '0.0.0.0:8080',
      sqlite: ['A', '@b.sql'],
      variables: { k: 'v=w' },
      keyValues: { a: '1' },
    });
  });

  it('defaults to 127.0.0.1:3000', () => {
    expect(parseCli([]).create.listen).toBe('127.0.0.1:3000');
  });
});
