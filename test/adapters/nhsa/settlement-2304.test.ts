/** The 2304 mapping: invariants over thousands of random bills against the native split (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settlementRequest, type SettlementRequestInput, type Split } from '../../../schemas/settlement.js';
import { settlement2304Of, reversal2305Of } from '../../../adapters/nhsa/settlement-2304.js';
import { DEFAULT_FUND_PAY_TYPES, fundPayTypesFrom } from '../../../adapters/nhsa/fund-pay-types.js';
import { fenOf, fenText } from '../../../adapters/nhsa/amounts.js';
import { readNational, writeNational } from '../../../adapters/nhsa/wire.js';
import { Person, programmes, roster } from '../../support/engine.js';

const PERSON = '371002195001011234';
const amount = fc.integer({ min: 1, max: 20_000_000 }).map(fenText);
const item = fc.oneof(
  fc.record({ code: fc.constant('A'), name: fc.constant('甲'), amount, class: fc.constant('A' as const) }),
  fc.record({ code: fc.constant('B'), name: fc.constant('乙'), amount, class: fc.constant('B' as const), selfPayRatio: fc.constantFrom('0', '0.05', '0.10', '0.333333') }),
  fc.record({ code: fc.constant('C'), name: fc.constant('丙'), amount, class: fc.constant('C' as const) }),
  fc.integer({ min: 100, max: 2_000_000 }).chain((fen) => fc.record({ code: fc.constant('L'), name: fc.constant('限价'), amount: fc.constant(fenText(fen)), class: fc.constant('A' as const), overLimit: fc.integer({ min: 0, max: fen }).map(fenText) })),
);
const place = fc.constantFrom(
  { insured: '990100', hospital: '990100', year: '2024' },
  { insured: '371002', hospital: '371002', year: '2020' },
  { insured: '320602', hospital: '320602', year: '2022' },
  { insured: '350402', hospital: '350402', year: '2024' },
  { insured: '140823', hospital: '140823', year: '2023' },
);
const bill = fc.record({
  place,
  scheme: fc.constantFrom('employee' as const, 'resident' as const),
  categories: fc.subarray(['tekun', 'dibao', 'poverty-alleviated', 'aid-recipient', 'relapse-monitored'] as const),
  level: fc.constantFrom(1, 2, 3),
  items: fc.array(item, { minLength: 1, maxLength: 20 }),
  upstream: fc.option(fc.record({ basic: fc.integer({ min: 0, max: 60 }), majorIllness: fc.integer({ min: 0, max: 20 }), aid: fc.integer({ min: 0, max: 10 }) }), { nil: undefined }),
  acctPayFen: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: undefined }),
});

function requestOf(b: typeof bill extends fc.Arbitrary<infer T> ? T : never): SettlementRequestInput {
  const totalFen = b.items.reduce((s, i) => s + fenOf(i.amount), 0);
  const share = (percent: number) => fenText(Math.floor((totalFen * percent) / 100));
  return {
    settlementId: 'MDTRT1',
    hospital: { id: 'H1', region: b.place.hospital, level: b.level, drgPublic: true },
    patient: { id: PERSON, name: '张三', insuredRegion: b.place.insured, scheme: b.scheme, categories: [...b.categories] },
    encounter: { kind: 'inpatient', admittedOn: `${b.place.year}-03-01`, dischargedOn: `${b.place.year}-03-10`, diagnoses: [{ icd10: 'C34.9', primary: true }] },
    items: b.items,
    ...(b.upstream ? { upstream: { basic: share(b.upstream.basic), majorIllness: share(b.upstream.majorIllness), aid: share(b.upstream.aid) } } : {}),
    nhsa: { psn_no: 'P1', mdtrt_id: 'MDTRT1', insutype: b.scheme === 'employee' ? '310' : '390', med_type: '21', ...(b.acctPayFen !== undefined ? { acct_pay: fenText(b.acctPayFen) } : {}) },
  };
}

const sumOf = (split: Split, layer: string) => split.lines.filter((l) => l.layer === layer).reduce((s, l) => s + fenOf(l.amount), 0);
const enrolled = roster([{ personId: PERSON, from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated'] }]);
const options = { fundPayTypes: DEFAULT_FUND_PAY_TYPES, insurerCodeOf: (p: string) => programmes.get(p)?.payer.insurerCode };

describe('the 2304 mapping (property)', () => {
  it('keeps every invariant against the native split on thousands of random bills', () => {
    fc.assert(fc.property(bill, (b) => {
      const request = settlementRequest.parse(requestOf(b));
      const { split } = new Person({ 'weihai-2020-poverty': enrolled }).preview(request);
      const { setlinfo: s, setldetail, ext } = settlement2304Of({ ...split, settledAt: '2024-03-10T09:12:44+08:00' }, request, options);
      const f = fenOf;
      const totalFen = f(split.total);
      expect(f(s.medfee_sumamt)).toBe(totalFen);
      expect(f(s.fulamt_ownpay_amt) + f(s.overlmt_selfpay) + f(s.preselfpay_amt) + f(s.inscp_scp_amt)).toBe(totalFen);
      expect([s.fulamt_ownpay_amt, s.overlmt_selfpay, s.preselfpay_amt, s.inscp_scp_amt]).toEqual([split.outOfScope, split.overLimit, split.preSelfPay, split.compliant]);
      expect(f(s.hifp_pay)).toBe(sumOf(split, 'basic'));
      expect(f(s.hifmi_pay) + f(s.hifob_pay)).toBe(sumOf(split, 'majorIllness'));
      expect(b.scheme === 'employee' ? f(s.hifmi_pay) : f(s.hifob_pay)).toBe(0);
      expect(f(s.maf_pay)).toBe(sumOf(split, 'aid'));
      expect(f(s.hosp_part_amt)).toBe(sumOf(split, 'waiver'));
      expect(f(s.oth_pay)).toBe(sumOf(split, 'supplementary'));
      expect(f(s.hifp_pay) + f(s.cvlserv_pay) + f(s.hifes_pay) + f(s.hifmi_pay) + f(s.hifob_pay) + f(s.maf_pay) + f(s.oth_pay)).toBe(f(s.fund_pay_sumamt));
      expect(setldetail.reduce((sum, d) => sum + f(d.fund_payamt), 0)).toBe(f(s.fund_pay_sumamt));
      expect(ext.suppl.reduce((sum, l) => sum + f(l.amount), 0)).toBe(f(s.oth_pay));
      expect(f(s.fund_pay_sumamt) + f(s.hosp_part_amt) + f(s.psn_part_amt)).toBe(totalFen);
      expect(s.psn_part_amt).toBe(split.patientPays);
      const acctFen = Math.min(b.acctPayFen ?? 0, f(split.patientPays));
      expect(f(s.acct_pay)).toBe(acctFen);
      expect(f(s.psn_cash_pay)).toBe(f(split.patientPays) - acctFen);
      expect(s.insutype).toBe(b.scheme === 'employee' ? '310' : '390');
      expect(setldetail.every((d) => d.fund_payamt !== '0.00')).toBe(true);
      // Each fund's 符合范围金额 is what its layer found of the compliant amount: the basic fund all of it, later ones less, never below 0.
      expect(setldetail.every((d) => f(d.inscp_scp_amt) >= 0 && f(d.inscp_scp_amt) <= f(s.inscp_scp_amt))).toBe(true);
      if (sumOf(split, 'basic') > 0) expect(setldetail[0]!.inscp_scp_amt).toBe(split.compliant);
      const major = setldetail.find((d) => d.fund_pay_type === (b.scheme === 'employee' ? '330100' : '390200'));
      if (major && split.lines.filter((l) => l.layer === 'basic').length <= 1) expect(f(major.inscp_scp_amt)).toBe(Math.max(0, f(split.compliant) - sumOf(split, 'basic')));
      // The reversal negates every amount: settlement + reversal nets to zero.
      const r = reversal2305Of({ setlinfo: s, setldetail, ext }, '2024-03-11T09:00:00+08:00').setlinfo;
      expect(f(r.medfee_sumamt) + f(s.medfee_sumamt)).toBe(0);
      expect(f(r.fund_pay_sumamt) + f(s.fund_pay_sumamt)).toBe(0);
      // On the wire, amounts are numbers with two decimals and read back digit for digit.
      const wire = readNational(writeNational({ setlinfo: s })) as { setlinfo: typeof s };
      expect(wire.setlinfo).toEqual(s);
    }), { numRuns: 2000 });
  });

  it('writes the national JSON with amounts as two-decimal numbers', () => {
    expect(writeNational({ medfee_sumamt: '1500.00', hifp_pay: '-0.10', psn_no: '0012', setl_time: '2024-03-10 09:00:00' }))
      .toBe('{"medfee_sumamt":1500.00,"hifp_pay":-0.10,"psn_no":"0012","setl_time":"2024-03-10 09:00:00"}');
  });

  it('takes fund_pay_type codes from the configured table over the defaults, and refuses a bad one', () => {
    const table = fundPayTypesFrom(JSON.stringify({ aid: { code: '610102', name: '医疗救助基金（分类救助）' }, supplementary: { 'weihai-2020-medical': { code: '990101', name: '扶贫特惠保' } } }));
    expect(table.aid.code).toBe('610102');
    expect(table.basic.resident.code).toBe('390100');
    expect(table.supplementary['weihai-2020-medical']?.code).toBe('990101');
    expect(() => fundPayTypesFrom(JSON.stringify({ aid: { code: '61', name: 'x' } }))).toThrow(/aid.code/);
  });
});
