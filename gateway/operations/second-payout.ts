/**
 * 南通 二次赔付 (003 二(四)): when the year's payouts fall short of the premiums net of the service fee,
 * the surplus is paid out again on the self-paid cost of covered stays, by the end of next March, and
 * no person's total from the policies may exceed their total cost.
 *
 * Reading, per person (over the year's standing settlements the programme judged, discharged in the year,
 * settled up to the payout date):
 *   eligible self-paid cost = Σ over covered stays (the programme paid on them) of
 *                             min(out-of-scope + over-limit cost, what the patient paid);
 *   cap                     = min(eligible, Σ (what the patient paid − every cash benefit)) — the part of
 *                             their total cost no payer has carried, so total payouts stay ≤ total cost;
 *   payout                  = the surplus shared by the configured method (pro rata to eligible cost, or
 *                             per capita), within the cap, in whole fen (allocation.ts).
 */
import type { Pack } from '../../schemas/pack.js';
import type { SecondPayoutPayment, SecondPayoutPlan } from '../../schemas/second-payout.js';
import { formatFen, formatPercent } from '../engine/money.js';
import { InvalidInput, Unprocessable } from '../errors.js';
import type { PersonBook } from '../ledger/port.js';
import { allocate } from './allocation.js';
import { enrolledPersons, netOfServiceFeeFen, ppmText, premiumIncomeFen, ratioText, reaches } from './figures.js';
import { addDays, YIELD_EVERY, yieldToEventLoop, type Deadline } from './period.js';
import { projectedDays } from './day-projection.js';
import { programmeShare, type SettlementSource } from './records.js';

export type { SecondPayoutPayment, SecondPayoutPlan } from '../../schemas/second-payout.js';

interface PersonTally { coveredStays: number; eligibleFen: number; roomFen: number }

export function secondPayoutYear(pack: Pack, yearText: unknown): number {
  const year = typeof yearText === 'string' && /^\d{4}$/.test(yearText) ? Number(yearText) : NaN;
  if (!Number.isInteger(year)) throw new InvalidInput('年度无效', [{ path: 'year', message: '应为四位年份，如 2022' }]);
  if (!pack.operations?.secondPayout) throw new Unprocessable(`${pack.name}未配置二次赔付`, [{ path: 'programmeId', message: 'the pack has no operations.secondPayout' }]);
  if (year < Number(pack.term.from.slice(0, 4)) || year > Number(pack.term.to.slice(0, 4))) {
    throw new Unprocessable(`${year} 年不在保险期间内（${pack.term.from} 至 ${pack.term.to}）`, [{ path: 'year', message: 'outside the term' }]);
  }
  return year;
}

export interface PlanInput { pack: Pack; source: SettlementSource; ledger: Pick<PersonBook, 'rosterSize'>; year: number; deadline?: Deadline }

