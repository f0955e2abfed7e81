/**
 * A FHIR R4 Claim (alone, or in a Bundle with its Patient, Coverage, Organization, Encounter and
 * Conditions) mapped onto the native settlement request. Nothing is judged here that the native schema
 * judges: a missing or malformed value is carried over as it is, and the native validation's field
 * errors are translated back through `origins` to the FHIR element they came from.
 */
import { formatFen, parseFen } from '../../gateway/engine/money.js';
import { InvalidInput, Unprocessable } from '../../gateway/errors.js';
import { UPSTREAM_LAYERS } from '../../schemas/settlement.js';
import {
  bundle as bundleSchema, claim as claimSchema, parameters as parametersSchema, condition as conditionSchema, coverage as coverageSchema, encounter as encounterSchema,
  organization as organizationSchema, patient as patientSchema,
  type Claim, type Coverage, type Extension, type Patient, type Reference,
} from './input-schemas.js';
import { notUnderstood } from './modifiers.js';
import { NotSupported } from './outcome.js';
import { extensionPath, fhirFieldErrors, Origins } from './paths.js';
import { ReferenceResolver, type Located, type RemoteReader } from './references.js';
import type { ClaimEcho } from './stored-claims.js';
import { EXT, FHIR_BASE, isIcd10System, PERSON_ID_SYSTEMS, SYSTEM } from './vocabulary.js';

export interface MappedClaim {
  /** The native request body, for service.preview / service.settle (which validate it). */
  body: Record<string, unknown>;
  origins: Origins;
  echo: ClaimEcho;
  hospitalId: string | undefined;
  /** The settlement number the Claim names (its identifier), when it names one. */
  settlementId: string | undefined;
  /** Claim.status: `cancelled` asks for the reversal of the settlement it names. */
  status: Claim['status'];
  /** Claim.use: `predetermination` asks for a preview. */
  use: Claim['use'];
}

const CLASS_CODES: Record<string, 'A' | 'B' | 'C'> = { A: 'A', B: 'B', C: 'C', 甲: 'A', 乙: 'B', 丙: 'C' };
const INSUTYPES: Record<string, 'employee' | 'resident'> = { '310': 'employee', '390': 'resident', employee: 'employee', resident: 'resident' };
const INPATIENT_CLASSES = new Set(['IMP', 'ACUTE', 'NONAC']);
const OUTPATIENT_CLASSES = new Set(['AMB']);

interface Found { ext: Extension; index: number }
const findAll = (list: readonly Extension[] | undefined, url: string): Found[] =>
  (list ?? []).flatMap((ext, index) => (ext.url === url ? [{ ext, index }] : []));
const findOne = (list: readonly Extension[] | undefined, url: string): Found | undefined => findAll(list, url)[0];
const sub = (ext: Extension, url: string) => ext.extension?.find((e) => e.url === url);

/** Nothing is acted on that carries a modifier extension (or implicit rules) this server does not understand. */
function refuseNotUnderstood(resource: unknown, path: string): void {
  const found = notUnderstood(resource, path);
  if (found.length > 0) throw new NotSupported(422, '提交中含有本服务不理解的修饰扩展（modifierExtension）或隐含规则，按 FHIR R4 不予处理，未结算', found);
}

interface Unwrapped { claim: Claim; claimPath: string; resolver: ReferenceResolver }

/** The resourceType of a submitted JSON value, if it has one. */
const resourceTypeOf = (value: unknown): unknown => (typeof value === 'object' && value !== null ? (value as { resourceType?: unknown }).resourceType : undefined);

/**
 * Splits the submission into the Claim and its resolver. A Claim, a Bundle holding one, or the standard
 * operation invocation: a Parameters resource whose parameter `resource` is either (what generic clients
 * send: HAPI's and fhir-kit-client's `operation()`). `path` is the submission's own FHIRPath, so every
 * error names the element where the caller put it (`Parameters.parameter[0].resource.item[1].net.value`).
 */
