/** The public layers computed from a region's pack: basic insurance, major illness, the waiver, medical aid. */
import type { Rule } from '../../../schemas/pack.js';
import { CATEGORY_NAMES } from '../../../schemas/categories.js';
import type { RuleContext, RuleResult } from '../context.js';
import { applyRatio, formatFen as y, formatMicroFen, formatPercent as pct, MAX_FEN, positive, RATIO_SCALE, roundHalfUpQuotient, roundMicroFen } from '../money.js';
import { once } from '../text-cache.js';

const RATIO_SCALE_SQUARED = BigInt(RATIO_SCALE) * BigInt(RATIO_SCALE);

type Of<K extends Rule['kind']> = Extract<Rule, { kind: K }>;

const names = (categories: readonly string[]) => categories.map((c) => CATEGORY_NAMES[c as keyof typeof CATEGORY_NAMES] ?? c).join('、');

function preferredBy(ctx: RuleContext, categories: readonly string[]): string[] {
  return ctx.categories.filter((c) => categories.includes(c));
}

/** 基本医保统筹: (compliant − deductible by level) × ratio by level, within the annual fund cap. */
export function basicDeductibleRatio(rule: Of<'basicDeductibleRatio'>, ctx: RuleContext): RuleResult {
  const level = ctx.request.hospital.level as 1 | 2 | 3;
  const counters = ctx.counters.forRule(rule);
  const deductibleFen = rule.deductiblePerStayByLevel.value[level];
  let ratioPpm = rule.ratioByLevel.value[level];
  // The deductible in micro-fen (fen × ppm), exact: a reduced deductible (250.005) is never rounded on
  // its own; only the fund's payment is, once (CONTRACT: each payer's amount rounded once, half-up).
  let deductibleMicroFen = deductibleFen * RATIO_SCALE;
  const explanation = [once(rule, `level${level}`, () => `${level}级医院：起付线 ${y(deductibleFen)} 元，支付比例 ${pct(ratioPpm)}（${rule.deductiblePerStayByLevel.cite}）`)];
  const preferred = rule.preferential ? preferredBy(ctx, rule.preferential.categories.value) : [];
  if (rule.preferential && preferred.length > 0) {
    const pref = rule.preferential;
    deductibleMicroFen = deductibleFen * pref.deductibleFactor.value;
    ratioPpm = Math.min(RATIO_SCALE, ratioPpm + pref.ratioBonus.value);
    const [d, r] = [deductibleMicroFen, ratioPpm];
    explanation.push(once(rule, `pref${level}:${preferred.join(',')}`, () => `${names(preferred)}倾斜：起付线降为 ${formatMicroFen(d)} 元，比例提高至 ${pct(r)}（${pref.categories.cite}）`));
  }
  const formulaFen = deductibleMicroFen % RATIO_SCALE === 0
    ? applyRatio(positive(ctx.running.compliantLeftFen - deductibleMicroFen / RATIO_SCALE), ratioPpm)
    : roundHalfUpQuotient(BigInt(positive(ctx.running.compliantLeftFen * RATIO_SCALE - deductibleMicroFen)) * BigInt(ratioPpm), RATIO_SCALE_SQUARED);
  explanation.push(`(政策范围内 ${y(ctx.running.compliantLeftFen)} − 起付线 ${formatMicroFen(deductibleMicroFen)}) × ${pct(ratioPpm)} = ${y(formulaFen)}`);
  const paidBeforeFen = counters.get('fundPaid');
  const capLeftFen = positive(rule.annualFundCap.value - paidBeforeFen);
  const payFen = Math.min(formulaFen, capLeftFen);
  if (payFen < formulaFen) explanation.push(`年度统筹基金最高支付限额 ${y(rule.annualFundCap.value)} 元，本年已支付 ${y(paidBeforeFen)}，余 ${y(capLeftFen)}，按封顶支付（${rule.annualFundCap.cite}）`);
  counters.add('fundPaid', payFen);
  return { directFen: payFen, benefits: [], explanation };
}

/** Cumulative tiered formula on the burden above the threshold, in micro-fen (exact), capped. */
function tieredMicroFen(burdenFen: number, thresholdFen: number, tiers: Of<'majorIllnessTiers'>['tiers']['value'], bonusPpm: number, capFen: number | null): number {
  // A year's burden beyond MAX_FEN is not a real stay; clamping keeps span × ratio an exact integer.
  const aboveFen = Math.min(positive(burdenFen - thresholdFen), MAX_FEN);
  let micro = 0;
  for (const tier of tiers) {
    const spanFen = positive(Math.min(aboveFen, tier.to ?? aboveFen) - tier.from);
    micro += spanFen * Math.min(RATIO_SCALE, tier.ratio + bonusPpm);
  }
  return capFen === null ? micro : Math.min(micro, capFen * RATIO_SCALE);
}

/** The schedule line of a major-illness rule; the same for every stay of a group. */
function tierDescription(rule: Of<'majorIllnessTiers'>, thresholdFen: number, bonusPpm: number, capFen: number | null): string {
  return once(rule, `tiers:${thresholdFen}/${bonusPpm}/${capFen}`, () => {
    const tiers = rule.tiers.value.map((t) => `${t.to === undefined ? `${y(t.from)}以上` : `${y(t.from)}–${y(t.to)}`} 按 ${pct(Math.min(RATIO_SCALE, t.ratio + bonusPpm))}`).join('，');
    return `年度起付线 ${y(thresholdFen)} 元；超过部分分段：${tiers}；年度封顶 ${capFen === null ? '不设' : `${y(capFen)} 元`}（${rule.tiers.cite}）`;
  });
}

