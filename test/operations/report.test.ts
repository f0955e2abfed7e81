/** The programme report over a synthetic year: every figure against an independent computation from the answers as returned. */
import { Decimal } from 'decimal.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFen, formatFen } from '../../gateway/engine/money.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { requestBody } from '../support/requests.js';
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

describe('a period by discharge date', () => {
  // 南通 2022: stays discharged in the year but settled after it, one settled the day before its
  // recorded discharge, and stays of the years around it; the ledger only lists by settlement time.
  const pack = programmes.get('nantong-2022-dibubao');
  const stays = [
    { id: 'S1', dischargedOn: '2022-01-01', settledAt: '2021-12-31T20:00:00+08:00' },
    { id: 'S2', dischargedOn: '2022-06-15', settledAt: '2022-06-15T10:00:00+08:00' },
    { id: 'S3', dischargedOn: '2022-12-31', settledAt: '2023-01-03T09:00:00+08:00' },
    { id: 'S4', dischargedOn: '2022-12-20', settledAt: '2023-03-02T09:00:00+08:00', reversed: true },
    { id: 'S5', dischargedOn: '2022-11-30', settledAt: '2023-05-10T09:00:00+08:00' },
    { id: 'S6', dischargedOn: '2023-01-02', settledAt: '2023-01-02T09:00:00+08:00' },
  ];
  let ledger: MemoryLedger;
  const paidOf = new Map<string, number>();
  beforeAll(async () => {
    ledger = new MemoryLedger();
    let now = new Date();
    const service = new SettlementService({ ledger, programmes, clock: () => now });
    for (const [n, stay] of stays.entries()) {
      now = new Date(stay.settledAt);
      const body = requestBody({
        settlementId: `ZY${stay.id}`, hospital: { id: 'H32060200001', region: '320602', level: 3, name: '南通市第一人民医院' },
        patient: { id: `3206021960010110${n}0`, insuredRegion: '320602', categories: ['dibao'] },
        encounter: { admittedOn: '2021-12-01', dischargedOn: stay.dischargedOn, diagnoses: [{ icd10: 'C34.9', primary: true }] },
        items: [{ code: 'A1', name: '甲类', amount: '10000.00', class: 'A' }], upstream: { basic: '5000.00' },
      });
      const { split } = await service.settle(body, undefined);
      paidOf.set(stay.id, shareOf(split, 'nantong-2022-dibubao').direct);
      if (stay.reversed) await service.reverse('H32060200001', body.settlementId, {}, undefined);
    }
  });

  const report = (basis: 'settled' | 'discharged', today = '2023-06-30') => {
    if (!pack) throw new Error('nantong-2022-dibubao');
    return programmeReport({ pack, source: ledger, ledger, period: { from: '2022-01-01', to: '2023-01-01' }, basis, today });
  };
  const sum = (ids: string[]) => formatFen(ids.reduce((s, id) => s + (paidOf.get(id) ?? 0), 0));

  it('counts the stays discharged in the period, whenever they were settled up to the report\'s day', async () => {
    expect(paidOf.get('S3')).toBeGreaterThan(0);
    const r = await report('discharged');
    expect(r.basis).toBe('discharged');
    expect(r.settledWindow).toEqual({ from: '2021-12-25', to: '2023-07-01' });
    expect(r.settlements).toBe(4);
    expect(r.reversals).toBe(1);
    expect(r.paid.direct).toBe(sum(['S1', 'S2', 'S3', 'S5']));
    expect(r.byMonth.map((m) => [m.key, m.settlements])).toEqual([['2022-01', 1], ['2022-06', 1], ['2022-11', 1], ['2022-12', 1]]);
    // Only S2 was both discharged and settled in 2022: by settlement day the period holds it alone.
    const settled = await report('settled');
    expect(settled).toMatchObject({ basis: 'settled', settledWindow: { from: '2022-01-01', to: '2023-01-01' }, settlements: 1, paid: { direct: sum(['S2']) } });
    expect(settled.byMonth.map((m) => m.key)).toEqual(['2022-06']);
  });

  it('gives the figures known on the report\'s day: a stay settled after it is not yet counted', async () => {
    const r = await report('discharged', '2023-04-30');
    expect(r.settledWindow.to).toBe('2023-05-01');
    expect(r.settlements).toBe(3);
    expect(r.paid.direct).toBe(sum(['S1', 'S2', 'S3']));
  });

  it('names a hospital by the configured name, else by the name its settlements gave, else leaves the id alone', async () => {
    if (!pack) throw new Error('nantong-2022-dibubao');
    const input = { pack, source: ledger, ledger, period: { from: '2022-01-01', to: '2023-01-01' } } as const;
    expect((await programmeReport(input)).byHospital).toEqual([expect.objectContaining({ key: 'H32060200001', name: '南通市第一人民医院' })]);
    expect((await programmeReport({ ...input, hospitalName: (id) => (id === 'H32060200001' ? '南通一院' : undefined) })).byHospital[0]?.name).toBe('南通一院');
    expect(reportCsv(await report('discharged'))).toContain('hospital,H32060200001,南通市第一人民医院,4,');
  });
});
