/**
 * The Kafka bus (kafkajs). Publishing uses one idempotent producer (acks=all, one request in flight,
 * so retries can neither duplicate nor reorder within a session). Subscriptions are
 * consume-transform-produce: each chunk of a batch is answered inside a transaction that also commits
 * the consumed offset (sendOffsets), and consumers read committed data only. A subscription's consumer
 * that kafkajs gives up for good (a non-retriable crash) is replaced after a backoff.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, Partitioners, logLevel as kafkaLogLevel, type Admin, type EachBatchPayload, type LogEntry, type Message, type Producer, type SASLOptions, type TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { headerText, RecordsUndeliverable, SubscriptionCrashed, type Bus, type InboundMessage, type OutboundRecord, type RunningSubscription, type Subscription, type Undeliverable, type UndeliverableReason } from './bus.js';
import { invariant } from '../errors.js';
import { hasKafkaErrorType } from './kafka-errors.js';
import { batchBytes, DEFAULT_MAX_MESSAGE_BYTES, recordBytes } from './record-size.js';
import { topicDrift, type TopicDrift, type TopicSpec, type TopicState } from './topic-specs.js';
import { backoffMs } from '../resilience/backoff.js';

export interface KafkaBusOptions {
  brokers: readonly string[];
  clientId: string;
  /** TLS to the brokers (CA, client certificate and key), as gateway/stream/kafka-access.ts reads them; absent → plaintext. */
  ssl?: ConnectionOptions;
  /** The SASL user (SCRAM) the brokers know the gateway by; absent → none. */
  sasl?: SASLOptions;
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
  /** Messages answered per transaction, for subscriptions that do not say (Subscription.maxMessagesPerTransaction): bounds the work redone after a failure. */
  maxMessagesPerTransaction?: number;
  /** Largest record a subscription's answer may carry (key + value + headers); a larger one is undeliverable (KAFKA_MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /**
   * Attempts at a chunk that end on records the bus cannot write (their topic missing or forbidden, a
   * record too large) before those records are handed to the subscription's `undeliverable` hook (3 by default).
   */
  maxUndeliverableAttempts?: number;
  /** How long readToEnd may take before it gives up. */
  readToEndTimeoutMs?: number;
  /**
   * Pause before a subscription's consumer that kafkajs gave up for good is replaced (1 s by default),
   * doubled for each crash in a row up to restartMaxMs (30 s by default), less up to 20 % jitter; a
   * consumer that was in its group for restartMaxMs before it crashed starts over. Whole milliseconds,
   * 1 ≤ restartInitialMs ≤ restartMaxMs ≤ 10 minutes.
   */
  restartInitialMs?: number;
  restartMaxMs?: number;
  /**
   * Test seam: awaited inside each answer transaction after its records and consumed offset were sent and
   * before the commit — where a long GC pause, a network partition or SIGSTOP leaves an instance holding an
   * open transaction, which is what a test of a stalled instance has to reproduce. Unset in the gateway.
   */
  beforeTransactionCommit?: (consumed: { topic: string; partition: number }) => Promise<void>;
}

/** A transaction or a check retried: doubling from 100 ms to 5 s, waiting 50–100 % of the step so that the gateway's processes retrying after one broker event do not march in step. */
const RETRY_BACKOFF = { initialMs: 100, maxMs: 5_000, jitter: 0.5 };
/** kafkajs's ConfigResourceTypes.TOPIC (its enums are not among the names Node's ESM loader finds in kafkajs's CommonJS exports). */
const TOPIC_RESOURCE = 2;
const UNDELIVERABLE_ATTEMPTS = 3;
const RESTART_INITIAL_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A longer pause than this between two consumers is an outage of our own making, not a backoff. */
const RESTART_LIMIT_MS = 600_000;
/**
 * Restart delays are drawn from [80 %, 100 %] of their step, not with full jitter: instances that crashed
 * together do not all rejoin together, and each pause is still longer than the one before (the runbook's
 * "1 s doubling to 30 s" holds), so a refused consumer never rejoins at once.
 */
const RESTART_JITTER = 0.2;
/** Crashes in a row counted for the backoff; the step reached the cap long before. */
const RESTART_COUNT_MAX = 32;
/** Bounds the reason a crash is logged with. */
const CRASH_REASON_MAX_CHARS = 300;

