/**
 * The gateway's own records of a period as 对账 rows: every settlement of the hospital settled in the
 * period (refd_setl_flag 0) and every one reversed in it (refd_setl_flag 1, negated), mapped through
 * the same 2304 mapping as the answer, so 对账 sums what the hospital was told.
 */
import type { SettlementListing } from '../../gateway/ledger/port.js';
import type { StoredSettlement } from '../../gateway/ledger/stored.js';
import { NhsaFault } from './fault.js';
import { fenOf } from './amounts.js';
import type { StatementRow } from './reconcile.js';
import { settlement2304Of, type Mapping2304Options } from './settlement-2304.js';
import type { Stays } from './stays.js';

/** A period longer than this many records is refused (ask for a shorter one): bounds the memory of one call. */
const STATEMENT_ROWS_MAX = 200_000;

/** The day after a yyyy-MM-dd date (the ledger's range is [from, to)). */
function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export async function statementRows(ledger: Pick<SettlementListing, 'listSettlements'>, stays: Stays, options: Mapping2304Options, hospitalId: string, from: string, to: string): Promise<StatementRow[]> {
  if (to < from) throw new NhsaFault('input.data.stmt_enddate：对账结束日期早于开始日期');
  const end = nextDay(to);
  const records: Array<{ record: StoredSettlement; reversal: boolean }> = [];
  for (const by of ['settledAt', 'reversedAt'] as const) {
    for await (const record of ledger.listSettlements({ from, to: end, by, hospitalId })) {
      records.push({ record, reversal: by === 'reversedAt' });
      if (records.length > STATEMENT_ROWS_MAX) throw new NhsaFault(`input.data：对账期间的结算记录超过 ${STATEMENT_ROWS_MAX} 笔，请缩短对账期间`);
    }
  }
  const setls = await stays.getSetls(records.map((r) => r.record.gatewayId));
  return records.map(({ record, reversal }, index) => {
    // The ledger's one reader of a stored split (its figures; a reversal row negates them below).
    const split = record.split;
    // Read by the record's own version (gateway/ledger/stored.ts), never by today's request schema.
    const request = record.request;
    const { setlinfo } = settlement2304Of(split, request, options);
    const sign = reversal ? -1 : 1;
    const setl = setls[index];
    return {
      psn_no: setlinfo.psn_no, mdtrt_id: setlinfo.mdtrt_id, setl_id: setlinfo.setl_id,
      msgid: (reversal ? setl?.reversal_msgid : setl?.msgid) ?? setlinfo.medins_setl_id,
      refd_setl_flag: reversal ? '1' : '0',
      medfee_sumamt: sign * fenOf(setlinfo.medfee_sumamt), fund_pay_sumamt: sign * fenOf(setlinfo.fund_pay_sumamt), acct_pay: sign * fenOf(setlinfo.acct_pay),
      insutype: setlinfo.insutype, clr_type: setlinfo.clr_type, setl_optins: setlinfo.clr_optins,
    };
  });
}
