/** The report as the routes answer it: the streaming report plus what the programme's figures add (profit cap, coverage, second payouts). */
import type { Pack } from '../../schemas/pack.js';
import { parseFen } from '../engine/money.js';
import type { PersonBook, SettlementListing } from '../ledger/port.js';
import type { DocumentStore } from '../ledger/documents/port.js';
import { coverage, type CoverageView } from './coverage.js';
import { addDays, type Deadline, type Period, type PeriodBasis } from './period.js';
import { profitCap, type ProfitCapView } from './profit-cap.js';
import { reportPass, summariseReport, type ProgrammeReport, type ReportInput, type ReportPart } from './report.js';
import { storedPayout } from './second-payout-commit.js';
import { CATEGORY_NAMES } from '../../schemas/categories.js';

export interface SecondPayoutSummary {
  year: number; committedAt: string; publishedAt: string | null; surplus: string; distributed: string; persons: number;
  lossRatioBefore: string | null; lossRatioAfter: string | null;
}

export interface ProgrammeView extends ProgrammeReport {
  profitCap: ProfitCapView | null;
  coverage: CoverageView | null;
  secondPayouts: SecondPayoutSummary[];
  /** How the programme's second payout places a stay in its year (second-payout.ts: by discharge), null without one: the page sets it beside the report's basis. */
  secondPayoutBasis: 'discharged' | null;
}

export interface ViewDeps {
  ledger: Pick<SettlementListing, 'listSettlements'> & Pick<PersonBook, 'rosterSize' | 'rosterRows'>;
  store: DocumentStore;
  /** The configured name of a hospital (HOSPITALS_FILE). */
  hospitalName?: (id: string) => string | undefined;
  /** Runs the report's pass elsewhere (over shards: `npm run report -- --workers`); default in this process. */
  reportPass?: (input: ReportInput) => Promise<ReportPart>;
}

/** What places a settlement in the period (default by settlement day) and the report's day (default the clock's, +08:00). */
export interface ViewScope { basis?: PeriodBasis; today?: string }

const categoryName = (key: string): string | undefined => (key in CATEGORY_NAMES ? CATEGORY_NAMES[key as keyof typeof CATEGORY_NAMES] : key === 'none' ? '无身份类别' : undefined);

export async function programmeView(deps: ViewDeps, pack: Pack, period: Period, deadline?: Deadline, scope: ViewScope = {}): Promise<ProgrammeView> {
  const input: ReportInput = {
    pack, source: deps.ledger, ledger: deps.ledger, period, categoryName, ...scope,
    ...(deps.hospitalName ? { hospitalName: deps.hospitalName } : {}), ...(deadline ? { deadline } : {}),
  };
  const report = await summariseReport(input, await (deps.reportPass ?? reportPass)(input));
  const premiumFen = report.premiumIncome === null ? null : parseFen(report.premiumIncome);
  const paidFen = parseFen(report.paid.total) ?? 0;
  const secondPayouts: SecondPayoutSummary[] = [];
  if (pack.operations?.secondPayout) {
    // The period's own years, and the year before: its payout is made in this period (by next March).
    for (let year = Number(period.from.slice(0, 4)) - 1; year <= Number(period.to.slice(0, 4)); year++) {
      const payout = await storedPayout(deps.store, pack.id, year);
      if (payout) {
        secondPayouts.push({
          year, committedAt: payout.committedAt, publishedAt: payout.publishedAt ?? null, surplus: payout.surplus, distributed: payout.distributed,
          persons: payout.payments.length, lossRatioBefore: payout.lossRatio.before, lossRatioAfter: payout.lossRatio.after,
        });
      }
    }
  }
  // "As of" the period's last day: the targets are judged at a date, not at an instant.
  const asOf = addDays(period.to, -1);
  return {
    ...report, profitCap: profitCap(pack, premiumFen, paidFen), coverage: coverage(pack, report.enrolled, asOf), secondPayouts,
    secondPayoutBasis: pack.operations?.secondPayout ? 'discharged' : null,
  };
}
