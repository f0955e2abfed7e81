/**
 * Integration tests for the Kafka-protocol test broker, driven by real kafkajs
 * clients over TCP. With KAFKA_BROKERS=host:port[,host:port] set, the
 * client-level tests run against that real cluster instead (tests that need
 * broker internals — fault injection, stop/restart — are skipped there).
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { CompressionTypes, Kafka, logLevel, type Consumer, type EachMessagePayload, type KafkaConfig } from 'kafkajs';
import { startTestBroker, injectFault, type TestBroker } from './kafka-broker/index.js';
import { Reader, Writer } from './kafka-broker/codec.js';
import { buildBatch, decodeRecords, readBatchInfo } from './kafka-broker/records.js';
import { crc32c } from './kafka-broker/crc32c.js';
import { GroupCoordinator } from './kafka-broker/groups.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const external = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
const useLocal = !external || external.length === 0;

let broker: TestBroker | null = null;
let brokers: string[] = [];

beforeAll(async () => {
  if (useLocal) {
    broker = await startTestBroker({ port: 0, autoCreateTopics: true, defaultPartitions: 1 });
    brokers = broker.brokers;
  } else {
    brokers = external;
  }
});

afterAll(async () => {
  await broker?.stop();
});

// Small timeouts and retries: kafkajs defaults would make failures take minutes.
function client(extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    brokers,
    clientId: `test-${randomUUID().slice(0, 8)}`,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 500 },
    ...extra,
  });
}

const uniq = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

const consumerOpts = {
  sessionTimeout: 6000,
  rebalanceTimeout: 3000,
  heartbeatInterval: 100,
  maxWaitTimeInMs: 100,
  retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 },
};

async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 8000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Seen {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
}

/** Run a consumer from the beginning of `topic`, collecting messages until `until` holds. */
async function consume(consumer: Consumer, topic: string, until: (seen: Seen[]) => boolean, timeoutMs = 8000): Promise<Seen[]> {
  const seen: Seen[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      seen.push({ topic, partition, offset: message.offset, key: message.key?.toString(), value: message.value?.toString(), headers });
    },
  });
  await waitFor(() => until(seen), timeoutMs, `messages on ${topic}`);
  return seen;
}

describe('codec and record batch primitives', () => {
  it('computes CRC-32C check value and round-trips varints and batches', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const w = new Writer();
    const values = [0, 1, -1, 63, -64, 64, 300, -300, 2147483647, -2147483648];
    for (const v of values) w.varint(v).varlong(v * 1000);
    const r = new Reader(w.toBuffer());
    for (const v of values) {
      expect(r.varint()).toBe(v);
      expect(r.varlong()).toBe(v * 1000);
    }
    const raw = buildBatch({ baseOffset: 7, records: [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: Buffer.from('x') }] }] });
    const info = readBatchInfo(raw);
    expect(info.baseOffset).toBe(7);
    expect(info.raw.readUInt32BE(17)).toBe(crc32c(raw.subarray(21)));
    expect(decodeRecords(info)[0]?.headers[0]?.key).toBe('h');
  });
});

describe('group coordinator state machine', () => {
  const protocols = [{ name: 'RoundRobinAssigner', metadata: Buffer.from('m') }];
  const join = (g: GroupCoordinator, memberId: string, sessionTimeoutMs = 5000) =>
    g.join({ groupId: 'g', memberId, clientId: 'c', sessionTimeoutMs, rebalanceTimeoutMs: 1000, protocolType: 'consumer', protocols });

  it('runs generations, hands the leader member metadata, and evicts members whose session expires', async () => {
    const g = new GroupCoordinator();
    try {
      const first = await join(g, '');
      expect(first).toMatchObject({ error: 0, generationId: 1, leaderId: first.memberId });
      expect(first.members).toHaveLength(1);
      expect((await g.sync('g', 1, first.memberId, [{ memberId: first.memberId, assignment: Buffer.from('all') }])).assignment.toString()).toBe('all');

      // A second member parks in JoinGroup; the first learns about it from its heartbeat.
      const secondJoin = join(g, '', 150);
      expect(g.heartbeat('g', 1, first.memberId)).toBe(27); // REBALANCE_IN_PROGRESS
      const [leader, follower] = await Promise.all([join(g, first.memberId), secondJoin]);
      expect(leader).toMatchObject({ error: 0, generationId: 2, leaderId: first.memberId });
      expect(leader.members.map((m) => m.memberId).sort()).toEqual([first.memberId, follower.memberId].sort());
      expect(follower).toMatchObject({ error: 0, generationId: 2, members: [] });

      const followerSync = g.sync('g', 2, follower.memberId, []);
      await g.sync('g', 2, leader.memberId, [
        { memberId: leader.memberId, assignment: Buffer.from('a') },
        { memberId: follower.memberId, assignment: Buffer.from('b') },
      ]);
      expect((await followerSync).assignment.toString()).toBe('b');
      expect((await g.sync('g', 1, leader.memberId, [])).error).toBe(22); // ILLEGAL_GENERATION

      // The follower goes silent: after its 150 ms session the leader is told to rebalance.
      const deadline = Date.now() + 2000;
      let code = 0;
      while (code === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 40));
        code = g.heartbeat('g', 2, leader.memberId);
      }
      expect(code).toBe(27);
      const alone = await join(g, leader.memberId);
      expect(alone).toMatchObject({ error: 0, generationId: 3 });
      expect(alone.members.map((m) => m.memberId)).toEqual([leader.memberId]);
      expect(g.heartbeat('g', 3, follower.memberId)).toBe(25); // UNKNOWN_MEMBER_ID
    } finally {
      g.dispose();
    }
  });
});

