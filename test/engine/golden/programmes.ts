/**
 * The programmes the golden fixture runs on: every built-in pack, the 威海 and 三明 packs re-homed to the
 * demo region (so one stay meets the four computed public layers and supplementary programmes, as in the
 * benchmark, and 三明's specific-drugs rule gets a drug list), and a county's filled-in copy of the 湖南 template.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ProgrammeSet } from '../../../gateway/engine/programme-set.js';
import { BUILTIN_PACKS_DIR, loadProgrammes, parseYaml } from '../../../gateway/programmes/load.js';
import { pack as packSchema, type Pack } from '../../../schemas/pack.js';

const builtin = loadProgrammes();

/** A built-in pack moved to the demo region and 2024, with its own roster id. */
function rehome(id: string, order: number, change: (p: Pack) => Pack = (p) => p): Pack {
  const p = builtin.get(id);
  if (!p) throw new Error(`no pack ${id}`);
  const eligibility = p.eligibility.roster ? { ...p.eligibility, roster: { ...p.eligibility.roster, id: `golden-${p.eligibility.roster.id}` } } : p.eligibility;
  return change({
    ...p, id: `golden-${id}`, order, insuredRegions: { ...p.insuredRegions, value: ['99'] }, area: p.area && { ...p.area, value: ['99'] },
    term: { ...p.term, from: '2024-01-01', to: '2024-12-31' }, eligibility,
  });
}

/** Drug codes the re-homed 三明 pack lists, by group and class. */
export const GOLDEN_DRUGS = [
  { code: 'DT-A1', group: 'tumor', drugClass: 'A' }, { code: 'DT-B1', group: 'tumor', drugClass: 'B' }, { code: 'DT-C1', group: 'tumor', drugClass: 'C' },
  { code: 'DR-A1', group: 'rare', drugClass: 'A' }, { code: 'DR-C1', group: 'rare', drugClass: 'C' },
] as const;

const withDrugs = (p: Pack): Pack => ({
  ...p,
  rules: p.rules.map((r) => (r.kind === 'specificDrugs' ? { ...r, drugs: { cite: r.drugs?.cite ?? 'golden', value: GOLDEN_DRUGS.map((d) => ({ ...d })) } } : r)),
});

function changsha(): Pack {
  const filled = parse(readFileSync(join(BUILTIN_PACKS_DIR, 'hunan-2025-disabled-accident.yaml'), 'utf8')) as Record<string, unknown> & { rules: Array<Record<string, unknown>> };
  Object.assign(filled, { id: 'changsha-2025-disabled-accident', status: 'active', insuredRegions: { value: ['4301'], cite: '长沙县采购合同' }, term: { from: '2025-04-01', to: '2026-03-31', cite: '县级保险单起讫日期' } });
  Object.assign(filled.rules[0]!, {
    ratio: { value: { healthy: '0.90', preExisting: '0.80' }, cite: '合同第3条' },
    deductible: { amount: '200', per: 'year', cite: '合同第3条' },
    annualCap: { value: '10000', cite: '合同第3条' },
  });
  return parseYaml(stringify(filled), packSchema, 'changsha.yaml', 'programme pack');
}

export function goldenProgrammes(): ProgrammeSet {
  return new ProgrammeSet(
    [...builtin.packs, rehome('weihai-2020-medical', 1), rehome('sanming-2024-puhui', 2, withDrugs), changsha()],
    builtin.catalogues,
  );
}
