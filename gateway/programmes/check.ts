/**
 * Checks a set of packs before they bite (`npm run check-pack`): each file valid, no id twice, every
 * catalogue named exists, no two packs of one layer in force together (gateway/engine/pack-overlaps.ts),
 * every supplementary pack that pays directly names the insurer its claims go to, and no counter key of a started pack lost since the committed snapshot.
 *
 * Why the snapshot: accumulator keys are `programme|period|rule.counter`, built from rule ids. Renaming
 * a rule (or a 三明 drug group) of a pack already in use silently resets every person's deductibles and
 * caps for the rest of the term. Pure: the caller reads files and says what day it is.
 */
import * as z from 'zod';
import type { Pack } from '../../schemas/pack.js';
import { isoDate } from '../../schemas/primitives.js';
import { layerConflicts } from '../engine/pack-overlaps.js';
import { counterName } from '../engine/counter-keys.js';
import { packContradictions } from '../engine/pack-contradictions.js';
import { counterNames, rulePayment } from '../engine/rules/registry.js';

export const counterKeySnapshot = z.object({
  packs: z.record(z.string(), z.object({
    version: z.string(),
    termFrom: isoDate,
    counterKeys: z.array(z.string()).meta({ description: '`rule.counter` tails of the keys `programme|period|rule.counter`' }),
  }).strict()),
}).strict();
export type CounterKeySnapshot = z.infer<typeof counterKeySnapshot>;

export interface CheckInput {
  /** The packs that parsed, with the file each came from. */
  packs: ReadonlyArray<{ file: string; pack: Pack }>;
  /** Files that did not parse, each with its message. */
  invalid: readonly string[];
  catalogueIds: ReadonlySet<string>;
  snapshot: CounterKeySnapshot;
  /** ISO date: a pack whose term starts on or before it is in use. */
  today: string;
  /** The packs are the whole set the snapshot describes (the built-in ones are among them): a pack of the snapshot not loaded was removed or renamed. */
  complete: boolean;
}

export interface CheckReport {
  /** Invalid files, duplicate ids, unknown catalogues, layer conflicts, direct payers without an insurer: never accepted. */
  errors: string[];
  /** Counter keys of started packs lost since the snapshot: errors unless accepted with --update-snapshot. */
  counterKeyErrors: string[];
  warnings: string[];
  /** The snapshot as it would be accepted (`--update-snapshot`). */
  snapshot: CounterKeySnapshot;
}

/** A pack's counter keys without the period: `rule.counter` and `limit.paid`, sorted. */
export function packCounterKeys(pack: Pack): string[] {
  const shared = new Set(pack.sharedDeductibles.flatMap((d) => d.rules));
  const ruleKeys = pack.rules.flatMap((rule) => counterNames(rule).filter((name) => !(shared.has(rule.id) && name === counterName(rule.id, 'deductibleUsed'))));
  return [...new Set([...ruleKeys, ...pack.sharedDeductibles.map((d) => counterName(d.id, 'deductibleUsed')), ...pack.limits.map((l) => counterName(l.id, 'paid'))])].sort();
}

/**
 * A supplementary pack that pays directly must name its insurer (payer.insurerCode): the claim of each
 * settlement it pays goes to `insurer.<insurerCode>.claims`, and without one every such claim is
 * dead-lettered by the relay. Cash benefits (payment: benefit) are paid to the patient and file no claim.
 */
function missingInsurerCode(pack: Pack): string[] {
  if (pack.layer !== 'supplementary' || pack.payer.insurerCode) return [];
  const direct = pack.rules.filter((r) => rulePayment(r) === 'direct').map((r) => r.id);
  if (direct.length === 0) return [];
  return [`${pack.id} pays directly (rules ${direct.join(', ')}) but its payer names no insurerCode: every claim it files would be dead-lettered to settlement.events.dlq instead of reaching an insurer; add payer.insurerCode`];
}

export function checkPacks(input: CheckInput): CheckReport {
  const errors = [...input.invalid];
  const warnings: string[] = [];
  const fileOf = new Map<string, string>();
  for (const { file, pack } of input.packs) {
    const first = fileOf.get(pack.id);
    if (first !== undefined) errors.push(`${pack.id} is defined twice: ${first} and ${file}`);
    else fileOf.set(pack.id, file);
    errors.push(...packContradictions(pack, input.catalogueIds));
    errors.push(...missingInsurerCode(pack));
  }
  errors.push(...layerConflicts(input.packs.map((p) => p.pack)));

  const counterKeyErrors: string[] = [];
  const next: CounterKeySnapshot = { packs: { ...input.snapshot.packs } };
  const active = input.packs.filter(({ pack }) => pack.status === 'active');
  for (const { pack } of active) {
    const keys = packCounterKeys(pack);
    const before = input.snapshot.packs[pack.id];
    next.packs[pack.id] = { version: pack.version, termFrom: pack.term.from, counterKeys: keys };
    if (!before) {
      warnings.push(`${pack.id}: not in the counter-key snapshot; accept its keys with --update-snapshot (${keys.join(', ') || 'no counters'})`);
      continue;
    }
    const lost = before.counterKeys.filter((k) => !keys.includes(k));
    const added = keys.filter((k) => !before.counterKeys.includes(k));
    const started = pack.term.from <= input.today;
    if (lost.length > 0) {
      const text = `${pack.id}: counter keys ${lost.join(', ')} are gone${added.length ? ` (new: ${added.join(', ')})` : ''}`;
      if (started) {
        counterKeyErrors.push(`${text}. The term started ${pack.term.from}: every person's accumulators under the old keys (deductibles used, amounts paid) would silently restart at zero. Keep the rule ids, or accept deliberately with --update-snapshot (a migration of the ledger's counters is then yours to do).`);
      } else {
        warnings.push(`${text}; the term starts ${pack.term.from}, nothing accumulated yet: update the snapshot`);
      }
    } else if (added.length > 0) {
      warnings.push(`${pack.id}: new counter keys ${added.join(', ')}${started ? ' start at zero in a term already running' : ''}; accept with --update-snapshot`);
    }
  }
  if (input.complete) {
    const loaded = new Set(input.packs.map((p) => p.pack.id));
    for (const [id, entry] of Object.entries(input.snapshot.packs)) {
      if (loaded.has(id)) continue;
      const text = `${id}: in the counter-key snapshot but not loaded (removed or renamed)`;
      if (entry.termFrom <= input.today) counterKeyErrors.push(`${text}; its term started ${entry.termFrom}, so its persons' accumulators would be orphaned. Accept deliberately with --update-snapshot.`);
      else warnings.push(text);
      delete next.packs[id];
    }
  }
  next.packs = Object.fromEntries(Object.entries(next.packs).sort(([a], [b]) => a.localeCompare(b)));
  return { errors, counterKeyErrors, warnings, snapshot: next };
}
