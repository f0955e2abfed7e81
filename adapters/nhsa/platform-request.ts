/**
 * What the gateway sends the 医保 platform, and how it reads the answer: the one place an outgoing platform
 * request's body and headers are built (the platform's own security — signatures, encrypted input — hooks in
 * here, in `build`, and nowhere else), in either format:
 *
 * - `gateway` (NHSA_DELIVERY_FORMAT default): the nhsa.settlements message as it is, the native fields beside
 *   the 2304-shaped nodes, POSTed with its CloudEvents headers and `idempotency-key` = ce_id;
 * - `national`: the same settlement as a national 2304 (a reversal 2305) call in the common envelope, with a
 *   msgid of its own per event (national-call.ts).
 *
 * The answer: HTTP 5xx, 408 and 429 are the platform's trouble (transient); another 4xx refuses the message.
 * A national output's infcode 0 is done; -1 is the platform refusing the content (permanent: the dead letter
 * carries err_msg); any other code is the platform saying it cannot now (transient: retried).
 */
import * as z from 'zod';
import { nhsaSettlement } from '../../schemas/messages.js';
import { maskedExcerpt } from '../../gateway/mask-text.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import type { InboundMessage } from '../../gateway/stream/bus.js';
import { claimMsgid, nationalCallOf, nationalNodes, type NationalSettlement } from './national-call.js';
import { personalDataOf } from './personal-data.js';
import { readNational, writeNational } from './wire.js';
import { nationalTime } from './settlement-2304.js';

export type DeliveryFormat = 'gateway' | 'national';

/** How much of the platform's refusal text a reason keeps (masked first). */
const REFUSAL_CHARS = 200;

/** The platform's common output, as far as delivery reads it. */
const platformAnswer = z.object({ infcode: z.union([z.number(), z.string()]), err_msg: z.string().optional() });
/** A 2304 answer's setl_id: the platform's own id of the settlement, which its 2305 must name. */
const settledAnswer = z.object({ output: z.object({ setlinfo: z.object({ setl_id: z.string().min(1).max(30) }) }) });

/** The platform's setl_id of each settlement delivered as 2304, by the gateway's setl_id (national format). */
const PLATFORM_SETL_IDS = 'nhsa.delivery-setl';

interface PlatformRequest {
  headers: Record<string, string>;
  body: string;
  /** A national 2304: the gateway's setl_id of the settlement, under which the platform's own is remembered. */
  settles?: string;
}

type PlatformVerdict = { kind: 'done' } | { kind: 'transient'; reason: string } | { kind: 'refused'; reason: string };

export interface PlatformRequestOptions {
  format: DeliveryFormat;
  /** Bearer token for the platform, if it wants one. */
  token?: string | undefined;
  /** Where msgids are claimed (national format). */
  store: DocumentStore;
  /** The hospital's region and name (HOSPITALS_FILE), for the national envelope. */
  hospitalOf?: (hospitalId: string) => { region?: string | undefined; name?: string | undefined } | undefined;
  clock?: () => Date;
  /** The region's security (security/): signs or encrypts the body and adds headers, last, in either format. */
  seal?: (body: string, headers: Record<string, string>) => { body: string; headers: Record<string, string> };
}

/** A message that cannot be sent in the configured format: refusing it again will not help. */
export class Unsendable extends Error { constructor(message: string) { super(message); this.name = 'Unsendable'; } }

export class PlatformRequests {
  constructor(private readonly options: PlatformRequestOptions) {}

  /** The body and headers of the request that delivers `message` (the same msgid on every retry of it). */
  async build(message: InboundMessage): Promise<PlatformRequest> {
    const plain = await this.plainRequest(message);
    if (!this.options.seal) return plain;
    return { ...plain, ...this.options.seal(plain.body, plain.headers) };
  }

