/** 医疗机构减免: a share of the compliant burden left, for listed categories. */
import { categoryNames } from '../../../schemas/vocabulary.js';
import { applyRatio, formatFen, formatPercent } from '../money.js';
import { NO_BENEFITS } from '../context.js';
import { ruleKind } from './kind.js';
import { categoryShareRule } from '../../../schemas/rules/categoryShare.js';

const templates = {
  notFor: (p: { categories: string; cite: string }) => `仅限${p.categories}，本人不属于（${p.cite}）`,
  waives: (p: { matched: string; left: string; share: string; pay: string; cite: string }) => `${p.matched}：减免剩余政策范围内个人负担 ${p.left} × ${p.share} = ${p.pay}（${p.cite}）`,
};

export const categoryShare = ruleKind({
  schema: categoryShareRule,
  pays: 'a share of the compliant burden left, for listed categories (the hospital waiver)',
  countersText: '—',
  counters: () => [],
  payment: () => 'direct',
  limitable: false,
  figures: () => ({}),
  prepare: (rule) => ({ notFor: templates.notFor({ categories: categoryNames(rule.categories.value), cite: rule.categories.cite }), share: formatPercent(rule.share.value) }),
  apply(rule, prepared, ctx) {
    const matched = ctx.who.categories.filter((c) => rule.categories.value.includes(c));
    if (matched.length === 0) return { directFen: 0, benefits: NO_BENEFITS, explanation: [prepared.notFor] };
    const payFen = applyRatio(ctx.running.compliantLeftFen, rule.share.value);
    return {
      directFen: payFen,
      benefits: NO_BENEFITS,
      explanation: !ctx.explain ? [] : [templates.waives({ matched: categoryNames(matched), left: formatFen(ctx.running.compliantLeftFen), share: prepared.share, pay: formatFen(payFen), cite: rule.share.cite })],
    };
  },
});
