/**
 * The stays of the national interface in the document store. One collection per concern (each is one
 * Redis Cluster slot, the unit of atomicity):
 *   nhsa.stays   mdtrt_id → the stay (2401 admission, 2402 discharge, its settlements)
 *   nhsa.fees    <mdtrt_id>.<feedetl_sn> → one fee row (written if absent: a feedetl_sn is never reused),
 *                indexed per stay by upload order, so rows of concurrent uploads never overwrite each other
 *   nhsa.setl    setl_id → the stay and native settlement it names (2305, 对账)
 *   nhsa.msgid   <fixmedins_code>.<msgid> → the first answer's text, replayed byte for byte
 *   nhsa.inpatients <fixmedins_code>.<psn_no> → the person's latest stay at the hospital (one open stay per person)
 *   nhsa.corrections <fixmedins_code>.<omsgid> → the 2601 冲正 of that msgid (calls/correction.ts)
 *   nhsa.persons <fixmedins_code>.<digest of certno> → the psn_no the hospital admitted that ID number under (1101)
 */
import * as z from 'zod';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import { RANGE_LIMIT_MAX } from '../../gateway/ledger/documents/port.js';
import { admissionExt, diseRow, feeRow, input2401, input2402, LIMITS, type FeeRow } from './inputs.js';
import { NhsaFault } from './fault.js';
import { sha256 } from '../../gateway/service/ids.js';

export const COLLECTIONS = { stays: 'nhsa.stays', fees: 'nhsa.fees', setl: 'nhsa.setl', msgid: 'nhsa.msgid', inpatients: 'nhsa.inpatients', corrections: 'nhsa.corrections', persons: 'nhsa.persons' } as const;

/**
 * A row as stored: its amounts already in fen (read back as fen, not as yuan text); its time as stored — an earlier
 * release did not check the calendar, and what it stored must still read (never today's input rules on a record).
 */
export const feeStored = feeRow.extend({ det_item_fee_sumamt: z.int(), overlmt_amt: z.int().optional(), pric_uplmt_amt: z.int().optional(), fee_ocur_time: z.string() });

export const stayDoc = z.object({
  v: z.literal(1),
  mdtrt_id: z.string(),
  fixmedins_code: z.string(),
  mdtrtarea_admvs: z.string(),
  insuplc_admdvs: z.string(),
  // Times as stored (an earlier release did not check the calendar): a stay it admitted must still read.
  mdtrtinfo: input2401.shape.mdtrtinfo.extend({ begntime: z.string() }),
  diseinfo: z.array(diseRow.extend({ diag_srt_no: z.string().optional() })),
  ext: admissionExt.extend({ hosp_lv: z.int() }),
  dscginfo: input2402.shape.dscginfo.extend({ endtime: z.string() }).optional(),
  dscg_diseinfo: z.array(diseRow.extend({ diag_srt_no: z.string().optional() })).optional(),
  settlements: z.array(z.object({ setl_id: z.string(), settlement_id: z.string(), status: z.enum(['settled', 'reversed']), msgid: z.string() })),
  admitted_at: z.string(),
});
export type Stay = z.infer<typeof stayDoc>;

const setlDoc = z.object({
  setl_id: z.string(), mdtrt_id: z.string(), fixmedins_code: z.string(), settlement_id: z.string(), psn_no: z.string(),
  msgid: z.string(), reversal_msgid: z.string().optional(),
});
export type SetlDoc = z.infer<typeof setlDoc>;

/** nhsa.inpatients: the person's latest stay at a hospital. */
const inpatientDoc = z.object({ mdtrt_id: z.string() });
const stayIdOf = (text: string | null): string | null => (text === null ? null : inpatientDoc.parse(JSON.parse(text)).mdtrt_id);

/** nhsa.persons: an ID number's psn_no at a hospital, keyed by a digest of the number (never the number itself). */
const personDoc = z.object({ psn_no: z.string() });
const personKeyOf = (fixmedinsCode: string, certno: string) => `${fixmedinsCode}.${sha256(`certno:${certno}`).slice(0, 40)}`;

const feeId = (mdtrtId: string, sn: string) => `${mdtrtId}.${sn}`;
const stayIndex = (mdtrtId: string) => `stay.${mdtrtId}`;

export class Stays {
  constructor(private readonly store: DocumentStore) {}

  /**
   * Opens a stay; refused while the person has an unsettled stay at the same hospital (在院), as the
   * platform refuses a second admission. A stay counts as closed once settled.
   */
  async create(stay: Stay): Promise<void> {
    const personKey = `${stay.fixmedins_code}.${stay.mdtrtinfo.psn_no}`;
    const pointer = JSON.stringify(inpatientDoc.parse({ mdtrt_id: stay.mdtrt_id }));
    if (!(await this.store.put(COLLECTIONS.inpatients, personKey, pointer, { ifAbsent: true }))) {
      const openId = stayIdOf(await this.store.get(COLLECTIONS.inpatients, personKey));
      const open = openId === null ? null : await this.store.get(COLLECTIONS.stays, openId);
      const openStay = open === null ? null : stayDoc.parse(JSON.parse(open));
      if (openStay && !openStay.settlements.some((s) => s.status === 'settled')) {
        throw new NhsaFault(`input.mdtrtinfo.psn_no：该人员已在院（就诊ID ${openStay.mdtrt_id}，入院 ${openStay.mdtrtinfo.begntime}），请先出院结算`);
      }
      await this.store.put(COLLECTIONS.inpatients, personKey, pointer);
    }
    if (!(await this.store.put(COLLECTIONS.stays, stay.mdtrt_id, JSON.stringify(stay), { ifAbsent: true }))) throw new Error(`mdtrt_id ${stay.mdtrt_id} already exists`);
  }

