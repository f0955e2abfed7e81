/** 威海: keep the person's cumulative burden on compliant inpatient cost at most a share of their cumulative compliant cost. */
import { formatFen, formatMicroFen, formatPercent, positive, RATIO_SCALE, roundHalfUpQuotient } from '../money.js';
import { NO_BENEFITS } from '../context.js';
import { ruleKind } from './kind.js';
import { burdenCeilingRule } from '../../../schemas/rules/burdenCeiling.js';

const MICRO_PER_FEN = BigInt(RATIO_SCALE);

const templates = {
  burden: (p: { compliantAfter: string; compliantLeft: string; burden: string }) => `不设起付线；本年累计合规住院费用 ${p.compliantAfter}，个人累计负担（含本次补偿前剩余 ${p.compliantLeft}）${p.burden}`,
  ceiling: (p: { compliantAfter: string; share: string; ceiling: string; pay: string; cite: string }) => `个人累计负担上限 = ${p.compliantAfter} × ${p.share} = ${p.ceiling}；本次补偿 ${p.pay}（${p.cite}）`,
  capped: (p: { cap: string; paidBefore: string; capLeft: string; cite: string }) => `年度赔付封顶 ${p.cap} 元，本年已赔 ${p.paidBefore}，按余额 ${p.capLeft} 赔付（${p.cite}）`,
};

export const burdenCeiling = ruleKind({
  schema: burdenCeilingRule,
  pays: 'keeps the cumulative burden on compliant cost at most a share of cumulative compliant cost (威海)',
  countersText: '`compliant`, `burden`, `paid`',
  counters: () => ['compliant', 'burden', 'paid'],
  payment: () => 'direct',
  limitable: false,
  figures: (rule) => ({ cap: rule.annualCap.value }),
  prepare: (rule) => ({ share: formatPercent(rule.maxBurdenShare.value), sharePpm: BigInt(rule.maxBurdenShare.value) }),
  apply(rule, prepared, ctx, counters) {
    const compliantAfterFen = counters.get('compliant') + ctx.bill.compliantFen;
    const burdenBeforePayFen = counters.get('burden') + ctx.running.compliantLeftFen;
    // The payment is the burden above the limit, exact in micro-fen and rounded once; the limit itself
    // (1000.005) is never rounded on its own (seeds/001 三(一), CONTRACT: each payer's amount rounded once).
    const ceilingMicroFen = BigInt(compliantAfterFen) * prepared.sharePpm;
    const aboveMicroFen = BigInt(burdenBeforePayFen) * MICRO_PER_FEN - ceilingMicroFen;
    let payFen = aboveMicroFen > 0n ? Math.min(roundHalfUpQuotient(aboveMicroFen, MICRO_PER_FEN), ctx.running.compliantLeftFen) : 0;
    const explanation = !ctx.explain ? [] : [
      templates.burden({ compliantAfter: formatFen(compliantAfterFen), compliantLeft: formatFen(ctx.running.compliantLeftFen), burden: formatFen(burdenBeforePayFen) }),
      templates.ceiling({ compliantAfter: formatFen(compliantAfterFen), share: prepared.share, ceiling: formatMicroFen(ceilingMicroFen), pay: formatFen(payFen), cite: rule.maxBurdenShare.cite }),
    ];
    const paidBeforeFen = counters.get('paid');
    const capLeftFen = positive(rule.annualCap.value - paidBeforeFen);
    if (payFen > capLeftFen) {
      payFen = capLeftFen;
      if (ctx.explain) explanation.push(templates.capped({ cap: formatFen(rule.annualCap.value), paidBefore: formatFen(paidBeforeFen), capLeft: formatFen(capLeftFen), cite: rule.annualCap.cite }));
    }
    counters.add('compliant', ctx.bill.compliantFen);
    counters.add('paid', payFen);
    return { directFen: payFen, benefits: NO_BENEFITS, explanation };
  },
  // The burden is what the person finally bears of the stay's compliant cost, after payers ordered after
  // this one too (威海's 意外伤害保险): counted before them, the next stay's burden was overstated and
  // the ceiling overpaid (review of 2026-12-03).
  afterDirect(_rule, _prepared, ctx, counters) {
    counters.add('burden', ctx.running.compliantLeftFen);
  },
});
