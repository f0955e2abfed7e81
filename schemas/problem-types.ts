/**
 * Every problem type the gateway answers, in one table: its stable machine-readable `code`, its HTTP
 * status, its Chinese title and its type URI. Callers (HIS engineers, the NHSA and FHIR adapters)
 * branch on `code`, never on the wording; titles and details are for people and are in Chinese.
 * Adding a type is additive; changing a code or a status is a breaking change of the contract.
 */
export const PROBLEM_TYPE_BASE = 'https://settlement-gateway.example/problems/';

export const PROBLEM_TYPES = {
  'invalid-request': { code: 'INVALID_REQUEST', status: 400, title: '请求无效' },
  unauthenticated: { code: 'UNAUTHENTICATED', status: 401, title: '未认证' },
  forbidden: { code: 'FORBIDDEN', status: 403, title: '无权操作' },
  'not-found': { code: 'NOT_FOUND', status: 404, title: '未找到' },
  conflict: { code: 'CONFLICT', status: 409, title: '结算号冲突' },
  'payload-too-large': { code: 'PAYLOAD_TOO_LARGE', status: 413, title: '请求体过大' },
  'unsupported-media-type': { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, title: '不支持的内容类型' },
  unprocessable: { code: 'UNPROCESSABLE', status: 422, title: '无法办理的结算' },
  internal: { code: 'INTERNAL', status: 500, title: '网关内部错误' },
  /** Dead letters of the relay only (never an HTTP answer): a committed event whose data cannot be mapped for a payer. */
  'unmappable-event': { code: 'UNMAPPABLE_EVENT', status: 500, title: '结算事件无法转换' },
  /** A signed call (an insurer's callback or upload) without a valid signature: headers missing, or the MAC does not match. */
  'signature-invalid': { code: 'SIGNATURE_INVALID', status: 401, title: '签名无效' },
  /** A signed call whose timestamp lies further from the gateway's clock than the insurer's allowed skew. */
  'signature-expired': { code: 'SIGNATURE_EXPIRED', status: 401, title: '请求时间戳超出允许偏差' },
  /** A signed call whose nonce was already used: a replay, refused whatever its signature. */
  'nonce-replayed': { code: 'NONCE_REPLAYED', status: 401, title: '请求随机数已使用（重放）' },
  /**
   * Dead letters of the streaming intake only (never an HTTP answer): the answer to a discharge message could
   * not be written (its topic missing or forbidden, or too large); the settlement itself stands.
   */
  'answer-undeliverable': { code: 'ANSWER_UNDELIVERABLE', status: 502, title: '应答无法送达' },
  /** Nothing was committed: the call may be sent again (the same settlement id, or a new one). */
  unavailable: { code: 'UNAVAILABLE', status: 503, title: '服务暂不可用' },
  /**
   * A dependency stopped answering while the commit was under way: the settlement may or may not have
   * been committed. Only a retry under the same settlement id tells (the stored split, or a fresh one);
   * settling under a new id could count the stay twice.
   */
  'outcome-unknown': { code: 'OUTCOME_UNKNOWN', status: 504, title: '结算结果未知' },
} as const satisfies Record<string, { code: string; status: number; title: string }>;

export type ProblemTypeId = keyof typeof PROBLEM_TYPES;
export type ProblemCode = (typeof PROBLEM_TYPES)[ProblemTypeId]['code'];

export const problemTypeUri = (id: ProblemTypeId): string => PROBLEM_TYPE_BASE + id;

/** The problem type of a status for errors that do not name one (a subclass another module added). */
export function problemTypeOfStatus(status: number): ProblemTypeId {
  if (status === 500) return 'internal';
  const found = (Object.keys(PROBLEM_TYPES) as ProblemTypeId[]).find((id) => PROBLEM_TYPES[id].status === status);
  return found ?? (status >= 500 ? 'internal' : 'invalid-request');
}

/** The table as documentation rows (README, OpenAPI): code, status, title, type URI. */
export function problemTypeRows(): Array<{ code: string; status: number; title: string; type: string }> {
  return (Object.keys(PROBLEM_TYPES) as ProblemTypeId[]).map((id) => ({ ...PROBLEM_TYPES[id], type: problemTypeUri(id) }));
}
