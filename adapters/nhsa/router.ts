/**
 * POST /nhsa/{infno}: the national interface's common envelope in and out, declared in the route table
 * like every route. Thin: the table authenticates and reads the body as text; here the envelope is
 * checked, a known msgid replayed, the input handed to the transaction's function (calls.ts) and its
 * output wrapped. Every answer is the common output; errors are `infcode: -1` with a Chinese err_msg
 * (HTTP 200, as the platform answers; 401/403/413 for who may call and size).
 * The region's security (security/): a call is opened (signature, time, nonce checked; input decrypted)
 * before anything else reads it, and every answer, a replayed one included, is sealed as it is sent;
 * what is stored under the msgid is the answer in the clear.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import * as z from 'zod';
import { jsonSchema } from '../../schemas/json-schema.js';
import type { Surface } from '../../gateway/http/app.js';
import { requireHospital } from '../../gateway/http/auth.js';
import { bindRoutes, routeOf, type DataScope, type DataScopeRule, type ProblemsOf } from '../../gateway/http/route-table.js';
import { GatewayError } from '../../gateway/errors.js';
import { ledgerRefusal } from '../../gateway/ledger/errors.js';
import { canonicalJson, sha256, ulid } from '../../gateway/service/ids.js';
import { CALLS, type CallContext } from './calls/index.js';
import { issuesFault, NhsaFault, OUTCOME_UNKNOWN_TEXT } from './fault.js';
import { envelope as envelopeSchema, plainTextIssues } from './inputs.js';
import type { Undo } from './answers.js';
import { emptyAsAbsent, nationalStamp, readNational, writeNational } from './wire.js';
import { SecurityRefused, type NhsaSecurity } from './security/envelope-security.js';


export interface RouterDeps {
  log: Logger;
  clock: () => Date;
  bodyLimitBytes: number;
  context: Omit<CallContext, 'envelope' | 'call'>;
  /** The region's security mode: opens calls, seals answers. */
  security: NhsaSecurity;
  onCall?(infno: string, outcome: 'ok' | 'error' | 'replay'): void;
  /** A call the region's security refused (its stable code). */
  onRefused?(code: string): void;
}

/** The calls that sign in and out carry no sign_no of their own to check. */
const SIGN_CALLS = new Set(['9001', '9002']);

/** `err_code`: a stable code beside err_msg, for refusals a HIS handles by kind (the security refusals). */
interface AnswerBody { infcode: 0 | -1; err_msg?: string; err_code?: string; warn_msg?: string; output?: unknown }

const route = routeOf<RouterDeps>();
const callRoles = [...new Set(Object.values(CALLS).flatMap((c) => c.roles))];
/** The common output of every national call, a refusal too (infcode -1 with a Chinese err_msg). */
const nationalAnswer = z.object({
  infcode: z.union([z.literal(0), z.literal(-1)]), inf_refmsgid: z.string(), refmsg_time: z.string(), respond_time: z.string(),
  err_msg: z.string(), warn_msg: z.string(), output: z.unknown(),
}).meta({ description: "the national interface's common output" });
const answerContent = { 'application/json': { schema: jsonSchema(nationalAnswer, 'output') } };

/** The envelope's hospital, for a role its transaction admits: the table's hospital rule with the transaction's roles. */
const envelopeScope: DataScopeRule<{ infno: string }> = {
  describe: `the envelope's fixmedins_code: one of the client's hospitals, for a role the infno admits (${Object.entries(CALLS).map(([infno, c]) => `${infno} ${c.roles.join('/')}`).join('; ')})`,
  admit: (client, hospitalId, { params }) => { requireHospital(client, hospitalId, ...(CALLS[params.infno]?.roles ?? [])); },
};

