/** 南通 二次赔付 over a synthetic 2022: the surplus shared exactly, nobody above their cost, committed once, published from the document. */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatFen, parseFen } from '../../gateway/engine/money.js';
import { commitSecondPayout, storedPayout } from '../../gateway/operations/second-payout-commit.js';
import { planSecondPayout, type SecondPayoutPlan } from '../../gateway/operations/second-payout.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import type { InboundMessage, OutboundRecord } from '../../gateway/stream/bus.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { topics } from '../../gateway/stream/topics.js';
import { loadConfig } from '../../gateway/config.js';
import { COMPOSED } from '../../gateway/main.js';
import { secondPayoutClaim } from '../../schemas/messages.js';
import type { Pack } from '../../schemas/pack.js';
import type { Split } from '../../schemas/settlement.js';
import { syntheticYear, type SyntheticYear } from './synthetic-year.js';

const fen = (text: string) => { const v = parseFen(text); if (v === null) throw new Error(text); return v; };
const ID = 'nantong-2022-dibubao';
const basePack = loadProgrammes().get(ID);
if (!basePack?.operations) throw new Error('nantong pack without operations');
const ops = basePack.operations;
/** The pack with another enrolled count: a small one leaves a surplus smaller than the self-paid cost, a large one a surplus that covers it all. */
const withEnrolled = (persons: number): Pack => ({ ...basePack, operations: { ...ops, enrolledPersons: { value: persons, cite: 'test' } } });
const paidBy = (split: Split) => split.lines.filter((l) => l.programme === ID).reduce((s, l) => s + fen(l.amount), 0) + split.benefits.filter((b) => b.programme === ID).reduce((s, b) => s + fen(b.amount), 0);

