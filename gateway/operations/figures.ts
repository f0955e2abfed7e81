/** A programme's figures as the operations use them: enrolled persons, premium income, ratios as text. */
import { Decimal } from 'decimal.js';
import type { Pack } from '../../schemas/pack.js';
import type { Enrolled } from '../../schemas/second-payout.js';
import { formatFen, RATIO_SCALE, roundHalfUpQuotient } from '../engine/money.js';
import type { PersonBook } from '../ledger/port.js';

export type { Enrolled } from '../../schemas/second-payout.js';

/** With a roster, the persons on it (any period; rosters are not versioned in time); else the configured figure. */
export async function enrolledPersons(pack: Pack, ledger: Pick<PersonBook, 'rosterSize'>): Promise<Enrolled> {
  const roster = pack.eligibility.roster;
  if (roster && ledger.rosterSize) return { persons: await ledger.rosterSize(roster.id), source: 'roster', cite: roster.cite };
  const configured = pack.operations?.enrolledPersons;
  if (configured) return { persons: configured.value, source: 'configured', cite: configured.cite };
  return { persons: null, source: 'none' };
}

/** Premium income = enrolled persons × premium per person, in fen; null when either is unknown. */
export function premiumIncomeFen(pack: Pack, enrolled: Enrolled): number | null {
  const premium = pack.operations?.premiumPerPerson;
  if (!premium || enrolled.persons === null) return null;
  return premium.value * enrolled.persons;
}

/**
 * A share of a premium income, fen × ratio rounded once, half-up, to the fen — exact at any size: a city's
 * premium income (10⁵ enrolled × 1 000 yuan = 10¹⁰ fen) times a ratio in ppm passes 2^53, where the
 * engine's applyRatio, sized for one bill, refuses.
 */
export function premiumShareFen(premiumFen: number, ppm: number): number {
  return roundHalfUpQuotient(BigInt(premiumFen) * BigInt(ppm), BigInt(RATIO_SCALE));
}

/** Premium net of the service fee (南通: 除服务费之外的保费总额), rounded half-up to the fen. */
export function netOfServiceFeeFen(pack: Pack, premiumFen: number): number {
  const fee = pack.operations?.serviceFeeShare?.value ?? 0;
  return premiumShareFen(premiumFen, RATIO_SCALE - fee);
}

/** numerator / denominator as a decimal text with 4 places (half-up), null for a zero denominator. */
export function ratioText(numerator: number, denominator: number | null): string | null {
  if (denominator === null || denominator === 0) return null;
  return new Decimal(numerator).div(denominator).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed(4);
}

/** Whether ratio numerator/denominator reaches a ppm target, exactly (integer cross-multiplication in decimal.js). */
export function reaches(numerator: number, denominator: number, targetPpm: number): boolean {
  return new Decimal(numerator).times(RATIO_SCALE).gte(new Decimal(denominator).times(targetPpm));
}

/** fen / count as yuan text (half-up), "0.00" for no count. */
export function meanText(totalFen: number, count: number): string {
  if (count === 0) return '0.00';
  return formatFen(new Decimal(totalFen).div(count).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber());
}

export const ppmText = (ppm: number): string => new Decimal(ppm).div(RATIO_SCALE).toFixed(4);
