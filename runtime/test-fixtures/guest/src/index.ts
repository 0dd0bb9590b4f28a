// One multipurpose guest for the runtime's end-to-end tests and benchmark. Building a component costs ~10 s,
// so the fixture spin.toml declares this single Wasm several times under different ids and permissions, and
// the behaviour is chosen by the path after the component's route (the `spin-path-info` header).
// Spin's interfaces are called through their WIT bindings directly (types in ../../types/fermyon-spin.d.ts),
// so that tests see exactly what the host answers.
import { infer } from 'fermyon:spin/llm@2.0.0';
import { Connection, type Value } from 'fermyon:spin/sqlite@2.0.0';
import { Store } from 'fermyon:spin/key-value@2.0.0';
import { get as getVariable } from 'fermyon:spin/variables@2.0.0';

type Handler = (request: Request, query: URLSearchParams) => Promise<Response> | Response;

const json = (body: unknown, status = 200): Response =>
  new Response(
    JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value)),
    {
      status,
      headers: { 'content-type': 'application/json' },
    },
  );

/** Rows keyed by column name, values untagged: the shape tests compare against. */
function execute(
  label: string,
  sql: string,
  params: Value[] = [],
): { columns: string[]; rows: Record<string, unknown>[] } {
  const { columns, rows } = Connection.open(label).execute(sql, params);
  return {
    columns,
    rows: rows.map(({ values }) =>
      Object.fromEntries(
        columns.map((column, i) => {
          const v = values[i];
          return [column, v && v.tag !== 'null' ? v.val : null];
        }),
      ),
    ),
  };
}

const text = (val: string): Value => ({ tag: 'text', val });

/** `variables.get`, with "not declared" as `null` (the WIT error `undefined`). */
function variable(name: string): string | null {
  try {
    return getVariable(name);
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'payload' in error) return null;
    throw error;
  }
}

/** Host errors reach the guest as Errors carrying the WIT error variant in `payload`: show both. */
const message = (error: unknown): string => {
  const payload =
    typeof error === 'object' && error !== null && 'payload' in error ? ` ${JSON.stringify(error.payload)}` : '';
  return `${error instanceof Error ? error.message : String(error)}${payload}`;
};

/**
 * Runs `fetch` and reports the outcome as data, so a test can tell a denied call from a failed one.
 * `header=name:value` (repeatable) is set on the outgoing request; `timeout=MS` gives up on the call after
 * that long and answers `{ timedOut: true }`, as a caller with a per-call time limit does.
 */
async function callOut(url: string, query: URLSearchParams): Promise<Response> {
  const headers = new Headers();
  for (const pair of query.getAll('header')) {
    const colon = pair.indexOf(':');
    headers.append(pair.slice(0, colon), pair.slice(colon + 1));
  }
  const call = (async () => {
    const response = await fetch(url, { headers });
    return json({ status: response.status, body: await response.text() });
  })();
  const timeout = query.get('timeout');
  try {
    if (timeout === null) return await call;
    const gaveUp = new Promise<Response>((resolve) =>
      setTimeout(() => resolve(json({ timedOut: true })), Number(timeout)),
    );
    return await Promise.race([call, gaveUp]);
  } catch (error) {
    return json({ error: message(error) }, 502);
  }
}

/** Module state: a fresh instance per request must always start from the build-time snapshot. */
let hits = 0;
const retained: string[] = [];

