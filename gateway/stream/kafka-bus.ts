/**
 * The Kafka bus (kafkajs). Publishing uses one idempotent producer (acks=all, one request in flight,
 * so retries can neither duplicate nor reorder within a session). Subscriptions are
 * consume-transform-produce: each chunk of a batch is answered inside a transaction that also commits
 * the consumed offset (sendOffsets), and consumers read committed data only.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel as kafkaLogLevel, type Admin, type LogEntry, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { headerText, type Bus, type InboundMessage, type OutboundRecord, type RunningSubscription, type Subscription } from './bus.js';

export interface KafkaBusOptions {
  brokers: readonly string[];
  clientId: string;
  /** Stable per process instance: a restarted instance with the same id fences its predecessor's open transactions. */
  transactionalIdPrefix?: string;
  logLevel?: kafkaLogLevel;
  /** Where kafkajs's own log lines go: the gateway's structured log, not kafkajs's console format. */
  logger?: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** kafkajs's own retries before a call rejects; the relay and the intake retry again above this. */
  retries?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  fetchMaxWaitMs?: number;
  /** Upper bound of an open transaction; the broker aborts (and fences) past it. */
  transactionTimeoutMs?: number;
  /** Messages answered per transaction: bounds the work redone after a failure. */
  maxMessagesPerTransaction?: number;
  /** How long readToEnd may take before it gives up. */
  readToEndTimeoutMs?: number;
}

const RETRY_BACKOFF_MAX_MS = 5_000;

