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

/** Rules whose money goes to the patient later rather than reducing the bill; settled after every direct payer. */
export const isBenefitRule = (rule: Rule): boolean =>
  rule.kind === 'dailyAllowance' || (rule.kind === 'coinsurance' && rule.payment === 'benefit');
