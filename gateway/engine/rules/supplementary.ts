/** Supplementary programmes' rules: coinsurance, the burden ceiling, the out-of-pocket cap, specific drugs, allowances. */
import type { Rule } from '../../../schemas/pack.js';
import type { RiskGroup, RuleContext, RuleResult } from '../context.js';
import { applyRatio, formatFen as y, formatMicroFen, formatPercent as pct, positive, RATIO_SCALE, roundHalfUpQuotient, roundMicroFen } from '../money.js';
import { daysCovered, hospitalDays } from '../days.js';
import { once } from '../text-cache.js';

const MICRO_PER_FEN = BigInt(RATIO_SCALE);

type Of<K extends Rule['kind']> = Extract<Rule, { kind: K }>;

const LAYER_NAMES = { basic: '基本医保', majorIllness: '大病保险', waiver: '医疗机构减免', aid: '医疗救助', supplementary: '此前商业补充保险' } as const;
const GROUP_NAMES: Record<RiskGroup, string> = { healthy: '健康人群', preExisting: '特定既往症人群', aidPreExisting: '救助对象中的特定既往症人群' };

/** The group's ratio;救助对象 fall back to the pre-existing ratio where the pack sets none for them. */
function ratioFor(group: RiskGroup, ratios: Of<'coinsurance'>['ratio']['value']): number | null {
  if (group === 'healthy') return ratios.healthy;
  if (group === 'aidPreExisting' && ratios.aidPreExisting !== undefined) return ratios.aidPreExisting;
  return ratios.preExisting ?? null;
}

/** The pool a direct payment may not exceed: compliant cost left, or the whole bill left. */
const limitFor = (of: 'compliant' | 'all', ctx: RuleContext) => (of === 'compliant' ? ctx.running.compliantLeftFen : ctx.running.allLeftFen);

const deductedNames = (rule: Of<'coinsurance'>): string => once(rule, 'deducted', () => rule.base.after.map((l) => LAYER_NAMES[l]).join('、'));

/** Deductible, ratio by group, per-stay and annual caps, on a declared base. */
export function coinsurance(rule: Of<'coinsurance'>, ctx: RuleContext): RuleResult {
  const ratioPpm = ratioFor(ctx.group, rule.ratio.value);
  if (ratioPpm === null) return { directFen: 0, benefits: [], explanation: [`${rule.name}：${GROUP_NAMES[ctx.group]}不在本责任保障范围（${rule.ratio.cite}）`] };
  const counters = ctx.counters.forRule(rule);
  const grossFen = rule.base.of === 'compliant' ? ctx.bill.compliantFen : ctx.bill.totalFen;
  const deductedFen = rule.base.after.reduce((sum, layer) => sum + ctx.running.paidByLayerFen[layer], 0);
  const baseFen = positive(grossFen - deductedFen);
  const explanation = [
    `${rule.name}：${rule.base.of === 'compliant' ? '政策范围内费用' : '医疗总费用'} ${y(grossFen)}${rule.base.after.length ? ` 扣除${deductedNames(rule)}已付 ${y(deductedFen)}` : ''} = 计算基数 ${y(baseFen)}（${rule.base.cite}）`,
  ];
  let deductibleAppliedFen = 0;
  if (rule.deductible) {
    const deductibleLeftFen = rule.deductible.per === 'stay' ? rule.deductible.amount : positive(rule.deductible.amount - counters.get('deductibleUsed'));
    deductibleAppliedFen = Math.min(baseFen, deductibleLeftFen);
    explanation.push(`${rule.deductible.per === 'stay' ? '每次免赔额' : '年度免赔额'} ${y(rule.deductible.amount)} 元${rule.deductible.per === 'year' ? `，本年尚余 ${y(deductibleLeftFen)}` : ''}，本次计入 ${y(deductibleAppliedFen)}（${rule.deductible.cite}）`);
    if (rule.deductible.per === 'year') counters.add('deductibleUsed', deductibleAppliedFen);
  }
  let payFen = applyRatio(baseFen - deductibleAppliedFen, ratioPpm);
  // Name the risk group only where the programme pays groups differently (三明); elsewhere it would only confuse.
  const byGroup = rule.ratio.value.preExisting !== rule.ratio.value.healthy || rule.ratio.value.aidPreExisting !== undefined;
  explanation.push(`(${y(baseFen)} − ${y(deductibleAppliedFen)}) × ${byGroup ? GROUP_NAMES[ctx.group] : ''}比例 ${pct(ratioPpm)} = ${y(payFen)}（${rule.ratio.cite}）`);
  if (rule.perStayCap && payFen > rule.perStayCap.value) {
    payFen = rule.perStayCap.value;
    explanation.push(`每次限额 ${y(rule.perStayCap.value)} 元（${rule.perStayCap.cite}）`);
  }
  if (rule.annualCap) {
    const paidBeforeFen = counters.get('paid');
    const capLeftFen = positive(rule.annualCap.value - paidBeforeFen);
    if (payFen > capLeftFen) {
      payFen = capLeftFen;
      explanation.push(`年度限额 ${y(rule.annualCap.value)} 元，本年已赔 ${y(paidBeforeFen)}，按余额 ${y(capLeftFen)} 赔付（${rule.annualCap.cite}）`);
    }
  }
  const limitFen = rule.payment === 'direct' ? limitFor(rule.base.of, ctx) : ctx.running.allLeftFen;
  if (payFen > limitFen) {
    payFen = limitFen;
    explanation.push(`不超过个人剩余负担 ${y(limitFen)}`);
  }
  counters.add('paid', payFen);
  if (rule.payment === 'direct') return { directFen: payFen, benefits: [], explanation };
  return { directFen: 0, benefits: payFen > 0 ? [{ kind: rule.benefitKind ?? rule.id, amountFen: payFen, explanation }] : [], explanation: [...explanation, '以上为现金给付，不冲减本次账单'] };
}

