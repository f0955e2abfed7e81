/** A ratio by risk group as packs write it (healthy, preExisting, aidPreExisting), read for one person. */
import type { GroupRatios, RiskGroup } from '../../../schemas/pack-parts.js';

/** The group's ratio (ppm); 救助对象 fall back to the pre-existing ratio where the pack sets none for them; null: not covered. */
export function ratioFor(group: RiskGroup, ratios: GroupRatios): number | null {
  if (group === 'healthy') return ratios.healthy;
  if (group === 'aidPreExisting' && ratios.aidPreExisting !== undefined) return ratios.aidPreExisting;
  return ratios.preExisting ?? null;
}
