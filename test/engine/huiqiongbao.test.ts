/**
 * 海南 惠琼保 2025 (shared/plans/huiqiongbao-2025.md), hand-computed: the three 款, the in- and out-of-catalogue
 * responsibilities with their own deductibles, the 45万 threshold, the shared and person-level limits, the
 * deductible steps, 既往症 by person and by claim, place, no basic insurance, the 特药 counter, cover across the
 * term's end. Upstream layers are given (海南's own basic packs are not among the seeds).
 */
import { describe, expect, it } from 'vitest';
import { line, Person, programmes, roster } from '../support/engine.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { pack as packSchema } from '../../schemas/pack.js';
import { BUILTIN_PACKS_DIR, parseYaml } from '../../gateway/programmes/load.js';
import { request } from '../support/requests.js';
import { standingOf } from '../../gateway/desk/standing.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { SettlementRequestInput } from '../../schemas/settlement.js';

const ID = 'huiqiongbao-2025';
const PERSON = '460100199001011234';
type O = Parameters<typeof request>[0];
const stay = (o: O = {}) => request({
  ...o,
  hospital: { id: 'H46010000001', region: '460100', level: 3, drgPublic: false, ownership: 'public', ...o.hospital },
  patient: { id: PERSON, insuredRegion: '460100', categories: [], ...o.patient },
  encounter: { admittedOn: '2025-04-01', dischargedOn: '2025-04-15', ...o.encounter },
});
type Row = Partial<RosterRow> & { variant?: string };
const member = (row: Row = {}, set: ProgrammeSet = programmes) =>
  new Person({ [ID]: roster([{ personId: PERSON, from: '2025-01-01', to: '2025-12-31', variant: 'A', ...row }]) }, set);
const pays = (person: Person, o: O) => line(person.preview(stay(o)).split, ID);
const settle = (person: Person, o: O) => line(person.settle(stay(o)).split, ID);

type Items = SettlementRequestInput['items'];
/** 100000 甲 + 20000 乙 (10 % 先行自付) + 10000 丙 drug: compliant 118000, 乙类先行自付 2000, 丙 10000. */
const BILL: Items = [
  { code: 'A1', name: '甲类', amount: '100000.00', class: 'A' },
  { code: 'B1', name: '乙类', amount: '20000.00', class: 'B', selfPayRatio: '0.10' },
  { code: 'C1', name: '自费药', amount: '10000.00', class: 'C', itemType: 'drug' },
];
const PAID = { basic: '70000.00', majorIllness: '10000.00' };
const base: O = { items: BILL, upstream: PAID };

