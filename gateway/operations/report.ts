/**
 * A programme's report over a period, computed in one streaming pass over the period's settlements as the
 * day projections hold them (day-projection.ts: the figures, never the records' explanations and items). Memory holds one entry per person seen
 * (what the programme paid them, for persons-paid and the percentiles), per hospital, per month, per
 * rule and per category — never the records themselves. A year of a city (~10⁶ settlements,
 * ~3×10⁵ persons) keeps a few tens of MB of such entries.
 */
import * as z from 'zod';
import type { Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import { formatFen } from '../engine/money.js';
import type { PersonBook } from '../ledger/port.js';
import { chinaTime } from '../service/ids.js';
import { perPersonStats, type PerPersonStats } from './distribution.js';
import { enrolledPersons, premiumIncomeFen, ppmText, ratioText, reaches, type Enrolled } from './figures.js';
import { settledWindow, YIELD_EVERY, yieldToEventLoop, type Deadline, type Period, type PeriodBasis } from './period.js';
import { PersonRows } from './person-rosters.js';
import { projectedDays } from './day-projection.js';
import { paidRuleOf, type SettlementSource } from './records.js';

export interface Amounts { settlements: number; direct: string; benefits: string; total: string }
export interface Breakdown extends Amounts { key: string; name?: string }

export interface ProgrammeReport {
  programme: { id: string; name: string; version: string; status: string };
  period: Period;
  /** What placed a settlement in the period: its settlement day (default) or its discharge day. */
  basis: PeriodBasis;
  /** The settlements read, by settlement day: the period itself, or by discharge date the period's run-off up to the report's day. */
  settledWindow: Period;
  enrolled: Enrolled;
  premiumPerPerson: { value: string; bound: string; cite: string } | null;
  premiumIncome: string | null;
  records: { read: number; unreadable: number };
  /** Settlements the programme judged (it was in force for the stay), still standing. */
  settlements: number;
  /** Of them, those it paid anything on. */
  settlementsPaid: number;
  /** Settlements of the period since reversed: counted here, left out of every amount. */
  reversals: number;
  persons: { judged: number; paid: number };
  paid: { direct: string; benefits: string; total: string };
  lossRatio: { value: string | null; target: string | null; targetCite: string | null; meetsTarget: boolean | null };
  byRule: Array<{ rule: string; name: string; amount: string }>;
  /** What no rule counter accounts for (should be 0.00: shown so that a gap is seen, not hidden). */
  unattributed: string;
  /** By the basis's month: settled, or discharged. */
  byMonth: Breakdown[];
  /** Named from HOSPITALS_FILE, else by the name a settlement request gave; the id is the key. */
  byHospital: Breakdown[];
  /** A person with several categories counts under each: the rows may add up to more than the total. */
  byCategory: Breakdown[];
  /** For a programme with a roster: healthy, preExisting, aidPreExisting (三明's risk groups) or notOnRoster, from the roster row covering the discharge. */
  byRiskGroup: Breakdown[];
  perPerson: PerPersonStats;
}

const acc = z.object({ settlements: z.number(), directFen: z.number(), benefitsFen: z.number() });
type Acc = z.infer<typeof acc>;
const bump = (map: Map<string, Acc>, key: string, directFen: number, benefitsFen: number) => {
  let a = map.get(key);
  if (!a) map.set(key, (a = { settlements: 0, directFen: 0, benefitsFen: 0 }));
  a.settlements += 1;
  a.directFen += directFen;
  a.benefitsFen += benefitsFen;
};
const rows = (map: Map<string, Acc>, name?: (key: string) => string | undefined): Breakdown[] =>
  [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, a]) => {
    const n = name?.(key);
    return { key, ...(n ? { name: n } : {}), settlements: a.settlements, direct: formatFen(a.directFen), benefits: formatFen(a.benefitsFen), total: formatFen(a.directFen + a.benefitsFen) };
  });

const RISK_GROUP_NAMES: Record<string, string> = { healthy: '健康人群', preExisting: '特定既往症人群', aidPreExisting: '救助对象中的特定既往症人群', notOnRoster: '不在参保名单' };

