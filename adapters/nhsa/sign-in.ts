/**
 * 9001 签到 / 9002 签退: a sign_no issued per operator (opter) of a hospital, and the check of the envelope's
 * sign_no on every later call. How strictly is configuration (NHSA_SIGN_IN), because regions differ: many HIS
 * never sign in against a local gateway, and must still work.
 *
 *   off         sign_no is never checked (9001/9002 still answer)
 *   when-given  the default: a sign_no sent must be the operator's live one (a stale or another operator's is
 *               refused); a call without one is accepted — a HIS that never signs in works unchanged, one that
 *               signs in is held to it
 *   required    every call but 9001 must carry the operator's live sign_no, as the platform requires
 *
 * The sign_no is bookkeeping of the national interface, not a credential: who may call is the bearer token's job.
 */
import * as z from 'zod';
import { chinaTime, ulid } from '../../gateway/service/ids.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import { NhsaFault } from './fault.js';
import { nationalTime } from './settlement-2304.js';
import type { NhsaVariables } from './variables.js';

export type SignInMode = NhsaVariables['NHSA_SIGN_IN'];

const SIGNS_COLLECTION = 'nhsa.signs';

/** nhsa.signs `<fixmedins_code>.<opter>` → the operator's live sign-in. */
const signDoc = z.object({ sign_no: z.string(), sign_time: z.string(), opter: z.string() });
export type SignIn = z.infer<typeof signDoc>;

const keyOf = (fixmedinsCode: string, opter: string) => `${fixmedinsCode}.${Buffer.from(opter, 'utf8').toString('hex')}`;

export class SignIns {
  constructor(private readonly store: DocumentStore, readonly mode: SignInMode) {}

  private async live(fixmedinsCode: string, opter: string): Promise<SignIn | null> {
    const text = await this.store.get(SIGNS_COLLECTION, keyOf(fixmedinsCode, opter));
    return text === null ? null : signDoc.parse(JSON.parse(text));
  }

  /**
   * 9001: the operator's sign_no. While the operator is signed in, the same one (several terminals of one
   * operator share it; a concurrent twin that wrote first wins); a new one after 9002.
   */
  async signIn(fixmedinsCode: string, opter: string, now: Date): Promise<SignIn> {
    const fresh: SignIn = { sign_no: ulid(now.getTime()), sign_time: nationalTime(chinaTime(now)), opter };
    if (await this.store.put(SIGNS_COLLECTION, keyOf(fixmedinsCode, opter), JSON.stringify(fresh), { ifAbsent: true })) return fresh;
    const live = await this.live(fixmedinsCode, opter);
    if (live === null) throw new NhsaFault('签到失败：请稍后使用原报文ID重试', true);
    return live;
  }

  /** 9002: ends the operator's sign-in; the sign_no must be theirs and live. */
  async signOut(fixmedinsCode: string, opter: string, signNo: string, path: string): Promise<void> {
    const live = await this.live(fixmedinsCode, opter);
    if (live === null || live.sign_no !== signNo) throw new NhsaFault(`${path}：签到编号 ${signNo} 不是操作员 ${opter} 当前的签到（已签退或未签到）`);
    await this.store.delete(SIGNS_COLLECTION, keyOf(fixmedinsCode, opter));
  }

  /**
   * The envelope's sign_no against the operator's live sign-in, by the configured mode. Refusals are retryable
   * (not remembered under the msgid): the HIS signs in and retries the same call with the same msgid.
   */
  async check(fixmedinsCode: string, opter: string, signNo: string | undefined): Promise<void> {
    if (this.mode === 'off') return;
    if (signNo === undefined) {
      if (this.mode === 'required') throw new NhsaFault(`sign_no：请先签到（9001）并在每笔交易中携带签到编号（本网关配置 NHSA_SIGN_IN=required）`, true);
      return;
    }
    const live = await this.live(fixmedinsCode, opter);
    if (live === null || live.sign_no !== signNo) throw new NhsaFault(`sign_no：签到编号 ${signNo} 不是操作员 ${opter} 当前的签到（已签退、未签到或属于其他操作员），请重新签到（9001）`, true);
  }
}
