// The runtime's own modules, from runtime/dist (`npm run build:runtime` first), for the benchmarks that time
// its parts one by one: transpile cache, host imports, wasi:http resources, the instance factory.
const dist = new URL('../dist/', import.meta.url);
const load = (name) => import(new URL(name, dist).href);

export const { loadComponentCode } = await load('transpile-cache.js');
const { GuestHost } = await load('host/index.js');
export const { IncomingRequest, ResponseOutparam } = await load('host/index.js');
export const { InstanceFactory } = await load('instances.js');
export const { create } = await load('index.js');

/**
 * The import object of one component outside a worker thread: output is dropped, and nothing may wait or
 * call out (the measured requests do neither).
 */
export function benchImports(setup) {
  const host = new GuestHost({
    wait() {
      throw new Error('a measured request waited (outbound call or timer): not supported outside a worker');
    },
    send() {
      throw new Error('a measured request made an outbound call: not supported outside a worker');
    },
    output: () => ({ write() {}, closed: () => false }),
  });
  return host.imports(setup);
}

/** A component's setup with the grants of the host APIs (host/index.ts), for the given databases and variables. */
export function benchSetup({ id, sqlite = {}, keyValue = {}, variables = {} }) {
  return { id, moduleKey: id, grants: { wasi: {}, http: [], variables, sqlite, keyValue } };
}
