/** 兜底保障: the person's cumulative self-paid cost in the year is capped; the cap depends on participation. */
import { formatFen, formatPercent, positive } from '../money.js';
import { NO_BENEFITS } from '../context.js';
import { ruleKind } from './kind.js';
import { outOfPocketCapRule } from '../../../schemas/rules/outOfPocketCap.js';

const templates = {
  notReached: (p: { participation: string; cite: string }) => `参保率 ${p.participation} 未达兜底条件（${p.cite}）`,
  cap: (p: { participation: string; participationCite: string; cap: string; cite: string }) => `兜底保障：参保率 ${p.participation}（${p.participationCite}），个人自付封顶 ${p.cap} 元（${p.cite}）`,
  pays: (p: { before: string; stay: string; pay: string }) => `本年个人自付累计 ${p.before} + 本次 ${p.stay}，超出封顶部分 ${p.pay} 由本保险支付`,
};

export const outOfPocketCap = ruleKind({
  schema: outOfPocketCapRule,
  pays: "pays what the person's cumulative self-paid cost exceeds the cap the participation rate sets (三明 兜底)",
  countersText: '`personal`, `paid`',
  counters: () => ['personal', 'paid'],
  payment: () => 'direct',
  limitable: false,
  figures: () => ({}),
  prepare(rule) {
    // The participation rate is the pack's, so the tier in force is too.
    const participation = rule.participation.value;
    const tier = [...rule.capsByParticipation.value].sort((a, b) => b.minParticipation - a.minParticipation).find((t) => participation >= t.minParticipation);
    return tier
      ? { capFen: tier.cap, line: templates.cap({ participation: formatPercent(participation), participationCite: rule.participation.cite, cap: formatFen(tier.cap), cite: rule.capsByParticipation.cite }) }
      : { capFen: null, line: templates.notReached({ participation: formatPercent(participation), cite: rule.capsByParticipation.cite }) };
  },
  apply(_rule, prepared, ctx, counters) {
    if (prepared.capFen === null) return { directFen: 0, benefits: NO_BENEFITS, explanation: [prepared.line] };
    const personalBeforeFen = counters.get('personal');
    const stayPersonalFen = ctx.running.allLeftFen;
    const payFen = Math.min(positive(personalBeforeFen + stayPersonalFen - prepared.capFen), stayPersonalFen);
    counters.add('personal', stayPersonalFen - payFen);
    counters.add('paid', payFen);
    return {
      directFen: payFen,
      benefits: NO_BENEFITS,
      explanation: !ctx.explain ? [] : [prepared.line, templates.pays({ before: formatFen(personalBeforeFen), stay: formatFen(stayPersonalFen), pay: formatFen(payFen) })],
    };
  },
});