  /** The psn_no a hospital last admitted an ID number under (1101 answers from it), or null. */
  async psnNoOf(fixmedinsCode: string, certno: string): Promise<string | null> {
    const text = await this.store.get(COLLECTIONS.persons, personKeyOf(fixmedinsCode, certno));
    return text === null ? null : personDoc.parse(JSON.parse(text)).psn_no;
  }

  /** Notes under which psn_no a hospital admitted an ID number (the stay's native person id). */
  async notePerson(fixmedinsCode: string, certno: string, psnNo: string): Promise<void> {
    await this.store.put(COLLECTIONS.persons, personKeyOf(fixmedinsCode, certno), JSON.stringify(personDoc.parse({ psn_no: psnNo })));
  }

  /** The stay, only for the hospital that admitted it (another hospital is told it does not exist). */
  async get(mdtrtId: string, fixmedinsCode: string, path: string): Promise<Stay> {
    const text = await this.store.get(COLLECTIONS.stays, mdtrtId);
    const stay = text === null ? null : stayDoc.parse(JSON.parse(text));
    if (!stay || stay.fixmedins_code !== fixmedinsCode) throw new NhsaFault(`${path}：就诊ID ${mdtrtId} 不存在（未办理入院 2401）`);
    return stay;
  }

  /** The person's latest stay at the hospital (2601 of a lost 2304, 5201, 1101), or null. */
  async latestOf(fixmedinsCode: string, psnNo: string): Promise<Stay | null> {
    const id = stayIdOf(await this.store.get(COLLECTIONS.inpatients, `${fixmedinsCode}.${psnNo}`));
    const text = id === null ? null : await this.store.get(COLLECTIONS.stays, id);
    return text === null ? null : stayDoc.parse(JSON.parse(text));
  }

  /** Removes a stay that was opened by mistake (2405); its person may be admitted again. */
  async remove(stay: Stay): Promise<void> {
    const personKey = `${stay.fixmedins_code}.${stay.mdtrtinfo.psn_no}`;
    if (stayIdOf(await this.store.get(COLLECTIONS.inpatients, personKey)) === stay.mdtrt_id) await this.store.delete(COLLECTIONS.inpatients, personKey);
    await this.store.delete(COLLECTIONS.stays, stay.mdtrt_id);
  }

  async save(stay: Stay): Promise<void> {
    await this.store.put(COLLECTIONS.stays, stay.mdtrt_id, JSON.stringify(stay));
  }

  /** Every fee row of the stay in upload order (bounded: LIMITS.feeRowsPerStay). */
  async rows(mdtrtId: string): Promise<FeeRow[]> {
    const ids: string[] = [];
    for (let offset = 0; offset < LIMITS.feeRowsPerStay; offset += RANGE_LIMIT_MAX) {
      const page = await this.store.range(COLLECTIONS.fees, stayIndex(mdtrtId), 0, Number.MAX_SAFE_INTEGER, { offset, limit: RANGE_LIMIT_MAX });
      ids.push(...page);
      if (page.length < RANGE_LIMIT_MAX) break;
    }
    if (ids.length === 0) return [];
    const texts = await this.store.getMany(COLLECTIONS.fees, ids);
    return texts.flatMap((t) => (t === null ? [] : [feeStored.parse(JSON.parse(t))]));
  }

  /** Adds a row unless its feedetl_sn is already used in this stay; false when it is. */
  addRow(row: FeeRow, order: number): Promise<boolean> {
    return this.store.put(COLLECTIONS.fees, feeId(row.mdtrt_id, row.feedetl_sn), JSON.stringify(row), { ifAbsent: true, index: { [stayIndex(row.mdtrt_id)]: order } });
  }

  removeRow(mdtrtId: string, sn: string): Promise<void> {
    return this.store.delete(COLLECTIONS.fees, feeId(mdtrtId, sn));
  }

  async putSetl(doc: SetlDoc): Promise<void> {
    await this.store.put(COLLECTIONS.setl, doc.setl_id, JSON.stringify(doc));
  }

  async getSetl(setlId: string): Promise<SetlDoc | null> {
    const text = await this.store.get(COLLECTIONS.setl, setlId);
    return text === null ? null : setlDoc.parse(JSON.parse(text));
  }

  async getSetls(setlIds: readonly string[]): Promise<Array<SetlDoc | null>> {
    if (setlIds.length === 0) return [];
    return (await this.store.getMany(COLLECTIONS.setl, setlIds)).map((t) => (t === null ? null : setlDoc.parse(JSON.parse(t))));
  }
}
