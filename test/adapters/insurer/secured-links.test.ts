/**
 * Insurer links secured (issue 23): claims go to the insurer over mutual TLS (the gateway presents its
 * client certificate; the mock insurer accepts no caller without one) and signed — SM3-HMAC for one
 * insurer, HMAC-SHA256 for another — checked by the mock's own reading of the scheme. The insurer's
 * callbacks and statement uploads must be signed the same way: stale timestamps, replayed nonces, altered
 * bodies and unsigned calls are refused with their stable codes, in Chinese, before anything is written.
 * One HTTPS mock insurer and one gateway (memory ledger, in-memory bus) serve the file.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asProblem, call, TOKENS, type TestGateway } from '../../support/gateway.js';
import { insurerSignature, MockInsurer, type MockSigning } from '../../support/mock-insurer.js';
import { makePki, type TestPki } from '../../support/pki.js';
import {
  claimsOf, enrolWeihai, INSURER_TOKEN, metric, NANTONG, settleNantong, settleWeihai, startInsurerGateway, waitFor, WEIHAI, WEIHAI_HOSPITAL,
} from './support.js';

const WEIHAI_SIGNING: MockSigning = { algorithm: 'hmac-sm3', key: 'weihai-outbound-key-0123456789' };
const WEIHAI_CALLBACKS: MockSigning = { algorithm: 'hmac-sm3', key: 'weihai-callback-key-9876543210' };
const NANTONG_SIGNING: MockSigning = { algorithm: 'hmac-sha256', key: 'nantong-shared-key-0123456789' };
const MAX_SKEW_SECONDS = 60;
const PERSON = '371002195001011234';

interface Signed { timestamp?: number; nonce?: string; signing?: MockSigning; tamper?: (body: string) => string }

/** A call as the insurer makes it: its bearer token, and its signature over exactly the bytes sent. */
async function insurerCall(url: string, path: string, body: string, o: Signed = {}) {
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomBytes(16).toString('hex');
  const signing = o.signing ?? WEIHAI_CALLBACKS;
  const mac = insurerSignature(signing, { method: 'POST', path, timestamp, nonce, body });
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${INSURER_TOKEN}`, 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-nonce': nonce, 'x-signature': `${signing.algorithm}=${mac}` },
    body: o.tamper ? o.tamper(body) : body,
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) as unknown : undefined };
}

describe('insurer links over mutual TLS, signed both ways', () => {
  let pki: TestPki;
  let mock: MockInsurer;
  let gw: TestGateway;

  beforeAll(async () => {
    pki = await makePki();
    const client = await pki.issue('gateway-to-insurers', 'client');
    mock = await MockInsurer.start({ tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca } });
    mock.expectSignatures(WEIHAI, WEIHAI_SIGNING);
    mock.expectSignatures(NANTONG, NANTONG_SIGNING);
    process.env.TEST_WEIHAI_SIGNING_KEY = WEIHAI_SIGNING.key;
    process.env.TEST_WEIHAI_CALLBACK_KEY = WEIHAI_CALLBACKS.key;
    process.env.TEST_NANTONG_SIGNING_KEY = NANTONG_SIGNING.key;
    const tls = { cert: { file: client.cert }, key: { file: client.key }, ca: { file: pki.ca } };
    gw = await startInsurerGateway(mock, {}, {
      [WEIHAI]: { tls, signing: { algorithm: 'hmac-sm3', key: { env: 'TEST_WEIHAI_SIGNING_KEY' }, callbackKey: { env: 'TEST_WEIHAI_CALLBACK_KEY' }, maxSkewSeconds: MAX_SKEW_SECONDS } },
      [NANTONG]: { tls, signing: { algorithm: 'hmac-sha256', key: { env: 'TEST_NANTONG_SIGNING_KEY' } } },
    });
    await enrolWeihai(gw.url, [PERSON]);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await mock?.stop();
    await pki?.remove();
  });

  let weihaiClaimId = '';
  let weihaiGatewayId = '';

  it('delivers claims over mutual TLS with the gateway certificate, signed with SM3-HMAC or HMAC-SHA256 as each insurer says', async () => {
    const weihai = await settleWeihai(gw.url, { settlementId: 'SEC-1', personId: PERSON });
    const nantong = await settleNantong(gw.url, { settlementId: 'SEC-2', personId: '320602196505051234' });
    const [w] = await waitFor('威海 claim delivered', async () => (await claimsOf(gw.url, WEIHAI, weihai.gatewayId)).filter((c) => c.state === 'delivered').length ? claimsOf(gw.url, WEIHAI, weihai.gatewayId) : undefined);
    await waitFor('南通 claim delivered', async () => (await claimsOf(gw.url, NANTONG, nantong.gatewayId)).some((c) => c.state === 'delivered'));
    weihaiClaimId = w!.claimId;
    weihaiGatewayId = weihai.gatewayId;
    const calls = mock.received.filter((r) => r.insurerCode === WEIHAI || r.insurerCode === NANTONG);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const r of calls) {
      expect(r.clientCertificate).toBe('gateway-to-insurers');
      expect(r.signature).toBe('valid');
    }
    expect(calls.find((r) => r.insurerCode === WEIHAI)!.headers['x-signature']).toMatch(/^hmac-sm3=[0-9a-f]{64}$/);
    expect(calls.find((r) => r.insurerCode === NANTONG)!.headers['x-signature']).toMatch(/^hmac-sha256=[0-9a-f]{64}$/);
  });

  it('refuses an unsigned callback, an altered body and a wrong key with SIGNATURE_INVALID, writing nothing', async () => {
    const path = `/v1/claims/${WEIHAI}/${weihaiClaimId}/status`;
    const body = JSON.stringify({ status: 'accepted' });
    const unsigned = await call(gw.url, path, { raw: body, token: INSURER_TOKEN });
    expect(unsigned.status).toBe(401);
    expect(asProblem(unsigned.json)).toMatchObject({ code: 'SIGNATURE_INVALID', title: '签名无效', errors: [{ path: 'X-Timestamp' }] });
    const altered = await insurerCall(gw.url, path, body, { tamper: () => JSON.stringify({ status: 'paid', paidAmount: '999999.00' }) });
    expect(altered.status).toBe(401);
    expect(asProblem(altered.json)).toMatchObject({ code: 'SIGNATURE_INVALID', errors: [{ path: 'X-Signature' }] });
    expect(asProblem(altered.json).detail).toMatch(/签名与请求内容不符/);
    const wrongKey = await insurerCall(gw.url, path, body, { signing: WEIHAI_SIGNING });
    expect(asProblem(wrongKey.json).code).toBe('SIGNATURE_INVALID');
    const claim = (await claimsOf(gw.url, WEIHAI, weihaiGatewayId)).find((c) => c.claimId === weihaiClaimId);
    expect(claim?.state).toBe('delivered');
  });

  it('refuses a callback whose timestamp is beyond the allowed skew with SIGNATURE_EXPIRED', async () => {
    const path = `/v1/claims/${WEIHAI}/${weihaiClaimId}/status`;
    for (const offset of [-(MAX_SKEW_SECONDS + 30), MAX_SKEW_SECONDS + 30]) {
      const stale = await insurerCall(gw.url, path, JSON.stringify({ status: 'accepted' }), { timestamp: Math.floor(Date.now() / 1000) + offset });
      expect(stale.status).toBe(401);
      expect(asProblem(stale.json)).toMatchObject({ code: 'SIGNATURE_EXPIRED', title: '请求时间戳超出允许偏差', errors: [{ path: 'X-Timestamp' }] });
      expect(asProblem(stale.json).detail).toMatch(/超过允许的 60 秒/);
    }
  });

  it('takes a signed callback once, and refuses the same call replayed with NONCE_REPLAYED', async () => {
    const path = `/v1/claims/${WEIHAI}/${weihaiClaimId}/status`;
    const body = JSON.stringify({ status: 'accepted' });
    const nonce = randomBytes(16).toString('hex');
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await insurerCall(gw.url, path, body, { nonce, timestamp });
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ state: 'accepted', transition: 'new' });
    const replayed = await insurerCall(gw.url, path, body, { nonce, timestamp });
    expect(replayed.status).toBe(401);
    expect(asProblem(replayed.json)).toMatchObject({ code: 'NONCE_REPLAYED', errors: [{ path: 'X-Nonce' }] });
    expect(asProblem(replayed.json).detail).toMatch(/重放/);
    expect(await metric(gw.url, 'gateway_insurer_signed_calls_refused_total', `insurer="${WEIHAI}",code="NONCE_REPLAYED"`)).toBe(1);
    expect(await metric(gw.url, 'gateway_insurer_signed_calls_refused_total', `insurer="${WEIHAI}",code="SIGNATURE_EXPIRED"`)).toBe(2);
  });

  it('the hospital side (an admin) still reports without a signature: signing binds the insurer, not the staff', async () => {
    const res = await call(gw.url, `/v1/claims/${WEIHAI}/${weihaiClaimId}/status`, { body: { status: 'accepted' }, token: TOKENS.admin });
    expect(res.status, res.text).toBe(200);
  });

  it('takes a statement uploaded with the insurer\'s own signed credential, for its own code only', async () => {
    const statement = {
      statementNo: 'WH-SEC-001', from: '2020-03-01', to: '2020-03-31',
      lines: [{ claimId: weihaiClaimId, hospitalId: WEIHAI_HOSPITAL, settledOn: '2020-03-10', amount: '4000.00', paidOn: '2020-04-05', paymentRef: 'PAY-SEC-1' }],
    };
    const path = `/v1/reconciliation/${WEIHAI}/statements`;
    const unsigned = await call(gw.url, path, { body: statement, token: INSURER_TOKEN });
    expect(asProblem(unsigned.json).code).toBe('SIGNATURE_INVALID');
    const uploaded = await insurerCall(gw.url, path, JSON.stringify(statement));
    expect(uploaded.status, uploaded.text).toBe(201);
    expect(uploaded.json).toMatchObject({ statementNo: 'WH-SEC-001', uploadedBy: 'chinalife-weihai' });
    const listed = await call(gw.url, `${path}?from=2020-03-01&to=2020-03-31`, { token: INSURER_TOKEN });
    expect(listed.status).toBe(200);
    const other = await insurerCall(gw.url, `/v1/reconciliation/${NANTONG}/statements`, JSON.stringify({ ...statement, statementNo: 'NT-1' }));
    expect(other.status).toBe(403);
    expect(asProblem(other.json).code).toBe('FORBIDDEN');
  });
});

describe('an insurer that does not accept the gateway certificate', () => {
  let pki: TestPki;
  let insurersPki: TestPki;
  let mock: MockInsurer;
  let gw: TestGateway;

  beforeAll(async () => {
    // The insurer trusts only client certificates of its own CA; the gateway's comes from another.
    [pki, insurersPki] = await Promise.all([makePki(), makePki()]);
    const client = await pki.issue('gateway-to-insurers', 'client');
    mock = await MockInsurer.start({ tls: { cert: insurersPki.server.cert, key: insurersPki.server.key, ca: insurersPki.ca } });
    gw = await startInsurerGateway(mock, {}, { [NANTONG]: { tls: { cert: { file: client.cert }, key: { file: client.key }, ca: { file: insurersPki.ca } } } });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await mock?.stop();
    await Promise.all([pki?.remove(), insurersPki?.remove()]);
  });

  it('delivers nothing, keeps the claim waiting (not dead-lettered) and says why to an admin', async () => {
    const settled = await settleNantong(gw.url, { settlementId: 'SEC-X1', personId: '320602196505051234' });
    const lastError = await waitFor('a failed delivery', async () => {
      const insurers = (await call(gw.url, '/v1/insurers', { token: TOKENS.admin })).json as { insurers: Array<{ code: string; delivery: { lastError?: string } | null }> };
      return insurers.insurers.find((i) => i.code === NANTONG)?.delivery?.lastError;
    });
    expect(lastError).toMatch(/certificate/);
    expect(mock.received).toEqual([]);
    const claims = await claimsOf(gw.url, NANTONG, settled.gatewayId);
    expect(claims.map((c) => [c.state, c.deadLetter])).toEqual([['pending', undefined]]);
  });
});
