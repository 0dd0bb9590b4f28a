/**
 * The route matcher and the `spin-*` headers, without running any Wasm. The cases come from:
 * - Spin's router tests: spinframework/spin, crates/routes/src/lib.rs (`mod route_tests`; commit 94a8fc8a,
 *   Spin 4.0.x; the same file was crates/http/src/routes.rs up to v3.3), and its header tests in
 *   crates/trigger-http/src/headers.rs, and the end-to-end case in tests/integration.rs (`test_http_routing`);
 * - routefinder 0.5.4 (jbr/routefinder, src/router.rs doc examples), the matcher Spin builds on;
 * - Spin's documentation: spinframework/spin-docs, content/v3/http-trigger.md ("HTTP Trigger Routes",
 *   "Resolving Overlapping Routes", "Reserved Routes", "Additional Request Information").
 * Cases marked "derived" follow from reading that source, not from a test of Spin's own.
 */
import { describe, expect, it } from 'vitest';
import type { HttpTrigger } from '../src/manifest';
import { validateManifest } from '../src/manifest';
import { Router, toRoute } from '../src/router';
import { pathMatchHeader, spinHeaders } from '../src/spin-headers';
import { guestWasm } from './support/runtime';

type Routes = [component: string, route: string][];

function router(routes: Routes, warnings: string[] = []): Router {
  const triggers: HttpTrigger[] = routes.map(([component, route]) => ({ component, route }));
  return new Router(triggers, { warn: (line) => warnings.push(line) });
}

