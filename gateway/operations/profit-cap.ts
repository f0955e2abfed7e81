/**
 * 三明's profit cap (004 三(八)2): net profit above 3% of premiums goes to a health-management fund.
 * Reading: net result = premium income − benefits paid − operating costs (a configured share of
 * premiums: the document says only "除必要费用外"); the cap is 3% of premium income; what the net
 * result exceeds the cap by is due to the fund. For a period shorter than the year it is the result to date.
 */
import type { Pack } from '../../schemas/pack.js';
import { formatFen } from '../engine/money.js';
import { ppmText, premiumShareFen, ratioText } from './figures.js';
import { signedFen } from './whatif.js';

export interface ProfitCapView {
  premiumIncome: string;
  paid: string;
  operatingCostShare: string;
  operatingCostCite: string | null;
  operatingCosts: string;
  netResult: string;
  netResultShare: string | null;
  capShare: string;
  cap: string;
  dueToFund: string;
  fund: string;
  cite: string;
}

export function profitCap(pack: Pack, premiumFen: number | null, paidFen: number): ProfitCapView | null {
  const cap = pack.operations?.profitCap;
  if (!cap || premiumFen === null) return null;
  const costs = pack.operations?.operatingCostShare;
  const operatingFen = premiumShareFen(premiumFen, costs?.value ?? 0);
  const netFen = premiumFen - paidFen - operatingFen;
  const capFen = premiumShareFen(premiumFen, cap.share);
  return {
    premiumIncome: formatFen(premiumFen),
    paid: formatFen(paidFen),
    operatingCostShare: ppmText(costs?.value ?? 0),
    operatingCostCite: costs?.cite ?? null,
    operatingCosts: formatFen(operatingFen),
    netResult: signedFen(netFen),
    netResultShare: netFen >= 0 ? ratioText(netFen, premiumFen) : `-${ratioText(-netFen, premiumFen) ?? ''}`,
    capShare: ppmText(cap.share),
    cap: formatFen(capFen),
    dueToFund: formatFen(Math.max(0, netFen - capFen)),
    fund: cap.fund,
    cite: cap.cite,
  };
}
