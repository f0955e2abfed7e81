/**
 * 特定药品 / 特药: listed drugs, by group, each group with an annual deductible, a ratio (by the drug's class,
 * or the drug's own ratio by risk group) and a cap by risk group. A drug may be limited to where it is
 * dispensed (a designated pharmacy, a hospital, a region), to a month's supply per prescription, and to a
 * yearly sub-limit of its own; where 医保 covers it, a group may pay only what is left after the public layers.
 * The list is the pack's own (`drugs`), or a drug-list file the loader puts in its place (`drugList`).
 */
import { type DrugEntry, type RiskGroup } from '../../../schemas/pack-parts.js';
import { type SettlementRequest } from '../../../schemas/settlement.js';
import { ENCOUNTER_KIND_NAMES, RISK_GROUP_NAMES } from '../../../schemas/vocabulary.js';
import { itemParts, billParts } from '../bill.js';
import { NO_BENEFITS, paidOnPart } from '../context.js';
import { claimGroup } from '../eligibility.js';
import { ExactFen } from '../exact.js';
import { formatFen, formatPercent, positive } from '../money.js';
import { ratioFor } from './group-ratio.js';
import { ruleKind } from './kind.js';
import { specificDrugsRule } from '../../../schemas/rules/specificDrugs.js';

type DrugClass = NonNullable<DrugEntry['drugClass']>;

const templates = {
  noList: (p: { name: string; cite: string }) => `${p.name}：指定药品清单未配置（${p.cite}）`,
  notCovered: (p: { group: string; riskGroup: string; cite: string }) => `${p.group}：${p.riskGroup}不在保障范围（${p.cite}）`,
  pays: (p: { group: string; base: string; deductible: string; pay: string; cap: string; cite: string }) => `${p.group}：指定药品费用 ${p.base}，年度免赔额 ${p.deductible}，按药品类别比例赔付 ${p.pay}，年度限额 ${p.cap}（${p.cite}）`,
  none: (p: { name: string }) => `${p.name}：本次无指定药品费用`,
  where: (p: { drug: string; kinds: string; regions: string }) => `${p.drug}：限${p.kinds}${p.regions}购药，本次不予支付`,
  supply: (p: { drug: string; days: number; max: number; cite: string }) => `${p.drug}：处方 ${p.days} 天，超过 ${p.max} 天的部分不予支付（${p.cite}）`,
  after: (p: { drug: string; amount: string; left: string; cite: string }) => `${p.drug}：费用 ${p.amount}，医保等支付后剩余 ${p.left}（${p.cite}）`,
  drug: (p: { drug: string; counted: string; ratio: string; pay: string }) => `${p.drug}：${p.counted} × ${p.ratio} = ${p.pay}`,
  drugCap: (p: { drug: string; cap: string; paidBefore: string; left: string }) => `${p.drug}：单药年度限额 ${p.cap} 元，已赔 ${p.paidBefore}，按余额 ${p.left}`,
};

const CLASS_ORDER: Record<DrugClass | 'none', number> = { A: 0, B: 1, C: 2, none: 3 };
const drugText = (drug: DrugEntry): string => (drug.name ? `${drug.name}（${drug.code}）` : drug.code);

/** Why a dispensing falls outside where the drug may be bought; null when it may be paid here. */
function outOfPlace(drug: DrugEntry, request: SettlementRequest): string | null {
  const where = drug.where;
  if (!where) return null;
  const kindOk = !where.kinds || where.kinds.includes(request.encounter.kind);
  const regionOk = !where.regions || where.regions.some((prefix) => request.hospital.region.startsWith(prefix));
  if (kindOk && regionOk) return null;
  return templates.where({
    drug: drugText(drug),
    kinds: where.kinds ? where.kinds.map((k) => ENCOUNTER_KIND_NAMES[k]).join('、') : '',
    regions: where.regions ? `（区划 ${where.regions.join('、')}）` : '',
  });
}

