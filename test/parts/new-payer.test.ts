/**
 * Issue 21: a new payer adapter is its folder and one line in gateway/main.ts. A payer the repository does not
 * have (test/parts/fake-payer.ts: its variables, its audience with its topic, AsyncAPI channel and second-payout
 * records, its ACL grants) is composed with the gateway's parts by composeParts — the function main.ts composes
 * PARTS with — and appears wherever the core lists what the parts bring: the topics created and checked at
 * start-up, the AsyncAPI document, the ACL set, the relay's records and a second payout's notice. No core file
 * knows it. And the core's stream and operations name no adapter: no import of one, no adapter's topic.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { loadConfig } from '../../gateway/config.js';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import { COMPOSED, PARTS } from '../../gateway/main.js';
import { commitSecondPayout, storedPayout } from '../../gateway/operations/second-payout-commit.js';
import { composeParts } from '../../gateway/parts.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { aclBindings, kafkaAclsCommands, readAclPlan } from '../../gateway/stream/kafka-acls.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { topics } from '../../gateway/stream/topics.js';
import { asyncApiOf, eventMapping, topicSpecsOf } from '../../gateway/stream/wiring.js';
import type { SecondPayoutPlan } from '../../schemas/second-payout.js';
import { PERSONS, waitFor, weihaiBody, weihaiService } from '../stream/support.js';
import { acmePart, acmeRemittance } from './fake-payer.js';

const ROOT = join(import.meta.dirname, '../..');
const WITH_ACME = composeParts([...PARTS, acmePart]);
/** ACME pays the 威海 medical programme's lines, and a 南通 programme's second payout. */
const config = loadConfig({ KAFKA_TOPIC_PREFIX: 'prod.', ACME_PROGRAMMES: 'weihai-2020-medical,nantong-acme' }, WITH_ACME.variables);
const programmes = loadProgrammes();
const audiences = WITH_ACME.audiences({ config, programmes });
const t = topics('prod.');
const aclFile = readFileSync(join(ROOT, 'deploy/kafka/acls.yaml'), 'utf8');
const ACME_READERS = '\nacmeReaders:\n  - { principal: "User:acme-reader", group: acme-reader }\n';