describe('which component a path reaches', () => {
  // [source, routes, path, expected component or null for 404]
  const cases: [string, Routes, string, string | null][] = [
    // Spin test_router_exact
    [
      'spin: exact',
      [
        ['foo', '/foo'],
        ['foobar', '/foo/bar'],
      ],
      '/foo',
      'foo',
    ],
    [
      'spin: exact',
      [
        ['foo', '/foo'],
        ['foobar', '/foo/bar'],
      ],
      '/foo/bar',
      'foobar',
    ],
    // Spin test_router_wildcard
    ['spin: catch-all', [['all', '/...']], '/foo/bar', 'all'],
    ['spin: catch-all', [['all', '/...']], '/abc/', 'all'],
    ['spin: catch-all', [['all', '/...']], '/', 'all'],
    ['spin: catch-all', [['all', '/...']], '/this/should/be/captured?abc=def', 'all'],
    // Spin test_router_respects_longest_match, in both declaration orders
    [
      'spin: longest wildcard',
      [
        ['one', '/one/...'],
        ['onetwo', '/one/two/...'],
        ['onetwothree', '/one/two/three/...'],
      ],
      '/one/two/three/four',
      'onetwothree',
    ],
    [
      'spin: longest wildcard',
      [
        ['onetwothree', '/one/two/three/...'],
        ['onetwo', '/one/two/...'],
        ['one', '/one/...'],
      ],
      '/one/two/three/four',
      'onetwothree',
    ],
    // Spin test_router_exact_beats_wildcard
    [
      'spin: exact beats wildcard',
      [
        ['one_exact', '/one'],
        ['wildcard', '/...'],
      ],
      '/one',
      'one_exact',
    ],
    // docs: exact routes
    [
      'docs: /cart',
      [
        ['shopping-cart', '/cart'],
        ['checkout', '/cart/checkout'],
      ],
      '/cart',
      'shopping-cart',
    ],
    [
      'docs: /cart',
      [
        ['shopping-cart', '/cart'],
        ['checkout', '/cart/checkout'],
      ],
      '/cart/checkout',
      'checkout',
    ],
    ['docs: /cart', [['shopping-cart', '/cart']], '/cart/checkout', null],
    // docs: single-segment wildcards
    ['docs: :userid', [['edit', '/users/:userid/edit']], '/users/1/edit', 'edit'],
    ['docs: :userid', [['edit', '/users/:userid/edit']], '/users/alice/edit', 'edit'],
    ['docs: :userid', [['edit', '/users/:userid/edit']], '/users', null],
    ['docs: :userid', [['edit', '/users/:userid/edit']], '/users/1', null],
    ['docs: :userid', [['edit', '/users/:userid/edit']], '/users/1/edit/cart', null],
    // docs: trailing wildcards match the prefix itself and anything under it
    ['docs: /users/...', [['users', '/users/...']], '/users', 'users'],
    ['docs: /users/...', [['users', '/users/...']], '/users/1', 'users'],
    ['docs: /users/...', [['users', '/users/...']], '/users/1/edit', 'users'],
    ['derived: not a string prefix', [['users', '/users/...']], '/usersx', null],
    // docs: Resolving Overlapping Routes
    [
      'docs: overlapping',
      [
        ['user-manager', '/users/...'],
        ['admin', '/users/admin'],
        ['shop', '/...'],
      ],
      '/users/1',
      'user-manager',
    ],
    [
      'docs: overlapping',
      [
        ['user-manager', '/users/...'],
        ['admin', '/users/admin'],
        ['shop', '/...'],
      ],
      '/users/admin',
      'admin',
    ],
    [
      'docs: overlapping',
      [
        ['user-manager', '/users/...'],
        ['admin', '/users/admin'],
        ['shop', '/...'],
      ],
      '/cart',
      'shop',
    ],
    // routefinder Router::best_match doc: `/hello` > `/:param` > `*`
    [
      'routefinder: precedence',
      [
        ['any', '/...'],
        ['param', '/:param'],
        ['hello', '/hello'],
      ],
      '/hello',
      'hello',
    ],
    [
      'routefinder: precedence',
      [
        ['any', '/...'],
        ['param', '/:param'],
        ['hello', '/hello'],
      ],
      '/hey',
      'param',
    ],
    [
      'routefinder: precedence',
      [
        ['any', '/...'],
        ['param', '/:param'],
        ['hello', '/hello'],
      ],
      '/hey/there',
      'any',
    ],
    [
      'routefinder: precedence',
      [
        ['any', '/...'],
        ['param', '/:param'],
        ['hello', '/hello'],
      ],
      '/',
      'any',
    ],
    // derived: a parameter beats a wildcard at the same place, but needs a segment to match
    [
      'derived: param vs wildcard',
      [
        ['wild', '/users/...'],
        ['one', '/users/:id'],
      ],
      '/users/7',
      'one',
    ],
    [
      'derived: param vs wildcard',
      [
        ['wild', '/users/...'],
        ['one', '/users/:id'],
      ],
      '/users',
      'wild',
    ],
    [
      'derived: param vs wildcard',
      [
        ['wild', '/users/...'],
        ['one', '/users/:id'],
      ],
      '/users/7/x',
      'wild',
    ],
    // derived: the leftmost difference decides, literal text first
    [
      'derived: leftmost literal',
      [
        ['late', '/:a/b'],
        ['early', '/a/:b'],
      ],
      '/a/b',
      'early',
    ],
    [
      'derived: leftmost literal',
      [
        ['early', '/a/:b'],
        ['late', '/:a/b'],
      ],
      '/a/b',
      'early',
    ],
    [
      'derived: exact under a param',
      [
        ['param', '/users/:id'],
        ['me', '/users/me'],
      ],
      '/users/me',
      'me',
    ],
    // derived: a shorter route beats a longer one it is a prefix of
    [
      'derived: param vs param + wildcard',
      [
        ['deep', '/:a/...'],
        ['flat', '/:a'],
      ],
      '/x',
      'flat',
    ],
    [
      'derived: param vs param + wildcard',
      [
        ['deep', '/:a/...'],
        ['flat', '/:a'],
      ],
      '/x/y',
      'deep',
    ],
    // derived: ties go to the route declared first
    [
      'derived: tie',
      [
        ['first', '/users/:id'],
        ['second', '/users/:name'],
      ],
      '/users/1',
      'first',
    ],
    [
      'derived: tie',
      [
        ['first', '/foo'],
        ['second', '/foo/'],
      ],
      '/foo',
      'first',
    ],
    [
      'derived: tie',
      [
        ['first', '/...'],
        ['second', '/*'],
      ],
      '/x',
      'first',
    ],
    // derived: leading and trailing slashes of the path are ignored; an inner empty segment is a segment
    ['derived: slashes', [['foo', '/foo']], '/foo/', 'foo'],
    ['derived: slashes', [['foo', '/foo']], '//foo//', 'foo'],
    ['derived: slashes', [['foo', '/a/b']], '/a//b', null],
    ['derived: slashes', [['edit', '/users/:id/edit']], '/users//edit', 'edit'],
    ['derived: route /', [['root', '/']], '/', 'root'],
    ['derived: route /', [['root', '/']], '/x', null],
    // derived: `/*` is a trailing wildcard too
    ['derived: /*', [['star', '/files/*']], '/files', 'star'],
    ['derived: /*', [['star', '/files/*']], '/files/a/b', 'star'],
  ];

  it.each(cases)('%s: %j, %s -> %s', (_source, routes, path, expected) => {
    expect(router(routes).match(path)?.route.component ?? null).toBe(expected);
  });

  it('never routes paths under /.well-known/spin/ to a component (docs: Reserved Routes)', () => {
    const r = router([['all', '/...']]);
    expect(r.match('/.well-known/spin/info')).toBeUndefined();
    expect(r.match('/.well-known/spin/anything/else')).toBeUndefined();
    expect(r.match('/.well-known/spin')?.route.component).toBe('all');
    expect(r.match('/.well-known/spindle')?.route.component).toBe('all');
  });

  it('skips private routes (Spin unroutable_routes_are_skipped)', () => {
    const r = new Router([
      { component: 'comp-/', route: '/' },
      { component: 'comp-/foo', route: '/foo' },
      { component: 'comp-private', route: { private: true } },
      { component: 'comp-/whee/...', route: '/whee/...' },
    ]);
    expect(r.routes).toHaveLength(3);
    expect(r.routes.map((x) => x.component)).not.toContain('comp-private');
  });
});