function pinoLogCreator(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return () => ({ level, namespace, log }: LogEntry) => {
    const { message, ...extra } = log;
    const fields = { namespace, ...extra };
    if (level === kafkaLogLevel.ERROR) child.error(fields, message);
    else if (level === kafkaLogLevel.WARN) child.warn(fields, message);
    else if (level === kafkaLogLevel.INFO) child.info(fields, message);
    else child.debug(fields, message);
  };
}

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private readonly running = new Set<RunningSubscription>();

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      brokers: [...options.brokers],
      clientId: options.clientId,
      logLevel: options.logLevel ?? kafkaLogLevel.WARN,
      ...(options.logger ? { logCreator: pinoLogCreator(options.logger) } : {}),
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      retry: { retries: options.retries ?? 5, initialRetryTime: options.retryInitialMs ?? 300, maxRetryTime: options.retryMaxMs ?? 30_000 },
    });
  }

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    if (records.length === 0) return;
    const producer = await this.publisher();
    await producer.sendBatch({ topicMessages: byTopic(records), acks: -1 });
  }

  async subscribe(s: Subscription): Promise<RunningSubscription> {
    const consumer = this.kafka.consumer({
      groupId: s.groupId,
      readUncommitted: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 500,
      retry: { retries: this.options.retries ?? 5, initialRetryTime: this.options.retryInitialMs ?? 300, maxRetryTime: this.options.retryMaxMs ?? 30_000 },
    });
    const transactionalId = `${this.options.transactionalIdPrefix ?? `${this.options.clientId}-${randomUUID()}`}-${s.groupId}-${s.topic}`;
    const answerer = new TransactionalAnswerer(this.kafka, transactionalId, this.options.transactionTimeoutMs ?? 30_000);
    const chunkSize = this.options.maxMessagesPerTransaction ?? 100;
    let stopped = false;
    /**
     * Partitions checked since this consumer last joined the group. After a join (a rebalance, or the
     * group coordinator's broker dying) the offset the consumer starts from may predate a transaction
     * whose commit a new coordinator is still completing — kafkajs cannot ask for stable offsets
     * (KIP-447) — and redoing from it would answer those messages twice. So before the first chunk of
     * each partition, the old transaction is settled and the group's committed offset read again.
     */
    const checked = new Set<number>();
    await consumer.connect();
    consumer.on(consumer.events.GROUP_JOIN, () => { checked.clear(); });
    await consumer.subscribe({ topic: s.topic, fromBeginning: s.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const givenUp = () => stopped || !isRunning() || isStale();
        // The group's committed offset once it is known; undefined when the partition is no longer ours.
        const committedOffset = () => this.untilKnown(() => this.committedOffset(answerer, s.groupId, s.topic, batch.partition), givenUp, s.onError);
        let from = -1n;
        if (!checked.has(batch.partition)) {
          const committed = await committedOffset();
          if (committed === undefined) return;
          checked.add(batch.partition);
          from = committed;
        }
        const answered = batch.messages.filter((m) => BigInt(m.offset) < from);
        if (answered.length > 0) resolveOffset(answered[answered.length - 1]!.offset);
        const messages: InboundMessage[] = batch.messages.filter((m) => BigInt(m.offset) >= from).map((m) => ({
          topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: headerText(m.headers),
        }));
        for (let start = 0; start < messages.length; start += chunkSize) {
          const chunk = messages.slice(start, start + chunkSize);
          const last = chunk[chunk.length - 1]!;
          for (let attempt = 1; ; attempt++) {
            // A partition taken away in a rebalance is redone by its new owner from the committed offset.
            if (stopped || !isRunning() || isStale()) return;
            try {
              const out = await s.handle(chunk);
              await answerer.commit(out, { groupId: s.groupId, topic: s.topic, partition: batch.partition, nextOffset: (BigInt(last.offset) + 1n).toString() });
              resolveOffset(last.offset);
              // Committed: a heartbeat that fails now (the group coordinator's broker died) says nothing of
              // the commit, and must not send a committed chunk down the failure path.
              await heartbeat().catch((error: unknown) => s.onError?.(error));
              break;
            } catch (error) {
              s.onError?.(error);
              await sleep(Math.min(RETRY_BACKOFF_MAX_MS, 100 * 2 ** Math.min(attempt, 6)));
              await heartbeat().catch(() => undefined);
              // The commit may have gone through with its answer lost (the transaction coordinator died
              // after deciding): redoing the chunk would answer it twice. A new transactional producer
              // first settles the old transaction; then the group's committed offset tells. A check that
              // cannot tell (the coordinator is still moving) is asked again, never taken for "not committed".
              const committed = await committedOffset();
              if (committed === undefined) return; // the partition is no longer ours: its new owner redoes from the committed offset
              if (committed > BigInt(last.offset)) {
                resolveOffset(last.offset);
                break;
              }
            }
          }
        }
      },
    });
    const running: RunningSubscription = {
      stop: async () => {
        stopped = true;
        this.running.delete(running);
        await consumer.disconnect();
        await answerer.close();
      },
    };
    this.running.add(running);
    return running;
  }

  async readToEnd(topic: string, onMessage: (message: InboundMessage) => void | Promise<void>): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      // A partition whose leader is just being elected (or, on KRaft, a topic just created) answers
      // NOT_LEADER_OR_FOLLOWER for a moment, and kafkajs's admin does not retry ListOffsets on it.
      const offsets = await whileRetriable(() => admin.fetchTopicOffsets(topic), this.options.readToEndTimeoutMs ?? 120_000);
      ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    } finally {
      await admin.disconnect();
    }
    if (ends.size === 0) return;
    // A throwaway group: kafkajs has no manual assignment, and the reader must not disturb real groups.
    const consumer = this.kafka.consumer({ groupId: `${this.options.clientId}-read-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 500, sessionTimeout: this.options.sessionTimeoutMs ?? 30_000, heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000 });
    const timeoutMs = this.options.readToEndTimeoutMs ?? 120_000;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reading ${topic} to its end took longer than ${timeoutMs} ms; partitions left: ${[...ends.keys()].join(',')}`)), timeoutMs);
        consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            const end = ends.get(batch.partition);
            for (const m of batch.messages) {
              if (end === undefined || BigInt(m.offset) >= end) break;
              await onMessage({ topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: headerText(m.headers) });
              resolveOffset(m.offset);
            }
            // lastOffset() also covers control records that carry no message.
            if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
            if (ends.size === 0) { clearTimeout(timer); resolve(); }
          },
        }).catch((error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error(String(error))); });
      });
    } finally {
      await consumer.disconnect();
    }
  }

  /** A check retried with backoff until it answers; undefined once `givenUp` says the work is no longer ours. */
  private async untilKnown<T>(check: () => Promise<T>, givenUp: () => boolean, onError?: (error: unknown) => void): Promise<T | undefined> {
    for (let attempt = 1; !givenUp(); attempt++) {
      try {
        return await check();
      } catch (error) {
        onError?.(error);
        await sleep(Math.min(RETRY_BACKOFF_MAX_MS, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
    return undefined;
  }

  /** The group's committed offset of the partition (-1: none), read after the answerer settled its last transaction. */
  private async committedOffset(answerer: TransactionalAnswerer, groupId: string, topic: string, partition: number): Promise<bigint> {
    await answerer.settlePrevious();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const at = committed?.partitions.find((p) => p.partition === partition)?.offset;
      return at === undefined ? -1n : BigInt(at);
    } finally {
      await admin.disconnect();
    }
  }

  /** Creates missing topics (production clusters often disable auto-creation). */
  async ensureTopics(names: readonly string[], numPartitions: number, replicationFactor: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = names.filter((t) => !existing.has(t));
      if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor })), waitForLeaders: false });
      await waitForLeaders(admin, names, this.options.requestTimeoutMs ?? 30_000);
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((r) => r.stop()));
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect();
  }

  private async publisher(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      try {
        await producer.connect();
        this.producer = producer;
        return producer;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }
}