/**
 * The transactional id of the answers to one consumed partition: the client id, the group, the topic and the
 * partition — the same for whichever instance owns the partition, and for no other partition. kafkajs 2.2.4
 * cannot send the group's generation with TxnOffsetCommit (KIP-447), so Kafka cannot refuse a commit by an
 * instance the group has evicted (a long GC pause, a network partition, SIGSTOP); the partition's new owner
 * initialising this id before it reads the committed offset is what refuses it: the old owner's producer is
 * fenced and its open transaction completed or aborted first. Starts with `<clientId>-`, the prefix the
 * ACL file grants (gateway/stream/kafka-acls.ts); every instance of one group must share the client id.
 */
export function transactionalIdOf(clientId: string, groupId: string, topic: string, partition: number): string {
  return `${clientId}-${groupId}-${topic}-${partition}`;
}

/** Transactional producer errors that say another producer took the transactional id over. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** One kafkajs consumer of a subscription, with a transactional answerer per partition it answers. */
interface ConsumerRun {
  /** Connects, subscribes and runs; on failure stops what it began, then rejects. */
  start(): Promise<void>;
  /** Disconnects the consumer and closes its answerers; every caller gets the same promise. */
  stop(): Promise<void>;
  /** When it last joined its group (Date.now()); undefined while it never has. */
  joinedAt: number | undefined;
}

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
  private readonly restart: RestartBackoff;
  /** Topics seen to exist: a record for any other topic is checked against the cluster before it is sent. */
  private readonly knownTopics = new Set<string>();

  constructor(private readonly options: KafkaBusOptions) {
    this.restart = restartBackoff(options);
    this.kafka = new Kafka({
      brokers: [...options.brokers],
      clientId: options.clientId,
      ...(options.ssl ? { ssl: options.ssl } : {}),
      ...(options.sasl ? { sasl: options.sasl } : {}),
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
    try {
      await producer.sendBatch({ topicMessages: byTopic(records), acks: -1 });
    } catch (error) {
      if (sequencesAdrift(error)) await this.dropPublisher(producer);
      throw error;
    }
  }

  /**
   * A new producer next time: a new producer id, sequences from 0. kafkajs rolls back the sequences of
   * every partition of a produce request that failed, also of those the broker did write, so after a
   * partial failure its next send to those partitions is refused as out of order — for ever, within
   * that producer's session.
   */
  private async dropPublisher(producer: Producer): Promise<void> {
    if (this.producer === producer) this.producer = null;
    await producer.disconnect().catch(() => undefined);
  }

  async subscribe(s: Subscription): Promise<RunningSubscription> {
    let stopped = false;
    let current: ConsumerRun;
    let crashesInARow = 0;
    let restartTimer: ReturnType<typeof setTimeout> | undefined;
    let restarting: Promise<void> = Promise.resolve();
    /**
     * kafkajs restarts a consumer itself after a retriable crash; after any other (an ACL taken away,
     * the group full, an error escaping eachBatch) it has disconnected it for good and the intake would
     * go silent. Then a new consumer with a new answerer takes over after a backoff, as a restarted
     * process would, and keeps the exactly-once promise the same way: before its first chunk of each
     * partition (`checked` starts empty) it initialises that partition's transactional id, which fences
     * the old answerer's, and reads the group's committed offset.
     */
    const gaveUp = (crashed: ConsumerRun, error: unknown): void => {
      if (stopped || crashed !== current || restartTimer !== undefined) return;
      // A consumer that was in its group for a while before it crashed starts the backoff over; one
      // that never got in (still refused) does not.
      if (crashed.joinedAt !== undefined && Date.now() - crashed.joinedAt >= this.restart.maxMs) crashesInARow = 0;
      crashesInARow = Math.min(crashesInARow + 1, RESTART_COUNT_MAX);
      const delay = restartDelay(this.restart, crashesInARow);
      this.tell(s, new SubscriptionCrashed(s.groupId, s.topic, crashReason(error), delay, { cause: error }));
      const released = crashed.stop().catch(() => undefined); // its producer now, not after the pause
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        restarting = (async () => {
          await released;
          if (stopped) return;
          try {
            current = this.consumerRun(s, () => stopped, gaveUp);
            await current.start();
          } catch (startError) {
            gaveUp(current, startError); // e.g. the brokers unreachable: the next try waits longer
          }
        })();
      }, delay);
    };
    current = this.consumerRun(s, () => stopped, gaveUp);
    try {
      await current.start();
    } catch (error) {
      stopped = true;
      clearTimeout(restartTimer);
      throw error;
    }
    const running: RunningSubscription = {
      stop: async () => {
        stopped = true;
        clearTimeout(restartTimer);
        this.running.delete(running);
        await restarting; // a consumer being started is started, then stopped below
        await current.stop();
      },
    };
    this.running.add(running);
    return running;
  }

  /** One consumer of the subscription (consume → handle → answer and commit in one transaction), told to `gaveUp` when kafkajs gives it up for good. */
  private consumerRun(s: Subscription, isStopped: () => boolean, gaveUp: (run: ConsumerRun, error: unknown) => void): ConsumerRun {
    const consumer = this.kafka.consumer({
      groupId: s.groupId,
      readUncommitted: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 500,
      retry: { retries: this.options.retries ?? 5, initialRetryTime: this.options.retryInitialMs ?? 300, maxRetryTime: this.options.retryMaxMs ?? 30_000 },
    });
    const answerers = new PartitionAnswerers((partition) => new TransactionalAnswerer(
      this.kafka, transactionalIdOf(this.options.clientId, s.groupId, s.topic, partition), this.options.transactionTimeoutMs ?? 30_000, this.options.beforeTransactionCommit,
    ));
    const chunkSize = this.options.maxMessagesPerTransaction ?? 100;
    const maxUndeliverable = this.options.maxUndeliverableAttempts ?? UNDELIVERABLE_ATTEMPTS;
    const maxBytes = this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const tell = (error: unknown) => this.tell(s, error);
    /** What the consumer and its answerer did, at debug level: enough to follow a partition's offsets across a crash or a rebalance. */
    const trace = (fields: Record<string, unknown>, message: string) => this.options.logger?.debug({ group: s.groupId, topic: s.topic, ...fields }, `kafka bus: ${message}`);
    /**
     * Partitions checked since this consumer last joined the group. After a join (a rebalance, or the
     * group coordinator's broker dying) the offset the consumer starts from may predate a transaction
     * whose commit a new coordinator is still completing — kafkajs cannot ask for stable offsets
     * (KIP-447) — and redoing from it would answer those messages twice. So before the first chunk of
     * each partition, the old transaction is settled and the group's committed offset read again. The
     * partition's transactional id is shared with whoever owned it before, so settling it also fences an
     * evicted owner that is still running (see transactionalIdOf).
     */
    const checked = new Set<number>();
    /** The answers' bytes per message of the chunk answered last: how many messages the next chunk's transaction has room for. */
    let answerBytesPerMessage = 0;
    const lag = new Map<number, number>();
    const setLag = (partition: number, highWatermark: string, nextOffset: bigint) => {
      lag.set(partition, Math.max(0, Number(BigInt(highWatermark) - nextOffset)));
      this.tellLag(s, lag);
    };
    const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
      const givenUp = () => isStopped() || !isRunning() || isStale();
      const answerer = answerers.of(batch.partition);
      // The group's committed offset once it is known; undefined when the partition is no longer ours.
      const committedOffset = () => this.untilKnown(() => this.committedOffset(answerer, s.groupId, s.topic, batch.partition), givenUp, tell);
      let from = -1n;
      trace({ partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset(), messages: batch.messages.length, checked: checked.has(batch.partition) }, 'batch');
      if (!checked.has(batch.partition)) {
        const committed = await committedOffset();
        trace({ partition: batch.partition, committed: committed?.toString() ?? 'given up' }, 'committed offset before the first chunk');
        if (committed === undefined) return;
        checked.add(batch.partition);
        from = committed;
      }
      const answered = batch.messages.filter((m) => BigInt(m.offset) < from);
      if (answered.length > 0) resolveOffset(answered[answered.length - 1]!.offset);
      const messages: InboundMessage[] = batch.messages.filter((m) => BigInt(m.offset) >= from).map((m) => ({
        topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: headerText(m.headers),
      }));
      if (messages.length > 0) setLag(batch.partition, batch.highWatermark, BigInt(messages[0]!.offset));
      /**
       * The group's committed offset as last read. A check after a failure may find it past the chunk's first
       * message, even past the chunk: another instance owned the partition meanwhile and chunked it its own way.
       * What lies below it is answered, and is never answered again.
       */
      let floor = from;
      for (let start = 0; start < messages.length;) {
        const below = start;
        while (start < messages.length && BigInt(messages[start]!.offset) < floor) start++;
        if (start > below) resolveOffset(messages[start - 1]!.offset);
        if (start >= messages.length) break;
        // As many as the subscription takes, fewer if the last chunk's answers say theirs would not fit in three quarters of the record limit.
        const fitting = answerBytesPerMessage > 0 ? Math.max(1, Math.floor((maxBytes * 3) / 4 / answerBytesPerMessage)) : Infinity;
        let chunk = messages.slice(start, start + Math.min(s.maxMessagesPerTransaction ?? chunkSize, fitting));
        let last = chunk[chunk.length - 1]!;
        let undeliverableAttempts = 0;
        let committedChunk = false;
        for (let attempt = 1; ; attempt++) {
          // A partition taken away in a rebalance is redone by its new owner from the committed offset.
          if (givenUp()) {
            trace({ partition: batch.partition, firstOffset: chunk[0]!.offset, stopped: isStopped(), running: isRunning(), stale: isStale() }, 'chunk given up');
            return;
          }
          try {
            // The last allowed attempt also tries each topic in a transaction of its own (aborted), to find
            // which records the broker refuses; before it, only what can be told without writing is checked.
            const lastTry = s.undeliverable !== undefined && undeliverableAttempts + 1 >= maxUndeliverable;
            let out = await s.handle(chunk);
            // The answers of too many messages would make a batch the broker refuses whole, and no retry of the
            // same chunk could pass: fewer then, handled again (a handler is idempotent; the intake replays).
            let bytes = batchBytes(out);
            while (chunk.length > 1 && bytes > maxBytes) {
              chunk = chunk.slice(0, Math.ceil(chunk.length / 2));
              last = chunk[chunk.length - 1]!;
              out = await s.handle(chunk);
              bytes = batchBytes(out);
            }
            answerBytesPerMessage = bytes / chunk.length;
            // Only a subscription that can stand something in for a record has its records checked first; the
            // others' records go to the broker as they are (a cluster may create a missing topic on produce).
            const failed = s.undeliverable ? await this.undeliverableOf(out, answerer, lastTry) : [];
            if (failed.length > 0) {
              undeliverableAttempts++;
              const counted = failed.map((f) => ({ ...f, attempts: undeliverableAttempts, maxRecordBytes: maxBytes }));
              if (!lastTry || !s.undeliverable) throw new RecordsUndeliverable(counted);
              out = replaceUndeliverable(out, failed, s.undeliverable(counted));
              // What stands for them must be writable itself (e.g. the dead-letter topic exists); else the chunk is retried.
              const still = await this.undeliverableOf(out, answerer, false);
              if (still.length > 0) throw new RecordsUndeliverable(still.map((f) => ({ ...f, attempts: undeliverableAttempts, maxRecordBytes: maxBytes })));
            }
            // A probe that found a refused record threw its producer away, and the next one takes the partition's
            // id over without knowing whether the group moved the partition meanwhile: settle and check first.
            if (!answerer.settled) {
              const committed = await committedOffset();
              trace({ partition: batch.partition, firstOffset: chunk[0]!.offset, committed: committed?.toString() ?? 'given up' }, 'committed offset after a probe');
              if (committed === undefined) return;
              if (committed > BigInt(chunk[0]!.offset)) {
                floor = committed;
                break;
              }
            }
            trace({ partition: batch.partition, firstOffset: chunk[0]!.offset, lastOffset: last.offset, records: out.length, attempt }, 'chunk committing');
            await answerer.commit(out, { groupId: s.groupId, topic: s.topic, partition: batch.partition, nextOffset: (BigInt(last.offset) + 1n).toString() });
            trace({ partition: batch.partition, nextOffset: (BigInt(last.offset) + 1n).toString() }, 'chunk committed');
            resolveOffset(last.offset);
            setLag(batch.partition, batch.highWatermark, BigInt(last.offset) + 1n);
            // Committed: a heartbeat that fails now (the group coordinator's broker died) says nothing of
            // the commit, and must not send a committed chunk down the failure path.
            await heartbeat().catch(tell);
            committedChunk = true;
            break;
          } catch (error) {
            if (hasKafkaErrorType(error, FENCED)) {
              // The partition's transactional id was initialised elsewhere: the group gave the partition to
              // another instance while this one stalled, and that one answers from the committed offset, which
              // this transaction did not move. Retrying, or settling the id to check the offset, would fence
              // the new owner in turn: the chunk is dropped unanswered (kafkajs fetches it again from the last
              // resolved offset should the partition still be ours after the rebalance, checked anew).
              checked.delete(batch.partition);
              trace({ partition: batch.partition, firstOffset: chunk[0]!.offset, lastOffset: last.offset, error: crashReason(error) }, 'chunk fenced; dropped');
              tell(error);
              return;
            }
            // The broker refused a record of the transaction for where it goes or its size: counted, so that
            // the last attempt finds which record it was instead of the partition waiting on it for ever.
            const refusal = error instanceof RecordsUndeliverable ? undefined : undeliverableReason(error);
            if (refusal !== undefined) undeliverableAttempts++;
            // A topic seen before and now unknown was deleted: the next attempt asks the cluster again instead of
            // waiting out kafkajs's metadata retries inside the transaction once more.
            if (refusal === 'topic-missing') this.knownTopics.clear();
            tell(error);
            await sleep(backoffMs(Math.min(attempt, 6), RETRY_BACKOFF));
            await heartbeat().catch(() => undefined);
            // The commit may have gone through with its answer lost (the transaction coordinator died
            // after deciding): redoing the chunk would answer it twice. A new transactional producer
            // first settles the old transaction; then the group's committed offset tells. A check that
            // cannot tell (the coordinator is still moving) is asked again, never taken for "not committed".
            const committed = await committedOffset();
            trace({ partition: batch.partition, firstOffset: chunk[0]!.offset, lastOffset: last.offset, committed: committed?.toString() ?? 'given up', error: crashReason(error) }, 'chunk failed; committed offset');
            if (committed === undefined) return; // the partition is no longer ours: its new owner redoes from the committed offset
            if (committed > BigInt(chunk[0]!.offset)) {
              floor = committed;
              break;
            }
          }
        }
        // Committed: on after its last message (fewer than taken when halved). Else the floor moved: what is left, chunked again.
        if (committedChunk) start = messages.indexOf(last, start) + 1;
      }
    };
    let stopping: Promise<void> | undefined;
    const run: ConsumerRun = {
      start: async () => {
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          trace({ memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined the group');
          checked.clear(); lag.clear(); this.tellLag(s, lag); run.joinedAt = Date.now();
          // A producer per partition no longer ours would hold its connections for nothing.
          const closed = answerers.keepOnly(new Set(payload.memberAssignment[s.topic] ?? []), (error) => trace({ error: crashReason(error) }, 'closing an answerer failed'));
          if (closed.length > 0) trace({ partitions: closed }, 'answerers of partitions no longer ours closed');
        });
        consumer.on(consumer.events.REBALANCING, ({ payload }) => trace({ memberId: payload.memberId }, 'rebalancing'));
        consumer.on(consumer.events.CRASH, ({ payload }) => { if (!payload.restart) gaveUp(run, payload.error); });
        try {
          await consumer.connect();
          await consumer.subscribe({ topic: s.topic, fromBeginning: s.fromBeginning ?? false });
          await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
        } catch (error) {
          await run.stop().catch(() => undefined);
          throw error;
        }
      },
      stop: () => stopping ??= (async () => {
        try {
          await consumer.disconnect();
        } finally {
          await answerers.closeAll();
        }
      })(),
      joinedAt: undefined,
    };
    return run;
  }

  /** Tells the subscription's onLag; a hook that throws is ignored, as onError's. */
  private tellLag(s: Subscription, lag: ReadonlyMap<number, number>): void {
    try {
      s.onLag?.(new Map(lag));
    } catch (hookError) {
      this.options.logger?.warn({ group: s.groupId, topic: s.topic, hookError: errorName(hookError) }, 'kafka bus: the subscription\'s onLag hook threw; ignored');
    }
  }

  /** Tells the subscription's onError. A hook that throws is ignored (logged if the bus has a logger): thrown out of eachBatch it would crash the consumer. */
  private tell(s: Subscription, error: unknown): void {
    try {
      s.onError?.(error);
    } catch (hookError) {
      this.options.logger?.warn({ group: s.groupId, topic: s.topic, hookError: errorName(hookError) }, 'kafka bus: the subscription\'s onError hook threw; ignored');
    }
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
        // lastOffset() also covers control records and aborted transactions' records, which carry no message.
        const reached = (partition: number, lastOffset: string) => {
          const end = ends.get(partition);
          if (end !== undefined && BigInt(lastOffset) + 1n >= end) ends.delete(partition);
          if (ends.size === 0) { clearTimeout(timer); resolve(); }
        };
        // A batch of nothing but an aborted transaction (and its marker) never reaches eachBatch: kafkajs
        // only moves past it, and tells so by this event. A partition ending so would otherwise never be done.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => { if (payload.topic === topic) reached(payload.partition, payload.lastOffset); });
        consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            const end = ends.get(batch.partition);
            for (const m of batch.messages) {
              if (end === undefined || BigInt(m.offset) >= end) break;
              await onMessage({ topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: headerText(m.headers) });
              resolveOffset(m.offset);
            }
            reached(batch.partition, batch.lastOffset());
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
        await sleep(backoffMs(Math.min(attempt, 6), RETRY_BACKOFF));
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

  /**
   * The records that cannot be written: over maxMessageBytes, or for a topic the cluster does not list
   * (missing, or not visible to this client). With `probe`, each remaining topic is also tried in an
   * aborted transaction of its own, which finds a topic the broker refuses to let us write and a record
   * over the topic's own size limit; read_committed readers never see an aborted record.
   */
  private async undeliverableOf(records: readonly OutboundRecord[], answerer: TransactionalAnswerer, probe: boolean): Promise<Array<Omit<Undeliverable, 'attempts' | 'maxRecordBytes'>>> {
    const maxBytes = this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const failed: Array<Omit<Undeliverable, 'attempts' | 'maxRecordBytes'>> = [];
    const unlisted = await this.unlistedTopics(new Set(records.map((r) => r.topic)), probe);
    const rest: OutboundRecord[] = [];
    for (const record of records) {
      const reason = unlisted.get(record.topic);
      if (reason !== undefined) failed.push({ record, reason });
      else if (recordBytes(record) > maxBytes) failed.push({ record, reason: 'too-large' });
      else rest.push(record);
    }
    if (probe) failed.push(...await answerer.refused(rest));
    return failed;
  }

  /**
   * Of the topics, those the cluster does not list to this client, each with why: asked about alone, the
   * broker says whether it is missing or not ours to see (an ACL). `fresh` asks again about topics seen
   * before (one may have been deleted).
   */
  private async unlistedTopics(names: ReadonlySet<string>, fresh: boolean): Promise<Map<string, UndeliverableReason>> {
    const unlisted = new Map<string, UndeliverableReason>();
    if (!fresh && [...names].every((t) => this.knownTopics.has(t))) return unlisted;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const listed = new Set(await admin.listTopics());
      for (const t of listed) this.knownTopics.add(t);
      for (const t of names) {
        if (listed.has(t)) continue;
        this.knownTopics.delete(t);
        const reason = await admin.fetchTopicMetadata({ topics: [t] }).then(() => undefined, (error: unknown) => undeliverableReason(error));
        unlisted.set(t, reason ?? 'topic-missing');
      }
      return unlisted;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Creates the missing topics as specified (production clusters often disable auto-creation), then reads
   * every topic's partitions, replication and settings back and answers how they differ from the specification.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<TopicDrift[]> {
    const names = specs.map((s) => s.name);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length > 0) {
        await admin.createTopics({
          topics: missing.map((s) => ({ topic: s.name, numPartitions: s.partitions, replicationFactor: s.replicationFactor, configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })) })),
          waitForLeaders: false,
        });
      }
      await waitForLeaders(admin, names, this.options.requestTimeoutMs ?? 30_000);
      for (const t of names) this.knownTopics.add(t);
      let states: Map<string, TopicState>;
      try {
        states = await topicStates(admin, specs, this.options.requestTimeoutMs ?? 30_000);
      } catch (error) {
        // Settings that cannot be read cannot be trusted (e.g. no DESCRIBE_CONFIGS right): as a Redis whose
        // durability cannot be checked, a refusal in production, a warning elsewhere.
        const why = error instanceof TopicConfigUnreadable ? error.message : crashReason(error);
        return [{ topic: error instanceof TopicConfigUnreadable ? error.topic : names.join(', '), setting: 'configuration', expected: 'readable (DescribeConfigs)', actual: `unreadable: ${why}`, losesData: true }];
      }
      return specs.flatMap((spec) => topicDrift(spec, states.get(spec.name)!));
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
 * A consumer's answerers, one per partition it answers, made at the partition's first batch and closed when
 * a rebalance takes the partition away, so that an instance holds producers only for what it owns.
 */
