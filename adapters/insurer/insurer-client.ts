/**
 * One POST of a claim to an insurer's endpoint (the delivery puts its breaker in front). It either gets an
 * answer (a receipt, perhaps already the decision), is refused (4xx: this claim, as sent, will not be taken —
 * retried a few times, then dead-lettered) or fails transiently (down, slow, 5xx, 429, 401/403: the insurer or
 * our access to it is broken, not the claim — the claim waits, its partition with it, and the breaker opens so
 * a dead insurer costs nothing).
 */
import * as z from 'zod';
import type { OutboundClaim } from './claim-document.js';
import type { Insurer } from './config.js';
import { insurerAgent, postTo, type InsurerAgent, type PostAnswer } from './post.js';
import { signHeaders } from './signature.js';

/** The longest reason an insurer may give for a decision (its answer or its callback); stored masked. */
export const REASON_MAX_CHARS = 1000;
import { maskedExcerpt } from '../../gateway/mask-text.js';

/** The insurer's synchronous answer (README: "What an insurer answers"). */
export const insurerAnswer = z.object({
  receiptNo: z.string().min(1).max(100),
  status: z.enum(['received', 'accepted', 'rejected']).default('received'),
  reason: z.string().max(REASON_MAX_CHARS).optional(),
});
export type InsurerAnswer = z.infer<typeof insurerAnswer>;

export type PostOutcome = { kind: 'answered'; answer: InsurerAnswer } | { kind: 'refused'; reason: string };

/** The insurer or our access to it is broken, not the claim: retried. */
class TransientFailure extends Error {
  constructor(message: string) { super(message); this.name = 'TransientFailure'; }
}

const EXCERPT_CHARS = 300;
/**
 * An insurer's error text may echo the document back: an id number in it is masked (before the cut) before
 * it is kept or logged — also the one sent, which under `full` may be a passport's that no pattern finds.
 */
const excerptOf = (text: string, claim: OutboundClaim): string =>
  maskedExcerpt(text, EXCERPT_CHARS, claim.insured.idPolicy === 'full' ? { ids: [claim.insured.idNumber] } : {});
/** Statuses that say "not now" rather than "not this claim". */
const TRANSIENT_STATUSES = new Set([401, 403, 408, 425, 429]);


export class InsurerClient {
  private readonly agent: InsurerAgent;
  private readonly url: URL;

  constructor(private readonly insurer: Insurer) {
    this.url = new URL(insurer.endpoint);
    this.agent = insurerAgent(insurer.endpoint, insurer.tlsMaterial);
  }

  /** The insurer's answer or refusal; rejects with the reason when the delivery failed transiently. */
  deliver(claim: OutboundClaim): Promise<PostOutcome> { return this.post(claim); }

  shutdown(): void {
    this.agent.destroy();
  }

  private async post(claim: OutboundClaim): Promise<PostOutcome> {
    const body = Buffer.from(JSON.stringify(claim), 'utf8');
    const signer = this.insurer.signer;
    let response: PostAnswer;
    try {
      response = await postTo(this.url, {
        agent: this.agent,
        body,
        timeoutMs: this.insurer.timeoutMs,
        headers: {
          'content-type': 'application/json',
          // The insurer dedupes on it: a claim re-sent after a crash or a replay is the same claim.
          'idempotency-key': claim.claimId,
          ...(this.insurer.bearerToken ? { authorization: `Bearer ${this.insurer.bearerToken}` } : {}),
          // Signed afresh on every attempt: a retry is a new call (new timestamp and nonce), the same claim.
          ...(signer ? signHeaders(signer.algorithm, signer.key, { method: 'POST', path: this.url.pathname + this.url.search, body, nowMs: Date.now() }) : {}),
        },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Under TLS 1.3 a server that refuses our client certificate often just closes: say what it likely means.
      const hint = this.insurer.tlsMaterial && /socket hang up|ECONNRESET/.test(message) ? ' (mutual TLS: the insurer closed the connection — does it accept the gateway\'s client certificate?)' : '';
      throw new TransientFailure(`${message}${hint}`);
    }
    const text = response.text;
    const excerpt = excerptOf(text, claim);
    if (response.status >= 500 || TRANSIENT_STATUSES.has(response.status)) throw new TransientFailure(`HTTP ${response.status} ${excerpt}`.trim());
    if (response.status >= 300) return { kind: 'refused', reason: `HTTP ${response.status} ${excerpt}`.trim() };
    let json: unknown;
    try { json = JSON.parse(text); } catch { return { kind: 'refused', reason: `HTTP ${response.status}, the answer is not JSON: ${excerpt}` }; }
    const parsed = insurerAnswer.safeParse(json);
    if (!parsed.success) return { kind: 'refused', reason: `HTTP ${response.status}, the answer carries no receiptNo: ${excerpt}` };
    return { kind: 'answered', answer: parsed.data };
  }
}
