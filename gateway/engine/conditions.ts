/** Whether a stay meets a rule's `when` (or an override's `if`), and if not, why — in words a billing clerk can repeat. */
import type { Pack, StayCondition, When } from '../../schemas/pack.js';
import type { Place } from '../../schemas/pack-parts.js';
import type { SettlementRequest } from '../../schemas/settlement.js';
import { ENCOUNTER_KIND_NAMES, RISK_GROUP_NAMES } from '../../schemas/vocabulary.js';
import type { RiskGroup } from '../../schemas/pack-parts.js';
import type { CatalogueLookup } from './catalogue-lookup.js';

export type Verdict = { ok: true; because: readonly string[] } | { ok: false; reason: string };

/** Who the rule is judged for: the person's standing in the programme (eligibility.ts). */
export interface Subject {
  /** The product (款) the person holds; null for a programme without variants. */
  readonly variant: string | null;
  readonly group: RiskGroup;
  /** The roster row's attributes (empty without a roster). */
  readonly attributes: Readonly<Record<string, string>>;
}

function hospitalInArea(pack: Pack, request: SettlementRequest): boolean {
  const area = pack.area?.value ?? pack.insuredRegions.value;
  return area.some((prefix) => request.hospital.region.startsWith(prefix));
}

function placeOf(pack: Pack, request: SettlementRequest): Place {
  if (hospitalInArea(pack, request)) return 'inArea';
  return request.encounter.offsiteFiled === true ? 'offsiteFiled' : 'offsiteUnfiled';
}

const PLACE_NAMES: Record<Place, string> = { inArea: '统筹区内就医', offsiteFiled: '统筹区外就医（已异地备案）', offsiteUnfiled: '统筹区外就医（未异地备案）' };

const ALWAYS: Verdict = Object.freeze({ ok: true, because: Object.freeze([]) });
/** A refusal not worded: `explain` false (a replay without explanations, RuleContext.explain, or a caller reading only `ok`). */
const REFUSED: Verdict = Object.freeze({ ok: false, reason: '' });

/** The stay's own facts: kind, hospital, cause, the disease catalogue. */
function checkStay(c: StayCondition, pack: Pack, request: SettlementRequest, programmes: CatalogueLookup, explain: boolean): Verdict {
  const { encounter, hospital } = request;
  if (c.kinds && !c.kinds.includes(encounter.kind)) {
    return explain ? { ok: false, reason: `仅限${c.kinds.map((k) => ENCOUNTER_KIND_NAMES[k]).join('、')}，本次为${ENCOUNTER_KIND_NAMES[encounter.kind]}` } : REFUSED;
  }
  if (c.hospitalArea) {
    const inArea = hospitalInArea(pack, request);
    if ((c.hospitalArea === 'in') !== inArea) {
      return explain ? { ok: false, reason: c.hospitalArea === 'in' ? `仅限统筹区内医疗机构，本院区划 ${hospital.region} 不在区内` : `仅限统筹区外医疗机构，本院区划 ${hospital.region} 在区内` } : REFUSED;
    }
  }
  if (c.place) {
    const place = placeOf(pack, request);
    if (!c.place.includes(place)) return explain ? { ok: false, reason: `仅限${c.place.map((p) => PLACE_NAMES[p]).join('、')}，本次为${PLACE_NAMES[place]}` } : REFUSED;
  }
  if (c.minHospitalLevel !== undefined && hospital.level < c.minHospitalLevel) {
    return explain ? { ok: false, reason: `仅限${c.minHospitalLevel}级及以上医院，本院为${hospital.level}级` } : REFUSED;
  }
  if (c.drgPublic !== undefined && hospital.drgPublic !== c.drgPublic) {
    return explain ? { ok: false, reason: c.drgPublic ? '仅限按C-DRG收付费的公立医院' : '不适用于按C-DRG收付费的公立医院' } : REFUSED;
  }
  if (c.ownership !== undefined && hospital.ownership !== c.ownership) {
    const wanted = c.ownership === 'public' ? '公立' : '民营';
    return explain ? { ok: false, reason: hospital.ownership === undefined ? `仅限${wanted}医院，请求未申明医院性质（hospital.ownership）` : `仅限${wanted}医院，本院为${hospital.ownership === 'public' ? '公立' : '民营'}医院` } : REFUSED;
  }
  if (c.cause !== undefined && encounter.cause !== c.cause) {
    return explain ? { ok: false, reason: c.cause === 'accident' ? '仅限意外伤害' : '仅限疾病' } : REFUSED;
  }
  if (c.thirdPartyLiable !== undefined && encounter.thirdPartyLiable !== c.thirdPartyLiable) {
    return explain ? { ok: false, reason: c.thirdPartyLiable ? '仅限有第三方责任的情形' : '有第三方责任（无第三方赔付时方予补偿）' } : REFUSED;
  }
  if (c.localBasicSettlement !== undefined && (encounter.localBasicSettlement !== false) !== c.localBasicSettlement) {
    return explain ? { ok: false, reason: c.localBasicSettlement ? '未经当地基本医疗保险结算的费用不予支付（encounter.localBasicSettlement）' : '仅限未经当地基本医疗保险结算的费用' } : REFUSED;
  }
  if (c.basicInsuranceActive !== undefined && request.patient.basicInsuranceActive !== c.basicInsuranceActive) {
    return explain ? { ok: false, reason: c.basicInsuranceActive ? '仅限享受基本医疗保险待遇的人员' : '仅限未参加基本医疗保险的人员' } : REFUSED;
  }
  if (c.catalog !== undefined) {
    const match = programmes.catalogueEntry(c.catalog, encounter);
    if (!match) return explain ? { ok: false, reason: `主要诊断不在病种目录（${c.catalog}）内，且医院未申明目录项` } : REFUSED;
    return { ok: true, because: [`属病种目录第${match.entry}项「${programmes.catalogueName(c.catalog, match.entry)}」（${match.by}）`] };
  }
  return ALWAYS;
}

