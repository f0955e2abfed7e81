/**
 * The FHIR adapter over real sockets, on a real Redis: Claims in (contained, in a Bundle, or referencing a
 * Patient and Coverage that the gateway reads from the hospital's FHIR server with fhir-kit-client),
 * ClaimResponse and ExplanationOfBenefit out — amounts equal to the native split, every answer valid R4.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXT, SYSTEM } from '../../../adapters/fhir/vocabulary.js';
import type { Split } from '../../../schemas/settlement.js';
import { startFhirServer, type TestFhirServer } from '../../support/fhir-server.js';
import { fhirSchemaErrors } from '../../support/fhir-validator.js';
import { asSplit, call, HOSPITAL_A, HOSPITAL_B, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { compliantItems, requestBody, twentyItemBill } from '../../support/requests.js';
import { bundleOf, claimOf, claimText, coverageOf, organizationOf, patientOf, rawNumber } from './claims.js';

export const NANTONG_HOSPITAL = 'H32060200001';

type Json = Record<string, unknown>;
interface Adjudication { category: { coding?: Array<{ system?: string; code?: string }> }; amount?: { value: unknown } }

/** An answer's body, with every number kept as its JSON text. */
function fhirBody(text: string): Json { return parseLossless(text) as Json; }
/** The JSON text of a Money value: exactly what the wire carried. */
const moneyText = (money: { value: unknown } | undefined): string => {
  const value = money?.value;
  if (!isLosslessNumber(value)) throw new Error(`not a JSON number: ${String(value)}`);
  return value.value;
};
const code = (a: Adjudication, system: string) => a.category.coding?.find((c) => c.system === system)?.code;
/** The per-payer amounts of a ClaimResponse/EOB total[], in order: [layer/programme, amount text]. */
const payerTotals = (resource: Json) => (resource.total as Adjudication[])
  .filter((t) => code(t, SYSTEM.payerLayer) !== undefined)
  .map((t) => [`${code(t, SYSTEM.payerLayer)}/${code(t, SYSTEM.programme)}`, moneyText(t.amount)]);
const standardTotal = (resource: Json, c: string) => moneyText((resource.total as Adjudication[]).find((t) => code(t, SYSTEM.adjudication) === c)?.amount);
const splitTotals = (s: Split) => s.lines.map((l) => [`${l.layer}/${l.programme}`, l.amount]);

/** The resource re-read with plain JSON.parse, for the R4 schema (which only needs structure). */
const expectValidR4 = (text: string) => expect(fhirSchemaErrors(JSON.parse(text))).toEqual([]);

