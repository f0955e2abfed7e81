/**
 * The programmes README's guide is true: its example plan (60 % of out-of-catalogue cost above 10 000 a year) is
 * read from the README itself and settles its worked bill to the figures the guide states.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { line, Person, programmes, roster } from '../support/engine.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { parseYaml } from '../../gateway/programmes/load.js';
import { pack } from '../../schemas/pack.js';
import { request } from '../support/requests.js';
import type { SettlementRequestInput } from '../../schemas/settlement.js';

const README = readFileSync(new URL('../../gateway/programmes/README.md', import.meta.url), 'utf8');
const section = README.slice(README.indexOf('### 2. A plan that pays 60 %'));
const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const example = parseYaml(yaml, pack, 'README example', 'programme pack');
const set = new ProgrammeSet([...programmes.packs, example], programmes.catalogues);
const PERSON = '379901199001011234';

/** The guide's worked bill: compliant 68500.00, 乙类先行自付 1000.00, 超限价 500.00, 丙 8000.00. */
const BILL: SettlementRequestInput['items'] = [
  { code: 'A1', name: '甲类药', amount: '60000.00', class: 'A', overLimit: '500.00' },
  { code: 'B1', name: '乙类药', amount: '10000.00', class: 'B', selfPayRatio: '0.10' },
  { code: 'C1', name: '丙类耗材', amount: '8000.00', class: 'C' },
];
const stay = (settlementId: string, items: SettlementRequestInput['items'], upstream: SettlementRequestInput['upstream']) => request({
  settlementId, items, upstream,
  hospital: { id: 'H37990100001', region: '379901', level: 3 },
  patient: { id: PERSON, insuredRegion: '379901' },
  encounter: { admittedOn: '2025-03-01', dischargedOn: '2025-03-10' },
});

describe('the programmes README guide', () => {
  it('its example settles the worked bill as the guide says: 8500.00 into the deductible, then 6300.00', () => {
    expect(example.id).toBe('example-2025-huiminbao');
    const person = new Person({ 'example-2025-huiminbao': roster([{ personId: PERSON, from: '2025-01-01', to: '2025-12-31' }]) }, set);
    const first = person.settle(stay('ZY1', BILL, { basic: '35000.00', majorIllness: '3500.00' }));
    expect(first.split.compliant).toBe('68500.00');
    expect(line(first.split, 'example-2025-huiminbao').amount).toBe('0.00');
    expect(person.accumulators['example-2025-huiminbao|2025|r2.deductibleUsed']).toBe(850_000);
    const second = person.settle(stay('ZY2', [{ code: 'C2', name: '丙类', amount: '12000.00', class: 'C' }], {}));
    expect(line(second.split, 'example-2025-huiminbao').amount).toBe('6300.00');
  });
});