function unwrap(submitted: unknown, remote: RemoteReader, path?: string): Unwrapped {
  const kind = resourceTypeOf(submitted);
  if (kind === 'Parameters' && path === undefined) {
    refuseNotUnderstood(submitted, 'Parameters');
    const parsed = parametersSchema.safeParse(submitted);
    if (!parsed.success) throw new InvalidInput('Parameters 结构不符', fhirFieldErrors('Parameters', parsed.error.issues));
    const named = parsed.data.parameter.flatMap((p, index) => (p.name === 'resource' ? [{ p, index }] : []));
    const only = named[0];
    if (named.length !== 1 || !only) throw new InvalidInput('Parameters 须恰好含一个名为 resource 的参数', [{ path: 'Parameters.parameter', message: `须恰好一个 name 为 resource 的参数（Claim 或 Bundle），收到 ${named.length} 个` }]);
    const resourcePath = `Parameters.parameter[${only.index}].resource`;
    if (only.p.resource === undefined) throw new InvalidInput('参数 resource 须带资源', [{ path: resourcePath, message: '参数 resource 须是一个 Claim 或含 Claim 的 Bundle' }]);
    const inner = resourceTypeOf(only.p.resource);
    if (inner !== 'Claim' && inner !== 'Bundle') throw new InvalidInput('参数 resource 须为 Claim 或 Bundle', [{ path: `${resourcePath}.resourceType`, message: `须为 Claim 或 Bundle，收到 ${String(inner)}` }]);
    return unwrap(only.p.resource, remote, resourcePath);
  }
  if (kind === 'Claim' || kind === 'Bundle') refuseNotUnderstood(submitted, path ?? kind);
  if (kind === 'Claim') {
    const claimPath = path ?? 'Claim';
    const parsed = claimSchema.safeParse(submitted);
    if (!parsed.success) throw new InvalidInput('Claim 结构不符', fhirFieldErrors(claimPath, parsed.error.issues));
    return { claim: parsed.data, claimPath, resolver: new ReferenceResolver(claimPath, parsed.data.contained ?? [], [], remote) };
  }
  if (kind === 'Bundle') {
    const bundlePath = path ?? 'Bundle';
    const parsed = bundleSchema.safeParse(submitted);
    if (!parsed.success) throw new InvalidInput('Bundle 结构不符', fhirFieldErrors(bundlePath, parsed.error.issues));
    const claims = parsed.data.entry.flatMap((e, index) => (e.resource.resourceType === 'Claim' ? [index] : []));
    if (claims.length !== 1) throw new InvalidInput('Bundle 须恰好含一个 Claim', [{ path: `${bundlePath}.entry`, message: `expected exactly one Claim entry, found ${claims.length}` }]);
    const claimIndex = claims[0]!;
    const claimPath = `${bundlePath}.entry[${claimIndex}].resource`;
    const claim = claimSchema.safeParse(parsed.data.entry[claimIndex]!.resource);
    if (!claim.success) throw new InvalidInput('Claim 结构不符', fhirFieldErrors(claimPath, claim.error.issues));
    const others = parsed.data.entry.flatMap((e, index) => (index === claimIndex ? [] : [{ resource: e.resource, fullUrl: e.fullUrl, path: `${bundlePath}.entry[${index}].resource` }]));
    return { claim: claim.data, claimPath, resolver: new ReferenceResolver(claimPath, claim.data.contained ?? [], others, remote) };
  }
  throw new InvalidInput('须提交 Claim、含 Claim 的 Bundle，或以参数 resource 携带二者之一的 Parameters', [{ path: '(resourceType)', message: `resourceType 须为 Claim、Bundle 或 Parameters，收到 ${String(kind)}` }]);
}

/** An identifier of the given systems, else (when `fallbackFirst`) the first one. */
function pickIdentifier(list: ReadonlyArray<{ system?: string | undefined; value?: string | undefined }> | undefined, systems: readonly string[], fallbackFirst: boolean) {
  const all = list ?? [];
  const index = all.findIndex((i) => i.system !== undefined && systems.includes(i.system));
  if (index >= 0) return { value: all[index]!.value, index };
  return fallbackFirst && all.length > 0 ? { value: all[0]!.value, index: 0 } : undefined;
}

