/**
 * Streaming intake: settlement requests arriving on his.discharges are settled through the same
 * SettlementService as HTTP and answered on his.settlements (or the message's reply-to). The bus
 * publishes the answers and commits the consumed offsets in one Kafka transaction; the settlement
 * itself is idempotent by (hospital.id, settlementId), so a batch redone after a crash replays the
 * stored split instead of settling twice, and only the transaction that commits is ever seen by
 * read_committed readers: one answer per message.
 *
 * Scoped per hospital (`hospitals`, KAFKA_INTAKE_HOSPITALS): each hospital's HIS writes its own topic,
 * his.discharges.<hospitalId>, which the ACLs let no other HIS write (deploy/kafka/acls.yaml); the intake
 * settles a discharge read there only for that hospital (one for another is dead-lettered, FORBIDDEN on
 * hospital.id, never settled) and answers it on his.settlements.<hospitalId>, which only that HIS may read.
 * Each hospital's topic has its own consumer group (KAFKA_INTAKE_GROUP.<hospitalId>), consumer and
 * transactional answerer, so one hospital's trouble (a topic missing, an ACL taken away) never holds up
 * another's.
 */
import { Forbidden, GatewayError, InvalidInput, PayloadTooLarge } from '../errors.js';
import { internalProblem as internalProblemOf, problemOf } from '../problem-body.js';
import { ledgerRefusal } from '../ledger/errors.js';
import { PROBLEM_TYPES, problemTypeUri } from '../problem-types.js';
import { parseJsonText } from '../service/json-text.js';
import type { SettleOutcome, SettlementService } from '../service/settlements.js';
import type { DeadLetter, DischargeAnswer, UndeliverableReason } from '../../schemas/messages.js';
import type { Problem } from '../../schemas/problem.js';
import type { Bus, InboundMessage, OutboundRecord, RunningSubscription, Undeliverable } from './bus.js';
import { recordBytes } from './record-size.js';
import type { Topics } from './topics.js';

export interface IntakeOptions {
  bus: Bus;
  /** The settlement service (only settle is needed). */
  service: Pick<SettlementService, 'settle'>;
  topics: Topics;
  /** The consumer group; scoped per hospital, each hospital's topic is read by `<groupId>.<hospitalId>`. */
  groupId: string;
  /**
   * The hospitals whose own topics are read (his.discharges.<hospitalId>), each settling for its hospital
   * only; absent → the shared his.discharges, settling for any hospital.
   */
  hospitals?: readonly string[];
  /** As BODY_LIMIT_BYTES for HTTP: a larger message is rejected (413) to the DLQ. */
  maxMessageBytes: number;
  /**
   * Attempts at a message whose settlement fails with something other than a 4xx (ledger down, 503
   * contention, a bug) before it is answered with the problem and dead-lettered. Until then the batch
   * is retried with backoff: an ordered partition must not skip ahead.
   */
  maxAttemptsPerMessage?: number;
  /**
   * Discharges answered per Kafka transaction, at most (fewer when their answers would not fit in a record batch).
   * A transaction costs the same round trips and broker writes whatever it carries, and settling is quick, so the
   * intake takes more than the bus's default (500 rather than 100: ~15 % less CPU per discharge, the broker's included).
   */
  maxMessagesPerTransaction?: number;
  /** Settlements of different persons in one batch run concurrently up to this; one person's stay in order. */
  maxConcurrentPersons?: number;
  clock?: () => Date;
  onAnswered?(outcome: 'settled' | 'replayed' | 'rejected', status: number): void;
  onDeadLetter?(status: number, detail: string): void;
  /** An answer that could not be written was dead-lettered instead (ids and places only: no personal data). */
  onUndeliverable?(answer: UndeliveredAnswer): void;
  onError?(error: unknown): void;
  /** The consumer's lag per partition it holds (Subscription.onLag); scoped per hospital, summed by partition number over the hospitals' topics. */
  onLag?(lagByPartition: ReadonlyMap<number, number>): void;
}