/**
 * One transactional producer per subscription. After any failure it is thrown away and a new one is
 * made with the same transactional id: its first transaction's InitProducerId aborts or completes
 * whatever the old one left open (settlePrevious), and kafkajs's transaction state machine never has
 * to recover from a half-done commit.
 */
class TransactionalAnswerer {
  private producer: Producer | null = null;

  constructor(private readonly kafka: Kafka, private readonly transactionalId: string, private readonly transactionTimeoutMs: number) {}

  async commit(records: readonly OutboundRecord[], consumed: { groupId: string; topic: string; partition: number; nextOffset: string }): Promise<void> {
    const producer = await this.ready();
    try {
      const txn = await producer.transaction();
      try {
        if (records.length > 0) await txn.sendBatch({ topicMessages: byTopic(records), acks: -1 });
        await txn.sendOffsets({ consumerGroupId: consumed.groupId, topics: [{ topic: consumed.topic, partitions: [{ partition: consumed.partition, offset: consumed.nextOffset }] }] });
        await txn.commit();
      } catch (error) {
        await txn.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      this.producer = null;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect();
  }

  /**
   * Completes or aborts whatever the last transaction of this transactional id left, and returns once
   * that is done (markers written): then the group's committed offset is stable. An EndTxn that answered
   * OK does not promise that. It takes a new producer's *transactional* InitProducerId, which kafkajs
   * sends only at the first transaction() — its connect() asks for a non-transactional producer id,
   * which settles nothing — retried while the coordinator answers CONCURRENT_TRANSACTIONS. The empty
   * transaction is then aborted locally (kafkajs sends no EndTxn for it).
   */
  async settlePrevious(): Promise<void> {
    await this.close().catch(() => undefined);
    const producer = await this.ready();
    const txn = await producer.transaction();
    await txn.abort();
  }

  private async ready(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = this.kafka.producer({
      transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1,
      transactionTimeout: this.transactionTimeoutMs, createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    this.producer = producer;
    return producer;
  }
}

/**
 * Waits until every partition of the topics has a leader. Not kafkajs's waitForLeaders: on KRaft the
 * broker asked may not know a just-created topic yet and answers UNKNOWN_TOPIC_OR_PARTITION, which
 * kafkajs gives up on (it only retries LEADER_NOT_AVAILABLE).
 */
async function waitForLeaders(admin: Admin, names: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [...names] });
      if (topics.length === names.length && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics without a leader after ${timeoutMs} ms: ${names.join(', ')}`);
    await sleep(100);
  }
}

/** Calls again while kafkajs says the error is retriable, with a short pause, until the deadline. */
async function whileRetriable<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const retriable = typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
      if (!retriable || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** Groups records by topic, keeping their order within each topic (and so within each key). */
function byTopic(records: readonly OutboundRecord[]): TopicMessages[] {
  const grouped = new Map<string, Message[]>();
  for (const r of records) {
    const list = grouped.get(r.topic) ?? [];
    list.push({ key: r.key, value: r.value, headers: r.headers });
    grouped.set(r.topic, list);
  }
  return [...grouped].map(([topic, messages]) => ({ topic, messages }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
