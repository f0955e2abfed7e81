/**
 * The engine: (request, programmes in force, the person's rosters and accumulators) → split + deltas.
 * Pure: no clock, no I/O, no randomness. The order of layers is the one the source policies
 * require (001 五(四)): 基本医保 → 大病保险 → 医疗机构减免 → 医疗救助 → 商业补充保险.
 */
import type { Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import { type Layer, type SettlementRequest, UPSTREAM_LAYERS, type UpstreamLayer } from '../../schemas/settlement.js';
import { InvariantViolation, Unprocessable, invariant } from '../errors.js';
import { type BillTotals, billParts, classifyBill } from './bill.js';
import { MAX_STAY_DAYS, stayLengthDays } from './days.js';
import { checkCondition, checkWhen, type Verdict } from './conditions.js';
import { periodOf, periodWord } from './counter-keys.js';
import { type Accumulators, layerPartIndex, type RuleContext, RuleCounters, type Running, type SharedLimit } from './context.js';
import { standing } from './eligibility.js';
import { formatFen, positive } from './money.js';
import type { PackLimit, ProgrammeSet } from './programme-set.js';
import type { PreparedRule } from './rules/registry.js';
import { LAYER_NAMES } from '../../schemas/vocabulary.js';
import { NO_PROGRAMME, UPSTREAM_PROGRAMME } from '../../schemas/programme-ids.js';

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
  /**
   * Write the explanation (default true: the desk, every adapter, every stored answer). A replay reading only
   * the figures (what-if, pricing) passes false: the lines and benefits then carry no explanation, and every
   * amount, delta and policy version is the same (test/engine/explain-mode.test.ts).
   */
  explain?: boolean;
}

/** National payer names and fund_pay_type codes of the public layers, for when no pack names them. */
const DEFAULT_PAYERS: Record<Exclude<UpstreamLayer, 'waiver'>, Record<'employee' | 'resident', { name: string; fundPayType: string }>> = {
  basic: { employee: { name: '职工基本医疗保险统筹基金', fundPayType: '310100' }, resident: { name: '城乡居民基本医疗保险基金', fundPayType: '390100' } },
  majorIllness: { employee: { name: '职工大额医疗费用补助基金', fundPayType: '330100' }, resident: { name: '城乡居民大病医疗保险资金', fundPayType: '390200' } },
  aid: { employee: { name: '医疗救助基金', fundPayType: '610100' }, resident: { name: '医疗救助基金', fundPayType: '610100' } },
};

function validateStay(request: SettlementRequest): void {
  const { admittedOn, dischargedOn } = request.encounter;
  if (dischargedOn < admittedOn) {
    throw new Unprocessable('出院日期早于入院日期', [{ path: 'encounter.dischargedOn', message: `出院 ${dischargedOn} 早于入院 ${admittedOn}` }]);
  }
  const lengthDays = stayLengthDays(admittedOn, dischargedOn);
  if (lengthDays > MAX_STAY_DAYS) {
    throw new Unprocessable('住院天数超过上限', [{ path: 'encounter.admittedOn', message: `住院天数 ${lengthDays} 天（${admittedOn} 至 ${dischargedOn}）超过上限 ${MAX_STAY_DAYS} 天（三年），请核对入院日期` }]);
  }
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
  return { layer, programme: pack?.id ?? NO_PROGRAMME, payer, fundPayType, mode: 'computed', amountFen: 0, explanation };
}

