/**
 * The national 3202 over sockets: the HIS packs its detail file (a tab-separated text file in a zip, made here by
 * Python's zipfile, not by the gateway's code), uploads it by 9101, sends 3202 with its file_qury_no and fetches the
 * result file by 9102; the gateway's own 3202 form still answers beside it. Bounded sizes and clear Chinese errors for
 * a bad file; a file is its hospital's only. And the zip reader against another implementation, a bomb and bad CRCs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipOne, zipOne } from '../../../adapters/nhsa/calls/files-zip.js';
import { FILE_MAX_BYTES } from '../../../adapters/nhsa/files.js';
import { call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { requestBody } from '../../support/requests.js';
import { envelope, nhsa } from './support.js';

type Row = Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), 'nhsa-files-'));

/** A zip as another implementation packs it (Python's zipfile, deflated). */
function pythonZip(name: string, content: Buffer): Buffer {
  const source = join(dir, `src-${Math.random()}`);
  const target = join(dir, `out-${Math.random()}.zip`);
  writeFileSync(source, content);
  execFileSync('python3', ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[2], sys.argv[3])', target, source, name]);
  return readFileSync(target);
}
/** The one file of a zip, read by Python's zipfile. */
function pythonUnzip(zip: Buffer): { name: string; text: string } {
  const file = join(dir, `in-${Math.random()}.zip`);
  writeFileSync(file, zip);
  const out = execFileSync('python3', ['-c', 'import sys, zipfile, json\nz = zipfile.ZipFile(sys.argv[1])\nn = z.namelist()[0]\nprint(json.dumps({"name": n, "text": z.read(n).decode("utf-8")}))', file], { encoding: 'utf8' });
  const parsed: unknown = JSON.parse(out);
  if (typeof parsed !== 'object' || parsed === null || !('name' in parsed) || !('text' in parsed)) throw new Error('unreadable');
  return { name: String(parsed.name), text: String(parsed.text) };
}

describe('the zip of 9101/9102', () => {
  it('reads what Python packs and packs what Python reads', () => {
    const text = Buffer.from('结算\t明细\r\n'.repeat(500), 'utf8');
    expect(unzipOne(pythonZip('mx.txt', text), 1 << 20, 'f')).toEqual({ name: 'mx.txt', content: text });
    expect(pythonUnzip(zipOne('结果.txt', text))).toEqual({ name: '结果.txt', text: text.toString('utf8') });
  });

  it('refuses a bomb at the limit, a changed byte (CRC), and what is not a zip, in Chinese', () => {
    const bomb = pythonZip('zeros.txt', Buffer.alloc(8 << 20));
    expect(bomb.length).toBeLessThan(64 << 10);
    expect(() => unzipOne(bomb, 1 << 20, 'input.data.file_qury_no')).toThrow(`input.data.file_qury_no：文件解压后 ${8 << 20} 字节，超过 1048576 字节上限`);
    const zip = zipOne('a.txt', Buffer.from('abcdefgh'.repeat(100)));
    const changed = Buffer.from(zip); changed.writeUInt8(changed.readUInt8(40) ^ 0x55, 40);
    expect(() => unzipOne(changed, 1 << 20, 'f')).toThrow('f：文件不是有效的 zip 压缩包');
    expect(() => unzipOne(Buffer.from('setl_id\tmdtrt_id'), 1 << 20, 'f')).toThrow('找不到目录结尾');
  });
});

const chinaDay = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

let gw: TestGateway;
const settled: Array<{ setl_id: string; psn_no: string; mdtrt_id: string; medfee_sumamt: string; fund_pay_sumamt: string }> = [];
beforeAll(async () => {
  gw = await startTestGateway({ BODY_LIMIT_BYTES: String(8 * 1024 * 1024) });
  for (const [i, amount] of ['50000.00', '1234.56'].entries()) {
    const r = await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: `ZY-FILES-${i}`, patient: { id: `99010019800101${2000 + i}` }, items: [{ code: 'A1', name: '综合费用', amount, class: 'A' }] }), token: TOKENS.deskA });
    expect(r.status).toBe(201);
  }
  // The gateway's own rows (the 3202 form kept beside the national one): what the HIS would hold.
  const own = await nhsa(gw.url, '3202', { data: { stmt_begndate: chinaDay(), stmt_enddate: chinaDay() } });
  for (const r of own.answer.output.detail as Row[]) settled.push({ setl_id: String(r.setl_id), psn_no: String(r.psn_no), mdtrt_id: String(r.mdtrt_id), medfee_sumamt: String(r.medfee_sumamt), fund_pay_sumamt: String(r.fund_pay_sumamt) });
  expect(settled).toHaveLength(2);
});
afterAll(async () => { await gw.stop(); });

const upload = async (zip: Buffer, o: { asBytes?: boolean; token?: string; hospital?: string } = {}) =>
  nhsa(gw.url, '9101', { fsUploadIn: { in: o.asBytes ? [...zip].map((b) => (b > 127 ? b - 256 : b)) : zip.toString('base64'), filename: 'mxdz.txt.zip', fixmedins_code: o.hospital ?? HOSPITAL_A } }, { ...(o.token ? { token: o.token } : {}), ...(o.hospital ? { hospital: o.hospital } : {}) });