describe('kafkajs against the test broker', () => {
  it('round-trips keys, headers and gzip batches across several partitions', async () => {
    const kafka = client();
    const topic = uniq('roundtrip');
    await createTopic(kafka, topic, 3);
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 3; p++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 4 }, (_, i) => ({ partition: p, key: `k-${p}-${i}`, value: `v-${p}-${i}`, headers: { trace: `t${i}`, part: String(p) } })),
      });
    }
    // A gzip batch goes through the same path (kafkajs compresses gzip natively).
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ partition: 1, key: 'gz', value: 'zipped', headers: { c: 'gzip' } }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniq('rt-group'), ...consumerOpts });
    try {
      const seen = await consume(consumer, topic, (s) => s.length >= 13);
      expect(seen).toHaveLength(13);
      for (let p = 0; p < 3; p++) {
        const inPartition = seen.filter((m) => m.partition === p);
        expect(inPartition.map((m) => m.offset)).toEqual(inPartition.map((_, i) => String(i)));
        for (let i = 0; i < 4; i++) {
          expect(inPartition[i]).toMatchObject({ key: `k-${p}-${i}`, value: `v-${p}-${i}`, headers: { trace: `t${i}`, part: String(p) } });
        }
      }
      expect(seen.find((m) => m.key === 'gz')).toMatchObject({ partition: 1, offset: '4', value: 'zipped', headers: { c: 'gzip' } });
    } finally {
      await consumer.disconnect();
    }
  });

  it('rebalances a consumer group as members join and leave', async () => {
    const kafka = client();
    const topic = uniq('group');
    const groupId = uniq('rebalance');
    await createTopic(kafka, topic, 4);
    const assignments = new Map<string, number[]>();
    const track = (name: string, c: Consumer): void => {
      c.on(c.events.GROUP_JOIN, (e) => {
        assignments.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort());
      });
    };
    const a = kafka.consumer({ groupId, ...consumerOpts });
    const b = kafka.consumer({ groupId, ...consumerOpts });
    track('a', a);
    track('b', b);
    const noop = async (): Promise<void> => {};
    try {
      await a.connect();
      await a.subscribe({ topic, fromBeginning: true });
      await a.run({ eachMessage: noop });
      await waitFor(() => assignments.get('a')?.length === 4, 8000, 'a owns all partitions');

      await b.connect();
      await b.subscribe({ topic, fromBeginning: true });
      await b.run({ eachMessage: noop });
      await waitFor(
        () => {
          const pa = assignments.get('a') ?? [];
          const pb = assignments.get('b') ?? [];
          return pa.length === 2 && pb.length === 2 && [...pa, ...pb].sort().join() === '0,1,2,3';
        },
        10000,
        'partitions split between a and b',
      );

      await b.disconnect(); // LeaveGroup: the coordinator must rebalance a back to everything
      await waitFor(() => assignments.get('a')?.length === 4, 10000, 'a owns all partitions again');
    } finally {
      await a.disconnect();
      await b.disconnect();
    }
  });

  it('resumes from committed offsets after a consumer restart', async () => {
    const kafka = client();
    const topic = uniq('resume');
    const groupId = uniq('resume-group');
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `first-${i}` })) });

    const c1 = kafka.consumer({ groupId, ...consumerOpts });
    const first = await consume(c1, topic, (s) => s.length >= 5);
    await c1.disconnect(); // commits resolved offsets on the way out
    expect(first.map((m) => m.value)).toEqual([0, 1, 2, 3, 4].map((i) => `first-${i}`));

    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed[0]?.partitions[0]?.offset).toBe('5');

    await producer.send({ topic, messages: Array.from({ length: 3 }, (_, i) => ({ value: `second-${i}` })) });
    await producer.disconnect();
    const c2 = kafka.consumer({ groupId, ...consumerOpts });
    try {
      const second = await consume(c2, topic, (s) => s.length >= 3);
      await new Promise((r) => setTimeout(r, 300)); // give any wrongly replayed message time to show up
      expect(second.map((m) => m.value)).toEqual([0, 1, 2].map((i) => `second-${i}`));
      expect(second[0]?.offset).toBe('5');
    } finally {
      await c2.disconnect();
    }
  });

  it('commits transactional offsets and hides aborted transactions from read_committed consumers', async () => {
    const kafka = client();
    const input = uniq('txn-in');
    const output = uniq('txn-out');
    const groupId = uniq('txn-group');
    await createTopic(kafka, input, 1);
    await createTopic(kafka, output, 2);
    const admin = kafka.admin();
    await admin.connect();
    const groupOffset = async (): Promise<string | undefined> =>
      (await admin.fetchOffsets({ groupId, topics: [input] }))[0]?.partitions[0]?.offset;

    const producer = kafka.producer({ transactionalId: uniq('txid'), maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      const t1 = await producer.transaction();
      await t1.send({ topic: output, messages: [{ key: 'c1', value: 'committed-1', partition: 0 }, { key: 'c2', value: 'committed-2', partition: 1 }] });
      await t1.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }] });
      expect(await groupOffset()).toBe('-1'); // not visible before the commit
      await t1.commit();
      expect(await groupOffset()).toBe('3');

      const t2 = await producer.transaction();
      await t2.send({ topic: output, messages: [{ key: 'a1', value: 'aborted-1', partition: 0 }, { key: 'a2', value: 'aborted-2', partition: 1 }] });
      await t2.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '7' }] }] });
      await t2.abort();
      expect(await groupOffset()).toBe('3');

      const t3 = await producer.transaction();
      await t3.send({ topic: output, messages: [{ key: 'c3', value: 'committed-3', partition: 0 }] });
      await t3.commit();

      const committedReader = kafka.consumer({ groupId: uniq('reader'), ...consumerOpts, readUncommitted: false });
      try {
        const seen = await consume(committedReader, output, (s) => s.some((m) => m.value === 'committed-3'));
        await new Promise((r) => setTimeout(r, 300));
        expect(seen.map((m) => m.value).sort()).toEqual(['committed-1', 'committed-2', 'committed-3']);
      } finally {
        await committedReader.disconnect();
      }

      // read_uncommitted still sees the aborted records (they are in the log), but never the markers.
      const dirtyReader = kafka.consumer({ groupId: uniq('dirty'), ...consumerOpts, readUncommitted: true });
      try {
        const seen = await consume(dirtyReader, output, (s) => s.length >= 5);
        expect(seen.map((m) => m.value).sort()).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'committed-2', 'committed-3']);
      } finally {
        await dirtyReader.disconnect();
      }
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});