/** A rule about to run, with what it needs: now, or after every direct payer (cash benefits). */
interface RuleRun {
  rule: PreparedRule;
  counterKeys: Readonly<Record<string, string>>;
  /** The pack's limits that count this rule's payments, and every limit's counter key this period. */
  limits: readonly PackLimit[];
  limitKeys: Readonly<Record<string, string>>;
  verdict: Verdict & { ok: true };
  context: RuleContext;
  line: EngineLine;
}

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
  private readonly deferred: RuleRun[] = [];
  private readonly closing: ClosingRule[] = [];
  private readonly explain: boolean;

  /** A new waterfall for the input's bill; or, given `from`, its copy so far (a shared head, forked per set). */
  constructor(private readonly input: EngineInput, from?: Waterfall) {
    this.explain = input.explain !== false;
    if (from) {
      invariant(from.deferred.length === 0 && from.closing.length === 0, 'a shared head settles nothing after the later layers');
      this.bill = from.bill;
      const r = from.running;
      this.running = { paidByLayerFen: { ...r.paidByLayerFen }, paidByLayerPartFen: r.paidByLayerPartFen.slice(), partLeftFen: [...r.partLeftFen], compliantLeftFen: r.compliantLeftFen, allLeftFen: r.allLeftFen };
      Object.assign(this.deltas, from.deltas);
      Object.assign(this.policyVersions, from.policyVersions);
      // finish() adds to a supplementary line's explanation: each fork its own lines.
      for (const line of from.lines) this.lines.push({ ...line, explanation: [...line.explanation] });
      for (const benefit of from.benefits) this.benefits.push(benefit);
      return;
    }
    this.bill = classifyBill(input.request.items);
    this.running = {
      paidByLayerFen: { basic: 0, majorIllness: 0, waiver: 0, aid: 0, supplementary: 0 },
      // A literal: one packed array of small integers (LAYERS × BILL_PARTS), read by index on every payment.
      paidByLayerPartFen: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      partLeftFen: billParts(this.bill),
      compliantLeftFen: this.bill.compliantFen,
      allLeftFen: this.bill.totalFen,
    };
  }

  /**
   * A payment, taken from the parts of the bill the payer pays on (`fromParts`, a rule's base) in BILL_PARTS
   * order, then from any other part in that order: by default the compliant cost first, as every public
   * layer pays.
   */
  pay(line: EngineLine, amountFen: number, fromParts?: readonly boolean[]): void {
    const r = this.running;
    if (!(amountFen >= 0 && amountFen <= r.allLeftFen)) throw new InvariantViolation(`${line.layer} ${line.programme} pays ${amountFen} with ${r.allLeftFen} left`);
    let restFen = amountFen;
    const at = layerPartIndex(line.layer, 0);
    for (let pass = fromParts ? 0 : 1; pass < 2 && restFen > 0; pass++) {
      for (let part = 0; part < 4 && restFen > 0; part++) {
        if (pass === 0 && !fromParts?.[part]) continue;
        const takenFen = Math.min(restFen, r.partLeftFen[part]!);
        r.partLeftFen[part]! -= takenFen;
        r.paidByLayerPartFen[at + part]! += takenFen;
        restFen -= takenFen;
      }
    }
    r.paidByLayerFen[line.layer] += amountFen;
    r.allLeftFen -= amountFen;
    r.compliantLeftFen = r.partLeftFen[0];
    line.amountFen += amountFen;
  }

  upstream(layer: UpstreamLayer): void {
    const { request, programmes } = this.input;
    const pack = programmes.firstInForce(layer, request);
    const line = newLine(pack, layer, request, []);
    const givenFen = request.upstream[layer];
    if (givenFen !== undefined) {
      if (givenFen > this.running.allLeftFen) {
        throw new Unprocessable(`上游给定的 ${layer} 金额超过账单剩余部分`, [{ path: `upstream.${layer}`, message: `${formatFen(givenFen)} 超过前序各层支付后账单剩余的 ${formatFen(this.running.allLeftFen)}` }]);
      }
      line.mode = 'given';
      if (!pack) line.programme = UPSTREAM_PROGRAMME;
      if (this.explain) line.explanation.push(`${LAYER_NAMES[layer]}由上游结算确定（upstream.${layer}），按原值计入：${formatFen(givenFen)}`);
      this.pay(line, givenFen);
    } else if (!pack) {
      if (this.explain) line.explanation.push(`参保地 ${request.patient.insuredRegion} 于 ${request.encounter.dischargedOn} 无${LAYER_NAMES[layer]}政策包，且请求未提供上游金额，本层支付 0.00`);
    } else {
      if (this.explain) line.explanation.push(programmes.heading(pack));
      this.runPack(pack, line);
    }
    if (this.explain) line.explanation.push(`本层支付 ${formatFen(line.amountFen)}`);
    this.lines.push(line);
  }

  supplementary(pack: Pack): void {
    const line = newLine(pack, 'supplementary', this.input.request, this.explain ? [this.input.programmes.heading(pack)] : []);
    this.runPack(pack, line);
    this.lines.push(line);
  }

  /** Whether a rule of the packs settled so far waits for the later layers (a cash benefit, a count after every payer). */
  get waitsForLaterLayers(): boolean {
    return this.deferred.length > 0 || this.closing.length > 0;
  }

  private runPack(pack: Pack, line: EngineLine): void {
    const { request, programmes, rosters } = this.input;
    this.policyVersions[pack.id] = pack.version;
    const who = standing(pack, request, rosters, this.explain);
    if (!who.eligible) {
      if (this.explain) line.explanation.push(`不予支付：${who.reason}`);
      return;
    }
    if (this.explain) for (const text of who.because) line.explanation.push(text);
    // `running` is the live waterfall: each rule sees what the rules before it left.
    const context: RuleContext = { request, bill: this.bill, programmes, pack, running: this.running, who, limit: null, explain: this.explain };
    const prepared = programmes.prepared(pack);
    const keys = prepared.counterKeys(periodOf(pack, request));
    for (let i = 0; i < prepared.rules.length; i++) {
      const rule = prepared.rules[i]!;
      const verdict = checkWhen(rule.rule.when, pack, request, programmes, who, this.explain);
      if (!verdict.ok) {
        if (this.explain) line.explanation.push(`${rule.rule.name}：不适用，${verdict.reason}`);
        continue;
      }
      const run: RuleRun = { rule, counterKeys: keys.rules[i]!, limits: prepared.limitsByRule[i]!, limitKeys: keys.limits, verdict, context, line };
      // Benefits paid to the patient later are judged on what the patient is finally left to pay.
      if (rule.payment === 'benefit') this.deferred.push(run);
      else this.apply(run);
    }
  }

  /** A counter as it stands now: before this settlement, plus what this settlement has recorded so far. */
  private counterNow(key: string): number {
    return (this.input.accumulators[key] ?? 0) + (this.deltas[key] ?? 0);
  }

  /** The tightest of the pack's limits naming the rule, with its words; null when none names it. */
  private limitFor(run: RuleRun): SharedLimit | null {
    let tightest: SharedLimit | null = null;
    const { pack, request, programmes, who } = run.context;
    for (const limit of run.limits) {
      let amount = limit.amount;
      for (const o of limit.overrides ?? []) if (checkCondition(o.if, pack, request, programmes, who, false).ok) amount = o.amount;
      const paidFen = this.counterNow(run.limitKeys[limit.id]!);
      const leftFen = positive(amount.value - paidFen);
      if (tightest === null || leftFen < tightest.leftFen) {
        tightest = { leftFen, text: this.explain ? `${limit.name} ${formatFen(amount.value)} 元，${periodWord(pack)}已赔 ${formatFen(paidFen)}，按余额 ${formatFen(leftFen)} 赔付（${amount.cite}）` : '' };
      }
    }
    return tightest;
  }

  private apply(run: RuleRun): void {
    const { rule, context, line } = run;
    const ctx = run.limits.length > 0 ? { ...context, limit: this.limitFor(run) } : context;
    const result = rule.run(ctx, new RuleCounters(this.input.accumulators, this.deltas, run.counterKeys));
    if (this.explain) {
      for (const text of run.verdict.because) line.explanation.push(text);
      for (const text of result.explanation) line.explanation.push(text);
    }
    if (result.directFen > 0) this.pay(line, result.directFen, result.fromParts);
    let paidFen = result.directFen;
    for (const b of result.benefits) {
      this.benefits.push({ programme: context.pack.id, kind: b.kind, amountFen: b.amountFen, explanation: this.explain ? b.explanation : [] });
      paidFen += b.amountFen;
    }
    if (paidFen > 0) for (const limit of run.limits) this.record(run.limitKeys[limit.id]!, paidFen);
    if (rule.afterDirect) this.closing.push({ afterDirect: rule.afterDirect, counterKeys: run.counterKeys, context });
  }

  private record(key: string, fen: number): void {
    this.deltas[key] = (this.deltas[key] ?? 0) + fen;
  }

  finish(): EngineResult {
    // Every direct payer has paid (benefits never reduce the bill): what is left is what the person bears.
    for (const c of this.closing) c.afterDirect(c.context, new RuleCounters(this.input.accumulators, this.deltas, c.counterKeys));
    for (const run of this.deferred) this.apply(run);
    let linesFen = 0;
    for (const line of this.lines) {
      linesFen += line.amountFen;
      if (this.explain && line.layer === 'supplementary') line.explanation.push(`本项直接结算 ${formatFen(line.amountFen)}`);
    }
    const patientPaysFen = this.bill.totalFen - linesFen;
    invariant(patientPaysFen === this.running.allLeftFen, 'patient share disagrees with the running balance');
    invariant(patientPaysFen >= 0 && linesFen + patientPaysFen === this.bill.totalFen, 'lines and patient share do not add up to the total');
    invariant(this.lines.every((l) => Number.isSafeInteger(l.amountFen) && l.amountFen >= 0), 'a line is negative or not whole fen');
    return { bill: this.bill, lines: this.lines, benefits: this.benefits, patientPaysFen, deltas: this.deltas, policyVersions: this.policyVersions };
  }
}

