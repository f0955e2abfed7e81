/**
 * The published ACL set as data (gateway/stream/kafka-acls.ts over deploy/kafka/acls.yaml): what each principal is
 * granted, for the configuration's topic prefix, and the kafka-acls.sh commands an operator reviews. That the
 * brokers enforce exactly this (grants work, the rest is refused): test/stream/kafka-secured.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { aclBindings, kafkaAclsCommands, readAclPlan, type AclBinding } from '../../gateway/stream/kafka-acls.js';
import { topics } from '../../gateway/stream/topics.js';
import { COMPOSED } from '../../gateway/main.js';

const plan = readAclPlan(readFileSync(join(import.meta.dirname, '../../deploy/kafka/acls.yaml'), 'utf8'), COMPOSED.acls);
const of = (bindings: readonly AclBinding[], principal: string) => bindings.filter((b) => b.principal === principal).map((b) => `${b.operation} ${b.resourceType} ${b.patternType} ${b.resourceName}`);

describe('the published ACL set', () => {
  const bindings = aclBindings(plan, topics('prod.'));

  it('a HIS: write its hospitals\' discharges, read their answers and dead letters — literal names only — and its own groups', () => {
    expect(of(bindings, 'User:his-weihai-group')).toEqual([
      'WRITE TOPIC LITERAL prod.his.discharges.H37100200001', 'DESCRIBE TOPIC LITERAL prod.his.discharges.H37100200001',
      'READ TOPIC LITERAL prod.his.settlements.H37100200001', 'DESCRIBE TOPIC LITERAL prod.his.settlements.H37100200001',
      'READ TOPIC LITERAL prod.his.discharges.H37100200001.dlq', 'DESCRIBE TOPIC LITERAL prod.his.discharges.H37100200001.dlq',
      'WRITE TOPIC LITERAL prod.his.discharges.H37100200002', 'DESCRIBE TOPIC LITERAL prod.his.discharges.H37100200002',
      'READ TOPIC LITERAL prod.his.settlements.H37100200002', 'DESCRIBE TOPIC LITERAL prod.his.settlements.H37100200002',
      'READ TOPIC LITERAL prod.his.discharges.H37100200002.dlq', 'DESCRIBE TOPIC LITERAL prod.his.discharges.H37100200002.dlq',
      'READ GROUP PREFIXED his-weihai-group',
    ]);
  });

  it('an insurer: read its own claims topic and its groups, nothing else', () => {
    expect(of(bindings, 'User:insurer-sanming-puhui')).toEqual(['READ TOPIC LITERAL prod.insurer.sanming-puhui.claims', 'DESCRIBE TOPIC LITERAL prod.insurer.sanming-puhui.claims', 'READ GROUP PREFIXED insurer-sanming-puhui']);
  });

  it('the gateway: its topics under the prefix, its groups, its transactional ids, idempotent writes; no ALTER, no DELETE', () => {
    const gateway = of(bindings, 'User:settlement-gateway');
    for (const root of ['prod.settlement.events', 'prod.nhsa.settlements', 'prod.his.', 'prod.insurer.']) {
      for (const op of ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS']) expect(gateway).toContain(`${op} TOPIC PREFIXED ${root}`);
    }
    expect(gateway).toContain('READ GROUP PREFIXED settlement-gateway-intake');
    expect(gateway).toContain('WRITE TRANSACTIONAL_ID PREFIXED settlement-relay-');
    expect(gateway).toContain('IDEMPOTENT_WRITE CLUSTER LITERAL kafka-cluster');
    expect(bindings.filter((b) => /ALTER|DELETE|ALL/.test(b.operation))).toEqual([]);
  });

  it('as kafka-acls.sh commands for review', () => {
    const lines = kafkaAclsCommands(bindings, 'kafka-0:9093');
    expect(lines).toHaveLength(bindings.length);
    expect(lines).toContain("kafka-acls.sh --bootstrap-server kafka-0:9093 --command-config admin.properties --add --allow-principal 'User:his-H99000000001' --operation Write --topic 'prod.his.discharges.H99000000001' --resource-pattern-type literal");
    expect(lines).toContain("kafka-acls.sh --bootstrap-server kafka-0:9093 --command-config admin.properties --add --allow-principal 'User:settlement-gateway' --operation DescribeConfigs --topic 'prod.his.' --resource-pattern-type prefixed");
    expect(lines).toContain("kafka-acls.sh --bootstrap-server kafka-0:9093 --command-config admin.properties --add --allow-principal 'User:settlement-gateway' --operation IdempotentWrite --cluster");
  });

  it('a file that grants by wildcard or names a bad hospital is refused, naming the field', () => {
    const bad = 'gateway: { principal: "User:*", clientIds: [gw], groups: [g] }\nhospitals: [{ principal: "User:his", hospitalIds: ["H1.dlq"], group: his }]\n';
    const error = (() => { try { readAclPlan(bad, COMPOSED.acls); return null; } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(ZodError);
    expect(error).toMatchObject({ issues: [expect.objectContaining({ path: ['gateway', 'principal'] }), expect.objectContaining({ path: ['hospitals', 0, 'hospitalIds', 0] })] });
  });
});
