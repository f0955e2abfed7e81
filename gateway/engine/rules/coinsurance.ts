/**
 * A responsibility (保险责任) of a supplementary plan: on a base (parts of the bill, of selected items, less what
 * named layers paid), optionally only above a threshold on the year's cumulative cost, a deductible per stay or
 * year (with bands paid at their own ratio inside it), a ratio by risk group, per-stay and annual caps; paid
 * directly or as a cash benefit. Figures may differ by the person's product (款), group, roster attributes or
 * the place of care (overrides), and the risk group may be judged by the claim (既往症 by the stay's diagnosis).
 */
import * as z from 'zod';
import { riskGroup, type Base, type GroupRatios, type RiskGroup } from '../../../schemas/pack-parts.js';
import { BILL_PARTS, type SettlementRequest } from '../../../schemas/settlement.js';
import { BILL_PART_NAMES, LAYER_NAMES_DEDUCTED, RISK_GROUP_NAMES } from '../../../schemas/vocabulary.js';
import { itemParts, billParts, type PartsFen } from '../bill.js';
import { checkCondition } from '../conditions.js';
import { NO_BENEFITS, paidOnPart, type RuleContext, type RuleCounters } from '../context.js';
import { claimGroup } from '../eligibility.js';
import { ExactFen } from '../exact.js';
import { formatFen, formatPercent, positive } from '../money.js';
import { ratioFor } from './group-ratio.js';
import { ruleKind } from './kind.js';
import { coinsuranceRule, ratioBands } from '../../../schemas/rules/coinsurance.js';

const templates = {
  notCovered: (p: { name: string; group: string; cite: string }) => `${p.name}：${p.group}不在本责任保障范围（${p.cite}）`,
  closed: (p: { name: string; cite: string }) => `${p.name}：本情形不予赔付（${p.cite}）`,
  base: (p: { name: string; of: string; gross: string; deducted: string; base: string; cite: string }) => `${p.name}：${p.of} ${p.gross}${p.deducted} = 计算基数 ${p.base}（${p.cite}）`,
  deducted: (p: { layers: string; paid: string }) => ` 扣除${p.layers}已付 ${p.paid}`,
  lessShare: (p: { share: string; compliant: string; base: string }) => `扣除合规费用 ${p.compliant} 的 ${p.share}，计算基数 ${p.base}`,
  threshold: (p: { measure: string; amount: string; before: string; stay: string; above: string; base: string; cite: string }) =>
    `${p.measure}年度累计：此前 ${p.before} + 本次 ${p.stay}，超过 ${p.amount} 元的部分 ${p.above}，计算基数按比例为 ${p.base}（${p.cite}）`,
  coverShare: (p: { days: number; of: number; base: string }) => `保障期内 ${p.days}/${p.of} 天，计算基数 ${p.base}`,
  deductible: (p: { per: 'stay' | 'year'; period: string; amount: string; left: string; applied: string; cite: string }) =>
    `${p.per === 'stay' ? '每次免赔额' : '年度免赔额'} ${p.amount} 元${p.per === 'year' ? `，${p.period}尚余 ${p.left}` : ''}，本次计入 ${p.applied}（${p.cite}）`,
  band: (p: { from: string; to: string; amount: string; ratio: string; pay: string }) => `免赔额内 ${p.from}–${p.to} 元段 ${p.amount} × ${p.ratio} = ${p.pay}`,
  ratioBand: (p: { per: 'stay' | 'year'; period: string; from: string; to: string; amount: string; ratio: string; pay: string; cite: string }) =>
    `分段赔付（${p.per === 'year' ? `${p.period}累计` : '本次'}免赔后金额）${p.from}–${p.to} 元段 ${p.amount} × ${p.ratio} = ${p.pay}（${p.cite}）`,
  formula: (p: { base: string; deductibleApplied: string; group: string; ratio: string; pay: string; cite: string }) => `(${p.base} − ${p.deductibleApplied}) × ${p.group}比例 ${p.ratio} = ${p.pay}（${p.cite}）`,
  perStayCap: (p: { cap: string; cite: string }) => `每次限额 ${p.cap} 元（${p.cite}）`,
  annualCap: (p: { period: string; cap: string; paidBefore: string; capLeft: string; cite: string }) => `年度限额 ${p.cap} 元，${p.period}已赔 ${p.paidBefore}，按余额 ${p.capLeft} 赔付（${p.cite}）`,
  limited: (p: { limit: string }) => `不超过个人剩余负担 ${p.limit}`,
  cash: () => '以上为现金给付，不冲减本次账单',
};