describe('责任一: in-catalogue self-pay after basic and 大病, 1.8万 deductible, 80 % / 40 %', () => {
  it('pays (118000 + 2000 − 80000 − 18000) × 80 % = 17600.00 for A款, healthy; 责任三 fills its deductible with the 丙 drug', () => {
    const person = member();
    const out = person.settle(stay(base));
    const l = line(out.split, ID);
    expect(l.amount).toBe('17600.00');
    expect(out.split.patientPays).toBe('32400.00'); // 130000 − 80000 − 17600
    expect(person.accumulators[`${ID}|2025-01-01|r1.deductibleUsed`]).toBe(1_800_000);
    expect(person.accumulators[`${ID}|2025-01-01|r3.deductibleUsed`]).toBe(1_000_000);
    expect(l.explanation.join('\n')).toContain('政策范围内费用+乙类先行自付（仅普通部） 120000.00 扣除基本医保、大病保险、医疗机构减免、医疗救助、此前商业补充保险已付 80000.00 = 计算基数 40000.00');
    expect(l.explanation.join('\n')).toContain('本保单年度尚余 18000.00');
  });

  it('pays 40 % for a person the roster marks 既往症: 8800.00', () => {
    expect(pays(member({ preExisting: true }), base).amount).toBe('8800.00');
  });

  it('pays nothing at the deductible and 0.01 one fen above it', () => {
    const at: O = { items: [{ code: 'A1', name: '甲类', amount: '98000.00', class: 'A' }], upstream: PAID }; // self-pay 18000.00
    expect(pays(member(), at).amount).toBe('0.00');
    const above: O = { items: [{ code: 'A1', name: '甲类', amount: '98000.01', class: 'A' }], upstream: PAID };
    expect(pays(member(), above).amount).toBe('0.01'); // 0.01 × 80 % = 0.008 → 0.01
  });

  it('lowers the deductible to 1.6万 for a claim-free renewal or a family, 1.5万 after two claim-free years', () => {
    expect(pays(member({ attributes: { claimFreeYears: '1' } }), base).amount).toBe('19200.00'); // (40000 − 16000) × 80 %
    expect(pays(member({ attributes: { family: 'yes' } }), base).amount).toBe('19200.00');
    expect(pays(member({ attributes: { claimFreeYears: '2' } }), base).amount).toBe('20000.00'); // (40000 − 15000) × 80 %
    expect(pays(member({ attributes: { claimFreeYears: '2', family: 'yes' } }), base).amount).toBe('20000.00');
  });

  it('counts no item of a 特需部 / VIP部 / 国际部, and only its share of what basic insurance paid', () => {
    const items: Items = [
      { code: 'A1', name: '普通部', amount: '100000.00', class: 'A' },
      { code: 'A2', name: '特需部', amount: '100000.00', class: 'A', ward: 'special' },
    ];
    // Basic paid 100000 on 200000 of compliant cost: 50000 falls on the general ward's items. (100000 − 50000 − 18000) × 80 %.
    expect(pays(member(), { items, upstream: { basic: '100000.00' } }).amount).toBe('25600.00');
  });

  it('needs a public hospital of level 2 or above, and says so when the request does not state ownership', () => {
    expect(pays(member(), { ...base, hospital: { level: 1 } }).amount).toBe('0.00');
    expect(pays(member(), { ...base, hospital: { ownership: 'private' } }).amount).toBe('0.00');
    const unstated = stay(base);
    delete unstated.hospital.ownership;
    const l = line(member().preview(unstated).split, ID);
    expect(l.amount).toBe('0.00');
    expect(l.explanation.join()).toContain('请求未申明医院性质（hospital.ownership）');
  });
});

describe('责任二: in-catalogue cost above 45万 a year, 100 %, net of what basic, 大病 and 责任一 paid', () => {
  const big: O = { items: [{ code: 'A1', name: '甲类', amount: '500000.00', class: 'A' }], upstream: { basic: '300000.00', majorIllness: '100000.00' } };
  it('pays the self-pay left on the share above 45万: (100000 − 65600) × 50000 / 500000 = 3440.00', () => {
    const person = member();
    const l = settle(person, big);
    // 责任一 (100000 − 18000) × 80 % = 65600; 责任二 3440.
    expect(l.amount).toBe('69040.00');
    expect(l.explanation.join('\n')).toContain('超过 450000.00 元的部分 50000.00');
    // The next stay lies wholly above 45万: 责任二 pays what 责任一 left of its self-pay, all of it.
    const next: O = { settlementId: 'ZY2', items: [{ code: 'A1', name: '甲类', amount: '100000.00', class: 'A' }], upstream: { basic: '60000.00', majorIllness: '20000.00' } };
    expect(settle(person, next).amount).toBe('20000.00'); // 责任一 20000 × 80 % = 16000, 责任二 4000
  });

  it('pays nothing when the year reaches exactly 45万', () => {
    const at: O = { items: [{ code: 'A1', name: '甲类', amount: '450000.00', class: 'A' }], upstream: { basic: '300000.00', majorIllness: '100000.00' } };
    expect(pays(member(), at).amount).toBe('25600.00'); // 责任一 (50000 − 18000) × 80 %; 责任二 0
  });
});

