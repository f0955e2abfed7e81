/** 基本医保统筹: (compliant − deductible by level) × ratio by level, within the annual fund cap. */
import { categoryNames } from '../../../schemas/vocabulary.js';
import { applyRatio, formatFen, formatMicroFen, formatPercent, positive, RATIO_SCALE, roundHalfUpQuotient } from '../money.js';
import { NO_BENEFITS } from '../context.js';
import { ruleKind } from './kind.js';
import { basicDeductibleRatioRule } from '../../../schemas/rules/basicDeductibleRatio.js';

const RATIO_SCALE_SQUARED = BigInt(RATIO_SCALE) * BigInt(RATIO_SCALE);
const LEVELS = [1, 2, 3] as const;

/** Explanation lines with their parameters; `rule` lines are rendered once per rule and level. */
const templates = {
  level: (p: { level: number; deductible: string; ratio: string; cite: string }) => `${p.level}级医院：起付线 ${p.deductible} 元，支付比例 ${p.ratio}（${p.cite}）`,
  /** Follows the names of the person's preferential categories. */
  preferentialTail: (p: { deductible: string; ratio: string; cite: string }) => `倾斜：起付线降为 ${p.deductible} 元，比例提高至 ${p.ratio}（${p.cite}）`,
  formula: (p: { compliantLeft: string; deductible: string; ratio: string; pay: string }) => `(政策范围内 ${p.compliantLeft} − 起付线 ${p.deductible}) × ${p.ratio} = ${p.pay}`,
  capped: (p: { cap: string; paidBefore: string; capLeft: string; cite: string }) => `年度统筹基金最高支付限额 ${p.cap} 元，本年已支付 ${p.paidBefore}，余 ${p.capLeft}，按封顶支付（${p.cite}）`,
};

/** Per hospital level: the deductible (micro-fen) and ratio, plain and preferential, with their texts. */
interface LevelTerms { deductibleMicroFen: number; ratioPpm: number; ratioText: string; deductibleText: string; line: string }

export const basicDeductibleRatio = ruleKind({
  schema: basicDeductibleRatioRule,
  pays: '(compliant − deductible by hospital level) × ratio by level, within an annual fund cap; categories may halve the deductible and add to the ratio',
  countersText: '`fundPaid`',
  counters: () => ['fundPaid'],
  payment: () => 'direct',
  limitable: false,
  figures: (rule) => ({ cap: rule.annualFundCap.value }),
  prepare(rule) {
    const plain = {} as Record<1 | 2 | 3, LevelTerms>;
    const preferential = {} as Record<1 | 2 | 3, LevelTerms>;
    const pref = rule.preferential;
    for (const level of LEVELS) {
      const deductibleFen = rule.deductiblePerStayByLevel.value[level];
      const ratioPpm = rule.ratioByLevel.value[level];
      // The deductible in micro-fen (fen × ppm), exact: a reduced deductible (250.005) is never rounded on
      // its own; only the fund's payment is, once (CONTRACT: each payer's amount rounded once, half-up).
      const deductibleMicroFen = deductibleFen * RATIO_SCALE;
      plain[level] = {
        deductibleMicroFen, ratioPpm, ratioText: formatPercent(ratioPpm), deductibleText: formatMicroFen(deductibleMicroFen),
        line: templates.level({ level, deductible: formatFen(deductibleFen), ratio: formatPercent(ratioPpm), cite: rule.deductiblePerStayByLevel.cite }),
      };
      if (pref) {
        const d = deductibleFen * pref.deductibleFactor.value;
        const r = Math.min(RATIO_SCALE, ratioPpm + pref.ratioBonus.value);
        preferential[level] = {
          deductibleMicroFen: d, ratioPpm: r, ratioText: formatPercent(r), deductibleText: formatMicroFen(d),
          line: templates.preferentialTail({ deductible: formatMicroFen(d), ratio: formatPercent(r), cite: pref.categories.cite }),
        };
      }
    }
    return { plain, preferential, preferentialCategories: pref?.categories.value ?? [] };
  },
  apply(rule, prepared, ctx, counters) {
    const level = ctx.request.hospital.level as 1 | 2 | 3;
    const plain = prepared.plain[level];
    const explanation = [plain.line];
    let terms = plain;
    if (prepared.preferentialCategories.length > 0) {
      const preferred = ctx.who.categories.filter((c) => prepared.preferentialCategories.includes(c));
      if (preferred.length > 0) {
        terms = prepared.preferential[level];
        if (ctx.explain) explanation.push(categoryNames(preferred) + terms.line);
      }
    }
    const { deductibleMicroFen, ratioPpm } = terms;
    const compliantLeftFen = ctx.running.compliantLeftFen;
    const formulaFen = deductibleMicroFen % RATIO_SCALE === 0
      ? applyRatio(positive(compliantLeftFen - deductibleMicroFen / RATIO_SCALE), ratioPpm)
      : roundHalfUpQuotient(BigInt(positive(compliantLeftFen * RATIO_SCALE - deductibleMicroFen)) * BigInt(ratioPpm), RATIO_SCALE_SQUARED);
    if (ctx.explain) explanation.push(templates.formula({ compliantLeft: formatFen(compliantLeftFen), deductible: terms.deductibleText, ratio: terms.ratioText, pay: formatFen(formulaFen) }));
    const paidBeforeFen = counters.get('fundPaid');
    const capLeftFen = positive(rule.annualFundCap.value - paidBeforeFen);
    const payFen = Math.min(formulaFen, capLeftFen);
    if (ctx.explain && payFen < formulaFen) explanation.push(templates.capped({ cap: formatFen(rule.annualFundCap.value), paidBefore: formatFen(paidBeforeFen), capLeft: formatFen(capLeftFen), cite: rule.annualFundCap.cite }));
    counters.add('fundPaid', payFen);
    return { directFen: payFen, benefits: NO_BENEFITS, explanation };
  },
});
