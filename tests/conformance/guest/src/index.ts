// One guest that plays the test components of Spin's conformance suite (github.com/fermyon/conformance-tests,
// components/<name>/src/lib.rs), each rewritten in TypeScript step for step: same host calls in the same
// order, same checks, same responses. Building a component costs 10-30 s, so one Wasm plays them all; the
// case's manifest names the component it wants (`source = "%{source=<name>}"`) and our copy of that manifest
// passes the name as the environment variable CONFORMANCE_COMPONENT (see ../../replay.ts),
// which changes no route, permission or variable of the case.
//
// Host APIs are called through their WIT bindings, as the Rust components do, so a case sees exactly what
// the host answers; for outbound HTTP that means wasi:http itself rather than `fetch`, because the case
// checks which of `handle` and `future-incoming-response.get` reports a denied host.
import { getEnvironment } from 'wasi:cli/environment@0.2.3';
import { handle as sendRequest } from 'wasi:http/outgoing-handler@0.2.3';
import { Fields, OutgoingBody, OutgoingRequest, type ErrorCode, type Scheme } from 'wasi:http/types@0.2.3';
import { Store } from 'fermyon:spin/key-value@2.0.0';
import { Connection, type Value } from 'fermyon:spin/sqlite@2.0.0';
import { get as getVariable } from 'fermyon:spin/variables@2.0.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A body written without declaring its length, as the Rust components write theirs (so Spin sends it chunked).
 * Given a string or a buffer, the engine would add `content-length` (and for a string `content-type`).
 */
