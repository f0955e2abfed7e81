/**
 * A fixed sum per day in hospital, paid to the patient later: only for days inside the policy term and
 * the person's cover on the roster, within the per-stay and yearly day limits the pack gives.
 */
import { daysCovered, hospitalDays } from '../days.js';
import { formatFen } from '../money.js';
import { ruleKind } from './kind.js';
import { dailyAllowanceRule } from '../../../schemas/rules/dailyAllowance.js';

const templates = {
  covered: (p: { name: string; inHospital: number; days: number; term: string; cover: string }) => `${p.name}：住院 ${p.inHospital} 天，其中保障期内 ${p.days} 天（保险期间 ${p.term}${p.cover}）`,
  cover: (p: { periods: string }) => `、本人保障期 ${p.periods}`,
  period: (p: { from: string; to: string }) => `${p.from}至${p.to}`,
  perStay: (p: { days: number; cite: string }) => `每次住院最多给付 ${p.days} 天（${p.cite}）`,
  perYear: (p: { max: number; used: number; left: number; cite: string }) => `年度最多给付 ${p.max} 天，本年已给付 ${p.used} 天，余 ${p.left} 天（${p.cite}）`,
  pays: (p: { name: string; counted: string; perDay: string; amount: string; cite: string }) => `${p.name}：${p.counted} × ${p.perDay} 元/日 = ${p.amount}（${p.cite}），现金给付，不冲减本次账单`,
};

export const dailyAllowance = ruleKind({
  schema: dailyAllowanceRule,
  pays: 'a sum per day in hospital, paid to the patient (闻喜 意外住院津贴), for days inside the term and the person\'s roster cover only; optional `maxDaysPerStay`, `maxDaysPerYear`',
  countersText: '`days` (only with `maxDaysPerYear`)',
  counters: (rule) => (rule.maxDaysPerYear ? ['days'] : []),
  payment: () => 'benefit',
  limitable: false,
  figures: () => ({}),
  prepare: (rule) => ({ perDay: formatFen(rule.perDay.value) }),
  apply(rule, prepared, ctx, counters) {
    const { admittedOn, dischargedOn } = ctx.request.encounter;
    const stay = hospitalDays(admittedOn, dischargedOn);
    const inHospital = stay.last - stay.first + 1;
    const term = ctx.pack.term;
    let days = daysCovered(stay, ctx.who.cover ?? [term], term);
    const explanation: string[] = [];
    if (ctx.explain && days < inHospital) {
      const cover = ctx.who.cover ? templates.cover({ periods: ctx.who.cover.map((c) => templates.period(c)).join('、') }) : '';
      explanation.push(templates.covered({ name: rule.name, inHospital, days, term: templates.period(term), cover }));
    }
    if (rule.maxDaysPerStay && days > rule.maxDaysPerStay.value) {
      days = rule.maxDaysPerStay.value;
      if (ctx.explain) explanation.push(templates.perStay({ days, cite: rule.maxDaysPerStay.cite }));
    }
    if (rule.maxDaysPerYear) {
      const usedDays = counters.get('days');
      const daysLeft = Math.max(0, rule.maxDaysPerYear.value - usedDays);
      if (days > daysLeft) {
        days = daysLeft;
        if (ctx.explain) explanation.push(templates.perYear({ max: rule.maxDaysPerYear.value, used: usedDays, left: daysLeft, cite: rule.maxDaysPerYear.cite }));
      }
      counters.add('days', days);
    }
    const amountFen = days * rule.perDay.value;
    if (ctx.explain) explanation.push(templates.pays({ name: rule.name, counted: days === inHospital ? `住院 ${days} 天` : `给付 ${days} 天`, perDay: prepared.perDay, amount: formatFen(amountFen), cite: rule.perDay.cite }));
    return { directFen: 0, benefits: amountFen > 0 ? [{ kind: rule.benefitKind, amountFen, explanation }] : [], explanation };
  },
});
