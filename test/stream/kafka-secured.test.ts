/**
 * Issue 23 on secured Apache Kafka brokers (three, and a KRaft controller: SASL_SSL listeners, SCRAM users made
 * at format time, KRaft's StandardAuthorizer denying whatever no ACL grants), with the published ACL set deploy/kafka/acls.yaml applied
 * through the Admin API exactly as `npm run kafka:acls -- --apply` does. The gateway runs as its SCRAM user from
 * a production configuration (password by file reference, the CA by file) with only the rights the file grants;
 * each test then shows what is granted working and what is not refused by the broker: a HIS writing for
 * another hospital, a HIS reading the settlement log, an insurer reading another insurer's claims, an
 * authenticated user without a grant, a wrong password and a CA that does not sign the brokers.
 * The same cluster then serves the fault tests (test/stream/fault-cases.ts: broker SIGKILL, leader loss,
 * coordinator loss) with the gateway and the HIS as their SCRAM users.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { ConfigError, loadConfig, type Config } from '../../gateway/config.js';
import { createMetrics } from '../../gateway/http/metrics.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { createLogger } from '../../gateway/log.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { aclBindings, applyAcls, readAclPlan } from '../../gateway/stream/kafka-acls.js';
import { topics as topicNames, type Topics } from '../../gateway/stream/topics.js';
import { startStreaming, type Streaming } from '../../gateway/stream/wiring.js';
import { deadLetter, dischargeAnswer } from '../../schemas/messages.js';
import type { TestKafka } from '../support/kafka/cluster.js';
import { makePki } from '../support/pki.js';
import { requestBody } from '../support/requests.js';
import { describeFaults } from './fault-cases.js';
import { collect, EXTERNAL_CLUSTER_SKIP, mappingFor, ownBrokers, programmes, sleep, startOwnKafka, testKafka, uniquePrefix, waitFor } from './support.js';
import { insurerAclEntry, insurerClaimsTopic } from '../../adapters/insurer/audience.js';
import { COMPOSED } from '../../gateway/main.js';

const ACLS_FILE = join(import.meta.dirname, '../../deploy/kafka/acls.yaml');
const ACLS_TEXT = readFileSync(ACLS_FILE, 'utf8');
const plan = readAclPlan(ACLS_TEXT, COMPOSED.acls);
/** The insurers reading their own claims topic (the insurer part's section of the file). */
const insurers = z.object({ insurers: z.array(insurerAclEntry) }).parse(parseYaml(ACLS_TEXT)).insurers;
const userOf = (principal: string): string => principal.replace(/^User:/, '');
const GATEWAY = userOf(plan.gateway.principal);
const HIS = plan.hospitals[0]!; // User:his-H99000000001, for H99000000001
const OTHER_HOSPITAL = plan.hospitals[1]!.hospitalIds[0]!; // a hospital of another HIS
const [INSURER, OTHER_INSURER] = [insurers[0]!, insurers[1]!];
/** Authenticated, granted nothing. */
const NOBODY = 'nobody';
const USERS = Object.fromEntries([GATEWAY, ...plan.hospitals.map((h) => userOf(h.principal)), ...insurers.map((i) => userOf(i.principal)), NOBODY].map((u) => [u, randomBytes(12).toString('hex')]));

let kafka: TestKafka;
let t: Topics;
let secrets: string;

const errorText = (error: unknown, depth = 0): string => {
  if (depth > 6 || typeof error !== 'object' || error === null) return String(error);
  const e = error as { name?: string; type?: string; message?: string; cause?: unknown; errors?: unknown[] };
  return [e.name, e.type, e.message, e.cause ? errorText(e.cause, depth + 1) : '', ...(e.errors ?? []).map((x) => errorText(x, depth + 1))].filter(Boolean).join(' | ');
};
const AUTHORIZATION_REFUSED = /TOPIC_AUTHORIZATION_FAILED|GROUP_AUTHORIZATION_FAILED|CLUSTER_AUTHORIZATION_FAILED|Not authorized|authorization failed/i;