const nationalRoutes = [
  route({
    method: 'post', path: '/:infno', summary: 'The national interface (国家医保信息平台接口): one transaction per infno, in the common envelope',
    // The roles of each transaction, and the hospital (the envelope's fixmedins_code), are admitted once the envelope is read.
    access: { roles: callRoles, scopeOnData: envelopeScope },
    params: z.object({ infno: z.string().meta({ description: `the transaction: ${Object.entries(CALLS).map(([infno, c]) => `${infno} ${c.name}`).join('、')}` }) }),
    // As text, whatever content type a national HIS sends (or none): the envelope is read losslessly (wire.ts).
    body: { read: 'text', content: { 'application/json': envelopeSchema }, alsoAccept: ['*/*'] },
    answers: {
      200: {
        description: 'The common output, also for a refusal (infcode -1); sealed as the region wants (NHSA_SECURITY_FILE). 9102 answers the file\'s bytes',
        content: { 'application/json': nationalAnswer, 'application/octet-stream': { text: 'the downloaded file (9102), signed and under sm2-sm4 encrypted' } },
        headers: { 'Idempotent-Replay': { schema: { type: 'string', const: 'true' } } } },
    },
    problems: {},
    handler: (deps) => ({ params, scope, req, res }) => national(deps, params.infno, scope, req, res),
  }),
];

/** The national interface's refusals are envelopes (infcode -1), never problem+json. */
const envelopeProblems: ProblemsOf = {
  problem: (description) => ({ description, content: answerContent }),
  common: () => ({
    401: { description: 'No or an unknown token, or refused by the region\'s security (signature, time, nonce, decryption): infcode -1 with err_code', content: answerContent },
    403: { description: 'Not the client\'s hospital, or not its role: infcode -1', content: answerContent },
    413: { description: 'Over the body limit: infcode -1', content: answerContent },
    503: { description: 'Timed out or unavailable: infcode -1, retry with the same msgid', content: answerContent },
    504: { description: 'Outcome unknown: infcode -1, retry with the same msgid', content: answerContent },
  }),
};

export function nhsaSurface(deps: RouterDeps): Surface {
  return { prefix: '/nhsa', routes: bindRoutes(nationalRoutes, deps), errors: envelopeErrors(deps), problems: envelopeProblems };
}

const render = (deps: RouterDeps, received: Date, body: AnswerBody): string => writeNational({
  infcode: body.infcode, inf_refmsgid: `GW${nationalStamp(received)}${ulid(received.getTime()).slice(-8)}`,
  refmsg_time: nationalStamp(received), respond_time: nationalStamp(deps.clock()),
  err_msg: body.err_msg ?? '', ...(body.err_code ? { err_code: body.err_code } : {}), warn_msg: body.warn_msg ?? '', output: body.output ?? {},
});
/** Sends an answer's text sealed for the hospital (signed, its output encrypted, as the region wants). */
const send = (deps: RouterDeps, res: Response, status: number, json: string, hospital: string | undefined): void => {
  // The request timeout may have answered already; the work still finished and its answer is stored under the msgid.
  if (res.headersSent) return;
  res.status(status).type('application/json; charset=utf-8').send(deps.security.sealAnswer(json, hospital));
};
const answer = (deps: RouterDeps, res: Response, status: number, received: Date, body: AnswerBody, hospital?: string): void =>
  send(deps, res, status, render(deps, received, body), hospital);

