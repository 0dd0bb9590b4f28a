/**
 * The import object for one instance of one component. jco asks for interfaces by unversioned name
 * (`wasi:io/poll`, `fermyon:spin/sqlite`); anything we do not implement (llm, redis, mysql, ...) resolves to
 * stubs that trap with a message naming the interface, so such a component still loads and fails loudly
 * only when it calls them.
 */
import type { ComponentSetup } from '../protocol.js';
import * as http from './http.js';
import { IoError, InputStream, OutputStream, Pollable, poll } from './io.js';
import { keyValueImports } from './spin-key-value.js';
import { sqliteImports } from './spin-sqlite.js';
import { variablesImports } from './spin-variables.js';
import { baseImports, cliImports, type LineSink } from './wasi-misc.js';

const ioImports: Record<string, object> = {
  'wasi:io/error': { Error: IoError },
  'wasi:io/poll': { Pollable, poll },
  'wasi:io/streams': { InputStream, OutputStream },
  'wasi:http/types': {
    Fields: http.Fields,
    FutureIncomingResponse: http.FutureIncomingResponse,
    FutureTrailers: http.FutureTrailers,
    IncomingBody: http.IncomingBody,
    IncomingRequest: http.IncomingRequest,
    IncomingResponse: http.IncomingResponse,
    OutgoingBody: http.OutgoingBody,
    OutgoingRequest: http.OutgoingRequest,
    OutgoingResponse: http.OutgoingResponse,
    RequestOptions: http.RequestOptions,
    ResponseOutparam: http.ResponseOutparam,
    httpErrorCode: http.httpErrorCode,
  },
  'wasi:http/outgoing-handler': { handle: http.handle },
};

function unsupported(iface: string): object {
  return new Proxy(
    {},
    {
      get(_target, member) {
        const name = `${iface}#${String(member)}`;
        // A function doubles as a class for jco's `instanceof` and `Object.create(X.prototype)`.
        return function unsupportedImport(): never {
          throw new Error(`${name} is not supported by the local Spin runtime`);
        };
      },
    },
  );
}

export function componentImports(setup: ComponentSetup, stdout: LineSink, stderr: LineSink): Record<string, object> {
  const table: Record<string, object> = {
    ...baseImports,
    ...ioImports,
    ...cliImports(stdout, stderr, setup.environment),
    ...sqliteImports(setup.sqlite),
    ...keyValueImports(setup.keyValue),
    ...variablesImports(setup.variables),
  };
  return new Proxy(table, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      const iface = key.replace(/@[^/]*$/, '');
      return target[iface] ?? unsupported(iface);
    },
  });
}
