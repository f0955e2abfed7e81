/** Deductible, ratio by risk group, per-stay and annual caps, on a declared base; paid directly or as a cash benefit. */
import { z } from 'zod';
import { base, cite, cited, groupRatios, ruleHead, when } from '../../../schemas/pack-parts.js';
import { money } from '../../../schemas/primitives.js';
import { LAYER_NAMES_DEDUCTED, RISK_GROUP_NAMES } from '../../../schemas/vocabulary.js';
import { NO_BENEFITS, type RiskGroup } from '../context.js';
import { applyRatio, formatFen as y, formatPercent as pct, positive } from '../money.js';
import { ruleKind } from './kind.js';

const schema = z.object({
  ...ruleHead,
  kind: z.literal('coinsurance'),
  when,
  base,
  deductible: z.object({ amount: money, per: z.enum(['stay', 'year']), cite }).strict().optional(),
  ratio: cited(groupRatios),
  perStayCap: cited(money).optional(),
  annualCap: cited(money).optional(),
  payment: z.enum(['direct', 'benefit']),
  benefitKind: z.string().optional(),
}).strict();

const templates = {
  notCovered: (p: { name: string; group: string; cite: string }) => `${p.name}：${p.group}不在本责任保障范围（${p.cite}）`,
  base: (p: { name: string; of: string; gross: string; deducted: string; base: string; cite: string }) => `${p.name}：${p.of} ${p.gross}${p.deducted} = 计算基数 ${p.base}（${p.cite}）`,
  deducted: (p: { layers: string; paid: string }) => ` 扣除${p.layers}已付 ${p.paid}`,
  deductible: (p: { per: 'stay' | 'year'; amount: string; left: string; applied: string; cite: string }) =>
    `${p.per === 'stay' ? '每次免赔额' : '年度免赔额'} ${p.amount} 元${p.per === 'year' ? `，本年尚余 ${p.left}` : ''}，本次计入 ${p.applied}（${p.cite}）`,
  formula: (p: { base: string; deductibleApplied: string; group: string; ratio: string; pay: string; cite: string }) => `(${p.base} − ${p.deductibleApplied}) × ${p.group}比例 ${p.ratio} = ${p.pay}（${p.cite}）`,
  perStayCap: (p: { cap: string; cite: string }) => `每次限额 ${p.cap} 元（${p.cite}）`,
  annualCap: (p: { cap: string; paidBefore: string; capLeft: string; cite: string }) => `年度限额 ${p.cap} 元，本年已赔 ${p.paidBefore}，按余额 ${p.capLeft} 赔付（${p.cite}）`,
  limited: (p: { limit: string }) => `不超过个人剩余负担 ${p.limit}`,
  cash: () => '以上为现金给付，不冲减本次账单',
};

type Ratios = z.output<typeof groupRatios>;

/** The group's ratio; 救助对象 fall back to the pre-existing ratio where the pack sets none for them. */
function ratioFor(group: RiskGroup, ratios: Ratios): number | null {
  if (group === 'healthy') return ratios.healthy;
  if (group === 'aidPreExisting' && ratios.aidPreExisting !== undefined) return ratios.aidPreExisting;
  return ratios.preExisting ?? null;
}

const GROUPS = Object.keys(RISK_GROUP_NAMES) as RiskGroup[];

