/** Year-to-date standing from flat counters and packs: what is counted, and what the pack states for everyone. */
import { describe, expect, it } from 'vitest';
import { standingOf } from '../../gateway/desk/standing.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';

const programmes = loadProgrammes();

describe('standingOf', () => {
  it('reads paid and deductible used per rule, with the pack\'s cap and the cap left', () => {
    const standing = standingOf({
      'sanming-2024-puhui|2024|r1.deductibleUsed': 500_000,
      'sanming-2024-puhui|2024|r1.paid': 1_234_567,
      'sanming-2024-puhui|2024|r4.tumor.deductibleUsed': 0,
      'sanming-2024-puhui|2024|r4.tumor.paid': 99_000_000,
      'sanming-2024-puhui|2023|r1.paid': 7, // another year: not this standing
      'unknown-pack|2024|x.paid': 5, // a pack no longer loaded: left out rather than guessed
    }, programmes, '2024');
    expect(standing.programmes).toHaveLength(1);
    const [sanming] = standing.programmes;
    expect(sanming).toMatchObject({ programme: 'sanming-2024-puhui', layer: 'supplementary', period: '2024' });
    expect(sanming!.rules.find((r) => r.rule === 'r1')).toMatchObject({ paid: '12345.67', deductibleUsed: '5000.00', deductible: '5000.00', cap: '1500000.00', capLeft: '1487654.33' });
    const tumor = sanming!.rules.find((r) => r.rule === 'r4.tumor');
    expect(tumor).toMatchObject({ paid: '990000.00', cap: '1000000.00', capLeft: '10000.00' });
    expect(tumor?.note).toContain('一般人群');
  });

  it('never answers a negative cap left', () => {
    const standing = standingOf({ 'sanming-2024-puhui|2024|r3.paid': 3_500_000 }, programmes, '2024');
    expect(standing.programmes[0]!.rules[0]).toMatchObject({ cap: '30000.00', capLeft: '0.00' });
  });
});
