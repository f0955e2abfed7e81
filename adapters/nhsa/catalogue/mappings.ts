/**
 * 3301 目录对照: a hospital's own item codes (medins_list_codg, the national tables' fixmedins_hilist_id) mapped to
 * national codes, each mapping with its period. Two sources, read in this order: what the HIS sent by 3301 (the
 * document store, `nhsa.catalogue-map`, one document per hospital and item) and a file the region or hospital
 * publishes (NHSA_CATALOGUE_MAPPINGS_FILE: the 1317 医药机构目录匹配信息 download, read at start-up).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import * as z from 'zod';
import type { DocumentStore } from '../../../gateway/ledger/documents/port.js';
import { decodeCsvUpload, parseCsvRecords } from '../../../gateway/csv.js';
import { sha256 } from '../../../gateway/service/ids.js';
import { PLAIN_TEXT } from '../../../schemas/primitives.js';
import { NhsaFault } from '../fault.js';
import { readNational } from '../wire.js';
import { CatalogueError, CATALOGUE_LIMITS } from './catalogue.js';

const MAPPINGS_COLLECTION = 'nhsa.catalogue-map';

const text = (max: number) => z.string().max(max, `长度不能超过 ${max}`).regex(PLAIN_TEXT, '不得含控制字符');
const required = (max: number) => text(max).min(1, '必填项缺失');
const day = z.iso.date('应为存在的日期 yyyy-MM-dd');

/** One mapping as 3301 sends it (目录对照上传 input `data`), the optional descriptive fields kept as sent. */
export const mappingInput = z.object({
  fixmedins_hilist_id: required(150),
  fixmedins_hilist_name: required(200),
  list_type: z.string().regex(/^\d{3}$/, '目录类别应为 3 位代码（101 西药中成药、102 中药饮片、201 医疗服务项目、301 医用耗材）'),
  med_list_codg: required(50).regex(/^[0-9A-Za-z]+$/, '只能包含字母和数字'),
  begndate: day,
  enddate: day.optional(),
  aprvno: text(100).optional(),
  dosform: text(50).optional(),
  exct_cont: text(2000).optional(),
  item_cont: text(2000).optional(),
  prcunt: text(100).optional(),
  spec: text(200).optional(),
  pacspec: text(100).optional(),
  memo: text(500).optional(),
}).refine((m) => m.enddate === undefined || m.enddate >= m.begndate, { path: ['enddate'], message: '结束日期早于开始日期' });
export type MappingInput = z.infer<typeof mappingInput>;

/** A period of an item's mapping: which national code, from when to when, and who said so (a 3301 msgid or the file). */
const period = z.object({ med_list_codg: z.string(), list_type: z.string(), begndate: z.string(), enddate: z.string().optional(), name: z.string(), from: z.string() });
export type MappingPeriod = z.infer<typeof period>;
const mappingDoc = z.object({ v: z.literal(1), fixmedins_code: z.string(), fixmedins_hilist_id: z.string(), periods: z.array(period) });
type MappingDoc = z.infer<typeof mappingDoc>;

/** Store ids are bounded key parts: the hospital, then a digest of its item code (which may hold any character). */
const idOf = (fixmedinsCode: string, itemCode: string) => `${fixmedinsCode}.${sha256(`item:${itemCode}`).slice(0, 40)}`;
const overlaps = (a: { begndate: string; enddate?: string | undefined }, b: { begndate: string; enddate?: string | undefined }) =>
  a.begndate <= (b.enddate ?? '9999-12-31') && b.begndate <= (a.enddate ?? '9999-12-31');

/** The period in force on the day, if any. */
export const periodOn = (periods: readonly MappingPeriod[], on: string): MappingPeriod | undefined =>
  periods.find((p) => p.begndate <= on && (p.enddate === undefined || on <= p.enddate));

/** A row of the mappings file: the hospital it is for, and the mapping. */
const fileRow = mappingInput.and(z.object({ fixmedins_code: required(30) }));