describe('limits: 责任一 + 二 share 120万; the person-level cap is 130万 / 220万 / 230万 by 款', () => {
  it('stops 责任一 at what the shared limit leaves', () => {
    const person = member();
    person.accumulators[`${ID}|2025-01-01|r12.paid`] = 119_500_000;
    const l = settle(person, base);
    expect(l.amount).toBe('5000.00');
    expect(l.explanation.join()).toContain('责任一、二共用年度限额 1200000.00 元，本保单年度已赔 1195000.00，按余额 5000.00 赔付');
    expect(person.accumulators[`${ID}|2025-01-01|r12.paid`]).toBe(120_000_000);
    expect(person.accumulators[`${ID}|2025-01-01|person.paid`]).toBe(500_000);
  });

  it('stops at the person-level cap of the 款 held', () => {
    const near = (variant: string) => {
      const person = member({ variant });
      person.accumulators[`${ID}|2025-01-01|person.paid`] = 129_900_000;
      return pays(person, base).amount;
    };
    expect(near('A')).toBe('1000.00'); // 130万 − 129.9万
    expect(near('A-plus')).toBe('17600.00'); // 220万
    expect(near('B')).toBe('17600.00'); // 230万
  });
});

describe('责任三: out-of-catalogue cost, 2万 deductible, 50 % / 25 %; drugs only for A款 and B款', () => {
  const items: Items = [
    { code: 'C1', name: '自费药', amount: '30000.00', class: 'C', itemType: 'drug' },
    { code: 'C2', name: '自费检查', amount: '30000.00', class: 'C', itemType: 'service' },
    { code: 'C3', name: '自费耗材', amount: '10000.00', class: 'C' },
  ];
  it('A款 pays on the drug: (30000 − 20000) × 50 % = 5000.00; A款升级版 on all of it: (70000 − 20000) × 50 % = 25000.00', () => {
    expect(pays(member({ variant: 'A' }), { items }).amount).toBe('5000.00');
    expect(pays(member({ variant: 'A-plus' }), { items }).amount).toBe('25000.00');
    expect(pays(member({ variant: 'A-plus', preExisting: true }), { items }).amount).toBe('12500.00');
  });
  it('caps A款 at 10万 and A款升级版 at 100万 a year', () => {
    const person = (variant: string) => {
      const p = member({ variant });
      p.accumulators[`${ID}|2025-01-01|r3.paid`] = 9_800_000;
      return pays(p, { items }).amount;
    };
    expect(person('A')).toBe('2000.00');
    expect(person('A-plus')).toBe('25000.00');
  });
  it('lowers its deductible to 1.8万 for a claim-free renewal (no two-year step)', () => {
    expect(pays(member({ variant: 'A-plus', attributes: { claimFreeYears: '2' } }), { items }).amount).toBe('26000.00'); // (70000 − 18000) × 50 %
  });
});

describe('place and insurance: out of 海南 with and without 异地备案, no basic insurance, not settled by local 医保', () => {
  const away = (filed: boolean): O => ({ ...base, hospital: { id: 'H44010000001', region: '440100' }, encounter: { offsiteFiled: filed } });
  it('pays 责任一 as usual with 备案, at 35 % without', () => {
    expect(pays(member(), away(true)).amount).toBe('17600.00');
    expect(pays(member(), away(false)).amount).toBe('7700.00'); // 22000 × 35 %
  });
  it('pays 责任三 at 25 % with 备案 and nothing without', () => {
    const items: Items = [{ code: 'C2', name: '自费', amount: '60000.00', class: 'C' }];
    const out = (filed: boolean) => pays(member({ variant: 'A-plus' }), { items, hospital: { id: 'H44010000001', region: '440100' }, encounter: { offsiteFiled: filed } });
    expect(out(true).amount).toBe('10000.00'); // (60000 − 20000) × 25 %
    expect(out(false).amount).toBe('0.00');
    expect(out(false).explanation.join()).toContain('责任三·基本医疗保险支付范围外医疗费用：本情形不予赔付');
  });
  it('takes 70 % of the compliant cost off for a person without basic insurance, then pays 35 %', () => {
    const items: Items = [{ code: 'A1', name: '甲类', amount: '100000.00', class: 'A' }];
    expect(pays(member(), { items, patient: { basicInsuranceActive: false } }).amount).toBe('4200.00'); // (100000 − 70000 − 18000) × 35 %
  });
  it('pays nothing of a stay not settled through the local basic insurance, and its deductible stays untouched', () => {
    const person = member();
    const l = settle(person, { ...base, encounter: { localBasicSettlement: false } });
    expect(l.amount).toBe('0.00');
    expect(person.accumulators[`${ID}|2025-01-01|r1.deductibleUsed`]).toBeUndefined();
  });
});

