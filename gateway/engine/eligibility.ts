/** Whether a person stands in a programme for this stay, judged as the pack says: roster, categories, insurance, disability. */
import type { Category } from '../../schemas/categories.js';
import { categoryNames, DISABILITY_TYPES, RISK_GROUP_NAMES } from '../../schemas/vocabulary.js';
import type { Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { SettlementRequest } from '../../schemas/settlement.js';
import type { RiskGroup } from '../../schemas/pack-parts.js';
import type { CatalogueLookup } from './catalogue-lookup.js';
import { type CoverPeriod, dayNumber, daysCovered, hospitalDays } from './days.js';


/** The days of a stay inside the person's cover, where a pack pays a stay across its edge by days (cover.straddle). */
export interface CoverShare { readonly days: number; readonly of: number }

export interface Eligible {
  eligible: true;
  categories: readonly Category[];
  group: RiskGroup;
  because: readonly string[];
  /** The person's periods on the programme's roster; null where the programme has no roster (the term alone). */
  cover: readonly CoverPeriod[] | null;
  /** The product (款) held, for a programme with variants; else null. */
  variant: string | null;
  /** The covering roster row's attributes (empty without a roster). */
  attributes: Readonly<Record<string, string>>;
  /** When the cover this stay falls in began (the covering row's start, else the term's): 既往症 by claim compares with it. */
  coverFrom: string;
  /** Among the pack's 救助对象 (aidCategories). */
  aid: boolean;
  /** null: the whole stay is in cover. */
  coverShare: CoverShare | null;
}

export type Standing = Eligible | { eligible: false; reason: string };

/** The categories of the rows, each once, in the order the rows give them. */
function rowCategories(rows: readonly RosterRow[]): Category[] {
  const categories: Category[] = [];
  for (const row of rows) for (const c of row.categories) if (!categories.includes(c)) categories.push(c);
  return categories;
}

const NOTHING_TO_SAY: readonly string[] = Object.freeze([]);
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/** `explain` false (a replay without explanations, RuleContext.explain): `because` is left empty. */
export function standing(pack: Pack, request: SettlementRequest, rosters: Readonly<Record<string, readonly RosterRow[]>>, explain: boolean): Standing {
  const { patient, encounter } = request;
  const rules = pack.eligibility;
  // Most packs (every public layer) have no eligibility rule at all: nothing to judge.
  if (!rules.roster && !rules.categoriesAny && !rules.categoriesNone && !rules.basicInsuranceActive && !rules.disability && !rules.hukouRegions && !pack.cover) {
    return { eligible: true, categories: patient.categories, group: 'healthy', because: NOTHING_TO_SAY, cover: null, variant: null, attributes: NO_ATTRIBUTES, coverFrom: pack.term.from, aid: false, coverShare: null };
  }
  const because: string[] = [];
  if (rules.basicInsuranceActive?.value && !patient.basicInsuranceActive) {
    return { eligible: false, reason: `基本医疗保险待遇未在享受期，不享受本保险待遇（${rules.basicInsuranceActive.cite}）` };
  }
  if (rules.hukouRegions) {
    // 户籍 is the request's hukouRegion; a request without it is judged by the insured region, and says so.
    const stated = patient.hukouRegion !== undefined;
    const hukou = patient.hukouRegion ?? patient.insuredRegion;
    const how = stated ? `户籍地 ${hukou}` : `请求未提供户籍地（patient.hukouRegion），按参保地 ${hukou} 判断户籍`;
    if (!rules.hukouRegions.value.some((prefix) => hukou.startsWith(prefix))) {
      return { eligible: false, reason: `${how}，不属于本保险的户籍范围 ${rules.hukouRegions.value.join('、')}（${rules.hukouRegions.cite}）` };
    }
    if (explain) because.push(`${how}，属本保险户籍范围（${rules.hukouRegions.cite}）`);
  }
  let categories: Category[] = [...patient.categories];
  let preExisting = false;
  let cover: readonly CoverPeriod[] | null = null;
  let variant: string | null = null;
  let attributes: Readonly<Record<string, string>> = NO_ATTRIBUTES;
  let coverFrom = pack.term.from;
  const straddle = pack.cover?.straddle ?? 'discharge';
  if (rules.roster) {
    // One pass over the rows the shell loaded (normally the person's own, one or two). A pack paying a stay
    // across the edge of cover reads every row the stay touches; otherwise the row the discharge falls in.
    const rows: RosterRow[] = [];
    const covering: RosterRow[] = [];
    const { admittedOn, dischargedOn } = encounter;
    for (const row of rosters[rules.roster.id] ?? []) {
      if (row.personId !== patient.id) continue;
      rows.push(row);
      if (straddle === 'discharge' ? row.from <= dischargedOn && dischargedOn <= row.to : row.from <= dischargedOn && admittedOn <= row.to) covering.push(row);
    }
    if (covering.length === 0) {
      return {
        eligible: false,
        reason: rows.length === 0
          ? `不在参保名单（${rules.roster.id}）中（${rules.roster.cite}）`
          : `${straddle === 'discharge' ? `出院日 ${dischargedOn}` : `住院期间 ${admittedOn} 至 ${dischargedOn}`} 不在本人保障期内（${rows.map((r) => `${r.from}至${r.to}`).join('、')}）（${rules.roster.cite}）`,
      };
    }
    if (pack.variants) {
      const held = [...new Set(covering.flatMap((r) => (r.variant === undefined ? [] : [r.variant])))];
      const names = pack.variants.value.map((v) => v.id);
      if (held.length !== 1) {
        return { eligible: false, reason: held.length === 0 ? `参保名单未注明所购款型（variant：${names.join('、')}）（${pack.variants.cite}）` : `参保名单同一期间有多个款型（${held.join('、')}），每人只能参保一款（${pack.variants.cite}）` };
      }
      if (!names.includes(held[0]!)) return { eligible: false, reason: `参保名单所注款型 ${held[0]} 不是本保险的款型（${names.join('、')}）（${pack.variants.cite}）` };
      variant = held[0]!;
    }
    categories = rowCategories(covering);
    cover = rows;
    preExisting = covering.some((r) => r.preExisting);
    attributes = covering.length === 1 ? covering[0]!.attributes : Object.assign({}, ...covering.map((r) => r.attributes));
    coverFrom = covering.reduce((earliest, r) => (r.from < earliest ? r.from : earliest), covering[0]!.from);
    if (explain) because.push(`参保名单内，保障期 ${covering.map((r) => `${r.from}至${r.to}`).join('、')}${variant === null ? '' : `，${pack.variants?.value.find((v) => v.id === variant)?.name ?? variant}`}`);
    const waiting = pack.cover?.waiting;
    if (waiting) {
      const late = covering.find((r) => r.from > waiting.forEnrolmentAfter);
      if (late && dayNumber(encounter.admittedOn) < dayNumber(late.from) + waiting.days) {
        return { eligible: false, reason: `${late.from} 起参保（${waiting.forEnrolmentAfter} 之后），等待期 ${waiting.days} 天内入院（${encounter.admittedOn}）不予支付（${pack.cover?.cite}）` };
      }
    }
  }
  let coverShare: CoverShare | null = null;
  if (straddle !== 'discharge') {
    // The stay's days against the cover: the roster's periods within the term, or the term alone.
    const days = hospitalDays(encounter.admittedOn, encounter.dischargedOn);
    const of = days.last - days.first + 1;
    const inCover = daysCovered(days, cover ?? [pack.term], pack.term);
    if (inCover < of) {
      const periods = (cover ?? [pack.term]).map((p) => `${p.from}至${p.to}`).join('、');
      if (straddle === 'refuse' || inCover === 0) return { eligible: false, reason: `住院 ${of} 天中 ${inCover} 天在保障期（${periods}）内，跨保障期的住院不予支付（${pack.cover?.cite}）` };
      coverShare = { days: inCover, of };
      if (explain) because.push(`住院 ${of} 天中 ${inCover} 天在保障期（${periods}）内，按 ${inCover}/${of} 计算（${pack.cover?.cite}）`);
    }
  }
  if (rules.categoriesNone) {
    const excluded = categories.filter((c) => rules.categoriesNone?.value.includes(c));
    if (excluded.length > 0) return { eligible: false, reason: `${categoryNames(excluded)}不参加本保险（${rules.categoriesNone.cite}）` };
  }
  if (rules.categoriesAny) {
    const matched = categories.filter((c) => rules.categoriesAny?.value.includes(c));
    if (matched.length === 0) return { eligible: false, reason: `参保对象限${categoryNames(rules.categoriesAny.value)}，本人不属于（${rules.categoriesAny.cite}）` };
    if (explain) because.push(`身份：${categoryNames(matched)}`);
  }
  if (rules.disability) {
    const d = patient.disability;
    const ok = d !== undefined && rules.disability.value.some((m) => m.grades.includes(d.grade) && (!m.types || m.types.includes(d.type)));
    if (!ok) {
      const stated = d ? `${DISABILITY_TYPES[d.type]}残疾${d.grade}级` : '无残疾人证信息';
      return { eligible: false, reason: `参保对象限${rules.disability.value.map((m) => `${m.types ? m.types.map((t) => DISABILITY_TYPES[t]).join('、') : ''}${m.grades.join('、')}级`).join('或')}残疾人，本人${stated}（${rules.disability.cite}）` };
    }
    if (explain) because.push(`持证${DISABILITY_TYPES[d.type]}残疾${d.grade}级`);
  }
  const aid = pack.aidCategories?.value.some((c) => categories.includes(c)) ?? false;
  const group: RiskGroup = preExisting ? (aid ? 'aidPreExisting' : 'preExisting') : 'healthy';
  return { eligible: true, categories, group, because, cover, variant, attributes, coverFrom, aid, coverShare };
}

/** How a rule judges 既往症 by claim (coinsurance, specificDrugs: `riskGroup`). */
export interface ClaimGroupRule { catalog?: string | undefined; whenUnknown: RiskGroup; cite: string }

/**
 * 既往症 judged by the claim, not the person: the stay's primary diagnosis (of the plan's list, where it names
 * one) first diagnosed before the person's cover began is pre-existing (惠琼保 特药: 本次参保前已患疾病).
 * A stay stating no first-diagnosis date takes the rule's `whenUnknown`.
 */
export function claimGroup(rule: ClaimGroupRule, request: SettlementRequest, who: Eligible, programmes: CatalogueLookup): { group: RiskGroup; text: string } {
  const { encounter } = request;
  const primary = encounter.diagnoses.find((d) => d.primary) ?? encounter.diagnoses[0];
  const preExisting: RiskGroup = who.aid ? 'aidPreExisting' : 'preExisting';
  if (rule.catalog !== undefined && !programmes.catalogueEntry(rule.catalog, encounter)) {
    return { group: 'healthy', text: `既往症按本次诊断判断：主要诊断不在既往症目录（${rule.catalog}）内，按健康人群（${rule.cite}）` };
  }
  if (!primary || primary.firstDiagnosedOn === undefined) {
    const group = rule.whenUnknown === 'healthy' ? 'healthy' : preExisting;
    return { group, text: `既往症按本次诊断判断：请求未提供主要诊断的首次确诊日期（encounter.diagnoses[].firstDiagnosedOn），按${RISK_GROUP_NAMES[group]}（${rule.cite}）` };
  }
  const before = primary.firstDiagnosedOn < who.coverFrom;
  return {
    group: before ? preExisting : 'healthy',
    text: `既往症按本次诊断判断：${primary.icd10} 首次确诊于 ${primary.firstDiagnosedOn}，${before ? '早于' : '不早于'}本次保障起始日 ${who.coverFrom}，按${RISK_GROUP_NAMES[before ? preExisting : 'healthy']}（${rule.cite}）`,
  };
}