/** What the risk group reads of a roster row: its period, 特定既往症, and whether it names one of the pack's 救助对象 categories. */
interface RiskRow { from: string; to: string; preExisting: boolean; aid: boolean }
const NOT_ON_ROSTER: readonly RiskRow[] = [];

function riskRows(pack: Pack, rows: readonly RosterRow[]): readonly RiskRow[] {
  if (rows.length === 0) return NOT_ON_ROSTER;
  const aidCategories = pack.aidCategories?.value ?? [];
  return rows.map((row) => ({ from: row.from, to: row.to, preExisting: row.preExisting, aid: aidCategories.some((c) => row.categories.includes(c)) }));
}

/**
 * The risk group as the engine judges it (engine/eligibility.ts standing) from the rows covering the discharge:
 * none, not on the roster; none of them 特定既往症, healthy; else 救助对象 when their categories together name
 * one of the pack's aidCategories — that is, when one of them does.
 */
function riskGroupOf(rows: readonly RiskRow[], dischargedOn: string): string {
  let covered = false, preExisting = false, aid = false;
  for (const row of rows) {
    if (row.from > dischargedOn || dischargedOn > row.to) continue;
    covered = true;
    preExisting ||= row.preExisting;
    aid ||= row.aid;
  }
  if (!covered) return 'notOnRoster';
  if (!preExisting) return 'healthy';
  return aid ? 'aidPreExisting' : 'preExisting';
}

export interface ReportInput {
  pack: Pack;
  source: SettlementSource;
  ledger: Pick<PersonBook, 'rosterSize' | 'rosterRows'>;
  period: Period;
  /** Default `settled`. */
  basis?: PeriodBasis;
  /** The report's day (YYYY-MM-DD, +08:00; default the clock's): by discharge date, settlements up to its end are read. */
  today?: string;
  categoryName?: (key: string) => string | undefined;
  /** The configured name of a hospital (HOSPITALS_FILE). */
  hospitalName?: (id: string) => string | undefined;
  deadline?: Deadline;
}

/**
 * A report pass's sums before the summary: from one process, or from several each reading its own persons
 * (shards.ts) and merged. A hospital's name from the requests is the first one given, by settlement time
 * (`at`: settledAt and settlement id, the listing's order within one hospital), so merging keeps it.
 */
export const reportPart = z.object({
  read: z.number(), unreadable: z.number(), settlements: z.number(), settlementsPaid: z.number(), reversals: z.number(), directFen: z.number(), benefitsFen: z.number(),
  byMonth: z.map(z.string(), acc), byHospital: z.map(z.string(), acc), byCategory: z.map(z.string(), acc), byRiskGroup: z.map(z.string(), acc),
  byRuleFen: z.map(z.string(), z.number()),
  paidByPerson: z.map(z.string(), z.number()),
  requestHospitalNames: z.map(z.string(), z.object({ name: z.string(), at: z.string() })),
});
export type ReportPart = z.infer<typeof reportPart>;

export function mergeReportParts(parts: readonly ReportPart[]): ReportPart {
  const merged: ReportPart = {
    read: 0, unreadable: 0, settlements: 0, settlementsPaid: 0, reversals: 0, directFen: 0, benefitsFen: 0,
    byMonth: new Map(), byHospital: new Map(), byCategory: new Map(), byRiskGroup: new Map(), byRuleFen: new Map(), paidByPerson: new Map(), requestHospitalNames: new Map(),
  };
  for (const p of parts) {
    for (const key of ['read', 'unreadable', 'settlements', 'settlementsPaid', 'reversals', 'directFen', 'benefitsFen'] as const) merged[key] += p[key];
    for (const key of ['byMonth', 'byHospital', 'byCategory', 'byRiskGroup'] as const) {
      for (const [k, a] of p[key]) {
        const into = merged[key].get(k) ?? { settlements: 0, directFen: 0, benefitsFen: 0 };
        merged[key].set(k, { settlements: into.settlements + a.settlements, directFen: into.directFen + a.directFen, benefitsFen: into.benefitsFen + a.benefitsFen });
      }
    }
    for (const [k, v] of p.byRuleFen) merged.byRuleFen.set(k, (merged.byRuleFen.get(k) ?? 0) + v);
    for (const [k, v] of p.paidByPerson) merged.paidByPerson.set(k, v);
    for (const [k, v] of p.requestHospitalNames) {
      const known = merged.requestHospitalNames.get(k);
      if (!known || v.at < known.at) merged.requestHospitalNames.set(k, v);
    }
  }
  return merged;
}