interface Provider { hospital: Record<string, unknown>; hospitalId: string | undefined; reference: string }

function readProvider(claim: Claim, claimPath: string, resolver: ReferenceResolver, origins: Origins): Provider {
  const refPath = `${claimPath}.provider`;
  const org = resolver.local(claim.provider, refPath, 'Organization', organizationSchema);
  // An Organization submitted with the Claim, or a logical reference carrying the identifier and extensions itself.
  const base = org?.path ?? refPath;
  const extensions = org ? org.resource.extension : claim.provider.extension;
  let hospitalId: string | undefined;
  if (org) {
    const picked = pickIdentifier(org.resource.identifier, [SYSTEM.hospitalId], true);
    hospitalId = picked?.value;
    origins.set('hospital.id', `${base}.identifier[${picked?.index ?? 0}].value`);
  } else {
    hospitalId = claim.provider.identifier?.value;
    origins.set('hospital.id', `${base}.identifier.value`);
  }
  const region = findOne(extensions, EXT.hospitalRegion);
  const level = findOne(extensions, EXT.hospitalLevel);
  const drg = findOne(extensions, EXT.drgPublic);
  origins.set('hospital', base);
  origins.set('hospital.region', extensionPath(base, EXT.hospitalRegion, 'valueCode'));
  origins.set('hospital.level', extensionPath(base, EXT.hospitalLevel, 'valueInteger'));
  origins.set('hospital.drgPublic', extensionPath(base, EXT.drgPublic, 'valueBoolean'));
  const hospital = { id: hospitalId, region: region?.ext.valueCode, level: level?.ext.valueInteger, ...(drg ? { drgPublic: drg.ext.valueBoolean } : {}) };
  const reference = org?.reference ?? claim.provider.reference ?? `Organization?identifier=${SYSTEM.hospitalId}|${hospitalId ?? ''}`;
  return { hospital, hospitalId, reference };
}

function readPatient(located: Located<Patient>, origins: Origins): Record<string, unknown> {
  const p = located.resource;
  const base = located.path;
  const picked = pickIdentifier(p.identifier, PERSON_ID_SYSTEMS, false);
  origins.set('patient', base);
  origins.set('patient.id', picked ? `${base}.identifier[${picked.index}].value` : `${base}.identifier.where(system='${SYSTEM.personId}').value`);
  const name = p.name?.[0];
  const nameText = name?.text ?? (name?.family !== undefined ? `${name.family}${(name.given ?? []).join('')}` : undefined);
  origins.set('patient.name', `${base}.name[0]`);
  const categories = findAll(p.extension, EXT.personCategory);
  categories.forEach((c, i) => origins.set(`patient.categories.${i}`, `${base}.extension[${c.index}].valueCode`));
  origins.set('patient.categories', extensionPath(base, EXT.personCategory, 'valueCode'));
  const disability = findOne(p.extension, EXT.disability);
  const disabilityPath = disability ? `${base}.extension[${disability.index}]` : base;
  origins.set('patient.disability.grade', `${disabilityPath}.extension('grade').valueInteger`);
  origins.set('patient.disability.type', `${disabilityPath}.extension('type').valueCode`);
  const hukou = findOne(p.extension, EXT.hukouRegion);
  origins.set('patient.hukouRegion', extensionPath(base, EXT.hukouRegion, 'valueCode'));
  return {
    id: picked?.value,
    ...(nameText ? { name: nameText } : {}),
    categories: categories.map((c) => c.ext.valueCode),
    ...(disability ? { disability: { grade: sub(disability.ext, 'grade')?.valueInteger, type: sub(disability.ext, 'type')?.valueCode } } : {}),
    ...(hukou ? { hukouRegion: hukou.ext.valueCode } : {}),
  };
}

