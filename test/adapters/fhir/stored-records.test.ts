/**
 * Records outlive schemas, through the FHIR adapter too. Every stored version kept in
 * test/fixtures/records/ — and a stored record whose request today's strict schema refuses — reads back as
 * ClaimResponse and ExplanationOfBenefit (by id, by search, and in answer to a cancelling Claim) over real sockets on a real Redis, with the
 * stored split's amounts, the stored items and the stored stay's dates. And a stored request's items are
 * adjudicated exactly as the live path adjudicates the same request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimResponseOf } from '../../../adapters/fhir/adjudication.js';
import { fhirIdOf } from '../../../adapters/fhir/ids.js';
import { SYSTEM } from '../../../adapters/fhir/vocabulary.js';
import { parseFen } from '../../../gateway/engine/money.js';
import { parseRecord } from '../../../gateway/ledger/codec.js';
import { KeySpace } from '../../../gateway/ledger/keys.js';
import type { RawSettlement } from '../../../gateway/ledger/raw.js';
import { readStoredRequest, RECORD_VERSION, StoredSettlement } from '../../../gateway/ledger/stored.js';
import { settlementRequest, type Split } from '../../../schemas/settlement.js';
import { fhirSchemaErrors } from '../../support/fhir-validator.js';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { requestBody, twentyItemBill } from '../../support/requests.js';
import { claimOf, claimText } from './claims.js';

type Json = Record<string, unknown>;
interface Adjudication { category: { coding?: Array<{ system?: string; code?: string }> }; amount?: { value?: unknown } }
interface ItemOut { adjudication: Adjudication[] }
interface EobItem extends ItemOut { sequence: unknown; productOrService: { coding: Array<{ code?: string; display?: string }> }; net: { value: unknown } }
interface RecordFixture { description: string; recordVersion: number; record: Record<string, string> }

/** An answer's body, with every number kept as its JSON text. */
const fhirBody = (text: string): Json => parseLossless(text) as Json;
const moneyText = (money: { value?: unknown } | undefined): string => {
  const value = money?.value;
  if (!isLosslessNumber(value)) throw new Error(`not a JSON number: ${String(value)}`);
  return value.value;
};
const code = (a: Adjudication, system: string) => a.category.coding?.find((c) => c.system === system)?.code;
/** One amount of an item's (or the header's) adjudication, by its standard or bill-part code. */
const part = (adjudication: Adjudication[], c: string) => moneyText(adjudication.find((a) => code(a, SYSTEM.adjudication) === c || code(a, SYSTEM.billPart) === c)?.amount);
const payerTotals = (resource: Json) => (resource.total as Adjudication[])
  .filter((t) => code(t, SYSTEM.payerLayer) !== undefined)
  .map((t) => [`${code(t, SYSTEM.payerLayer)}/${code(t, SYSTEM.programme)}`, moneyText(t.amount)]);
const standardTotal = (resource: Json, c: string) => moneyText((resource.total as Adjudication[]).find((t) => code(t, SYSTEM.adjudication) === c)?.amount);
const fen = (text: string) => parseFen(text) ?? Number.NaN;
/** Σ over the items of one adjudication part, in fen (exact). */
const itemsSum = (items: ItemOut[], c: string) => items.reduce((sum, item) => sum + fen(part(item.adjudication, c)), 0);
const expectValidR4 = (text: string) => expect(fhirSchemaErrors(JSON.parse(text))).toEqual([]);

const DIR = new URL('../../fixtures/records/', import.meta.url);
const fixtures: Array<[string, RecordFixture]> = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
  .map((file) => [file, JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as RecordFixture]);
const v2 = fixtures.find(([, f]) => f.recordVersion === 2)![1];

/**
 * The version 2 fixture under another settlement and person, its request as an older release would have
 * accepted it: an ICD-10 code written without its dot (today's pattern refuses it), a person category this
 * release does not know, an item field no release defines. The bill, and so the split, are unchanged.
 */
function legacyRecord(): { record: RawSettlement; request: Json } {
  const text = JSON.stringify(v2.record).replaceAll('FIXTURE-V2', 'FIXTURE-V2-LEGACY').replaceAll('990100198001011232', '990100198001011239');
  const record = parseRecord(JSON.parse(text))!;
  const request = JSON.parse(record.requestJson) as { patient: Json; encounter: Json; items: Json[] };
  request.encounter.diagnoses = [{ icd10: 'J189', primary: true }];
  request.patient.categories = ['dibao', 'wubao-2019'];
  request.items[1]!.hisBatchNo = 'B-2019-07';
  return { record: { ...record, requestJson: JSON.stringify(request) }, request };
}