describe('FHIR adapter', () => {
  let gw: TestGateway;
  let redis: TestRedis;
  let fhirA: TestFhirServer;
  let fhirNantong: TestFhirServer;
  let seq = 0;
  const nextId = () => `FH${Date.now()}${++seq}`;
  const person = (region = '990100') => `${region}19800101${String(++seq).padStart(4, '0')}`;

  const submit = (resource: unknown, token = TOKENS.deskA, query = '') =>
    call(gw.url, `/fhir/Claim/$submit${query}`, { raw: claimText(resource), token, contentType: 'application/fhir+json' });

  beforeAll(async () => {
    [redis, fhirA, fhirNantong] = await Promise.all([startRedis(), startFhirServer(), startFhirServer()]);
    const dir = mkdtempSync(join(tmpdir(), 'gw-fhir-'));
    const serversFile = join(dir, 'fhir-servers.json');
    writeFileSync(serversFile, JSON.stringify({
      [HOSPITAL_A]: { baseUrl: fhirA.baseUrl, timeoutMs: 500, retries: 1 },
      [NANTONG_HOSPITAL]: { baseUrl: fhirNantong.baseUrl, timeoutMs: 500, retries: 1 },
    }));
    gw = await startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false', FHIR_SERVERS_FILE: serversFile, FHIR_BREAKER_RESET_MS: '300' });
  });
  afterAll(async () => { await gw?.stop(); await Promise.all([redis?.stop(), fhirA?.stop(), fhirNantong?.stop()]); });

  it('serves a CapabilityStatement that is valid R4', async () => {
    const res = await call(gw.url, '/fhir/metadata', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    expect((res.json as Json).resourceType).toBe('CapabilityStatement');
    expectValidR4(res.text);
  });

  it('serves the StructureDefinition of every extension at its URL, each valid R4', async () => {
    for (const url of Object.values(EXT)) {
      const res = await call(gw.url, `/fhir/StructureDefinition/${url.slice(url.lastIndexOf('/') + 1)}`, { token: null });
      expect(res.status, url).toBe(200);
      expectValidR4(res.text);
      expect((res.json as { url: string }).url).toBe(url);
    }
    expect((await call(gw.url, '/fhir/StructureDefinition/nothing-here', { token: null })).status).toBe(404);
  });

  it('settles a demo-region Claim whose Patient and Coverage it reads from the hospital\'s FHIR server; amounts equal the native split; the EOB reads back; a reversal shows', async () => {
    const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person(), categories: ['dibao'] }, items: twentyItemBill(3) });
    fhirA.put(JSON.parse(claimText(patientOf(native, 'demo-1'))) as never);
    fhirA.put(JSON.parse(claimText(coverageOf(native, 'demo-cov-1', 'Patient/demo-1'))) as never);
    const readsBefore = fhirA.reads;
    const native0 = asSplit((await call(gw.url, '/v1/settlements/preview', { body: native, token: TOKENS.deskA })).json);

    const res = await submit(claimOf(native, { references: 'remote', patientId: 'demo-1', coverageId: 'demo-cov-1' }));
    expect(res.status, res.text).toBe(201);
    expect(fhirA.reads - readsBefore).toBe(2);
    expectValidR4(res.text);
    const response = fhirBody(res.text);
    expect(response.resourceType).toBe('ClaimResponse');
    expect(response.status).toBe('active');
    // Absolute, on the hospital's server: relative to the gateway it would name nothing the gateway serves.
    expect(response.patient).toEqual({ reference: `${fhirA.baseUrl}/Patient/demo-1` });

    const stored = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${native.settlementId}`, { token: TOKENS.deskA })).json);
    expect(payerTotals(response)).toEqual(splitTotals(stored));
    expect(splitTotals(stored)).toEqual(splitTotals(native0)); // the same bill previewed natively before
    expect(standardTotal(response, 'submitted')).toBe(stored.total);
    expect(standardTotal(response, 'eligible')).toBe(stored.compliant);
    expect(standardTotal(response, 'copay')).toBe(stored.patientPays);
    expect(res.text).toMatch(/"value":\d+\.\d{2}[,}]/); // money written with exactly two decimals
    expect(res.text).not.toMatch(/"value":\d+(\.\d)?[,}]/);
    // The explanation lines, in Chinese, and the layers as Coverages in waterfall order.
    const notes = (response.processNote as Array<{ text: string }>).map((n) => n.text);
    expect(notes.join('\n')).toContain(stored.lines[0]!.explanation[0]!);
    const contained = response.contained as Array<{ order: unknown; payor: Array<{ display: string }> }>;
    expect(contained.map((c) => Number(String(c.order)))).toEqual(stored.lines.map((_l, i) => i + 1));
    expect(contained.map((c) => c.payor[0]!.display)).toEqual(stored.lines.map((l) => l.payer));
    // Items: submitted and eligible per item, with the Claim's sequences.
    const items = response.item as Array<{ itemSequence: unknown; adjudication: Adjudication[] }>;
    expect(items).toHaveLength(20);

    // The ExplanationOfBenefit of the settlement, by the id in Location.
    const location = res.headers.get('location') ?? '';
    const id = location.replace('ClaimResponse/', '');
    const eob = await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.deskA });
    expect(eob.status, eob.text).toBe(200);
    expectValidR4(eob.text);
    const eobBody = fhirBody(eob.text);
    expect(eobBody.status).toBe('active');
    expect(payerTotals(eobBody)).toEqual(splitTotals(stored));
    expect(moneyText((eobBody.payment as { amount: { value: unknown } }).amount)).toBe(moneyText((response.payment as { amount: { value: unknown } }).amount));
    // Another hospital's desk may not read it.
    const foreign = await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.deskB });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.text)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics: `客户端 desk-b 无权代表医疗机构 ${HOSPITAL_A} 办理` }] });

    // Resubmitting the same Claim answers the same settlement (idempotent replay).
    const again = await submit(claimOf(native, { references: 'remote', patientId: 'demo-1', coverageId: 'demo-cov-1' }));
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replay')).toBe('true');
    expect(payerTotals(fhirBody(again.text))).toEqual(splitTotals(stored));

    // Reversal through /v1 shows in the EOB.
    expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${native.settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA })).status).toBe(200);
    const reversed = await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.auditor });
    expect(fhirBody(reversed.text).status).toBe('cancelled');
    expectValidR4(reversed.text);
  });

  it('settles a 南通 低补保 person\'s Claim (Bundle, references read from the 南通 hospital\'s server), paying 98% of the compliant cost left; cancels it by a cancelled Claim', async () => {
    const native = requestBody({
      settlementId: nextId(),
      hospital: { id: NANTONG_HOSPITAL, region: '320602', level: 3 },
      patient: { id: person('320602'), insuredRegion: '320602', categories: ['dibao'] },
      encounter: { admittedOn: '2022-05-01', dischargedOn: '2022-05-20', diagnoses: [{ icd10: 'C34.9', primary: true }] },
      items: compliantItems('10000.00'),
      upstream: { basic: '6000.00', majorIllness: '1000.00', aid: '500.00' },
    });
    fhirNantong.put(JSON.parse(claimText(patientOf(native, 'nt-1'))) as never);
    fhirNantong.put(JSON.parse(claimText(coverageOf(native, 'nt-cov-1', 'Patient/nt-1'))) as never);
    const claim = claimOf(native, { references: 'remote', patientId: 'nt-1', coverageId: 'nt-cov-1' });
    const { contained: _unused, ...bare } = claim;
    const bundled = bundleOf({ ...bare, provider: { reference: 'Organization/org' } }, organizationOf(native));
    const res = await submit(bundled, TOKENS.admin);
    expect(res.status, res.text).toBe(201);
    expectValidR4(res.text);
    const response = fhirBody(res.text);
    const dibubao = (response.total as Adjudication[]).find((t) => code(t, SYSTEM.programme) === 'nantong-2022-dibubao');
    expect(moneyText(dibubao?.amount)).toBe('2450.00'); // (10000 − 6000 − 1000 − 500) × 98%
    const stored = asSplit((await call(gw.url, `/v1/settlements/${NANTONG_HOSPITAL}/${native.settlementId}`)).json);
    expect(payerTotals(response)).toEqual(splitTotals(stored));

    const cancelled = await submit(bundleOf({ ...bare, provider: { reference: 'Organization/org' }, status: 'cancelled' }, organizationOf(native)), TOKENS.admin);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(fhirBody(cancelled.text).status).toBe('cancelled');
    expect(asSplit((await call(gw.url, `/v1/settlements/${NANTONG_HOSPITAL}/${native.settlementId}`)).json).status).toBe('reversed');
  });

  it('finds a person\'s EOBs by ID number (POST _search), whichever door they were settled by, within the caller\'s hospitals', async () => {
    const personId = person();
    const settled = [HOSPITAL_A, HOSPITAL_B].map((hospital) => requestBody({ settlementId: nextId(), hospital: { id: hospital }, patient: { id: personId } }));
    for (const native of settled) expect((await call(gw.url, '/v1/settlements', { body: native, token: TOKENS.admin })).status).toBe(201);
    const search = (token: string, form: string) => fetch(`${gw.url}/fhir/ExplanationOfBenefit/_search`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form,
    }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const form = `patient:identifier=${encodeURIComponent(`${SYSTEM.personId}|${personId}`)}`;

    const all = await search(TOKENS.auditor, form);
    expect(all.status, all.text).toBe(200);
    expectValidR4(all.text);
    const bundle = fhirBody(all.text) as { type: string; entry: Array<{ fullUrl: string; resource: Json }> };
    expect(bundle.type).toBe('searchset');
    expect(bundle.entry.map((e) => (e.resource.identifier as Array<{ value: string }>)[1]!.value).sort()).toEqual(settled.map((n) => n.settlementId).sort());
    const deskA = fhirBody((await search(TOKENS.deskA, form)).text) as { entry: Array<{ resource: Json }> };
    expect(deskA.entry.map((e) => (e.resource.provider as { identifier: { value: string } }).identifier.value)).toEqual([HOSPITAL_A]);
    // Each EOB found is readable by its id afterwards, and equals the stored split.
    const id = String(deskA.entry[0]!.resource.id);
    const read = await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.deskA });
    expect(read.status).toBe(200);
    const stored = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${settled[0]!.settlementId}`)).json);
    expect(payerTotals(fhirBody(read.text))).toEqual(splitTotals(stored));
    // Not by URL: the ID number would be logged.
    expect((await call(gw.url, `/fhir/ExplanationOfBenefit?patient:identifier=${personId}`, { token: TOKENS.auditor })).status).toBe(400);
    expect((await search(TOKENS.auditor, 'patient:identifier=not%20an%20id')).status).toBe(400);
  });

  it('settles 20 concurrent submissions of one Claim once: one 201, the others replays of the same answer', async () => {
    const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() }, items: twentyItemBill(7) });
    const answers = await Promise.all(Array.from({ length: 20 }, () => submit(claimOf(native))));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 201]);
    const amounts = new Set(answers.map((a) => JSON.stringify(payerTotals(fhirBody(a.text)))));
    expect(amounts.size).toBe(1);
    const stored = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${native.settlementId}`)).json);
    expect(JSON.parse([...amounts][0]!)).toEqual(splitTotals(stored));
  });

  it('previews with ?preview=true or use = predetermination, committing nothing', async () => {
    const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() } });
    for (const [query, use] of [['?preview=true', 'claim'], ['', 'predetermination']] as const) {
      const res = await submit(claimOf(native, { use }), TOKENS.deskA, query);
      expect(res.status, res.text).toBe(200);
      expectValidR4(res.text);
      expect(fhirBody(res.text).use).toBe('predetermination');
    }
    expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${native.settlementId}`)).status).toBe(404);
    // Bundle-internal references (urn:uuid) are not repeated in the answer: the person's identifier stands in.
    const { contained: _c, ...bare } = claimOf(native, { use: 'predetermination' });
    const bundled = bundleOf({ ...bare, patient: { reference: 'urn:uuid:Patient-p1' }, provider: { reference: 'urn:uuid:Organization-org' }, insurance: [{ sequence: rawNumber('1'), focal: true, coverage: { reference: 'urn:uuid:Coverage-c1' } }] },
      patientOf(native), coverageOf(native), organizationOf(native));
    const res = await submit(bundled);
    expect(res.status, res.text).toBe(200);
    expectValidR4(res.text);
    expect(fhirBody(res.text).patient).toEqual({ identifier: { system: SYSTEM.personId, value: native.patient.id } });
  });

  describe('errors as OperationOutcome with FHIR paths', () => {
    const outcome = (text: string) => JSON.parse(text) as { resourceType: string; issue: Array<{ code: string; expression?: string[]; diagnostics?: string }> };
    const expressions = (text: string) => outcome(text).issue.flatMap((i) => i.expression ?? []);

    it('names the Claim elements of native validation errors', async () => {
      const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() }, items: [
        { code: 'A1', name: 'a', amount: '10.00', class: 'A' },
        { code: 'A2', name: 'b', amount: '10.005', class: 'A' },
        { code: 'A3', name: 'c', amount: '1e3', class: 'A' },
      ] });
      const claim = claimOf(native);
      const items = claim.item as Array<{ extension: unknown[] }>;
      items[0]!.extension = []; // no catalogue class
      const res = await submit(claim);
      expect(res.status).toBe(400);
      expectValidR4(res.text);
      expect(outcome(res.text).resourceType).toBe('OperationOutcome');
      expect(expressions(res.text)).toEqual(expect.arrayContaining([
        `Claim.item[0].extension('${EXT.catalogueClass}').valueCode`,
        'Claim.item[1].net.value',
        'Claim.item[2].net.value',
      ]));
    });

    it('names structural errors and unresolvable references', async () => {
      const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() } });
      const noItems = { ...claimOf(native), item: [] };
      expect(expressions((await submit(noItems)).text)).toContain('Claim.item');
      const badRef = { ...claimOf(native), patient: { reference: '#nobody' } };
      const res = await submit(badRef);
      expect(res.status).toBe(400);
      expect(expressions(res.text)).toContain('Claim.patient.reference');
      const wrongTotal = await submit({ ...claimOf(native), total: { value: rawNumber('10000.01'), currency: 'CNY' } });
      expect(wrongTotal.status).toBe(422);
      expect(expressions(wrongTotal.text)).toEqual(['Claim.total.value']);
      expect((await submit({ ...claimOf(native, { use: 'predetermination' }), total: { value: rawNumber('10000.00'), currency: 'CNY' } })).status).toBe(200);
      const notAClaim = await submit({ resourceType: 'Patient' });
      expect(notAClaim.status).toBe(400);
      const missing = await submit(claimOf(native, { references: 'remote', patientId: 'nobody-here', coverageId: 'none' }));
      expect(missing.status).toBe(422);
      expect(expressions(missing.text)).toEqual(expect.arrayContaining(['Claim.patient.reference']));
      const notJson = await call(gw.url, '/fhir/Claim/$submit', { raw: '{"resourceType":', token: TOKENS.deskA, contentType: 'application/fhir+json' });
      expect(notJson.status).toBe(400);
      expect(outcome(notJson.text).resourceType).toBe('OperationOutcome');
    });

    it('settles only active Claims and cancels cancelled ones', async () => {
      const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() } });
      const draft = await submit({ ...claimOf(native), status: 'draft' });
      expect(draft.status).toBe(400);
      expect(expressions(draft.text)).toEqual(['Claim.status']);
      const unknown = await submit(claimOf(native, { status: 'cancelled' }));
      expect(unknown.status).toBe(404);
      expect(outcome(unknown.text).issue[0]!.code).toBe('not-found');
      const preauth = await submit({ ...claimOf(native), use: 'preauthorization' });
      expect(expressions(preauth.text)).toEqual(['Claim.use']);
      const wrongType = await call(gw.url, '/fhir/Claim/$submit', { raw: claimText(claimOf(native)), token: TOKENS.deskA, contentType: 'text/plain' });
      expect(wrongType.status).toBe(415);
    });

    it('authenticates like /v1 and keeps a desk to its hospitals', async () => {
      const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() } });
      const anonymous = await call(gw.url, '/fhir/Claim/$submit', { raw: claimText(claimOf(native)), token: null, contentType: 'application/fhir+json' });
      expect(anonymous.status).toBe(401);
      expect(outcome(anonymous.text).issue[0]!.code).toBe('login');
      const other = await submit(claimOf(native, { references: 'remote', patientId: 'demo-1', coverageId: 'demo-cov-1' }), TOKENS.deskB);
      expect(other.status).toBe(403);
      expect(outcome(other.text).issue[0]!.code).toBe('forbidden');
      expect(outcome(other.text).issue[0]!.diagnostics).toBe(`客户端 desk-b 无权代表医疗机构 ${HOSPITAL_A} 办理`);
      expect((await call(gw.url, '/fhir/ExplanationOfBenefit/0123456789abcdef', { token: TOKENS.deskA })).status).toBe(404);
    });
  });

  it('refuses a Claim whose Patient, read from the hospital\'s FHIR server, carries a modifier extension: 422 not-supported naming the reference, nothing settled', async () => {
    const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() } });
    fhirA.put({ ...(JSON.parse(claimText(patientOf(native, 'mod-1'))) as Json), modifierExtension: [{ url: 'https://his.example/fhir/StructureDefinition/deceased-unknown', valueBoolean: true }] } as never);
    fhirA.put(JSON.parse(claimText(coverageOf(native, 'mod-cov-1', 'Patient/mod-1'))) as never);
    const res = await submit(claimOf(native, { references: 'remote', patientId: 'mod-1', coverageId: 'mod-cov-1' }));
    expect(res.status, res.text).toBe(422);
    expectValidR4(res.text);
    const issue = JSON.parse(res.text).issue[0];
    expect(issue.code).toBe('not-supported');
    expect(issue.expression).toEqual(['Claim.patient.reference']);
    expect(issue.diagnostics).toContain('deceased-unknown');
    expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${native.settlementId}`)).status).toBe(404);
  });

  it('answers a clear OperationOutcome when the hospital\'s FHIR server is down or slow, and opens the breaker', async () => {
    const native = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() } });
    const claim = claimOf(native, { references: 'remote', patientId: 'slow-1', coverageId: 'slow-cov-1' });
    fhirA.latencyMs = 2_000; // above the 500 ms read timeout
    const slow = await submit(claim);
    expect(slow.status).toBe(503);
    expect(slow.headers.get('retry-after')).not.toBeNull();
    expect(JSON.parse(slow.text).issue[0].code).toBe('transient');
    expect(JSON.parse(slow.text).issue[0].diagnostics).toContain('超时');
    fhirA.latencyMs = 0;
    fhirA.mode = 'drop';
    let last = slow;
    for (let i = 0; i < 4; i++) last = await submit(claim);
    expect(last.status).toBe(503);
    expect(JSON.parse(last.text).issue[0].diagnostics).toContain('熔断');
    const metrics = await call(gw.url, '/metrics', { token: null });
    expect(metrics.text).toMatch(new RegExp(`gateway_fhir_server_breaker_state\\{hospital="${HOSPITAL_A}"\\} 2`));
    expect(metrics.text).toMatch(/gateway_fhir_server_reads_total\{hospital="H99000000001",resource="(Patient|Coverage)",outcome="open"\} [1-9]/);
    // Claims that carry their Patient and Coverage do not need the server; nor does a cancellation.
    const carriedNative = { ...native, settlementId: nextId() };
    const carried = await submit(claimOf(carriedNative));
    expect(carried.status, carried.text).toBe(201);
    const cancelled = await submit(claimOf(carriedNative, { references: 'remote', status: 'cancelled' }));
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(JSON.parse(cancelled.text).status).toBe('cancelled');

    // The server is back: after the reset timeout a trial read goes through and the breaker closes.
    fhirA.mode = 'ok';
    fhirA.put(JSON.parse(claimText(patientOf(native, 'slow-1'))) as never);
    fhirA.put(JSON.parse(claimText(coverageOf(native, 'slow-cov-1', 'Patient/slow-1'))) as never);
    let recovered = last;
    for (let i = 0; i < 50 && recovered.status !== 201; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      recovered = await submit(claim);
    }
    expect(recovered.status, recovered.text).toBe(201);
    const after = await call(gw.url, '/metrics', { token: null });
    expect(after.text).toMatch(new RegExp(`gateway_fhir_server_breaker_state\\{hospital="${HOSPITAL_A}"\\} 0`));
  });
});

