/**
 * A person's year-to-date standing per programme, read from the ledger's flat counters
 * (`programme|period|rule.counter`, fen) and the packs. Honest about what the counters can tell:
 * what each rule paid and how much of an annual deductible is used are counted; a cap or deductible
 * is given only where the pack states one figure for everyone — where it depends on the person's
 * category or risk group (which the counters do not record), the general figure is given with a note.
 */
import type { Standing } from '../../schemas/desk.js';
import type { Pack, Rule } from '../../schemas/pack.js';
import { parseCounterKey } from '../engine/counter-keys.js';
import type { RuleFigures } from '../engine/rules/kind.js';
import { ruleFigures } from '../engine/rules/registry.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { formatFen, positive } from '../engine/money.js';

/** A rule's figures for the general case, or its group's where it keeps counters per group (a drug group). */
function figuresOf(rule: Rule, group: string | undefined): RuleFigures {
  const figures = ruleFigures(rule);
  if (group === undefined) return figures;
  return figures.byGroup?.[group] ?? {};
}

const PAID = ['paid', 'fundPaid'];

export function standingOf(counters: Record<string, number>, programmes: ProgrammeSet, year: string): Standing {
  // programme|period → owner(.group) → counter → fen
  const grouped = new Map<string, Map<string, Map<string, number>>>();
  for (const [key, fen] of Object.entries(counters)) {
    const parsed = parseCounterKey(key);
    if (!parsed || !parsed.period.startsWith(year)) continue;
    // A counter kept per group reads `<group>.<counter>` (a drug's own `<group>.drug-<code>.paid` is not the group's paid): the owner's row is the group's.
    const dot = parsed.counter.indexOf('.');
    const owner = dot < 0 ? parsed.owner : `${parsed.owner}.${parsed.counter.slice(0, dot)}`;
    const counter = parsed.counter.slice(dot + 1);
    const programmePeriod = `${parsed.programme}|${parsed.period}`;
    const byOwner = grouped.get(programmePeriod) ?? new Map<string, Map<string, number>>();
    const values = byOwner.get(owner) ?? new Map<string, number>();
    values.set(counter, (values.get(counter) ?? 0) + fen);
    byOwner.set(owner, values);
    grouped.set(programmePeriod, byOwner);
  }
  const programmesOut: Standing['programmes'] = [];
  for (const [programmePeriod, byOwner] of grouped) {
    const [programme = '', period = ''] = programmePeriod.split('|');
    const pack: Pack | undefined = programmes.get(programme);
    if (!pack) continue;
    const rules: Standing['programmes'][number]['rules'] = [];
    for (const [ownerKey, values] of byOwner) {
      const [ownerId = '', group] = ownerKey.split('.');
      const limit = pack.limits.find((l) => l.id === ownerId);
      if (limit) {
        // A limit over several rules (or the person-level cap): what has counted against it.
        const paid = values.get('paid') ?? 0;
        rules.push({
          rule: ownerKey, name: limit.name, paid: formatFen(paid), cap: formatFen(limit.amount.value), capLeft: formatFen(positive(limit.amount.value - paid)),
          ...(limit.overrides?.length ? { note: '款型或人群不同时限额可能不同，此处为一般额度' } : {}),
        });
        continue;
      }
      const rule = pack.rules.find((r) => r.id === ownerId);
      if (!rule) continue;
      // A rule with any counter this period was applied: what it paid counts even when nothing (a 0 is not stored).
      const paid = PAID.reduce((sum, c) => sum + (values.get(c) ?? 0), 0);
      const figures = figuresOf(rule, group);
      // 大病保险's threshold is met by the year's burden after basic insurance, which is what it counts.
      const burden = values.get('burdenAfterBasic');
      const deductibleUsed = values.get('deductibleUsed') ?? (burden !== undefined && figures.deductible !== undefined ? Math.min(burden, figures.deductible) : undefined);
      rules.push({
        rule: ownerKey,
        name: group ? `${rule.name}（${ruleFigures(rule).groupNames?.[group] ?? group}）` : rule.name,
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
