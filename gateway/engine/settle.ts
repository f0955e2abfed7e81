/**
 * The engine: (request, programmes in force, the person's rosters and accumulators) → split + deltas.
 * Pure: no clock, no I/O, no randomness. The order of layers is the one the source policies
 * require (001 五(四)): 基本医保 → 大病保险 → 医疗机构减免 → 医疗救助 → 商业补充保险.
 */
import type { Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import { type Layer, type SettlementRequest, UPSTREAM_LAYERS, type UpstreamLayer } from '../../schemas/settlement.js';
import { Unprocessable, invariant } from '../errors.js';
import { type BillTotals, classifyBill } from './bill.js';
import { checkWhen } from './conditions.js';
import { type Accumulators, CounterScope, type RuleContext, type Running } from './context.js';
import { standing } from './eligibility.js';
import { formatFen as y } from './money.js';
import type { ProgrammeSet } from './programme-set.js';
import { applyRule, isBenefitRule } from './rules/index.js';

export interface EngineLine {
  layer: Layer;
  programme: string;
  payer: string;
  fundPayType?: string;
  mode: 'given' | 'computed';
  amountFen: number;
  explanation: string[];
}

export interface EngineBenefit { programme: string; kind: string; amountFen: number; explanation: string[] }

export interface EngineResult {
  bill: BillTotals;
  lines: EngineLine[];
  benefits: EngineBenefit[];
  patientPaysFen: number;
  /** Counter increments this settlement makes; a reversal applies their negation. */
  deltas: Record<string, number>;
  policyVersions: Record<string, string>;
}

export interface EngineInput {
  request: SettlementRequest;
  programmes: ProgrammeSet;
  /** The person's rows of each roster the programmes consult, by roster id. */
  rosters: Readonly<Record<string, readonly RosterRow[]>>;
  accumulators: Accumulators;
}

/** National payer names and fund_pay_type codes of the public layers, for when no pack names them. */
const DEFAULT_PAYERS: Record<Exclude<UpstreamLayer, 'waiver'>, Record<'employee' | 'resident', { name: string; fundPayType: string }>> = {
  basic: { employee: { name: '职工基本医疗保险统筹基金', fundPayType: '310100' }, resident: { name: '城乡居民基本医疗保险基金', fundPayType: '390100' } },
  majorIllness: { employee: { name: '职工大额医疗费用补助基金', fundPayType: '330100' }, resident: { name: '城乡居民大病医疗保险资金', fundPayType: '390200' } },
  aid: { employee: { name: '医疗救助基金', fundPayType: '610100' }, resident: { name: '医疗救助基金', fundPayType: '610100' } },
};

const LAYER_NAMES: Record<Layer, string> = { basic: '基本医疗保险', majorIllness: '大病保险', waiver: '医疗机构减免', aid: '医疗救助', supplementary: '商业补充保险' };

export function validateStay(request: SettlementRequest): void {
  if (request.encounter.dischargedOn < request.encounter.admittedOn) {
    throw new Unprocessable('discharge before admission', [{ path: 'encounter.dischargedOn', message: `discharged ${request.encounter.dischargedOn} before admitted ${request.encounter.admittedOn}` }]);
  }
}

function period(pack: Pack, request: SettlementRequest): string {
  return pack.accumulation === 'term' ? pack.term.from : request.encounter.dischargedOn.slice(0, 4);
}

function payerOf(pack: Pack | undefined, layer: Layer, request: SettlementRequest): { payer: string; fundPayType?: string } {
  if (pack?.payer.hospital || (!pack && layer === 'waiver')) return { payer: request.hospital.id };
  if (pack) return { payer: pack.payer.name, ...(pack.payer.fundPayType ? { fundPayType: pack.payer.fundPayType } : {}) };
  const national = DEFAULT_PAYERS[layer as Exclude<UpstreamLayer, 'waiver'>][request.patient.scheme];
  return { payer: national.name, fundPayType: national.fundPayType };
}

export function settle({ request, programmes, rosters, accumulators }: EngineInput): EngineResult {
  validateStay(request);
  const bill = classifyBill(request.items);
  const running: Running = {
    paidByLayerFen: { basic: 0, majorIllness: 0, waiver: 0, aid: 0, supplementary: 0 },
    compliantLeftFen: bill.compliantFen,
    allLeftFen: bill.totalFen,
  };
  const pay = (layer: Layer, amountFen: number) => {
    invariant(amountFen >= 0 && amountFen <= running.allLeftFen, () => `${layer} pays ${amountFen} with ${running.allLeftFen} left`);
    running.paidByLayerFen[layer] += amountFen;
    running.allLeftFen -= amountFen;
    running.compliantLeftFen = Math.max(0, running.compliantLeftFen - amountFen);
  };
  const deltas: Record<string, number> = {};
  const lines: EngineLine[] = [];
  const benefits: EngineBenefit[] = [];
  const policyVersions: Record<string, string> = {};
  const deferred: Array<() => void> = [];

  const runPack = (pack: Pack, line: EngineLine): void => {
    policyVersions[pack.id] = pack.version;
    const who = standing(pack, request, rosters);
    if (!who.eligible) {
      line.explanation.push(`不予支付：${who.reason}`);
      return;
    }
    line.explanation.push(...who.because.map((b) => `${b}`));
    const counters = CounterScope.forPack(accumulators, deltas, pack.id, period(pack, request));
    const context = (): RuleContext => ({ request, bill, programmes, pack, running: { ...running, paidByLayerFen: { ...running.paidByLayerFen } }, categories: who.categories, group: who.group, counters });
    for (const rule of pack.rules) {
      const verdict = checkWhen(rule.when, pack, request, programmes);
      if (!verdict.ok) {
        line.explanation.push(`${rule.name}：不适用，${verdict.reason}`);
        continue;
      }
      const run = () => {
        const result = applyRule(rule, context());
        line.explanation.push(...verdict.because, ...result.explanation);
        if (result.directFen > 0) {
          pay(line.layer, result.directFen);
          line.amountFen += result.directFen;
        }
        for (const b of result.benefits) benefits.push({ programme: pack.id, kind: b.kind, amountFen: b.amountFen, explanation: b.explanation });
      };
      // Benefits paid to the patient later are judged on what the patient is finally left to pay.
      if (isBenefitRule(rule)) deferred.push(run);
      else run();
    }
  };

  for (const layer of UPSTREAM_LAYERS) {
    const pack = programmes.inForce(layer, request)[0];
    const line: EngineLine = { layer, programme: pack?.id ?? 'none', ...payerOf(pack, layer, request), mode: 'computed', amountFen: 0, explanation: [] };
    const givenFen = request.upstream[layer];
    if (givenFen !== undefined) {
      if (givenFen > running.allLeftFen) {
        throw new Unprocessable(`upstream ${layer} exceeds what is left of the bill`, [{ path: `upstream.${layer}`, message: `${y(givenFen)} is more than the ${y(running.allLeftFen)} left of the bill after the layers before it` }]);
      }
      line.mode = 'given';
      if (!pack) line.programme = 'upstream';
      line.explanation.push(`${LAYER_NAMES[layer]}由上游结算确定（upstream.${layer}），按原值计入：${y(givenFen)}`);
      pay(layer, givenFen);
      line.amountFen = givenFen;
    } else if (!pack) {
      line.explanation.push(`参保地 ${request.patient.insuredRegion} 于 ${request.encounter.dischargedOn} 无${LAYER_NAMES[layer]}政策包，且请求未提供上游金额，本层支付 0.00`);
    } else {
      line.explanation.push(`${pack.name}（${pack.id} ${pack.version}）`);
      runPack(pack, line);
    }
    line.explanation.push(`本层支付 ${y(line.amountFen)}`);
    lines.push(line);
  }

  for (const pack of programmes.inForce('supplementary', request)) {
    const line: EngineLine = { layer: 'supplementary', programme: pack.id, ...payerOf(pack, 'supplementary', request), mode: 'computed', amountFen: 0, explanation: [`${pack.name}（${pack.version}）`] };
    runPack(pack, line);
    lines.push(line);
  }
  for (const run of deferred) run();
  for (const line of lines) if (line.layer === 'supplementary') line.explanation.push(`本项直接结算 ${y(line.amountFen)}`);

  const linesFen = lines.reduce((sum, l) => sum + l.amountFen, 0);
  const patientPaysFen = bill.totalFen - linesFen;
  invariant(patientPaysFen === running.allLeftFen, 'patient share disagrees with the running balance');
  invariant(patientPaysFen >= 0 && linesFen + patientPaysFen === bill.totalFen, 'lines and patient share do not add up to the total');
  invariant(lines.every((l) => Number.isSafeInteger(l.amountFen) && l.amountFen >= 0), 'a line is negative or not whole fen');
  return { bill, lines, benefits, patientPaysFen, deltas, policyVersions };
}