const handlers: Record<string, Handler> = {
  // `hits` is 1 on every request, and `retained` empty, unless an instance (or its memory) leaked across.
  '/state': (_request, query) => {
    hits += 1;
    const before = retained.length;
    // `grow=MB` allocates that much and keeps it, so the instance's memory grows past its initial size.
    const megabytes = Number(query.get('grow') ?? '0');
    for (let i = 0; i < megabytes; i++) retained.push('x'.repeat(1024 * 1024 - i));
    return json({ hits, retainedBefore: before, retained: retained.reduce((sum, s) => sum + s.length, 0) });
  },
  // A new buffer must read as zeros: counts the bytes that do not, then fills it with `fill`. Memory that an
  // earlier request dirtied and the host failed to clear would show up here as non-zero bytes.
  '/zeroed': (_request, query) => {
    const buffer = new Uint8Array(Number(query.get('kb') ?? '1024') * 1024);
    const nonZero = buffer.reduce((count, byte) => count + (byte === 0 ? 0 : 1), 0);
    buffer.fill(Number(query.get('fill') ?? '171'));
    return json({ nonZero, size: buffer.length });
  },
  '/echo': async (request) =>
    json({
      url: request.url,
      method: request.method,
      headers: Object.fromEntries(request.headers.entries()),
      body: await request.text(),
    }),
  '/db/count': () => json(execute('default', 'SELECT count(*) AS n FROM items').rows[0]),
  '/db/insert': (_request, query) =>
    json(
      execute('default', 'INSERT INTO items (name) VALUES (?) RETURNING id', [text(query.get('name') ?? '')]).rows[0],
      201,
    ),
  '/db/query': (_request, query) => {
    try {
      return json(execute(query.get('label') ?? 'default', query.get('sql') ?? ''));
    } catch (error) {
      return json({ error: message(error) }, 500);
    }
  },
  // Several statements in one request (`sql`, repeatable, run in order on one connection), each answered with
  // its rows or its error, a failed one not stopping the next: what one statement leaves on the connection
  // (a PRAGMA, a busy handler) is what the next one runs with.
  '/db/batch': (_request, query) => {
    const label = query.get('label') ?? 'default';
    return json(
      query.getAll('sql').map((sql) => {
        try {
          return execute(label, sql);
        } catch (error) {
          return { error: message(error) };
        }
      }),
    );
  },
  '/kv/get': (_request, query) => {
    const value = Store.open('default').get(query.get('key') ?? '');
    return json({ value: value ? new TextDecoder().decode(value) : null });
  },
  '/kv/set': (_request, query) => {
    Store.open('default').set(query.get('key') ?? '', new TextEncoder().encode(query.get('value') ?? ''));
    return json({ ok: true });
  },
  '/kv/open': (_request, query) => {
    try {
      Store.open(query.get('label') ?? 'default').getKeys();
      return json({ ok: true });
    } catch (error) {
      return json({ error: message(error) }, 500);
    }
  },
  '/var': (_request, query) => json({ value: variable(query.get('name') ?? '') }),
  '/fetch': (_request, query) => callOut(query.get('url') ?? '', query),
  '/chain': (_request, query) =>
    callOut(`http://${query.get('to') ?? ''}.spin.internal${query.get('path') ?? '/'}`, query),
  // Several chained calls at once: proves the host does not serialise them or deadlock.
  '/fanout': async (_request, query) => {
    const targets = (query.get('to') ?? '').split(',').filter((t) => t !== '');
    const path = query.get('path') ?? '/';
    const results = await Promise.all(
      targets.map(async (to) => {
        const response = await fetch(`http://${to}.spin.internal${path}`);
        return { to, status: response.status, body: await response.text() };
      }),
    );
    return json(results);
  },
  // Regression guests for the memory-growth trap of componentize-js < 0.17 (README, "Toolchain"): each makes
  // the guest's linear memory grow, then calls Spin again.
  // One `execute` returning `rows` rows (default 100,000), then more SQLite, key-value and variables calls.
  '/grow/rows': (_request, query) => {
    const wanted = Number(query.get('rows') ?? '100000');
    const { rows } = execute(
      'default',
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x, 'name-' || x AS name FROM c",
      [{ tag: 'integer', val: BigInt(wanted) }],
    );
    const last = rows[rows.length - 1];
    const after = execute('default', 'SELECT count(*) AS n FROM items').rows[0];
    Store.open('default').set('grow-check', new TextEncoder().encode(String(rows.length)));
    const stored = new TextDecoder().decode(Store.open('default').get('grow-check'));
    return json({ rows: rows.length, last, itemsAfter: after?.n, stored, greeting: variable('greeting') });
  },
  // Allocates `mb` MB (default 16) and keeps it, then calls variables, SQLite and key-value.
  '/grow/alloc': (_request, query) => {
    const megabytes = Number(query.get('mb') ?? '16');
    const before = variable('greeting');
    const block = new Uint8Array(megabytes * 1024 * 1024).fill(7);
    const after = variable('greeting');
    const items = execute('default', 'SELECT count(*) AS n FROM items').rows[0];
    const stored = Store.open('default').get('missing-key') ?? null;
    return json({
      allocated: block.length,
      checksum: block[block.length - 1],
      before,
      after,
      itemsAfter: items?.n,
      stored,
    });
  },
  '/sleep': async (_request, query) => {
    await new Promise((resolve) => setTimeout(resolve, Number(query.get('ms') ?? '10')));
    return json({ slept: true });
  },
  // A guest that never yields: the host must stop it with its request time limit.
  '/spin': () => {
    for (;;) {
      // busy loop on purpose
    }
  },
  // Any answer a test wants to see the host cope with: `status`, `header=name:value` (repeatable, the value
  // as sent, control characters included), `body` (text) or `bodyBytes=N` (N bytes of `x`).
  '/respond': (_request, query) => {
    const headers: [string, string][] = query.getAll('header').map((pair) => {
      const colon = pair.indexOf(':');
      return [pair.slice(0, colon), pair.slice(colon + 1)];
    });
    const bytes = query.get('bodyBytes');
    const body = bytes === null ? (query.get('body') ?? '') : 'x'.repeat(Number(bytes));
    const status = Number(query.get('status') ?? '200');
    try {
      return new Response(status === 204 || status === 304 ? null : body, { status, headers });
    } catch (error) {
      return json({ refusedByGuest: message(error) }, 500);
    }
  },
  '/status': (_request, query) => {
    const status = Number(query.get('code') ?? '200');
    return new Response(status === 204 || status === 304 ? null : 'status', { status });
  },
};

async function handle(request: Request): Promise<Response> {
  const pathInfo = request.headers.get('spin-path-info') ?? '';
  const query = new URL(request.url).searchParams;
  const handler = handlers[pathInfo];
  if (pathInfo === '/trap') trap();
  if (pathInfo === '/throw') throw new Error('guest threw');
  return handler
    ? handler(request, query)
    : (handlers['/echo']?.(request, query) ?? new Response('no echo', { status: 500 }));
}

/**
 * A real trap, which the guest's own code cannot catch: the local runtime implements no LLM host, so the
 * call fails inside the host import and unwinds the whole Wasm stack (a JS exception, by contrast, would be
 * turned into a 500 by the guest's engine itself).
 */
function trap(): void {
  infer('llama2-chat', 'trap, please', undefined);
}

// The WebWorker lib types `addEventListener` for a dedicated worker, which has no `fetch` event.
const onFetch = (event: FetchEvent) => event.respondWith(handle(event.request));
addEventListener('fetch', onFetch as unknown as EventListener);