/** 威海: keep the person's cumulative burden on compliant inpatient cost at most a share of their cumulative compliant cost. */
export function burdenCeiling(rule: Of<'burdenCeiling'>, ctx: RuleContext): RuleResult {
  const counters = ctx.counters.forRule(rule);
  const compliantAfterFen = counters.get('compliant') + ctx.bill.compliantFen;
  const burdenBeforePayFen = counters.get('burden') + ctx.running.compliantLeftFen;
  // The payment is the burden above the limit, exact in micro-fen and rounded once; the limit itself
  // (1000.005) is never rounded on its own (seeds/001 三(一), CONTRACT: each payer's amount rounded once).
  const ceilingMicroFen = BigInt(compliantAfterFen) * BigInt(rule.maxBurdenShare.value);
  const aboveMicroFen = BigInt(burdenBeforePayFen) * MICRO_PER_FEN - ceilingMicroFen;
  let payFen = aboveMicroFen > 0n ? Math.min(roundHalfUpQuotient(aboveMicroFen, MICRO_PER_FEN), ctx.running.compliantLeftFen) : 0;
  const explanation = [
    `不设起付线；本年累计合规住院费用 ${y(compliantAfterFen)}，个人累计负担（含本次补偿前剩余 ${y(ctx.running.compliantLeftFen)}）${y(burdenBeforePayFen)}`,
    `个人累计负担上限 = ${y(compliantAfterFen)} × ${pct(rule.maxBurdenShare.value)} = ${formatMicroFen(ceilingMicroFen)}；本次补偿 ${y(payFen)}（${rule.maxBurdenShare.cite}）`,
  ];
  const paidBeforeFen = counters.get('paid');
  const capLeftFen = positive(rule.annualCap.value - paidBeforeFen);
  if (payFen > capLeftFen) {
    payFen = capLeftFen;
    explanation.push(`年度赔付封顶 ${y(rule.annualCap.value)} 元，本年已赔 ${y(paidBeforeFen)}，按余额 ${y(capLeftFen)} 赔付（${rule.annualCap.cite}）`);
  }
  counters.add('compliant', ctx.bill.compliantFen);
  counters.add('burden', ctx.running.compliantLeftFen - payFen);
  counters.add('paid', payFen);
  return { directFen: payFen, benefits: [], explanation };
}

/** 兜底保障: the person's cumulative self-paid cost in the year is capped; the cap depends on participation. */
export function outOfPocketCap(rule: Of<'outOfPocketCap'>, ctx: RuleContext): RuleResult {
  const participation = rule.participation.value;
  const tier = [...rule.capsByParticipation.value].sort((a, b) => b.minParticipation - a.minParticipation).find((t) => participation >= t.minParticipation);
  if (!tier) return { directFen: 0, benefits: [], explanation: [`参保率 ${pct(participation)} 未达兜底条件（${rule.capsByParticipation.cite}）`] };
  const counters = ctx.counters.forRule(rule);
  const personalBeforeFen = counters.get('personal');
  const stayPersonalFen = ctx.running.allLeftFen;
  const payFen = Math.min(positive(personalBeforeFen + stayPersonalFen - tier.cap), stayPersonalFen);
  counters.add('personal', stayPersonalFen - payFen);
  counters.add('paid', payFen);
  return {
    directFen: payFen,
    benefits: [],
    explanation: [
      once(rule, 'cap', () => `兜底保障：参保率 ${pct(participation)}（${rule.participation.cite}），个人自付封顶 ${y(tier.cap)} 元（${rule.capsByParticipation.cite}）`),
      `本年个人自付累计 ${y(personalBeforeFen)} + 本次 ${y(stayPersonalFen)}，超出封顶部分 ${y(payFen)} 由本保险支付`,
    ],
  };
}

