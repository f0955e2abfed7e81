/** The programme report over a synthetic year: every figure against an independent computation from the answers as returned. */
import { Decimal } from 'decimal.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFen, formatFen } from '../../gateway/engine/money.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { programmeReport, type ProgrammeReport } from '../../gateway/operations/report.js';
import { reportCsv } from '../../gateway/operations/report-csv.js';
import type { Split } from '../../schemas/settlement.js';
import { PROGRAMME_ID, syntheticYear, YEAR, type SyntheticYear } from './synthetic-year.js';

const programmes = loadProgrammes();
const fen = (text: string) => { const v = parseFen(text); if (v === null) throw new Error(text); return v; };
const shareOf = (split: Split, id: string) => ({
  direct: split.lines.filter((l) => l.programme === id && l.layer === 'supplementary').reduce((s, l) => s + fen(l.amount), 0),
  benefits: split.benefits.filter((b) => b.programme === id).reduce((s, b) => s + fen(b.amount), 0),
});

/** Nearest rank, written out again the textbook way for the check. */
const percentile = (values: number[], p: number) => { const s = [...values].sort((a, b) => a - b); return s[Math.ceil((p / 100) * s.length) - 1] ?? 0; };

describe.each(['nantong', 'sanming'] as const)('programme report over a synthetic year (%s)', (kind) => {
  const id = PROGRAMME_ID[kind];
  const pack = programmes.get(id);
  let year: SyntheticYear;
  let report: ProgrammeReport;
  beforeAll(async () => {
    year = await syntheticYear({ seed: kind === 'nantong' ? 2022 : 2024, programme: kind, settlements: 2500, reversalShare: 0.03 });
    if (!pack) throw new Error(id);
    report = await programmeReport({ pack, source: year.ledger, ledger: year.ledger, period: { from: `${YEAR[kind]}-01-01`, to: `${YEAR[kind] + 1}-01-01` } });
  }, 60_000);

  it('counts settlements, reversals and persons as the answers say', () => {
    const judged = year.settled.filter((s) => s.split.policyVersions[id] !== undefined);
    const standing = judged.filter((s) => !s.reversed);
    expect(report.records.read).toBe(year.settled.length);
    expect(report.records.unreadable).toBe(0);
    expect(report.settlements).toBe(standing.length);
    expect(report.reversals).toBe(judged.length - standing.length);
    expect(report.reversals).toBeGreaterThan(0);
    const paid = standing.filter((s) => { const a = shareOf(s.split, id); return a.direct + a.benefits > 0; });
    expect(report.settlementsPaid).toBe(paid.length);
    expect(report.settlementsPaid).toBeGreaterThan(100);
    expect(report.persons.judged).toBe(new Set(standing.map((s) => s.split.personId)).size);
    expect(report.persons.paid).toBe(new Set(paid.map((s) => s.split.personId)).size);
  });

  it('adds up amounts paid directly and as benefits, by month, by hospital and by category', () => {
    const standing = year.settled.filter((s) => !s.reversed && s.split.policyVersions[id] !== undefined);
    const direct = standing.reduce((sum, s) => sum + shareOf(s.split, id).direct, 0);
    const benefits = standing.reduce((sum, s) => sum + shareOf(s.split, id).benefits, 0);
    expect(report.paid).toEqual({ direct: formatFen(direct), benefits: formatFen(benefits), total: formatFen(direct + benefits) });
    const group = (key: (s: (typeof standing)[number]) => string[]) => {
      const m = new Map<string, number>();
      for (const s of standing) for (const k of key(s)) m.set(k, (m.get(k) ?? 0) + shareOf(s.split, id).direct + shareOf(s.split, id).benefits);
      return Object.fromEntries([...m].map(([k, v]) => [k, formatFen(v)]));
    };
    expect(Object.fromEntries(report.byMonth.map((b) => [b.key, b.total]))).toEqual(group((s) => [s.split.settledAt?.slice(0, 7) ?? '']));
    expect(report.byMonth).toHaveLength(12);
    expect(Object.fromEntries(report.byHospital.map((b) => [b.key, b.total]))).toEqual(group((s) => [s.split.hospitalId]));
    expect(Object.fromEntries(report.byCategory.map((b) => [b.key, b.total]))).toEqual(group((s) => (s.body.patient.categories?.length ? s.body.patient.categories : ['none'])));
    expect(report.byMonth.reduce((n, b) => n + b.settlements, 0)).toBe(report.settlements);
    if (kind === 'nantong') expect(report.byRiskGroup).toEqual([]);
    else {
      // 三明's risk groups from the roster as generated: 特定既往症 by the row, 救助对象 by the pack's aid categories.
      const rows = new Map(year.sanmingRoster.map((r) => [r.personId, r]));
      const aid = new Set<string>(pack?.aidCategories?.value ?? []);
      const groupOf = (personId: string) => {
        const row = rows.get(personId);
        if (!row) return 'notOnRoster';
        if (!row.preExisting) return 'healthy';
        return row.categories.some((c) => aid.has(c)) ? 'aidPreExisting' : 'preExisting';
      };
      const expected = group((s) => [groupOf(s.split.personId)]);
      expect(Object.fromEntries(report.byRiskGroup.map((b) => [b.key, b.total]))).toEqual(expected);
      expect(Object.keys(expected).sort()).toEqual(['aidPreExisting', 'healthy', 'notOnRoster', 'preExisting']);
      expect(report.byRiskGroup.find((b) => b.key === 'notOnRoster')?.total).toBe('0.00');
    }
  });

  it('attributes every fen to a rule (responsibility), as the settlements\' counters say', () => {
    expect(report.unattributed).toBe('0.00');
    const byRule = new Map<string, number>();
    for (const s of year.settled) {
      if (s.reversed) continue;
      for (const [key, value] of Object.entries(s.record.deltas)) {
        const [programme, , rest] = key.split('|');
        if (programme === id && rest?.endsWith('.paid')) byRule.set(rest.split('.')[0] ?? '', (byRule.get(rest.split('.')[0] ?? '') ?? 0) + value);
      }
    }
    for (const r of report.byRule) expect(r.amount).toBe(formatFen(byRule.get(r.rule) ?? 0));
    const ruleSum = report.byRule.reduce((sum, r) => sum + fen(r.amount), 0);
    expect(formatFen(ruleSum)).toBe(report.paid.total);
    if (kind === 'sanming') expect(report.byRule.filter((r) => r.amount !== '0.00').length).toBeGreaterThanOrEqual(3);
  });

  it('states premium income, the loss ratio against the target and the payment per person', () => {
    const ops = pack?.operations;
    const enrolled = kind === 'sanming' ? year.sanmingRoster.length : ops?.enrolledPersons?.value ?? 0;
    expect(report.enrolled.persons).toBe(enrolled);
    expect(report.enrolled.source).toBe(kind === 'sanming' ? 'roster' : 'configured');
    const premiumFen = enrolled * (ops?.premiumPerPerson?.value ?? 0);
    expect(report.premiumIncome).toBe(formatFen(premiumFen));
    const total = fen(report.paid.total);
    expect(report.lossRatio.value).toBe(new Decimal(total).div(premiumFen).toFixed(4, Decimal.ROUND_HALF_UP));
    if (kind === 'nantong') {
      expect(report.lossRatio.target).toBe('0.9200');
      expect(report.lossRatio.meetsTarget).toBe(total / premiumFen >= 0.92);
    } else expect(report.lossRatio.target).toBeNull();
    const perPerson = new Map<string, number>();
    for (const s of year.settled) if (!s.reversed) { const a = shareOf(s.split, id); perPerson.set(s.split.personId, (perPerson.get(s.split.personId) ?? 0) + a.direct + a.benefits); }
    const values = [...perPerson.values()].filter((v) => v > 0);
    expect(report.perPerson.persons).toBe(values.length);
    expect(report.perPerson.p50).toBe(formatFen(percentile(values, 50)));
    expect(report.perPerson.p90).toBe(formatFen(percentile(values, 90)));
    expect(report.perPerson.p99).toBe(formatFen(percentile(values, 99)));
    expect(report.perPerson.max).toBe(formatFen(Math.max(...values)));
    expect(report.perPerson.mean).toBe(formatFen(new Decimal(values.reduce((a, b) => a + b, 0)).div(values.length).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber()));
  });

  it('leaves the event loop to other work while it reads (settlements are never held up behind a report)', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    if (!pack) throw new Error(id);
    await programmeReport({ pack, source: year.ledger, ledger: year.ledger, period: { from: `${YEAR[kind]}-01-01`, to: `${YEAR[kind] + 1}-01-01` } });
    order.push('report done');
    expect(order).toEqual(['other work', 'report done']);
  });

  it('writes the same figures as CSV', () => {
    const csv = reportCsv(report);
    expect(csv.startsWith('\uFEFFsection,key,name')).toBe(true);
    expect(csv).toContain(`figure,paidTotal,,,,,${report.paid.total}`);
    for (const m of report.byMonth) expect(csv).toContain(`month,${m.key},,${m.settlements},${m.direct},${m.benefits},${m.total}`);
  });
});
