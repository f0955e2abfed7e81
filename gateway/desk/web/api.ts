/** The desk's only door to the gateway: the public /v1 API, with the clerk's token as a bearer header. */
import type { DayList, Standing, SettlementSummary } from '../../../schemas/desk.js';
import type { Problem } from '../../../schemas/problem.js';
import type { ReversalNote, SettlementRequestInput, Split } from '../../../schemas/settlement.js';
import type { HospitalInfo, SettlementNumberAnswer } from '../../../schemas/desk.js';

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
  let problem: Problem;
  try { problem = (await response.json()) as Problem; } catch { problem = { type: 'about:blank', title: response.statusText, status: response.status, errors: [] }; }
  problem.errors ??= [];
  problem.title = STATUS_TEXT[response.status] ?? problem.title;
  throw new ProblemError(problem);
}

const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
const enc = encodeURIComponent;

export const api = {
  hospitals: (token?: string) => json<{ hospitals: Array<Partial<HospitalInfo> & { id: string }> }>(request('/v1/hospitals', token ? { token } : {})),
  // A POST: every call is a new number, never one another window of the hospital was given.
  settlementNumber: (hospitalId: string) => json<SettlementNumberAnswer>(request(`/v1/hospitals/${enc(hospitalId)}/settlement-numbers`, { method: 'POST' })),
  preview: (body: SettlementRequestInput) => json<Split>(request('/v1/settlements/preview', { method: 'POST', body })),
  settle: (body: SettlementRequestInput) => json<Split>(request('/v1/settlements', { method: 'POST', body })),
  get: (hospitalId: string, settlementId: string) => json<Split>(request(`/v1/settlements/${enc(hospitalId)}/${enc(settlementId)}`)),
  reverse: (hospitalId: string, settlementId: string, note: ReversalNote) =>
    json<Split>(request(`/v1/settlements/${enc(hospitalId)}/${enc(settlementId)}/reversal`, { method: 'POST', body: note })),
  slip: async (hospitalId: string, settlementId: string) => (await request(`/v1/settlements/${enc(hospitalId)}/${enc(settlementId)}/slip`)).text(),
  day: (hospitalId: string, date: string) => json<DayList>(request(`/v1/settlements?hospitalId=${enc(hospitalId)}&date=${enc(date)}`)),
  // The ID number travels in the body, never in a URL.
  personSettlements: (personId: string) => json<{ settlements: SettlementSummary[] }>(request('/v1/persons/settlements', { method: 'POST', body: { personId } })),
  standing: (personId: string, year: string) => json<Standing>(request('/v1/persons/standing', { method: 'POST', body: { personId, year } })),
};
