/**
 * A fee row classified as the platform classifies it: its national code (the row's med_list_codg, or the hospital's
 * 3301 目录对照 of its medins_list_codg), that code's 医保目录 row in force on the day, and from it the class, the
 * self-pay ratio, the price cap (and so the over-limit amount) and the item's attributes.
 *
 * Reading — **the catalogue wins when one is loaded.** The platform classifies by its catalogue, not by what a HIS
 * says; a HIS's own chrgitm_lv / selfpay_prop / overlmt_amt / pric_uplmt_amt (the gateway's row extension) are then
 * recorded (the stored row keeps them, the answer's memo names any that differ) and not used. A code in no catalogue
 * is 丙类 (全自费) with the reason in memo — the funds pay nothing for it, as on the platform. Without a catalogue
 * (NHSA_CATALOGUE_FILES unset) the row extension classifies, as before: absent, 丙类, said in memo; a 3301 目录对照 still
 * names the national code.
 */
import { Decimal } from 'decimal.js';
import type { FeeRow } from '../inputs.js';
import { fenText } from '../amounts.js';
import { limitTimesCountFen, type ClassifiedRow } from '../fee-rows.js';
import type { Catalogue, CatalogueEntry } from './catalogue.js';
import { periodOn, type Mappings, type MappingPeriod } from './mappings.js';

/**
 * The row as classified (the fields the answer and the native bill read), what the gateway says of it (memo), and its
 * national code — undefined when the row sent none and no 目录对照 maps its hospital code (its native item then carries
 * the hospital code, and it is 丙类; 2301 refuses such a row).
 */
export interface Classified { row: ClassifiedRow; memo: string; nationalCode: string | undefined }

/** memo is 字符型(500) in the 2301 output. */
const MEMO_MAX_CHARS = 500;
const LEVEL_NAME = { '01': '甲类', '02': '乙类', '03': '丙类' } as const;

/** The national code of a row on a day: the hospital's 目录对照 in force, else the code the row carries; and a note when they differ. */
function nationalCodeOf(row: FeeRow, mappings: readonly MappingPeriod[], day: string): { code: string | undefined; note: string | undefined } {
  const mapping = periodOn(mappings, day);
  const code = mapping?.med_list_codg ?? row.med_list_codg;
  const note = mapping && row.med_list_codg !== undefined && mapping.med_list_codg !== row.med_list_codg
    ? `目录对照（3301）将 ${row.medins_list_codg} 对照为 ${mapping.med_list_codg}（上传的 med_list_codg 为 ${row.med_list_codg}），按对照计` : undefined;
  return { code, note };
}

const NO_CODE = (row: FeeRow, day: string) => `未上传医保目录编码（med_list_codg），医疗机构目录编码 ${row.medins_list_codg} 在 ${day} 无目录对照（3301），按丙类（全自费）计`;

/** The extension's classification (no catalogue loaded), the national code resolved as with one. */
export function byRowExtension(row: FeeRow, mappings: readonly MappingPeriod[] = [], day = row.fee_ocur_time.slice(0, 10)): Classified {
  const { code, note } = nationalCodeOf(row, mappings, day);
  if (code === undefined) return { row: { ...withoutCatalogueFields(row), med_list_codg: row.medins_list_codg, chrgitm_lv: '03' }, memo: NO_CODE(row, day), nationalCode: undefined };
  return { row: { ...row, med_list_codg: code }, memo: memoOf([row.chrgitm_lv ? undefined : '未提供收费项目等级（chrgitm_lv），按丙类（全自费）计', note]), nationalCode: code };
}

/** What the HIS sent of the catalogue's fields, where it differs from the catalogue: recorded in memo, not used. */
function hisDiffers(row: FeeRow, classified: FeeRow): string | undefined {
  const sent = ([
    ['chrgitm_lv', row.chrgitm_lv, classified.chrgitm_lv],
    // The ratio in force: 乙类's own, 0 for 甲类, 1 for 丙类 (as the answer writes it).
    ['selfpay_prop', row.selfpay_prop, classified.chrgitm_lv === '02' ? classified.selfpay_prop : classified.chrgitm_lv === '03' ? '1' : '0'],
    ['overlmt_amt', row.overlmt_amt === undefined ? undefined : fenText(Math.abs(row.overlmt_amt)), classified.overlmt_amt === undefined ? '0.00' : fenText(Math.abs(classified.overlmt_amt))],
    ['pric_uplmt_amt', row.pric_uplmt_amt === undefined ? undefined : fenText(row.pric_uplmt_amt), classified.pric_uplmt_amt === undefined ? undefined : fenText(classified.pric_uplmt_amt)],
  ] as const).filter(([, his, ours]) => his !== undefined && (ours === undefined || !new Decimal(his).eq(ours)));
  return sent.length > 0 ? `医院上传 ${sent.map(([f, his]) => `${f} ${his}`).join('、')}，以医保目录为准` : undefined;
}

/** The row without the fields a catalogue decides (they come from the catalogue or are absent). */
function withoutCatalogueFields(row: FeeRow): FeeRow {
  const { chrgitm_lv: _l, selfpay_prop: _s, overlmt_amt: _o, pric_uplmt_amt: _p, med_chrgitm_type: _t, lmt_used_flag: _f1, bas_medn_flag: _f2,
    hi_nego_drug_flag: _f3, chld_medc_flag: _f4, list_sp_item_flag: _f5, drt_reim_flag: _f6, ...rest } = row;
  return rest;
}

