/** The desk's only door to the gateway: the public /v1 API, with the clerk's token as a bearer header. */
import type * as z from 'zod';
import { dayList, hospitalsAnswer, personSettlements, settlementNumberAnswer, standing } from '../../../schemas/desk.js';
import { problem as problemSchema, type Problem } from '../../../schemas/problem.js';
import { split, type ReversalNote, type SettlementRequestInput } from '../../../schemas/settlement.js';

const TOKEN_KEY = 'desk.token';
const OPERATOR_KEY = 'desk.operator';

/** A problem document from the gateway (or one made here when the network failed). */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) { super(problem.detail ?? problem.title); }
}

/** The session: kept for this browser tab only (sessionStorage), never in the URL or localStorage. */
export const session = {
  get token(): string | null { return sessionStorage.getItem(TOKEN_KEY); },
  get operator(): string { return sessionStorage.getItem(OPERATOR_KEY) ?? ''; },
  start(token: string, operator: string): void { sessionStorage.setItem(TOKEN_KEY, token); sessionStorage.setItem(OPERATOR_KEY, operator); },
  end(): void { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(OPERATOR_KEY); },
};

const STATUS_TEXT: Record<number, string> = {
  400: '输入有误', 401: '令牌无效或已过期，请重新登录', 403: '无权为该医院操作', 404: '未找到', 409: '该结算号已用于另一笔结算',
  413: '数据过大', 422: '无法结算', 503: '服务暂不可用，请稍后重试（未记账）',
};

/**
 * How long the desk waits for any answer. Longer than the gateway's own limit (REQUEST_TIMEOUT_MS, 10 s by
 * default), which answers first with 503 or 504; past it the clerk is told the outcome is unknown.
 */
export const ANSWER_WAIT_MS = 30_000;

async function request(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> {
  const token = init.token ?? session.token ?? '';
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json, application/problem+json, text/html' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method: init.method ?? 'GET', headers, signal: AbortSignal.timeout(ANSWER_WAIT_MS), ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  } catch (error) {
    // No answer at all (status 0): the request may or may not have reached the gateway.
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new ProblemError(timedOut
      ? { type: 'about:blank', title: `${ANSWER_WAIT_MS / 1000} 秒内无答复`, status: 0, detail: '结算网关没有及时答复', errors: [] }
      : { type: 'about:blank', title: '网络错误', status: 0, detail: '无法连接结算网关，请检查网络后重试', errors: [] });
  }
  if (response.ok) return response;
  // A problem document as the contract writes it; anything else (a proxy's HTML page) is told by its status alone.
  const parsed = problemSchema.safeParse(await response.json().catch(() => null));
  const problem: Problem = parsed.success ? parsed.data : { type: 'about:blank', title: response.statusText, status: response.status, errors: [] };
  problem.title = STATUS_TEXT[response.status] ?? problem.title;
  throw new ProblemError(problem);
}

/**
 * An answer read with the contract's own schema, never cast: an answer of another shape (a proxy in between, a
 * gateway of another release behind the same address) is told to the clerk, not shown half-read.
 */
async function json<S extends z.ZodType>(schema: S, response: Promise<Response>): Promise<z.output<S>> {
  const answer = await response;
  const parsed = schema.safeParse(await answer.json().catch(() => undefined));
  if (parsed.success) return parsed.data;
  throw new ProblemError({
    type: 'about:blank', title: '答复格式不符', status: answer.status, detail: '结算网关的答复不是本页面认得的格式，请刷新页面后重试；结算是否完成以结算记录为准',
    errors: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  });
}
const enc = encodeURIComponent;

export const api = {
  hospitals: (token?: string) => json(hospitalsAnswer, request('/v1/hospitals', token ? { token } : {})),
  // A POST: every call is a new number, never one another window of the hospital was given.
  settlementNumber: (hospitalId: string) => json(settlementNumberAnswer, request(`/v1/hospitals/${enc(hospitalId)}/settlement-numbers`, { method: 'POST' })),
  preview: (body: SettlementRequestInput) => json(split, request('/v1/settlements/preview', { method: 'POST', body })),
  settle: (body: SettlementRequestInput) => json(split, request('/v1/settlements', { method: 'POST', body })),
  get: (hospitalId: string, settlementId: string) => json(split, request(`/v1/settlements/${enc(hospitalId)}/${enc(settlementId)}`)),
  reverse: (hospitalId: string, settlementId: string, note: ReversalNote) =>
    json(split, request(`/v1/settlements/${enc(hospitalId)}/${enc(settlementId)}/reversal`, { method: 'POST', body: note })),
  slip: async (hospitalId: string, settlementId: string) => (await request(`/v1/settlements/${enc(hospitalId)}/${enc(settlementId)}/slip`)).text(),
  day: (hospitalId: string, date: string) => json(dayList, request(`/v1/settlements?hospitalId=${enc(hospitalId)}&date=${enc(date)}`)),
  // The ID number travels in the body, never in a URL.
  personSettlements: (personId: string) => json(personSettlements, request('/v1/persons/settlements', { method: 'POST', body: { personId } })),
  standing: (personId: string, year: string) => json(standing, request('/v1/persons/standing', { method: 'POST', body: { personId, year } })),
};