/** The public layers, paid in their order: where every settlement starts. */
function upstreamSettled(input: EngineInput): Waterfall {
  validateStay(input.request);
  const waterfall = new Waterfall(input);
  for (const layer of UPSTREAM_LAYERS) waterfall.upstream(layer);
  return waterfall;
}

export function settle(input: EngineInput): EngineResult {
  const waterfall = upstreamSettled(input);
  for (const pack of input.programmes.inForce('supplementary', input.request, input.rosters)) waterfall.supplementary(pack);
  return waterfall.finish();
}

/**
 * One settlement's layers before a programme — the public layers and the supplementary packs ranked before
 * it — settled once for several programme sets that agree on them (sharesHead): the figures of a pricing
 * pass, a what-if's baseline and candidate. Each set continues it with settleRest.
 */
export class SettledHead {
  /**
   * The supplementary packs the head settled, in order: every set must rank the same ones before the programme
   * (asserted per stay; the public layers' packs are the same objects in every set, asserted once by sharesHead).
   */
  private readonly packs: readonly Pack[];
  private readonly waterfall: Waterfall;

  constructor(private readonly input: EngineInput, private readonly programmeId: string) {
    const { request, programmes, rosters } = input;
    this.waterfall = upstreamSettled(input);
    const rank = programmes.rankOf(programmeId);
    this.packs = programmes.inForce('supplementary', request, rosters).filter((pack) => programmes.rankOf(pack.id) < rank);
    for (const pack of this.packs) this.waterfall.supplementary(pack);
  }

