/**
 * Errors of the national interface: answered as `infcode: -1` with `err_msg` in Chinese naming the
 * national field path (input.feedetail[3].det_item_fee_sumamt), never a stack or a library's English.
 */
import { GatewayError } from '../../gateway/errors.js';

/** A call the gateway refuses; `retryable` faults (a dependency down) are not remembered under the msgid. */
export class NhsaFault extends Error {
  constructor(message: string, readonly retryable = false) { super(message); this.name = 'NhsaFault'; }
}

type ZodIssueLike = { code: string; path: ReadonlyArray<PropertyKey>; message: string; input?: unknown; maximum?: unknown; minimum?: unknown };

/** ["input","feedetail",3,"cnt"] → "input.feedetail[3].cnt". */
function nationalPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

const CJK = /[\u4e00-\u9fff]/;

/** One Chinese sentence per zod issue, with the field path. */
function issueText(issue: ZodIssueLike, prefix: ReadonlyArray<PropertyKey> = []): string {
  const path = nationalPath([...prefix, ...issue.path]) || '报文';
  if (CJK.test(issue.message)) return `${path}：${issue.message}`;
  switch (issue.code) {
    case 'invalid_type': return issue.input === undefined ? `${path}：必填项缺失` : `${path}：类型不正确`;
    case 'too_big': return `${path}：超过长度或数量上限（${String(issue.maximum)}）`;
    case 'too_small': return `${path}：不能为空或过短（至少 ${String(issue.minimum)}）`;
    case 'invalid_value': return `${path}：取值不在字典范围内`;
    default: return `${path}：格式不正确`;
  }
}

export function issuesFault(issues: ReadonlyArray<ZodIssueLike>, prefix: ReadonlyArray<PropertyKey> = []): NhsaFault {
  return new NhsaFault(issues.slice(0, 10).map((i) => issueText(i, prefix)).join('；'));
}

const STATUS_TEXT: Record<number, string> = {
  400: '结算数据不符合要求',
  404: '未找到对应的结算记录',
  409: '结算流水已用于不同的结算数据',
  413: '报文过大',
  422: '结算数据不合理',
};

/**
 * A native error (from the settlement service) in Chinese. `pathOf` translates the native field path
 * (items.3.amount) into the national one; the native message itself is English for some errors and is
 * not passed on.
 */
/** The answer when a ledger write was sent and its outcome cannot be known: never a definite "结算失败". */
export const OUTCOME_UNKNOWN_TEXT = '结算请求已发出但未收到确认，结果未知；请稍后使用原报文ID（msgid）重试（重试会返回真实结果），切勿以新报文重新结算';

export function faultOfGatewayError(error: GatewayError, pathOf: (nativePath: string) => string): NhsaFault {
  if (error.status === 503) return new NhsaFault('医保结算服务暂时不可用，请稍后使用原报文ID（msgid）重试', true);
  // The commit may have happened: not remembered under the msgid, so the retry with it answers the truth.
  if (error.status === 504) return new NhsaFault(OUTCOME_UNKNOWN_TEXT, true);
  const head = STATUS_TEXT[error.status] ?? '结算失败';
  const fields = error.errors.slice(0, 10).map((e) => pathOf(e.path)).filter((p, i, all) => all.indexOf(p) === i);
  return new NhsaFault(fields.length > 0 ? `${head}：${fields.join('、')}` : head);
}