/** Name the risk group only where the programme pays groups differently (三明); elsewhere it would only confuse. */
const byGroup = (ratios: GroupRatios): boolean => ratios.preExisting !== ratios.healthy || ratios.aidPreExisting !== undefined;

/** The explanation's first line where 既往症 is judged by claim; a new array either way (the rule adds its lines). */
const said = (claim: { text: string } | null): string[] => (claim ? [claim.text] : []);

/** An exact amount as the explanation shows it: to the fen, "≈" where a pro-rata share is not whole fen. */
const exactText = (amount: ExactFen): string => `${amount.isWholeFen() ? '' : '≈'}${formatFen(amount.round())}`;

/** What a base reads, prepared once: which parts, which items, and the words for them. */
interface PreparedBase {
  readonly base: Base;
  /** BILL_PARTS order; null for the shorthand `of` over every item (compliant, or the whole bill). */
  readonly mask: readonly boolean[] | null;
  readonly of: string;
  readonly deductedLayers: string;
}

const ITEM_TYPE_NAMES = { drug: '药品', consumable: '耗材', service: '诊疗服务' } as const;
const WARD_NAMES = { general: '普通部', special: '特需部、VIP部、国际部' } as const;

function prepareBase(b: Base): PreparedBase {
  // The shorthand `of` keeps its meaning from before parts existed (less everything the layers paid) unless it selects items.
  const parts: readonly string[] | null = b.parts ?? (b.items ? (b.of === 'compliant' ? ['compliant'] : BILL_PARTS) : null);
  const mask = parts ? BILL_PARTS.map((p) => parts.includes(p)) : null;
  let of = b.of === 'compliant' ? '政策范围内费用' : b.of === 'all' ? '医疗总费用' : (b.parts ?? []).map((p) => BILL_PART_NAMES[p]).join('+');
  const only = [...(b.items?.types?.map((t) => ITEM_TYPE_NAMES[t]) ?? []), ...(b.items?.wards?.map((w) => WARD_NAMES[w]) ?? []), ...(b.items?.codes ? [`编码 ${b.items.codes.join('、')} 开头的项目`] : [])];
  if (only.length > 0) of += `（仅${only.join('、')}）`;
  if (b.items?.notCodes) of += `（不含编码 ${b.items.notCodes.join('、')} 开头的项目）`;
  return { base: b, mask, of, deductedLayers: b.after.map((l) => LAYER_NAMES_DEDUCTED[l]).join('、') };
}

const startsWithAny = (code: string, prefixes: readonly string[]): boolean => prefixes.some((prefix) => code.startsWith(prefix));

const selects = (b: Base, item: SettlementRequest['items'][number]): boolean =>
  (!b.items?.types || (item.itemType !== undefined && b.items.types.includes(item.itemType)))
  && (!b.items?.wards || b.items.wards.includes(item.ward ?? 'general'))
  && (!b.items?.codes || startsWithAny(item.code, b.items.codes))
  && (!b.items?.notCodes || !startsWithAny(item.code, b.items.notCodes));

/** The gross cost of the selected items by part; the bill's own totals when the base selects every item. */
function selectedParts(b: Base, ctx: RuleContext): PartsFen {
  if (!b.items) return billParts(ctx.bill);
  const sum: PartsFen = [0, 0, 0, 0];
  for (const item of ctx.request.items) {
    if (!selects(b, item)) continue;
    const parts = itemParts(item);
    for (let p = 0; p < 4; p++) sum[p]! += parts[p]!;
  }
  return sum;
}

/** A part of the bill's `amountFen` that falls on the selected items: in proportion to their gross cost of it. */
const onSelected = (amountFen: number, selectedFen: number, billFen: number, all: boolean): ExactFen =>
  (all ? ExactFen.fen(amountFen) : ExactFen.share(amountFen, selectedFen, billFen));

/** `selected`: the selected items' gross cost by part; null for the shorthand over every item (the bill's own, billParts). */
interface BaseResult { gross: number; deducted: ExactFen; base: ExactFen; selected: PartsFen | null; limit: ExactFen }