  /**
   * Whether a rule of the head waits for the later layers (a cash benefit, a count once every payer has paid):
   * it then settles differently by set, and so may its counters. Such a head is not continued: each set settles
   * the stay whole, and the person's later stays too (their counters may differ by set from then on).
   */
  get waitsForLaterLayers(): boolean {
    return this.waterfall.waitsForLaterLayers;
  }

  /**
   * The settlement under one set, from the head: the programme and the packs ranked after it. `accumulators` are
   * the person's under this set; the head read its own packs' counters from the input's, which equal these for
   * those packs as long as no head of the person waited for the later layers (sharesHead, waitsForLaterLayers).
   */
  settleRest(programmes: ProgrammeSet, accumulators: Accumulators): EngineResult {
    const { request, rosters } = this.input;
    const rank = programmes.rankOf(this.programmeId);
    const inForce = programmes.inForce('supplementary', request, rosters);
    let i = 0;
    for (; i < inForce.length && programmes.rankOf(inForce[i]!.id) < rank; i++) invariant(inForce[i] === this.packs[i], 'a set ranks other packs before the programme than the head settled');
    invariant(i === this.packs.length, 'a set ranks fewer packs before the programme than the head settled');
    const waterfall = new Waterfall({ ...this.input, programmes, accumulators }, this.waterfall);
    for (; i < inForce.length; i++) waterfall.supplementary(inForce[i]!);
    return waterfall.finish();
  }
}

/**
 * Whether every set settles the same head before the programme, so that SettledHead may settle it once: the
 * programme is a supplementary pack of every set at the same rank, and every other pack and the catalogues are
 * the same objects in every set. Each head's packs are asserted again (settleRest); a head whose rules wait for
 * the later layers is not continued (waitsForLaterLayers).
 */
export function sharesHead(sets: readonly ProgrammeSet[], programmeId: string): boolean {
  const first = sets[0];
  if (!first) return false;
  const rank = first.rankOf(programmeId);
  const others = first.packs.filter((p) => p.id !== programmeId);
  return sets.every((set) => set.get(programmeId)?.layer === 'supplementary' && set.rankOf(programmeId) === rank && set.catalogues === first.catalogues
    && set.packs.length === first.packs.length && set.packs.filter((p) => p.id !== programmeId).every((p, i) => p === others[i]));
}