/** 大病保险: tiers on the year's cumulative compliant burden left after basic; this stay pays the difference. */
export function majorIllnessTiers(rule: Of<'majorIllnessTiers'>, ctx: RuleContext): RuleResult {
  const counters = ctx.counters.forRule(rule);
  const preferred = rule.preferential ? preferredBy(ctx, rule.preferential.categories.value) : [];
  const pref = preferred.length > 0 ? rule.preferential : undefined;
  const thresholdFen = pref ? pref.threshold.value : rule.threshold.value;
  const bonusPpm = pref ? pref.ratioBonus.value : 0;
  const capFen = pref ? pref.annualCap.value : rule.annualCap.value;
  const burdenBeforeFen = counters.get('burdenAfterBasic');
  const stayBurdenFen = ctx.running.compliantLeftFen;
  const burdenAfterFen = burdenBeforeFen + stayBurdenFen;
  const tiers = rule.tiers.value;
  const explanation = [tierDescription(rule, thresholdFen, bonusPpm, capFen)];
  if (pref) explanation.push(once(rule, `pref:${preferred.join(',')}`, () => `${names(preferred)}倾斜：起付线 ${y(thresholdFen)}，比例各提高 ${pct(bonusPpm)}，封顶 ${capFen === null ? '取消' : y(capFen)}（${pref.categories.cite}）`));
  explanation.push(`本年基本医保后政策范围内个人负担累计：此前 ${y(burdenBeforeFen)} + 本次 ${y(stayBurdenFen)} = ${y(burdenAfterFen)}`);
  const microFen = tieredMicroFen(burdenAfterFen, thresholdFen, tiers, bonusPpm, capFen) - tieredMicroFen(burdenBeforeFen, thresholdFen, tiers, bonusPpm, capFen);
  const payFen = Math.min(roundMicroFen(microFen), ctx.running.compliantLeftFen);
  explanation.push(burdenAfterFen <= thresholdFen
    ? `累计未超过起付线，本次不予支付`
    : `按累计公式本次支付 = 累计后应付 − 累计前应付 = ${y(payFen)}`);
  counters.add('burdenAfterBasic', stayBurdenFen);
  counters.add('paid', payFen);
  return { directFen: payFen, benefits: [], explanation };
}

/** 医疗机构减免: a share of the compliant burden left, for listed categories. */
export function categoryShare(rule: Of<'categoryShare'>, ctx: RuleContext): RuleResult {
  const matched = preferredBy(ctx, rule.categories.value);
  if (matched.length === 0) {
    return { directFen: 0, benefits: [], explanation: [`仅限${names(rule.categories.value)}，本人不属于（${rule.categories.cite}）`] };
  }
  const payFen = applyRatio(ctx.running.compliantLeftFen, rule.share.value);
  return {
    directFen: payFen,
    benefits: [],
    explanation: [`${names(matched)}：减免剩余政策范围内个人负担 ${y(ctx.running.compliantLeftFen)} × ${pct(rule.share.value)} = ${y(payFen)}（${rule.share.cite}）`],
  };
}

/** 医疗救助: ratio by category on what is left, after an annual deductible, within an annual cap. */
export function aidByCategory(rule: Of<'aidByCategory'>, ctx: RuleContext): RuleResult {
  // A person in several categories gets the most favourable one: highest ratio, then lowest deductible.
  const rate = rule.rates.value
    .filter((r) => ctx.categories.includes(r.category))
    .sort((a, b) => b.ratio - a.ratio || a.annualDeductible - b.annualDeductible)[0];
  if (!rate) {
    return { directFen: 0, benefits: [], explanation: [`救助对象限${names(rule.rates.value.map((r) => r.category))}，本人不属于（${rule.rates.cite}）`] };
  }
  const counters = ctx.counters.forRule(rule);
  const baseFen = ctx.running.compliantLeftFen;
  const deductibleLeftFen = positive(rate.annualDeductible - counters.get('deductibleUsed'));
  const deductibleAppliedFen = Math.min(baseFen, deductibleLeftFen);
  const formulaFen = applyRatio(baseFen - deductibleAppliedFen, rate.ratio);
  const paidBeforeFen = counters.get('paid');
  const capLeftFen = positive(rule.annualCap.value - paidBeforeFen);
  const payFen = Math.min(formulaFen, capLeftFen);
  const explanation = [
    `${names([rate.category])}：救助比例 ${pct(rate.ratio)}，年度起付线 ${y(rate.annualDeductible)} 元（本年尚余 ${y(deductibleLeftFen)}）（${rule.rates.cite}）`,
    `(剩余政策范围内个人负担 ${y(baseFen)} − 本次计入起付线 ${y(deductibleAppliedFen)}) × ${pct(rate.ratio)} = ${y(formulaFen)}`,
  ];
  if (payFen < formulaFen) explanation.push(`年度救助封顶 ${y(rule.annualCap.value)} 元，本年已救助 ${y(paidBeforeFen)}，按余额 ${y(capLeftFen)} 支付（${rule.annualCap.cite}）`);
  counters.add('deductibleUsed', deductibleAppliedFen);
  counters.add('paid', payFen);
  return { directFen: payFen, benefits: [], explanation };
}