const memoOf = (notes: ReadonlyArray<string | undefined>) => notes.filter((n) => n).join('；').slice(0, MEMO_MAX_CHARS);

/**
 * One row by the catalogue on the day: the mapping of its hospital code in force that day names its national code
 * (else the row's med_list_codg), and that code's catalogue row its terms. Pure.
 */
export function classifyRow(row: FeeRow, catalogue: Catalogue, mappings: readonly MappingPeriod[], day: string): Classified {
  const { code, note: mapped } = nationalCodeOf(row, mappings, day);
  if (code === undefined) {
    const classified: ClassifiedRow = { ...withoutCatalogueFields(row), med_list_codg: row.medins_list_codg, chrgitm_lv: '03' };
    return { row: classified, memo: memoOf([NO_CODE(row, day), hisDiffers(row, classified)]), nationalCode: undefined };
  }
  const entry = catalogue.entryOn(code, day);
  const base = { ...withoutCatalogueFields(row), med_list_codg: code };
  if (!entry) {
    const classified: ClassifiedRow = { ...base, chrgitm_lv: '03' };
    const why = `医保目录（${day} 有效的版本）中无编码 ${code}${periodOn(mappings, day) ? '' : `，医疗机构目录编码 ${row.medins_list_codg} 也无目录对照（3301）`}，按丙类（全自费）计`;
    return { row: classified, memo: memoOf([why, mapped, hisDiffers(row, classified)]), nationalCode: code };
  }
  // 限制使用 with the hospital's approval refused (hosp_appr_flag 2 审批不通过, as commonly implemented): paid by the patient.
  const refused = entry.lmt_used_flag === '1' && row.hosp_appr_flag === '2';
  const level = refused ? '03' : entry.chrgitm_lv;
  const overFen = level !== '03' && entry.pric_uplmt_amt !== undefined ? overLimitFen(row, entry.pric_uplmt_amt) : 0;
  const classified: ClassifiedRow = {
    ...base,
    chrgitm_lv: level,
    ...(level === '02' && entry.selfpay_prop !== undefined ? { selfpay_prop: entry.selfpay_prop } : {}),
    ...(overFen !== 0 ? { overlmt_amt: overFen } : {}),
    ...(entry.pric_uplmt_amt !== undefined ? { pric_uplmt_amt: entry.pric_uplmt_amt } : {}),
    med_chrgitm_type: entry.med_chrgitm_type,
    lmt_used_flag: entry.lmt_used_flag,
    ...attributes(entry),
  };
  const terms = `医保目录：${entry.hilist_name || code} ${LEVEL_NAME[entry.chrgitm_lv]}${entry.chrgitm_lv === '02' ? `，先行自付比例 ${entry.selfpay_prop}` : ''}（${entry.source} 自 ${entry.begndate}）`;
  const limit = entry.lmt_used_flag === '1'
    ? (refused ? `限制使用（${entry.lmt_used_scp}），医院审批不通过（hosp_appr_flag 2），按丙类（全自费）计` : `限制使用：${entry.lmt_used_scp}`) : undefined;
  const cap = overFen !== 0 ? `超过定价上限 ${fenText(entry.pric_uplmt_amt!)} × 数量 ${row.cnt}，超限价 ${fenText(Math.abs(overFen))}` : undefined;
  return { row: classified, memo: memoOf([terms, limit, cap, mapped, hisDiffers(row, classified)]), nationalCode: code };
}

const attributes = (e: CatalogueEntry): Partial<FeeRow> => Object.fromEntries(
  (['bas_medn_flag', 'hi_nego_drug_flag', 'chld_medc_flag', 'list_sp_item_flag', 'drt_reim_flag'] as const).flatMap((f) => (e[f] !== undefined ? [[f, e[f]]] : [])),
);

/** 超限价金额: what the row's amount exceeds the cap × |cnt| by (never negative), with the row's sign (refund rows negative). */
function overLimitFen(row: FeeRow, capFen: number): number {
  const over = Math.max(0, Math.abs(row.det_item_fee_sumamt) - limitTimesCountFen(capFen, row.cnt));
  return (row.det_item_fee_sumamt < 0 ? -over : over) || 0;
}

/** The rows of a stay classified together: the hospital's mappings read once, each row on its day. */
export class Classifier {
  constructor(readonly catalogue: Catalogue | undefined, readonly mappings: Mappings) {}

  /**
   * The day a row classifies on: the stay's discharge day once it has one (a stay discharged on D classifies by the
   * catalogue in force on D), else — a 2301 answer before discharge — the day the fee arose.
   */
  async classify(fixmedinsCode: string, rows: readonly FeeRow[], dischargeDay: string | undefined): Promise<Classified[]> {
    const catalogue = this.catalogue;
    const periods = await this.mappings.periodsOf(fixmedinsCode, rows.map((r) => r.medins_list_codg));
    return rows.map((r) => {
      const day = dischargeDay ?? r.fee_ocur_time.slice(0, 10);
      const mapped = periods.get(r.medins_list_codg) ?? [];
      return catalogue ? classifyRow(r, catalogue, mapped, day) : byRowExtension(r, mapped, day);
    });
  }
}
