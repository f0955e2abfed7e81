/**
 * Topic names. Every name carries the configured prefix (KAFKA_TOPIC_PREFIX, e.g. "prod.") so that
 * several environments, or test runs, can share one cluster. Payload schemas: schemas/messages.ts.
 */

/** A hospital id as KAFKA_INTAKE_HOSPITALS gives it: a legal topic-name segment without a dot. */
const HOSPITAL_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** Kafka's own limit on topic names. */
const TOPIC_NAME_MAX_CHARS = 249;

export interface Topics {
  readonly prefix: string;
  /** Every committed settlement and reversal; key = person id; CloudEvents headers. The log. */
  readonly settlementEvents: string;
  /** Settlement requests sent as messages by hospitals. */
  readonly hisDischarges: string;
  /** Answers to his.discharges, unless the message names another `reply-to`. */
  readonly hisSettlements: string;
  /**
   * A hospital's own discharges topic (KAFKA_INTAKE_HOSPITALS): under the ACLs of deploy/kafka/acls.yaml only
   * that hospital's HIS may write it, and the intake settles on it for that hospital only.
   */
  hisDischargesOf(hospitalId: string): string;
  /** A hospital's own answers topic, beside hisDischargesOf: only that hospital's HIS may read it. */
  hisSettlementsOf(hospitalId: string): string;
  /** Those two names with the id as the parameter `{hospitalId}`, as AsyncAPI writes a channel address. */
  readonly hisDischargesOfAddress: string;
  readonly hisSettlementsOfAddress: string;
  /**
   * A topic a part names (gateway/parts.ts: its audiences' topics), `suffix` after the prefix: the parts' topics
   * share the prefix and Kafka's limit on names with the core's.
   */
  named(suffix: string): string;
  /** The dead-letter topic of a topic: messages that could not be taken, with the reason. */
  dlq(topic: string): string;
  /** Whether a `reply-to` header may name this topic: only hospital answer topics, never the gateway's own logs. */
  isAllowedReplyTo(topic: string): boolean;
}

function hospitalSegment(hospitalId: string): string {
  if (!HOSPITAL_ID.test(hospitalId)) throw new Error(`not a valid hospital id for a topic name: ${hospitalId}`);
  return hospitalId;
}

export function topics(prefix = ''): Topics {
  const name = (suffix: string): string => {
    const full = prefix + suffix;
    if (full.length > TOPIC_NAME_MAX_CHARS) throw new Error(`topic name longer than ${TOPIC_NAME_MAX_CHARS}: ${full}`);
    return full;
  };
  const hisDischarges = name('his.discharges');
  const hisSettlements = name('his.settlements');
  return {
    prefix,
    settlementEvents: name('settlement.events'),
    hisDischarges,
    hisSettlements,
    hisDischargesOf: (hospitalId: string): string => name(`his.discharges.${hospitalSegment(hospitalId)}`),
    hisSettlementsOf: (hospitalId: string): string => name(`his.settlements.${hospitalSegment(hospitalId)}`),
    hisDischargesOfAddress: `${hisDischarges}.{hospitalId}`,
    hisSettlementsOfAddress: `${hisSettlements}.{hospitalId}`,
    named: name,
    dlq: (topic: string): string => `${topic}.dlq`,
    isAllowedReplyTo(topic: string): boolean {
      // A hospital may route its answers to its own his.* topic; letting it name settlement.events
      // or a part's topic would let any producer on his.discharges forge entries in those logs.
      if (topic === hisSettlements) return true;
      const hisPrefix = name('his.');
      return topic.startsWith(hisPrefix) && /^[A-Za-z0-9._-]+$/.test(topic) && topic.length <= TOPIC_NAME_MAX_CHARS &&
        !topic.startsWith(hisDischarges) && !topic.endsWith('.dlq');
    },
  };
}
