/**
 * Storing an insurer's statement (StatementsStore.upload) when things go wrong: two uploads of one
 * statement number overlapping, a store error part-way through an upload, the upload sent again after
 * it. Whatever happens, the number holds one content, only that content's lines count in
 * reconciliation and mark claims paid, and a failed upload counts for nothing until it is sent again.
 */
import { describe, expect, it } from 'vitest';
import { ClaimsStore, type ClaimRecord } from '../../../adapters/insurer/claims-store.js';
import { StatementsStore, type Payment, type StoredStatement } from '../../../adapters/insurer/statements-store.js';
import { parseStatement, statementDigest, type Statement } from '../../../adapters/insurer/statements.js';
import { Conflict } from '../../../gateway/errors.js';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';
import type { DocumentStore } from '../../../gateway/ledger/documents/port.js';

const CODE = 'chinalife-weihai';
const HOSPITAL = 'H37100200001';
const CLAIM_A = 'clm_stl_A_weihai-2020-medical';
const CLAIM_B = 'clm_stl_B_weihai-2020-medical';
const NOW = new Date('2026-04-06T09:00:00+08:00');

function claimRecord(claimId: string, amount: string): ClaimRecord {
  return {
    v: 1, claimId, kind: 'claim', insurerCode: CODE, programme: 'weihai-2020-medical', gatewayId: claimId.replace(/^clm_/, '').replace(/_weihai.*$/, ''),
    settlementId: `S-${claimId}`, hospitalId: HOSPITAL, amount, currency: 'CNY', settledOn: '2026-03-10', batchDay: '2026-03-10',
    settledAt: '2026-03-10T10:00:00+08:00', takenAt: '2026-03-10T10:00:01.000Z',
  };
}

const line = (claimId: string, amount: string) => ({ claimId, hospitalId: HOSPITAL, settledOn: '2026-03-10', amount, paidOn: '2026-04-05' });
const statementOf = (statementNo: string, lines: Array<ReturnType<typeof line>>): Statement => parseStatement({ statementNo, from: '2026-03-01', to: '2026-03-31', lines });

/** A store whose writes fail while `failWhen` says so: a Redis blip, or a request cut short, in the middle of an upload. */
function flakyStore(inner: DocumentStore): { store: DocumentStore; failWhen(p: ((collection: string, id: string) => boolean) | undefined): void } {
  let failing: ((collection: string, id: string) => boolean) | undefined;
  const store: DocumentStore = {
    kind: 'memory',
    get: (c, id) => inner.get(c, id),
    getMany: (c, ids) => inner.getMany(c, ids),
    range: (c, i, a, b, o) => inner.range(c, i, a, b, o),
    delete: (c, id) => inner.delete(c, id),
    put: async (c, id, json, o) => {
      if (failing?.(c, id)) throw new Error('Connection is closed.');
      return inner.put(c, id, json, o);
    },
  };
  return { store, failWhen: (p) => { failing = p; } };
}

async function setUp(store: DocumentStore = new MemoryStore()) {
  const claims = new ClaimsStore(store);
  await claims.take(claimRecord(CLAIM_A, '4000.00'));
  await claims.take(claimRecord(CLAIM_B, '2500.00'));
  return { claims, statements: new StatementsStore(store, claims) };
}

async function paymentsOf(statements: StatementsStore): Promise<Payment[]> {
  const out: Payment[] = [];
  for await (const p of statements.payments(CODE, { from: '2026-03-01', to: '2026-03-31' })) out.push(p);
  return out.sort((a, b) => a.lineNo - b.lineNo);
}

/** What a claim's view says about its payment. */
async function paidOf(claims: ClaimsStore, claimId: string): Promise<{ state: string; paidAmount?: string }> {
  const [view] = await claims.views(CODE, [claimId]);
  return { state: view!.state, ...(view!.paidAmount ? { paidAmount: view!.paidAmount } : {}) };
}

describe('a statement number holds one content', () => {
  it('never answers another content under a statement number as a replay, even when the two uploads overlap', async () => {
    // Two uploads of one number both find it free (an insurer portal retrying with a corrected file, two
    // clerks): one is stored, the other is a conflict — never a replay of content that is not stored —
    // and the payments the report reads are the stored content's.
    const { claims, statements } = await setUp();
    const a = statementOf('CL-WH-202603', [line(CLAIM_A, '4000.00')]);
    const b = statementOf('CL-WH-202603', [line(CLAIM_A, '3999.00')]);
    const outcomes = await Promise.allSettled([statements.upload(CODE, a, 'clerk-1', NOW), statements.upload(CODE, b, 'clerk-2', NOW)]);
    const stored = (await statements.get(CODE, 'CL-WH-202603'))!;
    const digests = [statementDigest(a), statementDigest(b)];
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') expect(digests[i], `upload ${i + 1} was answered ${o.value.replay ? 'as a replay' : 'as stored'} but its content is not the stored one`).toBe(stored.digest);
      else expect(o.reason).toBeInstanceOf(Conflict);
    });
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const payments = await paymentsOf(statements);
    expect(payments.map((p) => p.amount)).toEqual([stored.total]);
    // Only the stored content marks the claim paid, with its amount.
    expect(await paidOf(claims, CLAIM_A)).toEqual({ state: 'paid', paidAmount: stored.total });
  });

  it('refuses another content under a stored number (409) and leaves the stored statement, its payments and the claims as they were', async () => {
    const { claims, statements } = await setUp();
    const first = statementOf('CL-WH-202603', [line(CLAIM_A, '4000.00'), line(CLAIM_B, '2500.00')]);
    const { statement: stored, replay } = await statements.upload(CODE, first, 'clerk-1', NOW);
    expect(replay).toBe(false);
    expect(stored).toMatchObject({ lines: 2, total: '6500.00', knownClaims: 2, markedPaid: 2, claimsMarked: true });
    const payments = await paymentsOf(statements);

    const other = statementOf('CL-WH-202603', [line(CLAIM_A, '3999.00')]);
    await expect(statements.upload(CODE, other, 'clerk-2', new Date(NOW.getTime() + 60_000))).rejects.toBeInstanceOf(Conflict);
    expect(await statements.get(CODE, 'CL-WH-202603')).toEqual(stored);
    expect(await paymentsOf(statements)).toEqual(payments);
    expect(await paidOf(claims, CLAIM_A)).toEqual({ state: 'paid', paidAmount: '4000.00' });

    // The same content again is a replay of the stored statement.
    expect(await statements.upload(CODE, first, 'clerk-3', NOW)).toEqual({ statement: stored, replay: true });
  });
});

