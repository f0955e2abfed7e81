/**
 * The engine: (request, programmes in force, the person's rosters and accumulators) → split + deltas.
 * Pure: no clock, no I/O, no randomness. The order of layers is the one the source policies
 * require (001 五(四)): 基本医保 → 大病保险 → 医疗机构减免 → 医疗救助 → 商业补充保险.
 */
import type { Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import { type Layer, type SettlementRequest, UPSTREAM_LAYERS, type UpstreamLayer } from '../../schemas/settlement.js';
import { InvariantViolation, Unprocessable, invariant } from '../errors.js';
import { type BillTotals, classifyBill } from './bill.js';
import { MAX_STAY_DAYS, stayLengthDays } from './days.js';
import { checkWhen, type Verdict } from './conditions.js';
import { type Accumulators, type RuleContext, RuleCounters, type Running } from './context.js';
import { standing } from './eligibility.js';
import { formatFen as y } from './money.js';
import type { ProgrammeSet } from './programme-set.js';
import type { PreparedRule } from './rules/registry.js';
import { LAYER_NAMES } from '../../schemas/vocabulary.js';

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

export function validateStay(request: SettlementRequest): void {
  const { admittedOn, dischargedOn } = request.encounter;
  if (dischargedOn < admittedOn) {
    throw new Unprocessable('出院日期早于入院日期', [{ path: 'encounter.dischargedOn', message: `出院 ${dischargedOn} 早于入院 ${admittedOn}` }]);
  }
  const lengthDays = stayLengthDays(admittedOn, dischargedOn);
  if (lengthDays > MAX_STAY_DAYS) {
    throw new Unprocessable('住院天数超过上限', [{ path: 'encounter.admittedOn', message: `住院天数 ${lengthDays} 天（${admittedOn} 至 ${dischargedOn}）超过上限 ${MAX_STAY_DAYS} 天（三年），请核对入院日期` }]);
  }
}

function period(pack: Pack, request: SettlementRequest): string {
  return pack.accumulation === 'term' ? pack.term.from : request.encounter.dischargedOn.slice(0, 4);
}

/**
 * A layer's line before it pays, with its payer: the pack's, the hospital for a waiver, else the
 * national fund of the person's scheme. Always built in one shape (`fundPayType` may be undefined;
 * toSplit leaves it out then): six lines per settlement, on the hot path.
 */
function newLine(pack: Pack | undefined, layer: Layer, request: SettlementRequest, explanation: string[]): EngineLine {
  let payer: string;
  let fundPayType: string | undefined;
  if (pack?.payer.hospital || (!pack && layer === 'waiver')) {
    payer = request.hospital.id;
  } else if (pack) {
    payer = pack.payer.name;
    fundPayType = pack.payer.fundPayType;
  } else {
    const national = DEFAULT_PAYERS[layer as Exclude<UpstreamLayer, 'waiver'>][request.patient.scheme];
    payer = national.name;
    fundPayType = national.fundPayType;
  }
  return { layer, programme: pack?.id ?? 'none', payer, fundPayType, mode: 'computed', amountFen: 0, explanation };
}

/** A rule judged after every direct payer (cash benefits), with what it needs to run then. */
interface DeferredRule { rule: PreparedRule; counterKeys: Readonly<Record<string, string>>; verdict: Verdict & { ok: true }; context: RuleContext; line: EngineLine }

/** A direct rule that records counters once every direct payer has paid (its kind's afterDirect). */
interface ClosingRule { afterDirect: NonNullable<PreparedRule['afterDirect']>; counterKeys: Readonly<Record<string, string>>; context: RuleContext }

/** One settlement's run down the layers. Methods rather than closures: this is the hot path. */
class Waterfall {
  readonly bill: BillTotals;
  readonly running: Running;
  readonly deltas: Record<string, number> = {};
  readonly lines: EngineLine[] = [];
  readonly benefits: EngineBenefit[] = [];
  readonly policyVersions: Record<string, string> = {};
  private readonly deferred: DeferredRule[] = [];
  private readonly closing: ClosingRule[] = [];

  constructor(private readonly input: EngineInput) {
    this.bill = classifyBill(input.request.items);
    this.running = {
      paidByLayerFen: { basic: 0, majorIllness: 0, waiver: 0, aid: 0, supplementary: 0 },
      compliantLeftFen: this.bill.compliantFen,
      allLeftFen: this.bill.totalFen,
    };
  }

  pay(line: EngineLine, amountFen: number): void {
    const r = this.running;
    if (!(amountFen >= 0 && amountFen <= r.allLeftFen)) throw new InvariantViolation(`${line.layer} ${line.programme} pays ${amountFen} with ${r.allLeftFen} left`);
    r.paidByLayerFen[line.layer] += amountFen;
    r.allLeftFen -= amountFen;
    r.compliantLeftFen = r.compliantLeftFen > amountFen ? r.compliantLeftFen - amountFen : 0;
    line.amountFen += amountFen;
  }

  upstream(layer: UpstreamLayer): void {
    const { request, programmes } = this.input;
    const pack = programmes.firstInForce(layer, request);
    const line = newLine(pack, layer, request, []);
    const givenFen = request.upstream[layer];
    if (givenFen !== undefined) {
      if (givenFen > this.running.allLeftFen) {
        throw new Unprocessable(`上游给定的 ${layer} 金额超过账单剩余部分`, [{ path: `upstream.${layer}`, message: `${y(givenFen)} 超过前序各层支付后账单剩余的 ${y(this.running.allLeftFen)}` }]);
      }
      line.mode = 'given';
      if (!pack) line.programme = 'upstream';
      line.explanation.push(`${LAYER_NAMES[layer]}由上游结算确定（upstream.${layer}），按原值计入：${y(givenFen)}`);
      this.pay(line, givenFen);
    } else if (!pack) {
      line.explanation.push(`参保地 ${request.patient.insuredRegion} 于 ${request.encounter.dischargedOn} 无${LAYER_NAMES[layer]}政策包，且请求未提供上游金额，本层支付 0.00`);
    } else {
      line.explanation.push(programmes.heading(pack));
      this.runPack(pack, line);
    }
    line.explanation.push(`本层支付 ${y(line.amountFen)}`);
    this.lines.push(line);
  }

  supplementary(pack: Pack): void {
    const line = newLine(pack, 'supplementary', this.input.request, [this.input.programmes.heading(pack)]);
    this.runPack(pack, line);
    this.lines.push(line);
  }

  private runPack(pack: Pack, line: EngineLine): void {
    const { request, programmes, rosters } = this.input;
    this.policyVersions[pack.id] = pack.version;
    const who = standing(pack, request, rosters);
    if (!who.eligible) {
      line.explanation.push(`不予支付：${who.reason}`);
      return;
    }
    for (const text of who.because) line.explanation.push(text);
    // `running` is the live waterfall: each rule sees what the rules before it left.
    const context: RuleContext = {
      request, bill: this.bill, programmes, pack, running: this.running, categories: who.categories, group: who.group, cover: who.cover,
    };
    const prepared = programmes.prepared(pack);
    const keys = prepared.counterKeys(period(pack, request));
    for (let i = 0; i < prepared.rules.length; i++) {
      const rule = prepared.rules[i]!;
      const verdict = checkWhen(rule.rule.when, pack, request, programmes);
      if (!verdict.ok) line.explanation.push(`${rule.rule.name}：不适用，${verdict.reason}`);
      // Benefits paid to the patient later are judged on what the patient is finally left to pay.
      else if (rule.payment === 'benefit') this.deferred.push({ rule, counterKeys: keys[i]!, verdict, context, line });
      else this.apply(rule, keys[i]!, verdict, context, line);
    }
  }

  private apply(rule: PreparedRule, counterKeys: Readonly<Record<string, string>>, verdict: Verdict & { ok: true }, context: RuleContext, line: EngineLine): void {
    const result = rule.run(context, new RuleCounters(this.input.accumulators, this.deltas, counterKeys));
    for (const text of verdict.because) line.explanation.push(text);
    for (const text of result.explanation) line.explanation.push(text);
    if (result.directFen > 0) this.pay(line, result.directFen);
    for (const b of result.benefits) this.benefits.push({ programme: context.pack.id, kind: b.kind, amountFen: b.amountFen, explanation: b.explanation });
    if (rule.afterDirect) this.closing.push({ afterDirect: rule.afterDirect, counterKeys, context });
  }

  finish(): EngineResult {
    // Every direct payer has paid (benefits never reduce the bill): what is left is what the person bears.
    for (const c of this.closing) c.afterDirect(c.context, new RuleCounters(this.input.accumulators, this.deltas, c.counterKeys));
    for (const d of this.deferred) this.apply(d.rule, d.counterKeys, d.verdict, d.context, d.line);
    let linesFen = 0;
    for (const line of this.lines) {
      linesFen += line.amountFen;
      if (line.layer === 'supplementary') line.explanation.push(`本项直接结算 ${y(line.amountFen)}`);
    }
    const patientPaysFen = this.bill.totalFen - linesFen;
    invariant(patientPaysFen === this.running.allLeftFen, 'patient share disagrees with the running balance');
    invariant(patientPaysFen >= 0 && linesFen + patientPaysFen === this.bill.totalFen, 'lines and patient share do not add up to the total');
    invariant(this.lines.every((l) => Number.isSafeInteger(l.amountFen) && l.amountFen >= 0), 'a line is negative or not whole fen');
    return { bill: this.bill, lines: this.lines, benefits: this.benefits, patientPaysFen, deltas: this.deltas, policyVersions: this.policyVersions };
  }
}

export function settle(input: EngineInput): EngineResult {
  validateStay(input.request);
  const waterfall = new Waterfall(input);
  for (const layer of UPSTREAM_LAYERS) waterfall.upstream(layer);
  for (const pack of input.programmes.inForce('supplementary', input.request, input.rosters)) waterfall.supplementary(pack);
  return waterfall.finish();
}
