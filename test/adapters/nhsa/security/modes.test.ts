/**
 * The region's security over real sockets: the gateway over HTTP in each mode, a HIS client (test/support/nhsa-his.ts,
 * written from the README) signing with its own key; refusals with infcode -1, a Chinese err_msg and a stable err_code
 * (tampered, another hospital's key, clock skew, a replayed nonce or signature, an input that does not decrypt); a
 * re-signed retry of a msgid answers the stored answer; delivery to a mock platform that checks the gateway's seal.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecurity } from '../../../../adapters/nhsa/security/config.js';
import { paasSignature } from '../../../../adapters/nhsa/security/envelope-security.js';
import { sm2PrivateKeyOf, sm2PublicKeyOf, sm2SignatureDer, sm2Verify } from '../../../../adapters/nhsa/security/sm2.js';
import { call, HOSPITAL_A, HOSPITAL_B, startTestGateway, TOKENS, type TestGateway } from '../../../support/gateway.js';
import { HisClient, sm2KeyPair, sm4, textToSign, type Mode } from '../../../support/nhsa-his.js';
import { startMockPlatform, type MockPlatform } from '../../../support/nhsa-platform.js';
import { requestBody } from '../../../support/requests.js';
import { envelope } from '../support.js';

type Json = Record<string, unknown>;
type Row = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'nhsa-security-'));
const file = (name: string, text: string) => { const path = join(dir, name); writeFileSync(path, text); return path; };

// The gateway's key as PEM (PKCS#8, as OpenSSL writes it); the HISes' as hex, as regions often hand them out.
const gatewayPem = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const gatewayPoint = sm2PrivateKeyOf(gatewayPem).publicKey;
const gatewayPublicHex = `04${gatewayPoint.x.toString(16).padStart(64, '0')}${gatewayPoint.y.toString(16).padStart(64, '0')}`;
const hisA = sm2KeyPair();
const hisB = sm2KeyPair();
const sm4A = randomBytes(16);
const sm4B = randomBytes(16);
const sm4Platform = randomBytes(16);
// Secrets by reference: files, and one environment variable.
process.env.NHSA_TEST_SM4_A = sm4A.toString('hex');
process.env.NHSA_TEST_PAAS_A = 'paas-token-of-hospital-a';

function securityFile(mode: Mode): string {
  const hospitals = {
    [HOSPITAL_A]: { paasId: 'his-a', paasToken: { env: 'NHSA_TEST_PAAS_A' }, publicKey: { file: file('his-a.pub', hisA.publicHex) }, sm4Key: { env: 'NHSA_TEST_SM4_A' } },
    [HOSPITAL_B]: { paasId: 'his-b', paasToken: { file: file('paas-b', 'paas-token-of-hospital-b\n') }, publicKey: { file: file('his-b.pub', hisB.publicHex) }, sm4Key: { file: file('sm4-b', sm4B.toString('hex')) } },
  };
  return file(`security-${mode}.json`, JSON.stringify({
    mode, maxSkewSeconds: 120, gateway: { privateKey: { file: file('gateway.pem', gatewayPem) } }, hospitals,
    platform: { paasId: 'gw-990100', paasToken: { file: file('paas-platform', 'paas-token-of-the-platform') }, sm4Key: { file: file('sm4-platform', sm4Platform.toString('hex')) } },
  }));
}

/** Now as inf_time (China time). */
const chinaTime = (date = new Date()) => new Date(date.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const nationalCall = (infno: string, input: unknown, o: { hospital?: string; msgid?: string; at?: Date } = {}): Json =>
  ({ ...envelope(infno, input, { ...(o.hospital ? { hospital: o.hospital } : {}), ...(o.msgid ? { msgid: o.msgid } : {}) }), inf_time: chinaTime(o.at) });

async function post(url: string, infno: string, sealed: { body: string; headers: Record<string, string> }, token = TOKENS.deskA) {
  const response = await fetch(`${url}/nhsa/${infno}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...sealed.headers }, body: sealed.body });
  return { status: response.status, text: await response.text(), replay: response.headers.get('idempotent-replay') };
}

/** 3201 of an empty period: a call that reads the ledger and refuses nothing. */
const totals = { data: { stmt_begndate: '2001-01-01', stmt_enddate: '2001-01-31', medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, fixmedins_setl_cnt: 0 } };

const his = (mode: Mode, overrides: Partial<ConstructorParameters<typeof HisClient>[0]> = {}) =>
  new HisClient({ mode, privateHex: hisA.privateHex, sm4Key: sm4A, paasId: 'his-a', paasToken: 'paas-token-of-hospital-a', gatewayPublicHex, ...overrides });

function refused(r: { status: number; text: string }, code: string, text: string) {
  expect(r.status).toBe(401);
  const answer = parse(r.text) as Json;
  expect(String(answer.infcode)).toBe('-1');
  expect(answer.err_code).toBe(code);
  expect(String(answer.err_msg)).toContain(text);
}

let none: TestGateway;
let sm2: TestGateway;
let sm2sm4: TestGateway;
let paas: TestGateway;
beforeAll(async () => {
  [none, sm2, sm2sm4, paas] = await Promise.all([
    startTestGateway(),
    startTestGateway({ NHSA_SECURITY_FILE: securityFile('sm2') }),
    startTestGateway({ NHSA_SECURITY_FILE: securityFile('sm2-sm4') }),
    startTestGateway({ NHSA_SECURITY_FILE: securityFile('paas-headers') }),
  ]);
});
afterAll(async () => { await Promise.all([none, sm2, sm2sm4, paas].map((g) => g.stop())); });

describe('sm2-sm4: SM2-signed envelopes, SM4-encrypted input and output', () => {
  const client = his('sm2-sm4');
  const send = async (infno: string, input: unknown, o: { msgid?: string } = {}) => {
    const r = await post(sm2sm4.url, infno, client.seal(nationalCall(infno, input, o)));
    const opened = client.open(r.text);
    expect(opened.verified).toBe(true);
    return { ...r, answer: opened.answer };
  };

  it('settles a stay end to end, every answer signed and its output encrypted, to the fen of the same stay without security', async () => {
    const stay = async (call: (infno: string, input: unknown) => Promise<{ answer: Json }>, psnNo: string) => {
      const admitted = await call('2401', { mdtrtinfo: { psn_no: psnNo, insutype: '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: `990100198001${psnNo.slice(-6)}`, med_type: '21', ipt_no: `ZY${psnNo.slice(-6)}`, dscg_maindiag_code: 'C34.900' }, ext: { hosp_lv: 3, psn_name: '张三' } });
      expect(admitted.answer.err_msg).toBe('');
      const mdtrtId = String((admitted.answer.output as { result: Row }).result.mdtrt_id);
      const row = (sn: string, amount: number, lv: string) => ({ feedetl_sn: sn, mdtrt_id: mdtrtId, psn_no: psnNo, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: `X${sn}`, medins_list_codg: `Y${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, chrgitm_lv: lv });
      expect((await call('2301', { feedetail: [row('F1', 30000.5, '01'), row('F2', 19999.5, '02')] })).answer.err_msg).toBe('');
      expect((await call('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psnNo, endtime: '2024-03-10 10:00:00', dscg_way: '1' } })).answer.err_msg).toBe('');
      const settled = await call('2304', { data: { psn_no: psnNo, mdtrt_cert_type: '02', mdtrt_cert_no: `990100198001${psnNo.slice(-6)}`, medfee_sumamt: 50000, psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } });
      expect(settled.answer.err_msg).toBe('');
      return (settled.answer.output as { setlinfo: Row }).setlinfo;
    };
    const sealed = await stay((infno, input) => send(infno, input), '99000000000000771001');
    const plainClient = new HisClient({ mode: 'none' });
    const plain = await stay(async (infno, input) => ({ answer: plainClient.open((await post(none.url, infno, plainClient.seal(nationalCall(infno, input)))).text).answer }), '99000000000000771001');
    for (const field of ['medfee_sumamt', 'fund_pay_sumamt', 'hifp_pay', 'hifmi_pay', 'maf_pay', 'hosp_part_amt', 'psn_part_amt', 'inscp_scp_amt']) {
      expect(String(sealed[field]), field).toBe(String(plain[field]));
    }
    expect(String(sealed.medfee_sumamt)).toBe('50000.00');
  });

  it('sends output as ciphertext: no personal data in the clear on the wire', async () => {
    const r = await post(sm2sm4.url, '3201', client.seal(nationalCall('3201', totals)));
    const wire = parse(r.text) as Json;
    expect(typeof wire.output).toBe('string');
    expect(wire.signtype).toBe('SM2');
    expect(r.text).not.toContain('stmtinfo');
    expect((client.open(r.text).answer.output as { stmtinfo: Row }).stmtinfo.stmt_rslt).toBe('0');
  });

  it('answers a re-signed retry of a msgid with its stored answer, and refuses the same bytes sent twice (NONCE_REPLAYED)', async () => {
    const call = nationalCall('3201', totals);
    const first = client.seal(call);
    const answered = await post(sm2sm4.url, '3201', first);
    expect(answered.status).toBe(200);
    refused(await post(sm2sm4.url, '3201', first), 'NONCE_REPLAYED', 'cainfo：该签名已使用过');
    // The same signature re-encoded (base64 of r‖s → hex of its DER form) is the same signature: still a replay.
    const wire = parse(first.body) as Json;
    const reencoded = sm2SignatureDer(Buffer.from(String(wire.cainfo), 'base64')).toString('hex');
    refused(await post(sm2sm4.url, '3201', { body: first.body.replace(String(wire.cainfo), reencoded), headers: {} }), 'NONCE_REPLAYED', 'cainfo：该签名已使用过');
    const retry = await post(sm2sm4.url, '3201', client.seal(call));
    expect(retry.replay).toBe('true');
    expect(client.open(retry.text).answer.output).toEqual(client.open(answered.text).answer.output);
  });

  it('refuses a tampered envelope, another hospital\'s key, an unsigned call and an input that does not decrypt', async () => {
    const sealed = client.seal(nationalCall('3201', totals));
    const tampered = { ...sealed, body: sealed.body.replace('"opter_name":"收费员"', '"opter_name":"收费员X"') };
    expect(tampered.body).not.toBe(sealed.body);
    refused(await post(sm2sm4.url, '3201', tampered), 'SIGNATURE_INVALID', 'SM2 签名与报文内容不符');
    // Hospital B's HIS key, signing a call for hospital A.
    refused(await post(sm2sm4.url, '3201', his('sm2-sm4', { privateHex: hisB.privateHex }).seal(nationalCall('3201', totals))), 'SIGNATURE_INVALID', 'SM2 签名与报文内容不符');
    refused(await post(sm2sm4.url, '3201', { body: JSON.stringify(nationalCall('3201', totals)), headers: {} }), 'SIGNATURE_INVALID', 'signtype：本地区要求 SM2 签名');
    refused(await post(sm2sm4.url, '3201', his('sm2-sm4', { sm4Key: sm4B }).seal(nationalCall('3201', totals))), 'DECRYPTION_FAILED', 'input：SM4 解密失败');
  });

  it('refuses a call whose inf_time is outside the window (SIGNATURE_EXPIRED), both ways', async () => {
    refused(await post(sm2sm4.url, '3201', client.seal(nationalCall('3201', totals, { at: new Date(Date.now() - 10 * 60_000) }))), 'SIGNATURE_EXPIRED', '超过允许的 120 秒');
    refused(await post(sm2sm4.url, '3201', client.seal(nationalCall('3201', totals, { at: new Date(Date.now() + 10 * 60_000) }))), 'SIGNATURE_EXPIRED', 'inf_time：');
  });

  it('uploads a file (9101) and downloads it (9102) as bytes SM4-encrypted under the hospital\'s key, the signature in the headers', async () => {
    const file = Buffer.from('PK-not-checked-by-9101');
    const uploaded = await send('9101', { fsUploadIn: { in: file.toString('base64'), filename: 'mx.zip', fixmedins_code: HOSPITAL_A } });
    expect(uploaded.answer.err_msg).toBe('');
    const fileQuryNo = String((uploaded.answer.output as Row).file_qury_no);
    const sealed = client.seal(nationalCall('9102', { fsDownloadIn: { file_qury_no: fileQuryNo, filename: 'plc', fixmedins_code: HOSPITAL_A } }));
    const response = await fetch(`${sm2sm4.url}/nhsa/9102`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.deskA}`, 'content-type': 'application/json' }, body: sealed.body });
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('signtype')).toBe('SM2');
    expect(sm2Verify(sm2PublicKeyOf(gatewayPublicHex), bytes, Buffer.from(response.headers.get('cainfo') ?? '', 'base64'))).toBe(true);
    expect(bytes.equals(file)).toBe(false);
    expect(Buffer.from(sm4('decrypt', sm4A, bytes.toString('base64')), 'utf8').equals(file)).toBe(true);
  });

  it('keeps the bearer token\'s scope: a signed call for a hospital the token may not act for is 403', async () => {
    const r = await post(sm2sm4.url, '3201', his('sm2-sm4', { privateHex: hisB.privateHex, sm4Key: sm4B }).seal(nationalCall('3201', totals, { hospital: HOSPITAL_B })));
    expect(r.status).toBe(403);
    const answer = his('sm2-sm4', { sm4Key: sm4B }).open(r.text);
    expect(answer.verified).toBe(true);
  });
});

describe('sm2: SM2-signed envelopes, input and output in the clear', () => {
  const client = his('sm2');
  it('accepts a signed call and signs its answer (output readable)', async () => {
    const r = await post(sm2.url, '3201', client.seal(nationalCall('3201', totals)));
    expect(r.status).toBe(200);
    const { answer, verified } = client.open(r.text);
    expect(verified).toBe(true);
    expect((answer.output as { stmtinfo: Row }).stmtinfo.stmt_rslt).toBe('0');
    // Changing the signed answer breaks its signature, as the HIS sees it.
    const changed = parse(r.text) as Json;
    expect(sm2Verify(sm2PublicKeyOf(gatewayPublicHex), Buffer.from(textToSign({ ...changed, warn_msg: 'x' }), 'utf8'), Buffer.from(String(changed.cainfo), 'base64'))).toBe(false);
  });

  it('refuses a changed amount in the signed input', async () => {
    const sealed = client.seal(nationalCall('3201', { data: { ...totals.data, medfee_sumamt: 1 } }));
    refused(await post(sm2.url, '3201', { ...sealed, body: sealed.body.replace('"medfee_sumamt":1', '"medfee_sumamt":1.00') }), 'SIGNATURE_INVALID', 'cainfo：');
  });
});

describe('paas-headers: the platform gateway\'s x-tif-* headers', () => {
  const client = his('paas-headers');
  it('accepts a call with the hospital\'s paasid and token; refuses a wrong token, a foreign paasid, skew and a reused nonce', async () => {
    expect((await post(paas.url, '3201', client.seal(nationalCall('3201', totals)))).status).toBe(200);
    refused(await post(paas.url, '3201', his('paas-headers', { paasToken: 'wrong' }).seal(nationalCall('3201', totals))), 'SIGNATURE_INVALID', 'x-tif-signature：');
    refused(await post(paas.url, '3201', his('paas-headers', { paasId: 'his-b', paasToken: 'paas-token-of-hospital-b' }).seal(nationalCall('3201', totals))), 'SIGNATURE_INVALID', 'paasid his-b 属于定点医药机构 H99000000002');
    refused(await post(paas.url, '3201', client.seal(nationalCall('3201', totals), new Date(Date.now() - 5 * 60_000))), 'SIGNATURE_EXPIRED', 'x-tif-timestamp：');
    const sealed = client.seal(nationalCall('3201', totals));
    expect((await post(paas.url, '3201', sealed)).status).toBe(200);
    refused(await post(paas.url, '3201', { ...sealed, body: JSON.stringify(nationalCall('3201', totals)) }), 'NONCE_REPLAYED', '已使用过');
    refused(await post(paas.url, '3201', { body: JSON.stringify(nationalCall('3201', totals)), headers: {} }), 'SIGNATURE_INVALID', 'x-tif-paasid：');
    // Counted by code, for the on-call (a key rotated on one side shows as SIGNATURE_INVALID rising).
    const metrics = (await call(paas.url, '/metrics', { token: null })).text;
    expect(metrics).toMatch(/gateway_nhsa_security_refusals_total\{code="SIGNATURE_INVALID"\} [3-9]/);
    expect(metrics).toMatch(/gateway_nhsa_security_refusals_total\{code="NONCE_REPLAYED"\} 1/);
  });
});

describe('delivery to the platform, sealed', () => {
  let platform: MockPlatform;
  let gw: TestGateway | undefined;
  beforeAll(async () => { platform = await startMockPlatform(); });
  afterAll(async () => { await gw?.stop(); await platform.stop(); });
  const until = async (condition: () => boolean) => { for (let i = 0; i < 600 && !condition(); i++) await new Promise((r) => setTimeout(r, 25)); };
  const delivery = (mode: Mode) => ({ NHSA_SECURITY_FILE: securityFile(mode), NHSA_PLATFORM_URL: platform.url, NHSA_DELIVERY_BACKOFF_MS: '5', NHSA_DELIVERY_BACKOFF_MAX_MS: '50', NHSA_BREAKER_RESET_MS: '200' });

  it('sm2-sm4: the platform verifies the gateway\'s signature with its public key and decrypts the message', async () => {
    platform.open = (_headers, text) => {
      const body = parse(text) as Json;
      if (body.signtype !== 'SM2' || typeof body.cainfo !== 'string') return { refusal: '缺少签名' };
      if (!sm2Verify(sm2PublicKeyOf(gatewayPublicHex), Buffer.from(textToSign(body), 'utf8'), Buffer.from(body.cainfo, 'base64'))) return { refusal: '验签失败' };
      return { text: sm4('decrypt', sm4Platform, String(body.input)) };
    };
    gw = await startTestGateway(delivery('sm2-sm4'));
    expect((await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'ZY-SEALED-1' }), token: TOKENS.deskA })).status).toBe(201);
    await until(() => platform.received.length > 0);
    expect(platform.refused).toEqual([]);
    expect(platform.received[0]!.body.settlementId).toBe('ZY-SEALED-1');
    await gw.stop(); gw = undefined;
  });

  it('paas-headers: the platform checks x-tif-* under the gateway\'s paasid; a wrong token is refused and dead-lettered', async () => {
    platform.received.length = 0;
    let token = 'paas-token-of-the-platform';
    platform.open = (headers, text) => {
      const [timestamp, nonce] = [String(headers['x-tif-timestamp'] ?? ''), String(headers['x-tif-nonce'] ?? '')];
      if (headers['x-tif-paasid'] !== 'gw-990100' || headers['x-tif-signature'] !== paasSignature(timestamp, token, nonce)) return { refusal: 'paas 签名不符' };
      return { text };
    };
    gw = await startTestGateway(delivery('paas-headers'));
    expect((await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'ZY-PAAS-1' }), token: TOKENS.deskA })).status).toBe(201);
    await until(() => platform.received.length > 0);
    expect(platform.received[0]!.body.settlementId).toBe('ZY-PAAS-1');
    token = 'rotated-at-the-platform';
    expect((await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'ZY-PAAS-2', patient: { id: '990100198001015678' } }), token: TOKENS.deskA })).status).toBe(201);
    await until(() => platform.refused.length > 0);
    expect(platform.refused[0]).toBe('paas 签名不符');
    let dead: Array<{ reason: string }> = [];
    for (let i = 0; i < 200 && dead.length === 0; i++) {
      dead = ((await call(gw.url, '/v1/nhsa/dead-letters', { token: TOKENS.admin })).json as { dead: Array<{ reason: string }> }).dead;
      if (dead.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(dead.map((d) => d.reason)).toEqual(['医保平台拒收：infcode -1 paas 签名不符']);
  });
});

describe('NHSA_SECURITY_FILE at start-up', () => {
  const write = (value: unknown) => file(`bad-${randomBytes(4).toString('hex')}.json`, JSON.stringify(value));
  it('stops the start naming the field, never a secret: a mode without its keys, an unset reference, a key that is not SM2', () => {
    expect(() => loadSecurity(write({ mode: 'sm2', hospitals: {} }))).toThrow('gateway.privateKey: mode sm2 needs the gateway\'s SM2 private key');
    expect(() => loadSecurity(write({ mode: 'sm2', gateway: { privateKey: { file: file('g.pem', gatewayPem) } }, hospitals: { [HOSPITAL_A]: {} } }))).toThrow(`hospitals.${HOSPITAL_A}: mode sm2 needs publicKey`);
    expect(() => loadSecurity(write({ mode: 'sm2-sm4', gateway: { privateKey: { file: file('g.pem', gatewayPem) } }, hospitals: { [HOSPITAL_A]: { publicKey: { env: 'NHSA_TEST_UNSET_KEY' }, sm4Key: { env: 'NHSA_TEST_SM4_A' } } } }))).toThrow('the environment variable NHSA_TEST_UNSET_KEY is not set');
    expect(() => loadSecurity(write({ mode: 'paas-headers', hospitals: { [HOSPITAL_A]: { paasId: 'x', paasToken: { env: 'NHSA_TEST_PAAS_A' } }, [HOSPITAL_B]: { paasId: 'x', paasToken: { env: 'NHSA_TEST_PAAS_A' } } } }))).toThrow('each paasId once');
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => loadSecurity(write({ mode: 'sm2', gateway: { privateKey: { file: file('p256.pem', p256) } } }))).toThrow('not an SM2 key');
    expect(() => loadSecurity(write({ mode: 'sm2', gateway: { privateKey: gatewayPem } }))).toThrow('gateway.privateKey');
    expect(loadSecurity(undefined).mode).toBe('none');
  });

  it('reads deploy/nhsa-security.example.yaml (its references filled)', () => {
    const example = readFileSync(join(import.meta.dirname, '../../../../deploy/nhsa-security.example.yaml'), 'utf8');
    const refs = new Map<string, string>([
      ['/run/secrets/nhsa/gateway-sm2.pem', file('ex-gw.pem', gatewayPem)], ['/run/secrets/nhsa/h99000000001-sm2.pub', file('ex-h1.pub', hisA.publicHex)],
      ['/run/secrets/nhsa/h99000000001-sm4', file('ex-h1.sm4', sm4A.toString('hex'))], ['/run/secrets/nhsa/platform-sm4', file('ex-p.sm4', sm4Platform.toString('hex'))],
    ]);
    const filled = [...refs].reduce((text, [from, to]) => text.replace(from, to), example);
    const loaded = loadSecurity(file('example.yaml', filled), { NHSA_PAAS_TOKEN_H99000000001: 'a', NHSA_PAAS_TOKEN_PLATFORM: 'b' });
    expect(loaded.mode).toBe('sm2-sm4');
    expect(loaded.hospitals.get(HOSPITAL_A)?.publicKey).toEqual(sm2PublicKeyOf(hisA.publicHex));
  });

  it('refuses to start delivery that the mode cannot seal (no platform paas account)', async () => {
    const noPlatform = write({ mode: 'paas-headers', hospitals: { [HOSPITAL_A]: { paasId: 'his-a', paasToken: { env: 'NHSA_TEST_PAAS_A' } } } });
    await expect(startTestGateway({ NHSA_SECURITY_FILE: noPlatform, NHSA_PLATFORM_URL: 'http://127.0.0.1:9/settlements' })).rejects.toThrow('mode paas-headers delivers with platform.paasId and platform.paasToken');
  });
});
