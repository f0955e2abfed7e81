/**
 * The published ACL set of a secured Kafka cluster (deploy/kafka/acls.yaml) as data: who may do what on
 * which topics, groups and transactional ids — the gateway, each hospital's HIS, each insurer. Read by
 * zod, turned into ACL bindings for this configuration's topic prefix, and applied through Kafka's Admin
 * API (`npm run kafka:acls`) or printed as kafka-acls.sh commands for an operator who applies them by hand.
 * Every binding is an ALLOW: on a cluster running the StandardAuthorizer without
 * allow.everyone.if.no.acl.found, whatever the file does not grant is refused by the brokers.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Topics } from './topics.js';

// The ACL enums are not among the names Node's ESM loader finds in kafkajs's CommonJS exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const principal = z.string().regex(/^User:[^\s;*]+$/, 'a Kafka principal, User:<name> (a SCRAM user, or User:CN=… of a client certificate)');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-"').max(200);
const hospitalId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a hospital id as KAFKA_INTAKE_HOSPITALS gives it');

const aclPlanSchema = z.object({
  gateway: z.object({
    principal,
    /** KAFKA_CLIENT_ID of every gateway process (API and relay): their transactional ids and the replay's groups start with it. */
    clientIds: z.array(name).min(1),
    /** Consumer-group prefixes the gateway reads under: KAFKA_INTAKE_GROUP (and its .<hospitalId> groups), NHSA_DELIVERY_GROUP, insurer-delivery-. */
    groups: z.array(name).min(1),
  }).strict(),
  /** Each HIS: writes its hospitals' discharges, reads their answers and dead letters, nothing else. */
  hospitals: z.array(z.object({ principal, hospitalIds: z.array(hospitalId).min(1), group: name }).strict()).default([]),
  /** Each insurer reading its own claims topic directly: that topic, nothing else. */
  insurers: z.array(z.object({ principal, insurerCode: name, group: name }).strict()).default([]),
}).strict();
export type AclPlan = z.infer<typeof aclPlanSchema>;

type ResourceType = 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER';
type Operation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'IDEMPOTENT_WRITE';

/** One ALLOW of the set, in Kafka's words. */
export interface AclBinding { principal: string; resourceType: ResourceType; resourceName: string; patternType: 'LITERAL' | 'PREFIXED'; operation: Operation }

/** The plan of a YAML (or JSON) text; a ZodError names every bad field. */
export function readAclPlan(text: string): AclPlan {
  return aclPlanSchema.parse(parseYaml(text));
}

/**
 * The bindings of the plan for these topics (their prefix). The gateway owns every topic it names: it
 * creates them, checks their settings, writes and reads them. A hospital's topics are LITERAL bindings,
 * never prefixes: his.discharges.H1 as a prefix would also grant his.discharges.H10.
 */
export function aclBindings(plan: AclPlan, t: Topics): AclBinding[] {
  const out: AclBinding[] = [];
  const grant = (who: string, resourceType: ResourceType, resourceName: string, patternType: AclBinding['patternType'], operations: readonly Operation[]) => {
    for (const operation of operations) out.push({ principal: who, resourceType, resourceName, patternType, operation });
  };
  const gw = plan.gateway.principal;
  for (const root of [t.settlementEvents, t.nhsaSettlements, `${t.prefix}his.`, `${t.prefix}insurer.`]) {
    grant(gw, 'TOPIC', root, 'PREFIXED', ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS']);
  }
  for (const group of new Set([...plan.gateway.groups, ...plan.gateway.clientIds])) grant(gw, 'GROUP', group, 'PREFIXED', ['READ', 'DESCRIBE']);
  for (const clientId of plan.gateway.clientIds) grant(gw, 'TRANSACTIONAL_ID', `${clientId}-`, 'PREFIXED', ['WRITE', 'DESCRIBE']);
  grant(gw, 'CLUSTER', 'kafka-cluster', 'LITERAL', ['IDEMPOTENT_WRITE']);

  for (const his of plan.hospitals) {
    for (const id of his.hospitalIds) {
      grant(his.principal, 'TOPIC', t.hisDischargesOf(id), 'LITERAL', ['WRITE', 'DESCRIBE']);
      grant(his.principal, 'TOPIC', t.hisSettlementsOf(id), 'LITERAL', ['READ', 'DESCRIBE']);
      grant(his.principal, 'TOPIC', t.dlq(t.hisDischargesOf(id)), 'LITERAL', ['READ', 'DESCRIBE']);
    }
    grant(his.principal, 'GROUP', his.group, 'PREFIXED', ['READ']);
  }
  for (const insurer of plan.insurers) {
    grant(insurer.principal, 'TOPIC', t.insurerClaims(insurer.insurerCode), 'LITERAL', ['READ', 'DESCRIBE']);
    grant(insurer.principal, 'GROUP', insurer.group, 'PREFIXED', ['READ']);
  }
  return out;
}

/** Creates the bindings (Kafka keeps one copy of an ACL created twice: applying the file again changes nothing). */
export async function applyAcls(admin: Admin, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await admin.createAcls({
    acl: bindings.map((b) => ({
      principal: b.principal, host: '*',
      resourceType: AclResourceTypes[b.resourceType], resourceName: b.resourceName, resourcePatternType: ResourcePatternTypes[b.patternType],
      operation: AclOperationTypes[b.operation], permissionType: AclPermissionTypes.ALLOW,
    })),
  });
}

/** The bindings as Kafka's own kafka-acls.sh commands, for review or for an operator who applies them by hand. */
export function kafkaAclsCommands(bindings: readonly AclBinding[], bootstrap = '<bootstrap>'): string[] {
  const option: Record<ResourceType, (b: AclBinding) => string> = {
    TOPIC: (b) => `--topic '${b.resourceName}'`,
    GROUP: (b) => `--group '${b.resourceName}'`,
    TRANSACTIONAL_ID: (b) => `--transactional-id '${b.resourceName}'`,
    CLUSTER: () => '--cluster',
  };
  return bindings.map((b) => `kafka-acls.sh --bootstrap-server ${bootstrap} --command-config admin.properties --add --allow-principal '${b.principal}' --operation ${b.operation.split('_').map((w) => w[0] + w.slice(1).toLowerCase()).join('')} ${option[b.resourceType](b)}${b.resourceType === 'CLUSTER' ? '' : ` --resource-pattern-type ${b.patternType.toLowerCase()}`}`);
}
