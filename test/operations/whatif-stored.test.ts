/**
 * What-if over records stored by an older release: version 1 accepted `selfPayRatio` on a class A item
 * (test/fixtures/records/v1.json), which today's request schema refuses. Read with today's schema, such a
 * settlement was dropped from the replay as "unreplayable" while the report counted it, so an unchanged
 * pack's baseline fell short of the report's total (539504.21 against 559735.41 here). Brought to today's
 * shape by its version first (ledger/stored.ts upgradeStoredRequest), it is replayed like any other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCandidatePack } from '../../gateway/operations/candidate.js';
import { programmeReport } from '../../gateway/operations/report.js';
import { whatIf } from '../../gateway/operations/whatif.js';
import type { SettlementQuery } from '../../gateway/ledger/listing.js';
import { StoredSettlement } from '../../gateway/ledger/stored.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { syntheticYear } from './synthetic-year.js';

const programmes = loadProgrammes();
const ID = 'sanming-2024-puhui';
const PERIOD = { from: '2024-01-01', to: '2025-01-01' };

describe('what-if over records stored by an older release', () => {
  it('replays a version-1 record whose request today\'s schema would refuse', async () => {
    const year = await syntheticYear({ seed: 11, programme: 'sanming', settlements: 60, reversalShare: 0 });
    const pack = programmes.get(ID);
    if (!pack) throw new Error(ID);
    // The first settlement the programme paid on, stored as version 1 did: a selfPayRatio on a class A item
    // (the engine ignores it there, so every amount stays the same).
    const target = year.settled.find((s) => !s.reversed && s.split.lines.some((l) => l.programme === ID && l.amount !== '0.00')
      && s.body.items.some((i) => i.class === 'A'));
    if (!target) throw new Error('no paid settlement with a class A item');
    const patch = (record: StoredSettlement): StoredSettlement => {
      if (record.settlementId !== target.record.settlementId || record.hospitalId !== target.record.hospitalId) return record;
      // The body as sent is the stored request; its first class A item gains a selfPayRatio.
      const itemA = target.body.items.findIndex((i) => i.class === 'A');
      const items = target.body.items.map((item, i) => (i === itemA ? { ...item, selfPayRatio: '0.1' } : item));
      const { gatewayId, hospitalId, settlementId, personId, bodyHash, status, settledAt } = record;
      // Stored as version 1 did: no recordVersion.
      return new StoredSettlement({
        gatewayId, hospitalId, settlementId, personId, bodyHash, status, settledAt, deltas: { ...record.deltas },
        splitJson: record.firstAnswer, requestJson: JSON.stringify({ ...target.body, items }),
      });
    };
    const source = {
      async *listSettlements(query: SettlementQuery) { for await (const r of year.ledger.listSettlements(query)) yield patch(r); },
    };
    const unchanged = parseCandidatePack(readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8'));
    const result = await whatIf({ programmes, candidate: unchanged, source, ledger: year.ledger, period: PERIOD });
    const report = await programmeReport({ pack, source, ledger: year.ledger, period: PERIOD });
    expect({ unreplayable: result.settlements.unreplayable, baseline: result.totals.baseline.total })
      .toEqual({ unreplayable: 0, baseline: report.paid.total });
  }, 60_000);
});