export const specificDrugs = ruleKind({
  schema: specificDrugsRule,
  pays: "listed drugs by group (inline `drugs`, or a `drugList` file): annual deductible, the drug's own ratio by risk group or the group's ratio by drug class, cap by risk group; optional per-drug yearly cap, place of dispensing, `maxSupplyDays`, and `after` (医保 first) (三明 责任四, 惠琼保 特药)",
  countersText: '`<group>.deductibleUsed`, `<group>.paid`, `<group>.drug-<code>.paid` (a drug with its own cap)',
  counters: (rule) => rule.groups.flatMap((g) => [
    `${g.id}.deductibleUsed`, `${g.id}.paid`,
    ...(rule.drugs?.value ?? []).filter((d) => d.group === g.id && d.annualCap !== undefined).map((d) => `${g.id}.drug-${d.code}.paid`),
  ]),
  payment: () => 'direct',
  limitable: true,
  figures: (rule) => ({
    groupNames: Object.fromEntries(rule.groups.map((g) => [g.id, g.name])),
    byGroup: Object.fromEntries(rule.groups.map((g) => [g.id, { cap: g.annualCap.value.healthy, deductible: g.annualDeductible.value, note: `${g.name}：封顶为一般人群的额度` }])),
  }),
  prepare: (rule) => {
    const drugs = rule.drugs?.value ?? [];
    return {
      noList: drugs.length === 0 ? templates.noList({ name: rule.name, cite: rule.drugs?.cite ?? rule.drugList?.cite ?? rule.name }) : null,
      drugByCode: new Map(drugs.map((d) => [d.code, d])),
      groups: rule.groups.map((g) => ({ ...g, deductibleKey: `${g.id}.deductibleUsed`, paidKey: `${g.id}.paid`, deductibleText: formatFen(g.annualDeductible.value) })),
      drugsCite: rule.drugs?.cite ?? '',
    };
  },
  apply(rule, prepared, ctx, counters) {
    if (prepared.noList !== null) return { directFen: 0, benefits: NO_BENEFITS, explanation: [prepared.noList] };
    const explanation: string[] = [];
    const claim = rule.riskGroup ? claimGroup(rule.riskGroup, ctx.request, ctx.who, ctx.programmes) : null;
    if (claim) explanation.push(claim.text);
    const group: RiskGroup = claim ? claim.group : ctx.who.group;
    const bill = billParts(ctx.bill);
    let totalPayFen = 0;
    let limitFen = ctx.limit ? Math.min(ctx.running.allLeftFen, ctx.limit.leftFen) : ctx.running.allLeftFen;
    for (const g of prepared.groups) {
      // The group's dispensings: what each counts (its supply within the limit, what 医保 left of it), in class order.
      const counted: Array<{ drug: DrugEntry; amount: ExactFen; order: number }> = [];
      let grossFen = 0;
      for (const item of ctx.request.items) {
        const drug = prepared.drugByCode.get(item.code);
        if (drug?.group !== g.id) continue;
        grossFen += item.amount;
        const refused = outOfPlace(drug, ctx.request);
        if (refused !== null) {
          if (ctx.explain) explanation.push(refused);
          continue;
        }
        let amount = ExactFen.fen(item.amount);
        if (g.after) {
          // The layers' payments on each part fall on the items in proportion to their cost of that part.
          const parts = itemParts(item);
          let paid = ExactFen.ZERO;
          for (let p = 0; p < 4; p++) {
            let layerPaidFen = 0;
            for (const l of g.after.value) layerPaidFen += paidOnPart(ctx.running, l, p);
            paid = paid.plus(ExactFen.share(layerPaidFen, parts[p]!, bill[p]!));
          }
          amount = amount.less(paid);
          if (ctx.explain) explanation.push(templates.after({ drug: drugText(drug), amount: formatFen(item.amount), left: formatFen(amount.round()), cite: g.after.cite }));
        }
        if (g.maxSupplyDays && item.supplyDays !== undefined && item.supplyDays > g.maxSupplyDays.value) {
          amount = amount.times(g.maxSupplyDays.value, item.supplyDays);
          if (ctx.explain) explanation.push(templates.supply({ drug: drugText(drug), days: item.supplyDays, max: g.maxSupplyDays.value, cite: g.maxSupplyDays.cite }));
        }
        counted.push({ drug, amount, order: CLASS_ORDER[drug.drugClass ?? 'none'] });
      }
      if (grossFen === 0) continue;
      const capFen = group === 'healthy' ? g.annualCap.value.healthy : g.annualCap.value.preExisting;
      if (capFen === null) {
        if (ctx.explain) explanation.push(templates.notCovered({ group: g.name, riskGroup: RISK_GROUP_NAMES[group], cite: g.annualCap.cite }));
        continue;
      }
      // The deductible is taken from class A first, then B, then C: the document does not say; this favours the patient.
      counted.sort((a, b) => a.order - b.order);
      let deductibleLeft = ExactFen.fen(positive(g.annualDeductible.value - counters.get(g.deductibleKey)));
      let deductibleTaken = ExactFen.ZERO;
      let pay = ExactFen.ZERO;
      for (const { drug, amount } of counted) {
        const taken = amount.min(deductibleLeft);
        deductibleLeft = deductibleLeft.less(taken);
        deductibleTaken = deductibleTaken.plus(taken);
        const ratioPpm = drug.ratio ? ratioFor(group, drug.ratio) : g.ratioByDrugClass?.value[drug.drugClass ?? 'C'] ?? null;
        if (ratioPpm === null) {
          if (ctx.explain) explanation.push(templates.notCovered({ group: drugText(drug), riskGroup: RISK_GROUP_NAMES[group], cite: prepared.drugsCite }));
          continue;
        }
        let drugPay = amount.less(taken).ratio(ratioPpm);
        if (ctx.explain && drug.ratio) explanation.push(templates.drug({ drug: drugText(drug), counted: formatFen(amount.less(taken).round()), ratio: formatPercent(ratioPpm), pay: formatFen(drugPay.round()) }));
        if (drug.annualCap !== undefined) {
          const key = `${g.id}.drug-${drug.code}.paid`;
          const paidBeforeFen = counters.get(key);
          const capLeft = ExactFen.fen(positive(drug.annualCap - paidBeforeFen));
          if (drugPay.compare(capLeft) > 0) {
            drugPay = capLeft;
            if (ctx.explain) explanation.push(templates.drugCap({ drug: drugText(drug), cap: formatFen(drug.annualCap), paidBefore: formatFen(paidBeforeFen), left: formatFen(capLeft.round()) }));
          }
          counters.add(key, drugPay.round());
        }
        pay = pay.plus(drugPay);
      }
      counters.add(g.deductibleKey, deductibleTaken.round());
      const paidBeforeFen = counters.get(g.paidKey);
      const payFen = Math.min(pay.round(), positive(capFen - paidBeforeFen), limitFen);
      counters.add(g.paidKey, payFen);
      limitFen -= payFen;
      totalPayFen += payFen;
      if (ctx.explain) explanation.push(templates.pays({ group: g.name, base: formatFen(grossFen), deductible: g.deductibleText, pay: formatFen(payFen), cap: formatFen(capFen), cite: g.ratioByDrugClass?.cite ?? prepared.drugsCite }));
    }
    if (ctx.explain && ctx.limit && totalPayFen === ctx.limit.leftFen && totalPayFen > 0) explanation.push(ctx.limit.text);
    if (ctx.explain && explanation.length === 0) explanation.push(templates.none({ name: rule.name }));
    return { directFen: totalPayFen, benefits: NO_BENEFITS, explanation };
  },
});