describe.skipIf(!useLocal)('test broker internals', () => {
  it('an idempotent producer retry after a lost acknowledgement is not duplicated', async () => {
    const kafka = client();
    const topic = uniq('idem');
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5, initialRetryTime: 50 } });
    await producer.connect();
    if (!broker) throw new Error('no local broker');
    // The first produce is appended, but the client only sees a dropped connection and resends it.
    injectFault(broker, { dropResponseOf: 'Produce' });
    await producer.send({ topic, messages: [{ key: 'once', value: 'only-once' }] });
    await producer.send({ topic, messages: [{ key: 'next', value: 'second' }] });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets[0]?.high).toBe('2');

    const consumer = kafka.consumer({ groupId: uniq('idem-group'), ...consumerOpts });
    try {
      const seen = await consume(consumer, topic, (s) => s.length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.map((m) => m.value)).toEqual(['only-once', 'second']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('rejects out-of-order sequences and acknowledges duplicates with the original offset (raw protocol)', async () => {
    const topic = uniq('raw-seq');
    await createTopic(client(), topic, 1);
    const conn = await RawClient.connect(brokers[0] ?? '');
    try {
      const init = new Reader(await conn.request(22, 0, new Writer().nullableString(null).int32(60000)));
      init.int32();
      expect(init.int16()).toBe(0);
      const producerId = init.int64();
      const epoch = init.int16();
      const produce = async (baseSequence: number, value: string): Promise<{ error: number; baseOffset: number }> => {
        const batch = buildBatch({ producerId, producerEpoch: epoch, baseSequence, records: [{ key: null, value: Buffer.from(value) }] });
        const body = new Writer().nullableString(null).int16(-1).int32(1000);
        body.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).bytes(batch)));
        const r = new Reader(await conn.request(0, 3, body));
        r.int32(); // topics count
        r.string();
        r.int32(); // partitions count
        r.int32(); // partition
        return { error: r.int16(), baseOffset: r.int64() };
      };
      expect(await produce(0, 'a')).toEqual({ error: 0, baseOffset: 0 });
      expect(await produce(1, 'b')).toEqual({ error: 0, baseOffset: 1 });
      expect((await produce(5, 'gap')).error).toBe(45); // OUT_OF_ORDER_SEQUENCE_NUMBER
      expect(await produce(0, 'a')).toEqual({ error: 0, baseOffset: 0 }); // duplicate: acked, not appended
      expect(await produce(2, 'c')).toEqual({ error: 0, baseOffset: 2 });

      // Long poll: an empty fetch waits for max_wait_time, and returns early once data arrives.
      const fetchAt = async (offset: number, maxWait: number): Promise<number> => {
        const body = new Writer().int32(-1).int32(maxWait).int32(1).int32(1 << 20).int8(1);
        body.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(offset).int32(1 << 20)));
        const r = new Reader(await conn.request(1, 4, body));
        r.int32();
        r.int32();
        r.string();
        r.int32();
        r.int32();
        expect(r.int16()).toBe(0);
        return r.int64(); // high watermark
      };
      let started = Date.now();
      expect(await fetchAt(3, 300)).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);

      const other = await RawClient.connect(brokers[0] ?? '');
      started = Date.now();
      const pending = fetchAt(3, 5000);
      setTimeout(() => {
        const batch = buildBatch({ records: [{ key: null, value: Buffer.from('wake') }] });
        const body = new Writer().nullableString(null).int16(1).int32(1000);
        body.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).bytes(batch)));
        void other.request(0, 3, body);
      }, 100);
      expect(await pending).toBe(4);
      expect(Date.now() - started).toBeLessThan(2000);
      other.close();
    } finally {
      conn.close();
    }
  });

  it('survives stop() and restart() while a producer is retrying, without loss or duplicates', async () => {
    if (!broker) throw new Error('no local broker');
    const kafka = client({ retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 400 } });
    const topic = uniq('restart');
    await createTopic(kafka, topic, 2);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: [{ partition: 0, value: 'before-0' }, { partition: 1, value: 'before-1' }] });

    // 1) The broker dies after appending a batch but before acknowledging it.
    injectFault(broker, { dropResponseOf: 'Produce' });
    const lostAck = producer.send({ topic, messages: [{ partition: 0, value: 'lost-ack-0' }] });
    await new Promise((r) => setTimeout(r, 30));
    await broker.stop();
    await new Promise((r) => setTimeout(r, 300));
    await broker.restart();
    await lostAck;

    // 2) The broker is down when the send starts.
    await broker.stop();
    const sending = producer.send({ topic, messages: [{ partition: 0, value: 'during-0' }, { partition: 1, value: 'during-1' }] });
    await new Promise((r) => setTimeout(r, 400));
    await broker.restart();
    await sending;
    await producer.send({ topic, messages: [{ partition: 0, value: 'after-0' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniq('restart-group'), ...consumerOpts });
    try {
      const seen = await consume(consumer, topic, (s) => s.length >= 6);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.map((m) => m.value).sort()).toEqual(['after-0', 'before-0', 'before-1', 'during-0', 'during-1', 'lost-ack-0']);
    } finally {
      await consumer.disconnect();
    }
  });
});

/** Minimal Kafka client for requests kafkajs will never send (bad sequences, explicit long polls). */
class RawClient {
  private buffered: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number, (body: Buffer) => void>();

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        const id = frame.readInt32BE(0);
        this.waiting.get(id)?.(frame.subarray(4));
        this.waiting.delete(id);
      }
    });
  }

  static connect(hostPort: string): Promise<RawClient> {
    const [host, port] = hostPort.split(':');
    return new Promise((resolve, reject) => {
      const s = net.connect(Number(port), host ?? '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  request(apiKey: number, apiVersion: number, body: Writer): Promise<Buffer> {
    const id = this.nextId++;
    const payload = new Writer().int16(apiKey).int16(apiVersion).int32(id).nullableString('raw-client').raw(body.toBuffer()).toBuffer();
    const frame = new Writer().int32(payload.length).raw(payload).toBuffer();
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