function readCoverage(located: Located<Coverage>, origins: Origins) {
  const c = located.resource;
  const base = located.path;
  const codings = c.type?.coding ?? [];
  const typeIndex = codings.findIndex((k) => k.system === SYSTEM.insutype);
  const code = typeIndex >= 0 ? codings[typeIndex]!.code : undefined;
  origins.set('patient.scheme', typeIndex >= 0 ? `${base}.type.coding[${typeIndex}].code` : `${base}.type.coding.where(system='${SYSTEM.insutype}').code`);
  origins.set('patient.insuredRegion', extensionPath(base, EXT.insuredRegion, 'valueCode'));
  origins.set('patient.basicInsuranceActive', `${base}.status`);
  return {
    scheme: code === undefined ? undefined : INSUTYPES[code] ?? code,
    insuredRegion: findOne(c.extension, EXT.insuredRegion)?.ext.valueCode,
    basicInsuranceActive: c.status === 'active',
  };
}

function readEncounter(claim: Claim, claimPath: string, resolver: ReferenceResolver, origins: Origins): Record<string, unknown> {
  const firstRef = claim.item.flatMap((item) => item.encounter ?? [])[0];
  const located = (firstRef ? resolver.local(firstRef, `${claimPath}.item[0].encounter[0]`, 'Encounter', encounterSchema) : undefined)
    ?? resolver.only('Encounter', encounterSchema);
  const classCode = located?.resource.class?.code;
  // Without an Encounter, a Claim is for a stay (住院): the gateway's common case.
  const kind = classCode === undefined ? 'inpatient' : INPATIENT_CLASSES.has(classCode) ? 'inpatient' : OUTPATIENT_CLASSES.has(classCode) ? 'outpatientSpecial' : classCode;
  origins.set('encounter.kind', located ? `${located.path}.class.code` : `${claimPath}.item[0].encounter`);
  const dateOf = (field: 'start' | 'end', native: string) => {
    const fromClaim = claim.billablePeriod?.[field];
    if (fromClaim !== undefined || !located?.resource.period?.[field]) {
      origins.set(`encounter.${native}`, `${claimPath}.billablePeriod.${field}`);
      return fromClaim?.slice(0, 10);
    }
    origins.set(`encounter.${native}`, `${located.path}.period.${field}`);
    return located.resource.period[field]!.slice(0, 10);
  };
  const admittedOn = dateOf('start', 'admittedOn');
  const dischargedOn = dateOf('end', 'dischargedOn');
  const principalMarked = (claim.diagnosis ?? []).some((d) => (d.type ?? []).some((t) => (t.coding ?? []).some((k) => k.code === 'principal')));
  const lowestSequence = Math.min(...(claim.diagnosis ?? []).map((d) => d.sequence));
  const diagnoses = (claim.diagnosis ?? []).map((d, j) => {
    const path = `${claimPath}.diagnosis[${j}]`;
    let concept = d.diagnosisCodeableConcept;
    let conceptPath = `${path}.diagnosisCodeableConcept`;
    if (!concept && d.diagnosisReference) {
      const condition = resolver.local(d.diagnosisReference, `${path}.diagnosisReference`, 'Condition', conditionSchema);
      if (!condition) throw new InvalidInput('Condition 须随 Claim 提交', [{ path: `${path}.diagnosisReference.reference`, message: 'the Condition is neither contained nor in the Bundle' }]);
      concept = condition.resource.code;
      conceptPath = `${condition.path}.code`;
    }
    const codings = concept?.coding ?? [];
    const k = codings.findIndex((c) => isIcd10System(c.system));
    origins.set(`encounter.diagnoses.${j}`, path);
    origins.set(`encounter.diagnoses.${j}.icd10`, k >= 0 ? `${conceptPath}.coding[${k}].code` : `${conceptPath}.coding.where(system='http://hl7.org/fhir/sid/icd-10').code`);
    const principal = (d.type ?? []).some((t) => (t.coding ?? []).some((c) => c.code === 'principal'));
    return { icd10: k >= 0 ? codings[k]!.code : undefined, primary: principalMarked ? principal : d.sequence === lowestSequence };
  });
  const catalogEntries = findAll(claim.extension, EXT.catalogEntry).map((found, i) => {
    const coding = found.ext.valueCoding;
    const catalog = coding?.system?.startsWith(`${FHIR_BASE}/CodeSystem/`) ? coding.system.slice(`${FHIR_BASE}/CodeSystem/`.length) : coding?.system;
    origins.set(`encounter.catalogEntries.${i}`, `${claimPath}.extension[${found.index}].valueCoding`);
    origins.set(`encounter.catalogEntries.${i}.catalog`, `${claimPath}.extension[${found.index}].valueCoding.system`);
    origins.set(`encounter.catalogEntries.${i}.entry`, `${claimPath}.extension[${found.index}].valueCoding.code`);
    const code = coding?.code;
    return { catalog, entry: code !== undefined && /^\d{1,3}$/.test(code) ? Number.parseInt(code, 10) : code };
  });
  const liable = findOne(claim.accident?.extension, EXT.thirdPartyLiable);
  origins.set('encounter.thirdPartyLiable', extensionPath(`${claimPath}.accident`, EXT.thirdPartyLiable, 'valueBoolean'));
  origins.set('encounter', claimPath);
  return {
    kind, admittedOn, dischargedOn, diagnoses, catalogEntries,
    cause: claim.accident ? 'accident' : 'disease',
    thirdPartyLiable: liable?.ext.valueBoolean ?? false,
  };
}

