/**
 * 2601 冲正 over sockets: 2301, 2302, 2304 and 2305 taken back by omsgid/oinfno, idempotently, with its own record —
 * above all a 2304 whose answer the HIS lost: after the 2601 the stay is not settled (the settlement is reversed in the
 * ledger), so the HIS, which believes it undone, may settle it again.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNhsa } from '../../../adapters/nhsa/index.js';
import { OUTCOME_UNKNOWN_TEXT } from '../../../adapters/nhsa/fault.js';
import { readNational } from '../../../adapters/nhsa/wire.js';
import { loadConfig } from '../../../gateway/config.js';
import { createApp } from '../../../gateway/http/app.js';
import { DEV_CLIENT } from '../../../gateway/http/auth.js';
import { createMetrics } from '../../../gateway/http/metrics.js';
import { MemoryLedger } from '../../../gateway/ledger/memory.js';
import type { CommitOutcome, OutboxEventHead, NewSettlement, WriteGuard } from '../../../gateway/ledger/port.js';
import { createLogger } from '../../../gateway/log.js';
import { loadProgrammes } from '../../../gateway/programmes/load.js';
import { SettlementService } from '../../../gateway/service/settlements.js';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';
import { MemoryBus } from '../../../gateway/stream/memory-bus.js';
import { topics } from '../../../gateway/stream/topics.js';
import { call } from '../../support/gateway.js';
import { envelope } from './support.js';
import { Stays } from '../../../adapters/nhsa/stays.js';

type Row = Record<string, string>;
interface Answer { infcode: string; err_msg: string; warn_msg: string; output: Record<string, unknown> }

/** Commits, then loses the answer of the next commit once armed (the connection dropped after the write left). */
class LosingLedger extends MemoryLedger {
  armed = false;
  override async commit(record: NewSettlement, expectedVersion: number, event: OutboxEventHead, guard?: WriteGuard): Promise<CommitOutcome> {
    const outcome = await super.commit(record, expectedVersion, event, guard);
    if (this.armed) { this.armed = false; throw new Error('Connection is closed.'); }
    return outcome;
  }
}

const HOSPITAL = 'H99000000001';
const ledger = new LosingLedger();
const store = new MemoryStore();
let url = '';
let stop: () => Promise<void>;
beforeAll(async () => {
  const programmes = loadProgrammes();
  const service = new SettlementService({ ledger, programmes });
  const metrics = createMetrics();
  const log = createLogger('silent');
  const part = await startNhsa({ config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), ledger, service, programmes, metrics, log, bus: new MemoryBus(), mapping: { topics: topics(''), source: 'urn:test', audiences: [] }, store });
  const app = createApp({ service, ledger, programmes, clients: [DEV_CLIENT], metrics, extensions: [part.extension!], log, bodyLimitBytes: 1 << 20, requestTimeoutMs: 10_000, readiness: [], version: 'test' });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  stop = async () => { await part.stop?.(); await new Promise((resolve) => server.close(resolve)); };
});
afterAll(async () => { await stop(); });

let msgSeq = 0;
async function post(infno: string, input: unknown, msgid = `M2601${Date.now().toString(36)}${String(++msgSeq).padStart(5, '0')}`) {
  const body = envelope(infno, input, { hospital: HOSPITAL, msgid });
  const r = await call(url, `/nhsa/${infno}`, { body, token: 'dev-token' });
  return { msgid, answer: readNational(r.text) as Answer };
}

