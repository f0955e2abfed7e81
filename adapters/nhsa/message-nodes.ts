/**
 * The 2304-shaped nodes of each nhsa.settlements message (setlinfo, setldetail, ext), as JSON text
 * with the platform's number form, for the relay's event mapping (wired in gateway/stream/wiring.ts).
 */
import type { Split } from '../../schemas/settlement.js';
import type { BasicTermsOf } from './basic-terms.js';
import { fundPayTypesFrom } from './fund-pay-types.js';
import { settlement2304Of, type Request2304 } from './settlement-2304.js';
import { writeNational } from './wire.js';

export function nhsaMessageNodes(fundPayTypesJson: string | undefined, insurerCodeOf: (programme: string) => string | undefined, basicTermsOf?: BasicTermsOf) {
  const options = { fundPayTypes: fundPayTypesFrom(fundPayTypesJson), insurerCodeOf, ...(basicTermsOf ? { basicTermsOf } : {}) };
  return (split: Split, request: Request2304): string => writeNational(settlement2304Of(split, request, options));
}
