/**
 * The 医保目录 as data: the catalogue files a region publishes (西药中成药, 中药饮片, 医疗服务项目, 医用耗材 — the
 * platform's 1312 医保目录信息, with 1318's price cap and the region's 先行自付比例 beside it), one row per national code
 * and period of validity. A stay classifies by the row in force on its day (begndate ≤ day ≤ enddate), so a catalogue
 * that changes on 1 January is one file with both periods, or two files, and a stay discharged on 31 December keeps
 * the old class. Pure: text in, an index out; the files are read by `loadCatalogueFiles`.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import * as z from 'zod';
import { decodeCsvUpload, parseCsvRecords } from '../../../gateway/csv.js';
import { PLAIN_TEXT } from '../../../schemas/primitives.js';
import { signedFen } from '../amounts.js';
import { readNational } from '../wire.js';

/** Bounds: a province's full catalogue is some 100 000 rows; a file above these is refused, not half read. */
export const CATALOGUE_LIMITS = { bytesPerFile: 64 * 1024 * 1024, rowsPerFile: 500_000, scopeChars: 2000 } as const;

const calendarDay = z.iso.date('应为存在的日期 yyyy-MM-dd');
const flag = z.enum(['0', '1'], '应为 0 或 1');
const plain = (max: number) => z.string().max(max, `长度不能超过 ${max}`).regex(PLAIN_TEXT, '不得含控制字符');
/** Cells as a CSV gives them (text) or JSON (text or a number read exactly by wire.ts). */
const cell = z.union([z.string(), z.number()]).transform(String);

/** One national code's terms for one period, as the region publishes them (field names of the national tables). */
const catalogueRow = z.object({
  /** 医保目录编码 (1312 hilist_code): the national code a 2301 row's med_list_codg names. */
  hilist_code: plain(50).min(1, '必填项缺失').regex(/^[0-9A-Za-z]+$/, '只能包含字母和数字'),
  hilist_name: plain(200).default(''),
  /** 目录类别: 101 西药中成药, 102 中药饮片, 201 医疗服务项目, 301 医用耗材 (national dictionary as commonly implemented). */
  list_type: cell.pipe(z.string().regex(/^\d{3}$/, '目录类别应为 3 位代码（101 西药中成药、102 中药饮片、201 医疗服务项目、301 医用耗材）')),
  /** 医疗收费项目类别 01–14. */
  med_chrgitm_type: cell.pipe(z.string().regex(/^(0[1-9]|1[0-4])$/, '医疗收费项目类别应为 01–14')),
  /** 收费项目等级: 01 甲类, 02 乙类, 03 丙类. */
  chrgitm_lv: cell.pipe(z.enum(['01', '02', '03'], '收费项目等级应为 01（甲类）、02（乙类）或 03（丙类）')),
  /** 乙类的先行自付比例 (the region's); required for 乙类, 0 for 甲类, 1 for 丙类 (written so if absent). */
  selfpay_prop: cell.pipe(z.string().regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, '自付比例应在 0–1 之间，最多四位小数')).optional(),
  /** 定价上限金额 per unit (1318 hilist_pric_uplmt_amt), yuan to the fen; absent: no cap. */
  pric_uplmt_amt: cell.transform((v, ctx) => {
    const fen = signedFen(v);
    if (fen === null || fen < 0) {
      ctx.addIssue({ code: 'custom', message: '金额格式不正确（非负，最多两位小数）' });
      return z.NEVER;
    }
    return fen;
  }).optional(),
  /** 限制使用标志 and the scope (限定支付范围) as the catalogue states it. */
  lmt_used_flag: flag.default('0'),
  lmt_used_scp: plain(CATALOGUE_LIMITS.scopeChars).optional(),
  bas_medn_flag: flag.optional(),
  hi_nego_drug_flag: flag.optional(),
  chld_medc_flag: flag.optional(),
  list_sp_item_flag: flag.optional(),
  drt_reim_flag: flag.optional(),
  begndate: calendarDay,
  enddate: calendarDay.optional(),
  /** 有效标志: a row published with 0 is withdrawn and not read. */
  vali_flag: flag.default('1'),
  /** Where the row comes from (document, table, entry), for the auditor. */
  cite: plain(500).optional(),
}).superRefine((row, ctx) => {
  if (row.chrgitm_lv === '02' && row.selfpay_prop === undefined) ctx.addIssue({ code: 'custom', path: ['selfpay_prop'], message: '乙类项目必须给出自付比例' });
  if (row.enddate !== undefined && row.enddate < row.begndate) ctx.addIssue({ code: 'custom', path: ['enddate'], message: `结束日期 ${row.enddate} 早于开始日期 ${row.begndate}` });
  if (row.lmt_used_flag === '1' && !row.lmt_used_scp) ctx.addIssue({ code: 'custom', path: ['lmt_used_scp'], message: '限制使用项目必须写明限定支付范围' });
});
export type CatalogueRow = z.infer<typeof catalogueRow>;