class PartitionAnswerers {
  private readonly byPartition = new Map<number, TransactionalAnswerer>();

  constructor(private readonly make: (partition: number) => TransactionalAnswerer) {}

  of(partition: number): TransactionalAnswerer {
    let answerer = this.byPartition.get(partition);
    if (answerer === undefined) {
      answerer = this.make(partition);
      this.byPartition.set(partition, answerer);
    }
    return answerer;
  }

  /** Closes the answerers of partitions not in `owned` (in the background: a rebalance does not wait on them); answers their partitions. */
  keepOnly(owned: ReadonlySet<number>, onError: (error: unknown) => void): number[] {
    const closed: number[] = [];
    for (const [partition, answerer] of this.byPartition) {
      if (owned.has(partition)) continue;
      this.byPartition.delete(partition);
      closed.push(partition);
      answerer.retire().catch(onError);
    }
    return closed;
  }

  async closeAll(): Promise<void> {
    const all = [...this.byPartition.values()];
    this.byPartition.clear();
    await Promise.all(all.map((a) => a.retire()));
  }
}

/**
 * One transactional producer per consumed partition of a consumer (the partition's owner after a rebalance,
 * or a replaced consumer, gets a new answerer with the same transactional id). After any failure it is thrown away and a new one is
 * made with the same transactional id: its first transaction's InitProducerId aborts or completes
 * whatever the old one left open (settlePrevious), and kafkajs's transaction state machine never has
 * to recover from a half-done commit.
 */
