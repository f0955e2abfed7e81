/** Whether a person stands in a programme for this stay, judged as the pack says: roster, categories, insurance, disability. */
import type { Category } from '../../schemas/categories.js';
import { categoryNames as names, DISABILITY_TYPES } from '../../schemas/vocabulary.js';
import type { Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { SettlementRequest } from '../../schemas/settlement.js';
import type { RiskGroup } from './context.js';

/** A period of cover, inclusive ISO dates. */
export interface CoverPeriod { from: string; to: string }

export type Standing =
  /** `cover`: the person's periods on the programme's roster; null where the programme has no roster (the term alone). */
  | { eligible: true; categories: readonly Category[]; group: RiskGroup; because: readonly string[]; cover: readonly CoverPeriod[] | null }
  | { eligible: false; reason: string };

/** The categories of the rows, each once, in the order the rows give them. */
function rowCategories(rows: readonly RosterRow[]): Category[] {
  const categories: Category[] = [];
  for (const row of rows) for (const c of row.categories) if (!categories.includes(c)) categories.push(c);
  return categories;
}

const NOTHING_TO_SAY: readonly string[] = Object.freeze([]);

export function standing(pack: Pack, request: SettlementRequest, rosters: Readonly<Record<string, readonly RosterRow[]>>): Standing {
  const { patient, encounter } = request;
  const rules = pack.eligibility;
  // Most packs (every public layer) have no eligibility rule at all: nothing to judge.
  if (!rules.roster && !rules.categoriesAny && !rules.categoriesNone && !rules.basicInsuranceActive && !rules.disability && !rules.hukouRegions) {
    return { eligible: true, categories: patient.categories, group: 'healthy', because: NOTHING_TO_SAY, cover: null };
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
    because.push(`${how}，属本保险户籍范围（${rules.hukouRegions.cite}）`);
  }
  let categories: Category[] = [...patient.categories];
  let preExisting = false;
  let cover: readonly CoverPeriod[] | null = null;
  if (rules.roster) {
    // One pass over the rows the shell loaded (normally the person's own, one or two).
    const rows: RosterRow[] = [];
    const covering: RosterRow[] = [];
    const discharged = encounter.dischargedOn;
    for (const row of rosters[rules.roster.id] ?? []) {
      if (row.personId !== patient.id) continue;
      rows.push(row);
      if (row.from <= discharged && discharged <= row.to) covering.push(row);
    }
    if (covering.length === 0) {
      return {
        eligible: false,
        reason: rows.length === 0
          ? `不在参保名单（${rules.roster.id}）中（${rules.roster.cite}）`
          : `出院日 ${encounter.dischargedOn} 不在本人保障期内（${rows.map((r) => `${r.from}至${r.to}`).join('、')}）（${rules.roster.cite}）`,
      };
    }
    categories = rowCategories(covering);
    cover = rows;
    preExisting = covering.some((r) => r.preExisting);
    because.push(`参保名单内，保障期 ${covering.map((r) => `${r.from}至${r.to}`).join('、')}`);
  }
  if (rules.categoriesNone) {
    const excluded = categories.filter((c) => rules.categoriesNone?.value.includes(c));
    if (excluded.length > 0) return { eligible: false, reason: `${names(excluded)}不参加本保险（${rules.categoriesNone.cite}）` };
  }
  if (rules.categoriesAny) {
    const matched = categories.filter((c) => rules.categoriesAny?.value.includes(c));
    if (matched.length === 0) return { eligible: false, reason: `参保对象限${names(rules.categoriesAny.value)}，本人不属于（${rules.categoriesAny.cite}）` };
    because.push(`身份：${names(matched)}`);
  }
  if (rules.disability) {
    const d = patient.disability;
    const ok = d !== undefined && rules.disability.value.some((m) => m.grades.includes(d.grade) && (!m.types || m.types.includes(d.type)));
    if (!ok) {
      const stated = d ? `${DISABILITY_TYPES[d.type]}残疾${d.grade}级` : '无残疾人证信息';
      return { eligible: false, reason: `参保对象限${rules.disability.value.map((m) => `${m.types ? m.types.map((t) => DISABILITY_TYPES[t]).join('、') : ''}${m.grades.join('、')}级`).join('或')}残疾人，本人${stated}（${rules.disability.cite}）` };
    }
    because.push(`持证${DISABILITY_TYPES[d.type]}残疾${d.grade}级`);
  }
  const isAid = pack.aidCategories?.value.some((c) => categories.includes(c)) ?? false;
  const group: RiskGroup = preExisting ? (isAid ? 'aidPreExisting' : 'preExisting') : 'healthy';
  return { eligible: true, categories, group, because, cover };
}