let personSeq = 0;
/** A person admitted and with one 10000.00 甲类 row (F1) uploaded under the answered msgid; discharged when asked. */
async function admitted(o: { discharge?: boolean } = {}) {
  const n = String(++personSeq).padStart(4, '0');
  const p = { psn: `9900000000000026${n}`, cert: `99010019800126${n}` };
  const a = await post('2401', { mdtrtinfo: { psn_no: p.psn, insutype: '390', begntime: '2024-03-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.cert, med_type: '21', ipt_no: `ZY26${n}`, dscg_maindiag_code: 'C34.900' }, ext: { hosp_lv: 3, categories: ['dibao'] } });
  expect(a.answer.err_msg).toBe('');
  const mdtrtId = (a.answer.output.result as Row).mdtrt_id!;
  const upload = await post('2301', { feedetail: [row('F1', p.psn, mdtrtId)] });
  expect(upload.answer.err_msg).toBe('');
  if (o.discharge) expect((await post('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: p.psn, endtime: '2024-03-09 10:00:00', dscg_way: '1' } })).answer.err_msg).toBe('');
  return { ...p, mdtrtId, uploadMsgid: upload.msgid };
}
const row = (sn: string, psn: string, mdtrtId: string, amount = '10000.00') => ({ feedetl_sn: sn, mdtrt_id: mdtrtId, psn_no: psn, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: `X${sn}`, medins_list_codg: `Y${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, chrgitm_lv: '01' });
const settleData = (p: { psn: string; cert: string; mdtrtId: string }, amount = '10000.00') => ({ data: { psn_no: p.psn, mdtrt_cert_type: '02', mdtrt_cert_no: p.cert, medfee_sumamt: amount, psn_setlway: '01', mdtrt_id: p.mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } });
const correct = (psn: string, omsgid: string, oinfno: string) => post('2601', { data: { psn_no: psn, omsgid, oinfno } });

describe('2601 冲正', () => {
  it('takes back a 2301: its rows are gone, the original msgid is refused from then on, a second 2601 answers what was done', async () => {
    const p = await admitted();
    const first = await correct(p.psn, p.uploadMsgid, '2301');
    expect(first.answer).toMatchObject({ infcode: '0', warn_msg: '已删除该报文上传的费用明细 1 条' });
    // F1 is no longer there: it uploads again.
    expect((await post('2301', { feedetail: [row('F1', p.psn, p.mdtrtId)] })).answer.err_msg).toBe('');
    const again = await post('2301', { feedetail: [row('F1', p.psn, p.mdtrtId)] }, p.uploadMsgid);
    expect(again.answer.err_msg).toContain(`报文ID ${p.uploadMsgid} 的交易已冲正（2601 报文ID ${first.msgid}）`);
    const second = await correct(p.psn, p.uploadMsgid, '2301');
    expect(second.answer).toMatchObject({ infcode: '0', warn_msg: `该交易已冲正（2601 报文ID ${first.msgid}）：已删除该报文上传的费用明细 1 条` });
  });

  it('takes back a 2302: the revoked row is back', async () => {
    const p = await admitted();
    const revoked = await post('2302', { data: { feedetl_sn: 'F1', mdtrt_id: p.mdtrtId, psn_no: p.psn } });
    expect(revoked.answer.err_msg).toBe('');
    expect((await correct(p.psn, revoked.msgid, '2302')).answer.warn_msg).toBe('已恢复该报文撤销的费用明细 1 条');
    expect((await post('2301', { feedetail: [row('F1', p.psn, p.mdtrtId)] })).answer.err_msg).toContain('费用明细流水号 F1 已上传');
  });

  it('takes back a 2304 whose answer the HIS lost: the settlement is reversed, and the stay settles again', async () => {
    const p = await admitted({ discharge: true });
    ledger.armed = true;
    const lost = await post('2304', settleData(p));
    expect(lost.answer.err_msg).toBe(OUTCOME_UNKNOWN_TEXT);
    expect((await ledger.getSettlement(HOSPITAL, p.mdtrtId))?.status).toBe('settled');

    const corrected = await correct(p.psn, lost.msgid, '2304');
    expect(corrected.answer.infcode).toBe('0');
    expect(corrected.answer.warn_msg).toMatch(/^已撤销该报文办理的结算（setl_id=stl_\w+），该就诊可重新结算$/);
    expect((await ledger.getSettlement(HOSPITAL, p.mdtrtId))?.status).toBe('reversed');
    // The HIS, which believes nothing was settled, settles again: a new settlement of the stay.
    const again = await post('2304', settleData(p));
    expect(again.answer.err_msg).toBe('');
    expect((await ledger.getSettlement(HOSPITAL, `${p.mdtrtId}-2`))?.status).toBe('settled');
    // The lost 2304's msgid is spent: its retry is refused, never a second settlement.
    expect((await post('2304', settleData(p), lost.msgid)).answer.err_msg).toContain('已冲正');
  });

  it('takes back an answered 2304 the same way', async () => {
    const p = await admitted({ discharge: true });
    const settled = await post('2304', settleData(p));
    expect(settled.answer.err_msg).toBe('');
    expect((await correct(p.psn, settled.msgid, '2304')).answer.infcode).toBe('0');
    expect((await ledger.getSettlement(HOSPITAL, p.mdtrtId))?.status).toBe('reversed');
  });

  it('spends the msgid of a call never received: the original, arriving late, is refused and settles nothing', async () => {
    const p = await admitted({ discharge: true });
    const never = `NEVER${Date.now().toString(36)}`;
    const corrected = await correct(p.psn, never, '2304');
    expect(corrected.answer).toMatchObject({ infcode: '0', warn_msg: '原交易未在本网关办理：已登记冲正，该报文ID 的交易此后不再办理' });
    const late = await post('2304', settleData(p), never);
    expect(late.answer.infcode).toBe('-1');
    expect(await ledger.getSettlement(HOSPITAL, p.mdtrtId)).toBeNull();
  });

  it('takes back a 2305: the stay is settled again from the reversed settlement\'s own request, with the same figures', async () => {
    const p = await admitted({ discharge: true });
    const settled = await post('2304', settleData(p));
    const setlinfo = settled.answer.output.setlinfo as Row;
    const reversal = await post('2305', { data: { mdtrt_id: p.mdtrtId, setl_id: setlinfo.setl_id, psn_no: p.psn } });
    expect(reversal.answer.err_msg).toBe('');
    const corrected = await correct(p.psn, reversal.msgid, '2305');
    expect(corrected.answer.warn_msg).toMatch(new RegExp(`^原结算（setl_id=${setlinfo.setl_id}）的撤销已冲正：已按原费用重新结算，新结算ID stl_\\w+，金额与原结算一致$`));
    const resettled = await ledger.getSettlement(HOSPITAL, `${p.mdtrtId}-2`);
    expect(resettled?.status).toBe('settled');
    // The stay is settled again: a 2304 finds it settled.
    expect((await post('2304', settleData(p))).answer.err_msg).toContain('该就诊已结算');
  });

  it('refuses a 2601 of a transaction it does not take back, or of another infno than the msgid did', async () => {
    const p = await admitted();
    expect((await correct(p.psn, p.uploadMsgid, '2401')).answer.err_msg).toBe('input.data.oinfno：交易 2401 不支持冲正（支持 2301、2302、2304、2305）');
    expect((await correct(p.psn, p.uploadMsgid, '2302')).answer.err_msg).toBe(`input.data.oinfno：报文 ${p.uploadMsgid} 办理的是 2301，不是 2302`);
    // Nothing was recorded by the refused 2601s: the right one goes through.
    expect((await correct(p.psn, p.uploadMsgid, '2301')).answer.infcode).toBe('0');
  });
});

describe('what an earlier release stored, which checked neither control characters nor the calendar', () => {
  it('is refused at 2304 naming the row and its field, not the row alone', async () => {
    const p = await admitted({ discharge: true });
    // Written straight into the store, as the release before this one let 2301 write it.
    expect(await new Stays(store).addRow({ ...row('F9', p.psn, p.mdtrtId, '100.00'), det_item_fee_sumamt: 10_000, cnt: '1', chrgitm_lv: '01', medins_list_name: '药\u202E品' }, Date.now() * 1000)).toBe(true);
    const refused = await post('2304', settleData(p, '10100.00'));
    expect(refused.answer.err_msg).toBe('结算数据不符合要求：input.feedetail（feedetl_sn=F9）.medins_list_name');
  });

  it('reads a stay and a row it stored with a day that does not exist (the calendar was not checked then)', async () => {
    const p = await admitted();
    const stays = new Stays(store);
    const stay = await stays.get(p.mdtrtId, HOSPITAL, 'test');
    await stays.save({ ...stay, mdtrtinfo: { ...stay.mdtrtinfo, begntime: '2024-02-30 08:00:00' } });
    expect(await stays.addRow({ ...row('F8', p.psn, p.mdtrtId, '1.00'), det_item_fee_sumamt: 100, cnt: '1', chrgitm_lv: '01', fee_ocur_time: '2024-02-30 10:00:00' }, Date.now() * 1000)).toBe(true);
    const found = await post('5201', { data: { psn_no: p.psn, mdtrt_id: p.mdtrtId } });
    expect(found.answer.err_msg).toBe('');
    expect((found.answer.output.mdtrtinfo as Row[])[0]!.begntime).toBe('2024-02-30 08:00:00');
    expect((await post('5204', { data: { psn_no: p.psn, mdtrt_id: p.mdtrtId } })).answer.err_msg).toBe('');
  });
});
