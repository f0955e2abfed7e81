/** 大病保险: tiers on the year's cumulative compliant burden left after basic; this stay pays the difference. */
import * as z from 'zod';
import { categoryNames } from '../../../schemas/vocabulary.js';
import { formatFen, formatPercent, MAX_FEN, positive, RATIO_SCALE, roundMicroFen } from '../money.js';
import { NO_BENEFITS } from '../context.js';
import { ruleKind } from './kind.js';
import { majorIllnessTiersRule, tier } from '../../../schemas/rules/majorIllnessTiers.js';

type Tier = z.output<typeof tier>;

const templates = {
  /** The schedule line; the same for every stay of a group. */
  schedule: (p: { threshold: string; tiers: string; cap: string; cite: string }) => `年度起付线 ${p.threshold} 元；超过部分分段：${p.tiers}；年度封顶 ${p.cap}（${p.cite}）`,
  tier: (p: { span: string; ratio: string }) => `${p.span} 按 ${p.ratio}`,
  /** Follows the names of the person's preferential categories. */
  preferentialTail: (p: { threshold: string; bonus: string; cap: string; cite: string }) => `倾斜：起付线 ${p.threshold}，比例各提高 ${p.bonus}，封顶 ${p.cap}（${p.cite}）`,
  burden: (p: { before: string; stay: string; after: string }) => `本年基本医保后政策范围内个人负担累计：此前 ${p.before} + 本次 ${p.stay} = ${p.after}`,
  belowThreshold: () => '累计未超过起付线，本次不予支付',
  pays: (p: { pay: string }) => `按累计公式本次支付 = 累计后应付 − 累计前应付 = ${p.pay}`,
};

/** Cumulative tiered formula on the burden above the threshold, in micro-fen (exact), capped. */
function tieredMicroFen(burdenFen: number, thresholdFen: number, tiers: readonly Tier[], bonusPpm: number, capFen: number | null): number {
  // A year's burden beyond MAX_FEN is not a real stay; clamping keeps span × ratio an exact integer.
  const aboveFen = Math.min(positive(burdenFen - thresholdFen), MAX_FEN);
  let micro = 0;
  for (const t of tiers) {
    const spanFen = positive(Math.min(aboveFen, t.to ?? aboveFen) - t.from);
    micro += spanFen * Math.min(RATIO_SCALE, t.ratio + bonusPpm);
  }
  return capFen === null ? micro : Math.min(micro, capFen * RATIO_SCALE);
}

/** The figures of one group (everyone, or the preferential categories) and its schedule line. */
interface Terms { thresholdFen: number; bonusPpm: number; capFen: number | null; schedule: string }

function terms(tiers: readonly Tier[], thresholdFen: number, bonusPpm: number, capFen: number | null, cite: string): Terms {
  const text = tiers.map((t) => templates.tier({ span: t.to === undefined ? `${formatFen(t.from)}以上` : `${formatFen(t.from)}–${formatFen(t.to)}`, ratio: formatPercent(Math.min(RATIO_SCALE, t.ratio + bonusPpm)) })).join('，');
  return { thresholdFen, bonusPpm, capFen, schedule: templates.schedule({ threshold: formatFen(thresholdFen), tiers: text, cap: capFen === null ? '不设' : `${formatFen(capFen)} 元`, cite }) };
}

export const majorIllnessTiers = ruleKind({
  schema: majorIllnessTiersRule,
  pays: "tiers on the year's cumulative compliant burden after basic above a threshold; a stay pays the difference of the formula after and before it",
  countersText: '`burdenAfterBasic`, `paid`',
  counters: () => ['burdenAfterBasic', 'paid'],
  payment: () => 'direct',
  limitable: false,
  figures: (rule) => ({
    ...(rule.annualCap.value !== null ? { cap: rule.annualCap.value } : {}),
    deductible: rule.threshold.value,
    ...(rule.preferential ? { note: '困难群众适用倾斜政策时起付线与封顶不同' } : {}),
  }),
  prepare(rule) {
    const pref = rule.preferential;
    return {
      plain: terms(rule.tiers.value, rule.threshold.value, 0, rule.annualCap.value, rule.tiers.cite),
      preferential: pref && {
        ...terms(rule.tiers.value, pref.threshold.value, pref.ratioBonus.value, pref.annualCap.value, rule.tiers.cite),
        tail: templates.preferentialTail({ threshold: formatFen(pref.threshold.value), bonus: formatPercent(pref.ratioBonus.value), cap: pref.annualCap.value === null ? '取消' : formatFen(pref.annualCap.value), cite: pref.categories.cite }),
        categories: pref.categories.value,
      },
    };
  },
  apply(rule, prepared, ctx, counters) {
    const pref = prepared.preferential;
    const preferred = pref ? ctx.who.categories.filter((c) => pref.categories.includes(c)) : [];
    const group = pref && preferred.length > 0 ? pref : prepared.plain;
    const { thresholdFen, bonusPpm, capFen } = group;
    const burdenBeforeFen = counters.get('burdenAfterBasic');
    const stayBurdenFen = ctx.running.compliantLeftFen;
    const burdenAfterFen = burdenBeforeFen + stayBurdenFen;
    const explanation = [group.schedule];
    if (ctx.explain && pref && preferred.length > 0) explanation.push(categoryNames(preferred) + pref.tail);
    if (ctx.explain) explanation.push(templates.burden({ before: formatFen(burdenBeforeFen), stay: formatFen(stayBurdenFen), after: formatFen(burdenAfterFen) }));
    const tiers = rule.tiers.value;
    const microFen = tieredMicroFen(burdenAfterFen, thresholdFen, tiers, bonusPpm, capFen) - tieredMicroFen(burdenBeforeFen, thresholdFen, tiers, bonusPpm, capFen);
    const payFen = Math.min(roundMicroFen(microFen), ctx.running.compliantLeftFen);
    if (ctx.explain) explanation.push(burdenAfterFen <= thresholdFen ? templates.belowThreshold() : templates.pays({ pay: formatFen(payFen) }));
    counters.add('burdenAfterBasic', stayBurdenFen);
    counters.add('paid', payFen);
    return { directFen: payFen, benefits: NO_BENEFITS, explanation };
  },
});
