/**
 * A 2304 whose ledger write left but whose answer never came (or came after the request timeout): the
 * gateway cannot know whether the stay was settled, so the national interface must not answer a definite
 * "结算失败" and must not remember any answer under the msgid. The HIS retries with the same msgid, as the
 * interface tells it to, and the retry answers the truth (README "Timeouts and commits"). Before the fix the
 * failure was remembered: every retry answered "-1 结算失败" for a stay the ledger — and so the 医保 platform
 * and the insurers — held as settled, and a clerk could collect the whole bill from the patient in cash.
 * And a 2304 the ledger refused whole (a full Redis): "temporarily unavailable", nothing remembered, the retry settles.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
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

/** Applies the first commit, then loses its answer (the connection dropped). */
class LostAnswerLedger extends MemoryLedger {
  private lost = 0;
  override async commit(record: NewSettlement, expectedVersion: number, event: OutboxEventHead, guard?: WriteGuard): Promise<CommitOutcome> {
    const outcome = await super.commit(record, expectedVersion, event, guard);
    if (this.lost++ === 0) throw new Error('Connection is closed.');
    return outcome;
  }
}

/** Applies the first commit at once and holds its answer past the request timeout. */
class LateAnswerLedger extends MemoryLedger {
  private late = 0;
  override async commit(record: NewSettlement, expectedVersion: number, event: OutboxEventHead, guard?: WriteGuard): Promise<CommitOutcome> {
    const outcome = await super.commit(record, expectedVersion, event, guard);
    if (this.late++ === 0) await new Promise((resolve) => setTimeout(resolve, 600));
    return outcome;
  }
}

const HOSPITAL = 'H99000000001';
const PSN = '99000000000000005555';
const CERT = '990100198001015555';

async function startApp(ledger: MemoryLedger, requestTimeoutMs: number) {
  const programmes = loadProgrammes();
  const service = new SettlementService({ ledger, programmes });
  const metrics = createMetrics();
  const log = createLogger('silent');
  const part = await startNhsa({ config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), ledger, service, programmes, metrics, log, bus: new MemoryBus(), mapping: { topics: topics(''), source: 'urn:test', audiences: [] }, store: new MemoryStore() });
  const app = createApp({ service, ledger, programmes, clients: [DEV_CLIENT], metrics, extensions: [part.extension!], log, bodyLimitBytes: 1 << 20, requestTimeoutMs, readiness: [], version: 'test' });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, stop: async () => { await part.stop?.(); await new Promise((resolve) => server.close(resolve)); } };
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => { await stop?.(); stop = undefined; });

