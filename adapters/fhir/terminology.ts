/**
 * The code systems and naming systems this endpoint's resources use, served at their own URLs
 * (GET /fhir/CodeSystem/{id}, /fhir/NamingSystem/{id}, no token) so that a validator or a terminology
 * server can resolve every system the answers and the extensions name. The programme and catalogue code
 * systems are the packs and disease catalogues loaded at start-up: their codes are exactly the ones the
 * engine can answer or read.
 */
import type * as fhir4 from 'fhir/r4.js';
import type { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { LAYER_NAMES } from '../../schemas/vocabulary.js';
import { BILL_PARTS, CASH_BENEFIT, FHIR_BASE, INSUTYPE_NAMES, SYSTEM } from './vocabulary.js';

const idOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1);
const nameOf = (id: string): string => id.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

function codeSystem(url: string, title: string, description: string, concepts: ReadonlyArray<{ code: string; display: string }>): fhir4.CodeSystem {
  return {
    resourceType: 'CodeSystem', id: idOf(url), url, name: nameOf(idOf(url)), title, status: 'active', description,
    caseSensitive: true, content: 'complete', count: concepts.length,
    concept: concepts.map((c) => ({ code: c.code, display: c.display })),
  };
}

function namingSystem(url: string, title: string, description: string, date: string): fhir4.NamingSystem {
  return {
    resourceType: 'NamingSystem', id: idOf(url), name: nameOf(idOf(url)), status: 'active', kind: 'identifier', date,
    description: `${title}: ${description}`,
    uniqueId: [{ type: 'uri', value: url, preferred: true }],
  };
}

export interface Terminology {
  codeSystems: ReadonlyMap<string, fhir4.CodeSystem>;
  namingSystems: ReadonlyMap<string, fhir4.NamingSystem>;
}

export function terminologyOf(programmes: ProgrammeSet, date: string): Terminology {
  const systems = [
    codeSystem(SYSTEM.insutype, '险种类型', 'Coverage.type: the basic insurance scheme (医保险种 insutype).', Object.entries(INSUTYPE_NAMES).map(([code, display]) => ({ code, display }))),
    codeSystem(SYSTEM.payerLayer, '支付层级', 'The payer layer of a ClaimResponse/EOB adjudication and of its contained Coverages, in waterfall order; cash-benefit is paid to the patient and not deducted from the bill.',
      [...Object.entries(LAYER_NAMES).map(([code, display]) => ({ code, display })), CASH_BENEFIT]),
    codeSystem(SYSTEM.billPart, '费用构成', 'Parts of a bill (or item) outside the eligible amount, as the engine classifies them.', Object.entries(BILL_PARTS).map(([code, display]) => ({ code, display }))),
    codeSystem(SYSTEM.programme, '保障项目', 'The programmes (policy packs) in force on this gateway, by pack id.', programmes.packs.map((p) => ({ code: p.id, display: p.name }))),
    // The disease catalogues a Claim's catalog-entry extension names (system CodeSystem/<catalogue>, code = entry number).
    ...programmes.catalogues.map((c) => codeSystem(`${FHIR_BASE}/CodeSystem/${c.id}`, c.name, `Disease catalogue ${c.id} (${c.source.file}, ${c.source.clause}): code = entry number.`, c.entries.map((e) => ({ code: String(e.entry), display: e.name })))),
  ];
  const codeSystems = new Map(systems.map((s) => [s.id!, s]));
  if (codeSystems.size !== systems.length) throw new Error('terminology: two code systems share an id (a catalogue named like one of the gateway\'s own systems)');
  const naming = [
    namingSystem(SYSTEM.settlementId, '结算号', 'the hospital\'s settlement number (Claim.identifier); unique within the hospital that assigns it.', date),
    namingSystem(SYSTEM.hospitalId, '医疗机构编码', 'the hospital\'s national code (定点医药机构编号; Organization.identifier).', date),
    namingSystem(SYSTEM.personId, '人员证件号码', `the person's ID number as the 医保 person record has it (Patient.identifier); ${SYSTEM.residentIdCard} (居民身份证号码) is read as the person id too.`, date),
    namingSystem(SYSTEM.gatewayId, '网关结算编号', 'the gateway\'s own id of a settlement (stl_… settled, pre_… preview).', date),
  ];
  return { codeSystems, namingSystems: new Map(naming.map((n) => [n.id!, n])) };
}
