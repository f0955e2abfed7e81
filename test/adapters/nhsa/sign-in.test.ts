/** 9001 签到 / 9002 签退 over sockets: sign_no per operator, checked on later calls as NHSA_SIGN_IN says. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { nhsa } from './support.js';

type Row = Record<string, string>;

let lenient: TestGateway;
let strict: TestGateway;
beforeAll(async () => {
  [lenient, strict] = await Promise.all([startTestGateway(), startTestGateway({ NHSA_SIGN_IN: 'required' })]);
});
afterAll(async () => { await Promise.all([lenient.stop(), strict.stop()]); });

const signIn = async (url: string, opter: string) => {
  const r = await nhsa(url, '9001', { signIn: { opter_no: opter, mac: '', ip: '' } }, { opter });
  expect(r.answer.err_msg).toBe('');
  const out = r.answer.output.signinoutb as Row;
  expect(out.sign_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  return out.sign_no!;
};
/** A call that reads and refuses nothing of the stay store: 3201 of an empty period. */
const totals = { data: { stmt_begndate: '2001-01-01', stmt_enddate: '2001-01-31', medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, fixmedins_setl_cnt: 0 } };

describe('NHSA_SIGN_IN=when-given (the default)', () => {
  it('accepts a call without sign_no: a HIS that never signs in works unchanged', async () => {
    expect((await nhsa(lenient.url, '3201', totals)).answer.err_msg).toBe('');
  });

  it('issues a sign_no per operator, checks it, and refuses it once signed out', async () => {
    const sign = await signIn(lenient.url, 'OP-A');
    expect(sign).toMatch(/^[0-9A-Z]{26}$/);
    // Several terminals of one operator share the live sign-in.
    expect(await signIn(lenient.url, 'OP-A')).toBe(sign);
    const other = await signIn(lenient.url, 'OP-B');
    expect(other).not.toBe(sign);

    expect((await nhsa(lenient.url, '3201', totals, { opter: 'OP-A', signNo: sign })).answer.err_msg).toBe('');
    // Another operator's sign_no is not this operator's.
    const foreign = await nhsa(lenient.url, '3201', totals, { opter: 'OP-A', signNo: other });
    expect(foreign.answer.infcode).toBe('-1');
    expect(foreign.answer.err_msg).toContain(`sign_no：签到编号 ${other} 不是操作员 OP-A 当前的签到`);
    // The refusal is not remembered under the msgid: the same call with the right sign_no goes through.
    expect((await nhsa(lenient.url, '3201', totals, { opter: 'OP-A', signNo: sign, msgid: foreign.msgid })).answer.err_msg).toBe('');

    const out = await nhsa(lenient.url, '9002', { signOut: { sign_no: sign, opter_no: 'OP-A' } }, { opter: 'OP-A', signNo: sign });
    expect(out.answer.err_msg).toBe('');
    expect((out.answer.output.signoutoutb as Row).sign_time).toMatch(/^\d{4}-\d{2}-\d{2} /);
    const stale = await nhsa(lenient.url, '3201', totals, { opter: 'OP-A', signNo: sign });
    expect(stale.answer.err_msg).toContain('已签退');
    // Signing out twice is refused, naming the field; signing in again issues a new sign_no.
    expect((await nhsa(lenient.url, '9002', { signOut: { sign_no: sign, opter_no: 'OP-A' } }, { opter: 'OP-A' })).answer.err_msg).toContain('input.signOut.sign_no：');
    expect(await signIn(lenient.url, 'OP-A')).not.toBe(sign);
  });

  it('refuses a 9001 for another operator than the envelope names', async () => {
    const r = await nhsa(lenient.url, '9001', { signIn: { opter_no: 'OP-X' } }, { opter: 'OP-Y' });
    expect(r.answer.err_msg).toBe('input.signIn.opter_no：操作员编号 OP-X 与报文头 opter OP-Y 不一致');
  });
});

describe('NHSA_SIGN_IN=required', () => {
  it('refuses a call without sign_no, and accepts it once the operator signed in', async () => {
    const unsigned = await nhsa(strict.url, '3201', totals, { opter: 'OP-S' });
    expect(unsigned.answer.infcode).toBe('-1');
    expect(unsigned.answer.err_msg).toContain('sign_no：请先签到（9001）');
    const sign = await signIn(strict.url, 'OP-S');
    expect((await nhsa(strict.url, '3201', totals, { opter: 'OP-S', signNo: sign, msgid: unsigned.msgid })).answer.err_msg).toBe('');
  });
});