function readItems(claim: Claim, claimPath: string, origins: Origins): Array<Record<string, unknown>> {
  origins.set('items', `${claimPath}.item`);
  return claim.item.map((item, i) => {
    const path = `${claimPath}.item[${i}]`;
    const coding = item.productOrService.coding?.[0];
    const klass = findOne(item.extension, EXT.catalogueClass);
    const ratio = findOne(item.extension, EXT.selfPayRatio);
    const over = findOne(item.extension, EXT.overLimit);
    origins.set(`items.${i}`, path);
    origins.set(`items.${i}.code`, `${path}.productOrService.coding[0].code`);
    origins.set(`items.${i}.name`, `${path}.productOrService.coding[0].display`);
    origins.set(`items.${i}.amount`, `${path}.net.value`);
    origins.set(`items.${i}.class`, extensionPath(path, EXT.catalogueClass, 'valueCode'));
    origins.set(`items.${i}.selfPayRatio`, extensionPath(path, EXT.selfPayRatio, 'valueDecimal'));
    origins.set(`items.${i}.overLimit`, extensionPath(path, EXT.overLimit, 'valueMoney.value'));
    const classCode = klass?.ext.valueCode;
    return {
      code: coding?.code ?? item.productOrService.text,
      name: coding?.display ?? item.productOrService.text ?? coding?.code,
      amount: item.net?.value,
      class: classCode === undefined ? undefined : CLASS_CODES[classCode] ?? classCode,
      ...(ratio ? { selfPayRatio: ratio.ext.valueDecimal } : {}),
      ...(over ? { overLimit: over.ext.valueMoney?.value } : {}),
    };
  });
}

function readUpstream(claim: Claim, claimPath: string, origins: Origins): Record<string, unknown> | undefined {
  const found = findAll(claim.extension, EXT.upstreamAmount);
  if (found.length === 0) return undefined;
  const upstream: Record<string, unknown> = {};
  for (const { ext, index } of found) {
    const layer = sub(ext, 'layer')?.valueCode;
    const path = `${claimPath}.extension[${index}]`;
    if (layer === undefined || !(UPSTREAM_LAYERS as readonly string[]).includes(layer)) {
      throw new InvalidInput('上游金额的层级不明', [{ path: `${path}.extension('layer').valueCode`, message: `expected one of ${UPSTREAM_LAYERS.join(', ')}` }]);
    }
    origins.set(`upstream.${layer}`, `${path}.extension('amount').valueMoney.value`);
    upstream[layer] = sub(ext, 'amount')?.valueMoney?.value;
  }
  return upstream;
}