describe('款: exactly one per person', () => {
  it('refuses a person whose rows name two 款 in one period, with the reason', () => {
    const person = new Person({ [ID]: roster([
      { personId: PERSON, from: '2025-01-01', to: '2025-12-31', variant: 'A' },
      { personId: PERSON, from: '2025-01-01', to: '2025-12-31', variant: 'B' },
    ]) });
    const l = pays(person, base);
    expect(l.amount).toBe('0.00');
    expect(l.explanation.join()).toContain('参保名单同一期间有多个款型（A、B），每人只能参保一款');
  });
  it('refuses a row without a 款', () => {
    const person = new Person({ [ID]: roster([{ personId: PERSON, from: '2025-01-01', to: '2025-12-31' }]) });
    expect(pays(person, base).explanation.join()).toContain('参保名单未注明所购款型');
  });
});

describe('责任四 (B款): 特药 at the counter, by a drug list of the test\'s own', () => {
  const withList = (): ProgrammeSet => {
    const raw = parse(readFileSync(join(BUILTIN_PACKS_DIR, `${ID}.yaml`), 'utf8')) as { rules: Array<Record<string, unknown>> };
    raw.rules[3]!.drugs = {
      cite: 'test list',
      value: [
        { code: 'TY001', name: '测试靶向药', group: 'tekyao', ratio: { healthy: '0.80', preExisting: '0.60' }, where: { kinds: ['pharmacy'] } },
        { code: 'TY002', name: '测试目录内药', group: 'tekyao', ratio: { healthy: '0.80', preExisting: '0.60' } },
        { code: 'TY003', name: '测试境外药', group: 'tekyao', origin: 'overseas', ratio: { healthy: '0.70', preExisting: '0.50' }, where: { regions: ['469002'] } },
      ],
    };
    const changed = parseYaml(stringify(raw), packSchema, `${ID}.yaml`, 'programme pack');
    return new ProgrammeSet(programmes.packs.map((p) => (p.id === ID ? changed : p)), programmes.catalogues);
  };
  const pharmacy = (items: Items, o: O = {}): O => ({
    ...o, items, hospital: { id: 'P46010000001', region: '460100', level: 1, ownership: 'private', ...o.hospital },
    encounter: { kind: 'pharmacy', admittedOn: '2025-05-01', dischargedOn: '2025-05-01', diagnoses: [{ icd10: 'C34.9', primary: true }], ...o.encounter },
  });
  const drug: Items = [{ code: 'TY001', name: '测试靶向药', amount: '30000.00', class: 'C', supplyDays: 60 }];

  it('pays a month of a two-month prescription at the drug\'s ratio: 30000 × 30/60 × 80 % = 12000.00', () => {
    const l = pays(member({ variant: 'B' }, withList()), pharmacy(drug));
    expect(l.amount).toBe('12000.00');
    expect(l.explanation.join()).toContain('处方 60 天，超过 30 天的部分不予支付');
  });
  it('judges 既往症 by the claim: first diagnosed before the cover began, 60 %', () => {
    const o = pharmacy(drug, { encounter: { diagnoses: [{ icd10: 'C34.9', primary: true, firstDiagnosedOn: '2024-05-01' }] } });
    expect(pays(member({ variant: 'B' }, withList()), o).amount).toBe('9000.00');
    const after = pharmacy(drug, { encounter: { diagnoses: [{ icd10: 'C34.9', primary: true, firstDiagnosedOn: '2025-02-01' }] } });
    expect(pays(member({ variant: 'B' }, withList()), after).amount).toBe('12000.00');
  });
  it('leaves a drug 医保 covers to 医保 first: (10000 − 6000) × 80 % = 3200.00', () => {
    const items: Items = [{ code: 'TY002', name: '测试目录内药', amount: '10000.00', class: 'A' }];
    expect(pays(member({ variant: 'B' }, withList()), pharmacy(items, { upstream: { basic: '6000.00' } })).amount).toBe('3200.00');
  });
  it('pays an overseas drug only in 博鳌乐城, and a pharmacy drug only at the pharmacy', () => {
    const overseas: Items = [{ code: 'TY003', name: '测试境外药', amount: '10000.00', class: 'C' }];
    expect(pays(member({ variant: 'B' }, withList()), pharmacy(overseas)).amount).toBe('0.00');
    expect(pays(member({ variant: 'B' }, withList()), pharmacy(overseas, { hospital: { id: 'H46900200001', region: '469002', level: 3, ownership: 'public' }, encounter: { kind: 'outpatientSpecial' } })).amount).toBe('7000.00');
    expect(pays(member({ variant: 'B' }, withList()), { items: drug, encounter: { diagnoses: [] } }).explanation.join()).toContain('限定点药店购药');
  });
  it('does not pay 特药 to A款', () => {
    const l = pays(member({ variant: 'A' }, withList()), pharmacy(drug));
    expect(l.amount).toBe('0.00');
    expect(l.explanation.join()).toContain('责任四·特定药品医疗费用：不适用，仅限B款，本人所购为A款');
  });
  it('pays nothing while the shipped pack lists no drug, and says so', () => {
    expect(pays(member({ variant: 'B' }), pharmacy(drug)).explanation.join()).toContain('指定药品清单未配置');
  });
});

