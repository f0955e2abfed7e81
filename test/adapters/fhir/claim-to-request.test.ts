/**
 * The mapping itself: a FHIR Claim built from any native request maps back onto that request (every
 * field: hospital, person, categories, disability, 户籍, scheme, region, stay, diagnoses, catalogue entries,
 * accident, items with class, self-pay ratio and over-limit part, upstream amounts); and the resources
 * the tests submit are valid R4.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimToRequest } from '../../../adapters/fhir/claim-to-request.js';
import { parseFhirJson } from '../../../adapters/fhir/json-text.js';
import type { RemoteReader } from '../../../adapters/fhir/references.js';
import { EXT, SYSTEM } from '../../../adapters/fhir/vocabulary.js';
import { settlementRequest, type SettlementRequestInput } from '../../../schemas/settlement.js';
import { fhirSchemaErrors } from '../../support/fhir-validator.js';
import { requestBody } from '../../support/requests.js';
import { bundleOf, claimOf, claimText, coverageOf, organizationOf, patientOf } from './claims.js';

const noServer: RemoteReader = { baseUrlOf: () => undefined, read: () => Promise.reject(new Error('no server in this test')) };
const allow = () => {};
const map = (resource: unknown, remote: RemoteReader = noServer) => claimToRequest(parseFhirJson(claimText(resource)), remote, allow);

const money = fc.integer({ min: 0, max: 2_000_000 }).map((fen) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`);
const nativeRequest: fc.Arbitrary<SettlementRequestInput> = fc.record({
  kind: fc.constantFrom('inpatient', 'outpatientSpecial'),
  scheme: fc.constantFrom('resident', 'employee'),
  active: fc.boolean(),
  categories: fc.subarray(['dibao', 'tekun', 'orphan', 'aid-recipient'] as const),
  disability: fc.option(fc.record({ grade: fc.integer({ min: 1, max: 4 }), type: fc.constantFrom('visual', 'physical', 'mental') }), { nil: undefined }),
  accident: fc.option(fc.boolean(), { nil: undefined }),
  hukou: fc.option(fc.constantFrom('140823', '320602'), { nil: undefined }),
  diagnoses: fc.array(fc.record({ icd10: fc.constantFrom('C34.9', 'E11.9', 'S72.0', 'C34.900x003'), primary: fc.boolean() }), { maxLength: 3 }),
  catalog: fc.array(fc.integer({ min: 1, max: 55 }), { maxLength: 2 }),
  upstream: fc.record({ basic: money, aid: money }, { requiredKeys: [] }),
  items: fc.array(fc.record({ amount: money, klass: fc.constantFrom('A', 'B', 'C'), ratio: fc.option(fc.constantFrom('0.1', '0.125', '0.05'), { nil: undefined }), over: fc.option(fc.constantFrom('0.00', '1.00'), { nil: undefined }) }), { minLength: 1, maxLength: 5 }),
  level: fc.integer({ min: 1, max: 3 }),
  drg: fc.boolean(),
}).map((g) => requestBody({
  settlementId: 'ZY-1', hospital: { id: 'H32060200001', region: '320602', level: g.level, drgPublic: g.drg },
  patient: { id: '320602196001011234', name: '李四', insuredRegion: '320602', scheme: g.scheme, categories: [...g.categories], basicInsuranceActive: g.active, ...(g.disability ? { disability: g.disability } : {}), ...(g.hukou ? { hukouRegion: g.hukou } : {}) },
  encounter: {
    kind: g.kind, admittedOn: '2022-05-01', dischargedOn: '2022-05-20',
    // One principal diagnosis at most, as a Claim marks it.
    diagnoses: g.diagnoses.map((d, i) => ({ icd10: d.icd10, primary: i === 0 })),
    catalogEntries: g.catalog.map((entry) => ({ catalog: 'nantong-55', entry })),
    cause: g.accident === undefined ? 'disease' : 'accident', thirdPartyLiable: g.accident ?? false,
  },
  items: g.items.map((it, i) => ({ code: `C${i}`, name: `项目${i}`, amount: it.amount, class: it.klass, ...(it.ratio && it.klass === 'B' ? { selfPayRatio: it.ratio } : {}), ...(it.over ? { overLimit: it.over } : {}) })),
  upstream: g.upstream,
}));

describe('Claim → native request', () => {
  it('maps back onto the request it was built from (property)', async () => {
    await fc.assert(fc.asyncProperty(nativeRequest, async (native) => {
      const mapped = await map(claimOf(native));
      expect(settlementRequest.parse(mapped.body)).toEqual(settlementRequest.parse(native));
    }), { numRuns: 200 });
  });

  it('reads a Bundle: Organization, Patient, Coverage, Encounter and a Condition by reference', async () => {
    const native = requestBody({ patient: { categories: ['dibao'] }, encounter: { kind: 'outpatientSpecial', diagnoses: [{ icd10: 'E11.9', primary: true }] } });
    const { contained: _c, ...claim } = claimOf(native);
    const condition = { resourceType: 'Condition', id: 'cond', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11.9' }] } };
    const encounter = { resourceType: 'Encounter', id: 'enc', status: 'finished', class: { system: SYSTEM.actCode, code: 'AMB' }, subject: { reference: 'Patient/p1' } };
    const bundled = bundleOf(
      { ...claim, patient: { reference: 'Patient/p1' }, provider: { reference: 'Organization/org' }, insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/c1' } }],
        diagnosis: [{ sequence: 1, diagnosisReference: { reference: 'Condition/cond' } }], item: (claim.item as Array<Record<string, unknown>>).map((i) => ({ ...i, encounter: [{ reference: 'Encounter/enc' }] })) },
      patientOf(native), coverageOf(native), organizationOf(native), encounter, condition,
    );
    expect(fhirSchemaErrors(JSON.parse(claimText(bundled)))).toEqual([]);
    const mapped = await map(bundled);
    expect(settlementRequest.parse(mapped.body)).toEqual(settlementRequest.parse(native));
    expect(mapped.echo.patientReference).toBe('Patient/p1');
  });

  it('reads Patient and Coverage from the hospital\'s server only under its base URL', async () => {
    const native = requestBody();
    const reads: string[] = [];
    const remote: RemoteReader = {
      baseUrlOf: () => 'https://fhir.hospital.example/r4',
      read: (_h, type, id) => { reads.push(`${type}/${id}`); return Promise.resolve(JSON.parse(claimText(type === 'Patient' ? patientOf(native, id) : coverageOf(native, id)))); },
    };
    const claim = claimOf(native, { references: 'remote' });
    const absolute = { ...claim, patient: { reference: 'https://fhir.hospital.example/r4/Patient/p9' } };
    expect(settlementRequest.parse((await map(absolute, remote)).body)).toEqual(settlementRequest.parse(native));
    expect(reads).toEqual(['Patient/p9', 'Coverage/c1']);
    const elsewhere = { ...claim, patient: { reference: 'https://attacker.example/Patient/p9' } };
    await expect(map(elsewhere, remote)).rejects.toMatchObject({ status: 400, errors: [{ path: 'Claim.patient.reference' }] });
  });

  it('asks for authorisation with the hospital before reading anything remote', async () => {
    const remote: RemoteReader = { baseUrlOf: () => 'https://x.example', read: () => Promise.reject(new Error('must not read')) };
    const denied = new Error('denied');
    await expect(claimToRequest(parseFhirJson(claimText(claimOf(requestBody(), { references: 'remote' }))), remote, () => { throw denied; })).rejects.toBe(denied);
  });

  it('accepts 甲/乙/丙 as catalogue classes', async () => {
    const claim = claimOf(requestBody({ items: [{ code: 'X', name: 'x', amount: '1.00', class: 'B', selfPayRatio: '0.1' }] }));
    ((claim.item as Array<{ extension: Array<{ url: string; valueCode?: string }> }>)[0]!.extension.find((e) => e.url === EXT.catalogueClass)!).valueCode = '乙';
    expect((settlementRequest.parse((await map(claim)).body)).items[0]!.class).toBe('B');
  });

  it('submits valid R4: the Claims, Patients, Coverages and Organizations the tests build', () => {
    const native = requestBody({ patient: { categories: ['dibao'], disability: { grade: 1, type: 'physical' } }, encounter: { cause: 'accident', catalogEntries: [{ catalog: 'nantong-55', entry: 4 }] }, upstream: { basic: '10.00' } });
    for (const resource of [claimOf(native), claimOf(native, { references: 'remote' }), patientOf(native), coverageOf(native), organizationOf(native)]) {
      expect(fhirSchemaErrors(JSON.parse(claimText(resource)))).toEqual([]);
    }
  });
});