  private async plainRequest(message: InboundMessage): Promise<PlatformRequest> {
    const text = message.value?.toString('utf8') ?? '';
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    for (const name of ['ce_id', 'ce_type', 'ce_time', 'ce_source', 'ce_subject']) if (message.headers[name]) headers[name.replace('_', '-')] = message.headers[name]!;
    if (message.headers.ce_id) headers['idempotency-key'] = message.headers.ce_id;
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (this.options.format === 'gateway') return { headers, body: text };

    const { settlement, eventTime } = nationalSettlementOf(text, message.headers.ce_time);
    if (!eventTime || Number.isNaN(Date.parse(eventTime))) throw new Unsendable('消息没有结算时间，无法生成报文ID（msgid）');
    const msgid = await claimMsgid(this.options.store, settlement.hospitalId, eventTime, message.headers.ce_id ?? `${message.topic}-${message.partition}-${message.offset}`);
    const hospital = this.options.hospitalOf?.(settlement.hospitalId);
    const reversal = settlement.kind === 'reversed';
    // A 2305 names the settlement by the platform's setl_id, answered to its 2304 (delivered before it: a person's
    // messages go in order); the gateway's own when the platform answered none.
    const platformSetlId = reversal ? await this.options.store.get(PLATFORM_SETL_IDS, settlement.setlinfo.setl_id) : null;
    const call = nationalCallOf(settlement, {
      msgid,
      infTime: nationalTime(chinaIso(this.options.clock?.() ?? new Date())),
      mdtrtareaAdmvs: hospital?.region ?? settlement.setlinfo.clr_optins,
      fixmedinsName: hospital?.name,
      ...(platformSetlId !== null ? { setlId: platformSetlId } : {}),
    });
    // The platform dedupes a national call by its msgid: the idempotency key follows it.
    return { headers: { ...headers, 'idempotency-key': msgid }, body: writeNational(call), ...(reversal ? {} : { settles: settlement.setlinfo.setl_id }) };
  }

  /** What the platform's answer says; a 2304 taken is remembered with the platform's setl_id, for its 2305. */
  async answered(message: InboundMessage, request: PlatformRequest, status: number, text: string): Promise<PlatformVerdict> {
    const verdict = this.verdict(message, status, text);
    if (verdict.kind !== 'done' || request.settles === undefined) return verdict;
    let json: unknown = null;
    try { json = JSON.parse(text); } catch { /* verdict read it already */ }
    const answer = settledAnswer.safeParse(json);
    if (answer.success) await this.options.store.put(PLATFORM_SETL_IDS, request.settles, answer.data.output.setlinfo.setl_id);
    return verdict;
  }

  /** What the platform's answer to `message` says. */
  private verdict(message: InboundMessage, status: number, text: string): PlatformVerdict {
    if (status >= 500 || status === 429 || status === 408) return { kind: 'transient', reason: `医保平台应答 HTTP ${status}` };
    // The refusal becomes the dead letter's reason (logged, stored, listed): the platform may echo the message in it.
    const refusal = (said: string) => maskedExcerpt(said, REFUSAL_CHARS, personalDataOf(message.value?.toString('utf8') ?? null));
    if (status >= 400) return { kind: 'refused', reason: `HTTP ${status} ${refusal(text)}` };
    let answer: z.infer<typeof platformAnswer>;
    try { answer = platformAnswer.parse(JSON.parse(text)); } catch { return { kind: 'transient', reason: '医保平台应答不是通用输出报文' }; }
    const infcode = Number(answer.infcode);
    if (infcode === 0) return { kind: 'done' };
    const said = `infcode ${String(answer.infcode)} ${refusal(answer.err_msg ?? '')}`.trim();
    return infcode === -1 ? { kind: 'refused', reason: said } : { kind: 'transient', reason: `医保平台暂不能办理：${said}` };
  }
}

const issuesText = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('；');

/** The message's settlement with its 2304-shaped nodes, read losslessly (amounts stay their exact text), and its event's time. */
function nationalSettlementOf(text: string, ceTime: string | undefined): { settlement: NationalSettlement; eventTime: string | undefined } {
  let json: unknown;
  try { json = readNational(text); } catch { throw new Unsendable('消息不是 JSON，无法按国家接口报送'); }
  const message = nhsaSettlement.safeParse(json);
  if (!message.success) throw new Unsendable(`消息无法读取：${issuesText(message.error)}`);
  const nodes = nationalNodes.safeParse(json);
  if (!nodes.success) throw new Unsendable(`消息没有完整的 2304 结算节点（setlinfo、setldetail），无法按国家接口报送：${issuesText(nodes.error)}`);
  const { kind, hospitalId, settledAt, reversedAt } = message.data;
  return { settlement: { kind, hospitalId, ...nodes.data }, eventTime: (kind === 'reversed' ? reversedAt : settledAt) ?? ceTime };
}

/** An instant as +08:00 ISO text (what nationalTime reads). */
const chinaIso = (date: Date): string => `${new Date(date.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
