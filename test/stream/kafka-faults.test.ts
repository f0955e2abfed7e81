/**
 * The Kafka fault tests (test/stream/fault-cases.ts) on three plaintext brokers and a controller; the same
 * on secured brokers: test/stream/kafka-secured.test.ts.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { TestKafka } from '../support/kafka/cluster.js';
import { describeFaults } from './fault-cases.js';
import { EXTERNAL_CLUSTER_SKIP, ownBrokers, startOwnKafka } from './support.js';

let kafka: TestKafka;

describe.skipIf(!ownBrokers)(ownBrokers ? 'plaintext brokers' : `Kafka faults: skipped, ${EXTERNAL_CLUSTER_SKIP}`, () => {
  beforeAll(async () => { kafka = await startOwnKafka(3); }, 240_000);
  afterAll(async () => { await kafka?.stop(); });
  describeFaults({ name: 'plaintext', secured: false }, () => kafka);
});
