/**
 * fund_pay_type (基金支付类型) of each payer in the 2304-shaped output: a table, configurable per region
 * (NHSA_FUND_PAY_TYPES, JSON merged over these defaults). Codes of the national dictionary as HIS
 * integrations use them; the supplementary (commercial) programmes have no national code — the default
 * below is a local placeholder a region replaces with its own.
 */
import * as z from 'zod';

const code = z.string().regex(/^\d{6}$/, 'expected a 6-digit fund_pay_type');
const entry = z.object({ code, name: z.string().min(1).max(200) });

const fundPayTypeTable = z.object({
  basic: z.object({ employee: entry, resident: entry }),
  majorIllness: z.object({ employee: entry, resident: entry }),
  aid: entry,
  /** Per programme id, else `default`. */
  supplementary: z.object({ default: entry }).catchall(entry),
});
export type FundPayTypeTable = z.infer<typeof fundPayTypeTable>;

export const DEFAULT_FUND_PAY_TYPES: FundPayTypeTable = {
  basic: { employee: { code: '310100', name: '职工基本医疗保险统筹基金' }, resident: { code: '390100', name: '城乡居民基本医疗保险基金' } },
  majorIllness: { employee: { code: '330100', name: '职工大额医疗费用补助基金' }, resident: { code: '390200', name: '城乡居民大病医疗保险资金' } },
  aid: { code: '610100', name: '医疗救助基金' },
  supplementary: { default: { code: '999998', name: '商业补充保险（本地编码，按统筹区配置）' } },
};

/*
 * Codes of the national dictionary a table may use (the README lists them); not all are produced by default:
 *   310100 职工基本医疗保险统筹基金
 *   310200 职工基本医疗保险个人账户基金
 *   320100 公务员医疗补助资金
 *   330100 职工大额医疗费用补助基金
 *   340100 离休人员医疗保障基金
 *   390100 城乡居民基本医疗保险基金
 *   390200 城乡居民大病医疗保险资金
 *   610100 医疗救助基金
 *   610102 医疗救助基金（分类救助）
 *   610103 医疗救助基金（倾斜救助）
 *   610104 医疗救助基金（其他救助）
 *   999996 医院垫付
 */

/** What NHSA_FUND_PAY_TYPES may give: any of the table's sections, each an object (its codes are checked after the merge). */
const partialTable = z.object({ basic: z.record(z.string(), z.unknown()), majorIllness: z.record(z.string(), z.unknown()), aid: z.unknown(), supplementary: z.record(z.string(), z.unknown()) }).partial();

/** The table from NHSA_FUND_PAY_TYPES (JSON, partial) over the defaults; throws with the field on a bad code. */
export function fundPayTypesFrom(json: string | undefined): FundPayTypeTable {
  if (!json) return DEFAULT_FUND_PAY_TYPES;
  const read = partialTable.safeParse(JSON.parse(json));
  if (!read.success) throw new Error(`NHSA_FUND_PAY_TYPES: ${read.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const given = read.data;
  const merged = {
    basic: { ...DEFAULT_FUND_PAY_TYPES.basic, ...given.basic },
    majorIllness: { ...DEFAULT_FUND_PAY_TYPES.majorIllness, ...given.majorIllness },
    aid: given.aid ?? DEFAULT_FUND_PAY_TYPES.aid,
    supplementary: { ...DEFAULT_FUND_PAY_TYPES.supplementary, ...given.supplementary },
  };
  const parsed = fundPayTypeTable.safeParse(merged);
  if (!parsed.success) throw new Error(`NHSA_FUND_PAY_TYPES: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
