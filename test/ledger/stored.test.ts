/**
 * The tolerant reader of stored requests (gateway/ledger/stored.ts): what it keeps of a bill's items for
 * the slip and for the FHIR adapter's per-item classification, and that an unreadable optional part is
 * absent rather than an error — whatever today's strict request schema says of the same request.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../gateway/errors.js';
import { parseRecord } from '../../gateway/ledger/codec.js';
import type { RawSettlement } from '../../gateway/ledger/raw.js';
import { readStoredRequest, RECORD_VERSION, StoredSettlement, upgradeStoredRequest } from '../../gateway/ledger/stored.js';
import { settlementRequest } from '../../schemas/settlement.js';

interface RecordFixture { recordVersion: number; record: Record<string, string> }
const fixture = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/records/${file}`, import.meta.url), 'utf8')) as RecordFixture;

const stay = {
  settlementId: 'S1',
  hospital: { id: 'H99000000001', region: '990100', level: 3 },
  patient: { id: '990100198001011234', insuredRegion: '990100', scheme: 'resident' },
  encounter: { kind: 'inpatient', admittedOn: '2024-03-01', dischargedOn: '2024-03-10' },
};
const itemsOf = (items: unknown[]) => readStoredRequest(JSON.stringify({ ...stay, items }), RECORD_VERSION).items;

describe('readStoredRequest: items', () => {
  it('keeps what the slip read before (name, amount in fen, class) for every stored version', () => {
    expect(readStoredRequest(fixture('v1.json').record.requestJson!, 1).items.map(({ name, amount, class: c }) => ({ name, amount, class: c }))).toEqual([
      { name: '综合费用', amount: 5_000_000, class: 'A' },
      { name: '乙类药', amount: 200_000, class: 'B' },
    ]);
    expect(readStoredRequest(fixture('v2.json').record.requestJson!, 2).items.map((i) => [i.name, i.amount, i.class])).toEqual([['综合费用', 5_000_000, 'A'], ['乙类药', 200_000, 'B']]);
  });

  it('keeps code, overLimit (fen) and selfPayRatio (text) as the live schema reads them, from strings and numbers alike', () => {
    const items = [
      { code: 'BED1', name: '床位费', amount: '300.00', class: 'A', overLimit: '45.50' },
      { code: 'XB1', name: '乙类药', amount: 120.5, class: 'B', selfPayRatio: 0.1, overLimit: 3 },
      { code: 'XB2', name: '乙类耗材', amount: '99.99', class: 'B', selfPayRatio: '0.123456789012345678' },
    ];
    const live = settlementRequest.parse({ ...stay, items }).items;
    expect(itemsOf(items)).toEqual(live.map(({ code, name, amount, class: c, overLimit, selfPayRatio }) => ({ code, name, amount, class: c, overLimit, selfPayRatio })));
    expect(itemsOf(items).map((i) => [i.overLimit, i.selfPayRatio])).toEqual([[4550, undefined], [300, '0.1'], [undefined, '0.123456789012345678']]);
  });

  it('reads an unreadable code, overLimit or selfPayRatio as absent, never as an error; keeps the rest of the item', () => {
    const items = [
      { code: 17, name: '甲类', amount: '10.00', class: 'A', overLimit: '1.001' },
      { code: 'XB', name: '乙类', amount: '20.00', class: 'B', selfPayRatio: '1.5', overLimit: -2 },
      { code: 'XB3', name: '乙类', amount: '20.00', class: 'B', selfPayRatio: '1e-1', overLimit: null, addedLater: { any: 'thing' } },
    ];
    expect(settlementRequest.safeParse({ ...stay, items }).success).toBe(false);
    const read = itemsOf(items);
    expect(read.map((i) => [i.code, i.name, i.amount, i.class, i.overLimit, i.selfPayRatio])).toEqual([
      [undefined, '甲类', 1000, 'A', undefined, undefined],
      ['XB', '乙类', 2000, 'B', undefined, undefined],
      ['XB3', '乙类', 2000, 'B', undefined, undefined],
    ]);
    expect(read[2]).not.toHaveProperty('addedLater');
  });

  it('keeps a selfPayRatio on a class A item (version 1 accepted it; today\'s schema refuses it)', () => {
    const v1 = fixture('v1.json').record.requestJson!;
    expect(settlementRequest.safeParse(JSON.parse(v1)).success).toBe(false);
    expect(readStoredRequest(v1, 1).items.map((i) => [i.code, i.class, i.selfPayRatio, i.overLimit])).toEqual([['A1', 'A', '0.05', undefined], ['B1', 'B', '0.10', undefined]]);
  });
});

describe('upgradeStoredRequest', () => {
  it('drops a selfPayRatio a version 1 or 2 item carried outside class B (the engine never read it), and nothing else', () => {
    const stored = { settlementId: 'S1', items: [{ code: 'A1', amount: '10.00', class: 'A', selfPayRatio: '0.1' }, { code: 'B1', amount: '10.00', class: 'B', selfPayRatio: '0.1' }, { code: 'C1', amount: '1.00', class: 'C', selfPayRatio: '0.2' }] };
    for (const version of [1, 2]) {
      expect(upgradeStoredRequest(stored, version)).toEqual({ settlementId: 'S1', items: [{ code: 'A1', amount: '10.00', class: 'A' }, { code: 'B1', amount: '10.00', class: 'B', selfPayRatio: '0.1' }, { code: 'C1', amount: '1.00', class: 'C' }] });
    }
    expect(upgradeStoredRequest('not a request', 1)).toBe('not a request');
    expect(() => upgradeStoredRequest(stored, RECORD_VERSION + 1)).toThrow(/no upgrade/);
  });
});

describe('StoredSettlement: the typed record every reader outside the ledger gets', () => {
  const raw = (file: string): RawSettlement => {
    const parsed = parseRecord(fixture(file).record);
    if (!parsed) throw new Error(file);
    return parsed;
  };

  it('reads the split and the request of every stored version by that version\'s readers, and keeps the first answer byte for byte', () => {
    for (const [file, version] of [['v1.json', 1], ['v2.json', 2]] as const) {
      const stored = new StoredSettlement(raw(file));
      expect(stored.recordVersion).toBe(version);
      expect(stored.firstAnswer).toBe(fixture(file).record.splitJson);
      expect(stored.split).toEqual(JSON.parse(fixture(file).record.splitJson!));
      expect(stored.request.patient.name).toBe('张三丰');
      expect(stored.sentRequest()).toEqual(JSON.parse(fixture(file).record.requestJson!));
    }
  });

  it('answers a reversed record\'s split with its status, time and note; the first answer stays as first written', () => {
    const stored = new StoredSettlement({ ...raw('v2.json'), status: 'reversed', reversedAt: '2024-03-11T10:00:00+08:00', reversal: { reason: '费用录入有误' } });
    expect(stored.split).toMatchObject({ status: 'reversed', reversedAt: '2024-03-11T10:00:00+08:00', reversal: { reason: '费用录入有误' }, total: '52000.00' });
    expect(JSON.parse(stored.firstAnswer)).toMatchObject({ status: 'settled' });
  });

  it('decodes the split and the request only when read: an unreadable one fails there, naming the field, not when the record is read', () => {
    const broken = new StoredSettlement({ ...raw('v2.json'), splitJson: '{"total":12}', requestJson: '{"settlementId":"S1"}' });
    expect(broken.firstAnswer).toBe('{"total":12}');
    expect(() => broken.split).toThrow(InvariantViolation);
    expect(() => broken.split).toThrow(/stored split is unreadable: .*total: invalid_type/);
    expect(() => broken.request).toThrow(/stored request is unreadable/);
  });

  it('refuses a version this release has no reader for', () => {
    const future = new StoredSettlement({ ...raw('v2.json'), recordVersion: RECORD_VERSION + 1 });
    expect(() => future.split).toThrow(/no split reader/);
    expect(() => future.request).toThrow(/no reader/);
  });

  it('brings the request to today\'s shape for the engine (what-if, 2305), by its version', () => {
    const upgraded = settlementRequest.safeParse(new StoredSettlement(raw('v1.json')).upgradedRequest());
    expect(upgraded.success).toBe(true);
    expect(upgraded.data?.items.map((i) => [i.code, i.selfPayRatio])).toEqual([['A1', undefined], ['B1', '0.10']]);
  });
});
