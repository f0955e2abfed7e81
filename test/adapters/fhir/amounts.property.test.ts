/**
 * Property: for any bill, the ClaimResponse of its FHIR Claim carries exactly the native split of the
 * same bill — every payer in waterfall order, the total, the compliant part and what the patient pays,
 * as the same decimal texts. Both previewed over HTTP on one gateway (nothing is committed between).
 */
import fc from 'fast-check';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../adapters/fhir/vocabulary.js';
import { parseFen } from '../../../gateway/engine/money.js';
import type { SettlementRequestInput } from '../../../schemas/settlement.js';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { requestBody } from '../../support/requests.js';
import { claimOf, claimText } from './claims.js';

interface Entry { category: { coding?: Array<{ system?: string; code?: string }> }; amount?: { value: unknown } }
const text = (v: unknown) => { if (!isLosslessNumber(v)) throw new Error('not a number'); return v.value; };
const codeOf = (e: Entry, system: string) => e.category.coding?.find((c) => c.system === system)?.code;

/** Yuan text of an amount in fen, sometimes with fewer decimals (12.5, 12) as a FHIR sender may write it. */
const yuanText = (fen: number, short: boolean) => {
  const text = `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
  return short ? text.replace(/\.?0+$/, '') || '0' : text;
};

const item = fc.record({
  fen: fc.integer({ min: 1, max: 3_000_000 }),
  klass: fc.constantFrom('A', 'B', 'C'),
  ratio: fc.constantFrom('0.05', '0.1', '0.15', '0.2', '0.125', '0'),
  overLimitShare: fc.integer({ min: 0, max: 100 }),
  short: fc.boolean(),
});

const bill = fc.record({
  items: fc.array(item, { minLength: 1, maxLength: 12 }),
  categories: fc.subarray(['dibao', 'tekun', 'poverty-alleviated', 'dibao-edge'] as const),
  scheme: fc.constantFrom('resident', 'employee'),
  level: fc.integer({ min: 1, max: 3 }),
});

describe('FHIR ClaimResponse amounts equal the native split (property)', () => {
  let gw: TestGateway;
  let seq = 0;
  beforeAll(async () => { gw = await startTestGateway({ RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' }); });
  afterAll(async () => { await gw?.stop(); });

  it('holds on random bills', async () => {
    await fc.assert(fc.asyncProperty(bill, async (b) => {
      const items: SettlementRequestInput['items'] = b.items.map((i, n) => {
        const overLimitFen = i.klass === 'C' ? 0 : Math.floor((i.fen * i.overLimitShare) / 400);
        return {
          code: `X${n}`, name: `项目${n}`, amount: yuanText(i.fen, i.short), class: i.klass,
          ...(i.klass === 'B' ? { selfPayRatio: i.ratio } : {}),
          ...(overLimitFen > 0 ? { overLimit: yuanText(overLimitFen, false) } : {}),
        };
      });
      const native = requestBody({
        settlementId: `P${++seq}`, hospital: { id: HOSPITAL_A, level: b.level },
        patient: { id: `9901001980010${String(seq).padStart(5, '0')}`, scheme: b.scheme, categories: [...b.categories] }, items,
      });
      const [fhir, direct] = await Promise.all([
        call(gw.url, '/fhir/Claim/$submit?preview=true', { raw: claimText(claimOf(native)), token: TOKENS.deskA, contentType: 'application/fhir+json' }),
        call(gw.url, '/v1/settlements/preview', { body: native, token: TOKENS.deskA }),
      ]);
      expect(fhir.status, fhir.text).toBe(200);
      const split = asSplit(direct.json);
      const response = parseLossless(fhir.text) as { total: Entry[]; item: Array<{ adjudication: Entry[] }> };
      const payers = response.total.filter((t) => codeOf(t, SYSTEM.payerLayer) !== undefined)
        .map((t) => [codeOf(t, SYSTEM.payerLayer), codeOf(t, SYSTEM.programme), text(t.amount?.value)]);
      expect(payers).toEqual(split.lines.map((l) => [l.layer, l.programme, l.amount]));
      const standard = (c: string) => text(response.total.find((t) => codeOf(t, SYSTEM.adjudication) === c)?.amount?.value);
      expect([standard('submitted'), standard('eligible'), standard('copay')]).toEqual([split.total, split.compliant, split.patientPays]);
      // The items' eligible parts add up to the bill's compliant amount (integer fen, exact).
      const fen = (t: string) => parseFen(t) ?? Number.NaN;
      const eligible = response.item.reduce((sum, i) => sum + fen(text(i.adjudication.find((a) => codeOf(a, SYSTEM.adjudication) === 'eligible')?.amount?.value)), 0);
      expect(eligible).toBe(fen(split.compliant));
    }), { numRuns: 100 });
  });
});