async function download(fileQuryNo: string, token = TOKENS.deskA, hospital = HOSPITAL_A) {
  const body = envelope('9102', { fsDownloadIn: { file_qury_no: fileQuryNo, filename: 'plc', fixmedins_code: hospital } }, { hospital });
  const response = await fetch(`${gw.url}/nhsa/9102`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, type: response.headers.get('content-type') ?? '', bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('national 3202: 9101 → 3202 (file_qury_no) → 9102', () => {
  it('compares the uploaded detail file and answers a result file with each settlement\'s stmt_rslt and why', async () => {
    const [a, b] = settled as [typeof settled[0], typeof settled[0]];
    const detail = [
      [a.setl_id, a.mdtrt_id, a.psn_no, a.medfee_sumamt, a.fund_pay_sumamt, '0.00', '0'],
      [b.setl_id, b.mdtrt_id, b.psn_no, '1234.50', b.fund_pay_sumamt, '0', '0'],
      ['stl_UNKNOWN000000000000000001', 'M9', '99000000000000009999', '10.00', '0', '0', '0'],
    ].map((fields) => fields.join('\t')).join('\r\n');
    const uploaded = await upload(pythonZip('mxdz.txt', Buffer.from(detail, 'utf8')));
    expect(uploaded.answer.err_msg).toBe('');
    const fileinfo = uploaded.answer.output as Row;
    expect(fileinfo.file_qury_no).toMatch(/^GW[0-9A-Z]{26}$/);
    expect(fileinfo.filename).toBe('mxdz.txt.zip');
    expect(fileinfo.dld_endtime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const statement = await nhsa(gw.url, '3202', { data: { setl_optins: '990100', file_qury_no: fileinfo.file_qury_no, stmt_begndate: chinaDay(), stmt_enddate: chinaDay(), medfee_sumamt: 51244.50, fund_pay_sumamt: 0, cash_payamt: 0, fixmedins_setl_cnt: 3 } });
    expect(statement.answer.infcode).toBe('0');
    const out = statement.answer.output as { fileinfo: Row; stmtinfo: Row };
    expect(out.stmtinfo.stmt_rslt).toBe('1');
    expect(String(out.stmtinfo.stmt_rslt_dscr)).toContain('结算笔数不符：医院 3 笔，中心 2 笔');
    expect(statement.answer.warn_msg).toContain('fund_pay_sumamt 0.00 与明细文件合计');

    const result = await download(String(out.fileinfo.file_qury_no));
    expect(result.status).toBe(200);
    expect(result.type).toContain('application/octet-stream');
    const file = pythonUnzip(result.bytes);
    expect(file.name).toBe(`${String(fileinfo.file_qury_no)}_3202_result.txt`);
    const lines = file.text.trim().split('\r\n').map((l) => l.split('\t'));
    expect(lines).toEqual([
      [a.psn_no, a.mdtrt_id, a.setl_id, expect.any(String), '0', '0', '', a.medfee_sumamt, a.fund_pay_sumamt, '0.00'],
      [b.psn_no, b.mdtrt_id, b.setl_id, expect.any(String), '1', '0', `medfee_sumamt 医院 1234.50 中心 ${b.medfee_sumamt}`, b.medfee_sumamt, b.fund_pay_sumamt, '0.00'],
      ['99000000000000009999', 'M9', 'stl_UNKNOWN000000000000000001', '', '1', '0', '中心无此结算', '10.00', '0.00', '0.00'],
    ]);
  });

  it('answers 平 for a file that matches, uploaded as a byte array (GBK text); the gateway\'s own 3202 form answers beside it', async () => {
    const detail = settled.map((s) => [s.setl_id, s.mdtrt_id, s.psn_no, s.medfee_sumamt, s.fund_pay_sumamt, '0', '0'].join('\t')).join('\n');
    const uploaded = await upload(pythonZip('明细.txt', Buffer.from(`setl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\trefd_setl_flag\n${detail}\n`, 'latin1')), { asBytes: true });
    expect(uploaded.answer.err_msg).toBe('');
    const statement = await nhsa(gw.url, '3202', { data: { file_qury_no: (uploaded.answer.output as Row).file_qury_no, stmt_begndate: chinaDay(), stmt_enddate: chinaDay() } });
    expect((statement.answer.output as { stmtinfo: Row }).stmtinfo.stmt_rslt).toBe('0');
    const own = await nhsa(gw.url, '3202', { data: { stmt_begndate: chinaDay(), stmt_enddate: chinaDay() }, detail: settled.map((s) => ({ setl_id: s.setl_id, medfee_sumamt: s.medfee_sumamt, fund_pay_sumamt: s.fund_pay_sumamt })) });
    expect((own.answer.output as { stmtinfo: Row }).stmtinfo.stmt_rslt).toBe('0');
  });

  it('refuses a bad file in Chinese, naming the line and field; a result file is not a detail file', async () => {
    const badLine = await upload(pythonZip('mx.txt', Buffer.from(`${settled[0]!.setl_id}\tM\tP\t12.345\t0\t0\t0\nonly\ttwo\n`)));
    const r1 = await nhsa(gw.url, '3202', { data: { file_qury_no: (badLine.answer.output as Row).file_qury_no, stmt_begndate: chinaDay(), stmt_enddate: chinaDay() } });
    expect(r1.answer.err_msg).toBe('input.data.file_qury_no：明细文件第 2 行应有 7 个以制表符分隔的字段（setl_id、mdtrt_id、psn_no、medfee_sumamt、fund_pay_sumamt、acct_pay、refd_setl_flag），实有 2 个');
    const badAmount = await upload(pythonZip('mx.txt', Buffer.from(`\n${settled[0]!.setl_id}\tM\tP\t12.345\t0\t0\t0\n`)));
    const r2 = await nhsa(gw.url, '3202', { data: { file_qury_no: (badAmount.answer.output as Row).file_qury_no, stmt_begndate: chinaDay(), stmt_enddate: chinaDay() } });
    expect(r2.answer.err_msg).toBe('input.data.file_qury_no：明细文件第 2 行.medfee_sumamt：金额格式不正确（最多两位小数）');
    const notZip = await upload(Buffer.from('setl_id\tmdtrt_id'));
    const r3 = await nhsa(gw.url, '3202', { data: { file_qury_no: (notZip.answer.output as Row).file_qury_no, stmt_begndate: chinaDay(), stmt_enddate: chinaDay() } });
    expect(r3.answer.err_msg).toBe('input.data.file_qury_no：文件不是有效的 zip 压缩包（找不到目录结尾）');
    const matched = await upload(pythonZip('mx.txt', Buffer.from(settled.map((s) => [s.setl_id, s.mdtrt_id, s.psn_no, s.medfee_sumamt, s.fund_pay_sumamt, '0', '0'].join('\t')).join('\n'))));
    const statement = await nhsa(gw.url, '3202', { data: { file_qury_no: (matched.answer.output as Row).file_qury_no, stmt_begndate: chinaDay(), stmt_enddate: chinaDay() } });
    const resultNo = String(((statement.answer.output as { fileinfo: Row }).fileinfo).file_qury_no);
    expect((await nhsa(gw.url, '3202', { data: { file_qury_no: resultNo, stmt_begndate: chinaDay(), stmt_enddate: chinaDay() } })).answer.err_msg).toContain('是对账结果文件，不是上传（9101）的明细文件');
  });

  it('bounds the upload and keeps a file its hospital\'s: another hospital, or an unknown number, is told it does not exist', async () => {
    const big = await upload(Buffer.alloc(FILE_MAX_BYTES + 1, 1));
    expect(big.answer.err_msg).toBe(`input.fsUploadIn.in：文件 ${FILE_MAX_BYTES + 1} 字节，超过 ${FILE_MAX_BYTES} 字节上限`);
    expect((await upload(Buffer.alloc(0))).answer.err_msg).toBe('input.fsUploadIn.in：必填项缺失（文件为空）');
    expect((await nhsa(gw.url, '9101', { fsUploadIn: { in: { a: 1 }, filename: 'a.zip', fixmedins_code: HOSPITAL_A } })).answer.err_msg).toBe('input.fsUploadIn.in：文件数据应为 base64 文本或字节数组');
    expect((await nhsa(gw.url, '9101', { fsUploadIn: { in: [1, 300], filename: 'a.zip', fixmedins_code: HOSPITAL_A } })).answer.err_msg).toBe('input.fsUploadIn.in[1]：字节值应为 -128 至 255 的整数');
    expect((await nhsa(gw.url, '9101', { fsUploadIn: { in: 'AAAA', filename: '../a.zip', fixmedins_code: HOSPITAL_A } })).answer.err_msg).toContain('input.fsUploadIn.filename：文件名不得含路径分隔符');
    const mine = await upload(zipOne('a.txt', Buffer.from('x')));
    const fileQuryNo = String((mine.answer.output as Row).file_qury_no);
    expect((await download(fileQuryNo)).bytes.equals(zipOne('a.txt', Buffer.from('x')))).toBe(true);
    const foreign = await download(fileQuryNo, TOKENS.admin, 'H99000000002');
    expect(foreign.type).toContain('application/json');
    expect(foreign.bytes.toString('utf8')).toContain(`input.fsDownloadIn.file_qury_no：文件查询号 ${fileQuryNo} 不存在或已过下载截止时间`);
    const mismatch = await nhsa(gw.url, '9102', { fsDownloadIn: { file_qury_no: fileQuryNo, fixmedins_code: 'H99000000002' } });
    expect(mismatch.answer.err_msg).toBe('input.fsDownloadIn.fixmedins_code：医药机构编号 H99000000002 与报文头 fixmedins_code H99000000001 不一致');
  });
});
