/**
 * Issue 22's "what must show", under SM2 signatures and SM4-encrypted input and output: a HIS client (test/support/
 * nhsa-his.ts, from the README and the national field tables) runs 9001 → 1101 → 2401 → 2301 → 2402 → 2303 → 2304 (its
 * answer lost) → 2601 → 2304 → 5203 → 2305 → 3201 → 5201 → 9101 → 3202 → 9102 over HTTP, every answer's signature
 * checked, and every amount of 2303 and of both 2304s equals the native split of the same bill (a /v1 preview).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipOne, zipOne } from '../../../../adapters/nhsa/calls/files-zip.js';
import { sm2PrivateKeyOf } from '../../../../adapters/nhsa/security/sm2.js';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../../support/gateway.js';
import { HisClient, sm2KeyPair } from '../../../support/nhsa-his.js';
import { envelope } from '../support.js';

type Row = Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), 'nhsa-journey-'));
const file = (name: string, text: string) => { const path = join(dir, name); writeFileSync(path, text); return path; };

const gatewayPem = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const gatewayPoint = sm2PrivateKeyOf(gatewayPem).publicKey;
const gatewayPublicHex = `04${gatewayPoint.x.toString(16).padStart(64, '0')}${gatewayPoint.y.toString(16).padStart(64, '0')}`;
const his = sm2KeyPair();
const sm4Key = randomBytes(16);

/** GB 11643's example number (check digit X); on a roster as 低保. */
const CERT = '11010519491231002X';
const PSN = '99000000000000022001';
const chinaNow = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const today = () => chinaNow().slice(0, 10);

