/**
 * The FHIR R4 conformance points of issue 24, as an implementer used to HAPI or Medplum expects them, over
 * real sockets (in-memory ledger): unknown modifier extensions refused, FHIRPath in every expression, the
 * standard `Parameters` invocation of $submit (fhir-kit-client's generic `operation()`), formats and
 * `Prefer`, versions and ETags, searches with paging, $validate, resolvable references, conformance
 * resources. Every resource answered is validated against the R4 JSON schema (test/support/fhir-validator.ts)
 * and every amount compared with the native split of the same bill.
 */
import { Client } from 'fhir-kit-client';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { SYSTEM } from '../../../adapters/fhir/vocabulary.js';
import type { Split } from '../../../schemas/settlement.js';
import { fhirSchemaErrors } from '../../support/fhir-validator.js';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { requestBody, twentyItemBill } from '../../support/requests.js';
import { bundleOf, claimOf, claimText, coverageOf, organizationOf, patientOf } from './claims.js';
import { isFhirPath } from './fhirpath.js';

type Json = Record<string, unknown>;
interface Adjudication { category: { coding?: Array<{ system?: string; code?: string }> }; amount?: { value: unknown } }
interface Outcome { resourceType: string; issue: Array<{ severity: string; code: string; expression?: string[]; diagnostics?: string }> }

const fhirBody = (text: string): Json => parseLossless(text) as Json;
const moneyText = (money: { value: unknown } | undefined): string => {
  const value = money?.value;
  if (!isLosslessNumber(value)) throw new Error(`not a JSON number: ${String(value)}`);
  return value.value;
};
const code = (a: Adjudication, system: string) => a.category.coding?.find((c) => c.system === system)?.code;
const payerTotals = (resource: Json) => (resource.total as Adjudication[])
  .filter((t) => code(t, SYSTEM.payerLayer) !== undefined)
  .map((t) => [`${code(t, SYSTEM.payerLayer)}/${code(t, SYSTEM.programme)}`, moneyText(t.amount)]);
const splitTotals = (s: Split) => s.lines.map((l) => [`${l.layer}/${l.programme}`, l.amount]);
const expectValidR4 = (text: string) => expect(fhirSchemaErrors(JSON.parse(text))).toEqual([]);
/** An OperationOutcome answer: valid R4, every expression FHIRPath. */
function outcomeOf(text: string): Outcome {
  expectValidR4(text);
  const outcome = JSON.parse(text) as Outcome;
  expect(outcome.resourceType).toBe('OperationOutcome');
  for (const expression of outcome.issue.flatMap((i) => i.expression ?? [])) expect(isFhirPath(expression), expression).toBe(true);
  return outcome;
}
const expressions = (text: string) => outcomeOf(text).issue.flatMap((i) => i.expression ?? []);