export const REPLY_TO_HEADER = 'reply-to';
export const CORRELATION_ID_HEADER = 'correlation-id';
const ATTEMPT_MEMORY_MAX_ENTRIES = 10_000;
const MESSAGES_PER_TRANSACTION = 500;
/** How much of a wrong hospital id a problem repeats (a real one has at most 32 characters). */
const HOSPITAL_ID_ECHO_MAX_CHARS = 64;

class RetryLater extends Error {
  constructor(override readonly cause: unknown) { super('settlement failed transiently; the batch will be retried'); this.name = 'RetryLater'; }
}

type Outcome = { kind: 'settled'; result: SettleOutcome } | { kind: 'rejected'; problem: Problem };

/** What the log and the metric say of an answer dead-lettered because it could not be written. */
export interface UndeliveredAnswer {
  topic: string;
  reason: UndeliverableReason;
  attempts: number;
  /** Where the discharge message was read. */
  partition: number;
  offset: string;
  /** The message's key (often the person's ID number: masked before it is logged). */
  key: string | null;
  correlationId: string;
  outcome: 'settled' | 'rejected';
  hospitalId?: string;
  settlementId?: string;
}

/** The answer records of this intake, with the message and outcome each answers, for a dead letter if one cannot be written. */
type AnswersSent = WeakMap<OutboundRecord, { message: InboundMessage; outcome: Outcome }>;

export async function startIntake(options: IntakeOptions): Promise<RunningSubscription> {
  const answers: AnswersSent = new WeakMap();
  const clock = options.clock ?? (() => new Date());
  const lagByTopic = new Map<string, ReadonlyMap<number, number>>();
  const onLag = options.onLag;
  const subscribe = (topic: string, groupId: string, hospitalId: string | undefined) => options.bus.subscribe({
    topic,
    groupId,
    // A new group starts at the beginning: discharges sent before the gateway first ran still settle.
    fromBeginning: true,
    maxMessagesPerTransaction: options.maxMessagesPerTransaction ?? MESSAGES_PER_TRANSACTION,
    handle: dischargeHandler(options, answers, hospitalId),
    undeliverable: (failed) => failed.map((f) => undeliveredAnswerLetter(f, answers, options, clock)),
    onError: (error) => options.onError?.(error instanceof RetryLater ? error.cause : error),
    ...(onLag ? { onLag: (lag: ReadonlyMap<number, number>) => { lagByTopic.set(topic, lag); onLag(summedByPartition(lagByTopic.values())); } } : {}),
  });
  if (!options.hospitals) return subscribe(options.topics.hisDischarges, options.groupId, undefined);
  const started = await Promise.allSettled(options.hospitals.map((h) => subscribe(options.topics.hisDischargesOf(h), `${options.groupId}.${h}`, h)));
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const stop = async (): Promise<void> => { await Promise.all(running.map((r) => r.stop())); };
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { stop };
}

function summedByPartition(lags: Iterable<ReadonlyMap<number, number>>): Map<number, number> {
  const sum = new Map<number, number>();
  for (const lag of lags) for (const [partition, messages] of lag) sum.set(partition, (sum.get(partition) ?? 0) + messages);
  return sum;
}

/**
 * The handler alone (the bus makes its output and the offset commit one transaction); with `hospitalId`, the
 * handler of that hospital's own topic.
 */
