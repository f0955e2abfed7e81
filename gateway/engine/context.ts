/** What every rule sees: the stay, the running waterfall, the person's standing in the programme, the accumulators. */
import type { Pack } from '../../schemas/pack.js';
import { LAYERS, type Layer, type SettlementRequest } from '../../schemas/settlement.js';
import type { BillTotals, PartsFen } from './bill.js';
import type { Eligible } from './eligibility.js';
import { InvariantViolation } from '../errors.js';
import type { CatalogueLookup } from './catalogue-lookup.js';

/** Year-to-date counters in fen, keyed `programme|period|rule.counter`. */
export type Accumulators = Readonly<Record<string, number>>;

/** The waterfall so far: what each layer has paid of this bill and what is left. */
export interface Running {
  paidByLayerFen: Record<Layer, number>;
  /**
   * What each layer paid of each part of the bill: what a base naming parts deducts. Flat, layer by layer in
   * LAYERS order and part by part in BILL_PARTS order (one array per settlement, not five): read it with paidOnPart.
   */
  paidByLayerPartFen: number[];
  /** What is left of each part, in BILL_PARTS order. */
  partLeftFen: PartsFen;
  /** partLeftFen's compliant part, and the sum of all parts: what most rules read. */
  compliantLeftFen: number;
  allLeftFen: number;
}


export interface RuleContext {
  request: SettlementRequest;
  bill: BillTotals;
  programmes: CatalogueLookup;
  pack: Pack;
  running: Readonly<Running>;
  /** The person's standing in this programme: categories as it judges them, risk group, cover, variant, attributes. */
  who: Eligible;
  /**
   * What the pack's limits over several rules (pack.limits) leave for this rule, with the line that says so;
   * null when no limit names it. A rule kind that pays directly honours it (limitable in its kind).
   */
  limit: SharedLimit | null;
  /**
   * Whether the settlement's explanation is written (EngineInput.explain): false in a replay that reads only
   * the figures (what-if, pricing). A rule then builds no line it would format (the engine drops whatever it
   * returns); its amounts and counters are the same either way (test/engine/explain-mode.test.ts).
   */
  explain: boolean;
}

const LAYER_INDEX: Readonly<Record<Layer, number>> = Object.fromEntries(LAYERS.map((layer, i) => [layer, i])) as Record<Layer, number>;

/** Where a layer's payment on a part is kept in Running.paidByLayerPartFen. */
export const layerPartIndex = (layer: Layer, part: number): number => LAYER_INDEX[layer] * 4 + part;

/** What a layer has paid of a part of the bill (part: BILL_PARTS index). */
export const paidOnPart = (running: Readonly<Running>, layer: Layer, part: number): number => running.paidByLayerPartFen[layerPartIndex(layer, part)]!;

/** The tightest of the pack's limits naming a rule, as it stands before the rule pays. */
export interface SharedLimit {
  readonly leftFen: number;
  /** The line that says so; empty when the settlement is not explained. */
  readonly text: string;
}

export interface BenefitDraft { kind: string; amountFen: number; explanation: string[] }

/** A rule's result without cash benefits: one shared empty list, not a new one per rule and settlement. */
export const NO_BENEFITS: readonly BenefitDraft[] = Object.freeze([]);

export interface RuleResult {
  /** Paid at discharge; reduces the bill. */
  directFen: number;
  /** The parts of the bill it is paid on (BILL_PARTS order), where the rule's base names them; else compliant first. */
  fromParts?: readonly boolean[];
  /** Cash benefits to the patient; do not reduce the bill. */
  benefits: readonly BenefitDraft[];
  explanation: string[];
}

/**
 * A rule's counters: reads them as they stand (before this settlement plus what it recorded so far) and
 * records this settlement's deltas. Keys read `programme|period|rule.counter`, e.g. `weihai-2020-medical|2020|ceiling.paid`; every
 * key a rule may touch is built once, when its programmes are loaded (gateway/engine/rules/registry.ts),
 * so a settlement never concatenates one. A counter the rule kind did not declare is a defect: its key
 * would be missing from the snapshot `npm run check-pack` guards.
 */
export class RuleCounters {
  constructor(
    private readonly before: Accumulators,
    private readonly deltas: Record<string, number>,
    private readonly keys: Readonly<Record<string, string>>,
  ) {}

  private key(counter: string): string {
    const key = this.keys[counter];
    if (key === undefined) throw new InvariantViolation(`counter ${counter} is not declared by its rule kind`);
    return key;
  }

  /** As it stands now: before this settlement, plus what this settlement recorded under the key (a counter two rules share). */
  get(counter: string): number {
    const key = this.key(counter);
    return (this.before[key] ?? 0) + (this.deltas[key] ?? 0);
  }

  add(counter: string, fen: number): void {
    if (fen === 0) return;
    const key = this.key(counter);
    this.deltas[key] = (this.deltas[key] ?? 0) + fen;
  }
}
