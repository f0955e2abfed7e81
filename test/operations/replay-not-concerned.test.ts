/**
 * A stay the programme is not in force for still moves the person's counters of the layers before it: the
 * replay settles it (without reporting it), so a later stay the programme pays on is replayed against the
 * counters the ledger had. Here the demo region's basic fund (yearly cap 200 000) is spent by a stay in March,
 * before a plan that starts in July; the August stay's basic fund then pays nothing, and the plan pays on more.
 */
import { describe, expect, it } from 'vitest';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { parseCandidatePack } from '../../gateway/operations/candidate.js';
import { whatIf } from '../../gateway/operations/whatif.js';
import { loadProgrammes, parseYaml } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { pack } from '../../schemas/pack.js';
import { requestBody } from '../support/requests.js';

const PLAN = (ratio: string, version: string) => `
id: test-2024-second-half
version: "${version}"
name: 测试地区下半年补充保险
layer: supplementary
order: 95
source: { file: test, title: 测试方案 }
payer: { name: 测试共保体, insurerCode: test-half }
insuredRegions: { value: ["99"], cite: "测试方案 一：示例地区" }
term: { from: 2024-07-01, to: 2024-12-31, cite: "测试方案 二：7月1日起保" }
rules:
  - id: r1
    name: 责任一·医保范围内自付
    kind: coinsurance
    base: { parts: [compliant, preSelfPay], after: [basic, majorIllness], cite: "测试方案 三：基本医保、大病保险支付后的政策范围内自付" }
    deductible: { amount: "10000", per: year, cite: "测试方案 三：1万元" }
    ratio: { value: { healthy: "${ratio}" }, cite: "测试方案 三：比例" }
    payment: direct
`;

describe('replay of a stay the programme is not in force for', () => {
  it('settles it for its counters: the later stay replays to the stored amounts', async () => {
    const builtIn = loadProgrammes();
    const programmes = new ProgrammeSet([...builtIn.packs, parseYaml(PLAN('0.50', '1'), pack, 'test plan', 'programme pack')], builtIn.catalogues);
    const ledger = new MemoryLedger();
    let now = new Date('2024-03-10T02:00:00Z');
    const service = new SettlementService({ ledger, programmes, clock: () => now });
    const stay = (n: number, amount: string, on: string) => requestBody({
      settlementId: `ZY2024HALF${n}`,
      hospital: { id: 'H99000000001', region: '990100', level: 1, drgPublic: true },
      encounter: { admittedOn: on, dischargedOn: on },
      items: [{ code: 'A1', name: '甲类项目', amount, class: 'A' }],
    });
    const march = await service.settle(stay(1, '300000.00', '2024-03-10'), undefined);
    expect(march.split.lines.find((l) => l.layer === 'basic')?.amount).toBe('200000.00');
    expect(march.split.lines.some((l) => l.programme === 'test-2024-second-half')).toBe(false);
    now = new Date('2024-08-10T02:00:00Z');
    const august = await service.settle(stay(2, '50000.00', '2024-08-10'), undefined);
    // The fund's yearly cap was reached in March: nothing in August.
    expect(august.split.lines.find((l) => l.layer === 'basic')?.amount).toBe('0.00');
    const planPaid = august.split.lines.find((l) => l.programme === 'test-2024-second-half')?.amount;
    expect(Number(planPaid)).toBeGreaterThan(0);

    const result = await whatIf({ programmes, candidate: parseCandidatePack(PLAN('0.60', '2')), source: ledger, ledger, period: { from: '2024-01-01', to: '2025-01-01' } });
    expect(result.settlements).toMatchObject({ read: 2, replayed: 1, notConcerned: 1, unreplayable: 0 });
    // Replayed from empty counters without the March stay, the basic fund would pay in August and the plan less.
    expect(result.settlements.storedMismatches).toBe(0);
    expect(result.totals.baseline.total).toBe(planPaid);
  });
});
