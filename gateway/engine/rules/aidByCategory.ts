/** 医疗救助: ratio by category on what is left, after an annual deductible, within an annual cap. */
import { categoryNames } from '../../../schemas/vocabulary.js';
import { applyRatio, formatFen, formatPercent, positive } from '../money.js';
import { NO_BENEFITS } from '../context.js';
import { ruleKind } from './kind.js';
import { aidByCategoryRule } from '../../../schemas/rules/aidByCategory.js';

const templates = {
  notFor: (p: { categories: string; cite: string }) => `救助对象限${p.categories}，本人不属于（${p.cite}）`,
  rate: (p: { category: string; ratio: string; deductible: string; deductibleLeft: string; cite: string }) => `${p.category}：救助比例 ${p.ratio}，年度起付线 ${p.deductible} 元（本年尚余 ${p.deductibleLeft}）（${p.cite}）`,
  formula: (p: { base: string; deductibleApplied: string; ratio: string; pay: string }) => `(剩余政策范围内个人负担 ${p.base} − 本次计入起付线 ${p.deductibleApplied}) × ${p.ratio} = ${p.pay}`,
  capped: (p: { cap: string; paidBefore: string; capLeft: string; cite: string }) => `年度救助封顶 ${p.cap} 元，本年已救助 ${p.paidBefore}，按余额 ${p.capLeft} 支付（${p.cite}）`,
};

export const aidByCategory = ruleKind({
  schema: aidByCategoryRule,
  pays: 'ratio of the best of the person\'s categories on the compliant burden left, after an annual deductible, within an annual cap',
  countersText: '`deductibleUsed`, `paid`',
  counters: () => ['deductibleUsed', 'paid'],
  payment: () => 'direct',
  limitable: false,
  figures: (rule) => ({ cap: rule.annualCap.value, note: '起付线按救助对象类别不同' }),
  prepare: (rule) => ({
    notFor: templates.notFor({ categories: categoryNames(rule.rates.value.map((r) => r.category)), cite: rule.rates.cite }),
    // A person in several categories gets the most favourable one: highest ratio, then lowest deductible.
    best: [...rule.rates.value].sort((a, b) => b.ratio - a.ratio || a.annualDeductible - b.annualDeductible)
      .map((rate) => ({ ...rate, name: categoryNames([rate.category]), ratioText: formatPercent(rate.ratio), deductibleText: formatFen(rate.annualDeductible) })),
  }),
  apply(rule, prepared, ctx, counters) {
    const rate = prepared.best.find((r) => ctx.who.categories.includes(r.category));
    if (!rate) return { directFen: 0, benefits: NO_BENEFITS, explanation: [prepared.notFor] };
    const baseFen = ctx.running.compliantLeftFen;
    const deductibleLeftFen = positive(rate.annualDeductible - counters.get('deductibleUsed'));
    const deductibleAppliedFen = Math.min(baseFen, deductibleLeftFen);
    const formulaFen = applyRatio(baseFen - deductibleAppliedFen, rate.ratio);
    const paidBeforeFen = counters.get('paid');
    const capLeftFen = positive(rule.annualCap.value - paidBeforeFen);
    const payFen = Math.min(formulaFen, capLeftFen);
    const explanation = !ctx.explain ? [] : [
      templates.rate({ category: rate.name, ratio: rate.ratioText, deductible: rate.deductibleText, deductibleLeft: formatFen(deductibleLeftFen), cite: rule.rates.cite }),
      templates.formula({ base: formatFen(baseFen), deductibleApplied: formatFen(deductibleAppliedFen), ratio: rate.ratioText, pay: formatFen(formulaFen) }),
    ];
    if (ctx.explain && payFen < formulaFen) explanation.push(templates.capped({ cap: formatFen(rule.annualCap.value), paidBefore: formatFen(paidBeforeFen), capLeft: formatFen(capLeftFen), cite: rule.annualCap.cite }));
    counters.add('deductibleUsed', deductibleAppliedFen);
    counters.add('paid', payFen);
    return { directFen: payFen, benefits: NO_BENEFITS, explanation };
  },
});
