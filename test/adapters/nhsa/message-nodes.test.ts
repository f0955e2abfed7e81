/** nhsa.settlements: the native fields as they were, plus the 2304-shaped nodes in the platform's number form. */
import { describe, expect, it } from 'vitest';
import { nhsaSettlement } from '../../../schemas/messages.js';
import { audienceRecords, UnmappableEvent, type EventMapping } from '../../../gateway/stream/event-records.js';
import { topics } from '../../../gateway/stream/topics.js';
import type { OutboxEvent } from '../../../gateway/ledger/port.js';
import { nhsaAudience, nhsaMessageNodes, type MessageNodes } from '../../../adapters/nhsa/audience.js';
import { DEFAULT_FUND_PAY_TYPES } from '../../../adapters/nhsa/fund-pay-types.js';
import { Person, programmes } from '../../support/engine.js';
import { request, requestBody } from '../../support/requests.js';

const body = requestBody({ patient: { categories: ['dibao'] }, items: [{ code: 'A1', name: '综合费用', amount: '50000.00', class: 'A' }] });
const { split } = new Person().preview(request({ patient: { categories: ['dibao'] }, items: [{ code: 'A1', name: '综合费用', amount: '50000.00', class: 'A' }] }));
const settled = { ...split, gatewayId: 'stl_01TEST', status: 'settled' as const, settledAt: '2024-03-10T09:12:44+08:00' };
const event: OutboxEvent = {
  id: 'evt_01TEST', type: 'settlement.settled', personId: split.personId, hospitalId: split.hospitalId, settlementId: split.settlementId,
  time: '2024-03-10T09:12:44+08:00', data: JSON.stringify({ split: settled, deltas: {}, request: body }),
};
const insurerCodeOf = (id: string) => programmes.get(id)?.payer.insurerCode;
const mappingWith = (nodes?: MessageNodes): EventMapping => ({ topics: topics(''), source: 'urn:test', audiences: [nhsaAudience(nodes)] });
const nhsaValue = (m: EventMapping) => audienceRecords(event, m).find((r) => r.topic === 'nhsa.settlements')!.value;

describe('the nhsa.settlements message', () => {
  it('keeps the native fields as they were and adds setlinfo, setldetail and ext with numbers', () => {
    const plain = nhsaValue(mappingWith());
    const value = nhsaValue(mappingWith(nhsaMessageNodes({ fundPayTypes: DEFAULT_FUND_PAY_TYPES, insurerCodeOf })));
    expect(value.startsWith(plain.slice(0, -1))).toBe(true);
    expect(value).toContain('"total":"50000.00"');
    expect(value).toContain('"medfee_sumamt":50000.00');
    const message = nhsaSettlement.parse(JSON.parse(value));
    expect(message.setlinfo).toMatchObject({ setl_id: 'stl_01TEST', mdtrt_id: split.settlementId, hifp_pay: 34650, setl_time: '2024-03-10 09:12:44' });
    expect(message.setldetail?.map((d) => d.fund_pay_type)).toEqual(['390100', '390200', '610100']);
  });

  it('dead-letters rather than stalls when the nodes cannot be built', () => {
    expect(() => nhsaValue(mappingWith(() => { throw new Error('invariant violated: x'); }))).toThrow(UnmappableEvent);
  });
});
