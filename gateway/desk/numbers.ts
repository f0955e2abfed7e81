/**
 * Settlement numbers the desk hands to its windows: `ZY` + the time to the second in China
 * (ZY20240310091244), with `-2`, `-3`… for further windows of the same hospital in that second. Each number
 * is claimed in the document store beside the ledger (one atomic put-if-absent, shared by every gateway),
 * so two windows — two tabs, two PCs, two gateways — never get the same one. A clerk can read it out, and it
 * keeps to the contract's settlementId (letters, digits, `-`; here at most 20 characters).
 */
import { Unavailable } from '../errors.js';
import type { SettlementBook } from '../ledger/port.js';
import { chinaTime } from '../service/ids.js';
import { RANGE_LIMIT_MAX, type DocumentStore } from '../ledger/documents/port.js';

const COLLECTION = 'desk.numbers';
/** Windows of one hospital given a number within one second: beyond this the call is refused (503), never queued. */
export const NUMBERS_PER_SECOND_MAX = 99;
/**
 * Claims are kept for the day they were made and the next (China days), then forgotten: a number is only ever
 * claimed in its own second, so an old claim guards nothing but gateways whose clocks disagree by a day; the
 * ledger's check still passes over any number already settled.
 */
export const CLAIM_DAYS_KEPT = 2;
/** Claims forgotten by one prune, in pages of the store's range limit: the rest wait for the next prune. */
const PRUNE_MAX = 100 * RANGE_LIMIT_MAX;

/** ZY + yyyyMMddHHmmss (+08:00). */
export const secondNumber = (now: Date): string => `ZY${chinaTime(now).slice(0, 19).replace(/[-:T]/g, '')}`;
/** The China day of an instant as a number, yyyyMMdd: the claims' index score. */
const chinaDay = (at: Date): number => Number(chinaTime(at).slice(0, 10).replace(/-/g, ''));

export class SettlementNumbers {
  constructor(private readonly store: DocumentStore, private readonly ledger: Pick<SettlementBook, 'getSettlement'>) {}

  /**
   * A number no window of the hospital was given before. One already in the ledger (typed by a clerk from
   * the HIS, or given before numbers were claimed) is passed over: its claim stays, so it is asked once.
   */
  async issue(hospitalId: string, now: Date, clientName: string): Promise<string> {
    const base = secondNumber(now);
    const claim = JSON.stringify({ issuedAt: chinaTime(now), client: clientName });
    for (let n = 1; n <= NUMBERS_PER_SECOND_MAX; n++) {
      const settlementId = n === 1 ? base : `${base}-${n}`;
      if (!(await this.store.put(COLLECTION, `${hospitalId}.${settlementId}`, claim, { ifAbsent: true, index: { byDay: chinaDay(now) } }))) continue;
      if ((await this.ledger.getSettlement(hospitalId, settlementId)) === null) return settlementId;
    }
    throw new Unavailable(`本秒内已发出 ${NUMBERS_PER_SECOND_MAX} 个结算号，请一秒后再按“下一位”`, 1);
  }

  /** Forgets the claims of days before the last CLAIM_DAYS_KEPT (at most PRUNE_MAX of them); answers how many. */
  async prune(now: Date): Promise<number> {
    const keptFrom = chinaDay(new Date(now.getTime() - (CLAIM_DAYS_KEPT - 1) * 86_400_000));
    let pruned = 0;
    while (pruned < PRUNE_MAX) {
      const ids = await this.store.range(COLLECTION, 'byDay', 0, keptFrom - 1, { limit: RANGE_LIMIT_MAX });
      for (const id of ids) await this.store.delete(COLLECTION, id);
      pruned += ids.length;
      if (ids.length < RANGE_LIMIT_MAX) break;
    }
    return pruned;
  }
}