describe('what the component is told (spin-path-info, spin-path-match-*)', () => {
  // [source, route, path, spin-path-info, :name values]
  const cases: [string, string, string, string, Record<string, string>][] = [
    // Spin trailing_wildcard_is_captured
    ['spin', '/...', '/1/2/3', '/1/2/3', {}],
    ['spin', '/1/...', '/1/2/3', '/2/3', {}],
    // Spin trailing_wildcard_respects_trailing_slash
    ['spin', '/test/...', '/test', '', {}],
    ['spin', '/test/...', '/test/', '/', {}],
    ['spin', '/test/...', '/test/hello', '/hello', {}],
    ['spin', '/test/...', '/test/hello/', '/hello/', {}],
    // Spin named_wildcard_is_captured
    ['spin', '/1/:two/3', '/1/2/3', '', { two: '2' }],
    ['spin', '/1/:two/...', '/1/2/3', '/3', { two: '2' }],
    // Spin tests/integration.rs test_http_routing (the guest answers "<userid>:<path-info>")
    ['spin e2e', '/users/:userid/...', '/users/42', '', { userid: '42' }],
    ['spin e2e', '/users/:userid/...', '/users/42/', '/', { userid: '42' }],
    ['spin e2e', '/users/:userid/...', '/users/42/hello', '/hello', { userid: '42' }],
    ['spin e2e', '/users/:userid/...', '/users/42/hello/', '/hello/', { userid: '42' }],
    // docs: Additional Request Information
    ['docs', '/users/:userid/cart/...', '/users/1/cart/items/3/edit', '/items/3/edit', { userid: '1' }],
    // derived
    ['derived: catch-all at /', '/...', '/', '/', {}],
    ['derived: exact', '/a/b', '/a/b/', '', {}],
    ['derived: slashes collapse', '/a/...', '/a/b//', '/b/', {}],
    ['derived: empty segment', '/users/:id/edit', '/users//edit', '', { id: '' }],
    ['derived: raw segment', '/files/:name', '/files/a%2Fb%20c', '', { name: 'a%2Fb%20c' }],
    ['derived: dots', '/files/:name', '/files/report.json', '', { name: 'report.json' }],
    ['derived: dots', '/files/:name.json', '/files/report.json', '', { name: 'report' }],
    ['derived: two params', '/:org/repos/:repo', '/acme/repos/web', '', { org: 'acme', repo: 'web' }],
  ];

  it.each(cases)('%s: %s with %s -> %j', (_source, route, path, pathInfo, params) => {
    const match = router([['c', route]]).match(path);
    expect(match).toBeDefined();
    expect(match?.pathInfo).toBe(pathInfo);
    expect(Object.fromEntries(match?.params ?? [])).toEqual(params);
  });

  const headersFor = (route: string, url: string): Record<string, string> => {
    const parsed = new URL(url);
    const match = router([['DUMMY', route]]).match(parsed.pathname);
    return Object.fromEntries(spinHeaders(parsed, match, '127.0.0.1:8777'));
  };

  it('sets the headers of Spin test_default_headers', () => {
    expect(headersFor('/foo/...', 'https://fermyon.dev/foo/bar?key1=value1&key2=value2')).toEqual({
      'spin-full-url': 'https://fermyon.dev/foo/bar?key1=value1&key2=value2',
      'spin-path-info': '/bar',
      'spin-matched-route': '/foo/...',
      'spin-base-path': '/',
      'spin-raw-component-route': '/foo/...',
      'spin-component-route': '/foo',
      'spin-client-addr': '127.0.0.1:8777',
    });
  });

  it('sets the headers of Spin test_default_headers_with_named_wildcards', () => {
    expect(headersFor('/foo/:userid/...', 'https://fermyon.dev/foo/42/bar?key1=value1&key2=value2')).toEqual({
      'spin-full-url': 'https://fermyon.dev/foo/42/bar?key1=value1&key2=value2',
      'spin-path-info': '/bar',
      'spin-matched-route': '/foo/:userid/...',
      'spin-base-path': '/',
      'spin-raw-component-route': '/foo/:userid/...',
      'spin-component-route': '/foo/:userid',
      'spin-client-addr': '127.0.0.1:8777',
      'spin-path-match-userid': '42',
    });
  });

  it('sets the headers of the docs example (/users/:userid/cart/...)', () => {
    expect(
      headersFor('/users/:userid/cart/...', 'https://example.com:8080/users/1/cart/items/3/edit?theme=pink'),
    ).toMatchObject({
      'spin-full-url': 'https://example.com:8080/users/1/cart/items/3/edit?theme=pink',
      'spin-path-info': '/items/3/edit',
      'spin-path-match-userid': '1',
      'spin-matched-route': '/users/:userid/cart/...',
      'spin-raw-component-route': '/users/:userid/cart/...',
      'spin-component-route': '/users/:userid/cart',
    });
  });

  it.each([
    // derived: Spin's "based route" drops one trailing slash; the raw route is kept as written
    ['/foo/', '/foo', '/foo', '/foo/', '/foo/'],
    ['/', '/', '', '/', '/'],
    ['/...', '/x', '/...', '/...', ''],
    ['/files/*', '/files/x', '/files/*', '/files/*', '/files/*'],
  ])(
    'route %s, path %s: spin-matched-route %j, spin-raw-component-route %j, spin-component-route %j',
    (route, path, matched, raw, component) => {
      const headers = headersFor(route, `http://h${path}`);
      expect([
        headers['spin-matched-route'],
        headers['spin-raw-component-route'],
        headers['spin-component-route'],
      ]).toEqual([matched, raw, component]);
    },
  );

  it.each([
    ['userid', 'spin-path-match-userid'],
    ['user_id', 'spin-path-match-user-id'],
    ['userId', 'spin-path-match-userid'],
    ['user-id', 'spin-path-match-user-id'],
  ])('names the header of :%s %s (derived: headers.rs upper-cases, then _ -> - and lower-cases)', (name, header) => {
    expect(pathMatchHeader(name)).toBe(header);
  });

  it('leaves out a header whose name would be invalid, as Spin does, and gives a repeated name its last value', () => {
    const headers = headersFor('/:a@b/:x/:x', 'http://h/1/2/3');
    expect(Object.keys(headers).filter((h) => h.startsWith('spin-path-match-'))).toEqual(['spin-path-match-x']);
    expect(headers['spin-path-match-x']).toBe('3');
  });

  it('presents a chained request as matched by /..., whole path as spin-path-info, no :name values (Spin RouteMatch::synthetic)', () => {
    const r = router([['users', '/users/:id/...']]);
    const match = r.matchFor('users', '/users/42/x');
    expect(match).toMatchObject({
      pathInfo: '/users/42/x',
      params: [],
      route: { component: 'users', matched: '/...', componentRoute: '', pattern: '/...' },
    });
    // Any path, even one none of its routes match, and private components alike.
    expect(r.matchFor('hidden', '/anything').route.component).toBe('hidden');
    const headers = Object.fromEntries(
      spinHeaders(new URL('http://users.spin.internal/users/42/x?q=1'), match, '127.0.0.1:0'),
    );
    expect(headers).toMatchObject({
      'spin-path-info': '/users/42/x',
      'spin-matched-route': '/...',
      'spin-raw-component-route': '/...',
      'spin-component-route': '',
    });
    expect(Object.keys(headers).some((h) => h.startsWith('spin-path-match-'))).toBe(false);
  });
});