export async function programmeReport(input: ReportInput): Promise<ProgrammeReport> {
  return summariseReport(input, await reportPass(input));
}

/** The report's sums from one pass over the period's settlements (of one shard's persons when the source is a shard's). */
export async function reportPass(input: ReportInput): Promise<ReportPart> {
  const { pack, source, period } = input;
  const basis = input.basis ?? 'settled';
  const window = settledWindow(period, basis, input.today ?? chinaTime(new Date()).slice(0, 10));
  const requestHospitalNames = new Map<string, { name: string; at: string }>();
  const byMonth = new Map<string, Acc>();
  const byHospital = new Map<string, Acc>();
  const byCategory = new Map<string, Acc>();
  const byRuleFen = new Map<string, number>();
  const paidByPerson = new Map<string, number>();
  const allowanceRule = new Map(pack.rules.flatMap((r) => (r.kind === 'dailyAllowance' ? [[r.benefitKind, r.id] as const] : [])));
  const rosterId = pack.eligibility.roster?.id;
  // One roster read per person seen (rows are per period, so the row covering each discharge gives the group then).
  const rosters = new PersonRows(input.ledger, rosterId ? [rosterId] : [], (rows) => riskRows(pack, rosterId ? (rows[rosterId] ?? []) : []));
  const byRiskGroup = new Map<string, Acc>();
  let read = 0, unreadable = 0, settlements = 0, settlementsPaid = 0, reversals = 0, directFen = 0, benefitsFen = 0;
  const ruleOfKey = paidRuleOf(pack.id);
  for await (const day of rosters.readAhead(projectedDays(source, window, { requests: false }))) {
    for (const cells of day.cells) {
      // The entry's texts are compared by index: the programme and its layer looked up once an entry (−1: none of its settlements names them).
      const programme = cells.textIndex(pack.id);
      const supplementary = cells.textIndex('supplementary');
      for (let i = 0; i < cells.count; i++) {
        read += 1;
        if (read % YIELD_EVERY === 0) { await yieldToEventLoop(); input.deadline?.check(); }
        if (!cells.readable(i)) { unreadable += 1; continue; }
        if (programme < 0 || !cells.judgedBy(i, programme)) continue;
        const dischargedOn = cells.dischargedOn(i);
        if (basis === 'discharged' && !(period.from <= dischargedOn && dischargedOn < period.to)) continue;
        if (cells.reversed(i)) { reversals += 1; continue; }
        const personId = cells.personId(i);
        const hospitalId = cells.hospitalId(i);
        const shareDirectFen = cells.linesFen(i, programme, supplementary);
        const shareBenefitsFen = cells.benefitsFen(i, programme);
        settlements += 1;
        if (shareDirectFen + shareBenefitsFen > 0) settlementsPaid += 1;
        directFen += shareDirectFen;
        benefitsFen += shareBenefitsFen;
        paidByPerson.set(personId, (paidByPerson.get(personId) ?? 0) + shareDirectFen + shareBenefitsFen);
        bump(byMonth, basis === 'discharged' ? dischargedOn.slice(0, 7) : cells.settledAt(i).slice(0, 7), shareDirectFen, shareBenefitsFen);
        bump(byHospital, hospitalId, shareDirectFen, shareBenefitsFen);
        const hospitalName = cells.hospitalName(i);
        if (hospitalName && !requestHospitalNames.has(hospitalId)) requestHospitalNames.set(hospitalId, { name: hospitalName, at: `${cells.settledAt(i)}|${cells.settlementId(i)}` });
        const categoriesTo = cells.categoriesTo(i);
        if (cells.categoriesFrom(i) === categoriesTo) bump(byCategory, 'none', shareDirectFen, shareBenefitsFen);
        for (let k = cells.categoriesFrom(i); k < categoriesTo; k++) bump(byCategory, cells.category(k), shareDirectFen, shareBenefitsFen);
        if (rosterId) {
          bump(byRiskGroup, riskGroupOf(rosters.of(personId), dischargedOn), shareDirectFen, shareBenefitsFen);
        }
        for (let k = cells.deltasFrom(i), end = cells.deltasTo(i); k < end; k++) {
          const rule = ruleOfKey(cells.text(cells.deltaKey(k)));
          if (rule !== null) byRuleFen.set(rule, (byRuleFen.get(rule) ?? 0) + cells.deltaFen(k));
        }
        for (let k = cells.benefitsFrom(i), end = cells.benefitsTo(i); k < end; k++) {
          const ruleId = cells.benefitProgramme(k) === programme ? allowanceRule.get(cells.benefitKind(k)) : undefined;
          if (ruleId) byRuleFen.set(ruleId, (byRuleFen.get(ruleId) ?? 0) + cells.benefitFen(k));
        }
      }
    }
  }
  return { read, unreadable, settlements, settlementsPaid, reversals, directFen, benefitsFen, byMonth, byHospital, byCategory, byRiskGroup, byRuleFen, paidByPerson, requestHospitalNames };
}