let gw: TestGateway;
beforeAll(async () => {
  const security = file('security.json', JSON.stringify({
    mode: 'sm2-sm4', maxSkewSeconds: 120, sm4: 'sm4-cbc', gateway: { privateKey: { file: file('gw.pem', gatewayPem) } },
    hospitals: { [HOSPITAL_A]: { publicKey: { file: file('his.pub', his.publicHex) }, sm4Key: { file: file('his.sm4', sm4Key.toString('hex')) } } },
  }));
  const hospitals = file('hospitals.json', JSON.stringify([{ id: HOSPITAL_A, name: '示例市第一人民医院', region: '990100', level: 3, drgPublic: true }]));
  gw = await startTestGateway({ NHSA_SECURITY_FILE: security, HOSPITALS_FILE: hospitals, NHSA_SIGN_IN: 'required' });
  const roster = await call(gw.url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', token: TOKENS.admin, body: { rows: [{ personId: CERT, from: '2024-01-01', to: '2024-12-31', categories: ['dibao'] }] } });
  expect(roster.status).toBeLessThan(300);
});
afterAll(async () => { await gw.stop(); });

describe('a HIS written to the national tables, with SM2 and SM4 on', () => {
  it('runs the whole stay and month, every amount equal to the native split of the same bill', async () => {
    const client = new HisClient({ mode: 'sm2-sm4', privateHex: his.privateHex, sm4Key, cipher: 'sm4-cbc', gatewayPublicHex });
    let signNo = '';
    let sequence = 0;
    /** One national call, sealed by the HIS client; the answer's signature checked and its output (or file) decrypted. */
    const send = async (infno: string, input: unknown, msgid = `${HOSPITAL_A}J${String(++sequence).padStart(8, '0')}`) => {
      const sealed = client.seal({ ...envelope(infno, input, { msgid, signNo }), inf_time: chinaNow() });
      const response = await fetch(`${gw.url}/nhsa/${infno}`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.deskA}`, 'content-type': 'application/json' }, body: sealed.body });
      if ((response.headers.get('content-type') ?? '').startsWith('application/octet-stream')) {
        const opened = client.openFile(Buffer.from(await response.arrayBuffer()), response.headers.get('cainfo'));
        expect(opened.verified).toBe(true);
        return { answer: { infcode: '0', err_msg: '', output: {} } as Row, file: opened.content };
      }
      const opened = client.open(await response.text());
      expect(opened.verified).toBe(true);
      return { answer: opened.answer, file: undefined };
    };
    const ok = async (infno: string, input: unknown, msgid?: string) => {
      const r = await send(infno, input, msgid);
      expect(String(r.answer.err_msg), infno).toBe('');
      return r.answer.output as Row;
    };
    const text = (v: unknown) => String(v);

    // 9001 签到: the sign_no goes on every later call (NHSA_SIGN_IN=required).
    signNo = text(((await ok('9001', { signIn: { opter_no: 'SF001', mac: '', ip: '' } })).signinoutb as Row).sign_no);
    // 1101: the person's identities from the roster.
    const person = await ok('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: CERT, psn_cert_type: '01' } });
    expect((person.idetinfo as Row[]).map((i) => i.psn_idet_type)).toEqual(['dibao']);
    // 2401 without the gateway's ext: level and ownership from HOSPITALS_FILE.
    const mdtrtId = text(((await ok('2401', { mdtrtinfo: { psn_no: PSN, insutype: '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: CERT, med_type: '21', ipt_no: 'ZY22001', dscg_maindiag_code: 'C34.900' }, diseinfo: [{ psn_no: PSN, diag_type: '1', maindiag_flag: '1', diag_code: 'C34.900', diag_name: '肺恶性肿瘤' }] })).result as Row).mdtrt_id);
    const row = (sn: string, amount: number, lv: string, extra: Row = {}) => ({ feedetl_sn: sn, mdtrt_id: mdtrtId, psn_no: PSN, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: `X${sn}`, medins_list_codg: `Y${sn}`, medins_list_name: `项目${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, chrgitm_lv: lv, ...extra });
    await ok('2301', { feedetail: [row('F1', 30000.5, '01'), row('F2', 19999.5, '02', { selfpay_prop: 0.1 })] });
    await ok('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: PSN, endtime: '2024-03-10 10:00:00', dscg_way: '1' } });

    // The native split of the same bill, before anything is settled (a preview commits nothing).
    const preview = asSplit((await call(gw.url, '/v1/settlements/preview', { token: TOKENS.deskA, body: {
      settlementId: 'ZY-JOURNEY-PREVIEW', hospital: { id: HOSPITAL_A, region: '990100', level: 3, drgPublic: true },
      patient: { id: CERT, insuredRegion: '990100', scheme: 'resident', categories: ['dibao'] },
      encounter: { kind: 'inpatient', admittedOn: '2024-03-01', dischargedOn: '2024-03-10', diagnoses: [{ icd10: 'C34.900', primary: true }] },
      items: [{ code: 'XF1', name: '项目F1', amount: '30000.50', class: 'A' }, { code: 'XF2', name: '项目F2', amount: '19999.50', class: 'B', selfPayRatio: '0.1' }],
    } })).json);
    const layer = (name: string) => preview.lines.filter((l) => l.layer === name).reduce((sum, l) => sum + Math.round(Number(l.amount) * 100), 0);
    const yuan = (fen: number) => (fen / 100).toFixed(2);
    const expected = {
      medfee_sumamt: preview.total, inscp_scp_amt: preview.compliant, hifp_pay: yuan(layer('basic')), hifmi_pay: yuan(layer('majorIllness')),
      hosp_part_amt: yuan(layer('waiver')), maf_pay: yuan(layer('aid')), psn_part_amt: preview.patientPays,
    };
    expect(Number(expected.maf_pay)).toBeGreaterThan(0);
    const amountsOf = (setlinfo: Row) => Object.fromEntries(Object.keys(expected).map((k) => [k, text(setlinfo[k])]));
    const settleInput = { data: { psn_no: PSN, mdtrt_cert_type: '02', mdtrt_cert_no: CERT, medfee_sumamt: 50000, psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } };

    expect(amountsOf((await ok('2303', settleInput)).setlinfo as Row)).toEqual(expected);
    // 2304, its answer lost on the way back: the HIS takes it back by 2601 and settles again.
    const lostMsgid = `${HOSPITAL_A}LOST0001`;
    const lost = (await ok('2304', settleInput, lostMsgid)).setlinfo as Row;
    expect(String((await send('2601', { data: { psn_no: PSN, omsgid: lostMsgid, oinfno: '2304' } })).answer.infcode)).toBe('0');
    const settled = (await ok('2304', settleInput)).setlinfo as Row;
    expect(amountsOf(settled)).toEqual(expected);
    expect(settled.setl_id).not.toBe(lost.setl_id);
    // 5203 answers the settlement as 2304 did; 2305 reverses it.
    const queried = await ok('5203', { data: { psn_no: PSN, setl_id: settled.setl_id, mdtrt_id: mdtrtId } });
    expect(amountsOf(queried.setlinfo as Row)).toEqual(expected);
    const reversed = (await ok('2305', { data: { mdtrt_id: mdtrtId, setl_id: settled.setl_id, psn_no: PSN } })).setlinfo as Row;
    expect(text(reversed.medfee_sumamt)).toBe('-50000.00');

    // 对账: four records today (two settlements, each reversed), netting to zero.
    const totals = await ok('3201', { data: { insutype: '390', clr_type: '21', setl_optins: '990100', stmt_begndate: today(), stmt_enddate: today(), medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, fixmedins_setl_cnt: 4 } });
    expect((totals.stmtinfo as Row).stmt_rslt).toBe('0');
    // The HIS learns the lost settlement's id from 5201, then writes its detail file from the national table.
    const stays = await ok('5201', { data: { psn_no: PSN, mdtrt_id: mdtrtId } });
    const settlements = ((stays.mdtrtinfo as Row[])[0]!.ext as { settlements: Row[] }).settlements;
    expect(settlements.map((s) => s.setl_id)).toEqual([lost.setl_id, settled.setl_id]);
    const fund = text(settled.fund_pay_sumamt);
    const lines = [lost, settled].flatMap((s) => [
      [s.setl_id, mdtrtId, PSN, '50000.00', fund, '0.00', '0'],
      [s.setl_id, mdtrtId, PSN, '-50000.00', `-${fund}`, '0.00', '1'],
    ].map((fields) => fields.join('\t')));
    const uploaded = await ok('9101', { fsUploadIn: { in: zipOne('mxdz.txt', Buffer.from(lines.join('\r\n'), 'utf8')).toString('base64'), filename: 'mxdz.txt.zip', fixmedins_code: HOSPITAL_A } });
    const statement = await ok('3202', { data: { setl_optins: '990100', file_qury_no: uploaded.file_qury_no, stmt_begndate: today(), stmt_enddate: today(), medfee_sumamt: 0, fund_pay_sumamt: 0, cash_payamt: 0, fixmedins_setl_cnt: 4 } });
    expect((statement.stmtinfo as Row).stmt_rslt).toBe('0');
    const download = await send('9102', { fsDownloadIn: { file_qury_no: (statement.fileinfo as Row).file_qury_no, filename: 'plc', fixmedins_code: HOSPITAL_A } });
    const result = unzipOne(download.file!, 1 << 20, 'result').content.toString('utf8').trim().split('\r\n').map((l) => l.split('\t'));
    expect(result).toHaveLength(4);
    expect(result.map((r) => [r[2], r[4], r[5]]).sort()).toEqual([[lost.setl_id, '0', '0'], [lost.setl_id, '0', '1'], [settled.setl_id, '0', '0'], [settled.setl_id, '0', '1']].sort());
  });
});