function computeBase(pb: PreparedBase, ctx: RuleContext, direct: boolean): BaseResult {
  const { running } = ctx;
  const b = pb.base;
  if (pb.mask === null) {
    // The shorthand: the compliant cost or the whole bill, less everything the named layers paid (as before parts existed).
    const gross = b.of === 'compliant' ? ctx.bill.compliantFen : ctx.bill.totalFen;
    let deducted = 0;
    for (const layer of b.after) deducted += running.paidByLayerFen[layer];
    const limit = direct && b.of === 'compliant' ? running.compliantLeftFen : running.allLeftFen;
    return { gross, deducted: ExactFen.fen(deducted), base: ExactFen.fen(positive(gross - deducted)), selected: null, limit: ExactFen.fen(limit) };
  }
  const all = !b.items;
  const bill = billParts(ctx.bill);
  const selected = selectedParts(b, ctx);
  let gross = 0;
  let deducted = ExactFen.ZERO;
  let base = ExactFen.ZERO;
  let limit = ExactFen.ZERO;
  for (let p = 0; p < 4; p++) {
    if (!pb.mask[p]) continue;
    gross += selected[p]!;
    let paidFen = 0;
    for (const layer of b.after) paidFen += paidOnPart(running, layer, p);
    const paid = onSelected(paidFen, selected[p]!, bill[p]!, all);
    deducted = deducted.plus(paid);
    base = base.plus(ExactFen.fen(selected[p]!).less(paid));
    limit = limit.plus(onSelected(running.partLeftFen[p]!, selected[p]!, bill[p]!, all));
  }
  return { gross, deducted, base, selected, limit: direct ? limit : ExactFen.fen(running.allLeftFen) };
}

/**
 * What is paid on the amount after the deductible where a plan pays by amount bands: the stretch this stay
 * fills of the year's (or the stay's) cumulative amount, [before, before + payable), cut at each band.
 */
function byRatioBands(
  bands: z.output<typeof ratioBands>, payable: ExactFen, mainPpm: number, group: RiskGroup,
  counters: RuleCounters, periodWord: string, explanation: string[] | null,
): ExactFen {
  const beforeFen = bands.per === 'year' ? counters.get('payable') : 0;
  const before = ExactFen.fen(beforeFen);
  const end = before.plus(payable);
  let pay = ExactFen.ZERO;
  for (let i = 0; i <= bands.bands.length; i++) {
    const fromFen = i === 0 ? 0 : bands.bands[i - 1]!.above;
    const toFen = bands.bands[i]?.above;
    const lo = ExactFen.fen(fromFen).compare(before) > 0 ? ExactFen.fen(fromFen) : before;
    const hi = toFen === undefined ? end : end.min(ExactFen.fen(toFen));
    const stretch = hi.less(lo);
    if (stretch.isZero()) continue;
    const ppm = i === 0 ? mainPpm : ratioFor(group, bands.bands[i - 1]!.ratio) ?? 0;
    const stretchPay = stretch.ratio(ppm);
    pay = pay.plus(stretchPay);
    explanation?.push(templates.ratioBand({
      per: bands.per, period: periodWord, from: formatFen(fromFen), to: toFen === undefined ? '' : formatFen(toFen),
      amount: exactText(stretch), ratio: formatPercent(ppm), pay: exactText(stretchPay), cite: bands.cite,
    }));
  }
  if (bands.per === 'year') counters.add('payable', payable.round());
  return pay;
}