/** The report from a pass's sums (one process's, or the merged shards'). */
export async function summariseReport(input: Omit<ReportInput, 'source'>, part: ReportPart): Promise<ProgrammeReport> {
  const { pack, period } = input;
  const basis = input.basis ?? 'settled';
  const window = settledWindow(period, basis, input.today ?? chinaTime(new Date()).slice(0, 10));
  const { read, unreadable, settlements, settlementsPaid, reversals, directFen, benefitsFen, byMonth, byHospital, byCategory, byRiskGroup, byRuleFen, paidByPerson, requestHospitalNames } = part;
  const enrolled = await enrolledPersons(pack, input.ledger);
  const premiumFen = premiumIncomeFen(pack, enrolled);
  const totalFen = directFen + benefitsFen;
  const target = pack.operations?.lossRatioTarget;
  const byRule = pack.rules.map((rule) => ({ rule: rule.id, name: rule.name, amount: formatFen(byRuleFen.get(rule.id) ?? 0) }));
  const attributedFen = pack.rules.reduce((sum, rule) => sum + (byRuleFen.get(rule.id) ?? 0), 0);
  const premium = pack.operations?.premiumPerPerson;
  return {
    programme: { id: pack.id, name: pack.name, version: pack.version, status: pack.status },
    period,
    basis,
    settledWindow: window,
    enrolled,
    premiumPerPerson: premium ? { value: formatFen(premium.value), bound: premium.bound, cite: premium.cite } : null,
    premiumIncome: premiumFen === null ? null : formatFen(premiumFen),
    records: { read, unreadable },
    settlements,
    settlementsPaid,
    reversals,
    persons: { judged: paidByPerson.size, paid: [...paidByPerson.values()].filter((v) => v > 0).length },
    paid: { direct: formatFen(directFen), benefits: formatFen(benefitsFen), total: formatFen(totalFen) },
    lossRatio: {
      value: ratioText(totalFen, premiumFen),
      target: target ? ppmText(target.value) : null,
      targetCite: target?.cite ?? null,
      meetsTarget: target && premiumFen ? reaches(totalFen, premiumFen, target.value) : null,
    },
    byRule,
    unattributed: formatFen(Math.max(0, totalFen - attributedFen)),
    byMonth: rows(byMonth),
    byHospital: rows(byHospital, (id) => input.hospitalName?.(id) ?? requestHospitalNames.get(id)?.name),
    byCategory: rows(byCategory, input.categoryName),
    byRiskGroup: rows(byRiskGroup, (key) => RISK_GROUP_NAMES[key]),
    perPerson: perPersonStats(paidByPerson.values()),
  };
}
