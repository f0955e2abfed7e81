/**
 * Issue 8 over real sockets (memory ledger): the 闻喜 list is accepted and decides; 三明's paid-premium
 * roster covers a buyer insured in 福州; a typo in a stay's dates answers 400 or 422, never millions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asProblem, asSplit, call, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { compliantItems, requestBody } from '../support/requests.js';

const WENXI = '140823197001011234';
const SANMING_BUYER = '350102199001011234';

describe('eligibility by roster and 户籍, and stay bounds, over HTTP', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterAll(async () => { await gw.stop(); });

  const wenxi = (settlementId: string, encounter: { admittedOn: string; dischargedOn: string }) => requestBody({
    settlementId,
    hospital: { id: 'H14082300001', region: '140823', level: 2 },
    patient: { id: WENXI, insuredRegion: '140802', hukouRegion: '140823', disability: { grade: 1, type: 'physical' } },
    encounter: { ...encounter, cause: 'accident' },
    items: compliantItems('1000.00'),
  });

  it('loads the 闻喜 残联 list and pays a listed 闻喜 户籍 holder insured elsewhere only for covered days', async () => {
    const loaded = await call(gw.url, '/v1/rosters/wenxi-2023-disabled', { method: 'PUT', body: { rows: [{ personId: WENXI, from: '2023-01-01', to: '2023-12-31' }] } });
    expect(loaded.status).toBe(200);
    expect(loaded.json).toEqual({ accepted: 1, rejected: [] });
    const split = asSplit((await call(gw.url, '/v1/settlements/preview', { body: wenxi('WX1', { admittedOn: '2021-06-01', dischargedOn: '2023-01-11' }) })).json);
    expect(split.benefits.find((b) => b.kind === 'accidentHospitalAllowance')?.amount).toBe('500.00'); // 10 days in 2023 × 50
  });

  it('answers 400 for a date outside 1990..2100, naming the field in Chinese', async () => {
    const r = await call(gw.url, '/v1/settlements/preview', { body: wenxi('WX2', { admittedOn: '0000-01-01', dischargedOn: '2023-06-01' }) });
    expect(r.status).toBe(400);
    expect(asProblem(r.json).errors).toEqual([expect.objectContaining({ path: 'encounter.admittedOn', message: expect.stringContaining('1990-01-01') })]);
  });

  it('answers 422 for a stay longer than 1096 days', async () => {
    const r = await call(gw.url, '/v1/settlements/preview', { body: wenxi('WX3', { admittedOn: '1990-01-01', dischargedOn: '2023-06-01' }) });
    expect(r.status).toBe(422);
    expect(asProblem(r.json).errors).toEqual([expect.objectContaining({ path: 'encounter.admittedOn', message: expect.stringContaining('住院天数') })]);
  });

  it('pays 三明 responsibility 1 to a buyer on the paid-premium roster insured in 福州', async () => {
    await call(gw.url, '/v1/rosters/sanming-2024-puhui', { method: 'PUT', body: { rows: [{ personId: SANMING_BUYER, from: '2024-01-01', to: '2024-12-31' }] } });
    const body = requestBody({
      settlementId: 'SM1',
      hospital: { id: 'H35040200001', region: '350402', level: 3, drgPublic: true },
      patient: { id: SANMING_BUYER, insuredRegion: '350102' },
      encounter: { admittedOn: '2024-04-01', dischargedOn: '2024-04-15' },
      items: compliantItems('20000.00'),
      upstream: { basic: '12000.00' },
    });
    const split = asSplit((await call(gw.url, '/v1/settlements/preview', { body, token: TOKENS.admin })).json);
    expect(split.lines.find((l) => l.programme === 'sanming-2024-puhui')?.amount).toBe('3000.00'); // (20000 − 12000 − 5000) × 100%
  });
});
