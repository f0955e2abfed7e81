/** Whether a stay meets a rule's `when`, and if not, why — in words a billing clerk can repeat. */
import type { Pack, StayCondition, When } from '../../schemas/pack.js';
import type { SettlementRequest } from '../../schemas/settlement.js';
import { ENCOUNTER_KIND_NAMES as KIND_NAMES } from '../../schemas/vocabulary.js';
import type { ProgrammeSet } from './programme-set.js';

export type Verdict = { ok: true; because: readonly string[] } | { ok: false; reason: string };

export function hospitalInArea(pack: Pack, request: SettlementRequest): boolean {
  const area = pack.area?.value ?? pack.insuredRegions.value;
  return area.some((prefix) => request.hospital.region.startsWith(prefix));
}

const ALWAYS: Verdict = Object.freeze({ ok: true, because: Object.freeze([]) });
function checkCondition(c: StayCondition, pack: Pack, request: SettlementRequest, programmes: ProgrammeSet): Verdict {
  const { encounter, hospital } = request;
  if (c.kinds && !c.kinds.includes(encounter.kind)) {
    return { ok: false, reason: `仅限${c.kinds.map((k) => KIND_NAMES[k]).join('、')}，本次为${KIND_NAMES[encounter.kind]}` };
  }
  if (c.hospitalArea) {
    const inArea = hospitalInArea(pack, request);
    if ((c.hospitalArea === 'in') !== inArea) {
      return { ok: false, reason: c.hospitalArea === 'in' ? `仅限统筹区内医疗机构，本院区划 ${hospital.region} 不在区内` : `仅限统筹区外医疗机构，本院区划 ${hospital.region} 在区内` };
    }
  }
  if (c.minHospitalLevel !== undefined && hospital.level < c.minHospitalLevel) {
    return { ok: false, reason: `仅限${c.minHospitalLevel}级及以上医院，本院为${hospital.level}级` };
  }
  if (c.drgPublic !== undefined && hospital.drgPublic !== c.drgPublic) {
    return { ok: false, reason: c.drgPublic ? '仅限按C-DRG收付费的公立医院' : '不适用于按C-DRG收付费的公立医院' };
  }
  if (c.cause !== undefined && encounter.cause !== c.cause) {
    return { ok: false, reason: c.cause === 'accident' ? '仅限意外伤害' : '仅限疾病' };
  }
  if (c.thirdPartyLiable !== undefined && encounter.thirdPartyLiable !== c.thirdPartyLiable) {
    return { ok: false, reason: c.thirdPartyLiable ? '仅限有第三方责任的情形' : '有第三方责任（无第三方赔付时方予补偿）' };
  }
  if (c.catalog !== undefined) {
    const match = programmes.catalogueEntry(c.catalog, encounter);
    if (!match) return { ok: false, reason: `主要诊断不在病种目录（${c.catalog}）内，且医院未申明目录项` };
    return { ok: true, because: [`属病种目录第${match.entry}项「${programmes.catalogueName(c.catalog, match.entry)}」（${match.by}）`] };
  }
  return ALWAYS;
}


export function checkWhen(when: When | undefined, pack: Pack, request: SettlementRequest, programmes: ProgrammeSet): Verdict {
  if (!when) return ALWAYS;
  const head = checkCondition(when, pack, request, programmes);
  if (!head.ok || !when.anyOf) return head;
  const reasons: string[] = [];
  for (const alternative of when.anyOf) {
    const verdict = checkCondition(alternative, pack, request, programmes);
    if (verdict.ok) return { ok: true, because: [...head.because, ...verdict.because] };
    reasons.push(verdict.reason);
  }
  return { ok: false, reason: `不符合任一情形：${reasons.join('；')}（${when.cite}）` };
}