/** Errors of /nhsa — authentication, the body reader, and those raised outside the route (the app's request timeout) — in the envelope. */
function envelopeErrors(deps: RouterDeps): ErrorRequestHandler {
  const { log, clock } = deps;
  return (error: unknown, req, res, next) => {
    if (res.headersSent) { next(error); return; }
    const parserType = typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
    if (parserType === 'entity.too.large') return answer(deps, res, 413, clock(), { infcode: -1, err_msg: `报文超过 ${deps.bodyLimitBytes} 字节上限` });
    if (typeof parserType === 'string') return answer(deps, res, 400, clock(), { infcode: -1, err_msg: '报文无法读取' });
    const status = error instanceof GatewayError ? error.status : 500;
    if (status === 401) return answer(deps, res, 401, clock(), { infcode: -1, err_msg: '认证失败：请在 Authorization 头中携带有效的 Bearer 令牌' });
    if (status === 403 && error instanceof GatewayError) return answer(deps, res, 403, clock(), { infcode: -1, err_msg: error.message });
    if (status === 503) return answer(deps, res, 503, clock(), { infcode: -1, err_msg: '医保结算服务处理超时或暂时不可用，请稍后使用原报文ID（msgid）重试' });
    // The request timeout after the ledger write left: the outcome is unknown, not a bug.
    if (status === 504) return answer(deps, res, 504, clock(), { infcode: -1, err_msg: OUTCOME_UNKNOWN_TEXT });
    log.error({ err: error, requestId: req.requestId }, 'nhsa: unexpected error');
    answer(deps, res, 500, clock(), { infcode: -1, err_msg: `系统内部错误，请联系运维（请求号 ${req.requestId ?? ''}）` });
  };
}

