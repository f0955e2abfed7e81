/**
 * No message to an insurer carries more personal data than its configuration allows: three insurers,
 * three identifier policies (masked by default, keyed hash, full), checked on the bytes each insurer
 * received over the socket — and, over random id numbers, on the document builder itself.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundClaim, outboundClaimOf } from '../../../adapters/insurer/claim-document.js';
import { maskId } from '../../../gateway/log.js';
import type { InsurerClaim } from '../../../schemas/messages.js';
import { call, TOKENS, type TestGateway } from '../../support/gateway.js';
import { MockInsurer } from '../../support/mock-insurer.js';
import { compliantItems, requestBody } from '../../support/requests.js';
import { enrolWeihai, HASH_KEY, NANTONG, SANMING, settleNantong, settleWeihai, startInsurerGateway, waitFor, WEIHAI } from './support.js';

const WEIHAI_PERSON = '371002195001011234';
const NANTONG_PERSON = '320602196001011234';
const SANMING_PERSON = '35040219900101123X';
/** An id number standing on its own (not a run of digits inside a hex digest). */
const ID_LIKE = /(?<![0-9a-fA-F])\d{17}[\dXx](?![0-9a-fA-F])/;

describe('what each insurer receives', () => {
  let mock: MockInsurer;
  let gw: TestGateway;

  beforeAll(async () => {
    mock = await MockInsurer.start();
    gw = await startInsurerGateway(mock);
    await enrolWeihai(gw.url, [WEIHAI_PERSON]);
    const roster = await call(gw.url, '/v1/rosters/sanming-2024-puhui', { method: 'PUT', body: { rows: [{ personId: SANMING_PERSON, from: '2024-01-01', to: '2024-12-31' }] } });
    expect(roster.status, roster.text).toBe(200);
    await settleWeihai(gw.url, { settlementId: 'P-1', personId: WEIHAI_PERSON });
    await settleNantong(gw.url, { settlementId: 'P-2', personId: NANTONG_PERSON });
    const sanming = await call(gw.url, '/v1/settlements', {
      token: TOKENS.admin,
      body: requestBody({
        settlementId: 'P-3', hospital: { id: 'H35040200001', region: '350402', level: 3, drgPublic: true },
        patient: { id: SANMING_PERSON, name: '钱七', insuredRegion: '350402', categories: [] },
        encounter: { admittedOn: '2024-04-01', dischargedOn: '2024-04-15', diagnoses: [{ icd10: 'K35.8', primary: true }] },
        items: compliantItems('30000.00'), upstream: { basic: '12000.00' },
      }),
    });
    expect(sanming.status, sanming.text).toBe(201);
    await waitFor('one claim at each insurer', () => [WEIHAI, NANTONG, SANMING].every((code) => mock.delivered(code).length === 1));
  });
  afterAll(async () => { await gw?.stop(); await mock?.stop(); });

  const only = (code: string) => { const r = mock.received.filter((x) => x.insurerCode === code); expect(r.length).toBeGreaterThan(0); return r; };

  it('sends every insurer exactly the outbound document: no field beyond it, no name, no diagnosis list, no bill items', async () => {
    for (const r of mock.received) {
      expect(outboundClaim.safeParse(r.json).success, r.raw).toBe(true);
      for (const absent of ['王五', '赵六', '钱七', 'categories', 'diagnoses', 'items', 'personIdNumber', 'eventId', 'patient']) expect(r.raw).not.toContain(absent);
      // The explanation is the paying line's own, verbatim: where the rule depends on a diagnosis or a
      // category (南通's disease list), it names the one that made the claim payable — the claim's basis.
      const split = await call(gw.url, `/v1/settlements/${String(r.json.hospitalId)}/${String(r.json.settlementId)}`, { token: TOKENS.admin });
      const line = (split.json as { lines: Array<{ programme: string; explanation: string[] }> }).lines.find((l) => l.programme === r.json.programme)!;
      expect(r.json.explanation).toEqual(line.explanation);
    }
    expect(only(WEIHAI)[0]!.raw).not.toContain('I63.9');
    expect(only(SANMING)[0]!.raw).not.toContain('K35.8');
  });

  it('masks the id number by default (威海: region and last four only)', () => {
    for (const r of only(WEIHAI)) {
      expect(r.json.insured).toEqual({ idPolicy: 'masked', idNumberMasked: maskId(WEIHAI_PERSON) });
      expect(r.raw).not.toContain(WEIHAI_PERSON);
      expect(r.raw).not.toMatch(ID_LIKE);
    }
  });

  it('sends a keyed hash where configured (南通), which the insurer can compute from its own roster with the shared key', () => {
    for (const r of only(NANTONG)) {
      expect(r.json.insured).toEqual({ idPolicy: 'keyedHash', idNumberHmacSha256: createHmac('sha256', HASH_KEY).update(NANTONG_PERSON).digest('hex') });
      expect(r.raw).not.toContain(NANTONG_PERSON);
      expect(r.raw).not.toContain(NANTONG_PERSON.slice(-4) + '"');
      expect(r.raw).not.toMatch(ID_LIKE);
    }
  });

  it('sends the full number only where the configuration says so (三明)', () => {
    for (const r of only(SANMING)) expect(r.json.insured).toEqual({ idPolicy: 'full', idNumber: SANMING_PERSON });
  });

  it('never lets a masked or hashed document contain the number, whatever it is', () => {
    const base: InsurerClaim = {
      claimId: 'clm_x_p', kind: 'claim', eventId: 'e', insurerCode: 'i', programme: 'p', payer: '某保险公司', amount: '1.00', currency: 'CNY', explanation: ['说明'],
      gatewayId: 'stl_x', settlementId: 'S', hospitalId: 'H', personIdNumber: '', admittedOn: '2024-01-01', dischargedOn: '2024-01-02',
    };
    fc.assert(fc.property(fc.stringMatching(/^[0-9]{17}[0-9X]$/), fc.constantFrom('masked' as const, 'keyedHash' as const), (id, identifiers) => {
      const doc = JSON.stringify(outboundClaimOf({ ...base, personIdNumber: id }, { identifiers, hashKey: Buffer.from(HASH_KEY) }));
      return !doc.includes(id) && !ID_LIKE.test(doc) && !doc.includes('某保险公司');
    }), { numRuns: 300 });
  });
});
