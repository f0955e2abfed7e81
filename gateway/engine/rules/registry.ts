/**
 * The rule kinds, one module each, each computing the rule its schema in schemas/rules/ declares (schemas/pack.ts
 * unites those schemas: the contract imports nothing of the engine). From this list come the engine's dispatch (a rule is prepared once, with its kind, when its programmes
 * are loaded), the counter names `npm run check-pack` guards, and the table of rule kinds in
 * gateway/programmes/README.md (test/engine/rule-kinds.test.ts keeps it true).
 *
 * A new rule kind is its schema (schemas/rules/, one line in schemas/pack.ts), its module (payment, counters,
 * templates, apply), one line below and its test.
 */
import type * as z from 'zod';
import type { Rule } from '../../../schemas/pack.js';
import type { RuleContext, RuleCounters, RuleResult } from '../context.js';
import { aidByCategory } from './aidByCategory.js';
import { basicDeductibleRatio } from './basicDeductibleRatio.js';
import { burdenCeiling } from './burdenCeiling.js';
import { categoryShare } from './categoryShare.js';
import { coinsurance } from './coinsurance.js';
import { dailyAllowance } from './dailyAllowance.js';
import { counterName } from '../counter-keys.js';
import type { PackFacts, Payment, RuleFigures, RuleKind } from './kind.js';
import { majorIllnessTiers } from './majorIllnessTiers.js';
import { outOfPocketCap } from './outOfPocketCap.js';
import { specificDrugs } from './specificDrugs.js';

const RULE_KINDS = [
  basicDeductibleRatio, majorIllnessTiers, categoryShare, aidByCategory, coinsurance, burdenCeiling,
  dailyAllowance, outOfPocketCap, specificDrugs,
] as const;

type Kind = (typeof RULE_KINDS)[number];

/** A rule ready to run: its kind's code bound to the rule and to what was prepared from it. */
export interface PreparedRule {
  readonly rule: Rule;
  readonly payment: Payment;
  /** The counters it may write (`counter`, the key's tail). */
  readonly counters: readonly string[];
  /** Whether it honours the pack's limits over several rules (ctx.limit). */
  readonly limitable: boolean;
  run(ctx: RuleContext, counters: RuleCounters): RuleResult;
  /** The kind's afterDirect, bound to the rule; undefined for kinds without one. */
  readonly afterDirect: ((ctx: RuleContext, counters: RuleCounters) => void) | undefined;
}

const kindOf = (rule: Rule): Kind => {
  const kind = RULE_KINDS.find((k) => k.schema.shape.kind.value === rule.kind);
  if (!kind) throw new Error(`no rule kind ${rule.kind}`);
  return kind;
};

/** Binds a kind to a rule of that kind: the registry's one place where a rule meets its kind's types. */
function bind<S extends Kind['schema'], P>(kind: RuleKind<S, P>, rule: z.output<S>, pack: PackFacts): PreparedRule {
  const prepared = kind.prepare(rule, pack);
  return {
    rule: rule as Rule,
    payment: kind.payment(rule),
    counters: kind.counters(rule),
    limitable: kind.limitable,
    run: (ctx, counters) => kind.apply(rule, prepared, ctx, counters),
    afterDirect: kind.afterDirect && ((ctx, counters) => kind.afterDirect?.(rule, prepared, ctx, counters)),
  };
}

export function prepareRule(rule: Rule, pack: PackFacts): PreparedRule {
  return bind(kindOf(rule) as RuleKind<Kind['schema'], unknown>, rule, pack);
}

/** A rule's figures for the desk's standing, from its kind. */
export function ruleFigures(rule: Rule): RuleFigures {
  return (kindOf(rule) as RuleKind<Kind['schema'], unknown>).figures(rule);
}

/** Whether a rule pays directly or as a cash benefit. */
export const rulePayment = (rule: Rule): Payment => (kindOf(rule) as RuleKind<Kind['schema'], unknown>).payment(rule);

/** Whether a rule's kind honours the pack's limits over several rules. */
export const limitableRule = (rule: Rule): boolean => kindOf(rule).limitable;

/**
 * The counters a rule may write, as `rule.counter` (the key's tail after `programme|period|`). A person's
 * deductibles and caps live under these names, so they must not change while a term runs:
 * `npm run check-pack` compares them against a committed snapshot.
 */
export function counterNames(rule: Rule): string[] {
  return (kindOf(rule) as RuleKind<Kind['schema'], unknown>).counters(rule).map((counter) => counterName(rule.id, counter));
}

/** The table of rule kinds for gateway/programmes/README.md, written from the kinds themselves. */
export function ruleKindsTable(): string {
  const rows = RULE_KINDS.map((k) => `| \`${k.schema.shape.kind.value}\` | ${k.pays} | ${k.countersText} |`);
  return ['| kind | pays | counters (`programme\\|period\\|rule.counter`) |', '|---|---|---|', ...rows].join('\n');
}