export const coinsurance = ruleKind({
  schema,
  pays: 'on a `base` (`compliant` or `all`, less what the named layers paid): deductible per stay or year, ratio by risk group (`healthy`, `preExisting`, `aidPreExisting`; `null` = not covered), per-stay and annual caps; `payment: direct` (reduces the bill) or `benefit` (cash to the patient, listed in `benefits`)',
  countersText: '`deductibleUsed` (a yearly deductible), `paid`',
  counters: (rule) => (rule.deductible?.per === 'year' ? ['deductibleUsed', 'paid'] : ['paid']),
  payment: (rule) => rule.payment,
  prepare(rule) {
    const ratios = rule.ratio.value;
    // Name the risk group only where the programme pays groups differently (三明); elsewhere it would only confuse.
    const byGroup = ratios.preExisting !== ratios.healthy || ratios.aidPreExisting !== undefined;
    const groups = Object.fromEntries(GROUPS.map((group) => {
      const ratioPpm = ratioFor(group, ratios);
      return [group, ratioPpm === null
        ? { ratioPpm, notCovered: templates.notCovered({ name: rule.name, group: RISK_GROUP_NAMES[group], cite: rule.ratio.cite }) }
        : { ratioPpm, label: byGroup ? RISK_GROUP_NAMES[group] : '', ratioText: pct(ratioPpm) }];
    })) as Record<RiskGroup, { ratioPpm: null; notCovered: string } | { ratioPpm: number; label: string; ratioText: string }>;
    return {
      groups,
      of: rule.base.of === 'compliant' ? '政策范围内费用' : '医疗总费用',
      deductedLayers: rule.base.after.map((l) => LAYER_NAMES_DEDUCTED[l]).join('、'),
      deductible: rule.deductible ? y(rule.deductible.amount) : '',
    };
  },
  apply(rule, prepared, ctx, counters) {
    const group = prepared.groups[ctx.group];
    if (group.ratioPpm === null) return { directFen: 0, benefits: NO_BENEFITS, explanation: [group.notCovered] };
    const grossFen = rule.base.of === 'compliant' ? ctx.bill.compliantFen : ctx.bill.totalFen;
    let deductedFen = 0;
    for (const layer of rule.base.after) deductedFen += ctx.running.paidByLayerFen[layer];
    const baseFen = positive(grossFen - deductedFen);
    const explanation = [templates.base({
      name: rule.name, of: prepared.of, gross: y(grossFen),
      deducted: rule.base.after.length ? templates.deducted({ layers: prepared.deductedLayers, paid: y(deductedFen) }) : '',
      base: y(baseFen), cite: rule.base.cite,
    })];
    let deductibleAppliedFen = 0;
    if (rule.deductible) {
      const perYear = rule.deductible.per === 'year';
      const deductibleLeftFen = perYear ? positive(rule.deductible.amount - counters.get('deductibleUsed')) : rule.deductible.amount;
      deductibleAppliedFen = Math.min(baseFen, deductibleLeftFen);
      explanation.push(templates.deductible({ per: rule.deductible.per, amount: prepared.deductible, left: perYear ? y(deductibleLeftFen) : '', applied: y(deductibleAppliedFen), cite: rule.deductible.cite }));
      if (perYear) counters.add('deductibleUsed', deductibleAppliedFen);
    }
    let payFen = applyRatio(baseFen - deductibleAppliedFen, group.ratioPpm);
    explanation.push(templates.formula({ base: y(baseFen), deductibleApplied: y(deductibleAppliedFen), group: group.label, ratio: group.ratioText, pay: y(payFen), cite: rule.ratio.cite }));
    if (rule.perStayCap && payFen > rule.perStayCap.value) {
      payFen = rule.perStayCap.value;
      explanation.push(templates.perStayCap({ cap: y(rule.perStayCap.value), cite: rule.perStayCap.cite }));
    }
    if (rule.annualCap) {
      const paidBeforeFen = counters.get('paid');
      const capLeftFen = positive(rule.annualCap.value - paidBeforeFen);
      if (payFen > capLeftFen) {
        payFen = capLeftFen;
        explanation.push(templates.annualCap({ cap: y(rule.annualCap.value), paidBefore: y(paidBeforeFen), capLeft: y(capLeftFen), cite: rule.annualCap.cite }));
      }
    }
    // The pool a direct payment may not exceed: compliant cost left, or the whole bill left; a benefit, what the patient is left to pay.
    const limitFen = rule.payment === 'direct' && rule.base.of === 'compliant' ? ctx.running.compliantLeftFen : ctx.running.allLeftFen;
    if (payFen > limitFen) {
      payFen = limitFen;
      explanation.push(templates.limited({ limit: y(limitFen) }));
    }
    counters.add('paid', payFen);
    if (rule.payment === 'direct') return { directFen: payFen, benefits: NO_BENEFITS, explanation };
    return { directFen: 0, benefits: payFen > 0 ? [{ kind: rule.benefitKind ?? rule.id, amountFen: payFen, explanation }] : [], explanation: [...explanation, templates.cash()] };
  },
});