/** The mappings file (CSV with the national field names as header, or JSON rows): hospital + item → periods. */
export function parseMappingsFile(name: string, bytes: Buffer): Map<string, MappingPeriod[]> {
  if (bytes.length > CATALOGUE_LIMITS.bytesPerFile) throw new CatalogueError([`${name}：文件超过 ${CATALOGUE_LIMITS.bytesPerFile} 字节`]);
  let rows: Array<{ fields: unknown; line: number }>;
  if (extname(name).toLowerCase() === '.json') {
    const parsed = z.array(z.unknown()).safeParse(readNational(bytes.toString('utf8').replace(/^\uFEFF/, '')));
    if (!parsed.success) throw new CatalogueError([`${name}：应为目录对照行的数组`]);
    rows = parsed.data.map((fields, i) => ({ fields, line: i + 1 }));
  } else {
    const records = parseCsvRecords(decodeCsvUpload(bytes).text);
    const header = records[0]?.fields.map((h) => h.trim()) ?? [];
    if (!header.includes('fixmedins_hilist_id')) throw new CatalogueError([`${name}：第 1 行应为表头（fixmedins_code, fixmedins_hilist_id, fixmedins_hilist_name, list_type, med_list_codg, begndate, enddate）`]);
    rows = records.slice(1).map((r) => ({ fields: Object.fromEntries(header.flatMap((h, i) => (r.fields[i] ? [[h, r.fields[i]!.trim()]] : []))), line: r.line }));
  }
  if (rows.length > CATALOGUE_LIMITS.rowsPerFile) throw new CatalogueError([`${name}：超过 ${CATALOGUE_LIMITS.rowsPerFile} 行`]);
  const problems: string[] = [];
  const byItem = new Map<string, MappingPeriod[]>();
  for (const { fields, line } of rows) {
    const parsed = fileRow.safeParse(fields);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${name} 第 ${line} 行 ${issue.path.join('.') || '(行)'}：${issue.message}`);
      continue;
    }
    const m = parsed.data;
    const key = idOf(m.fixmedins_code, m.fixmedins_hilist_id);
    const periods = byItem.get(key) ?? [];
    const next: MappingPeriod = { med_list_codg: m.med_list_codg, list_type: m.list_type, begndate: m.begndate, ...(m.enddate ? { enddate: m.enddate } : {}), name: m.fixmedins_hilist_name, from: `${name} 第 ${line} 行` };
    const clash = periods.find((p) => overlaps(p, next));
    if (clash) problems.push(`${name} 第 ${line} 行 begndate：${m.fixmedins_code} 的 ${m.fixmedins_hilist_id} 与 ${clash.from} 的对照期间重叠`);
    else byItem.set(key, [...periods, next]);
  }
  if (problems.length > 0) throw new CatalogueError(problems);
  return byItem;
}

export function loadMappingsFile(file: string | undefined): Map<string, MappingPeriod[]> {
  return file ? parseMappingsFile(file, readFileSync(file)) : new Map();
}

export class Mappings {
  constructor(private readonly store: DocumentStore, private readonly fromFile: ReadonlyMap<string, readonly MappingPeriod[]> = new Map()) {}

  private async doc(fixmedinsCode: string, itemCode: string): Promise<MappingDoc | null> {
    const t = await this.store.get(MAPPINGS_COLLECTION, idOf(fixmedinsCode, itemCode));
    return t === null ? null : mappingDoc.parse(JSON.parse(t));
  }

  /**
   * 3301: adds the mapping's period to the item. The same mapping again is answered as done (a retry); a period that
   * overlaps another of the item's is refused — two national codes for one item on one day would be a guess.
   */
  async add(fixmedinsCode: string, m: MappingInput, from: string): Promise<'added' | 'already'> {
    const current = await this.doc(fixmedinsCode, m.fixmedins_hilist_id);
    const periods = current?.periods ?? [];
    const same = periods.find((p) => p.med_list_codg === m.med_list_codg && p.begndate === m.begndate && p.enddate === m.enddate);
    if (same) return 'already';
    const clash = periods.find((p) => overlaps(p, m));
    if (clash) {
      throw new NhsaFault(`input.data.begndate：${m.fixmedins_hilist_id} 在 ${clash.begndate}–${clash.enddate ?? '长期'} 已对照为 ${clash.med_list_codg}，期间重叠；请先撤销该对照（3302）或调整起止日期`);
    }
    const next: MappingPeriod = { med_list_codg: m.med_list_codg, list_type: m.list_type, begndate: m.begndate, ...(m.enddate ? { enddate: m.enddate } : {}), name: m.fixmedins_hilist_name, from };
    const doc: MappingDoc = { v: 1, fixmedins_code: fixmedinsCode, fixmedins_hilist_id: m.fixmedins_hilist_id, periods: [...periods, next].sort((a, b) => a.begndate.localeCompare(b.begndate)) };
    await this.store.put(MAPPINGS_COLLECTION, idOf(fixmedinsCode, m.fixmedins_hilist_id), JSON.stringify(mappingDoc.parse(doc)));
    return 'added';
  }

  /** 3302: removes the item's periods mapped to that national code; the number removed (0: there was none). */
  async remove(fixmedinsCode: string, itemCode: string, nationalCode: string): Promise<number> {
    const current = await this.doc(fixmedinsCode, itemCode);
    if (!current) return 0;
    const kept = current.periods.filter((p) => p.med_list_codg !== nationalCode);
    const removed = current.periods.length - kept.length;
    if (removed === 0) return 0;
    if (kept.length === 0) await this.store.delete(MAPPINGS_COLLECTION, idOf(fixmedinsCode, itemCode));
    else await this.store.put(MAPPINGS_COLLECTION, idOf(fixmedinsCode, itemCode), JSON.stringify(mappingDoc.parse({ ...current, periods: kept })));
    return removed;
  }

  /** The periods of each item code at the hospital: its 3301 mappings where it has any, else the file's. */
  async periodsOf(fixmedinsCode: string, itemCodes: readonly string[]): Promise<Map<string, readonly MappingPeriod[]>> {
    const codes = [...new Set(itemCodes)];
    const texts = codes.length === 0 ? [] : await this.store.getMany(MAPPINGS_COLLECTION, codes.map((c) => idOf(fixmedinsCode, c)));
    return new Map(codes.map((code, i) => {
      const t = texts[i];
      const sent = t ? mappingDoc.parse(JSON.parse(t)).periods : [];
      return [code, sent.length > 0 ? sent : (this.fromFile.get(idOf(fixmedinsCode, code)) ?? [])];
    }));
  }
}
