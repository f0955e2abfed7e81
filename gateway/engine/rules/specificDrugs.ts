/** 特定药品: listed drugs, by group, annual deductible then ratio by drug class, capped by group. */
import { z } from 'zod';
import { cited, ruleHead, when } from '../../../schemas/pack-parts.js';
import { identifier, money, ratio } from '../../../schemas/primitives.js';
import { RISK_GROUP_NAMES } from '../../../schemas/vocabulary.js';
import { formatFen as y, positive, roundMicroFen } from '../money.js';
import { NO_BENEFITS } from '../context.js';
import { ruleKind } from './kind.js';

const drugClass = z.enum(['A', 'B', 'C']);
const schema = z.object({
  ...ruleHead,
  kind: z.literal('specificDrugs'),
  when: when.optional(),
  drugs: cited(z.array(z.object({ code: z.string().min(1), group: identifier(40), drugClass }).strict())),
  groups: z.array(z.object({
    id: identifier(40),
    name: z.string(),
    annualDeductible: cited(money),
    ratioByDrugClass: cited(z.object({ A: ratio, B: ratio, C: ratio }).strict()),
    annualCap: cited(z.object({ healthy: money, preExisting: money.nullable() }).strict()),
  }).strict()).min(1),
}).strict();
type DrugClass = z.output<typeof drugClass>;

const templates = {
  noList: (p: { name: string; cite: string }) => `${p.name}：指定药品清单未配置（${p.cite}）`,
  notCovered: (p: { group: string; riskGroup: string; cite: string }) => `${p.group}：${p.riskGroup}不在保障范围（${p.cite}）`,
  pays: (p: { group: string; base: string; deductible: string; pay: string; cap: string; cite: string }) => `${p.group}：指定药品费用 ${p.base}，年度免赔额 ${p.deductible}，按药品类别比例赔付 ${p.pay}，年度限额 ${p.cap}（${p.cite}）`,
  none: (p: { name: string }) => `${p.name}：本次无指定药品费用`,
};

const CLASSES: readonly DrugClass[] = ['A', 'B', 'C'];

export const specificDrugs = ruleKind({
  schema,
  pays: 'listed drugs by group: annual deductible, ratio by drug class, cap by risk group (三明 责任四)',
  countersText: '`<group>.deductibleUsed`, `<group>.paid`',
  counters: (rule) => rule.groups.flatMap((g) => [`${g.id}.deductibleUsed`, `${g.id}.paid`]),
  payment: () => 'direct',
  limitable: true,
  figures: (rule) => ({
    groupNames: Object.fromEntries(rule.groups.map((g) => [g.id, g.name])),
    byGroup: Object.fromEntries(rule.groups.map((g) => [g.id, { cap: g.annualCap.value.healthy, deductible: g.annualDeductible.value, note: `${g.name}：封顶为一般人群的额度` }])),
  }),
  prepare: (rule) => ({
    noList: rule.drugs.value.length === 0 ? templates.noList({ name: rule.name, cite: rule.drugs.cite }) : null,
    drugByCode: new Map(rule.drugs.value.map((d) => [d.code, d])),
    groups: rule.groups.map((g) => ({ ...g, deductibleKey: `${g.id}.deductibleUsed`, paidKey: `${g.id}.paid`, deductibleText: y(g.annualDeductible.value) })),
  }),
  apply(rule, prepared, ctx, counters) {
    if (prepared.noList !== null) return { directFen: 0, benefits: NO_BENEFITS, explanation: [prepared.noList] };
    const explanation: string[] = [];
    let totalPayFen = 0;
    let limitFen = ctx.running.allLeftFen;
    for (const group of prepared.groups) {
      const byClass = { A: 0, B: 0, C: 0 };
      for (const item of ctx.request.items) {
        const drug = prepared.drugByCode.get(item.code);
        if (drug?.group === group.id) byClass[drug.drugClass] += item.amount;
      }
      const baseFen = byClass.A + byClass.B + byClass.C;
      if (baseFen === 0) continue;
      const capFen = ctx.who.group === 'healthy' ? group.annualCap.value.healthy : group.annualCap.value.preExisting;
      if (capFen === null) {
        explanation.push(templates.notCovered({ group: group.name, riskGroup: RISK_GROUP_NAMES[ctx.who.group], cite: group.annualCap.cite }));
        continue;
      }
      // The deductible is taken from class A first, then B, then C: the document does not say; this favours the patient.
      let deductibleLeftFen = positive(group.annualDeductible.value - counters.get(group.deductibleKey));
      let micro = 0;
      for (const cls of CLASSES) {
        const takenFen = Math.min(byClass[cls], deductibleLeftFen);
        deductibleLeftFen -= takenFen;
        counters.add(group.deductibleKey, takenFen);
        micro += (byClass[cls] - takenFen) * group.ratioByDrugClass.value[cls];
      }
      const paidBeforeFen = counters.get(group.paidKey);
      const payFen = Math.min(roundMicroFen(micro), positive(capFen - paidBeforeFen), limitFen);
      counters.add(group.paidKey, payFen);
      limitFen -= payFen;
      totalPayFen += payFen;
      explanation.push(templates.pays({ group: group.name, base: y(baseFen), deductible: group.deductibleText, pay: y(payFen), cap: y(capFen), cite: group.ratioByDrugClass.cite }));
    }
    if (explanation.length === 0) explanation.push(templates.none({ name: rule.name }));
    return { directFen: totalPayFen, benefits: NO_BENEFITS, explanation };
  },
});