describe.each([
  ['its answer is lost (the connection dropped)', () => new LostAnswerLedger(), 10_000, 200],
  ['its answer comes after the request timeout', () => new LateAnswerLedger(), 300, 504],
] as const)('a 2304 whose ledger write left and %s', (_what, newLedger, requestTimeoutMs, firstStatus) => {
  it('answers "outcome unknown", remembers nothing under the msgid, and the retry with it answers the settlement', async () => {
    const ledger = newLedger();
    const app = await startApp(ledger, requestTimeoutMs);
    stop = app.stop;
    const post = async (infno: string, input: unknown, msgid?: string) => {
      const body = envelope(infno, input, { hospital: HOSPITAL, ...(msgid ? { msgid } : {}) });
      const r = await call(app.url, `/nhsa/${infno}`, { body, token: 'dev-token' });
      return { msgid: body.msgid, status: r.status, answer: readNational(r.text) as { infcode: string; err_msg: string; output: Record<string, unknown> } };
    };
    const admitted = await post('2401', {
      mdtrtinfo: { psn_no: PSN, insutype: '390', begntime: '2024-03-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: CERT, med_type: '21', ipt_no: 'ZY5555', dscg_maindiag_code: 'C34.900' },
      ext: { hosp_lv: 3, categories: ['dibao'], psn_name: '张三' },
    });
    expect(admitted.answer.infcode).toBe('0');
    const mdtrtId = (admitted.answer.output.result as Record<string, string>).mdtrt_id!;
    expect((await post('2301', { feedetail: [{ feedetl_sn: 'F1', mdtrt_id: mdtrtId, psn_no: PSN, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'X1', medins_list_codg: 'Y1', det_item_fee_sumamt: '10000.00', cnt: 1, pric: '10000.00', chrgitm_lv: '01' }] })).answer.infcode).toBe('0');
    expect((await post('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: PSN, endtime: '2024-03-09 10:00:00', dscg_way: '1' } })).answer.infcode).toBe('0');

    const data = { psn_no: PSN, mdtrt_cert_type: '02', mdtrt_cert_no: CERT, medfee_sumamt: '10000.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' };
    const first = await post('2304', { data });
    expect(first.status).toBe(firstStatus);
    expect(first.answer).toMatchObject({ infcode: '-1', err_msg: OUTCOME_UNKNOWN_TEXT });
    await new Promise((resolve) => setTimeout(resolve, 700)); // the late answer has come in
    const record = await ledger.getSettlement(HOSPITAL, mdtrtId);
    expect(record?.status).toBe('settled');
    const retry = await post('2304', { data }, first.msgid);
    expect(retry.answer.infcode, `retry answered: ${retry.answer.err_msg}`).toBe('0');
    expect((retry.answer.output.setlinfo as Record<string, string>).setl_id).toBe(record!.gatewayId);
  });
});

/** Refuses the first commit as a full Redis does (OOM under noeviction: nothing written), then commits. */
class FullOnceLedger extends MemoryLedger {
  private refused = 0;
  override async commit(record: NewSettlement, expectedVersion: number, event: OutboxEventHead, guard?: WriteGuard): Promise<CommitOutcome> {
    if (this.refused++ === 0) throw Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'. script: 83e1d8f7, on @user_script:45."), { name: 'ReplyError' });
    return super.commit(record, expectedVersion, event, guard);
  }
}

describe('a 2304 the ledger refuses as full', () => {
  it('answers "temporarily unavailable" (not an internal error), remembers nothing, and the retry with the msgid settles', async () => {
    const ledger = new FullOnceLedger();
    const app = await startApp(ledger, 10_000);
    stop = app.stop;
    const post = async (infno: string, input: unknown, msgid?: string) => {
      const body = envelope(infno, input, { hospital: HOSPITAL, ...(msgid ? { msgid } : {}) });
      const r = await call(app.url, `/nhsa/${infno}`, { body, token: 'dev-token' });
      return { msgid: body.msgid, answer: readNational(r.text) as { infcode: string; err_msg: string; output: Record<string, unknown> } };
    };
    const admitted = await post('2401', {
      mdtrtinfo: { psn_no: PSN, insutype: '390', begntime: '2024-03-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: CERT, med_type: '21', ipt_no: 'ZY5556', dscg_maindiag_code: 'C34.900' },
      ext: { hosp_lv: 3, categories: ['dibao'], psn_name: '张三' },
    });
    const mdtrtId = (admitted.answer.output.result as Record<string, string>).mdtrt_id!;
    expect((await post('2301', { feedetail: [{ feedetl_sn: 'F1', mdtrt_id: mdtrtId, psn_no: PSN, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'X1', medins_list_codg: 'Y1', det_item_fee_sumamt: '10000.00', cnt: 1, pric: '10000.00', chrgitm_lv: '01' }] })).answer.infcode).toBe('0');
    expect((await post('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: PSN, endtime: '2024-03-09 10:00:00', dscg_way: '1' } })).answer.infcode).toBe('0');
    const data = { psn_no: PSN, mdtrt_cert_type: '02', mdtrt_cert_no: CERT, medfee_sumamt: '10000.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' };
    const first = await post('2304', { data });
    expect(first.answer).toMatchObject({ infcode: '-1', err_msg: expect.stringContaining('暂时不可用') });
    expect(await ledger.getSettlement(HOSPITAL, mdtrtId)).toBeNull();
    const retry = await post('2304', { data }, first.msgid);
    expect(retry.answer.infcode, `retry answered: ${retry.answer.err_msg}`).toBe('0');
  });
});
