/**
 * The conformance resources: every StructureDefinition served with a snapshot that is its base's snapshot
 * with its differential applied (and snapshots.json current with the R4 base definitions), every CodeSystem
 * and NamingSystem the answers name served and holding the codes they use, and the ClaimResponse and EOB
 * profiles declared in the CapabilityStatement, claimed in meta.profile and met by the answers.
 */
import { readFileSync } from 'node:fs';
import type * as fhir4 from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { medplumBases } from '../../../adapters/fhir/base-definitions.js';
import { DIFFERENTIALS, SNAPSHOTS_FILE } from '../../../adapters/fhir/definitions.js';
import { generateSnapshots, snapshotsText } from '../../../adapters/fhir/snapshot.js';
import { EXT, FHIR_BASE, PROFILE } from '../../../adapters/fhir/vocabulary.js';
import { fhirSchemaErrors } from '../../support/fhir-validator.js';
import { call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { requestBody, twentyItemBill } from '../../support/requests.js';
import { claimOf, claimText } from './claims.js';

type Json = Record<string, unknown>;
const bases = medplumBases();

/** Every { system, code } and every extension url in a resource. */
function namesIn(value: unknown, found: { codings: Array<{ system: string; code: string }>; identifierSystems: string[]; extensions: string[] } = { codings: [], identifierSystems: [], extensions: [] }) {
  if (Array.isArray(value)) { for (const v of value) namesIn(v, found); return found; }
  if (typeof value !== 'object' || value === null) return found;
  const o = value as Json;
  if (typeof o.system === 'string' && typeof o.code === 'string') found.codings.push({ system: o.system, code: o.code });
  if (typeof o.system === 'string' && typeof o.value === 'string') found.identifierSystems.push(o.system);
  if (typeof o.url === 'string' && ('extension' in o || Object.keys(o).some((k) => k.startsWith('value')))) found.extensions.push(o.url);
  for (const child of Object.values(o)) namesIn(child, found);
  return found;
}

describe('FHIR conformance resources', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway({ RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' }); });
  afterAll(async () => { await gw?.stop(); });

  it('snapshots.json is what snapshots-cli.ts generates from the R4 base definitions (run it after changing a definition)', () => {
    expect(readFileSync(SNAPSHOTS_FILE, 'utf8')).toBe(snapshotsText(generateSnapshots(DIFFERENTIALS, bases)));
  });

  it('serves every StructureDefinition with a snapshot: the base\'s elements in order, the differential applied, children after parents; valid R4', async () => {
    expect(DIFFERENTIALS.map((d) => d.url)).toEqual(expect.arrayContaining([...Object.values(EXT), PROFILE.claimResponse, PROFILE.explanationOfBenefit]));
    for (const written of DIFFERENTIALS) {
      const res = await call(gw.url, `/fhir/StructureDefinition/${written.id!}`, { token: null });
      expect(res.status, written.id).toBe(200);
      expect(fhirSchemaErrors(res.json), written.id).toEqual([]);
      const served = res.json as fhir4.StructureDefinition;
      expect(served.differential).toEqual(written.differential);
      const snapshot = served.snapshot!.element;
      const ids = snapshot.map((e) => e.id!);
      // Every base element, in the base's order.
      const baseIds = bases(written.baseDefinition!).map((e) => e.id!);
      expect(ids.filter((id) => baseIds.includes(id))).toEqual(baseIds);
      // Every differential element, with its constraints.
      for (const diff of written.differential!.element) {
        const element = snapshot.find((e) => e.id === diff.id);
        expect(element, `${written.id} ${diff.id}`).toBeDefined();
        for (const key of ['min', 'max', 'fixedUri', 'type', 'sliceName', 'slicing', 'short'] as const) {
          if (diff[key] !== undefined) expect(element![key], `${written.id} ${diff.id} ${key}`).toEqual(diff[key]);
        }
      }
      // Each element's parent (or the element it slices) comes before it; ids are unique.
      expect(new Set(ids).size).toBe(ids.length);
      ids.forEach((id, i) => {
        if (i === 0) return;
        const parent = id.includes(':') && !id.slice(id.lastIndexOf(':')).includes('.') ? id.slice(0, id.lastIndexOf(':')) : id.slice(0, id.lastIndexOf('.'));
        expect(ids.slice(0, i), `${written.id} ${id}`).toContain(parent);
      });
    }
  });

  it('names only systems it serves: each code in its CodeSystem, each identifier system a NamingSystem, each extension a StructureDefinition; the answers claim the profiles and meet them', async () => {
    const native = requestBody({ settlementId: `DEF${Date.now()}`, hospital: { id: HOSPITAL_A }, patient: { id: '990100198001019876', categories: ['dibao'] }, items: twentyItemBill(5) });
    const settled = await call(gw.url, '/fhir/Claim/$submit', { raw: claimText(claimOf(native)), token: TOKENS.deskA, contentType: 'application/fhir+json' });
    expect(settled.status, settled.text).toBe(201);
    const id = (settled.headers.get('location') ?? '').replace('ClaimResponse/', '');
    const eob = await call(gw.url, `/fhir/ExplanationOfBenefit/${id}`, { token: TOKENS.deskA });
    const answers = [settled.json as Json, eob.json as Json];

    for (const answer of answers) {
      const names = namesIn(answer);
      // The walk finds what the answers name (else the checks below prove nothing).
      expect(new Set(names.codings.filter((c) => c.system.startsWith(FHIR_BASE)).map((c) => c.system.slice(FHIR_BASE.length)))).toEqual(new Set(['/CodeSystem/payer-layer', '/CodeSystem/programme', '/CodeSystem/bill-part']));
      expect(new Set(names.identifierSystems.filter((s) => s.startsWith(FHIR_BASE)))).toEqual(new Set(['gateway-id', 'settlement-id', 'person-id', 'hospital-id'].map((n) => `${FHIR_BASE}/NamingSystem/${n}`)));
      expect(names.extensions).toContain(EXT.gatewayId);
      for (const { system, code } of names.codings.filter((c) => c.system.startsWith(FHIR_BASE))) {
        const res = await call(gw.url, `/fhir/CodeSystem/${system.slice(`${FHIR_BASE}/CodeSystem/`.length)}`, { token: null });
        expect(res.status, system).toBe(200);
        expect(fhirSchemaErrors(res.json), system).toEqual([]);
        const codeSystem = res.json as fhir4.CodeSystem;
        expect(codeSystem.url).toBe(system);
        expect(codeSystem.concept?.map((c) => c.code), `${system} ${code}`).toContain(code);
      }
      for (const system of new Set(names.identifierSystems.filter((s) => s.startsWith(FHIR_BASE)))) {
        const res = await call(gw.url, `/fhir/NamingSystem/${system.slice(`${FHIR_BASE}/NamingSystem/`.length)}`, { token: null });
        expect(res.status, system).toBe(200);
        expect(fhirSchemaErrors(res.json), system).toEqual([]);
        expect((res.json as fhir4.NamingSystem).uniqueId.map((u) => u.value)).toContain(system);
      }
      for (const url of new Set(names.extensions.filter((u) => u.startsWith(FHIR_BASE)))) {
        expect((await call(gw.url, `/fhir/StructureDefinition/${url.slice(url.lastIndexOf('/') + 1)}`, { token: null })).status, url).toBe(200);
      }

      // The profile it claims is served, and what it requires is there.
      const profileUrl = (answer.meta as { profile: string[] }).profile[0]!;
      const profile = (await call(gw.url, `/fhir/StructureDefinition/${profileUrl.slice(profileUrl.lastIndexOf('/') + 1)}`, { token: null })).json as fhir4.StructureDefinition;
      expect(profile.type).toBe(answer.resourceType);
      for (const element of profile.differential!.element.filter((e) => (e.min ?? 0) > 0)) {
        const name = element.path.slice(element.path.indexOf('.') + 1);
        const value = answer[name];
        if (element.sliceName) {
          const url = element.type![0]!.profile![0]!;
          expect((answer.extension as Array<{ url: string }>).filter((e) => e.url === url), `${element.id}`).toHaveLength(1);
        } else {
          expect(Array.isArray(value) ? value.length : value === undefined ? 0 : 1, element.id).toBeGreaterThanOrEqual(element.min!);
        }
      }
    }
    // The catalogue code systems the catalog-entry extension names.
    expect((await call(gw.url, '/fhir/CodeSystem/nantong-55', { token: null })).status).toBe(200);
    expect((await call(gw.url, '/fhir/CodeSystem/no-such-system', { token: null })).status).toBe(404);
  });

  it('declares the profiles and the conformance resources in the CapabilityStatement', async () => {
    const res = await call(gw.url, '/fhir/metadata', { token: null });
    expect(fhirSchemaErrors(res.json)).toEqual([]);
    const resources = (res.json as fhir4.CapabilityStatement).rest![0]!.resource!;
    const byType = new Map(resources.map((r) => [r.type, r]));
    expect(byType.get('ClaimResponse')!.profile).toBe(PROFILE.claimResponse);
    expect(byType.get('ExplanationOfBenefit')!.supportedProfile).toEqual([PROFILE.explanationOfBenefit]);
    expect([...byType.keys()]).toEqual(expect.arrayContaining(['StructureDefinition', 'CodeSystem', 'NamingSystem']));
  });
});
