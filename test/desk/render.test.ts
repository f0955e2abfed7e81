/** The slip's HTML: everything a request brings is escaped; cash benefits apart; names for codes. */
import { describe, expect, it } from 'vitest';
import { renderSlip } from '../../gateway/desk/slip/render.js';
import { settlementRequest, type Split } from '../../schemas/settlement.js';
import { requestBody } from '../support/requests.js';

const split: Split = {
  gatewayId: 'stl_1', settlementId: 'S1', hospitalId: 'H99000000001', personId: '990100198001011234', status: 'settled', currency: 'CNY',
  total: '100.00', outOfScope: '0.00', overLimit: '0.00', preSelfPay: '0.00', compliant: '100.00',
  lines: [{ layer: 'waiver', programme: 'demo-990000-2024-waiver', payer: 'H99000000001', mode: 'computed', amount: '10.00', explanation: ['x', '减免 10.00'] }],
  benefits: [{ programme: 'wenxi-2023-disabled', kind: 'accidentHospitalAllowance', amount: '450.00', paidTo: 'patient' }],
  patientPays: '90.00', policyVersions: {}, settledAt: '2024-03-10T09:12:44+08:00',
};

describe('renderSlip', () => {
  it('escapes every text from the request and names the hospital, the programmes and the benefits', () => {
    const request = settlementRequest.parse(requestBody({
      hospital: { name: '<b>医院</b>' },
      items: [{ code: 'A1', name: '<img src=x onerror=alert(1)>', amount: '100.00', class: 'A' }],
    }));
    const html = renderSlip(split, request, { hospitalName: '<b>医院</b>', programmeName: (id) => (id === 'wenxi-2023-disabled' ? '闻喜 2023 残疾人保险' : undefined), fontStylesheet: '/desk/fonts/noto-sans-sc.css' });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>医院</b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('意外住院津贴');
    expect(html).toContain('闻喜 2023 残疾人保险');
    expect(html).toContain('另行给付');
    expect(html).toContain('2024-03-10 09:12');
    expect(html).toContain('人民币玖拾元整');
    expect(html).not.toContain('H99000000001</b>'); // the waiver's payer by name, not id
  });
});