/** A row of the index: the terms and where they were read (file and line), for the 2301 answer's memo and errors. */
export interface CatalogueEntry extends CatalogueRow { source: string; line: number }

/** A catalogue file that cannot be read: every bad field with its file, line and path, in Chinese. */
export class CatalogueError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`医保目录无法加载：${problems.slice(0, 20).join('；')}${problems.length > 20 ? `；等 ${problems.length} 处` : ''}`);
  }
}

/** A JSON file: { source?, begndate?, enddate?, rows: [...] } (a file-wide period for rows that state none) or the rows alone. */
const jsonFile = z.union([
  z.object({ source: z.string().optional(), begndate: z.string().optional(), enddate: z.string().optional(), rows: z.array(z.record(z.string(), z.unknown())) }),
  z.array(z.record(z.string(), z.unknown())).transform((rows) => ({ source: undefined, begndate: undefined, enddate: undefined, rows })),
]);

interface RawRow { fields: Record<string, unknown>; line: number }

function rawRowsOf(name: string, bytes: Buffer): { rows: RawRow[]; problems: string[] } {
  if (extname(name).toLowerCase() === '.json') {
    let value: unknown;
    try {
      value = readNational(bytes.toString('utf8').replace(/^\uFEFF/, ''));
    } catch {
      return { rows: [], problems: [`${name}：不是有效的 JSON`] };
    }
    const file = jsonFile.safeParse(value);
    if (!file.success) return { rows: [], problems: [`${name}：应为 { "rows": [ … ] } 或目录行数组`] };
    const { begndate, enddate } = file.data;
    // JSON rows are numbered from 1 as the array's entries (a JSON file has no useful line numbers once formatted).
    return { rows: file.data.rows.map((fields, i) => ({ fields: { ...(begndate ? { begndate } : {}), ...(enddate ? { enddate } : {}), ...fields }, line: i + 1 })), problems: [] };
  }
  const records = parseCsvRecords(decodeCsvUpload(bytes).text);
  const header = records[0]?.fields.map((h) => h.trim());
  if (!header || !header.includes('hilist_code')) return { rows: [], problems: [`${name}：第 1 行应为表头（national 字段名：hilist_code, list_type, med_chrgitm_type, chrgitm_lv, selfpay_prop, pric_uplmt_amt, lmt_used_flag, lmt_used_scp, begndate, enddate …）`] };
  // An empty cell is an absent field, as in the national inputs.
  return {
    rows: records.slice(1).map((r) => ({ fields: Object.fromEntries(header.flatMap((h, i) => (r.fields[i] ? [[h, r.fields[i]!.trim()]] : []))), line: r.line })),
    problems: [],
  };
}