export function dischargeHandler(options: IntakeOptions, answers?: AnswersSent, hospitalId?: string): (messages: readonly InboundMessage[]) => Promise<OutboundRecord[]> {
  const maxAttempts = options.maxAttemptsPerMessage ?? 20;
  const attempts = new Map<string, number>();
  const clock = options.clock ?? (() => new Date());

  const settleOne = async (message: InboundMessage, body: unknown): Promise<Outcome> => {
    const where = `${message.topic}/${message.partition}/${message.offset}`;
    try {
      const result = await options.service.settle(body, undefined);
      attempts.delete(where);
      return { kind: 'settled', result };
    } catch (error) {
      if (error instanceof GatewayError && error.status < 500) return { kind: 'rejected', problem: problemOf(error) };
      const tried = (attempts.get(where) ?? 0) + 1;
      if (tried < maxAttempts) {
        if (attempts.size >= ATTEMPT_MEMORY_MAX_ENTRIES) attempts.clear();
        attempts.set(where, tried);
        throw new RetryLater(error);
      }
      attempts.delete(where);
      // Still refused by the ledger's Redis (down, failing over, full): the HIS is told so (503, nothing committed), not "internal".
      const known = error instanceof GatewayError ? error : ledgerRefusal(error);
      return { kind: 'rejected', problem: known ? problemOf(known) : internalProblem(error, tried) };
    }
  };

  return async (messages) => {
    const parsed = messages.map((message) => parseMessage(message, options, hospitalId));
    const outcomes: Outcome[] = new Array<Outcome>(messages.length);
    // Same person → same lane, in message order: their accumulators depend on it.
    const lanes = new Map<string, number[]>();
    parsed.forEach((p, index) => {
      if ('problem' in p) { outcomes[index] = { kind: 'rejected', problem: p.problem }; return; }
      const lane = lanes.get(p.personKey) ?? [];
      lane.push(index);
      lanes.set(p.personKey, lane);
    });
    const laneList = [...lanes.values()];
    const concurrency = options.maxConcurrentPersons ?? 16;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < laneList.length) {
        const lane = laneList[next++]!;
        for (const index of lane) {
          const p = parsed[index]!;
          if ('body' in p) outcomes[index] = await settleOne(messages[index]!, p.body);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, laneList.length) }, worker));
    return messages.flatMap((message, index) => {
      const records = answerRecords(message, outcomes[index]!, options, clock, hospitalId);
      answers?.set(records[0]!, { message, outcome: outcomes[index]! });
      return records;
    });
  };
}

type Parsed = { body: unknown; personKey: string } | { problem: Problem };

function parseMessage(message: InboundMessage, options: IntakeOptions, hospitalId: string | undefined): Parsed {
  const replyTo = message.headers[REPLY_TO_HEADER];
  if (hospitalId !== undefined && replyTo !== undefined && replyTo !== options.topics.hisSettlementsOf(hospitalId)) {
    // Scoped, a HIS reads its own answers topic only: an answer sent elsewhere would reach another hospital, or no one.
    return { problem: problemOf(new InvalidInput('reply-to 头指定的主题不允许接收应答', [{ path: `headers.${REPLY_TO_HEADER}`, message: `应为本院应答主题 ${options.topics.hisSettlementsOf(hospitalId)}，或不带此头` }])) };
  }
  if (hospitalId === undefined && replyTo !== undefined && !options.topics.isAllowedReplyTo(replyTo)) {
    return { problem: problemOf(new InvalidInput('reply-to 头指定的主题不允许接收应答', [{ path: `headers.${REPLY_TO_HEADER}`, message: `应为 ${options.topics.hisSettlements} 或其他 ${options.topics.prefix}his.* 应答主题` }])) };
  }
  if (!message.value || message.value.length === 0) return { problem: problemOf(new InvalidInput('消息没有内容', [{ path: '(body)', message: '空消息' }])) };
  if (message.value.length > options.maxMessageBytes) return { problem: problemOf(new PayloadTooLarge(`消息内容超过 ${options.maxMessageBytes} 字节`)) };
  let body: unknown;
  try {
    // The same reading as HTTP bodies: bounded depth, amounts judged on their source text.
    body = parseJsonText(message.value.toString('utf8'), { lossless: true });
  } catch (error) {
    if (error instanceof GatewayError) return { problem: problemOf(error) };
    throw error;
  }
  const bodyHospital = hospitalIdOf(body);
  if (hospitalId !== undefined && bodyHospital !== hospitalId) {
    // Never settled: the topic's ACL vouches for its hospital, not for any hospital the body names.
    return { problem: problemOf(new Forbidden(`主题 ${message.topic} 只受理医院 ${hospitalId} 的结算，该消息未予结算`, [{ path: 'hospital.id', message: `应为 ${hospitalId}${typeof bodyHospital === 'string' ? `，消息为 ${bodyHospital.slice(0, HOSPITAL_ID_ECHO_MAX_CHARS)}` : ''}` }])) };
  }
  return { body, personKey: personKeyOf(body) ?? `${message.partition}/${message.offset}` };
}