export async function planSecondPayout(input: PlanInput): Promise<SecondPayoutPlan> {
  const { pack, year } = input;
  const config = pack.operations?.secondPayout;
  if (!config) throw new Unprocessable(`${pack.name}未配置二次赔付`);
  const dueBy = `${year + 1}-${config.dueBy}`;
  const persons = new Map<string, PersonTally>();
  let paidFen = 0, settlements = 0, read = 0;
  // Settled from the year's start up to the payout date: December's discharges settle in January.
  const to = addDays(dueBy, 1);
  for await (const day of projectedDays(input.source, { from: `${year}-01-01`, to }, { requests: false })) {
    for (const record of day.settlements) {
      read += 1;
      if (read % YIELD_EVERY === 0) { await yieldToEventLoop(); input.deadline?.check(); }
      if (record.status !== 'settled') continue;
      const r = record.figures;
      if (!r || r.policyVersions[pack.id] === undefined || !r.dischargedOn.startsWith(`${year}-`)) continue;
      settlements += 1;
      const share = programmeShare(r, pack.id);
      paidFen += share.directFen + share.benefitsFen;
      let tally = persons.get(record.personId);
      if (!tally) persons.set(record.personId, (tally = { coveredStays: 0, eligibleFen: 0, roomFen: 0 }));
      const benefitsFen = r.benefits.reduce((s, b) => s + b.amountFen, 0);
      tally.roomFen += Math.max(0, r.patientPaysFen - benefitsFen);
      if (share.directFen + share.benefitsFen > 0) {
        tally.coveredStays += 1;
        tally.eligibleFen += Math.min(r.outOfScopeFen + r.overLimitFen, r.patientPaysFen);
      }
    }
  }
  const enrolled = await enrolledPersons(pack, input.ledger);
  const premiumFen = premiumIncomeFen(pack, enrolled);
  if (premiumFen === null) throw new Unprocessable(`${pack.name}缺少保费或参保人数，无法计算结余`, [{ path: 'operations', message: 'premiumPerPerson and an enrolled count (roster or enrolledPersons) are needed' }]);
  const netFen = netOfServiceFeeFen(pack, premiumFen);
  const surplusFen = Math.max(0, netFen - paidFen);
  const claimants = [...persons].filter(([, t]) => t.eligibleFen > 0).map(([id, t]) => ({
    id, weight: config.method === 'perCapita' ? 1 : t.eligibleFen, capFen: Math.min(t.eligibleFen, t.roomFen),
  }));
  const shares = allocate(surplusFen, claimants);
  const eligibleTotalFen = claimants.reduce((s, c) => s + (persons.get(c.id)?.eligibleFen ?? 0), 0);
  let distributedFen = 0;
  const payments: SecondPayoutPayment[] = [];
  for (const c of claimants.sort((a, b) => a.id.localeCompare(b.id))) {
    const tally = persons.get(c.id);
    const amountFen = shares.get(c.id) ?? 0;
    if (!tally || amountFen === 0) continue;
    distributedFen += amountFen;
    const capped = amountFen === c.capFen;
    payments.push({
      personId: c.id, coveredStays: tally.coveredStays, eligibleSelfPay: formatFen(tally.eligibleFen), cap: formatFen(c.capFen), amount: formatFen(amountFen), capped,
      explanation: explain(pack, year, { netFen, paidFen, surplusFen, eligibleTotalFen, tally, amountFen, capFen: c.capFen, capped, method: config.method, cite: config.cite }),
    });
  }
  const target = pack.operations?.lossRatioTarget;
  return {
    programme: { id: pack.id, name: pack.name, version: pack.version },
    year, method: config.method, dueBy, cite: config.cite, enrolled,
    premiumIncome: formatFen(premiumFen),
    serviceFeeShare: ppmText(pack.operations?.serviceFeeShare?.value ?? 0),
    premiumNetOfFee: formatFen(netFen),
    paid: formatFen(paidFen),
    settlements,
    surplus: formatFen(surplusFen),
    eligiblePersons: claimants.length,
    eligibleSelfPay: formatFen(eligibleTotalFen),
    distributed: formatFen(distributedFen),
    undistributed: formatFen(surplusFen - distributedFen),
    lossRatio: {
      before: ratioText(paidFen, premiumFen),
      after: ratioText(paidFen + distributedFen, premiumFen),
      target: target ? ppmText(target.value) : null,
      meetsTargetAfter: target && premiumFen ? reaches(paidFen + distributedFen, premiumFen, target.value) : null,
    },
    payments,
  };
}

interface Why {
  netFen: number; paidFen: number; surplusFen: number; eligibleTotalFen: number; tally: PersonTally;
  amountFen: number; capFen: number; capped: boolean; method: 'proRata' | 'perCapita'; cite: string;
}

function explain(pack: Pack, year: number, w: Why): string[] {
  const fee = pack.operations?.serviceFeeShare;
  return [
    `${pack.name} ${year} 年度二次赔付（${w.cite}）`,
    `年度保费扣除服务费${fee ? `（${formatPercent(fee.value)}）` : ''}后 ${formatFen(w.netFen)} 元，年度已赔付 ${formatFen(w.paidFen)} 元，结余 ${formatFen(w.surplusFen)} 元`,
    `本人保障范围内住院 ${w.tally.coveredStays} 次，自费（目录外及超限价）费用 ${formatFen(w.tally.eligibleFen)} 元；全部参与分配人员合计 ${formatFen(w.eligibleTotalFen)} 元`,
    w.method === 'proRata'
      ? `按自费费用比例分配结余：本人 ${formatFen(w.amountFen)} 元`
      : `按人均分配结余：本人 ${formatFen(w.amountFen)} 元`,
    w.capped
      ? `以本人自费费用及未获补偿的个人负担 ${formatFen(w.capFen)} 元为限：对个人的赔付总额不大于总支出`
      : `不超过本人自费费用及未获补偿的个人负担 ${formatFen(w.capFen)} 元`,
  ];
}