export const coinsurance = ruleKind({
  schema: coinsuranceRule,
  pays: 'a responsibility: on a `base` (`parts` of the bill — compliant, preSelfPay, overLimit, outOfScope — or `of: compliant|all`, of selected `items`, less what the named layers paid), optionally above a cumulative `threshold`; deductible per stay or year with `bands`; ratio by risk group, and `ratioBands` by amount after the deductible (分段赔付) (`healthy`, `preExisting`, `aidPreExisting`; `null` = not covered; `riskGroup.by: claim` judges 既往症 by the stay); per-stay and annual caps; `overrides` by 款, group, attributes or place; `payment: direct` or `benefit`',
  countersText: '`deductibleUsed` (a yearly deductible), `measured` (a threshold), `payable` (yearly ratio bands), `paid`',
  counters: (rule) => [
    ...([rule.deductible, ...(rule.overrides ?? []).map((o) => o.deductible)].some((d) => d?.per === 'year') ? ['deductibleUsed'] : []),
    ...(rule.threshold ? ['measured'] : []),
    ...([rule.ratioBands, ...(rule.overrides ?? []).map((o) => o.ratioBands)].some((b) => b?.per === 'year') ? ['payable'] : []),
    'paid',
  ],
  payment: (rule) => rule.payment,
  limitable: true,
  figures: (rule) => ({
    ...(rule.annualCap ? { cap: rule.annualCap.value } : {}),
    ...(rule.deductible?.per === 'year' ? { deductible: rule.deductible.amount } : {}),
    ...(rule.overrides?.length ? { note: '款型、人群、名单属性或就医地不同时额度可能不同' } : {}),
  }),
  prepare(rule, pack) {
    const ratios = rule.ratio.value;
    const labelled = byGroup(ratios);
    const groups = Object.fromEntries(riskGroup.options.map((group) => {
      const ratioPpm = ratioFor(group, ratios);
      return [group, ratioPpm === null
        ? { ratioPpm, notCovered: templates.notCovered({ name: rule.name, group: RISK_GROUP_NAMES[group], cite: rule.ratio.cite }) }
        : { ratioPpm, label: labelled ? RISK_GROUP_NAMES[group] : '', ratioText: formatPercent(ratioPpm) }];
    })) as Record<RiskGroup, { ratioPpm: null; notCovered: string } | { ratioPpm: number; label: string; ratioText: string }>;
    const bases = new Map<Base, PreparedBase>((rule.overrides ?? []).flatMap((o) => (o.base ? [[o.base, prepareBase(o.base)] as const] : [])));
    return { groups, base: prepareBase(rule.base), bases, periodWord: pack.periodWord, measure: rule.threshold?.measure.map((p) => BILL_PART_NAMES[p]).join('+') ?? '', measureMask: BILL_PARTS.map((p) => rule.threshold?.measure.includes(p) ?? false) };
  },
  apply(rule, prepared, ctx, counters) {
    const claim = rule.riskGroup ? claimGroup(rule.riskGroup, ctx.request, ctx.who, ctx.programmes) : null;
    const group = claim ? claim.group : ctx.who.group;
    // The figures in force for this person and stay: the rule's, with every override that holds applied in order.
    let pb = prepared.base;
    let deductibleFigure = rule.deductible;
    let ratioFigure = rule.ratio;
    let bandsFigure = rule.ratioBands;
    let perStayCap = rule.perStayCap;
    let annualCap = rule.annualCap;
    let notCovered: string | undefined;
    if (rule.overrides) {
      const subject = { variant: ctx.who.variant, group, attributes: ctx.who.attributes };
      for (const o of rule.overrides) {
        if (!checkCondition(o.if, ctx.pack, ctx.request, ctx.programmes, subject, false).ok) continue;
        if (o.base) pb = prepared.bases.get(o.base) ?? pb;
        if (o.deductible) deductibleFigure = o.deductible;
        if (o.ratio) ratioFigure = o.ratio;
        if (o.ratioBands) bandsFigure = o.ratioBands;
        if (o.perStayCap) perStayCap = o.perStayCap;
        if (o.annualCap) annualCap = o.annualCap;
        if (o.notCovered) notCovered = o.notCovered;
      }
    }
    if (notCovered !== undefined) return { directFen: 0, benefits: NO_BENEFITS, explanation: [...said(claim), templates.closed({ name: rule.name, cite: notCovered })] };
    let ratioPpm: number;
    let ratioLabel: string;
    if (ratioFigure === rule.ratio) {
      const g = prepared.groups[group];
      if (g.ratioPpm === null) return { directFen: 0, benefits: NO_BENEFITS, explanation: [...said(claim), g.notCovered] };
      ratioPpm = g.ratioPpm;
      ratioLabel = g.label;
    } else {
      const overridden = ratioFor(group, ratioFigure.value);
      if (overridden === null) return { directFen: 0, benefits: NO_BENEFITS, explanation: [...said(claim), templates.notCovered({ name: rule.name, group: RISK_GROUP_NAMES[group], cite: ratioFigure.cite })] };
      ratioPpm = overridden;
      ratioLabel = byGroup(ratioFigure.value) ? RISK_GROUP_NAMES[group] : '';
    }
    const direct = rule.payment === 'direct';
    const computed = computeBase(pb, ctx, direct);
    let base = computed.base;
    const explanation = said(claim);
    if (ctx.explain) explanation.push(templates.base({
      name: rule.name, of: pb.of, gross: formatFen(computed.gross),
      deducted: pb.base.after.length ? templates.deducted({ layers: pb.deductedLayers, paid: exactText(computed.deducted) }) : '',
      base: exactText(base), cite: pb.base.cite,
    }));
    if (pb.base.lessCompliantShare !== undefined) {
      const selected = computed.selected ?? billParts(ctx.bill);
      base = base.less(ExactFen.fen(selected[0]).ratio(pb.base.lessCompliantShare));
      if (ctx.explain) explanation.push(templates.lessShare({ share: formatPercent(pb.base.lessCompliantShare), compliant: formatFen(selected[0]), base: exactText(base) }));
    }
    if (rule.threshold) {
      const selected = computed.selected ?? billParts(ctx.bill);
      let measuredFen = 0;
      for (let p = 0; p < 4; p++) if (prepared.measureMask[p]) measuredFen += selected[p]!;
      const beforeFen = counters.get('measured');
      const amountFen = rule.threshold.amount;
      const aboveFen = positive(beforeFen + measuredFen - amountFen) - positive(beforeFen - amountFen);
      base = base.times(aboveFen, measuredFen);
      counters.add('measured', measuredFen);
      if (ctx.explain) explanation.push(templates.threshold({ measure: prepared.measure, amount: formatFen(amountFen), before: formatFen(beforeFen), stay: formatFen(measuredFen), above: formatFen(aboveFen), base: exactText(base), cite: rule.threshold.cite }));
    }
    const share = ctx.who.coverShare;
    if (share) {
      base = base.times(share.days, share.of);
      if (ctx.explain) explanation.push(templates.coverShare({ days: share.days, of: share.of, base: exactText(base) }));
    }
    let pay = ExactFen.ZERO;
    let applied = ExactFen.ZERO;
    const d = deductibleFigure;
    if (d) {
      const perYear = d.per === 'year';
      const usedBeforeFen = perYear ? counters.get('deductibleUsed') : 0;
      const leftFen = positive(d.amount - usedBeforeFen);
      applied = base.min(ExactFen.fen(leftFen));
      if (ctx.explain) explanation.push(templates.deductible({ per: d.per, period: prepared.periodWord, amount: formatFen(d.amount), left: perYear ? formatFen(leftFen) : '', applied: exactText(applied), cite: d.cite }));
      if (perYear) counters.add('deductibleUsed', applied.round());
      // Bands inside the deductible: the stretch of it this stay fills, [usedBefore, usedBefore + applied), against each band.
      const bands = d.bands ?? [];
      for (let i = 0; i < bands.length; i++) {
        const band = bands[i]!;
        const toFen = bands[i + 1]?.from ?? d.amount;
        const start = ExactFen.fen(Math.max(band.from, usedBeforeFen));
        const end = ExactFen.fen(usedBeforeFen).plus(applied).min(ExactFen.fen(toFen));
        const inBand = end.less(start);
        if (inBand.isZero()) continue;
        const bandPay = inBand.ratio(band.ratio);
        pay = pay.plus(bandPay);
        if (ctx.explain) explanation.push(templates.band({ from: formatFen(band.from), to: formatFen(toFen), amount: exactText(inBand), ratio: formatPercent(band.ratio), pay: exactText(bandPay) }));
      }
    }
    const payable = base.less(applied);
    const main = bandsFigure ? byRatioBands(bandsFigure, payable, ratioPpm, group, counters, prepared.periodWord, ctx.explain ? explanation : null) : payable.ratio(ratioPpm);
    pay = pay.plus(main);
    let payFen = pay.round();
    if (ctx.explain) explanation.push(templates.formula({ base: exactText(base), deductibleApplied: exactText(applied), group: ratioLabel, ratio: formatPercent(ratioPpm), pay: d?.bands || bandsFigure ? exactText(main) : formatFen(payFen), cite: ratioFigure.cite }));
    if (perStayCap && payFen > perStayCap.value) {
      payFen = perStayCap.value;
      if (ctx.explain) explanation.push(templates.perStayCap({ cap: formatFen(perStayCap.value), cite: perStayCap.cite }));
    }
    if (annualCap) {
      const paidBeforeFen = counters.get('paid');
      const capLeftFen = positive(annualCap.value - paidBeforeFen);
      if (payFen > capLeftFen) {
        payFen = capLeftFen;
        if (ctx.explain) explanation.push(templates.annualCap({ period: prepared.periodWord, cap: formatFen(annualCap.value), paidBefore: formatFen(paidBeforeFen), capLeft: formatFen(capLeftFen), cite: annualCap.cite }));
      }
    }
    if (ctx.limit && payFen > ctx.limit.leftFen) {
      payFen = ctx.limit.leftFen;
      if (ctx.explain) explanation.push(ctx.limit.text);
    }
    // The pool a payment may not exceed: what is left of its base's parts (of the selected items), or for a
    // benefit what the patient is left to pay. A pro-rata pool is taken down to the fen: never more than is left.
    const limitFen = computed.limit.floor();
    if (payFen > limitFen) {
      payFen = limitFen;
      if (ctx.explain) explanation.push(templates.limited({ limit: formatFen(limitFen) }));
    }
    counters.add('paid', payFen);
    if (direct) return { directFen: payFen, benefits: NO_BENEFITS, explanation, ...(pb.mask ? { fromParts: pb.mask } : {}) };
    return { directFen: 0, benefits: payFen > 0 ? [{ kind: rule.benefitKind ?? rule.id, amountFen: payFen, explanation }] : [], explanation: [...explanation, templates.cash()] };
  },
});
