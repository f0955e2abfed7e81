/**
 * A person's year-to-date standing per programme, read from the ledger's flat counters
 * (`programme|period|rule.counter`, fen) and the packs. Honest about what the counters can tell:
 * what each rule paid and how much of an annual deductible is used are counted; a cap or deductible
 * is given only where the pack states one figure for everyone — where it depends on the person's
 * category or risk group (which the counters do not record), the general figure is given with a note.
 */
import type { Standing } from '../../schemas/desk.js';
import type { Pack, Rule } from '../../schemas/pack.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { formatFen, positive } from '../engine/money.js';

interface RuleFigures { cap?: number; deductible?: number; note?: string }

/** What a rule's pack says of its annual cap and deductible (fen), for the general case. */
function figuresOf(rule: Rule, group: string | undefined): RuleFigures {
  switch (rule.kind) {
    case 'basicDeductibleRatio': return { cap: rule.annualFundCap.value };
    case 'majorIllnessTiers': return {
      ...(rule.annualCap.value !== null ? { cap: rule.annualCap.value } : {}),
      deductible: rule.threshold.value,
      ...(rule.preferential ? { note: '困难群众适用倾斜政策时起付线与封顶不同' } : {}),
    };
    case 'aidByCategory': return { cap: rule.annualCap.value, note: '起付线按救助对象类别不同' };
    case 'coinsurance': return {
      ...(rule.annualCap ? { cap: rule.annualCap.value } : {}),
      ...(rule.deductible?.per === 'year' ? { deductible: rule.deductible.amount } : {}),
    };
    case 'burdenCeiling': return { cap: rule.annualCap.value };
    case 'specificDrugs': {
      const found = rule.groups.find((g) => g.id === group);
      return found ? { cap: found.annualCap.value.healthy, deductible: found.annualDeductible.value, note: `${found.name}：封顶为一般人群的额度` } : {};
    }
    default: return {};
  }
}

const PAID = ['paid', 'fundPaid'];

export function standingOf(counters: Record<string, number>, programmes: ProgrammeSet, year: string): Standing {
  // programme|period → rule(.group) → counter → fen
  const grouped = new Map<string, Map<string, Map<string, number>>>();
  for (const [key, fen] of Object.entries(counters)) {
    const [programme, period, ruleCounter] = key.split('|');
    if (!programme || !period || !ruleCounter || !period.startsWith(year)) continue;
    const parts = ruleCounter.split('.');
    const counter = parts.pop()!;
    const rule = parts.join('.');
    const byRule = grouped.get(`${programme}|${period}`) ?? new Map<string, Map<string, number>>();
    const values = byRule.get(rule) ?? new Map<string, number>();
    values.set(counter, (values.get(counter) ?? 0) + fen);
    byRule.set(rule, values);
    grouped.set(`${programme}|${period}`, byRule);
  }
  const programmesOut: Standing['programmes'] = [];
  for (const [programmePeriod, byRule] of grouped) {
    const [programme = '', period = ''] = programmePeriod.split('|');
    const pack: Pack | undefined = programmes.get(programme);
    if (!pack) continue;
    const rules: Standing['programmes'][number]['rules'] = [];
    for (const [ruleKey, values] of byRule) {
      const [ruleId = '', group] = ruleKey.split('.');
      const rule = pack.rules.find((r) => r.id === ruleId);
      if (!rule) continue;
      // A rule with any counter this period was applied: what it paid counts even when nothing (a 0 is not stored).
      const paid = PAID.reduce((sum, c) => sum + (values.get(c) ?? 0), 0);
      const figures = figuresOf(rule, group);
      // 大病保险's threshold is met by the year's burden after basic insurance, which is what it counts.
      const burden = values.get('burdenAfterBasic');
      const deductibleUsed = values.get('deductibleUsed') ?? (burden !== undefined && figures.deductible !== undefined ? Math.min(burden, figures.deductible) : undefined);
      rules.push({
        rule: ruleKey,
        name: group ? `${rule.name}（${rule.kind === 'specificDrugs' ? rule.groups.find((g) => g.id === group)?.name ?? group : group}）` : rule.name,
        paid: formatFen(paid),
        ...(deductibleUsed !== undefined ? { deductibleUsed: formatFen(deductibleUsed) } : {}),
        ...(figures.deductible !== undefined ? { deductible: formatFen(figures.deductible) } : {}),
        ...(figures.cap !== undefined ? { cap: formatFen(figures.cap) } : {}),
        ...(figures.cap !== undefined ? { capLeft: formatFen(positive(figures.cap - paid)) } : {}),
        ...(figures.note ? { note: figures.note } : {}),
      });
    }
    if (rules.length > 0) programmesOut.push({ programme, name: pack.name, layer: pack.layer, period, rules });
  }
  const order = ['basic', 'majorIllness', 'waiver', 'aid', 'supplementary'];
  programmesOut.sort((a, b) => order.indexOf(a.layer) - order.indexOf(b.layer) || a.programme.localeCompare(b.programme));
  return { year, programmes: programmesOut };
}
