/**
 * The basic layer's terms as the pack in force states them for a stay — the deductible (起付线) and the fund's ratio
 * (统筹基金支付比例) at the hospital's level, preferential ones for the person's categories — so that 2304's
 * act_pay_dedc and pool_prop_selfpay are figures and not 0. Read from the pack as the desk's standing reads caps:
 * only for a pack with exactly one unconditional basicDeductibleRatio rule (any other shape: not stated). Pure.
 */
import type { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { applyRatio, RATIO_SCALE } from '../../gateway/engine/money.js';

export interface BasicTerms {
  /** 起付线 in fen (a preferential factor's fraction of a fen rounded half-up). */
  deductibleFen: number;
  /** The ratio as national (5,4) text, "0.7"; absent when the pack's ratio has more than four decimals. */
  ratioText: string | undefined;
}

export type BasicTermsOf = (programmeId: string, level: number, categories: readonly string[]) => BasicTerms | undefined;

/** ppm → shortest decimal text with at most four decimals (700000 → "0.7"), or undefined when it needs more. */
function ratioText(ppm: number): string | undefined {
  if (ppm % 100 !== 0) return undefined;
  const whole = Math.floor(ppm / RATIO_SCALE);
  const decimals = String(ppm % RATIO_SCALE).padStart(6, '0').slice(0, 4).replace(/0+$/, '');
  return decimals ? `${whole}.${decimals}` : String(whole);
}

export function basicTermsReader(programmes: Pick<ProgrammeSet, 'get'>): BasicTermsOf {
  return (programmeId, level, categories) => {
    const rules = (programmes.get(programmeId)?.rules ?? []).flatMap((r) => (r.kind === 'basicDeductibleRatio' ? [r] : []));
    const rule = rules.length === 1 ? rules[0] : undefined;
    if (!rule || rule.when !== undefined || (level !== 1 && level !== 2 && level !== 3)) return undefined;
    const deductibleFen = rule.deductiblePerStayByLevel.value[level];
    const ratioPpm = rule.ratioByLevel.value[level];
    const pref = rule.preferential;
    if (pref && pref.categories.value.some((c) => categories.includes(c))) {
      return { deductibleFen: applyRatio(deductibleFen, pref.deductibleFactor.value), ratioText: ratioText(Math.min(RATIO_SCALE, ratioPpm + pref.ratioBonus.value)) };
    }
    return { deductibleFen, ratioText: ratioText(ratioPpm) };
  };
}