describe('order, duplicates and reserved routes at start', () => {
  it('lists routes in the order they are tried (Spin order_of_reachable_routes_is_preserved, sensible_routes_are_reachable)', () => {
    const warnings: string[] = [];
    const r = router(
      [
        ['comp-/', '/'],
        ['comp-/foo', '/foo'],
        ['comp-/bar', '/bar'],
        ['comp-/whee/...', '/whee/...'],
      ],
      warnings,
    );
    expect(r.routes.map((x) => x.component)).toEqual(['comp-/', 'comp-/foo', 'comp-/bar', 'comp-/whee/...']);
    expect(r.duplicates).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('lists a wildcard as Spin does: without /... and marked wildcard (Spin wildcard_routes_use_custom_display)', () => {
    expect(toRoute('/whee/...', 'comp')).toMatchObject({ prefix: '/whee', wildcard: true });
    expect(toRoute('/...', 'comp')).toMatchObject({ prefix: '', wildcard: true });
    expect(toRoute('/users/:id', 'comp')).toMatchObject({ prefix: '/users/:id', wildcard: false });
  });

  it('keeps the last of two identical routes, in the place of the first, and warns (Spin duplicate_routes_last_one_wins)', () => {
    const warnings: string[] = [];
    const r = router(
      [
        ['comp-/', '/'],
        ['comp-first /foo', '/foo'],
        ['comp-second /foo', '/foo'],
        ['comp-/whee/...', '/whee/...'],
      ],
      warnings,
    );
    expect(r.routes).toHaveLength(3);
    expect(r.routes[1]?.component).toBe('comp-second /foo');
    expect(r.match('/foo')?.route.component).toBe('comp-second /foo');
    expect(r.duplicates).toEqual([{ route: '/foo', replaced: 'comp-first /foo', effective: 'comp-second /foo' }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: route '\/foo' .*'comp-first \/foo'.*'comp-second \/foo'/);
  });

  it('reports every duplicate with its route (Spin duplicate_routes_reporting_is_faithful)', () => {
    const r = router([
      ['comp-first /', '/'],
      ['comp-second /', '/'],
      ['comp-first /foo', '/foo'],
      ['comp-second /foo', '/foo'],
      ['comp-first /...', '/...'],
      ['comp-second /...', '/...'],
      ['comp-first /whee/...', '/whee/...'],
      ['comp-second /whee/...', '/whee/...'],
    ]);
    expect(r.duplicates.map((d) => [d.replaced, d.route])).toEqual([
      ['comp-first /', '/'],
      ['comp-first /foo', '/foo'],
      ['comp-first /...', '/...'],
      ['comp-first /whee/...', '/whee/...'],
    ]);
  });

  it('warns about routes under /.well-known/spin/ only (Spin reserved_routes_are_reserved, unreserved_routes_are_unreserved)', () => {
    for (const route of ['/.well-known/spin/...', '/.well-known/spin/fie']) {
      const warnings: string[] = [];
      router([['comp', route]], warnings);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(route);
    }
    for (const route of ['/.well-known/spindle/...', '/.well-known/spi/...', '/.well-known/spin']) {
      const warnings: string[] = [];
      router([['comp', route]], warnings);
      expect(warnings).toEqual([]);
    }
  });

  it('does not call routes that only overlap duplicates (derived: Spin compares the strings)', () => {
    const warnings: string[] = [];
    const r = router(
      [
        ['a', '/foo'],
        ['b', '/foo/'],
        ['c', '/users/:id'],
        ['d', '/users/:name'],
      ],
      warnings,
    );
    expect(r.duplicates).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe('route syntax in spin.toml', () => {
  const manifest = (...routes: unknown[]) => ({
    spin_manifest_version: 2,
    application: { name: 'x' },
    trigger: { http: routes.map((route) => ({ route, component: 'c' })) },
    component: { c: { source: guestWasm } },
  });
  const check =
    (...routes: unknown[]) =>
    () =>
      validateManifest(manifest(...routes), '/app/spin.toml');

  it.each([
    '/users/:id',
    '/users/:userid/cart/...',
    '/:a/:b',
    '/files/:name.json',
    '/files/*',
    '/',
    '/...',
    '/a/',
    '/a//b',
    '/users/:user_id',
    '/caf%C3%A9',
  ])('accepts %s', (route) => {
    expect(check(route)).not.toThrow();
  });

  it('accepts the same route twice (Spin starts, keeps the last and warns)', () => {
    expect(validateManifest(manifest('/a', '/a'), '/app/spin.toml').triggers).toHaveLength(2);
  });

  it.each([
    // Spin refuses these too (routefinder's parser)
    ['/users/:', "trigger.http[0].route: '/users/:' (component c): ':' must be followed by a parameter name"],
    ['/files/*name', "trigger.http[0].route: '/files/*name' (component c): '*name': a wildcard has no name"],
    // Spin would start, then panic on requests that reach the `*`
    ['/a/*/b', "trigger.http[0].route: '/a/*/b' (component c): '*' (or '...') may only end a route"],
    // Spin would read `...` as literal text; almost surely a mistake
    ['/a/.../b', "trigger.http[0].route: '/a/.../b': '...' may only end the route"],
    ['/a...', "trigger.http[0].route: '/a...': '...' may only end the route"],
    ['no-slash', "trigger.http[0].route: 'no-slash' must start with /"],
    ['/café', "trigger.http[0].route: '/café' holds characters a request path cannot"],
    ['/a b', "trigger.http[0].route: '/a b' holds characters a request path cannot"],
    ['/a?b', "trigger.http[0].route: '/a?b' holds characters a request path cannot"],
  ])('refuses %s naming the key', (route, message) => {
    expect(check(route)).toThrow(`/app/spin.toml: ${message}`);
  });

  it('refuses { private = false } as Spin does', () => {
    expect(check({ private: false })).toThrow('/app/spin.toml: trigger.http[0].route.private: must be true');
  });
});
