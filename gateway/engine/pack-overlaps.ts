/**
 * Packs that would be in force together where only one may be. The four public layers (basic, major
 * illness, waiver, aid) have one pack per person and stay: the engine takes one, so two overlapping
 * packs would silently let "the first" win. Supplementary programmes stack (a person may hold several),
 * but they are applied in `order`, so two that can meet must not share an order (else the alphabet of
 * their ids would decide who pays first).
 *
 * Two packs meet when both are active, their terms overlap, they share a scheme, and their regions
 * overlap (admdvs prefixes, one a prefix of the other; a pack whose roster decides the region reaches
 * every region).
 */
import type { Pack } from '../../schemas/pack.js';

/** The regions a pack may be in force for: insured regions, 户籍 regions; null = any (its roster decides). */
function reach(pack: Pack): readonly string[] | null {
  if (pack.eligibility.rosterOverridesInsuredRegion?.value) return null;
  return [...pack.insuredRegions.value, ...(pack.eligibility.hukouRegions?.value ?? [])];
}

const prefixesOverlap = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

/** Region prefixes both packs reach (for the message), or null when they never meet. */
function sharedRegions(a: Pack, b: Pack): string[] | null {
  const [ra, rb] = [reach(a), reach(b)];
  if (ra === null && rb === null) return ['*'];
  if (ra === null) return [...(rb ?? [])];
  if (rb === null) return [...ra];
  // Where two prefixes overlap, the longer one is the region both reach.
  const shared = ra.flatMap((x) => rb.filter((y) => prefixesOverlap(x, y)).map((y) => (x.length >= y.length ? x : y)));
  return shared.length > 0 ? [...new Set(shared)] : null;
}

function packsMeet(a: Pack, b: Pack): { from: string; to: string; regions: string[] } | null {
  if (a.status !== 'active' || b.status !== 'active') return null;
  const from = a.term.from > b.term.from ? a.term.from : b.term.from;
  const to = a.term.to < b.term.to ? a.term.to : b.term.to;
  if (from > to || !a.schemes.some((s) => b.schemes.includes(s))) return null;
  const regions = sharedRegions(a, b);
  return regions ? { from, to, regions } : null;
}

/** Every pair of packs in conflict, described; empty when the set is sound. */
export function layerConflicts(packs: readonly Pack[]): string[] {
  const conflicts: string[] = [];
  for (let i = 0; i < packs.length; i++) {
    for (let j = i + 1; j < packs.length; j++) {
      const [a, b] = [packs[i]!, packs[j]!];
      if (a.layer !== b.layer) continue;
      const meet = packsMeet(a, b);
      if (!meet) continue;
      const where = `regions ${meet.regions.join(', ')}, ${meet.from}..${meet.to}`;
      if (a.layer !== 'supplementary') {
        conflicts.push(`${a.id} and ${b.id} are both ${a.layer} packs in force for the same persons (${where}): a public layer has one pack per region and date`);
      } else if (a.order === b.order) {
        conflicts.push(`${a.id} and ${b.id} are supplementary packs in force together (${where}) with the same order ${a.order}: give each its own order`);
      }
    }
  }
  return conflicts;
}
