/**
 * The Chinese names the gateway writes: of layers, encounter kinds, risk groups, person categories and
 * disability types. One place, so an explanation, a slip and a schema never word the same thing twice.
 * Imports nothing: schemas/ (the category enums) and the engine (explanations) both read it.
 */

/** The payers' layers, as a line of the split names them. */
export const LAYER_NAMES = { basic: '基本医疗保险', majorIllness: '大病保险', waiver: '医疗机构减免', aid: '医疗救助', supplementary: '商业补充保险' } as const;

/**
 * The layers as a supplementary rule's base names what it deducts ("扣除基本医保、大病保险已付"): the
 * short form of basic insurance, and "此前" for supplementary, since only the programmes before it have paid.
 */
export const LAYER_NAMES_DEDUCTED = { basic: '基本医保', majorIllness: '大病保险', waiver: '医疗机构减免', aid: '医疗救助', supplementary: '此前商业补充保险' } as const;

export const ENCOUNTER_KIND_NAMES = { inpatient: '住院', outpatientSpecial: '门诊特殊病种', pharmacy: '定点药店购药' } as const;

/** The parts of a bill's cost (schemas/settlement.ts BILL_PARTS). */
export const BILL_PART_NAMES = { compliant: '政策范围内费用', preSelfPay: '乙类先行自付', overLimit: '超限价自费', outOfScope: '目录外（丙类）费用' } as const;

/** A supplementary programme's risk groups (三明): who the roster marks 特定既往症, and 救助对象 among them. */
export const RISK_GROUP_NAMES = { healthy: '健康人群', preExisting: '特定既往症人群', aidPreExisting: '救助对象中的特定既往症人群' } as const;

/** Person identities as the 医保 person record or a roster states them (CONTRACT.md). */
export const CATEGORY_NAMES = {
  tekun: '特困供养',
  dibao: '低保',
  'dibao-edge': '低保边缘',
  'expenditure-hardship': '支出型困难家庭',
  'children-in-difficulty': '困境儿童',
  'former-registered-poor': '原建档立卡低收入人口',
  'poverty-alleviated': '享受脱贫攻坚政策人口',
  'instant-help': '即时帮扶人口',
  'relapse-monitored': '防返贫监测对象',
  'institution-supported': '机构供养',
  orphan: '孤儿',
  'five-elders': '革命“五老”',
  'aid-recipient': '医疗救助对象',
} as const;

export const DISABILITY_TYPES = {
  visual: '视力', hearing: '听力', speech: '言语', physical: '肢体', intellectual: '智力', mental: '精神', multiple: '多重',
} as const;

/** Categories in Chinese, joined with 、 as explanations list them. */
export const categoryNames = (categories: readonly (keyof typeof CATEGORY_NAMES)[]): string => categories.map((c) => CATEGORY_NAMES[c]).join('、');
