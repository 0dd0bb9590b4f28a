/**
 * Bad input at scale, on the three real Wasm components on the local runtime: a few hundred seeded random
 * requests (methods, paths, ids, limits, query strings, headers, bodies). For each one an oracle works out
 * from the request alone what the app must answer (the route, the `x-budget-ms` rule, the method, the
 * percent-decoding, the id and limit rules, the data), and the answer is checked against it:
 *
 * - no 5xx, except `504` for a request whose `x-budget-ms` is already spent, and a dashboard whose caller
 *   gave it a tiny budget (a partial `200` or a `502`/`504`, as the failure policy says);
 * - every error under a component's route is problem+json with `type`, `title`, `status` (the HTTP status),
 *   `detail` and `instance`; `405` carries `Allow`; paths outside the routes get the runtime's own `404`;
 * - `HEAD` answers have no body; `200`s are JSON with an ETag, the same bytes for the same resource;
 *   `304` only for a matching `If-None-Match`; `x-request-id` is echoed when usable;
 * - afterwards every table holds exactly the rows it held before, and the dashboard is the same bytes.
 *
 * Reproduce a failure with the seed it prints: `FUZZ_SEED=<seed> npx vitest run tests/e2e/fuzz.test.ts`
 * (`FUZZ_COUNT` changes the number of requests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlText } from '../support/sqlite';
import { removeStateDir, startApp, type AppRuntime } from './app-runtime';
import { createFuzzInputs, type FuzzRequest } from './fuzz-inputs';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611) >>> 0;
const COUNT = Number(process.env.FUZZ_COUNT ?? 400);
const CONCURRENCY = 8;
/** A dashboard caller budget below this may run out: then a partial 200, or 502/504, is a correct answer. */
const SMALL_BUDGET_MS = 1000;
const ALLOW = 'GET, HEAD, OPTIONS';
const HEALTH_PATH = '/.well-known/spin/health';
const PROBLEM = 'urn:aggregates-dashboard:problem:';
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Awkward ids, loaded with plain SQL before the run: quotes, SQL, emoji, `%`, `/`, the 200-character limit, case twins. */
const EXTRA_CUSTOMER_IDS = ['fuzz-case-a', 'FUZZ-CASE-A', "O'Brien/1", 'emoji-😀-id', "'; DROP TABLE Customers;--", '100%', 'a b', 'Ünïcode-ß', 'x'.repeat(200), '?#&', 'é'.repeat(200)];
const EXTRA_INCIDENT_IDS = ['inc-😀', "inc-'quote", 'INC-case', 'inc-case', '%2F', 'Zürich/1', 'ǅ-title', "'); DELETE FROM Incidents;--"];

type Expectation =
  | { kind: 'runtime'; status: 200 | 404 }
  | { kind: 'problem'; status: number; code: string }
  | { kind: 'options' }
  /** A 200 (or 304): `key` names the resource, so every answer for it must be the same bytes. */
  | { kind: 'ok'; key: string; check: (body: unknown) => string | null }
  | { kind: 'dashboard'; smallBudget: boolean };

interface Data {
  customerIds: string[];
  incidentIds: string[];
  customerCount: number;
  incidentNameCount: number;
}

