/**
 * A confirmed second payout lands on the insurer's claims topic beside the settlement claims: the insurer
 * adapter passes it by (the insurer pays from the committed list) and dead-letters nothing, while the
 * settlement claims of the same programme are still delivered.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PACKS_DIR } from '../../gateway/programmes/load.js';
import { call, type TestGateway } from '../support/gateway.js';
import { MockInsurer } from '../support/mock-insurer.js';
import { requestBody } from '../support/requests.js';
import { metric, NANTONG, startInsurerGateway, waitFor } from '../adapters/insurer/support.js';

const LAST_YEAR = new Date().getUTCFullYear() - 1;
const ID = 'nantong-ops-insurer-test';
const PACK = readFileSync(join(BUILTIN_PACKS_DIR, 'nantong-2022-dibubao.yaml'), 'utf8')
  .replace('id: nantong-2022-dibubao', `id: ${ID}`)
  .replace('term: { from: 2022-01-01, to: 2022-12-31,', `term: { from: ${LAST_YEAR}-01-01, to: ${LAST_YEAR}-12-31,`)
  .replace('dueBy: "03-31"', 'dueBy: "12-31"');

describe('a second payout on the insurer topic', () => {
  let mock: MockInsurer;
  let gw: TestGateway;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-insurer-packs-'));
    writeFileSync(join(dir, `${ID}.yaml`), PACK);
    mock = await MockInsurer.start();
    gw = await startInsurerGateway(mock, { PROGRAMMES_DIR: dir });
  }, 30_000);
  afterAll(async () => { await gw?.stop(); await mock?.stop(); });

  it('is passed by, not dead-lettered; the settlement claims are delivered', async () => {
    for (let n = 1; n <= 2; n++) {
      const settled = await call(gw.url, '/v1/settlements', { body: requestBody({
        settlementId: `ZY-SP-${n}`, hospital: { id: 'H32060200001', region: '320602', level: 3 },
        patient: { id: `3206021960010110${n}0`, insuredRegion: '320602', categories: ['dibao'] },
        encounter: { admittedOn: `${LAST_YEAR}-05-01`, dischargedOn: `${LAST_YEAR}-05-20`, diagnoses: [{ icd10: 'C34.9', primary: true }] },
        items: [{ code: 'A1', name: '甲类', amount: '10000.00', class: 'A' }, { code: 'C1', name: '目录外', amount: '500.00', class: 'C' }],
        upstream: { basic: '5000.00' },
      }) });
      expect(settled.status).toBe(201);
    }
    const confirmed = await call(gw.url, `/v1/programmes/${ID}/second-payout?year=${LAST_YEAR}&confirm=true`, { method: 'POST' });
    expect(confirmed.status).toBe(201);
    expect(confirmed.json).toMatchObject({ published: 2, distributed: '1000.00' });
    const labels = (outcome: string) => `insurer="${NANTONG}",outcome="${outcome}"`;
    await waitFor('both second payouts passed by', async () => (await metric(gw.url, 'gateway_insurer_deliveries_total', labels('second_payout_passed'))) === 2);
    await waitFor('both settlement claims delivered', () => mock.delivered(NANTONG).length === 2);
    expect(await metric(gw.url, 'gateway_insurer_deliveries_total', labels('dead_lettered'))).toBeUndefined();
  }, 60_000);
});