/** The rows of one file, each checked; the problems named by file, line (CSV) or entry (JSON), and field. */
export function parseCatalogueFile(name: string, bytes: Buffer): { entries: CatalogueEntry[]; problems: string[] } {
  if (bytes.length > CATALOGUE_LIMITS.bytesPerFile) return { entries: [], problems: [`${name}：文件超过 ${CATALOGUE_LIMITS.bytesPerFile} 字节`] };
  const { rows, problems } = rawRowsOf(name, bytes);
  if (rows.length > CATALOGUE_LIMITS.rowsPerFile) return { entries: [], problems: [`${name}：超过 ${CATALOGUE_LIMITS.rowsPerFile} 行`] };
  const where = extname(name).toLowerCase() === '.json' ? '第 %d 条' : '第 %d 行';
  const entries: CatalogueEntry[] = [];
  for (const raw of rows) {
    const parsed = catalogueRow.safeParse(raw.fields);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${name} ${where.replace('%d', String(raw.line))} ${issue.path.join('.') || '(行)'}：${issue.message}`);
      continue;
    }
    if (parsed.data.vali_flag === '1') entries.push({ ...parsed.data, source: name, line: raw.line });
  }
  return { entries, problems };
}

const at = (e: CatalogueEntry) => `${e.source} 第 ${e.line} ${extname(e.source).toLowerCase() === '.json' ? '条' : '行'}`;

/** The catalogue's rows by national code, each code's periods in order and never overlapping. */
export class Catalogue {
  private readonly byCode: ReadonlyMap<string, readonly CatalogueEntry[]>;

  /** Refuses (CatalogueError) two rows of one code whose periods overlap: which one is in force would be a guess. */
  constructor(entries: readonly CatalogueEntry[], readonly sources: readonly string[]) {
    const byCode = new Map<string, CatalogueEntry[]>();
    for (const e of entries) byCode.set(e.hilist_code, [...(byCode.get(e.hilist_code) ?? []), e]);
    const problems: string[] = [];
    for (const [code, periods] of byCode) {
      periods.sort((a, b) => a.begndate.localeCompare(b.begndate));
      for (let i = 1; i < periods.length; i++) {
        const before = periods[i - 1]!;
        const after = periods[i]!;
        if (before.enddate === undefined || before.enddate >= after.begndate) {
          problems.push(`${at(after)} hilist_code：${code} 自 ${after.begndate} 起的条目与 ${at(before)}（${before.begndate}–${before.enddate ?? '长期'}）重叠`);
        }
      }
    }
    if (problems.length > 0) throw new CatalogueError(problems);
    this.byCode = byCode;
  }

  get size(): number { return this.byCode.size; }

  /** The code's row in force on the day (yyyy-MM-dd), or undefined: not in the catalogue that day. */
  entryOn(code: string, day: string): CatalogueEntry | undefined {
    return this.byCode.get(code)?.find((e) => e.begndate <= day && (e.enddate === undefined || day <= e.enddate));
  }
}

/** The embedded sample (a few real national codes, cited row by row): tests, and a region trying the gateway out. */
export const SAMPLE_CATALOGUE = 'sample';
const SAMPLE_FILE = new URL('./sample.json', import.meta.url);

/** Reads the configured files (`sample` names the embedded one); every problem of every file is reported at once. */
export function loadCatalogueFiles(files: readonly string[]): Catalogue {
  const entries: CatalogueEntry[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const path = file === SAMPLE_CATALOGUE ? SAMPLE_FILE : file;
    let bytes: Buffer;
    try {
      if (statSync(path).size > CATALOGUE_LIMITS.bytesPerFile) { problems.push(`${file}：文件超过 ${CATALOGUE_LIMITS.bytesPerFile} 字节`); continue; }
      bytes = readFileSync(path);
    } catch (error) {
      problems.push(`${file}：无法读取（${error instanceof Error && 'code' in error ? String(error.code) : String(error)}）`);
      continue;
    }
    const parsed = parseCatalogueFile(file === SAMPLE_CATALOGUE ? 'sample.json' : file, bytes);
    // The answer's memo names the file, not where the server keeps it.
    entries.push(...parsed.entries.map((e) => ({ ...e, source: basename(e.source) })));
    problems.push(...parsed.problems);
  }
  if (problems.length > 0) throw new CatalogueError(problems);
  return new Catalogue(entries, files);
}
