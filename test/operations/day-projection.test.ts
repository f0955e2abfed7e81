/**
 * The day projections (gateway/operations/day-projection.ts, gateway/ledger/projection.ts) on both ledgers, the
 * Redis one on a real server: entries equal what readRecord gives on the same records; a settlement or reversal
 * after a day was cached is in the next pass; an entry of another format is built again; a build overtaken by a
 * commit is not cached; and the report and the what-if answer the same from cached entries as from the records
 * read one by one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCandidatePack } from '../../gateway/operations/candidate.js';
import { projectedDays, projectRecord, PROJECTION_FORMAT } from '../../gateway/operations/day-projection.js';
import { mergeReportParts, programmeReport, reportPass, summariseReport } from '../../gateway/operations/report.js';
import { shardSource } from '../../gateway/operations/shards.js';
import { whatIf } from '../../gateway/operations/whatif.js';
import type { SettlementSource } from '../../gateway/operations/records.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { projectionDay, type CellDay } from '../../gateway/ledger/projection.js';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { uniqueId } from '../ledger/fixtures.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { PROGRAMME_ID, syntheticYearInto, YEAR, type Settled } from './synthetic-year.js';

const programmes = loadProgrammes();
const ID = PROGRAMME_ID.sanming;
const PERIOD = { from: `${YEAR.sanming}-01-01`, to: `${YEAR.sanming + 1}-01-01` };
const pack = programmes.get(ID);
const YAML = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
const candidate = parseCandidatePack(YAML.replace('deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准', 'deductible: { amount: "6000", per: year, cite: "004 三(六)2：起付标准'));

/** The same ledger read record by record: no projections to cache in. */
const uncached = (ledger: LedgerPort): SettlementSource => ({ listSettlements: (query) => ledger.listSettlements(query) });

/** Every settlement of the period as the projections give it, and each one's request, by settlement key. */
async function projected(source: SettlementSource): Promise<Map<string, { settlement: unknown; request: unknown }>> {
  const all = new Map<string, { settlement: unknown; request: unknown }>();
  for await (const day of projectedDays(source, PERIOD, { requests: true })) {
    const requests = day.cells.flatMap((cell, c) => Array.from({ length: cell.count }, (_, i) => day.request(c, i)));
    day.settlements.forEach((s, i) => {
      expect(projectionDay(s.settledAt)).toBe(day.day);
      all.set(`${s.hospitalId}:${s.settlementId}`, { settlement: s, request: requests[i] });
    });
  }
  return all;
}

/** The same from the records themselves: readRecord's figures and the upgraded request as today's schema reads it. */
async function fromRecords(ledger: LedgerPort): Promise<Map<string, { settlement: unknown; request: unknown }>> {
  const all = new Map<string, { settlement: unknown; request: unknown }>();
  for await (const record of ledger.listSettlements(PERIOD)) {
    const request = settlementRequest.safeParse(record.upgradedRequest());
    all.set(`${record.hospitalId}:${record.settlementId}`, { settlement: projectRecord(record), request: request.success ? request.data : null });
  }
  return all;
}

/** How many of the period's entries (every cell, every day) the ledger holds cached. */
async function cachedEntries(ledger: LedgerPort): Promise<number> {
  const { count } = await ledger.projections.cells();
  const entries = [];
  for (let day = PERIOD.from; day < PERIOD.to; day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) {
    for (let cell = 0; cell < count; cell++) entries.push({ cell, day });
  }
  return (await ledger.projections.read(entries, ['figures', 'requests'])).filter(([f, r]) => f !== null && r !== null).length;
}

let redis: TestRedis;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });

describe.each([
  ['memory', async (): Promise<LedgerPort> => new MemoryLedger()],
  ['redis', async (): Promise<LedgerPort> => new RedisLedger(new Redis(redis.url, { maxRetriesPerRequest: 1 }), { prefix: uniqueId('proj'), outboxShards: 4 })],
] as const)('day projections on the %s ledger', (_name, open) => {
  let ledger: LedgerPort;
  let settled: Settled[];
  let service: SettlementService;
  /** Reversed by the tests here, after the year was stored. */
  const reversedHere = new Set<Settled>();
  const standing = (s: Settled): boolean => !s.reversed && !reversedHere.has(s);
  beforeAll(async () => {
    if (!pack) throw new Error(ID);
    ledger = await open();
    const year = await syntheticYearInto(ledger, { seed: 31, programme: 'sanming', settlements: 500, persons: 150, reversalShare: 0.04 });
    settled = year.settled;
    service = year.service;
  }, 120_000);
  afterAll(async () => { await ledger?.close(); });

  it('holds for every settlement what readRecord gives and the request as today\'s schema reads it, also after an earlier day\'s settlement is reversed', async () => {
    expect(await cachedEntries(ledger)).toBe(0);
    const first = await projected(ledger);
    const { count } = await ledger.projections.cells();
    expect(await cachedEntries(ledger)).toBe(366 * count);
    expect(first).toEqual(await fromRecords(ledger));
    // Stored in ASCII (the Chinese item names as \u escapes: day-projection.ts `ascii`), read back as they were.
    const march = Array.from({ length: count }, (_, cell) => ({ cell, day: `${YEAR.sanming}-03-15` }));
    const texts = (await ledger.projections.read(march, ['figures', 'requests'])).flat();
    expect(texts.some((t) => t?.includes('\\u7532\\u7c7b'))).toBe(true); // 甲类
    expect(texts.every((t) => t !== null && [...t].every((c) => c.charCodeAt(0) < 0x80))).toBe(true);
    expect(first.size).toBe(settled.length);
    // A settlement of an early day, reversed now (the service's clock stands at the year's last discharge).
    const early = settled.find((s) => standing(s) && s.record.settledAt < `${YEAR.sanming}-03-01`);
    if (!early) throw new Error('no early standing settlement');
    await service.reverse(early.record.hospitalId, early.record.settlementId, {}, undefined);
    reversedHere.add(early);
    expect(await cachedEntries(ledger)).toBe(366 * count - 1);
    const again = await projected(ledger);
    expect(again).toEqual(await fromRecords(ledger));
    expect(again.get(`${early.record.hospitalId}:${early.record.settlementId}`)?.settlement).toMatchObject({ status: 'reversed' });
    expect(await cachedEntries(ledger)).toBe(366 * count);
    // By shards: the parts' settlements are the whole, each once.
    const parts = await Promise.all([0, 1, 2].map((index) => projected(shardSource(ledger, { index, count: 3 }))));
    expect(parts.reduce((n, p) => n + p.size, 0)).toBe(again.size);
    expect(new Map(parts.flatMap((p) => [...p]))).toEqual(again);
  }, 120_000);

  it('answers a report after a settlement and a reversal on days already cached as from the records, and the same on the next pass', async () => {
    if (!pack) throw new Error(ID);
    const report = (source: SettlementSource) => programmeReport({ pack, source, ledger, period: PERIOD, today: '2025-06-30' });
    const before = await report(ledger);
    expect(before).toEqual(await report(uncached(ledger)));
    // A new stay settled on a day already cached (at a stored settlement's instant), and another day's settlement reversed.
    const model = settled.find((s) => standing(s) && s.split.lines.some((l) => l.programme === ID && l.amount !== '0.00'));
    const victim = settled.find((s) => standing(s) && s !== model && s.split.policyVersions[ID] !== undefined && s.record.settledAt.slice(0, 10) !== model?.record.settledAt.slice(0, 10));
    if (!model || !victim) throw new Error('no settlement to copy or reverse');
    const at = new Date(Date.parse(model.record.settledAt));
    const desk = new SettlementService({ ledger, programmes, clock: () => at });
    await desk.settle({ ...model.body, settlementId: uniqueId('ZYNEW').replace(/[^0-9A-Za-z]/g, '') }, undefined);
    await desk.reverse(victim.record.hospitalId, victim.record.settlementId, {}, undefined);
    reversedHere.add(victim);
    const after = await report(ledger);
    expect(after).toEqual(await report(uncached(ledger)));
    expect(after.settlements).toBe(before.settlements);
    expect(after.reversals).toBe(before.reversals + 1);
    expect(after.records.read).toBe(before.records.read + 1);
    expect(after.paid.total).not.toBe(before.paid.total);
    expect(await report(ledger)).toEqual(after);
  }, 120_000);

  it('builds an entry of another format again, never reads it: the report\'s JSON the same from the records, from format-1 entries and from format-2 ones, in one process and by shards', async () => {
    if (!pack) throw new Error(ID);
    const { count } = await ledger.projections.cells();
    const report = (source: SettlementSource) => programmeReport({ pack, source, ledger, period: PERIOD, today: '2025-06-30' });
    const byShards = async () => JSON.stringify(await summariseReport({ pack, ledger, period: PERIOD, today: '2025-06-30' }, mergeReportParts(
      await Promise.all([0, 1].map((index) => reportPass({ pack, source: shardSource(ledger, { index, count: 2 }), ledger, period: PERIOD, today: '2025-06-30' }))),
    )));
    const expected = JSON.stringify(await report(uncached(ledger)));
    // Every entry cached in this format first.
    expect(JSON.stringify(await report(ledger))).toBe(expected);
    const days = (month: string, length: number) => Array.from({ length }, (_, d) => `${YEAR.sanming}-${month}-${String(d + 1).padStart(2, '0')}`);
    const entriesOf = (month: string, length: number) => days(month, length).flatMap((day) => Array.from({ length: count }, (_, cell) => ({ cell, day })));
    const overwrite = async (entries: CellDay[], values: (entry: CellDay) => { figures: string; requests: string }) => {
      const token = await ledger.projections.claim(entries);
      for (const entry of entries) expect(await ledger.projections.store(entry, token, values(entry))).toBe(true);
    };
    // March as the release before wrote it (format 1: one object per settlement), but with every amount doubled:
    // read as it stands, the report would differ.
    const { of } = await ledger.projections.cells();
    const formatOne = new Map<string, unknown[]>();
    for await (const record of ledger.listSettlements({ from: `${YEAR.sanming}-03-01`, to: `${YEAR.sanming}-04-01` })) {
      const settlement = projectRecord(record);
      const figures = settlement.figures && { ...settlement.figures, lines: settlement.figures.lines.map((l) => ({ ...l, amountFen: 2 * l.amountFen })) };
      const key = `${of(record.personId)}|${projectionDay(record.settledAt)}`;
      formatOne.set(key, [...(formatOne.get(key) ?? []), { ...settlement, figures }]);
    }
    expect(formatOne.size).toBeGreaterThan(10);
    await overwrite(entriesOf('03', 31), ({ cell, day }) => ({
      figures: JSON.stringify({ format: 1, settlements: formatOne.get(`${cell}|${day}`) ?? [] }),
      requests: JSON.stringify({ format: 1, requests: (formatOne.get(`${cell}|${day}`) ?? []).map(() => null) }),
    }));
    // April as a later release might write it, claiming the days were empty.
    await overwrite(entriesOf('04', 30), () => ({
      figures: JSON.stringify({ format: PROJECTION_FORMAT + 1, columns: {} }), requests: JSON.stringify({ format: PROJECTION_FORMAT + 1, requests: [] }),
    }));
    // May in this format but not whole: a run that ends past its column.
    const may = entriesOf('05', 31);
    const [mayFigures] = (await ledger.projections.read(may, ['figures'])).flatMap(([figures]) => (figures && /"lineEnd":\[[1-9]/.test(figures) ? [figures] : []));
    if (!mayFigures) throw new Error('no cached May entry with lines');
    const broken = mayFigures.replace('"lineEnd":[', '"lineEnd":[1000');
    await overwrite(may.slice(0, 1), () => ({ figures: broken, requests: JSON.stringify({ format: PROJECTION_FORMAT, requests: [] }) }));
    expect(JSON.stringify(await report(ledger))).toBe(expected);
    for (const [month, length] of [['03', 31], ['04', 30]] as const) {
      const [figures] = (await ledger.projections.read(entriesOf(month, length).slice(0, 1), ['figures']))[0] ?? [];
      expect(JSON.parse(figures ?? 'null')).toMatchObject({ format: PROJECTION_FORMAT });
    }
    // From format-2 entries (all cached now), in one process and by two shards.
    expect(await cachedEntries(ledger)).toBe(366 * count);
    expect(JSON.stringify(await report(ledger))).toBe(expected);
    expect(await byShards()).toBe(expected);
    // And by shards building their entries from the records.
    await overwrite(entriesOf('06', 30), () => ({ figures: JSON.stringify({ format: 1, settlements: [] }), requests: JSON.stringify({ format: 1, requests: [] }) }));
    expect(await byShards()).toBe(expected);
  }, 120_000);

  it('does not cache a build that a commit overtook: the claim is gone', async () => {
    const model = settled.find((s) => !s.reversed);
    if (!model) throw new Error('no settlement');
    const { of } = await ledger.projections.cells();
    const entry = { cell: of(model.record.personId), day: projectionDay(model.record.settledAt) };
    const token = await ledger.projections.claim([entry]);
    const at = new Date(Date.parse(model.record.settledAt));
    await new SettlementService({ ledger, programmes, clock: () => at }).settle({ ...model.body, settlementId: uniqueId('ZYRACE').replace(/[^0-9A-Za-z]/g, '') }, undefined);
    expect(await ledger.projections.store(entry, token, { figures: '{}', requests: '{}' })).toBe(false);
    expect(await ledger.projections.read([entry], ['figures'])).toEqual([[null]]);
  }, 60_000);

  it('gives the same what-if from cached entries as from the records', async () => {
    if (!pack) throw new Error(ID);
    const run = (source: SettlementSource) => whatIf({ programmes, candidate, source, ledger, period: PERIOD });
    const expected = await run(uncached(ledger));
    expect(expected.settlements.replayed).toBeGreaterThan(100);
    expect(await run(ledger)).toEqual(expected);
    // An entry whose requests are not the settlements its figures hold (a line lost, the head's count kept) is built
    // again, never replayed from the wrong requests.
    const { count } = await ledger.projections.cells();
    const april = Array.from({ length: 30 * count }, (_, i) => ({ cell: i % count, day: `${YEAR.sanming}-04-${String(1 + Math.floor(i / count)).padStart(2, '0')}` }));
    const texts = await ledger.projections.read(april, ['figures', 'requests']);
    const held = texts.findIndex(([, r]) => (r?.split('\n').length ?? 0) > 1);
    const entry = april[held];
    const [figures, requests] = texts[held] ?? [];
    if (!entry || !figures || !requests) throw new Error('no cached entry of April with a request');
    const token = await ledger.projections.claim([entry]);
    expect(await ledger.projections.store(entry, token, { figures, requests: requests.split('\n').slice(0, -1).join('\n') })).toBe(true);
    expect(await run(ledger)).toEqual(expected);
    expect((await ledger.projections.read([entry], ['requests']))[0]?.[0]).toBe(requests);
    expect(await run(ledger)).toEqual(expected);
    // Lines written in another form of the parsed request (a release whose request had other fields): built again too.
    const [head = '', ...lines] = requests.split('\n');
    const older = JSON.stringify({ ...z.record(z.string(), z.unknown()).parse(JSON.parse(head)), form: 'an-older-form' });
    const again = await ledger.projections.claim([entry]);
    expect(await ledger.projections.store(entry, again, { figures, requests: [older, ...lines.map((l) => l.replace(/"amount":(\d+)/g, '"amount":"$1"'))].join('\n') })).toBe(true);
    expect(await run(ledger)).toEqual(expected);
    expect((await ledger.projections.read([entry], ['requests']))[0]?.[0]).toBe(requests);
  }, 120_000);
});
