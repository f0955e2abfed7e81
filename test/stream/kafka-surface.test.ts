/**
 * What the gateway declares on Kafka for one configuration — the topics it creates and checks at start-up,
 * the AsyncAPI document it serves, the ACL set `npm run kafka:acls` prints for deploy/kafka/acls.yaml — held to
 * the files beside this test (kafka-surface/). The configuration: prefix "prod.", the intake scoped to two
 * hospitals, the built-in packs (seven insurers), 医保 delivery on, and the published ACL file (two insurers
 * reading their own claims). The files were written before the parts contributed their own topics, AsyncAPI
 * and ACL grants (issue 21), so this test proves the move changed none of it. Order is not part of it: a topic
 * list, a JSON object's keys and a set of ACLs mean the same in any order, so each is compared sorted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { COMPOSED } from '../../gateway/main.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { aclBindings, kafkaAclsCommands, readAclPlan } from '../../gateway/stream/kafka-acls.js';
import { topics } from '../../gateway/stream/topics.js';
import { asyncApiOf, topicSpecsOf } from '../../gateway/stream/wiring.js';

const config = loadConfig({
  KAFKA_TOPIC_PREFIX: 'prod.', KAFKA_INTAKE_HOSPITALS: 'H37100200001,H99000000001', KAFKA_TOPIC_PARTITIONS: '6', KAFKA_REPLICATION_FACTOR: '3',
  NHSA_PLATFORM_URL: 'https://nhsa.example/api', NHSA_DELIVERY_GROUP: 'nhsa-delivery',
}, COMPOSED.variables);
/** The parts' audiences as main.ts builds them for the relay, the topics at start-up and /asyncapi.json. */
const audiences = COMPOSED.audiences({ config, programmes: loadProgrammes() });
const aclFile = readFileSync(join(import.meta.dirname, '../../deploy/kafka/acls.yaml'), 'utf8');

/** A JSON value with every object's keys in order: the same document whatever order it was built in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, canonical(v)]));
  return value;
}
const file = (name: string) => join(import.meta.dirname, 'kafka-surface', name);
const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe('the gateway\'s Kafka surface for one configuration', () => {
  it('the topics created and checked at start-up: names, roles, partitions, replication, settings', async () => {
    const specs = topicSpecsOf(config, audiences).sort((a, b) => (a.name < b.name ? -1 : 1));
    await expect(text(canonical(specs))).toMatchFileSnapshot(file('topic-specs.json'));
  });

  it('the AsyncAPI document: channels, operations, messages', async () => {
    await expect(text(canonical(asyncApiOf(config, audiences, '0.1.0')))).toMatchFileSnapshot(file('asyncapi.json'));
  });

  it('the ACL set of deploy/kafka/acls.yaml, as kafka-acls.sh commands', async () => {
    const lines = kafkaAclsCommands(aclBindings(readAclPlan(aclFile, COMPOSED.acls), topics(config.KAFKA_TOPIC_PREFIX)), 'kafka-0:9093').sort();
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot(file('acls.txt'));
  });
});
