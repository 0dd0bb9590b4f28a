/** Behaviour every data component shares: methods per route, unknown paths, problem+json. */
import { expect, it } from 'vitest';
import { readProblem, type ServiceTarget } from './target';

export interface HttpContractOptions {
  /** A read-only path of the component that answers 200 to GET. */
  readablePath: string;
  /**
   * Every route of the component, as an example path, with the `Allow` header it must answer: OPTIONS gets
   * it with 204, and each of POST, PUT, PATCH, DELETE it does not list gets 405 with it.
   */
  routes: Record<string, string>;
  /** A path under the component's route that matches nothing. */
  unknownPath: string;
  /** SQL that counts the rows a write would change, to prove a rejected request changed nothing. */
  countSql: () => number;
}

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

export function httpContract(getTarget: () => ServiceTarget, options: HttpContractOptions): void {
  const routes = Object.entries(options.routes);
  const refused = routes.flatMap(([path, allow]) =>
    WRITE_METHODS.filter((method) => !allow.split(', ').includes(method)).map(
      (method) => [method, path, allow] as const,
    ),
  );

  it('answers HEAD like GET, without a body', async () => {
    const get = await getTarget().fetch(options.readablePath);
    const head = await getTarget().fetch(options.readablePath, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await head.text()).toBe('');
  });

  it.each(routes)(
    'evaluates If-Match on GET and HEAD of %s before If-None-Match: 412 unless "*" or its strong ETag; a 404 stays a 404',
    async (path) => {
      const target = getTarget();
      const plain = await target.fetch(path);
      const etag = plain.headers.get('etag');
      const before = options.countSql();
      if (plain.status === 404) {
        for (const tag of ['*', '"1"'])
          expect((await target.fetch(path, { headers: { 'if-match': tag } })).status, `If-Match: ${tag}`).toBe(404);
        return;
      }
      expect(plain.status).toBe(200);
      expect(etag, 'the ETag of a 200').toMatch(/^"[^"]*"$/);
      const current = etag ?? '';
      for (const method of ['GET', 'HEAD']) {
        for (const tag of ['"not-the-tag"', `W/${current}`, `"x", W/${current}`]) {
          for (const extra of [{}, { 'if-none-match': current }] as Record<string, string>[]) {
            const refused = await target.fetch(path, { method, headers: { 'if-match': tag, ...extra } });
            expect({ method, tag, extra, status: refused.status }).toEqual({ method, tag, extra, status: 412 });
            if (method === 'GET') {
              expect(await readProblem(refused)).toMatchObject({
                status: 412,
                type: 'urn:aggregates-dashboard:problem:precondition-failed',
                currentETag: current,
              });
            } else {
              expect(await refused.text()).toBe('');
            }
          }
        }
        for (const tag of [current, '*', `"x", ${current}`]) {
          const passed = await target.fetch(path, { method, headers: { 'if-match': tag } });
          expect({ method, tag, status: passed.status, etag: passed.headers.get('etag') }).toEqual({
            method,
            tag,
            status: 200,
            etag: current,
          });
          if (method === 'GET') expect(await passed.text()).toBe(await (await target.fetch(path)).text());
          const notModified = await target.fetch(path, {
            method,
            headers: { 'if-match': tag, 'if-none-match': current },
          });
          expect({ method, tag, status: notModified.status }).toEqual({ method, tag, status: 304 });
        }
      }
      expect(options.countSql()).toBe(before);
    },
  );

  it.each(routes)('answers OPTIONS %s with Allow: %s', async (path, allow) => {
    const response = await getTarget().fetch(path, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe(allow);
  });

  it('keeps some routes read-only, so the 405 cases below test something', () => {
    expect(refused.length).toBeGreaterThanOrEqual(WRITE_METHODS.length);
  });

  it.each(refused)('rejects %s %s with 405, Allow: %s, and changes nothing', async (method, path, allow) => {
    const before = options.countSql();
    const response = await getTarget().fetch(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'DELETE' ? null : '{"id":"new","name":"New"}',
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    const problem = await readProblem(response);
    expect(problem).toMatchObject({
      status: 405,
      title: 'Method not allowed',
      type: 'urn:aggregates-dashboard:problem:method-not-allowed',
    });
    expect(problem.detail).toContain(method);
    expect(options.countSql()).toBe(before);
  });

  it('answers an unknown path with 404 problem+json', async () => {
    const response = await getTarget().fetch(options.unknownPath);
    expect(response.status).toBe(404);
    const problem = await readProblem(response);
    expect(problem).toEqual({
      type: 'urn:aggregates-dashboard:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: `No operation of this app answers ${options.unknownPath}; they are all listed at /aggregates/openapi.json.`,
      instance: options.unknownPath,
    });
  });
}
