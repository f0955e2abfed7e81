/** The outbox event's data, built from the record it refers to (gateway/ledger/event-data.ts). */
import { describe, expect, it } from 'vitest';
import { eventData } from '../../gateway/ledger/event-data.js';
import { audienceRecords, UnmappableEvent } from '../../gateway/stream/event-records.js';
import { topics } from '../../gateway/stream/topics.js';
import type { RawSettlement } from '../../gateway/ledger/raw.js';
import { record, settledEvent } from './fixtures.js';

describe('eventData', () => {
  const { split, ...rest } = record({ personId: 'P1', settlementId: 'S1', deltas: { 'p|2024|a': 150_000, 'p|2024|zero': 0 } });
  // As stored before records were versioned: no recordVersion (1).
  const settled: RawSettlement = { ...rest, status: 'settled', splitJson: JSON.stringify(split) };

  it('a settlement: the stored split and request texts as they are, the deltas, the record version', () => {
    expect(eventData('settlement.settled', settled)).toBe(
      `{"split":${settled.splitJson},"deltas":{"p|2024|a":150000,"p|2024|zero":0},"request":${settled.requestJson},"recordVersion":1}`,
    );
  });

  it('a reversal: the split with its reversed status, time and note, and the deltas negated (a zero stays 0)', () => {
    const reversed = { ...settled, status: 'reversed' as const, reversedAt: '2024-03-11T10:00:00+08:00', reversal: { reason: '费用录入有误', operator: '李四' }, recordVersion: 2 };
    const data = JSON.parse(eventData('settlement.reversed', reversed)) as Record<string, unknown>;
    expect(data).toEqual({
      split: { ...JSON.parse(settled.splitJson), status: 'reversed', reversedAt: '2024-03-11T10:00:00+08:00', reversal: { reason: '费用录入有误', operator: '李四' } },
      deltas: { 'p|2024|a': -150_000, 'p|2024|zero': 0 },
      request: JSON.parse(settled.requestJson),
      recordVersion: 2,
    });
  });

  it('refuses to build a reversal from a record that is not reversed', () => {
    expect(() => eventData('settlement.reversed', settled)).toThrow(/not reversed/);
  });

  it('an entry whose record is gone (empty data) is unmappable, with the reason', () => {
    const mapping = { topics: topics(''), source: 'urn:test', audiences: [] };
    expect(() => audienceRecords({ ...settledEvent(record({ personId: 'P1', settlementId: 'S1' })), data: '' }, mapping)).toThrow(UnmappableEvent);
    expect(() => audienceRecords({ ...settledEvent(record({ personId: 'P1', settlementId: 'S1' })), data: '' }, mapping)).toThrow(/S1 it refers to is missing/);
  });
});
