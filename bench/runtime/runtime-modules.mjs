// The runtime's own modules, from runtime/dist (`npm run build:runtime` first), for the benchmarks that time
// its parts one by one: transpile cache, host imports, wasi:http resources, the instance factory. The helpers
// below build what a worker thread gets from the main thread (the request as the dispatcher hands it over,
// each component's grants) with the runtime's own code, so they follow the runtime when it changes.
const dist = new URL('../../runtime/dist/', import.meta.url);
const load = (name) => import(new URL(name, dist).href);

export const { loadComponentCode } = await load('transpile-cache.js');
const { GuestHost, grantHostApis, allocateGate, SqliteGate } = await load('host/index.js');
export const { IncomingRequest, ResponseOutparam } = await load('host/index.js');
export const { InstanceFactory } = await load('instances.js');
export const { create } = await load('index.js');
const { Router } = await load('router.js');
const { pathOf, spinHeaders, withSpinHeaders } = await load('spin-headers.js');

/**
 * The host APIs' side of one worker thread (the worker's `GuestHost`), outside a worker thread: output is
 * dropped, and nothing may wait or call out (the measured requests do neither). Call `endRequest()` after
 * each request, as the worker does.
 */
export function benchHost() {
  return new GuestHost({
    wait() {
      throw new Error('a measured request waited (outbound call or timer): not supported outside a worker');
    },
    send() {
      throw new Error('a measured request made an outbound call: not supported outside a worker');
    },
    output: () => ({ write() {}, closed: () => false }),
    // The gate a worker's SQLite calls go through (runtime/src/host/sqlite-gate.ts), with a 5 s busy timeout.
    sqlite: new SqliteGate(allocateGate(5000), undefined),
  });
}

/** The import object of one component, on a host of its own (see {@link benchHost}). */
export function benchImports(setup) {
  return benchHost().imports(setup);
}

/** A component's setup with the grants of the host APIs (runtime/src/host/index.ts), for the given databases and variables. */
export function benchSetup({ id, sqlite = {}, keyValue = {}, variables = {} }) {
  return { id, moduleKey: id, grants: { wasi: {}, http: [], variables, sqlite, keyValue } };
}

/**
 * Each component's grants as `create()` decides them for the workers (the runtime's own start-up step), from a
 * loaded manifest (`SpinRuntime.manifest`) and a state directory `create()` has already prepared: no `--sqlite`
 * or `--key-value` is applied again.
 */
export function manifestGrants(manifest, { stateDir, variables = {} }) {
  return grantHostApis({
    manifestFile: manifest.file,
    app: manifest.app,
    components: Object.fromEntries(Object.values(manifest.components).map((c) => [c.id, c.uses])),
    runtimeConfig: undefined,
    stateDir,
    cwd: process.cwd(),
    options: { variables },
    log() {},
  });
}

/**
 * Requests as the dispatcher hands them to a worker for a manifest's routes: `(pathWithQuery, init?)` ->
 * `{ component, request }`, the component the route picks and the wire request with the `spin-*` headers of
 * that match, as an in-process `fetch` of `http://localhost<pathWithQuery>` from `127.0.0.1:0` would get.
 */
export function benchRequests(manifest) {
  const router = new Router(manifest.triggers, { warn() {} });
  return (pathWithQuery, { method = 'GET', headers = [], body = null } = {}) => {
    const match = router.match(pathOf(pathWithQuery));
    if (!match) throw new Error(`no route matches ${pathWithQuery}`);
    const target = { scheme: 'http', authority: 'localhost', pathWithQuery };
    const request = {
      method,
      url: `http://localhost${pathWithQuery}`,
      authority: target.authority,
      pathWithQuery,
      headers: withSpinHeaders(headers, spinHeaders(target, match, '127.0.0.1:0')),
      body,
    };
    return { component: match.route.component, request };
  };
}