/** The person's own terms: the product held, the risk group, the roster's attributes. */
function checkSubject(c: StayCondition, pack: Pack, subject: Subject, explain: boolean): Verdict {
  if (c.variants && (subject.variant === null || !c.variants.includes(subject.variant))) {
    if (!explain) return REFUSED;
    const names = c.variants.map((v) => variantName(pack, v)).join('、');
    return { ok: false, reason: `仅限${names}，本人${subject.variant === null ? '未注明所购款型' : `所购为${variantName(pack, subject.variant)}`}` };
  }
  if (c.groups && !c.groups.includes(subject.group)) {
    return explain ? { ok: false, reason: `仅限${c.groups.map((g) => RISK_GROUP_NAMES[g]).join('、')}，本人为${RISK_GROUP_NAMES[subject.group]}` } : REFUSED;
  }
  if (c.attributes) {
    for (const [name, values] of Object.entries(c.attributes)) {
      const value = subject.attributes[name];
      if (value === undefined || !values.includes(value)) return explain ? { ok: false, reason: `参保名单「${name}」须为 ${values.join('或')}，本人为 ${value ?? '未填写'}` } : REFUSED;
    }
  }
  return ALWAYS;
}

const variantName = (pack: Pack, id: string): string => pack.variants?.value.find((v) => v.id === id)?.name ?? id;

/** `explain` false: a refusal is not worded (its reason is empty). */
export function checkCondition(c: StayCondition, pack: Pack, request: SettlementRequest, programmes: CatalogueLookup, subject: Subject, explain: boolean): Verdict {
  const stay = checkStay(c, pack, request, programmes, explain);
  if (!stay.ok || (!c.variants && !c.groups && !c.attributes)) return stay;
  const person = checkSubject(c, pack, subject, explain);
  return person.ok ? stay : person;
}

export function checkWhen(when: When | undefined, pack: Pack, request: SettlementRequest, programmes: CatalogueLookup, subject: Subject, explain: boolean): Verdict {
  if (!when) return ALWAYS;
  const head = checkCondition(when, pack, request, programmes, subject, explain);
  if (!head.ok || !when.anyOf) return head;
  const reasons: string[] = [];
  for (const alternative of when.anyOf) {
    const verdict = checkCondition(alternative, pack, request, programmes, subject, explain);
    if (verdict.ok) return { ok: true, because: [...head.because, ...verdict.because] };
    reasons.push(verdict.reason);
  }
  return explain ? { ok: false, reason: `不符合任一情形：${reasons.join('；')}（${when.cite}）` } : REFUSED;
}