describe('an upload that fails part-way', () => {
  it('leaves no payment behind when the statement itself could not be stored', async () => {
    // No failed call leaves partial state: the lines written before the error are not counted by
    // reconciliation, and GET .../statements does not list a statement that was never stored.
    const { store, failWhen } = flakyStore(new MemoryStore());
    const { claims, statements } = await setUp(store);
    failWhen((collection) => collection.endsWith('.statements'));
    await expect(statements.upload(CODE, statementOf('CL-WH-FAIL', [line(CLAIM_B, '2500.00')]), 'clerk', NOW)).rejects.toThrow();
    expect(await statements.get(CODE, 'CL-WH-FAIL')).toBeNull();
    expect(await statements.list(CODE, { from: '2026-03-01', to: '2026-03-31' })).toEqual([]);
    expect(await paymentsOf(statements)).toEqual([]);
    expect(await paidOf(claims, CLAIM_B)).toEqual({ state: 'pending' });
  });

  const lines = [line(CLAIM_A, '4000.00'), line(CLAIM_B, '2500.00'), line('clm_stl_NOTOURS_weihai-2020-medical', '123.45')];
  const failures: Array<{ at: string; when: (collection: string, id: string) => boolean; counted: boolean; replay: boolean }> = [
    { at: 'the second line', when: (c, id) => c.endsWith('.payments') && id.endsWith('.2'), counted: false, replay: false },
    { at: 'the statement document', when: (c) => c.endsWith('.statements'), counted: false, replay: false },
    // Stored (the commit point passed), its claims not yet marked: the statement counts, the same upload finishes it.
    { at: 'marking a claim paid', when: (c, id) => c.endsWith('.states') && id === `${CLAIM_B}.paid`, counted: true, replay: true },
  ];
  for (const f of failures) {
    it(`succeeds when sent again after failing at ${f.at}, with the result of an upload that never failed`, async () => {
      const clean = await setUp();
      const expected = await clean.statements.upload(CODE, statementOf('CL-WH-RETRY', lines), 'clerk', NOW);

      const { store, failWhen } = flakyStore(new MemoryStore());
      const { claims, statements } = await setUp(store);
      failWhen(f.when);
      await expect(statements.upload(CODE, statementOf('CL-WH-RETRY', lines), 'clerk', NOW)).rejects.toThrow('Connection is closed.');
      expect((await paymentsOf(statements)).length).toBe(f.counted ? 3 : 0);
      failWhen(undefined);

      const retried = await statements.upload(CODE, statementOf('CL-WH-RETRY', lines), 'clerk', NOW);
      expect(retried).toEqual({ statement: expected.statement, replay: f.replay });
      expect(retried.statement).toMatchObject<Partial<StoredStatement>>({ lines: 3, total: '6623.45', knownClaims: 2, unknownClaims: 1, markedPaid: 2, notMarked: 0, claimsMarked: true });
      expect(await statements.get(CODE, 'CL-WH-RETRY')).toEqual(expected.statement);
      expect(await paymentsOf(statements)).toEqual(await paymentsOf(clean.statements));
      for (const id of [CLAIM_A, CLAIM_B]) expect(await paidOf(claims, id)).toEqual(await paidOf(clean.claims, id));
      // And once more: a replay that changes nothing.
      expect(await statements.upload(CODE, statementOf('CL-WH-RETRY', lines), 'clerk', NOW)).toEqual({ statement: expected.statement, replay: true });
    });
  }

  it('counts only the corrected content when a failed upload is followed by another content under its number', async () => {
    // The failed upload had three lines; the corrected one has one. The number was never stored, so the
    // correction is stored under it, and the failed upload's extra lines are not left behind in the report.
    const { store, failWhen } = flakyStore(new MemoryStore());
    const { claims, statements } = await setUp(store);
    failWhen((c) => c.endsWith('.statements'));
    await expect(statements.upload(CODE, statementOf('CL-WH-FIX', lines), 'clerk', NOW)).rejects.toThrow();
    failWhen(undefined);
    const corrected = await statements.upload(CODE, statementOf('CL-WH-FIX', [line(CLAIM_A, '4000.00')]), 'clerk', NOW);
    expect(corrected).toMatchObject({ replay: false, statement: { lines: 1, total: '4000.00' } });
    expect((await paymentsOf(statements)).map((p) => [p.claimId, p.amount])).toEqual([[CLAIM_A, '4000.00']]);
    expect(await paidOf(claims, CLAIM_B)).toEqual({ state: 'pending' });
  });
});