describe('cover across the end of the term: paid by the days in the term', () => {
  it('pays 5 of 15 days of a stay admitted 2025-12-27 and discharged 2026-01-11 — the pack is in force after its term', () => {
    const o: O = {
      items: [{ code: 'A1', name: '甲类', amount: '150000.00', class: 'A' }], upstream: { basic: '60000.00' },
      encounter: { admittedOn: '2025-12-27', dischargedOn: '2026-01-11' },
    };
    const l = pays(member(), o);
    // Days in hospital 12-27 … 01-10 = 15; in the term 12-27 … 12-31 = 5. (90000 × 5/15 − 18000) × 80 % = 9600.
    expect(l.amount).toBe('9600.00');
    expect(l.explanation.join()).toContain('住院 15 天中 5 天在保障期（2025-01-01至2025-12-31）内，按 5/15 计算');
  });
});

describe('the desk\'s standing shows every responsibility and limit of the plan', () => {
  it('lists 责任一 with its deductible, 责任三, the shared 120万 and the person-level cap, from the counters alone', () => {
    const person = member();
    person.settle(stay(base));
    const plan = standingOf(person.accumulators, programmes, '2025').programmes.find((p) => p.programme === ID);
    const rows = Object.fromEntries((plan?.rules ?? []).map((r) => [r.rule, r]));
    expect(plan?.period).toBe('2025-01-01');
    expect(rows.r1).toMatchObject({ paid: '17600.00', deductibleUsed: '18000.00', deductible: '18000.00' });
    expect(rows.r3).toMatchObject({ paid: '0.00', deductibleUsed: '10000.00', cap: '100000.00' });
    expect(rows.r12).toMatchObject({ name: '责任一、二共用年度限额', paid: '17600.00', cap: '1200000.00', capLeft: '1182400.00' });
    expect(rows.person).toMatchObject({ paid: '17600.00', cap: '1300000.00' });
  });
});
