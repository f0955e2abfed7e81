/** Chinese names of the contract's person categories and disability types (no zod: the desk's browser code uses them too). */
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
