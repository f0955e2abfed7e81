import { Conflict, Unavailable } from '../errors.js';
import type { WriteGuard } from './port.js';

/**
 * The settlement id is claimed by another person's commit that has not (yet) stored a record: the
 * claim is written before the commit script and never removed (see README.md, "The settlement-id
 * index"). Under one hospital a settlement id names one stay of one person, so another person's
 * request under that id is a conflict even though there is no record to show.
 */
export class SettlementIdClaimed extends Conflict {
  constructor(readonly hospitalId: string, readonly settlementId: string) {
    super(`结算号 ${hospitalId}/${settlementId} 已被另一参保人的结算占用`);
  }
}

/** The caller gave up (its request timed out) before the write was sent: nothing was committed. */
export class CommitAborted extends Unavailable {
  constructor() { super('请求已超时，本次未记账；请用同一结算号重试', 1); }
}

/** The last moment a write may be called off: throws CommitAborted if the caller gave up, else marks it sent. */
export function sendingWrite(guard: WriteGuard | undefined): void {
  if (guard?.signal?.aborted) throw new CommitAborted();
  guard?.onSend?.();
}