/** The gateway's production configuration: SASL_SSL as its SCRAM user, the password by file reference, the intake scoped to two hospitals. */
function gatewayConfig(extra: Record<string, string> = {}): Config {
  const passwordFile = join(secrets, 'kafka-password');
  writeFileSync(passwordFile, `${USERS[GATEWAY]}\n`);
  return loadConfig({
    NODE_ENV: 'production', KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: t.prefix,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: GATEWAY,
    KAFKA_SASL_PASSWORD_SECRET: JSON.stringify({ file: passwordFile }), KAFKA_SSL_CA_FILE: kafka.caFile!,
    KAFKA_CLIENT_ID: plan.gateway.clientIds[0]!, KAFKA_INTAKE_GROUP: plan.gateway.groups[0]!,
    KAFKA_INTAKE_HOSPITALS: [HIS.hospitalIds[0]!, OTHER_HOSPITAL].join(','),
    KAFKA_TOPIC_PARTITIONS: '2', KAFKA_REPLICATION_FACTOR: '3', KAFKA_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn',
    ...extra,
  });
}

const silentLog = () => createLogger('warn', new Writable({ write(_chunk, _encoding, done) { done(); } }));

async function gateway(config = gatewayConfig()): Promise<{ streaming: Streaming; ledger: MemoryLedger }> {
  const ledger = new MemoryLedger();
  const service = new SettlementService({ ledger, programmes });
  const { audiences } = mappingFor(topicNames(config.KAFKA_TOPIC_PREFIX));
  const streaming = await startStreaming({ config, ledger, service, metrics: createMetrics(), log: silentLog(), audiences });
  return { streaming, ledger };
}