class TransactionalAnswerer {
  private producer: Producer | null = null;
  private retired = false;
  private settledProducer = false;

  constructor(
    private readonly kafka: Kafka, private readonly transactionalId: string, private readonly transactionTimeoutMs: number,
    private readonly beforeCommit?: KafkaBusOptions['beforeTransactionCommit'],
  ) {}

  /**
   * Whether the producer is the one settlePrevious made, which the caller followed by reading the committed
   * offset. Only such a producer may commit: any other took the transactional id over (fencing whoever holds
   * the partition now) without knowing what was committed meanwhile.
   */
  get settled(): boolean {
    return this.settledProducer && this.producer !== null;
  }

  async commit(records: readonly OutboundRecord[], consumed: { groupId: string; topic: string; partition: number; nextOffset: string }): Promise<void> {
    const producer = this.producer;
    invariant(this.settledProducer && producer !== null, () => `the answerer of ${this.transactionalId} commits only after settlePrevious and a committed-offset check`);
    try {
      const txn = await producer.transaction();
      try {
        if (records.length > 0) await txn.sendBatch({ topicMessages: byTopic(records), acks: -1 });
        await txn.sendOffsets({ consumerGroupId: consumed.groupId, topics: [{ topic: consumed.topic, partitions: [{ partition: consumed.partition, offset: consumed.nextOffset }] }] });
        await this.beforeCommit?.({ topic: consumed.topic, partition: consumed.partition });
        await txn.commit();
      } catch (error) {
        await txn.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      await this.discard(producer);
      throw error;
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    this.settledProducer = false;
    await producer?.disconnect();
  }

  /** After a failure: the next transaction starts from a new producer, settled again first. */
  private async discard(producer: Producer): Promise<void> {
    this.producer = null;
    this.settledProducer = false;
    await producer.disconnect().catch(() => undefined);
  }

  /** Closes it for good: a batch still holding it after a rebalance took its partition fails instead of opening a producer nobody closes. */
  async retire(): Promise<void> {
    this.retired = true;
    await this.close();
  }

  /**
   * The records the broker refuses, found by sending each topic's records in a transaction that is then
   * aborted (and, for a size refusal, each record of that topic alone). Any other failure is thrown: it
   * says nothing about the records.
   */
  async refused(records: readonly OutboundRecord[]): Promise<Array<{ record: OutboundRecord; reason: UndeliverableReason }>> {
    const refused: Array<{ record: OutboundRecord; reason: UndeliverableReason }> = [];
    for (const { topic, messages } of byTopic(records)) {
      const ofTopic = records.filter((r) => r.topic === topic);
      const reason = await this.refusal(ofTopic);
      if (reason === undefined) continue;
      if (reason !== 'too-large' || messages.length === 1) {
        refused.push(...ofTopic.map((record) => ({ record, reason })));
        continue;
      }
      for (const record of ofTopic) {
        const own = await this.refusal([record]);
        if (own !== undefined) refused.push({ record, reason: own });
      }
    }
    return refused;
  }

  /** Sends the records in a transaction and aborts it: undefined when the broker took them, else why it refused them. */
  private async refusal(records: readonly OutboundRecord[]): Promise<UndeliverableReason | undefined> {
    const producer = await this.ready();
    try {
      const txn = await producer.transaction();
      try {
        await txn.sendBatch({ topicMessages: byTopic(records), acks: -1 });
      } finally {
        await txn.abort().catch(() => undefined);
      }
      return undefined;
    } catch (error) {
      await this.discard(producer);
      const reason = undeliverableReason(error);
      // A topic the cluster lists but the broker calls unknown is moving (an election), not missing.
      if (reason === undefined || reason === 'topic-missing') throw error;
      return reason;
    }
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
    this.settledProducer = true;
  }

  private async ready(): Promise<Producer> {
    if (this.producer) return this.producer;
    if (this.retired) throw new Error(`the answerer of ${this.transactionalId} was closed: its partition is no longer ours`);
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

/** A topic whose settings the broker would not describe (its error code: 29 is TOPIC_AUTHORIZATION_FAILED). */
class TopicConfigUnreadable extends Error {
  constructor(readonly topic: string, readonly errorCode: number) {
    super(`the broker answered DescribeConfigs of ${topic} with error code ${errorCode}`);
    this.name = 'TopicConfigUnreadable';
  }
}

/** Partitions, replication (of the first partition: the others were created alike) and the specified settings of each topic, as the cluster has them. */
async function topicStates(admin: Admin, specs: readonly TopicSpec[], timeoutMs: number): Promise<Map<string, TopicState>> {
  const { topics } = await whileRetriable(() => admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) }), timeoutMs);
  const described = await whileRetriable(() => admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: TOPIC_RESOURCE, name: s.name, configNames: [...new Set([...Object.keys(s.configs), 'min.insync.replicas'])] })),
  }), timeoutMs);
  const states = new Map<string, TopicState>();
  for (const spec of specs) {
    const metadata = topics.find((t) => t.name === spec.name);
    const resource = described.resources.find((r) => r.resourceName === spec.name);
    // The broker answers a resource it will not describe with an error code of its own, not a failed request.
    if (resource && resource.errorCode !== 0) throw new TopicConfigUnreadable(spec.name, resource.errorCode);
    states.set(spec.name, {
      partitions: metadata?.partitions.length ?? 0,
      replicationFactor: metadata?.partitions[0]?.replicas.length ?? 0,
      configs: Object.fromEntries((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue])),
    });
  }
  return states;
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