/** The patient id if the body has one; schema validation proper happens in the service. */
function personKeyOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || !('patient' in body)) return null;
  const patient = body.patient;
  if (typeof patient !== 'object' || patient === null || !('id' in patient)) return null;
  return typeof patient.id === 'string' ? patient.id : null;
}

/** The hospital id the body names, whatever its type (undefined: none). */
function hospitalIdOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('hospital' in body)) return undefined;
  const hospital = body.hospital;
  return typeof hospital === 'object' && hospital !== null && 'id' in hospital ? hospital.id : undefined;
}

function answerRecords(message: InboundMessage, outcome: Outcome, options: IntakeOptions, clock: () => Date, hospitalId: string | undefined): OutboundRecord[] {
  const { topics } = options;
  const replyTo = message.headers[REPLY_TO_HEADER];
  const answerTopic = hospitalId !== undefined ? topics.hisSettlementsOf(hospitalId)
    : replyTo !== undefined && topics.isAllowedReplyTo(replyTo) ? replyTo : topics.hisSettlements;
  // Without a correlation id the hospital can still match the answer to the message by its position.
  const correlationId = message.headers[CORRELATION_ID_HEADER] ?? `${message.topic}/${message.partition}/${message.offset}`;
  const key = message.key?.toString('utf8') ?? correlationId;
  const headers = { [CORRELATION_ID_HEADER]: correlationId, 'content-type': 'application/json' };
  if (outcome.kind === 'settled') {
    options.onAnswered?.(outcome.result.replay ? 'replayed' : 'settled', outcome.result.replay ? 200 : 201);
    return [{ topic: answerTopic, key, value: settledAnswer(outcome.result), headers }];
  }
  const answer: DischargeAnswer = { outcome: 'rejected', problem: outcome.problem };
  const letter: DeadLetter = {
    problem: outcome.problem,
    original: {
      topic: message.topic, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers: message.headers,
      ...originalValue(message.value),
    },
    deadAt: clock().toISOString(),
  };
  options.onAnswered?.('rejected', outcome.problem.status);
  options.onDeadLetter?.(outcome.problem.status, outcome.problem.detail ?? outcome.problem.title);
  return [
    { topic: answerTopic, key, value: JSON.stringify(answer), headers: { ...headers, 'content-type': 'application/problem+json' } },
    { topic: topics.dlq(message.topic), key, value: JSON.stringify(letter), headers },
  ];
}

/**
 * A settlement's answer. While it is in force, the split is the stored text (as HTTP answers it): not serialised
 * again, and a replay's is the first answer's byte for byte; reversed since, its current status.
 */
function settledAnswer({ record, replay }: SettleOutcome): string {
  if (record.status === 'settled') return `{"outcome":"settled","replay":${replay},"split":${record.firstAnswer}}`;
  const answer: DischargeAnswer = { outcome: 'settled', replay, split: record.split };
  return JSON.stringify(answer);
}

const UNDELIVERABLE_WORDS: Record<UndeliverableReason, string> = {
  'topic-missing': '应答主题不存在',
  'topic-forbidden': '网关无权写入应答主题',
  'topic-invalid': '应答主题名无效',
  'too-large': '应答超过 Kafka 消息大小上限',
};

/**
 * The dead letter that stands for an answer the bus could not write: the original message, why, and what
 * the hospital needs to recover — a settled stay stays settled, so the letter names it and where the
 * HTTP API serves it. Throws for a record that is not an answer of this intake (its own dead letter
 * unwritable: the dead-letter topic is missing), which the bus then retries like any failure.
 */
