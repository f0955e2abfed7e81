import { Conflict } from '../errors.js';

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