describe('FHIR reads of stored records', () => {
  let gw: TestGateway;
  let redis: TestRedis;

  /**
   * Commits a record through the ledger port (the indexes, the claim and the accumulators as every commit
   * writes them), then puts back the stored texts and version exactly as the earlier release left them.
   */
  async function store(record: RawSettlement) {
    const { version } = await gw.gateway.ledger.readAccumulators(record.personId);
    const { gatewayId, hospitalId, settlementId, personId, bodyHash, deltas, settledAt, requestJson } = record;
    const outcome = await gw.gateway.ledger.commit({ gatewayId, hospitalId, settlementId, personId, bodyHash, deltas, settledAt, requestJson, split: new StoredSettlement(record).split }, version, {
      id: `evt_${record.settlementId}`, type: 'settlement.settled', personId: record.personId, hospitalId: record.hospitalId, settlementId: record.settlementId, time: record.settledAt,
    });
    expect(outcome.outcome).toBe('committed');
    const client = new Redis(redis.url);
    const key = new KeySpace('gw', 16).settlement(personId, hospitalId, settlementId);
    await client.hset(key, { splitJson: record.splitJson, requestJson });
    if (record.recordVersion === undefined) await client.hdel(key, 'recordVersion');
    client.disconnect();
  }

  const search = (personId: string) => fetch(`${gw.url}/fhir/ExplanationOfBenefit/_search`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.auditor}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `patient:identifier=${encodeURIComponent(`${SYSTEM.personId}|${personId}`)}`,
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

  beforeAll(async () => {
    redis = await startRedis();
    gw = await startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' });
  });
  afterAll(async () => { await gw?.stop(); await redis?.stop(); });

  /**
   * Searches the record's person, then reads the EOB and the ClaimResponse by the id found, and checks
   * each against what is stored: the split's amounts, the request's items and dates.
   */
  async function expectRendered(record: RawSettlement) {
    const split = JSON.parse(record.splitJson) as Split;
    const stored = JSON.parse(record.requestJson) as { encounter: { admittedOn: string; dischargedOn: string; diagnoses: Array<{ icd10: string }> }; items: Array<{ code: string; name: string; amount: string }> };
    const id = fhirIdOf(record.hospitalId, record.settlementId);

    const found = await search(record.personId);
    expect(found.status, found.text).toBe(200);
    expectValidR4(found.text);
    const bundle = fhirBody(found.text) as { entry: Array<{ fullUrl: string; resource: Json }> };
    expect(bundle.entry).toHaveLength(1);
    const eob = bundle.entry[0]!.resource;
    expect(eob.id).toBe(id);

    const read = await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.auditor });
    expect(read.status, read.text).toBe(200);
    expectValidR4(read.text);
    expect(fhirBody(read.text)).toEqual(eob); // the search and the read answer the same resource

    expect(eob.identifier).toEqual([{ system: SYSTEM.gatewayId, value: split.gatewayId }, { system: SYSTEM.settlementId, value: record.settlementId }]);
    expect(eob.billablePeriod).toEqual({ start: stored.encounter.admittedOn, end: stored.encounter.dischargedOn });
    expect((eob.diagnosis as Array<{ diagnosisCodeableConcept: { coding: Array<{ code: string }> } }>).map((d) => d.diagnosisCodeableConcept.coding[0]!.code))
      .toEqual(stored.encounter.diagnoses.map((d) => d.icd10));
    // Payers and totals: the stored split's own texts.
    expect(payerTotals(eob)).toEqual(split.lines.map((l) => [`${l.layer}/${l.programme}`, l.amount]));
    expect([standardTotal(eob, 'submitted'), standardTotal(eob, 'eligible'), standardTotal(eob, 'copay')]).toEqual([split.total, split.compliant, split.patientPays]);
    // Items: the stored ones, each classified; together they make up the split's bill parts exactly.
    const items = eob.item as EobItem[];
    expect(items).toHaveLength(stored.items.length);
    expect(items.map((i) => [i.productOrService.coding[0]!.code, i.productOrService.coding[0]!.display, moneyText(i.net), part(i.adjudication, 'submitted')]))
      .toEqual(stored.items.map((i) => [i.code, i.name, i.amount, i.amount]));
    expect([itemsSum(items, 'submitted'), itemsSum(items, 'eligible'), itemsSum(items, 'out-of-scope'), itemsSum(items, 'over-limit'), itemsSum(items, 'pre-self-pay')])
      .toEqual([split.total, split.compliant, split.outOfScope, split.overLimit, split.preSelfPay].map(fen));

    const response = await call(gw.url, `/fhir/ClaimResponse/${id}`, { token: TOKENS.auditor });
    expect(response.status, response.text).toBe(200);
    expectValidR4(response.text);
    const claimResponse = fhirBody(response.text);
    expect(claimResponse.resourceType).toBe('ClaimResponse');
    expect(payerTotals(claimResponse)).toEqual(payerTotals(eob));
    expect(standardTotal(claimResponse, 'copay')).toBe(split.patientPays);
    expect((claimResponse.item as ItemOut[]).map((i) => i.adjudication)).toEqual(items.map((i) => i.adjudication));
  }

  /** Cancels by a cancelled Claim: the answer is built from the stored request too, after the reversal. */
  async function expectCancelled(record: RawSettlement) {
    const claim = claimOf(requestBody({ settlementId: record.settlementId, hospital: { id: record.hospitalId }, patient: { id: record.personId } }), { status: 'cancelled' });
    const res = await call(gw.url, '/fhir/Claim/$submit', { raw: claimText(claim), token: TOKENS.admin, contentType: 'application/fhir+json' });
    expect(res.status, res.text).toBe(200);
    expectValidR4(res.text);
    const cancelled = fhirBody(res.text);
    expect(cancelled.status).toBe('cancelled');
    const split = JSON.parse(record.splitJson) as Split;
    expect(payerTotals(cancelled)).toEqual(split.lines.map((l) => [`${l.layer}/${l.programme}`, l.amount]));
    const items = cancelled.item as ItemOut[];
    expect(items).toHaveLength((JSON.parse(record.requestJson) as { items: unknown[] }).items.length);
    expect(itemsSum(items, 'eligible')).toBe(fen(split.compliant));
  }

  describe.each(fixtures)('stored record %s', (_file, fixture) => {
    it('renders as ExplanationOfBenefit (search and read) and ClaimResponse (read and cancel), with the stored split, items and dates', async () => {
      const record = parseRecord(fixture.record)!;
      expect(record.recordVersion).toBe(fixture.recordVersion === 1 ? undefined : fixture.recordVersion);
      await store(record);
      await expectRendered(record);
      await expectCancelled(record);
    });
  });

  it('renders a stored record whose request today\'s strict schema refuses (old ICD-10 form, unknown category, unknown field)', async () => {
    const { record, request } = legacyRecord();
    const live = settlementRequest.safeParse(request);
    expect(live.success).toBe(false);
    expect(live.error?.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['encounter.diagnoses.0.icd10', 'patient.categories.1']));
    await store(record);
    await expectRendered(record);
    await expectCancelled(record);
  });

  it('adjudicates a stored request\'s items (over-limit, 乙类 self-pay shares) as the live path did when it was submitted', async () => {
    const items = [...twentyItemBill(5), { code: 'XB99', name: '乙类耗材', amount: '1234.57', class: 'B' as const, selfPayRatio: '0.123456789', overLimit: '100.01' }];
    const native = requestBody({ settlementId: `FS${Date.now()}`, hospital: { id: HOSPITAL_A }, patient: { id: '990100198001019876' }, items });
    // Submitted: the answer is built from the request the live schema just parsed.
    const submitted = await call(gw.url, '/fhir/Claim/$submit', { raw: claimText(claimOf(native)), token: TOKENS.deskA, contentType: 'application/fhir+json' });
    expect(submitted.status, submitted.text).toBe(201);
    const live = fhirBody(submitted.text).item as Array<ItemOut & { itemSequence: unknown }>;
    expect(itemsSum(live, 'over-limit')).toBeGreaterThan(0);
    expect(itemsSum(live, 'pre-self-pay')).toBeGreaterThan(0);
    // Read back: the same items from the stored request, through the version's reader.
    const id = (submitted.headers.get('location') ?? '').replace('ClaimResponse/', '');
    const read = await call(gw.url, `/fhir/ClaimResponse/${id}`, { token: TOKENS.deskA });
    expect(read.status, read.text).toBe(200);
    expect(fhirBody(read.text).item).toEqual(live);
    const eob = await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.deskA });
    expect((fhirBody(eob.text).item as ItemOut[]).map((i) => i.adjudication)).toEqual(live.map((i) => i.adjudication));
    const split = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${native.settlementId}`, { token: TOKENS.deskA })).json);
    expect([itemsSum(live, 'over-limit'), itemsSum(live, 'pre-self-pay'), itemsSum(live, 'eligible')]).toEqual([split.overLimit, split.preSelfPay, split.compliant].map(fen));
  });

  it('adjudicates the same items from a stored request as from the live schema when amounts and shares were JSON numbers', () => {
    const body = requestBody({ items: [
      { code: 'BED1', name: '床位费', amount: 300, class: 'A', overLimit: 45.5 },
      { code: 'XB1', name: '乙类药', amount: 120.55, class: 'B', selfPayRatio: 0.15, overLimit: 0.05 },
      { code: 'XB2', name: '乙类耗材', amount: '99.99', class: 'B', selfPayRatio: 0.333333 },
      { code: 'F1', name: '目录外', amount: 12, class: 'C' },
    ] });
    const split = JSON.parse(v2.record.splitJson!) as Split; // the header only; items come from the request
    const fromLive = claimResponseOf(split, settlementRequest.parse(body), undefined, 'x').item;
    const fromStored = claimResponseOf(split, readStoredRequest(JSON.stringify(body), RECORD_VERSION), undefined, 'x').item;
    expect(fromStored).toEqual(fromLive);
    expect(fromLive?.map((i) => ['over-limit', 'pre-self-pay', 'eligible'].map((c) => part(i.adjudication ?? [], c)))).toEqual([
      ['45.50', '0.00', '254.50'], ['0.05', '18.08', '102.42'], ['0.00', '33.33', '66.66'], ['0.00', '0.00', '0.00'],
    ]);
  });
});