function undeliveredAnswerLetter(failed: Undeliverable, answers: AnswersSent, options: IntakeOptions, clock: () => Date): OutboundRecord {
  const sent = answers.get(failed.record);
  if (!sent) throw new Error(`a record for ${failed.record.topic} that is not an answer cannot be written (${failed.reason}): is the dead-letter topic there?`);
  const { message, outcome } = sent;
  const topic = failed.record.topic;
  const split = outcome.kind === 'settled' ? outcome.result.split : undefined;
  const lookup = split ? `/v1/settlements/${encodeURIComponent(split.hospitalId)}/${encodeURIComponent(split.settlementId)}` : undefined;
  const words = `${UNDELIVERABLE_WORDS[failed.reason]}（${topic}），已尝试 ${failed.attempts} 次`;
  const detail = outcome.kind === 'settled'
    ? `结算已完成，但${words}：请凭结算号查询结果（GET ${lookup}），或原样重发该消息取得同一应答；切勿以新结算号重新结算`
    : `该消息未予结算（${outcome.problem.title}），且${words}`;
  const type = PROBLEM_TYPES['answer-undeliverable'];
  const fromHeader = message.headers[REPLY_TO_HEADER] !== undefined && failed.reason !== 'too-large';
  const letterOf = (value: Pick<DeadLetter['original'], 'value' | 'valueEncoding'>): DeadLetter => ({
    problem: { type: problemTypeUri('answer-undeliverable'), code: type.code, title: type.title, status: type.status, detail, errors: [{ path: fromHeader ? `headers.${REPLY_TO_HEADER}` : '(answer)', message: words }] },
    original: {
      topic: message.topic, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers: message.headers,
      ...value,
    },
    deadAt: clock().toISOString(),
    undeliveredAnswer: {
      topic, reason: failed.reason, attempts: failed.attempts, outcome: outcome.kind,
      ...(outcome.kind === 'settled' ? { replay: outcome.result.replay, gatewayId: outcome.result.split.gatewayId, settlementId: outcome.result.split.settlementId, hospitalId: outcome.result.split.hospitalId, lookup } : {}),
    },
  });
  const correlationId = failed.record.headers[CORRELATION_ID_HEADER] ?? `${message.topic}/${message.partition}/${message.offset}`;
  options.onUndeliverable?.({
    topic, reason: failed.reason, attempts: failed.attempts, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8') ?? null,
    correlationId, outcome: outcome.kind, ...(split ? { hospitalId: split.hospitalId, settlementId: split.settlementId } : {}),
  });
  const recordOf = (letter: DeadLetter): OutboundRecord => ({ topic: options.topics.dlq(message.topic), key: failed.record.key, value: JSON.stringify(letter), headers: { ...failed.record.headers, 'content-type': 'application/json' } });
  const withOriginal = recordOf(letterOf(originalValue(message.value)));
  // A message near the size limit does not fit again inside its letter: the letter then names it by its place (topic, partition, offset).
  return recordBytes(withOriginal) <= failed.maxRecordBytes ? withOriginal : recordOf(letterOf({ value: null, valueEncoding: 'utf8' }));
}

function originalValue(value: Buffer | null): { value: string | null; valueEncoding: 'utf8' | 'base64' } {
  if (value === null) return { value: null, valueEncoding: 'utf8' };
  const text = value.toString('utf8');
  // Invalid UTF-8 would not survive the round trip: keep the exact bytes instead.
  return Buffer.from(text, 'utf8').equals(value) ? { value: text, valueEncoding: 'utf8' } : { value: value.toString('base64'), valueEncoding: 'base64' };
}

function internalProblem(error: unknown, attempts: number): Problem {
  return internalProblemOf(`结算已失败 ${attempts} 次（${error instanceof Error ? error.name : '未知错误'}），该消息已转入死信；请重新发送或联系运维`);
}
