/**
 * The desk's script reads every answer with the contract's schema (gateway/desk/web/api.ts): an answer of another
 * shape — a proxy's page, a gateway of another release behind the same address — reaches the clerk as a clear
 * problem naming the fields, never as a half-read split; a problem document keeps its code and fields.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ProblemError } from '../../gateway/desk/web/api.js';

function answerWith(status: number, body: string, type = 'application/json'): void {
  vi.stubGlobal('fetch', async () => new Response(body, { status, headers: { 'content-type': type } }));
}

async function problemOf(call: Promise<unknown>): Promise<ProblemError> {
  const error = await call.then(() => null, (e: unknown) => e);
  if (!(error instanceof ProblemError)) throw new Error(`expected a ProblemError, got ${String(error)}`);
  return error;
}

describe('the desk reads answers by their schema', () => {
  afterEach(() => { vi.unstubAllGlobals(); });

  it('takes an answer of the contract\'s shape', async () => {
    answerWith(200, JSON.stringify({ hospitals: [{ id: 'H1', name: '第一医院' }] }));
    expect(await api.hospitals('token')).toEqual({ hospitals: [{ id: 'H1', name: '第一医院' }] });
  });

  it('refuses an answer of another shape, naming each field it could not read', async () => {
    answerWith(200, JSON.stringify({ hospitals: [{ id: 7 }, { name: '无编号' }] }));
    const { problem } = await problemOf(api.hospitals('token'));
    expect(problem.title).toBe('答复格式不符');
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['hospitals.0.id', 'hospitals.1.id']);
  });

  it('refuses an answer that is not JSON at all (a proxy\'s page)', async () => {
    answerWith(200, '<html>gateway maintenance</html>', 'text/html');
    expect((await problemOf(api.hospitals('token'))).problem.title).toBe('答复格式不符');
  });

  it('keeps a problem document\'s code and fields, under the desk\'s own title for the status', async () => {
    answerWith(400, JSON.stringify({ type: 'about:blank', code: 'INVALID_REQUEST', title: 'bad', status: 400, errors: [{ path: 'items.0.amount', message: '应为金额' }] }), 'application/problem+json');
    const { problem } = await problemOf(api.hospitals('token'));
    expect(problem).toMatchObject({ code: 'INVALID_REQUEST', title: '输入有误', status: 400, errors: [{ path: 'items.0.amount', message: '应为金额' }] });
  });

  it('tells a status alone when the error answer is no problem document', async () => {
    answerWith(502, '<html>Bad Gateway</html>', 'text/html');
    expect((await problemOf(api.hospitals('token'))).problem).toMatchObject({ status: 502, errors: [] });
  });
});