/** SQLite's NOCASE: ASCII letters only. */
const foldAscii = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
/** The first of `ids` in binary (code point) order that equals `id` ignoring ASCII case, as the components pick it. */
function lookup(ids: readonly string[], id: string): string | undefined {
  const matches = ids.filter((candidate) => foldAscii(candidate) === foldAscii(id));
  const codePoints = (text: string) => Array.from(text, (c) => c.codePointAt(0) ?? 0);
  return matches.sort((a, b) => {
    const [x, y] = [codePoints(a), codePoints(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
    return x.length - y.length;
  })[0];
}

const budgetOf = (headers: Headers): number | null => {
  const raw = headers.get('x-budget-ms');
  return raw !== null && /^-?[0-9]{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : null;
};

/** If-None-Match against an ETag, as RFC 9110 (weak comparison) and common/src/etag.ts have it. */
function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

const isArrayOfLength = (length: number) => (body: unknown) =>
  Array.isArray(body) && body.length === length ? null : `expected an array of ${length}, got ${JSON.stringify(body).slice(0, 120)}`;

/** What the app must answer to `request`, worked out from the request alone. */
function expectationFor(request: Request, data: Data): Expectation {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === HEALTH_PATH) return { kind: 'runtime', status: 200 };
  const component = ['customers', 'incidents', 'aggregates'].find((name) => path === `/${name}` || path.startsWith(`/${name}/`));
  if (component === undefined) return { kind: 'runtime', status: 404 };

  const budget = budgetOf(request.headers);
  if (budget !== null && budget <= 0) return { kind: 'problem', status: 504, code: 'gateway-timeout' };

  // The components' route tables, matched the way itty-router does (one segment per parameter, trailing slashes ignored).
  const routes: Array<[RegExp, string]> = {
    customers: [
      [/^\/customers\/items\/*$/, 'customers-list'],
      [/^\/customers\/items\/([^/]+?)\/*$/, 'customer'],
      [/^\/customers\/count\/*$/, 'customers-count'],
      [/^\/customers\/top\/([^/]+?)\/*$/, 'customers-top'],
    ] as Array<[RegExp, string]>,
    incidents: [
      [/^\/incidents\/items\/*$/, 'incidents-list'],
      [/^\/incidents\/items\/([^/]+?)\/*$/, 'incident'],
      [/^\/incidents\/grouped-by-customer\/*$/, 'incidents-grouped'],
      [/^\/incidents\/top\/by-count\/([^/]+?)\/*$/, 'incidents-by-count'],
      [/^\/incidents\/top\/by-volume\/([^/]+?)\/*$/, 'incidents-by-volume'],
    ] as Array<[RegExp, string]>,
    aggregates: [[/^\/aggregates\/dashboard\/*$/, 'dashboard']] as Array<[RegExp, string]>,
  }[component as 'customers' | 'incidents' | 'aggregates'];
  let route: string | undefined;
  let raw: string | undefined;
  for (const [pattern, name] of routes) {
    const match = pattern.exec(path);
    if (match) {
      route = name;
      raw = match[1];
      break;
    }
  }
  if (route === undefined) return { kind: 'problem', status: 404, code: 'not-found' };
  if (request.method === 'OPTIONS') return { kind: 'options' };
  if (request.method !== 'GET' && request.method !== 'HEAD') return { kind: 'problem', status: 405, code: 'method-not-allowed' };

  let param = '';
  if (raw !== undefined) {
    try {
      param = decodeURIComponent(raw);
    } catch {
      return { kind: 'problem', status: 400, code: 'invalid-path' };
    }
  }
  switch (route) {
    case 'customer':
    case 'incident': {
      // eslint-disable-next-line no-control-regex
      if (param.length === 0 || param.length > 200 || /[\u0000-\u001f\u007f]/.test(param)) return { kind: 'problem', status: 400, code: 'invalid-id' };
      const found = lookup(route === 'customer' ? data.customerIds : data.incidentIds, param);
      if (found === undefined) return { kind: 'problem', status: 404, code: 'not-found' };
      return {
        kind: 'ok',
        key: `${route}:${found}`,
        check: (body) => (typeof body === 'object' && body !== null && 'id' in body && body.id === found ? null : `expected the row with id ${JSON.stringify(found)}`),
      };
    }
    case 'customers-top':
    case 'incidents-by-count':
    case 'incidents-by-volume': {
      if (!/^[0-9]{1,7}$/.test(param) || Number(param) < 1 || Number(param) > 1000) return { kind: 'problem', status: 400, code: 'invalid-limit' };
      const rows = route === 'customers-top' ? data.customerCount : data.incidentNameCount;
      return { kind: 'ok', key: `${route}:${Number(param)}`, check: isArrayOfLength(Math.min(Number(param), rows)) };
    }
    case 'dashboard': {
      for (const [name, allowed] of [
        ['strategy', ['pushdown', 'naive']],
        ['policy', ['partial', 'strict']],
      ] as const) {
        const value = url.searchParams.get(name);
        if (value !== null && !(allowed as readonly string[]).includes(value)) return { kind: 'problem', status: 400, code: 'invalid-query' };
      }
      return { kind: 'dashboard', smallBudget: budget !== null && budget < SMALL_BUDGET_MS };
    }
    default:
      return { kind: 'ok', key: route, check: (body) => (typeof body === 'object' && body !== null ? null : 'expected a JSON object or array') };
  }
}

describe('fuzz: random bad input to the three real Wasm components on the local runtime', () => {
  let app: AppRuntime;
  let data: Data;
  let snapshotBefore: string;
  let dashboardBefore: { text: string; etag: string };
  const knownEtags: string[] = [];

  /** Every table and the schema, row by row, in a fixed order. */
  function snapshot(): string {
    const tables = app.db.database.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    const dump: Record<string, unknown> = { schema: app.db.database.query('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name') };
    for (const { name } of tables) {
      const columns = app.db.database.query(`SELECT name FROM pragma_table_xinfo(${sqlText(String(name))})`).length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      dump[String(name)] = app.db.database.query(`SELECT * FROM "${String(name)}" ORDER BY ${order}`);
    }
    return JSON.stringify(dump, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value), 1);
  }

  async function dashboard(): Promise<{ text: string; etag: string }> {
    const response = await app.spin.fetch('/aggregates/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers.get('dashboard-incomplete')).toBeNull();
    return { text: await response.text(), etag: response.headers.get('etag') ?? '' };
  }

  beforeAll(async () => {
    app = await startApp({ variables: { cache_ttl_ms: '0' } });
    app.db.exec(
      [
        ...EXTRA_CUSTOMER_IDS.map((id, i) => `INSERT INTO Customers (Id, Name, City, Country, Scoring) VALUES (${sqlText(id)}, ${sqlText(`Fuzz ${id.slice(0, 20)}`)}, 'c', 'c', ${i % 4});`),
        ...EXTRA_INCIDENT_IDS.map((id, i) => `INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES (${sqlText(id)}, ${i * 10.25}, ${sqlText(i % 2 ? 'Zürich Präzision AG' : `Fuzz ${id}`)}, 'F');`),
      ].join('\n'),
    );
    const column = (sql: string) => app.db.database.query(sql).map((row) => String(Object.values(row)[0]));
    data = {
      customerIds: column('SELECT Id FROM Customers'),
      incidentIds: column('SELECT Id FROM Incidents'),
      customerCount: Number(column('SELECT COUNT(*) FROM Customers')[0]),
      incidentNameCount: Number(column('SELECT COUNT(*) FROM IncidentTotals')[0]),
    };
    snapshotBefore = snapshot();
    dashboardBefore = await dashboard();
    for (const path of ['/customers/count', '/incidents/top/by-count/5', `/customers/items/${encodeURIComponent(data.customerIds[0] ?? '')}`]) {
      knownEtags.push((await app.spin.fetch(path)).headers.get('etag') ?? '"missing"');
    }
    knownEtags.push(dashboardBefore.etag);
  });

  afterAll(async () => {
    await app.dispose();
    removeStateDir(app.stateDir);
  });

  it(`answers ${COUNT} random requests (seed ${SEED}) without a 5xx, every error as problem+json, and changes no data`, { timeout: 180_000 }, async () => {
    const next = createFuzzInputs(SEED, { customers: data.customerIds, incidents: data.incidentIds }, knownEtags);
    const inputs = Array.from({ length: COUNT }, (_, i) => next(i));
    const failures: string[] = [];
    /** The first body and ETag seen per resource: the same data must give the same bytes. */
    const seen = new Map<string, { text: string | null; etag: string }>([['dashboard', { text: dashboardBefore.text, etag: dashboardBefore.etag }]]);
    const statuses = new Map<number, number>();

    async function run(input: FuzzRequest): Promise<void> {
      let request: Request;
      try {
        request = new Request(new URL(input.path, 'http://localhost'), { method: input.method, headers: input.headers, body: input.body });
      } catch (error) {
        // The generator's fault, not the app's: every input must be a request a client can send.
        failures.push(`  [seed ${SEED} #${input.index}] ${input.method} ${JSON.stringify(input.path)} headers=${JSON.stringify(input.headers)}: not a valid Request: ${String(error)}`);
        return;
      }
      const expected = expectationFor(request, data);
      const ifNoneMatch = request.headers.get('if-none-match');
      const head = request.method === 'HEAD';
      let response: Response;
      try {
        response = await app.spin.fetch(request);
      } catch (error) {
        failures.push(describeFailure(input, request, null, '', `fetch threw: ${String(error)}`));
        return;
      }
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const problems: string[] = [];
      const check = (ok: boolean, message: string) => {
        if (!ok) problems.push(message);
      };
      const contentType = response.headers.get('content-type');
      if (head) check(text === '', 'HEAD answer has a body');
      if (response.status === 304) check(ifNoneMatch !== null, '304 without If-None-Match');
      check(response.status < 500 || (expected.kind === 'problem' && expected.status === 504) || (expected.kind === 'dashboard' && expected.smallBudget), `5xx not allowed here`);

      const checkProblem = (status: number, code?: string) => {
        check(response.status === status, `expected status ${status}${code ? ` (${code})` : ''}`);
        check(contentType === 'application/problem+json', `expected application/problem+json, got ${contentType}`);
        if (response.status === 405) check(response.headers.get('allow') === ALLOW, `405 with Allow ${response.headers.get('allow')}`);
        if (head) return;
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          problems.push('problem body is not JSON');
          return;
        }
        const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
        check(typeof problem.type === 'string' && (code === undefined || problem.type === `${PROBLEM}${code}`), `problem type ${String(problem.type)}`);
        check(typeof problem.title === 'string' && problem.title !== '', 'problem title');
        check(problem.status === response.status, `problem status ${String(problem.status)} is not the HTTP status`);
        check(typeof problem.detail === 'string', 'problem detail');
        check(problem.instance === new URL(request.url).pathname, `problem instance ${JSON.stringify(problem.instance)}`);
      };

      /** A 200 (or a 304 for a matching If-None-Match) of the resource `key`. */
      const checkOk = (key: string, body: (value: unknown) => string | null) => {
        const etag = response.headers.get('etag');
        check(etag !== null, 'no ETag on a 200/304');
        if (response.status === 304) {
          check(ifNoneMatch !== null && etag !== null && ifNoneMatchMatches(ifNoneMatch, etag), `304 although If-None-Match does not match ${etag}`);
          check(text === '', '304 with a body');
        } else {
          check(response.status === 200, 'expected 200');
          check(contentType === 'application/json', `expected application/json, got ${contentType}`);
          check(ifNoneMatch === null || etag === null || !ifNoneMatchMatches(ifNoneMatch, etag), `200 although If-None-Match matches ${etag}`);
          if (!head && response.status === 200) {
            try {
              const problem = body(JSON.parse(text));
              if (problem !== null) problems.push(problem);
            } catch {
              problems.push('200 body is not JSON');
            }
          }
        }
        if (etag === null || (response.status !== 200 && response.status !== 304)) return;
        const before = seen.get(key);
        const current = { text: !head && response.status === 200 ? text : null, etag };
        if (before === undefined) seen.set(key, current);
        else {
          check(before.etag === etag, `ETag ${etag} differs from the earlier ${before.etag} for the same resource`);
          if (before.text !== null && current.text !== null) check(before.text === current.text, 'body differs from the earlier answer for the same resource');
          if (before.text === null) before.text = current.text;
        }
      };

      if (expected.kind !== 'runtime') {
        const sent = request.headers.get('x-request-id');
        const echoed = response.headers.get('x-request-id') ?? '';
        check(sent !== null && REQUEST_ID.test(sent) ? echoed === sent : /^[0-9a-f]{32}$/.test(echoed), `x-request-id echoed as ${JSON.stringify(echoed)}`);
      }
      switch (expected.kind) {
        case 'runtime':
          check(response.status === expected.status, `expected the runtime's own ${expected.status}`);
          check(contentType?.startsWith('text/plain') ?? false, `expected text/plain from the runtime, got ${contentType}`);
          break;
        case 'problem':
          checkProblem(expected.status, expected.code);
          break;
        case 'options':
          check(response.status === 204, 'expected 204 for OPTIONS');
          check(response.headers.get('allow') === ALLOW, `OPTIONS with Allow ${response.headers.get('allow')}`);
          check(text === '', '204 with a body');
          break;
        case 'ok':
          checkOk(expected.key, expected.check);
          break;
        case 'dashboard': {
          const incomplete = response.headers.get('dashboard-incomplete') ?? response.headers.get('dashboard-stale');
          if (expected.smallBudget && (response.status === 502 || response.status === 504)) checkProblem(response.status);
          else if (expected.smallBudget && response.status === 200 && incomplete !== null) {
            // The budget ran out for some part: the sections that made it, plus `errors`.
            check(contentType === 'application/json', `expected application/json, got ${contentType}`);
            check(response.headers.get('cache-control') === 'no-store' && response.headers.get('etag') === null, 'a partial dashboard must be no-store, without ETag');
            if (!head) check(/"errors":\[\{/.test(text), 'a partial dashboard without errors');
          } else {
            check(incomplete === null, `dashboard incomplete without a reason: ${incomplete}`);
            checkOk('dashboard', () => (text === dashboardBefore.text ? null : 'the dashboard differs from the one before the run'));
          }
          break;
        }
      }
      if (problems.length > 0) failures.push(describeFailure(input, request, response, text, problems.join('; ')));
    }

    let cursor = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (cursor < inputs.length) {
          const input = inputs[cursor++];
          if (input) await run(input);
        }
      }),
    );

    const summary = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`).join(', ');
    const report = `${failures.length} of ${COUNT} answers were wrong (seed ${SEED}, reproduce with FUZZ_SEED=${SEED}; statuses ${summary}):\n${failures.slice(0, 15).join('\n')}`;
    expect.soft(failures.length, report).toBe(0);

    // Nothing the run sent changed a row, the schema, or the dashboard.
    expect.soft(snapshot(), `the database changed during the run (seed ${SEED})`).toBe(snapshotBefore);
    expect.soft(await dashboard(), `the dashboard changed during the run (seed ${SEED})`).toEqual(dashboardBefore);
  });
});

function describeFailure(input: FuzzRequest, request: Request, response: Response | null, text: string, problem: string): string {
  const body = input.body === null ? '' : ` body=${typeof input.body === 'string' ? JSON.stringify(input.body.slice(0, 80)) : `<${input.body.length} bytes>`}`;
  const answer = response === null ? '' : ` -> ${response.status} ${response.headers.get('content-type') ?? '-'} ${JSON.stringify(text.slice(0, 200))}`;
  return `  [seed ${SEED} #${input.index}] ${request.method} ${JSON.stringify(input.path)} (sent as ${new URL(request.url).pathname}${new URL(request.url).search}) headers=${JSON.stringify(input.headers)}${body}${answer}: ${problem}`;
}