describe('FHIR R4 conformance (issue 24)', () => {
  let gw: TestGateway;
  let seq = 0;
  const nextId = () => `CF${Date.now()}${++seq}`;
  const person = () => `99010019800101${String(++seq).padStart(4, '0')}`;
  const native = (items = twentyItemBill(seq + 1)) => requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person(), categories: ['dibao'] }, items });
  const submit = (resource: unknown, init: { token?: string; query?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${gw.url}/fhir/Claim/$submit${init.query ?? ''}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${init.token ?? TOKENS.deskA}`, 'content-type': 'application/fhir+json', ...init.headers },
      body: claimText(resource),
    }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
  const stored = async (settlementId: string) => call(gw.url, `/v1/settlements/${HOSPITAL_A}/${settlementId}`, { token: TOKENS.deskA });

  beforeAll(async () => { gw = await startTestGateway({ RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' }); });
  afterAll(async () => { await gw?.stop(); });

  describe('modifier extensions it does not understand', () => {
    const modifier = { url: 'https://his.example/fhir/StructureDefinition/not-for-settlement', valueBoolean: true };

    it('refuses a Claim, an item or a Bundle entry that carries one (422 not-supported, each named), and settles nothing', async () => {
      const onClaim = native();
      const a = await submit({ ...claimOf(onClaim), modifierExtension: [modifier] });
      expect(a.status, a.text).toBe(422);
      expect(outcomeOf(a.text).issue.map((i) => i.code)).toEqual(['not-supported']);
      expect(expressions(a.text)).toEqual(['Claim.modifierExtension[0]']);
      expect(outcomeOf(a.text).issue[0]!.diagnostics).toContain(modifier.url);
      expect((await stored(onClaim.settlementId)).status).toBe(404);

      const onItem = native();
      const claim = claimOf(onItem);
      (claim.item as Json[])[3]!.modifierExtension = [modifier];
      const b = await submit(claim);
      expect(b.status, b.text).toBe(422);
      expect(expressions(b.text)).toEqual(['Claim.item[3].modifierExtension[0]']);
      expect((await stored(onItem.settlementId)).status).toBe(404);

      const inBundle = native();
      const { contained: _c, ...bare } = claimOf(inBundle);
      const bundled = bundleOf({ ...bare, patient: { reference: 'urn:uuid:Patient-p1' }, provider: { reference: 'urn:uuid:Organization-org' }, insurance: [{ sequence: 1, focal: true, coverage: { reference: 'urn:uuid:Coverage-c1' } }] },
        { ...patientOf(inBundle), modifierExtension: [modifier] }, coverageOf(inBundle), organizationOf(inBundle));
      const c = await submit(bundled);
      expect(c.status, c.text).toBe(422);
      expect(expressions(c.text)).toEqual(['Bundle.entry[1].resource.modifierExtension[0]']);
      expect((await stored(inBundle.settlementId)).status).toBe(404);
      // Without it, the same Claim settles, and its amounts are the native split's.
      const settled = await submit(claimOf(onItem));
      expect(settled.status, settled.text).toBe(201);
      expect(payerTotals(fhirBody(settled.text))).toEqual(splitTotals(asSplit((await stored(onItem.settlementId)).json)));
    });

    it('refuses a Claim with implicitRules, and a cancellation carrying a modifier extension cancels nothing', async () => {
      const bill = native();
      const rules = await submit({ ...claimOf(bill), implicitRules: 'https://his.example/rules' });
      expect(rules.status).toBe(422);
      expect(expressions(rules.text)).toEqual(['Claim.implicitRules']);
      expect((await submit(claimOf(bill))).status).toBe(201);
      const cancel = await submit({ ...claimOf(bill, { status: 'cancelled' }), modifierExtension: [modifier] });
      expect(cancel.status).toBe(422);
      expect(asSplit((await stored(bill.settlementId)).json).status).toBe('settled');
    });
  });

  describe('OperationOutcome.issue.expression', () => {
    const postSearch = (form: string) => fetch(`${gw.url}/fhir/ExplanationOfBenefit/_search`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKENS.auditor}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form,
    }).then(async (r) => ({ status: r.status, text: await r.text() }));

    it('is FHIRPath for every element, and a search parameter is named in the diagnostics instead', async () => {
      const bill = native([{ code: 'A1', name: 'a', amount: '10.005', class: 'A' }]);
      const claim = claimOf(bill);
      (claim.item as Array<{ extension: unknown[] }>)[0]!.extension = [];
      const invalid = await submit({ ...claim, insurance: [], diagnosis: [{ sequence: 'x' }] });
      expect(invalid.status).toBe(400);
      expect(expressions(invalid.text).length).toBeGreaterThan(0);
      const amounts = await submit(claim);
      expect(expressions(amounts.text)).toEqual(expect.arrayContaining(['Claim.item[0].net.value']));
      const notAClaim = await submit({ resourceType: 'Patient' });
      expect(notAClaim.status).toBe(400);
      outcomeOf(notAClaim.text);

      for (const [form, parameter] of [['_count=abc&patient:identifier=990100198001011234', '_count'], ['_count=5', 'patient:identifier'], ['patient:identifier=a%20b', 'patient:identifier']] as const) {
        const res = await postSearch(form);
        expect(res.status, form).toBe(400);
        const issues = outcomeOf(res.text).issue;
        expect(issues.flatMap((i) => i.expression ?? []), form).toEqual([]);
        expect(issues.map((i) => i.diagnostics).join(' '), form).toContain(parameter);
      }
    });
  });

  describe('$submit invoked with Parameters', () => {
    it('settles through fhir-kit-client\'s generic operation(): the Claim as parameter `resource`, amounts equal to the native split', async () => {
      const bill = native();
      const client = new Client({ baseUrl: `${gw.url}/fhir`, bearerToken: TOKENS.deskA });
      const claim = JSON.parse(claimText(claimOf(bill))) as Json;
      const answer = await client.operation({ name: '$submit', resourceType: 'Claim', input: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: claim }] } }) as Json;
      expect(answer.resourceType).toBe('ClaimResponse');
      expect(fhirSchemaErrors(answer)).toEqual([]);
      const split = asSplit((await stored(bill.settlementId)).json);
      // fhir-kit-client reads numbers with JSON.parse; each two-decimal amount is its double's nearest text.
      const amounts = (answer.total as Array<Adjudication & { amount: { value: number } }>)
        .filter((t) => code(t, SYSTEM.payerLayer) !== undefined)
        .map((t) => [`${code(t, SYSTEM.payerLayer)}/${code(t, SYSTEM.programme)}`, t.amount.value.toFixed(2)]);
      expect(amounts).toEqual(splitTotals(split));
      // The same Parameters again (as the same client writes it): the stored settlement, answered as a replay.
      const again = await fetch(`${gw.url}/fhir/Claim/$submit`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKENS.deskA}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: claim }] }),
      });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replay')).toBe('true');
      expect(payerTotals(fhirBody(await again.text()))).toEqual(splitTotals(split));
    });

    it('settles a Bundle carried in Parameters, and names errors where the caller put them', async () => {
      const bill = native();
      const { contained: _c, ...bare } = claimOf(bill);
      const bundled = bundleOf({ ...bare, patient: { reference: 'urn:uuid:Patient-p1' }, provider: { reference: 'urn:uuid:Organization-org' }, insurance: [{ sequence: 1, focal: true, coverage: { reference: 'urn:uuid:Coverage-c1' } }] },
        patientOf(bill), coverageOf(bill), organizationOf(bill));
      const settled = await submit({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: bundled }] });
      expect(settled.status, settled.text).toBe(201);
      expectValidR4(settled.text);
      expect(payerTotals(fhirBody(settled.text))).toEqual(splitTotals(asSplit((await stored(bill.settlementId)).json)));

      const wrong = native([{ code: 'A1', name: 'a', amount: '10.005', class: 'A' }]);
      const bad = await submit({ resourceType: 'Parameters', parameter: [{ name: 'note', valueString: 'x' }, { name: 'resource', resource: claimOf(wrong) }] });
      expect(bad.status).toBe(400);
      expect(expressions(bad.text)).toEqual(['Parameters.parameter[1].resource.item[0].net.value']);
      const none = await submit({ resourceType: 'Parameters', parameter: [{ name: 'claim', resource: claimOf(wrong) }] });
      expect(none.status).toBe(400);
      expect(expressions(none.text)).toEqual(['Parameters.parameter']);
      const patient = await submit({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: patientOf(wrong) }] });
      expect(expressions(patient.text)).toEqual(['Parameters.parameter[0].resource.resourceType']);
      const modifier = await submit({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { ...claimOf(wrong), modifierExtension: [{ url: 'https://his.example/x', valueBoolean: true }] } }] });
      expect(modifier.status).toBe(422);
      expect(expressions(modifier.text)).toEqual(['Parameters.parameter[0].resource.modifierExtension[0]']);
    });
  });

  describe('formats and Prefer', () => {
    it('answers 406 not-supported for XML asked by _format or Accept, before anything is settled; JSON asked either way is served', async () => {
      for (const [query, accept] of [['?_format=xml', undefined], ['?_format=application/fhir%2Bxml', undefined], ['', 'application/fhir+xml'], ['', 'text/turtle']] as const) {
        const metadata = await fetch(`${gw.url}/fhir/metadata${query}`, { headers: accept ? { accept } : {} });
        const text = await metadata.text();
        expect(metadata.status, `${query} ${accept}`).toBe(406);
        expect(outcomeOf(text).issue[0]!.code).toBe('not-supported');
        const bill = native();
        const refused = await submit(claimOf(bill), { query, headers: accept ? { accept } : {} });
        expect(refused.status).toBe(406);
        expect((await stored(bill.settlementId)).status).toBe(404);
      }
      for (const [query, accept] of [['?_format=json', undefined], ['?_format=application/fhir%2Bjson', undefined], ['', 'application/fhir+json'], ['', 'application/json'], ['', 'text/html,*/*;q=0.8']] as const) {
        const metadata = await fetch(`${gw.url}/fhir/metadata${query}`, { headers: accept ? { accept } : {} });
        expect(metadata.status, `${query} ${accept}`).toBe(200);
        expect(metadata.headers.get('content-type')).toContain('application/fhir+json');
      }
    });

    it('honours Prefer: return=minimal (no body, Location) and return=OperationOutcome; the settlement is the same', async () => {
      const bill = native();
      const minimal = await submit(claimOf(bill), { headers: { prefer: 'return=minimal' } });
      expect(minimal.status).toBe(201);
      expect(minimal.text).toBe('');
      expect(minimal.headers.get('preference-applied')).toBe('return=minimal');
      const location = minimal.headers.get('location') ?? '';
      expect(location).toMatch(/^ClaimResponse\/[0-9a-f]{32}$/);
      const split = asSplit((await stored(bill.settlementId)).json);
      const read = await call(gw.url, `/fhir/${location}`, { token: TOKENS.deskA });
      expect(payerTotals(fhirBody(read.text))).toEqual(splitTotals(split));

      const outcome = await submit(claimOf(bill), { headers: { prefer: 'return=OperationOutcome' } });
      expect(outcome.status).toBe(200);
      const issues = outcomeOf(outcome.text).issue;
      expect(issues).toEqual([expect.objectContaining({ severity: 'information', code: 'informational' })]);
      expect(issues[0]!.diagnostics).toContain(location);
      const representation = await submit(claimOf(bill), { headers: { prefer: 'return=representation' } });
      expect(fhirBody(representation.text).resourceType).toBe('ClaimResponse');
    });
  });

  describe('versions', () => {
    const read = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}/fhir/${path}`, { headers: { authorization: `Bearer ${TOKENS.deskA}`, ...headers } }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));

    it('gives meta.versionId and lastUpdated, an ETag, 304 for the version held; a reversal is version 2; _history and vread serve both', async () => {
      const bill = native();
      const settled = await submit(claimOf(bill));
      expect(settled.status).toBe(201);
      expect(settled.headers.get('etag')).toBe('W/"1"');
      const id = (settled.headers.get('location') ?? '').replace('ClaimResponse/', '');
      const split = asSplit((await stored(bill.settlementId)).json);
      for (const type of ['ClaimResponse', 'ExplanationOfBenefit']) {
        const first = await read(`${type}/${id}`);
        expect(first.status).toBe(200);
        expectValidR4(first.text);
        expect(first.headers.get('etag')).toBe('W/"1"');
        expect(fhirBody(first.text).meta).toMatchObject({ versionId: '1', lastUpdated: split.settledAt });
        const held = await read(`${type}/${id}`, { 'if-none-match': 'W/"1"' });
        expect(held.status).toBe(304);
        expect(held.text).toBe('');
      }
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${bill.settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA })).status).toBe(200);
      const reversed = asSplit((await stored(bill.settlementId)).json);
      for (const type of ['ClaimResponse', 'ExplanationOfBenefit']) {
        const now = await read(`${type}/${id}`, { 'if-none-match': 'W/"1"' });
        expect(now.status).toBe(200);
        expect(now.headers.get('etag')).toBe('W/"2"');
        expect(fhirBody(now.text)).toMatchObject({ status: 'cancelled', meta: { versionId: '2', lastUpdated: reversed.reversedAt } });

        const v1 = await read(`${type}/${id}/_history/1`);
        expect(v1.status).toBe(200);
        expectValidR4(v1.text);
        expect(fhirBody(v1.text)).toMatchObject({ status: 'active', meta: { versionId: '1', lastUpdated: split.settledAt } });
        expect(payerTotals(fhirBody(v1.text))).toEqual(splitTotals(split));
        expect(fhirBody((await read(`${type}/${id}/_history/2`)).text)).toMatchObject({ status: 'cancelled' });
        expect((await read(`${type}/${id}/_history/3`)).status).toBe(404);

        const history = await read(`${type}/${id}/_history`);
        expect(history.status).toBe(200);
        expectValidR4(history.text);
        const bundle = fhirBody(history.text) as { type: string; total: unknown; entry: Array<{ resource: Json; response: { etag: string } }> };
        expect(bundle.type).toBe('history');
        expect(bundle.entry.map((e) => [(e.resource.meta as { versionId: string }).versionId, e.resource.status, e.response.etag])).toEqual([['2', 'cancelled', 'W/"2"'], ['1', 'active', 'W/"1"']]);
      }
      // Another hospital's desk reads no version.
      expect((await fetch(`${gw.url}/fhir/ClaimResponse/${id}/_history/1`, { headers: { authorization: `Bearer ${TOKENS.deskB}` } })).status).toBe(403);
    });
  });

  describe('searches', () => {
    const postSearch = (type: string, form: string, token = TOKENS.auditor) => fetch(`${gw.url}/fhir/${type}/_search`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form,
    }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const getUrl = (url: string, token = TOKENS.auditor) => fetch(url, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({ status: r.status, text: await r.text() }));
    interface SearchBundle { type: string; total: unknown; link: Array<{ relation: string; url: string }>; entry: Array<{ fullUrl: string; resource: Json }> }
    const bundleOfText = (text: string) => { expectValidR4(text); return fhirBody(text) as unknown as SearchBundle; };
    const linkOf = (bundle: SearchBundle, relation: string) => bundle.link.find((l) => l.relation === relation)?.url;
    const settlementIdOf = (resource: Json) => (resource.identifier as Array<{ system: string; value: string }>).find((i) => i.system === SYSTEM.settlementId)!.value;

    it('pages a person\'s EOBs and ClaimResponses (POST, then GET next links with an opaque cursor): every settlement once, latest first, total counting all, amounts equal to the native splits', async () => {
      const personId = person();
      const bills = Array.from({ length: 5 }, (_v, i) => requestBody({ settlementId: `${nextId()}-${i}`, hospital: { id: HOSPITAL_A }, patient: { id: personId }, encounter: { admittedOn: `2024-0${i + 1}-01`, dischargedOn: `2024-0${i + 1}-05` }, items: twentyItemBill(i + 11) }));
      for (const bill of bills) expect((await call(gw.url, '/v1/settlements', { body: bill, token: TOKENS.deskA })).status).toBe(201);
      const splits = new Map<string, Split>();
      for (const bill of bills) splits.set(bill.settlementId, asSplit((await stored(bill.settlementId)).json));

      for (const type of ['ExplanationOfBenefit', 'ClaimResponse']) {
        const first = await postSearch(type, `patient:identifier=${encodeURIComponent(`${SYSTEM.personId}|${personId}`)}&_count=2`);
        expect(first.status, first.text).toBe(200);
        let page = bundleOfText(first.text);
        expect(page.type).toBe('searchset');
        expect(Number(String(page.total))).toBe(5);
        expect(linkOf(page, 'self')).toBeDefined();
        const seen: string[] = [];
        for (let pages = 1; ; pages++) {
          expect(page.entry.length).toBeLessThanOrEqual(2);
          for (const entry of page.entry) {
            expect(entry.resource.resourceType).toBe(type);
            const settlementId = settlementIdOf(entry.resource);
            seen.push(settlementId);
            expect(payerTotals(entry.resource)).toEqual(splitTotals(splits.get(settlementId)!));
          }
          const next = linkOf(page, 'next');
          if (!next) { expect(pages).toBe(3); break; }
          // The ID number never travels in a link.
          expect(next).not.toContain(personId);
          expect(linkOf(page, 'self')).not.toContain(personId);
          const res = await getUrl(next);
          expect(res.status, res.text).toBe(200);
          page = bundleOfText(res.text);
        }
        // Every settlement once, the latest first (settledAt has whole seconds: ties may come in either order).
        expect([...seen].sort()).toEqual(bills.map((b) => b.settlementId).sort());
        const times = seen.map((id) => splits.get(id)!.settledAt!);
        expect([...times].sort().reverse()).toEqual(times);
      }
    });

    it('pages with fhir-kit-client as it is: search({ postSearch }) by patient:identifier, then nextPage() over the links', async () => {
      const personId = person();
      const bills = Array.from({ length: 3 }, (_v, i) => requestBody({ settlementId: `${nextId()}-k${i}`, hospital: { id: HOSPITAL_A }, patient: { id: personId }, encounter: { admittedOn: `2024-0${i + 1}-01`, dischargedOn: `2024-0${i + 1}-05` } }));
      for (const bill of bills) expect((await call(gw.url, '/v1/settlements', { body: bill, token: TOKENS.deskA })).status).toBe(201);
      const client = new Client({ baseUrl: `${gw.url}/fhir`, bearerToken: TOKENS.deskA });
      const searchPage = z.object({
        total: z.number(), link: z.array(z.object({ relation: z.string(), url: z.string() })),
        entry: z.array(z.object({ resource: z.looseObject({ identifier: z.array(z.object({ system: z.string(), value: z.string() })) }) })),
      });
      let page: Awaited<ReturnType<Client['nextPage']>> = await client.search({ resourceType: 'ExplanationOfBenefit', searchParams: { 'patient:identifier': `${SYSTEM.personId}|${personId}`, _count: 2 }, options: { postSearch: true } });
      const seen: string[] = [];
      for (let pages = 0; page !== undefined; pages++) {
        expect(pages).toBeLessThan(2);
        const read = searchPage.parse(page);
        expect(read.total).toBe(3);
        for (const entry of read.entry) seen.push(entry.resource.identifier.find((i) => i.system === SYSTEM.settlementId)!.value);
        page = await client.nextPage({ bundle: { ...page, link: read.link } });
      }
      expect([...seen].sort()).toEqual(bills.map((b) => b.settlementId).sort());
    });

    it('finds a settlement by the hospital\'s number (identifier), as ClaimResponse.request names it: in the desk\'s hospitals, or the one named', async () => {
      const bill = native();
      const settled = await submit(claimOf(bill));
      const response = fhirBody(settled.text);
      const request = response.request as { identifier: { system: string; value: string; assigner: { identifier: { system: string; value: string } } } };
      const token = `${request.identifier.system}|${request.identifier.value}`;
      const hospital = `${request.identifier.assigner.identifier.system}|${request.identifier.assigner.identifier.value}`;
      const split = asSplit((await stored(bill.settlementId)).json);
      for (const [type, hospitalParameter] of [['ClaimResponse', 'requestor:identifier'], ['ExplanationOfBenefit', 'provider:identifier']] as const) {
        const mine = bundleOfText((await getUrl(`${gw.url}/fhir/${type}?identifier=${encodeURIComponent(token)}`, TOKENS.deskA)).text);
        expect(mine.entry.map((e) => e.resource.id)).toEqual([response.id]);
        expect(payerTotals(mine.entry[0]!.resource)).toEqual(splitTotals(split));
        expect(bundleOfText((await getUrl(`${gw.url}/fhir/${type}?identifier=${encodeURIComponent(token)}`, TOKENS.deskB)).text).entry).toEqual([]);
        // An auditor (every hospital) names the hospital: a settlement number is unique only within one.
        const unnamed = await getUrl(`${gw.url}/fhir/${type}?identifier=${encodeURIComponent(token)}`);
        expect(unnamed.status).toBe(400);
        expect(outcomeOf(unnamed.text).issue[0]!.diagnostics).toContain(hospitalParameter);
        const named = bundleOfText((await getUrl(`${gw.url}/fhir/${type}?identifier=${encodeURIComponent(token)}&${hospitalParameter}=${encodeURIComponent(hospital)}`)).text);
        expect(named.entry.map((e) => e.resource.id)).toEqual([response.id]);
        expect(linkOf(named, 'self')).toContain(`${hospitalParameter}=`);
        expect((await getUrl(`${gw.url}/fhir/${type}?identifier=${encodeURIComponent(`${SYSTEM.personId}|${bill.settlementId}`)}`, TOKENS.deskA)).status).toBe(400);
      }
      expect((await getUrl(`${gw.url}/fhir/ExplanationOfBenefit?identifier=${encodeURIComponent(token)}&requestor:identifier=${encodeURIComponent(hospital)}`)).status).toBe(400);
    });

    it('searches by _id with GET, keeps a desk to its hospitals, refuses the ID number in a URL, unknown parameters and another client\'s cursor', async () => {
      const bill = native();
      const settled = await submit(claimOf(bill));
      const id = (settled.headers.get('location') ?? '').replace('ClaimResponse/', '');
      for (const type of ['ClaimResponse', 'ExplanationOfBenefit']) {
        const found = await getUrl(`${gw.url}/fhir/${type}?_id=${id}`, TOKENS.deskA);
        expect(found.status, found.text).toBe(200);
        const bundle = bundleOfText(found.text);
        expect(bundle.entry.map((e) => e.resource.id)).toEqual([id]);
        expect(bundle.entry[0]!.fullUrl).toBe(`${gw.url}/fhir/${type}/${id}`);
        expect(payerTotals(bundle.entry[0]!.resource)).toEqual(splitTotals(asSplit((await stored(bill.settlementId)).json)));
        expect(bundleOfText((await getUrl(`${gw.url}/fhir/${type}?_id=${id}`, TOKENS.deskB)).text).entry).toEqual([]);
        expect(bundleOfText((await getUrl(`${gw.url}/fhir/${type}?_id=0123456789abcdef0123456789abcdef`)).text).total).toEqual(expect.anything());

        const inUrl = await getUrl(`${gw.url}/fhir/${type}?patient:identifier=${bill.patient.id}`);
        expect(inUrl.status).toBe(400);
        expect(outcomeOf(inUrl.text).issue[0]!.diagnostics).toContain('POST');
        const unknown = await getUrl(`${gw.url}/fhir/${type}?_id=${id}&status=active`);
        expect(unknown.status).toBe(400);
        expect(outcomeOf(unknown.text).issue[0]!.diagnostics).toContain('status');
        const both = await postSearch(type, `_id=${id}&patient:identifier=${bill.patient.id}`);
        expect(both.status).toBe(400);
      }
      const opened = bundleOfText((await postSearch('ExplanationOfBenefit', `patient:identifier=${bill.patient.id}&_count=1`, TOKENS.deskA)).text);
      const self = linkOf(opened, 'self')!;
      expect((await getUrl(self, TOKENS.deskA)).status).toBe(200);
      expect((await getUrl(self, TOKENS.deskB)).status).toBe(404);
      expect((await getUrl(`${gw.url}/fhir/ExplanationOfBenefit?_cursor=0123456789abcdef0123456789abcdef`, TOKENS.deskA)).status).toBe(404);
    });
  });

  describe('$validate', () => {
    const validate = (resource: unknown, token = TOKENS.deskA) => fetch(`${gw.url}/fhir/Claim/$validate`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: claimText(resource),
    }).then(async (r) => ({ status: r.status, text: await r.text() }));

    it('validates a Claim (bare or as Parameters) without settling: the findings $submit would give, as an OperationOutcome', async () => {
      const bill = native();
      for (const resource of [claimOf(bill), { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: claimOf(bill) }] }]) {
        const fine = await validate(resource);
        expect(fine.status, fine.text).toBe(200);
        expect(outcomeOf(fine.text).issue).toEqual([expect.objectContaining({ severity: 'information', code: 'informational' })]);
      }
      expect((await stored(bill.settlementId)).status).toBe(404);

      const wrong = native([{ code: 'A1', name: 'a', amount: '10.005', class: 'A' }, { code: 'A2', name: 'b', amount: '5.00', class: 'A' }]);
      const claim = claimOf(wrong);
      (claim.item as Array<{ extension: unknown[] }>)[1]!.extension = [];
      const found = await validate(claim);
      expect(found.status).toBe(200);
      const submitted = await submit(claim);
      expect(submitted.status).toBe(400);
      expect(outcomeOf(found.text).issue.every((i) => i.severity === 'error')).toBe(true);
      expect(expressions(found.text).sort()).toEqual(expressions(submitted.text).sort());
      expect(expressions(found.text)).toEqual(expect.arrayContaining(['Claim.item[0].net.value']));

      const modifier = await validate({ ...claimOf(bill), modifierExtension: [{ url: 'https://his.example/x', valueBoolean: true }] });
      expect(modifier.status).toBe(200);
      expect(outcomeOf(modifier.text).issue.map((i) => [i.severity, i.code])).toEqual([['error', 'not-supported']]);
      expect((await stored(bill.settlementId)).status).toBe(404);
    });

    it('warns of a settlement number already settled, and keeps a desk to its hospitals', async () => {
      const bill = native();
      expect((await submit(claimOf(bill))).status).toBe(201);
      const again = await validate(claimOf(bill));
      expect(outcomeOf(again.text).issue.map((i) => [i.severity, i.code])).toEqual([['information', 'informational'], ['warning', 'duplicate']]);
      expect(expressions(again.text)).toEqual(['Claim.identifier[0].value']);
      const other = await validate(claimOf(native()), TOKENS.deskB);
      expect(other.status).toBe(403);
      expect(outcomeOf(other.text).issue[0]!.code).toBe('forbidden');
    });
  });

  describe('references in the answers', () => {
    /** Every Reference.reference in a resource, with where it is. */
    const referencesIn = (value: unknown, path = ''): Array<[string, string]> => {
      if (Array.isArray(value)) return value.flatMap((v, i) => referencesIn(v, `${path}[${i}]`));
      if (typeof value !== 'object' || value === null || isLosslessNumber(value)) return [];
      return Object.entries(value).flatMap(([key, child]) => (key === 'reference' && typeof child === 'string' ? [[`${path}.reference`, child] as [string, string]] : referencesIn(child, `${path}.${key}`)));
    };

    it('resolve: contained, absolute, or served here — and the Claim answered is a logical reference by the hospital\'s settlement number', async () => {
      const bill = native();
      const claim = claimOf(bill);
      const settled = await submit(claim);
      expect(settled.status).toBe(201);
      const id = (settled.headers.get('location') ?? '').replace('ClaimResponse/', '');
      const answers = [fhirBody(settled.text), fhirBody((await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.deskA })).text)];
      const logical = { type: 'Claim', identifier: { system: SYSTEM.settlementId, value: bill.settlementId, assigner: { identifier: { system: SYSTEM.hospitalId, value: HOSPITAL_A } } } };
      expect(answers[0]!.request).toEqual(logical);
      expect(answers[1]!.claim).toEqual(logical);
      for (const resource of answers) {
        const contained = new Set((resource.contained as Array<{ id: string }>).map((c) => `#${c.id}`));
        for (const [where, reference] of referencesIn(resource)) {
          if (reference.startsWith('#')) { expect(contained.has(reference), where).toBe(true); continue; }
          if (/^https?:/.test(reference)) continue;
          const read = await call(gw.url, `/fhir/${reference}`, { token: TOKENS.deskA });
          expect(read.status, `${where}: ${reference}`).toBe(200);
        }
      }
    });
  });
});
