import type { Rule } from '../../../schemas/pack.js';
import type { RuleContext, RuleResult } from '../context.js';
import { aidByCategory, basicDeductibleRatio, categoryShare, majorIllnessTiers } from './upstream.js';
import { burdenCeiling, coinsurance, dailyAllowance, outOfPocketCap, specificDrugs } from './supplementary.js';

export function applyRule(rule: Rule, ctx: RuleContext): RuleResult {
  switch (rule.kind) {
    case 'basicDeductibleRatio': return basicDeductibleRatio(rule, ctx);
    case 'majorIllnessTiers': return majorIllnessTiers(rule, ctx);
    case 'categoryShare': return categoryShare(rule, ctx);
    case 'aidByCategory': return aidByCategory(rule, ctx);
    case 'coinsurance': return coinsurance(rule, ctx);
    case 'burdenCeiling': return burdenCeiling(rule, ctx);
    case 'outOfPocketCap': return outOfPocketCap(rule, ctx);
    case 'specificDrugs': return specificDrugs(rule, ctx);
    case 'dailyAllowance': return dailyAllowance(rule, ctx);
  }
}

/**
 * The counters a rule may write, as `rule.counter` (the key's tail after `programme|period|`). A person's
 * deductibles and caps live under these names, so they must not change while a term runs:
 * `npm run check-pack` compares them against a committed snapshot. Kept beside the rules they name,
 * and tested against the keys the engine actually writes.
 */
export function counterNames(rule: Rule): string[] {
  const names = ((): string[] => {
    switch (rule.kind) {
      case 'basicDeductibleRatio': return ['fundPaid'];
      case 'majorIllnessTiers': return ['burdenAfterBasic', 'paid'];
      case 'categoryShare': return [];
      case 'aidByCategory': return ['deductibleUsed', 'paid'];
      case 'coinsurance': return rule.deductible?.per === 'year' ? ['deductibleUsed', 'paid'] : ['paid'];
      case 'burdenCeiling': return ['compliant', 'burden', 'paid'];
      case 'outOfPocketCap': return ['personal', 'paid'];
      case 'specificDrugs': return rule.groups.flatMap((g) => [`${g.id}.deductibleUsed`, `${g.id}.paid`]);
      case 'dailyAllowance': return rule.maxDaysPerYear ? ['days'] : [];
    }
  })();
  return names.map((counter) => `${rule.id}.${counter}`);
}

/** Rules whose money goes to the patient later rather than reducing the bill; settled after every direct payer. */
export const isBenefitRule = (rule: Rule): boolean =>
  rule.kind === 'dailyAllowance' || (rule.kind === 'coinsurance' && rule.payment === 'benefit');
