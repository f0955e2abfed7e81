/**
 * The published ACL set of a secured Kafka cluster (deploy/kafka/acls.yaml) as data: who may do what on
 * which topics, groups and transactional ids — the gateway, each hospital's HIS, and whoever a part lets read
 * its topics directly (its section of the file). Read by zod, turned into ACL bindings for this configuration's
 * topic prefix, and applied through Kafka's Admin API (`npm run kafka:acls`) or printed as kafka-acls.sh
 * commands for an operator who applies them by hand. Every binding is an ALLOW: on a cluster running the
 * StandardAuthorizer without allow.everyone.if.no.acl.found, whatever the file does not grant is refused by the brokers.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import type { Topics } from './topics.js';

// The ACL enums are not among the names Node's ESM loader finds in kafkajs's CommonJS exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** A Kafka principal as the file names one: never a wildcard. */
export const aclPrincipal = z.string().regex(/^User:[^\s;*]+$/, 'a Kafka principal, User:<name> (a SCRAM user, or User:CN=… of a client certificate)');
/** A group, client id or topic-name segment as the file names one. */
export const aclName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-"').max(200);
const hospitalId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a hospital id as KAFKA_INTAKE_HOSPITALS gives it');

const corePlanSchema = z.object({
  gateway: z.object({
    principal: aclPrincipal,
    /** KAFKA_CLIENT_ID of every gateway process (API and relay): their transactional ids and the replay's groups start with it. */
    clientIds: z.array(aclName).min(1),
    /** Consumer-group prefixes the gateway reads under: KAFKA_INTAKE_GROUP (and its .<hospitalId> groups) and the parts' delivery groups. */
    groups: z.array(aclName).min(1),
  }).strict(),
  /** Each HIS: writes its hospitals' discharges, reads their answers and dead letters, nothing else. */
  hospitals: z.array(z.object({ principal: aclPrincipal, hospitalIds: z.array(hospitalId).min(1), group: aclName }).strict()).default([]),
}).strict();

type ResourceType = 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER';
type Operation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'IDEMPOTENT_WRITE';

/** One ALLOW of the set, in Kafka's words. */
export interface AclBinding { principal: string; resourceType: ResourceType; resourceName: string; patternType: 'LITERAL' | 'PREFIXED'; operation: Operation }

/** The bindings of one principal's operations on one resource. */
export function allow(principal: string, resourceType: ResourceType, resourceName: string, patternType: AclBinding['patternType'], operations: readonly Operation[]): AclBinding[] {
  return operations.map((operation) => ({ principal, resourceType, resourceName, patternType, operation }));
}

/** What a section of the file grants, once the topic prefix is known. */
type Grants = (t: Topics) => AclBinding[];

/** A part's section of the file: what is under `key`, read into what it grants. */
export interface AclSection { key: string; schema: z.ZodType<Grants> }

/**
 * A part's grants (gateway/parts.ts): its topics, which the gateway's principal owns, and, where the part lets
 * others read them directly, its section of the file, whose entries each become their grants.
 */
export interface PartAcls {
  /** Names of the part's topics as PREFIXED resources: the gateway creates them, checks their settings, writes and reads them. */
  gatewayPrefixes(t: Topics): string[];
  section?: AclSection;
}

/** A section of the file: a list of entries under `key`, each read by `entry` and granted `grants`; absent means none. */
export function aclSection<E>(key: string, entry: z.ZodType<E>, grants: (entry: E, t: Topics) => AclBinding[]): AclSection {
  return { key, schema: z.array(entry).default([]).transform((entries): Grants => (t) => entries.flatMap((e) => grants(e, t))) };
}

export type AclPlan = z.infer<typeof corePlanSchema> & {
  /** The parts' topics and what their sections grant, in the parts' order. */
  parts: ReadonlyArray<{ gatewayPrefixes: PartAcls['gatewayPrefixes']; grants: Grants }>;
};

/** The plan of a YAML (or JSON) text with the parts' sections; a ZodError names every bad field, of the core's and the parts' alike. */
export function readAclPlan(text: string, parts: readonly PartAcls[]): AclPlan {
  const file = z.record(z.string(), z.unknown()).parse(parseYaml(text));
  const sections = new Set(parts.flatMap((p) => (p.section ? [p.section.key] : [])));
  const core = corePlanSchema.safeParse(Object.fromEntries(Object.entries(file).filter(([key]) => !sections.has(key))));
  const sectionIssues: z.core.$ZodIssue[] = [];
  const planParts = parts.map(({ gatewayPrefixes, section }) => {
    if (!section) return { gatewayPrefixes, grants: () => [] };
    const read = section.schema.safeParse(file[section.key]);
    if (!read.success) sectionIssues.push(...read.error.issues.map((issue) => ({ ...issue, path: [section.key, ...issue.path] })));
    return { gatewayPrefixes, grants: read.success ? read.data : () => [] };
  });
  if (!core.success || sectionIssues.length > 0) throw new z.ZodError([...(core.error?.issues ?? []), ...sectionIssues]);
  return { ...core.data, parts: planParts };
}

/**
 * The bindings of the plan for these topics (their prefix). The gateway owns every topic it names, the core's
 * and the parts': it creates them, checks their settings, writes and reads them. A hospital's topics are
 * LITERAL bindings, never prefixes: his.discharges.H1 as a prefix would also grant his.discharges.H10.
 */
export function aclBindings(plan: AclPlan, t: Topics): AclBinding[] {
  const gw = plan.gateway.principal;
  const gatewayTopics = [t.settlementEvents, `${t.prefix}his.`, ...plan.parts.flatMap((p) => p.gatewayPrefixes(t))];
  return [
    ...gatewayTopics.flatMap((root) => allow(gw, 'TOPIC', root, 'PREFIXED', ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS'])),
    ...[...new Set([...plan.gateway.groups, ...plan.gateway.clientIds])].flatMap((group) => allow(gw, 'GROUP', group, 'PREFIXED', ['READ', 'DESCRIBE'])),
    ...plan.gateway.clientIds.flatMap((clientId) => allow(gw, 'TRANSACTIONAL_ID', `${clientId}-`, 'PREFIXED', ['WRITE', 'DESCRIBE'])),
    ...allow(gw, 'CLUSTER', 'kafka-cluster', 'LITERAL', ['IDEMPOTENT_WRITE']),
    ...plan.hospitals.flatMap((his) => [
      ...his.hospitalIds.flatMap((id) => [
        ...allow(his.principal, 'TOPIC', t.hisDischargesOf(id), 'LITERAL', ['WRITE', 'DESCRIBE']),
        ...allow(his.principal, 'TOPIC', t.hisSettlementsOf(id), 'LITERAL', ['READ', 'DESCRIBE']),
        ...allow(his.principal, 'TOPIC', t.dlq(t.hisDischargesOf(id)), 'LITERAL', ['READ', 'DESCRIBE']),
      ]),
      ...allow(his.principal, 'GROUP', his.group, 'PREFIXED', ['READ']),
    ]),
    ...plan.parts.flatMap((p) => p.grants(t)),
  ];
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
