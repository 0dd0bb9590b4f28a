/**
 * HTTP (`wasi:http/types`, `wasi:http/outgoing-handler`). spin.toml: a component's
 * `allowed_outbound_hosts`, parsed and checked with the manifest. Guest: the types of the request it serves
 * (server.ts) and of its outbound requests (client.ts), which `handle` checks against the component's rules
 * before the worker sends them to the main thread. There, outbound.ts serves them: `*.spin.internal` by
 * chaining, anything else with Node's fetch.
 */
import type { HostApi } from '../api.js';
import { noApp } from '../api.js';
import { parseAllowedHost, type AllowedHost } from './allowed-hosts.js';
import { IncomingBody, OutgoingBody, FutureTrailers } from './bodies.js';
import {
  FutureIncomingResponse,
  IncomingResponse,
  outgoingHandler,
  RequestOptions,
  OutgoingRequest,
  UnsentRequests,
  httpErrorCode,
} from './client.js';
import { Fields } from './header-fields.js';
import { IncomingRequest, OutgoingResponse, ResponseOutparam } from './server.js';

const types = {
  Fields,
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
  httpErrorCode,
};

/** Declaration and grant: the component's parsed `allowed_outbound_hosts`. */
export const http: HostApi<undefined, AllowedHost[], AllowedHost[], 'http'> = {
  name: 'http',
  manifestKeys: [],
  componentKeys: ['allowed_outbound_hosts'],
  runtimeConfigKeys: [],
  app: noApp,
  component({ reader }, table, key) {
    return reader.stringArray(table.allowed_outbound_hosts, `${key}.allowed_outbound_hosts`).map((raw, i) => {
      const parsed = parseAllowedHost(raw);
      return typeof parsed === 'string' ? reader.fail(`${key}.allowed_outbound_hosts[${i}]`, parsed) : parsed;
    });
  },
  grants: ({ components }) => components,
  guest(context) {
    const unsent = new UnsentRequests();
    return {
      imports: (_component, allowed) => ({
        'wasi:http/types': types,
        'wasi:http/outgoing-handler': { handle: outgoingHandler(context, allowed, unsent) },
      }),
      beforeWait: () => unsent.flush(),
      endRequest: () => unsent.clear(),
    };
  },
};
