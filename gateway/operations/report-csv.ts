/**
 * A programme report as one CSV table: section, key, name, settlements, direct, benefits, total. Rows
 * name what they count (hospital, rule, category) beside the id in `key`; the period's basis is a figure.
 */
import { CSV_BOM, csvRows } from '../csv.js';
import { BASIS_NAMES } from './period.js';
import type { Breakdown, ProgrammeReport } from './report.js';

export function reportCsv(report: ProgrammeReport): string {
  const out: Array<Array<string | number | boolean | null>> = [['section', 'key', 'name', 'settlements', 'direct', 'benefits', 'total']];
  const figure = (key: string, value: string | number | boolean | null, name = '') => out.push(['figure', key, name, null, null, null, value]);
  figure('programme', report.programme.id, report.programme.name);
  figure('from', report.period.from);
  figure('to', report.period.to);
  figure('basis', report.basis, BASIS_NAMES[report.basis]);
  figure('settledFrom', report.settledWindow.from);
  figure('settledTo', report.settledWindow.to);
  figure('enrolledPersons', report.enrolled.persons, report.enrolled.source);
  figure('premiumIncome', report.premiumIncome);
  figure('settlements', report.settlements);
  figure('settlementsPaid', report.settlementsPaid);
  figure('reversals', report.reversals);
  figure('personsJudged', report.persons.judged);
  figure('personsPaid', report.persons.paid);
  figure('paidDirect', report.paid.direct);
  figure('paidBenefits', report.paid.benefits);
  figure('paidTotal', report.paid.total);
  figure('lossRatio', report.lossRatio.value);
  figure('lossRatioTarget', report.lossRatio.target);
  figure('meetsTarget', report.lossRatio.meetsTarget);
  for (const [k, v] of Object.entries(report.perPerson)) figure(`perPerson.${k}`, v);
  for (const r of report.byRule) out.push(['rule', r.rule, r.name, null, null, null, r.amount]);
  figure('unattributed', report.unattributed);
  const section = (name: string, list: Breakdown[]) => {
    for (const b of list) out.push([name, b.key, b.name ?? '', b.settlements, b.direct, b.benefits, b.total]);
  };
  section('month', report.byMonth);
  section('hospital', report.byHospital);
  section('category', report.byCategory);
  section('riskGroup', report.byRiskGroup);
  return CSV_BOM + csvRows(out);
}