/** 特定药品: listed drugs, by group, annual deductible then ratio by drug class, capped by group. */
export function specificDrugs(rule: Of<'specificDrugs'>, ctx: RuleContext): RuleResult {
  if (rule.drugs.value.length === 0) {
    return { directFen: 0, benefits: [], explanation: [once(rule, 'noList', () => `${rule.name}：指定药品清单未配置（${rule.drugs.cite}）`)] };
  }
  const counters = ctx.counters.forRule(rule);
  const drugByCode = new Map(rule.drugs.value.map((d) => [d.code, d]));
  const explanation: string[] = [];
  let totalPayFen = 0;
  let limitFen = ctx.running.allLeftFen;
  for (const group of rule.groups) {
    const byClass = { A: 0, B: 0, C: 0 };
    for (const item of ctx.request.items) {
      const drug = drugByCode.get(item.code);
      if (drug?.group === group.id) byClass[drug.drugClass] += item.amount;
    }
    const baseFen = byClass.A + byClass.B + byClass.C;
    if (baseFen === 0) continue;
    const capFen = ctx.group === 'healthy' ? group.annualCap.value.healthy : group.annualCap.value.preExisting;
    if (capFen === null) {
      explanation.push(`${group.name}：${GROUP_NAMES[ctx.group]}不在保障范围（${group.annualCap.cite}）`);
      continue;
    }
    // The deductible is taken from class A first, then B, then C: the document does not say; this favours the patient.
    let deductibleLeftFen = positive(group.annualDeductible.value - counters.get(`${group.id}.deductibleUsed`));
    let micro = 0;
    for (const cls of ['A', 'B', 'C'] as const) {
      const takenFen = Math.min(byClass[cls], deductibleLeftFen);
      deductibleLeftFen -= takenFen;
      counters.add(`${group.id}.deductibleUsed`, takenFen);
      micro += (byClass[cls] - takenFen) * group.ratioByDrugClass.value[cls];
    }
    const paidBeforeFen = counters.get(`${group.id}.paid`);
    const payFen = Math.min(roundMicroFen(micro), positive(capFen - paidBeforeFen), limitFen);
    counters.add(`${group.id}.paid`, payFen);
    limitFen -= payFen;
    totalPayFen += payFen;
    explanation.push(`${group.name}：指定药品费用 ${y(baseFen)}，年度免赔额 ${y(group.annualDeductible.value)}，按药品类别比例赔付 ${y(payFen)}，年度限额 ${y(capFen)}（${group.ratioByDrugClass.cite}）`);
  }
  if (explanation.length === 0) explanation.push(`${rule.name}：本次无指定药品费用`);
  return { directFen: totalPayFen, benefits: [], explanation };
}

/**
 * A fixed sum per day in hospital, paid to the patient later: only for days inside the policy term and
 * the person's cover on the roster, within the per-stay and yearly day limits the pack gives.
 */
export function dailyAllowance(rule: Of<'dailyAllowance'>, ctx: RuleContext): RuleResult {
  const { admittedOn, dischargedOn } = ctx.request.encounter;
  const stay = hospitalDays(admittedOn, dischargedOn);
  const inHospital = stay.last - stay.first + 1;
  const term = ctx.pack.term;
  let days = daysCovered(stay, ctx.cover ?? [term], term);
  const explanation: string[] = [];
  if (days < inHospital) {
    const cover = ctx.cover ? `、本人保障期 ${ctx.cover.map((c) => `${c.from}至${c.to}`).join('、')}` : '';
    explanation.push(`${rule.name}：住院 ${inHospital} 天，其中保障期内 ${days} 天（保险期间 ${term.from}至${term.to}${cover}）`);
  }
  if (rule.maxDaysPerStay && days > rule.maxDaysPerStay.value) {
    days = rule.maxDaysPerStay.value;
    explanation.push(`每次住院最多给付 ${days} 天（${rule.maxDaysPerStay.cite}）`);
  }
  if (rule.maxDaysPerYear) {
    const counters = ctx.counters.forRule(rule);
    const usedDays = counters.get('days');
    const daysLeft = Math.max(0, rule.maxDaysPerYear.value - usedDays);
    if (days > daysLeft) {
      days = daysLeft;
      explanation.push(`年度最多给付 ${rule.maxDaysPerYear.value} 天，本年已给付 ${usedDays} 天，余 ${daysLeft} 天（${rule.maxDaysPerYear.cite}）`);
    }
    counters.add('days', days);
  }
  const amountFen = days * rule.perDay.value;
  const counted = days === inHospital ? `住院 ${days} 天` : `给付 ${days} 天`;
  explanation.push(`${rule.name}：${counted} × ${y(rule.perDay.value)} 元/日 = ${y(amountFen)}（${rule.perDay.cite}），现金给付，不冲减本次账单`);
  return { directFen: 0, benefits: amountFen > 0 ? [{ kind: rule.benefitKind, amountFen, explanation }] : [], explanation };
}