describe('a new payer, composed as main.ts composes its parts', () => {
  it('its variables are read and checked with the core\'s', () => {
    expect(WITH_ACME.configurationVariables).toEqual([...COMPOSED.configurationVariables, 'ACME_PROGRAMMES']);
  });

  it('its topic and dead letters are created and checked at start-up beside every other', () => {
    const specs = topicSpecsOf(config, audiences);
    expect(specs.filter((s) => s.name.startsWith('prod.acme.')).map((s) => [s.name, s.role])).toEqual([['prod.acme.remittances', 'working'], ['prod.acme.remittances.dlq', 'dead-letters']]);
    const without = topicSpecsOf(config, COMPOSED.audiences({ config, programmes }));
    expect(specs.filter((s) => !s.name.startsWith('prod.acme.'))).toEqual(without);
  });

  it('its channel, message and operation are in the AsyncAPI document, which stays valid', async () => {
    const doc = asyncApiOf(config, audiences, 'test');
    expect(doc.channels.acmeRemittances).toMatchObject({ address: 'prod.acme.remittances', messages: { AcmeRemittance: { $ref: '#/components/messages/AcmeRemittance' } }, bindings: { kafka: { partitions: config.KAFKA_TOPIC_PARTITIONS } } });
    expect(doc.channels.acmeRemittancesDlq?.messages).toEqual({ DeadLetter: { $ref: '#/components/messages/DeadLetter' } });
    expect(doc.operations.publishAcmeRemittances).toMatchObject({ action: 'send', channel: { $ref: '#/channels/acmeRemittances' } });
    expect(doc.components.messages.AcmeRemittance?.payload.schema).toMatchObject({ properties: { amount: { type: 'string' } } });
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
  });

  it('its grants are in the ACL set: the gateway owns its topics, its readers read them; its section is its own', () => {
    const lines = kafkaAclsCommands(aclBindings(readAclPlan(aclFile + ACME_READERS, WITH_ACME.acls), t));
    expect(lines).toContain("kafka-acls.sh --bootstrap-server <bootstrap> --command-config admin.properties --add --allow-principal 'User:settlement-gateway' --operation Write --topic 'prod.acme.' --resource-pattern-type prefixed");
    expect(lines.filter((l) => l.includes("'User:acme-reader'"))).toEqual([
      "kafka-acls.sh --bootstrap-server <bootstrap> --command-config admin.properties --add --allow-principal 'User:acme-reader' --operation Read --topic 'prod.acme.remittances' --resource-pattern-type literal",
      "kafka-acls.sh --bootstrap-server <bootstrap> --command-config admin.properties --add --allow-principal 'User:acme-reader' --operation Describe --topic 'prod.acme.remittances' --resource-pattern-type literal",
      "kafka-acls.sh --bootstrap-server <bootstrap> --command-config admin.properties --add --allow-principal 'User:acme-reader' --operation Read --group 'acme-reader' --resource-pattern-type prefixed",
    ]);
    // Without the part, its section is a key the file may not have; a bad entry is refused by its path.
    expect(() => readAclPlan(aclFile + ACME_READERS, COMPOSED.acls)).toThrow(ZodError);
    expect(() => readAclPlan(`${aclFile}\nacmeReaders:\n  - { principal: "User:*", group: g }\n`, WITH_ACME.acls)).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: ['acmeReaders', 0, 'principal'] })] }));
  });

  it('the relay publishes its records of each committed settlement beside the others\'', async () => {
    const { ledger, service, topics: prefixed } = await weihaiService();
    const bus = new MemoryBus();
    const relay = new OutboxRelay({ ledger, bus, mapping: eventMapping({ ...config, KAFKA_TOPIC_PREFIX: prefixed.prefix }, audiences), readBlockMs: 20 });
    await service.settle(weihaiBody(PERSONS[0], 'ACME1'), undefined);
    relay.start();
    try {
      await waitFor(() => bus.messages(`${prefixed.prefix}acme.remittances`).length === 1, 5_000, 'the remittance');
    } finally { await relay.stop(); }
    const remittance = acmeRemittance.parse(JSON.parse(bus.messages(`${prefixed.prefix}acme.remittances`)[0]!.value!.toString('utf8')));
    expect(remittance).toMatchObject({ kind: 'settled', personId: PERSONS[0], programme: 'weihai-2020-medical' });
    expect(bus.messages(`${prefixed.prefix}settlement.events`)).toHaveLength(1);
    expect(bus.messages(`${prefixed.prefix}nhsa.settlements`)).toHaveLength(1);
  });

  it('a second payout of a programme it pays is told through it, once; one nobody pays is refused before the commit', async () => {
    const nantong = programmes.get('nantong-2022-dibubao');
    if (!nantong) throw new Error('no nantong pack');
    const pack = { ...nantong, id: 'nantong-acme', payer: { name: 'ACME 互助', hospital: false } };
    const plan: SecondPayoutPlan = {
      programme: { id: pack.id, name: pack.name, version: pack.version }, year: 2022, method: 'proRata', dueBy: '2023-03-31', cite: 'test',
      enrolled: { persons: 1, source: 'configured', cite: 'test' }, premiumIncome: '120.00', serviceFeeShare: '0.08', premiumNetOfFee: '110.40', paid: '0.00', settlements: 1,
      surplus: '110.40', eligiblePersons: 1, eligibleSelfPay: '50.00', distributed: '50.00', undistributed: '60.40',
      lossRatio: { before: '0.0000', after: '0.4167', target: null, meetsTargetAfter: null },
      payments: [{ personId: PERSONS[1], coveredStays: 1, eligibleSelfPay: '50.00', cap: '50.00', amount: '50.00', capped: true, explanation: ['二次赔付'] }],
    };
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const clock = () => new Date('2023-02-01T02:00:00Z');
    const nobody = { store, bus, mapping: eventMapping(config, COMPOSED.audiences({ config, programmes })), clock };
    await expect(commitSecondPayout(nobody, pack, plan)).rejects.toThrow('无法通知付款方');
    expect(await storedPayout(store, pack.id, 2022)).toBeNull();

    const deps = { ...nobody, mapping: eventMapping(config, audiences) };
    expect(await commitSecondPayout(deps, pack, plan)).toMatchObject({ replay: false, published: 1 });
    expect(await commitSecondPayout(deps, pack, plan)).toMatchObject({ replay: true, published: 0 });
    const told = bus.messages('prod.acme.remittances');
    expect(told.map((m) => acmeRemittance.parse(JSON.parse(m.value!.toString('utf8'))))).toEqual([{ id: `acme_nantong-acme_2022_${PERSONS[1]}`, kind: 'payout', personId: PERSONS[1], programme: 'nantong-acme', amount: '50.00' }]);
    expect(told[0]?.headers).toMatchObject({ ce_type: 'acme.remittance.payout', ce_subject: 'nantong-acme/2022' });
  });
});

describe('the core names no adapter', () => {
  const files = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));

  it('no core file but gateway/main.ts imports an adapter', () => {
    const importing = files('gateway').filter((f) => /from '(\.\.\/)+adapters\//.test(readFileSync(f, 'utf8'))).map((f) => f.slice(ROOT.length + 1));
    expect(importing).toEqual(['gateway/main.ts']);
  });

  it('the stream module names no adapter; the second payout no adapter\'s topic', () => {
    const naming = (paths: string[], words: RegExp) => paths.filter((f) => words.test(readFileSync(f, 'utf8'))).map((f) => f.slice(ROOT.length + 1));
    expect(naming(files('gateway/stream'), /nhsa|insurer|医保|商保/i)).toEqual([]);
    expect(naming(files('gateway/operations').filter((f) => f.includes('second-payout')), /nhsa|insurer\.|insurerClaims/i)).toEqual([]);
  });
});