/** A stated Claim.total must be the sum of the items' net amounts (exact, in fen); unreadable amounts are left to the native check. */
function checkTotal(claim: Claim, claimPath: string): void {
  if (!claim.total) return;
  const totalFen = parseFen(claim.total.value);
  const netFen = claim.item.map((item) => (item.net ? parseFen(item.net.value) : null));
  if (totalFen === null || netFen.some((fen) => fen === null)) return;
  const sumFen = netFen.reduce<number>((sum, fen) => sum + (fen ?? 0), 0);
  if (sumFen !== totalFen) {
    throw new Unprocessable('Claim.total 与各项 net 之和不符', [{ path: `${claimPath}.total.value`, message: `the items' net amounts add up to ${formatFen(sumFen)}, not ${claim.total.value}` }]);
  }
}

/**
 * Maps a submitted Claim or Bundle. `authorize` is called with the hospital before anything is read
 * from a hospital's FHIR server, so a caller cannot make the gateway read for a hospital not theirs.
 */
export async function claimToRequest(submitted: unknown, remote: RemoteReader, authorize: (hospitalId: string | undefined) => void): Promise<MappedClaim> {
  const { claim, claimPath, resolver } = unwrap(submitted, remote);
  const origins = new Origins(claimPath);
  const provider = readProvider(claim, claimPath, resolver, origins);
  authorize(provider.hospitalId);

  const picked = pickIdentifier(claim.identifier, [SYSTEM.settlementId], true);
  origins.set('settlementId', picked ? `${claimPath}.identifier[${picked.index}].value` : `${claimPath}.identifier`);

  if (claim.status === 'draft' || claim.status === 'entered-in-error') {
    throw new InvalidInput('只受理 status 为 active（结算）或 cancelled（撤销）的 Claim', [{ path: `${claimPath}.status`, message: `a ${claim.status} Claim is neither settled nor cancelled` }]);
  }
  if (claim.status === 'cancelled') {
    // A cancellation names the settlement (hospital + number); nothing else is read, so it never waits on a hospital's server.
    const echo: ClaimEcho = {
      claimType: { ...claim.type.coding?.[0] },
      patientReference: claim.patient.reference ?? '', providerReference: provider.reference, coverageReference: '',
      itemSequences: claim.item.map((i) => i.sequence),
    };
    return { body: { settlementId: picked?.value, hospital: provider.hospital }, origins, echo, hospitalId: provider.hospitalId, settlementId: picked?.value, status: claim.status, use: claim.use };
  }

  const focal = claim.insurance.map((entry, index) => ({ entry, index })).filter((e) => e.entry.focal);
  if (focal.length !== 1) throw new InvalidInput('须恰好有一个 focal 的 insurance（基本医保）', [{ path: `${claimPath}.insurance`, message: `expected exactly one insurance with focal = true, found ${focal.length}` }]);
  const focalPath = `${claimPath}.insurance[${focal[0]!.index}].coverage`;
  const patientRef: Reference = claim.patient;
  const [patient, coverage] = await Promise.all([
    resolver.resolve(patientRef, `${claimPath}.patient`, 'Patient', patientSchema, provider.hospitalId),
    resolver.resolve(focal[0]!.entry.coverage, focalPath, 'Coverage', coverageSchema, provider.hospitalId),
  ]);

  checkTotal(claim, claimPath);
  const upstream = readUpstream(claim, claimPath, origins);
  const body: Record<string, unknown> = {
    settlementId: picked?.value,
    hospital: provider.hospital,
    patient: { ...readPatient(patient, origins), ...readCoverage(coverage, origins) },
    encounter: readEncounter(claim, claimPath, resolver, origins),
    items: readItems(claim, claimPath, origins),
    ...(upstream ? { upstream } : {}),
  };
  const echo: ClaimEcho = {
    claimType: { ...claim.type.coding?.[0], ...(claim.type.text ? { text: claim.type.text } : {}) },
    patientReference: patient.reference,
    providerReference: provider.reference,
    coverageReference: coverage.reference,
    itemSequences: claim.item.map((i) => i.sequence),
  };
  return { body, origins, echo, hospitalId: provider.hospitalId, settlementId: picked?.value, status: claim.status, use: claim.use };
}