/** One national call: the envelope checked, a known msgid replayed, the transaction done, its answer remembered under the msgid. */
async function national(deps: RouterDeps, infno: string, scope: DataScope, req: Request, res: Response): Promise<void> {
  const { log, clock } = deps;
  const received = clock();
  /** The hospital the answers are sealed for, once the envelope names one. */
  const sealFor: { hospital?: string } = {};
  // A refusal (infcode -1, answered with HTTP 200 as the platform does) carries its err_msg alone, nothing of a hospital.
  const fail = (message: string, status = 200): void => { scope.readsNone(); deps.onCall?.(infno, 'error'); answer(deps, res, status, received, { infcode: -1, err_msg: message }, sealFor.hospital); };
  let clear: string;
  try {
    clear = await deps.security.open(typeof req.body === 'string' ? req.body : '', (name) => req.get(name), received);
  } catch (error) {
    if (error instanceof SecurityRefused) {
      deps.onCall?.(infno, 'error');
      deps.onRefused?.(error.code);
      log.warn({ infno, code: error.code, requestId: req.requestId }, 'nhsa: call refused by the region\'s security');
      return answer(deps, res, 401, received, { infcode: -1, err_msg: error.message, err_code: error.code });
    }
    log.error({ err: error, infno, requestId: req.requestId }, 'nhsa: the call could not be verified (nonce store)');
    return fail('医保结算服务暂时不可用，请稍后使用原报文ID（msgid）重试');
  }
  let raw: unknown;
  try {
    raw = readNational(clear);
  } catch {
    return fail('报文不是合法的 JSON');
  }
  const sent = emptyAsAbsent(raw);
  const unplain = plainTextIssues(sent);
  if (unplain.length > 0) return fail(issuesFault(unplain).message);
  const parsed = envelopeSchema.safeParse(sent);
  if (!parsed.success) return fail(issuesFault(parsed.error.issues).message);
  const envelope = parsed.data;
  sealFor.hospital = envelope.fixmedins_code;
  if (envelope.infno !== infno) return fail(`infno：交易编号 ${envelope.infno} 与请求地址 /nhsa/${infno} 不一致`);
  const transaction = CALLS[infno];
  if (!transaction) return fail(`infno：不支持的交易编号 ${infno}（支持 ${Object.keys(CALLS).join('、')}）`);
  try {
    scope.admit(envelope.fixmedins_code);
  } catch {
    return fail(`fixmedins_code：无权代表定点医药机构 ${envelope.fixmedins_code} 办理 ${infno}`, 403);
  }

  // msgid: the idempotency key of a call. Same msgid and same call → the first answer, byte for byte.
  // Of the input as sent (before "" was read as absent), so that answers stored before that reading still replay.
  const sentInput = typeof raw === 'object' && raw !== null && 'input' in raw ? raw.input : envelope.input;
  const fingerprint = sha256(`${infno}\u0000${canonicalJson(sentInput)}`);
  const replay = async (): Promise<boolean> => {
    const first = await deps.context.answers.get(envelope.fixmedins_code, envelope.msgid);
    if (first === null) return false;
    // Taken back by a 2601 (or reserved by one that arrived first): never done, never answered as done.
    if (first.reversed_by !== undefined) { fail(`msgid：报文ID ${envelope.msgid} 的交易已冲正（2601 报文ID ${first.reversed_by}），不再办理`); return true; }
    if (first.fingerprint !== fingerprint) { fail(`msgid：报文ID ${envelope.msgid} 已用于另一笔交易，请使用新的报文ID`); return true; }
    deps.onCall?.(infno, 'replay');
    if (res.headersSent) return true;
    res.setHeader('Idempotent-Replay', 'true');
    send(deps, res, 200, first.answer, sealFor.hospital);
    return true;
  };
  try {
    if (await replay()) return;
  } catch (error) {
    log.error({ err: error, infno, requestId: req.requestId }, 'nhsa: msgid look-up failed');
    return fail('医保结算服务暂时不可用，请稍后使用原报文ID（msgid）重试');
  }

  let body: AnswerBody;
  let remember = true;
  let undo: Undo | undefined;
  let file: { filename: string; content: Buffer } | undefined;
  try {
    // After the replay: a retry of an answered call answers it, whatever has been signed since.
    if (!SIGN_CALLS.has(infno)) await deps.context.signIns.check(envelope.fixmedins_code, envelope.opter, envelope.sign_no);
    const result = await transaction.call({ ...deps.context, envelope, call: req.call });
    body = { infcode: 0, output: result.output, ...(result.warn_msg ? { warn_msg: result.warn_msg } : {}) };
    undo = result.undo;
    file = result.file;
  } catch (error) {
    if (error instanceof NhsaFault) {
      body = { infcode: -1, err_msg: error.message };
      remember = !error.retryable;
    } else if ((error instanceof GatewayError ? error : ledgerRefusal(error))?.status === 503) {
      // Unavailable, or the ledger's Redis refusing (down, failing over, full): nothing was committed.
      body = { infcode: -1, err_msg: '医保结算服务暂时不可用，请稍后使用原报文ID（msgid）重试' };
      remember = false;
    } else {
      // A bug or an unexpected dependency failure: the caller gets a request id, never a stack.
      log.error({ err: error, infno, requestId: req.requestId }, 'nhsa: unexpected error');
      body = { infcode: -1, err_msg: `系统内部错误，请联系运维（请求号 ${req.requestId ?? ''}），可使用原报文ID重试` };
      remember = false;
    }
  }
  if (!remember) { deps.onCall?.(infno, 'error'); answer(deps, res, 200, received, body, sealFor.hospital); return; }
  // A download (9102) answers the file's bytes, as the platform streams them; it changes nothing, so nothing is stored under its msgid.
  if (file) {
    deps.onCall?.(infno, 'ok');
    if (res.headersSent) return;
    const sealed = deps.security.sealFile(file.content, envelope.fixmedins_code);
    res.status(200).set(sealed.headers).type('application/octet-stream')
      .setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`).send(sealed.content);
    return;
  }
  // Render once, store, then send the stored text (sealed as the region wants); a concurrent twin that stored first wins.
  const json = render(deps, received, body);
  try {
    const written = await deps.context.answers.putFirst(envelope.fixmedins_code, envelope.msgid, { fingerprint, answer: json, infno, ...(undo ? { undo } : {}) }, Number(nationalStamp(received).slice(0, 8)));
    if (!written) log.warn({ infno, requestId: req.requestId }, 'nhsa: another answer (a concurrent twin, or a 2601 that overtook this call) was stored first under its msgid');
    if (!written && await replay()) return;
  } catch (error) {
    log.warn({ err: error, infno, requestId: req.requestId }, 'nhsa: the answer could not be remembered under its msgid');
  }
  deps.onCall?.(infno, body.infcode === 0 ? 'ok' : 'error');
  send(deps, res, 200, json, sealFor.hospital);
}