/** Broker answers after which the idempotent producer's sequence numbers may no longer match the broker's. */
const SEQUENCE_ADRIFT = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'OUT_OF_ORDER_SEQUENCE_NUMBER']);

const sequencesAdrift = (error: unknown): boolean => hasKafkaErrorType(error, SEQUENCE_ADRIFT);

/** Broker answers that refuse a record for where it goes or what it is, by the reason they give. */
const REFUSALS: ReadonlyArray<[UndeliverableReason, ReadonlySet<string>]> = [
  ['topic-forbidden', new Set(['TOPIC_AUTHORIZATION_FAILED'])],
  ['too-large', new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'])],
  ['topic-invalid', new Set(['INVALID_TOPIC_EXCEPTION'])],
  ['topic-missing', new Set(['UNKNOWN_TOPIC_OR_PARTITION'])],
];

function undeliverableReason(error: unknown): UndeliverableReason | undefined {
  return REFUSALS.find(([, types]) => hasKafkaErrorType(error, types))?.[0];
}

/** The records with each undeliverable one taken out and what stands for them in its place (after the chunk's other records: a dead letter's order is its own). */
function replaceUndeliverable(records: readonly OutboundRecord[], failed: ReadonlyArray<{ record: OutboundRecord }>, replacements: readonly OutboundRecord[]): OutboundRecord[] {
  const out = new Set(failed.map((f) => f.record));
  return [...records.filter((r) => !out.has(r)), ...replacements];
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

interface RestartBackoff { initialMs: number; maxMs: number }

function restartBackoff(options: KafkaBusOptions): RestartBackoff {
  const initialMs = options.restartInitialMs ?? RESTART_INITIAL_MS;
  const maxMs = options.restartMaxMs ?? Math.max(RESTART_MAX_MS, initialMs);
  if (!Number.isInteger(initialMs) || !Number.isInteger(maxMs) || initialMs < 1 || maxMs < initialMs || maxMs > RESTART_LIMIT_MS) {
    throw new RangeError(`consumer restart backoff: need whole milliseconds with 1 ≤ restartInitialMs (${initialMs}) ≤ restartMaxMs (${maxMs}) ≤ ${RESTART_LIMIT_MS}`);
  }
  return { initialMs, maxMs };
}

/** The pause before the next consumer after `crashesInARow` crashes: doubling from initialMs, capped, less jitter. */
function restartDelay({ initialMs, maxMs }: RestartBackoff, crashesInARow: number): number {
  return Math.max(1, backoffMs(crashesInARow - 1, { initialMs, maxMs, jitter: RESTART_JITTER }));
}

/**
 * Why kafkajs gave a consumer up, for the log: the innermost cause's Kafka error code (or kafkajs error
 * name) and message. Of an error that is not kafkajs's only the name: its message may quote data.
 */
function crashReason(error: unknown): string {
  let root = error;
  for (let depth = 0; depth < 8 && isRecord(root) && root.cause !== undefined && root.cause !== null; depth++) root = root.cause;
  const name = errorName(root);
  if (!isRecord(root) || !name.startsWith('KafkaJS')) return name;
  const code = typeof root.type === 'string' ? root.type : name;
  const message = typeof root.message === 'string' ? root.message : '';
  return `${code}: ${message}`.slice(0, CRASH_REASON_MAX_CHARS);
}

function errorName(error: unknown): string {
  const name = isRecord(error) ? error.name : undefined;
  return typeof name === 'string' ? name.slice(0, 100) : typeof error;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
