/**
 * A person's counters are flat keys `programme|period|owner.counter` (fen, or days): `owner` is a rule id, or a
 * limit id of the pack (pack.limits), and `counter` may itself be dotted (`<group>.paid`). The one module that
 * builds and reads them: the engine writes them, the desk's standing reads them back, `npm run check-pack`
 * guards their names (a renamed rule would silently restart every person's deductibles and caps).
 */
import type { Pack } from '../../schemas/pack.js';
import type { SettlementRequest } from '../../schemas/settlement.js';

export const counterKey = (programme: string, period: string, owner: string, counter: string): string => `${programme}|${period}|${owner}.${counter}`;

/** The key's tail after `programme|period|`, as the snapshot of counter names keeps it. */
export const counterName = (owner: string, counter: string): string => `${owner}.${counter}`;

export interface ParsedCounterKey { programme: string; period: string; owner: string; counter: string }

export function parseCounterKey(key: string): ParsedCounterKey | null {
  const [programme, period, tail, ...rest] = key.split('|');
  if (!programme || !period || !tail || rest.length > 0) return null;
  const dot = tail.indexOf('.');
  if (dot <= 0 || dot === tail.length - 1) return null;
  return { programme, period, owner: tail.slice(0, dot), counter: tail.slice(dot + 1) };
}

/**
 * The period a stay's counters run in: the term's start for a pack accumulating over its term, else the
 * calendar year of discharge — or of the term's last day, for a stay a pack pays past its end (cover.straddle).
 */
export function periodOf(pack: Pack, request: SettlementRequest): string {
  if (pack.accumulation === 'term') return pack.term.from;
  const discharged = request.encounter.dischargedOn;
  return (discharged > pack.term.to ? pack.term.to : discharged).slice(0, 4);
}

/** Every period a settlement of the pack can meet: the term's start, or each calendar year the term touches. */
export function periodsOf(pack: Pack): string[] {
  if (pack.accumulation === 'term') return [pack.term.from];
  const years: string[] = [];
  for (let year = Number.parseInt(pack.term.from.slice(0, 4), 10); year <= Number.parseInt(pack.term.to.slice(0, 4), 10); year++) years.push(String(year).padStart(4, '0'));
  return years;
}

/** How the wording of a rule names the period its counters run over. */
export const periodWord = (pack: Pack): string => (pack.accumulation === 'term' ? '本保单年度' : '本年');
