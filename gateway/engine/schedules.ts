/** Fixed-sum schedules of a pack (death, disability): used when a claim is filed, not at discharge. */
import type { Pack } from '../../schemas/pack.js';
import { applyRatio, positive, RATIO_SCALE } from './money.js';

type Schedule = Pack['schedules'][string];

/** The sum for disability grade `grade` (1 = most severe): the sum less `gradeStepShare` of it per grade below 1, never under the floor. */
export function disabilityBenefitFen(schedule: Schedule, grade: number): number {
  if (!schedule.sum) throw new Error(`schedule ${schedule.name} has no sum`);
  const stepPpm = schedule.gradeStepShare?.value ?? 0;
  const sharePpm = positive(RATIO_SCALE - stepPpm * (grade - 1));
  return Math.max(applyRatio(schedule.sum.value, sharePpm), schedule.floor?.value ?? 0);
}