function undeclaredLength(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** The helper crate's `response(status, body)`: no headers at all, and no body unless there is one. */
function response(status: number, body = ''): Response {
  return new Response(body === '' ? null : undeclaredLength(encoder.encode(body)), { status });
}

/** `anyhow::ensure!`: a failed check ends the case with a 500 that names it. */
function ensure(condition: boolean, check: string): void {
  if (!condition) throw new Error(`Condition failed: ${check}`);
}

interface Variant {
  tag: string;
  val?: unknown;
}

/** The WIT error variant a host call threw (componentize-js puts it in `payload`), if it threw one. */
function witError(error: unknown): Variant | undefined {
  if (typeof error !== 'object' || error === null || !('payload' in error)) return undefined;
  const payload = error.payload;
  return typeof payload === 'object' && payload !== null && 'tag' in payload && typeof payload.tag === 'string'
    ? (payload as Variant)
    : undefined;
}

/** How a Rust guest prints a WIT variant (`{:?}`, which is also its Display): `Error::AccessDenied`, `Error::Io("...")`. */
function rustDebug(type: string, variant: Variant): string {
  const name = variant.tag
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join('');
  return variant.val === undefined ? `${type}::${name}` : `${type}::${name}(${JSON.stringify(variant.val)})`;
}

/** A host call as Rust sees it: `{ ok }` or `{ err }` holding the WIT error's tag (Rust's `Result`). */
function attempt<T>(call: () => T): { ok: T } | { err: string } {
  try {
    return { ok: call() };
  } catch (error) {
    return { err: witError(error)?.tag ?? `not a WIT error: ${String(error)}` };
  }
}

/** `matches!(call, Err(Error::<tag>))`. */
const failsWith = (call: () => unknown, tag: string): boolean => {
  const result = attempt(call);
  return 'err' in result && result.err === tag;
};

const sameKeys = (actual: string[], expected: string[]): boolean =>
  actual.length === expected.length && expected.every((key) => actual.includes(key));

// components/request-shape: the method, URL and `spin-*` headers the component sees.
const SOCKET_PORT = /^\d{1,5}$/;
const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Rust's `SocketAddr` syntax: `a.b.c.d:port` or `[ipv6]:port`. */
function isSocketAddr(text: string): boolean {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (colon < 0 || !SOCKET_PORT.test(port) || Number(port) > 65535) return false;
  if (host.startsWith('[') && host.endsWith(']')) {
    try {
      // The URL parser accepts a bracketed host only when it is a valid IPv6 address; Rust allows a numeric scope.
      new URL(`http://${host.replace(/%\d+\]$/, ']')}/`);
      return true;
    } catch {
      return false;
    }
  }
  const octets = host.split('.');
  return octets.length === 4 && octets.every((octet) => IPV4_OCTET.test(octet));
}

function requestShape(request: Request): Response {
  ensure(request.method === 'GET', `Method was expected to be 'GET' but was '${request.method}'`);
  const url = new URL(request.url);
  ensure(url.host === 'example.com', `authority was expected to be 'example.com' but was '${url.host}'`);
  const pathWithQuery = url.pathname + url.search;
  ensure(
    pathWithQuery === '/base/path/end/rest?key=value',
    `URL was expected to be '/base/path/end/rest?key=value' but was '${pathWithQuery}'`,
  );
  ensure(
    url.protocol === 'http:' || url.protocol === 'https:',
    `Scheme was expected to be HTTP or HTTPS but was '${url.protocol}'`,
  );

  const expected: [string, string[]][] = [
    ['spin-raw-component-route', ['/base/:path_segment/:path_end/...']],
    [
      'spin-full-url',
      ['http://example.com/base/path/end/rest?key=value', 'https://example.com/base/path/end/rest?key=value'],
    ],
    ['spin-path-info', ['/rest']],
    ['spin-base-path', ['/']],
    ['spin-component-route', ['/base/:path_segment/:path_end']],
    ['spin-path-match-path-segment', ['path']],
    ['spin-path-match-path-end', ['end']],
    ['spin-matched-route', ['/base/:path_segment/:path_end/...']],
  ];
  // The engine joins repeated headers with ", ", so a header sent twice fails the value check below.
  const actual = new Map<string, string>();
  request.headers.forEach((value, name) => actual.set(name, value));
  for (const [name, values] of expected) {
    const value = actual.get(name);
    ensure(value !== undefined, `expected exactly one header '${name}' but found none`);
    ensure(
      values.includes(value ?? ''),
      `Header ${name} value was expected to be one of ${JSON.stringify(values)} but was '${value}'`,
    );
    actual.delete(name);
  }
  const clientAddr = actual.get('spin-client-addr');
  ensure(
    clientAddr === undefined || isSocketAddr(clientAddr),
    `spin-client-addr header is not a valid SocketAddr: '${clientAddr}'`,
  );
  actual.delete('spin-client-addr');
  for (const name of actual.keys()) {
    ensure(
      !name.startsWith('spin-') && !name.startsWith('spin_'),
      `unexpected special \`spin-*\` header '${name}' found in request`,
    );
  }
  return response(200);
}

// components/key-value: store semantics, and access only to the stores the manifest grants.
function keyValue(): Response {
  ensure(
    failsWith(() => Store.open('forbidden'), 'access-denied'),
    'Store::open("forbidden") is Err(Error::AccessDenied)',
  );
  const store = Store.open('default');
  const get = (key: string): string | undefined => {
    const value = store.get(key);
    return value === undefined ? undefined : decoder.decode(value);
  };

  store.delete('bar');
  ensure(store.exists('bar') === false, 'exists("bar") is Ok(false)');
  ensure(get('bar') === undefined, 'get("bar") is Ok(None)');
  ensure(sameKeys(store.getKeys(), []), 'get_keys() is Ok([])');

  store.set('bar', encoder.encode('baz'));
  ensure(store.exists('bar'), 'exists("bar") is Ok(true)');
  ensure(get('bar') === 'baz', 'get("bar") is Ok(Some(b"baz"))');
  ensure(sameKeys(store.getKeys(), ['bar']), 'get_keys() is Ok(["bar"])');

  store.set('bar', encoder.encode('wow'));
  ensure(store.exists('bar'), 'exists("bar") is Ok(true) after overwrite');
  ensure(get('bar') === 'wow', 'get("bar") is Ok(Some(b"wow"))');
  ensure(sameKeys(store.getKeys(), ['bar']), 'get_keys() is Ok(["bar"]) after overwrite');

  store.set('qux', encoder.encode('yay'));
  ensure(sameKeys(store.getKeys(), ['bar', 'qux']), 'get_keys() holds exactly "bar" and "qux"');

  store.delete('bar');
  store.delete('bar');
  store.delete('qux');
  ensure(store.exists('bar') === false, 'exists("bar") is Ok(false) after delete');
  ensure(get('qux') === undefined, 'get("qux") is Ok(None) after delete');
  ensure(sameKeys(store.getKeys(), []), 'get_keys() is Ok([]) after delete');
  return response(200);
}

// components/sqlite: a round trip through the granted database, and access only to granted databases.
function sqlite(): Response {
  ensure(
    failsWith(() => Connection.open('forbidden'), 'access-denied'),
    'Connection::open("forbidden") is Err(Error::AccessDenied)',
  );
  const conn = Connection.open('default');
  conn.execute('CREATE TABLE IF NOT EXISTS test_data(key TEXT NOT NULL, value TEXT NOT NULL);', []);
  conn.execute("INSERT INTO test_data(key, value) VALUES('my_key', 'my_value');", []);
  const results = conn.execute('SELECT * FROM test_data WHERE key = ?', [{ tag: 'text', val: 'my_key' }]);
  ensure(results.rows.length === 1, 'results.rows.len() == 1');
  ensure(results.columns.length === 2, 'results.columns.len() == 2');
  const row = results.rows[0]?.values ?? [];
  const isText = (value: Value | undefined, text: string): boolean => value?.tag === 'text' && value.val === text;
  ensure(isText(row[results.columns.indexOf('key')], 'my_key'), 'key is Value::Text("my_key")');
  ensure(isText(row[results.columns.indexOf('value')], 'my_value'), 'value is Value::Text("my_value")');
  return response(200);
}

// components/variables: a component variable, an undefined one, and names Spin refuses.
function variables(): Response {
  const variable = attempt(() => getVariable('variable'));
  ensure('ok' in variable && variable.ok === 'value', 'get("variable") is Ok("value")');
  ensure(
    failsWith(() => getVariable('non_existent'), 'undefined'),
    'get("non_existent") is Err(Error::Undefined(_))',
  );
  for (const name of ['invalid-name', 'invalid!name', '4invalidname']) {
    ensure(
      failsWith(() => getVariable(name), 'invalid-name'),
      `get("${name}") is Err(Error::InvalidName(_))`,
    );
  }
  return response(200);
}

// components/outbound-wasi-http-v0.2.0: POST "Hello, world!" to the URL in the `url` header and answer with
// the response (status, headers, body), or with a 500 naming the call that failed.

/** Ends a child resource (a stream, a pollable) before its parent is used again, as wasi:http requires. */
function drop(resource: object): void {
  const dispose = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');
  const method: unknown = (resource as Record<symbol, unknown>)[dispose];
  if (typeof method === 'function') method.call(resource);
}

function schemeOf(protocol: string): Scheme {
  const name = protocol.slice(0, -1);
  return name === 'http' ? { tag: 'HTTP' } : name === 'https' ? { tag: 'HTTPS' } : { tag: 'other', val: name };
}

function outboundHttp(request: Request): Response {
  let url: URL | undefined;
  try {
    url = new URL(request.headers.get('url') ?? '');
  } catch {
    url = undefined;
  }
  if (!url) return response(400, 'missing header: url');

  const content = encoder.encode('Hello, world!');
  const outgoing = new OutgoingRequest(Fields.fromList([['Content-Length', encoder.encode(String(content.length))]]));
  outgoing.setMethod({ tag: 'post' });
  outgoing.setPathWithQuery(url.pathname);
  outgoing.setScheme(schemeOf(url.protocol));
  outgoing.setAuthority(url.host);
  const body = outgoing.body();
  const stream = body.write();
  stream.blockingWriteAndFlush(content);
  drop(stream);
  OutgoingBody.finish(body, undefined);

  let future;
  try {
    future = sendRequest(outgoing, undefined);
  } catch (error) {
    return response(
      500,
      `outgoing-handler/handle: ${rustDebug('ErrorCode', witError(error) ?? { tag: String(error) })}`,
    );
  }
  let result = future.get();
  while (result === undefined) {
    const ready = future.subscribe();
    ready.block();
    drop(ready);
    result = future.get();
  }
  // `err` here means the response was already taken: the Rust component unwraps it (a trap).
  if (result.tag === 'err') throw new Error('future-incoming-response#get: response already taken');
  const got = result.val;
  if (got.tag === 'err') return response(500, `incoming-response#get: ${rustDebug('ErrorCode', got.val as ErrorCode)}`);

  const incoming = got.val;
  const incomingBody = incoming.consume();
  const input = incomingBody.stream();
  const chunks: Uint8Array[] = [];
  for (;;) {
    try {
      chunks.push(input.blockingRead(1024n));
    } catch (error) {
      if (witError(error)?.tag === 'closed') break;
      throw error;
    }
  }
  drop(input);
  const bytes = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
  const headers = new Headers(
    incoming
      .headers()
      .entries()
      .map(([name, value]): [string, string] => [name, decoder.decode(value)]),
  );
  return new Response(bytes.length === 0 ? null : undeclaredLength(bytes), { status: incoming.status(), headers });
}

const COMPONENTS: Record<string, (request: Request) => Response> = {
  'request-shape': requestShape,
  'key-value': keyValue,
  sqlite,
  variables,
  'outbound-wasi-http-v0.2.0': outboundHttp,
};

/** The helper crate's `handle_result`: an error becomes a 500 whose body is the error's Display. */
function handle(request: Request): Response {
  const name = new Map(getEnvironment()).get('CONFORMANCE_COMPONENT') ?? '';
  const component = COMPONENTS[name];
  if (!component) return response(500, `no conformance component '${name}' (set CONFORMANCE_COMPONENT)`);
  try {
    return component(request);
  } catch (error) {
    const variant = witError(error);
    return response(
      500,
      variant ? rustDebug('Error', variant) : error instanceof Error ? error.message : String(error),
    );
  }
}

/** The engine's fetch event; the DOM and WebWorker libs both lack it for this global. */
interface FetchEvent extends Event {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
const onFetch = (event: FetchEvent) => event.respondWith(handle(event.request));
addEventListener('fetch', onFetch as unknown as EventListener);
