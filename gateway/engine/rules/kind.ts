/**
 * What a rule kind is: one module per kind (gateway/engine/rules/<kind>.ts) declares its pack schema, what
 * it pays and to whom, the counters it keeps, its explanation templates and how it computes. The registry
 * (registry.ts) builds the pack schema's union of rules and the engine's dispatch from these.
 */
import type * as z from 'zod';
import type { RuleContext, RuleCounters, RuleResult } from '../context.js';

/** `direct`: reduces the bill at discharge. `benefit`: cash to the patient later, judged after every direct payer. */
export type Payment = 'direct' | 'benefit';

type RuleShape = { kind: z.ZodLiteral<string>; id: z.ZodType<string>; name: z.ZodType<string> };

/** What a rule's wording takes from its pack: the period its counters run over, as a slip names it. */
export interface PackFacts {
  /** 本年 (counters per calendar year) or 本保单年度 (per policy term). */
  readonly periodWord: string;
}

/** A rule's own figures for the general case (fen), as the desk's year-to-date standing shows them beside its counters. */
export interface RuleFigures {
  cap?: number;
  deductible?: number;
  /** Where the figure differs by person, place or group, what the counters cannot tell. */
  note?: string;
  /** Names of the counter groups of a rule keeping counters per group (`<group>.<counter>`), by group id. */
  groupNames?: Readonly<Record<string, string>>;
  /** The figures of one group, by group id (a drug group's own cap and deductible). */
  byGroup?: Readonly<Record<string, Omit<RuleFigures, 'byGroup' | 'groupNames'>>>;
}

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
   * Whether a direct payment of this kind honours the pack's limits over several rules (ctx.limit): only such
   * a rule may be named by a limit (`npm run check-pack` refuses others).
   */
  readonly limitable: boolean;
  /** The rule's cap and deductible for the desk's standing (gateway/desk/standing.ts). */
  figures(rule: z.output<S>): RuleFigures;
  /**
   * What depends only on the rule: explanation lines and figures rendered once, lookups built once. Run
   * when the programmes are loaded (ProgrammeSet), never during a settlement.
   */
  prepare(rule: z.output<S>, pack: PackFacts): Prepared;
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
