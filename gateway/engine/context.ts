/** What every rule sees: the stay, the running waterfall, the person's standing in the programme, the accumulators. */
import type { Category } from '../../schemas/categories.js';
import type { Pack, Rule } from '../../schemas/pack.js';
import type { Layer, SettlementRequest } from '../../schemas/settlement.js';
import type { BillTotals } from './bill.js';
import type { CoverPeriod } from './eligibility.js';
import type { ProgrammeSet } from './programme-set.js';

/** Year-to-date counters in fen, keyed `programme|period|rule.counter`. */
export type Accumulators = Readonly<Record<string, number>>;

/** The waterfall so far: what each layer has paid of this bill and what is left. */
export interface Running {
  paidByLayerFen: Record<Layer, number>;
  compliantLeftFen: number;
  allLeftFen: number;
}

export type RiskGroup = 'healthy' | 'preExisting' | 'aidPreExisting';

export interface RuleContext {
  request: SettlementRequest;
  bill: BillTotals;
  programmes: ProgrammeSet;
  pack: Pack;
  running: Readonly<Running>;
  /** Categories as this programme judges them: the roster's where it has one, else the request's. */
  categories: readonly Category[];
  group: RiskGroup;
  /** The person's periods of cover on the programme's roster (union); null: no roster, the term alone. */
  cover: readonly CoverPeriod[] | null;
  counters: CounterScope;
}

export interface BenefitDraft { kind: string; amountFen: number; explanation: string[] }

export interface RuleResult {
  /** Paid at discharge; reduces the bill. */
  directFen: number;
  /** Cash benefits to the patient; do not reduce the bill. */
  benefits: BenefitDraft[];
  explanation: string[];
}

/** Reads counters as they stood before this settlement and records this settlement's deltas. */
/**
 * Counter keys read `programme|period|rule.counter`, e.g. `weihai-2020-medical|2020|ceiling.paid`.
 * They are built once and kept: a settlement looks up a dozen counters, and a flat, already-hashed
 * key string is much cheaper to look up than one concatenated afresh each time.
 */
const KEY_CACHE_LIMIT = 100_000;
const keyCache = new Map<string, Map<string, string>>();

function counterKey(prefix: string, counter: string): string {
  let keys = keyCache.get(prefix);
  if (!keys) {
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keys = new Map();
    keyCache.set(prefix, keys);
  }
  let key = keys.get(counter);
  if (key === undefined) {
    key = prefix + counter;
    keys.set(counter, key);
  }
  return key;
}

/** `programme|period|rule.` per rule, pack and period, built once (a rule object may serve several packs). */
const rulePrefixes = new WeakMap<Pick<Rule, 'id'>, Map<string, Map<string, string>>>();
function rulePrefix(rule: Pick<Rule, 'id'>, packId: string, period: string): string {
  let byPack = rulePrefixes.get(rule);
  if (!byPack) rulePrefixes.set(rule, (byPack = new Map()));
  let byPeriod = byPack.get(packId);
  if (!byPeriod) byPack.set(packId, (byPeriod = new Map()));
  let prefix = byPeriod.get(period);
  if (prefix === undefined) byPeriod.set(period, (prefix = `${packId}|${period}|${rule.id}.`));
  return prefix;
}

export class CounterScope {
  private constructor(
    private readonly before: Accumulators,
    private readonly deltas: Record<string, number>,
    private readonly packId: string,
    private readonly period: string,
  ) {}

  static forPack(before: Accumulators, deltas: Record<string, number>, packId: string, period: string): CounterScope {
    return new CounterScope(before, deltas, packId, period);
  }

  forRule(rule: Pick<Rule, 'id'>): RuleCounters {
    return new RuleCounters(this.before, this.deltas, rulePrefix(rule, this.packId, this.period));
  }
}

export class RuleCounters {
  constructor(
    private readonly before: Accumulators,
    private readonly deltas: Record<string, number>,
    private readonly prefix: string,
  ) {}

  get(counter: string): number {
    return this.before[counterKey(this.prefix, counter)] ?? 0;
  }

  add(counter: string, fen: number): void {
    if (fen === 0) return;
    const key = counterKey(this.prefix, counter);
    this.deltas[key] = (this.deltas[key] ?? 0) + fen;
  }
}
