/** Behaviour every data component shares: methods, unknown paths, problem+json. */
import { expect, it } from 'vitest';
import { readProblem, type ServiceTarget } from './target';

export interface HttpContractOptions {
  /** A path of the component that answers 200 to GET. */
  readablePath: string;
  /** A path under the component's route that matches nothing. */
  unknownPath: string;
  /** SQL that counts the rows a write would change, to prove a rejected request changed nothing. */
  countSql: () => number;
}

export function httpContract(getTarget: () => ServiceTarget, options: HttpContractOptions): void {
  it('answers HEAD like GET, without a body', async () => {
    const get = await getTarget().fetch(options.readablePath);
    const head = await getTarget().fetch(options.readablePath, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await head.text()).toBe('');
  });

  it('answers OPTIONS with the allowed methods', async () => {
    const response = await getTarget().fetch(options.readablePath, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('rejects %s with 405, an Allow header, and changes nothing', async (method) => {
    const before = options.countSql();
    const response = await getTarget().fetch(options.readablePath, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'DELETE' ? null : '{"id":"new","name":"New"}',
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const problem = await readProblem(response);
    expect(problem).toMatchObject({ status: 405, title: 'Method not allowed', type: 'urn:aggregates-dashboard:problem:method-not-allowed' });
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
      detail: `No resource at ${options.unknownPath}.`,
      instance: options.unknownPath,
    });
  });
}