/** Sends as a user; the broker's refusal as text, or null when it took the message. */
async function sendAs(user: string, topic: string, value: string): Promise<string | null> {
  const producer = testKafka(kafka.brokers, kafka.access(user)).producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2 } });
  try {
    // An idempotent producer asks for a producer id first: refused (CLUSTER_AUTHORIZATION_FAILED) to a user who may write nothing.
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value, headers: { 'correlation-id': `c-${randomUUID()}` } }] });
    return null;
  } catch (error) {
    return errorText(error);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Reads as a user in a group under `group`: the broker's refusal as text, or null when it let the consumer read. */
async function readAs(user: string, group: string, topic: string): Promise<string | null> {
  const consumer = testKafka(kafka.brokers, kafka.access(user)).consumer({ groupId: `${group}-${randomUUID().slice(0, 8)}`, sessionTimeout: 6_000, heartbeatInterval: 200, maxWaitTimeInMs: 100, retry: { retries: 1 } });
  let refused: string | null = null;
  try {
    await consumer.connect();
    consumer.on(consumer.events.CRASH, ({ payload }) => { refused ??= errorText(payload.error); });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => { joined = true; });
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await waitFor(() => refused !== null || joined, 20_000, `${user} reading ${topic}: joined or refused`);
    if (joined) await sleep(500); // a fetch refused after the join crashes the consumer now
    return refused;
  } catch (error) {
    return errorText(error);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

describe.skipIf(!ownBrokers)(ownBrokers ? 'a secured Kafka (SASL_SSL, StandardAuthorizer)' : `secured Kafka: skipped, ${EXTERNAL_CLUSTER_SKIP}`, () => {
  beforeAll(async () => {
    secrets = mkdtempSync(join(tmpdir(), 'gw-kafka-secrets-'));
    kafka = await startOwnKafka(3, undefined, { users: USERS });
  }, 240_000);
  afterAll(async () => {
    await kafka?.stop();
    rmSync(secrets, { recursive: true, force: true });
  });

  describe('with the published ACL set', () => {
    beforeAll(async () => {
      t = topicNames(uniquePrefix());
      const admin = testKafka(kafka.brokers, kafka.access()).admin();
      await admin.connect();
      try {
        await applyAcls(admin, aclBindings(plan, t));
        await applyAcls(admin, aclBindings(plan, t)); // applying the file again changes nothing
        const { resources } = await admin.describeAcls({ resourceType: 1, resourcePatternType: 1, permissionType: 1, operation: 1 });
        const count = resources.reduce((n, r) => n + r.acls.length, 0);
        expect(count).toBe(aclBindings(plan, t).length);
      } finally {
        await admin.disconnect();
      }
    }, 60_000);
    beforeEach(({ onTestFailed }) => { onTestFailed(() => { kafka.keepLogs(); }); });

    it('the gateway as its SCRAM user, with only the published grants: creates and checks its topics, settles its HIS\'s discharge, relays it, and answers where only that HIS reads', async () => {
      const { streaming, ledger } = await gateway();
      const answers = await collect(kafka.brokers, [t.hisSettlementsOf(HIS.hospitalIds[0]!)], kafka.access(userOf(HIS.principal)), HIS.group);
      try {
        expect(streaming.kind).toBe('kafka');
        // Topic settings were read back (DESCRIBE_CONFIGS granted): no drift reported.
        expect(await streaming.readiness.find((r) => r.name === 'kafka-topics')!.check()).toBeUndefined();
        const body = requestBody({ settlementId: 'SEC1', hospital: { id: HIS.hospitalIds[0]! } });
        expect(await sendAs(userOf(HIS.principal), t.hisDischargesOf(HIS.hospitalIds[0]!), JSON.stringify(body))).toBeNull();
        await waitFor(() => answers.seen.length === 1, 30_000, 'the answer, read by the HIS');
        expect(dischargeAnswer.parse(JSON.parse(answers.seen[0]!.value))).toMatchObject({ outcome: 'settled', split: { hospitalId: HIS.hospitalIds[0], settlementId: 'SEC1' } });
        // The relay wrote settlement.events, nhsa.settlements and the insurer topics as the same user.
        await waitFor(async () => (await ledger.outboxLag()) === 0, 30_000, 'the outbox relayed');
      } finally {
        await answers.stop();
        await streaming.stop();
      }
    }, 90_000);

    it('a HIS principal writing for another hospital: refused by the broker on that hospital\'s topic; on its own topic dead-lettered FORBIDDEN, nothing settled', async () => {
      const { streaming, ledger } = await gateway();
      const his = userOf(HIS.principal);
      const dead = await collect(kafka.brokers, [t.dlq(t.hisDischargesOf(HIS.hospitalIds[0]!))], kafka.access(his), HIS.group);
      try {
        const forOther = JSON.stringify(requestBody({ settlementId: 'SEC2', hospital: { id: OTHER_HOSPITAL } }));
        expect(await sendAs(his, t.hisDischargesOf(OTHER_HOSPITAL), forOther)).toMatch(AUTHORIZATION_REFUSED);
        expect(await sendAs(his, t.hisDischarges, forOther)).toMatch(AUTHORIZATION_REFUSED); // nor the shared topic
        expect(await sendAs(his, t.hisDischargesOf(HIS.hospitalIds[0]!), forOther)).toBeNull();
        await waitFor(() => dead.seen.length === 1, 30_000, 'the dead letter');
        expect(deadLetter.parse(JSON.parse(dead.seen[0]!.value)).problem).toMatchObject({ code: 'FORBIDDEN', errors: [{ path: 'hospital.id' }] });
        await sleep(500);
        expect(await ledger.getSettlement(OTHER_HOSPITAL, 'SEC2')).toBeNull();
        expect(await ledger.outboxLag()).toBe(0);
      } finally {
        await dead.stop();
        await streaming.stop();
      }
    }, 90_000);

    it('what the file does not grant, the broker refuses: a HIS reading the log or another hospital\'s answers, an insurer another insurer\'s claims, a user without a grant anything', async () => {
      // The topics exist (made by the gateway's start in the tests above, or here).
      const { streaming } = await gateway();
      await streaming.stop();
      const his = userOf(HIS.principal);
      expect(await readAs(his, HIS.group, t.settlementEvents)).toMatch(AUTHORIZATION_REFUSED);
      expect(await readAs(his, HIS.group, t.hisSettlementsOf(OTHER_HOSPITAL))).toMatch(AUTHORIZATION_REFUSED);
      // A group outside its prefix: Kafka answers FindCoordinator with GROUP_AUTHORIZATION_FAILED, which kafkajs reports only as a coordinator not found.
      expect(await readAs(his, 'someone-elses-group', t.hisSettlementsOf(HIS.hospitalIds[0]!))).toMatch(/GROUP_AUTHORIZATION_FAILED|KafkaJSGroupCoordinatorNotFound/);
      expect(await readAs(his, HIS.group, t.hisSettlementsOf(HIS.hospitalIds[0]!))).toBeNull(); // its own: granted

      expect(await readAs(userOf(INSURER.principal), INSURER.group, insurerClaimsTopic(t, OTHER_INSURER.insurerCode))).toMatch(AUTHORIZATION_REFUSED);
      expect(await readAs(userOf(INSURER.principal), INSURER.group, insurerClaimsTopic(t, INSURER.insurerCode))).toBeNull();
      expect(await sendAs(userOf(INSURER.principal), insurerClaimsTopic(t, INSURER.insurerCode), '{}')).toMatch(AUTHORIZATION_REFUSED); // read only

      expect(await sendAs(NOBODY, t.hisDischargesOf(HIS.hospitalIds[0]!), '{}')).toMatch(AUTHORIZATION_REFUSED);
      expect(await readAs(NOBODY, NOBODY, t.settlementEvents)).toMatch(AUTHORIZATION_REFUSED);
      const admin = testKafka(kafka.brokers, kafka.access(NOBODY)).admin();
      await admin.connect();
      try {
        expect((await admin.listTopics()).filter((name) => name.startsWith(t.prefix))).toEqual([]); // not even their names
        expect(errorText(await admin.createTopics({ topics: [{ topic: `${t.prefix}his.discharges.X` }] }).then(() => null, (e: unknown) => e))).toMatch(/TOPIC_AUTHORIZATION_FAILED|authoriz/i);
      } finally {
        await admin.disconnect();
      }
    }, 120_000);

    it('a wrong password or a CA that does not sign the brokers stops the start with the variables to fix', async () => {
      const wrong = join(secrets, 'wrong-password');
      writeFileSync(wrong, 'not-the-password');
      const refusedUser = await gateway(gatewayConfig({ KAFKA_SASL_PASSWORD_SECRET: JSON.stringify({ file: wrong }) })).then(() => null, (e: unknown) => e);
      expect(refusedUser).toBeInstanceOf(ConfigError);
      expect(refusedUser).toMatchObject({ problems: [expect.stringMatching(new RegExp(`^KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD_SECRET / KAFKA_SASL_MECHANISM: Kafka refused the user ${GATEWAY} by SCRAM-SHA-512: `))] });
      expect(String(refusedUser)).not.toContain('not-the-password');

      const otherPki = await makePki();
      try {
        const refusedCa = await gateway(gatewayConfig({ KAFKA_SSL_CA_FILE: otherPki.ca })).then(() => null, (e: unknown) => e);
        expect(refusedCa).toBeInstanceOf(ConfigError);
        expect(refusedCa).toMatchObject({ problems: [expect.stringMatching(/^KAFKA_SSL_CA_FILE \/ KAFKA_SSL_CERT_FILE \/ KAFKA_SSL_KEY_FILE: the TLS handshake with Kafka failed/)] });
      } finally {
        await otherPki.remove();
      }
    }, 120_000);
  });

  describeFaults({ name: 'SASL_SSL, StandardAuthorizer and the published ACLs', secured: true }, () => kafka);
});