describe('second payout (南通 2022)', () => {
  let year: SyntheticYear;
  beforeAll(async () => { year = await syntheticYear({ seed: 3206, programme: 'nantong', settlements: 2500, persons: 500, reversalShare: 0.02 }); }, 60_000);

  /** What every person is owed a share on, computed from the answers as returned. */
  const expected = () => {
    const standing = year.settled.filter((s) => !s.reversed && s.split.policyVersions[ID] !== undefined && s.body.encounter.dischargedOn.startsWith('2022-'));
    const perPerson = new Map<string, { eligible: number; cost: number; paidByAll: number }>();
    let paid = 0;
    for (const s of standing) {
      const p = perPerson.get(s.split.personId) ?? { eligible: 0, cost: 0, paidByAll: 0 };
      const mine = paidBy(s.split);
      paid += mine;
      if (mine > 0) p.eligible += Math.min(fen(s.split.outOfScope) + fen(s.split.overLimit), fen(s.split.patientPays));
      p.cost += fen(s.split.total);
      p.paidByAll += s.split.lines.reduce((sum, l) => sum + fen(l.amount), 0) + s.split.benefits.reduce((sum, b) => sum + fen(b.amount), 0);
      perPerson.set(s.split.personId, p);
    }
    return { paid, perPerson };
  };

  /** An enrolled count whose net premium leaves `factor` × the year's eligible self-paid cost as surplus. */
  const enrolledFor = (factor: number) => {
    const { paid, perPerson } = expected();
    const eligible = [...perPerson.values()].reduce((sum, p) => sum + p.eligible, 0);
    return Math.ceil((paid + eligible * factor) / 0.92 / 12000);
  };

  const checkInvariants = (plan: SecondPayoutPlan, pack: Pack) => {
    const { paid, perPerson } = expected();
    const premium = (pack.operations?.enrolledPersons?.value ?? 0) * 12000;
    const net = Math.round(premium * 0.92); // 8% service fee; premium is a whole number of yuan, so this is exact
    expect(plan.paid).toBe(formatFen(paid));
    expect(plan.premiumIncome).toBe(formatFen(premium));
    expect(plan.premiumNetOfFee).toBe(formatFen(net));
    const surplus = Math.max(0, net - paid);
    expect(plan.surplus).toBe(formatFen(surplus));
    const eligibleTotal = [...perPerson.values()].reduce((s, p) => s + p.eligible, 0);
    expect(plan.eligibleSelfPay).toBe(formatFen(eligibleTotal));
    const sum = plan.payments.reduce((s, p) => s + fen(p.amount), 0);
    expect(formatFen(sum)).toBe(plan.distributed);
    expect(sum + fen(plan.undistributed)).toBe(surplus);
    for (const p of plan.payments) {
      const who = perPerson.get(p.personId);
      if (!who) throw new Error(p.personId);
      expect(fen(p.amount)).toBeLessThanOrEqual(who.eligible);
      // Nobody's total from the policies above their total cost.
      expect(who.paidByAll + fen(p.amount)).toBeLessThanOrEqual(who.cost);
      expect(p.explanation.join('')).toContain('二次赔付');
    }
    expect(plan.lossRatio.before).toBe((paid / premium).toFixed(4));
    return { surplus, eligibleTotal, sum, perPerson };
  };

  it('shares a surplus smaller than the self-paid cost pro rata, to the fen', async () => {
    const pack = withEnrolled(enrolledFor(0.5));
    const plan = await planSecondPayout({ pack, source: year.ledger, ledger: year.ledger, year: 2022 });
    const { surplus, eligibleTotal, sum, perPerson } = checkInvariants(plan, pack);
    expect(surplus).toBeGreaterThan(0);
    expect(surplus).toBeLessThan(eligibleTotal);
    expect(sum).toBe(surplus); // all of it handed out, rounding to the patients' favour
    expect(plan.payments.length).toBeGreaterThan(50);
    for (const p of plan.payments) {
      const exact = (surplus * (perPerson.get(p.personId)?.eligible ?? 0)) / eligibleTotal;
      expect(Math.abs(fen(p.amount) - exact)).toBeLessThan(1 + 1e-6);
    }
    expect(Number(plan.lossRatio.after)).toBeGreaterThan(Number(plan.lossRatio.before));
  });

  it('pays everyone their whole self-paid cost when the surplus covers it, and says what is left', async () => {
    const pack = withEnrolled(enrolledFor(2));
    const plan = await planSecondPayout({ pack, source: year.ledger, ledger: year.ledger, year: 2022 });
    const { surplus, eligibleTotal, sum } = checkInvariants(plan, pack);
    expect(surplus).toBeGreaterThan(eligibleTotal);
    expect(sum).toBe(eligibleTotal);
    expect(plan.payments.every((p) => p.capped && p.amount === p.eligibleSelfPay)).toBe(true);
    expect(fen(plan.undistributed)).toBe(surplus - eligibleTotal);
  });

  it('pays nothing when the year paid out the net premiums', async () => {
    const plan = await planSecondPayout({ pack: withEnrolled(100), source: year.ledger, ledger: year.ledger, year: 2022 });
    expect(plan.surplus).toBe('0.00');
    expect(plan.payments).toEqual([]);
  });

  it('commits once per year, publishes each payment, and after a crash before publishing publishes again from the document', async () => {
    const pack = withEnrolled(enrolledFor(0.5));
    const plan = await planSecondPayout({ pack, source: year.ledger, ledger: year.ledger, year: 2022 });
    expect(plan.payments.length).toBeGreaterThan(0);
    const store = new MemoryStore();
    const bus = new MemoryBus();
    let failNext = true;
    const flaky = { ...bus, kind: bus.kind, publish: async (records: readonly OutboundRecord[]) => { if (failNext) { failNext = false; throw new Error('broker down'); } return bus.publish(records); } } as typeof bus;
    const deps = { store, bus: flaky, mapping: { topics: topics(''), source: 'urn:test', audiences: COMPOSED.audiences({ config: loadConfig({}), programmes: loadProgrammes() }) }, clock: () => new Date('2023-03-01T02:00:00Z') };
    await expect(commitSecondPayout({ ...deps, clock: () => new Date('2022-12-31T02:00:00Z') }, pack, plan)).rejects.toThrow('尚未结束');
    await expect(commitSecondPayout(deps, pack, plan)).rejects.toThrow('broker down');
    const committed = await storedPayout(store, ID, 2022);
    expect(committed?.publishedAt).toBeUndefined();
    expect(committed?.distributed).toBe(plan.distributed);
    // A second confirmed run (even with a recomputed, different plan) commits nothing new: it publishes the committed one.
    const other = { ...plan, distributed: '0.00', payments: [] };
    const again = await commitSecondPayout(deps, pack, other);
    expect(again.replay).toBe(true);
    expect(again.published).toBe(plan.payments.length);
    expect(again.payout.distributed).toBe(plan.distributed);
    const third = await commitSecondPayout(deps, pack, plan);
    expect(third).toMatchObject({ replay: true, published: 0 });
    const messages: InboundMessage[] = [];
    await bus.readToEnd('insurer.nantong-dibubao.claims', (m) => { messages.push(m); });
    expect(messages).toHaveLength(plan.payments.length);
    const claims = messages.map((m) => secondPayoutClaim.parse(JSON.parse(m.value?.toString('utf8') ?? '')));
    expect(new Set(claims.map((c) => c.claimId)).size).toBe(claims.length);
    expect(formatFen(claims.reduce((s, c) => s + fen(c.amount), 0))).toBe(plan.distributed);
    expect(messages[0]?.headers.ce_type).toBe('insurer.claim.second-payout');
  });
});
