/**
 * What a rule kind is: one module per kind (gateway/engine/rules/<kind>.ts) declares its pack schema, what
 * it pays and to whom, the counters it keeps, its explanation templates and how it computes. The registry
 * (registry.ts) builds the pack schema's union of rules and the engine's dispatch from these.
 */
import type { z } from 'zod';
import type { RuleContext, RuleCounters, RuleResult } from '../context.js';

/** `direct`: reduces the bill at discharge. `benefit`: cash to the patient later, judged after every direct payer. */
export type Payment = 'direct' | 'benefit';

type RuleShape = { kind: z.ZodLiteral<string>; id: z.ZodType<string>; name: z.ZodType<string> };

export interface RuleKind<S extends z.ZodObject<RuleShape>, Prepared> {
  readonly schema: S;
  /** For the table of rule kinds (gateway/programmes/README.md): what the rule pays. */
  readonly pays: string;
  /** For the same table: the counters, as a reader should see them. */
  readonly countersText: string;
  /** The counters a rule may write, as the key's tail `counter` (the whole key is `programme|period|rule.counter`). */
  counters(rule: z.output<S>): readonly string[];
  payment(rule: z.output<S>): Payment;
  /**
   * What depends only on the rule: explanation lines and figures rendered once, lookups built once. Run
   * when the programmes are loaded (ProgrammeSet), never during a settlement.
   */
  prepare(rule: z.output<S>): Prepared;
  apply(rule: z.output<S>, prepared: Prepared, ctx: RuleContext, counters: RuleCounters): RuleResult;
  /**
   * For a direct rule that applied: counters recorded once every direct payer of the bill has paid, from
   * what the waterfall finally leaves (`ctx.running`), e.g. the burden a person actually bears after payers
   * ordered after this rule. Pays nothing and explains nothing.
   */
  afterDirect?(rule: z.output<S>, prepared: Prepared, ctx: RuleContext, counters: RuleCounters): void;
}

/** Declares a rule kind, inferring its rule type from its schema. */
export const ruleKind = <S extends z.ZodObject<RuleShape>, Prepared>(kind: RuleKind<S, Prepared>): RuleKind<S, Prepared> => kind;
