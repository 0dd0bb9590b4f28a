// The runtime's own modules, from runtime/dist (`npm run build:runtime` first), for the benchmarks that time
// its parts one by one: transpile cache, host imports, wasi:http resources, the instance factory.
const dist = new URL('../dist/', import.meta.url);
const load = (name) => import(new URL(name, dist).href);

export const { loadComponentCode } = await load('transpile-cache.js');
export const { componentImports } = await load('host/imports.js');
export const { LineSink } = await load('host/wasi-misc.js');
export const { IncomingRequest, ResponseOutparam } = await load('host/http.js');
export const { InstanceFactory } = await load('instances.js');
export const { create } = await load('index.js');
