/**
 * What each topic must be, as data: partitions, replication, min.insync.replicas, retention and cleanup.
 * The gateway creates missing topics so and reads every topic's settings back at start-up; a setting that
 * differs is drift, reported, and refused in production where it loses data (gateway/stream/wiring.ts).
 * A broker's defaults are not trusted: on a stock cluster settlement.events — the second copy of every
 * settlement, from which `npm run replay` rebuilds — would be deleted after 7 days.
 */
import type { Topics } from './topics.js';

/** What a topic is for decides how long it keeps its records. */
export type TopicRole = 'log' | 'working' | 'dead-letters';

export interface TopicSpec {
  name: string;
  role: TopicRole;
  partitions: number;
  /** -1: the cluster's default.replication.factor. */
  replicationFactor: number;
  /** Topic-level settings the topic is created with and checked against, as Kafka spells them. */
  configs: Readonly<Record<string, string>>;
}

export interface TopicPolicy {
  partitions: number;
  replicationFactor: number;
  /** How long working topics (requests, answers, deliveries) keep their records. */
  retentionMs: number;
  /** How long dead letters are kept: long enough to be read and replayed after an outage is over. */
  dlqRetentionMs: number;
}

/** Kafka's spelling of "for ever" for retention.ms and retention.bytes. */
const KEEP_FOR_EVER = '-1';

/**
 * min.insync.replicas for a replication factor: with three replicas or more, two must have a write before
 * acks=all answers, so one surviving broker never acknowledges alone; fewer replicas cannot afford two.
 */
function minInsyncReplicasFor(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

export function topicSpec(name: string, role: TopicRole, policy: TopicPolicy): TopicSpec {
  const retention = role === 'log' ? KEEP_FOR_EVER : String(role === 'dead-letters' ? policy.dlqRetentionMs : policy.retentionMs);
  return {
    name, role, partitions: policy.partitions, replicationFactor: policy.replicationFactor,
    configs: {
      'cleanup.policy': 'delete',
      'retention.ms': retention,
      // Retention by time alone: a size bound would delete the log's oldest settlements as it grows.
      'retention.bytes': KEEP_FOR_EVER,
      // With the cluster's default replication the gateway cannot know the factor: the cluster's setting stands.
      ...(policy.replicationFactor > 0 ? { 'min.insync.replicas': String(minInsyncReplicasFor(policy.replicationFactor)) } : {}),
    },
  };
}

/** A topic the gateway writes or reads, and what it is for. */
export interface TopicUse { name: string; role: TopicRole }

/** A working topic and its dead letters. */
export const workingTopic = (t: Topics, name: string): TopicUse[] => [{ name, role: 'working' }, { name: t.dlq(name), role: 'dead-letters' }];

/**
 * Every topic the gateway writes or reads: the core's (the log, the intake's) and those the parts' audiences
 * name (`partTopics`, gateway/parts.ts).
 */
export function gatewayTopics(t: Topics, partTopics: readonly TopicUse[], hospitalIds: Iterable<string> = []): TopicUse[] {
  return [
    { name: t.settlementEvents, role: 'log' }, { name: t.dlq(t.settlementEvents), role: 'dead-letters' },
    ...workingTopic(t, t.hisDischarges),
    { name: t.hisSettlements, role: 'working' },
    ...partTopics,
    // The intake scoped per hospital (KAFKA_INTAKE_HOSPITALS): each hospital's own discharges and answers.
    ...[...new Set(hospitalIds)].flatMap((id) => [...workingTopic(t, t.hisDischargesOf(id)), { name: t.hisSettlementsOf(id), role: 'working' as const }]),
  ];
}

/** A topic as the cluster has it. */
export interface TopicState {
  partitions: number;
  replicationFactor: number;
  configs: Readonly<Record<string, string | undefined>>;
}

export interface TopicDrift {
  topic: string;
  setting: string;
  expected: string;
  actual: string;
  /** Whether the difference can lose records (refused at start-up in production). */
  losesData: boolean;
}

/** How the topic differs from its specification; nothing when it matches. */
export function topicDrift(spec: TopicSpec, state: TopicState): TopicDrift[] {
  const drift: TopicDrift[] = [];
  const differs = (setting: string, expected: string, actual: string, losesData: boolean) => { drift.push({ topic: spec.name, setting, expected, actual, losesData }); };
  if (state.partitions !== spec.partitions) differs('partitions', String(spec.partitions), String(state.partitions), false);
  if (spec.replicationFactor > 0 && state.replicationFactor !== spec.replicationFactor) {
    differs('replication.factor', String(spec.replicationFactor), String(state.replicationFactor), state.replicationFactor < Math.min(spec.replicationFactor, 2));
  }
  for (const [setting, expected] of Object.entries(spec.configs)) {
    const actual = state.configs[setting] ?? '(unknown)';
    if (actual !== expected) differs(setting, expected, actual, losesDataBy(spec, setting, actual, state.replicationFactor));
  }
  // Whatever the specification, one surviving replica must never acknowledge a write alone on a replicated topic.
  const minIsr = Number(state.configs['min.insync.replicas']);
  if (spec.configs['min.insync.replicas'] === undefined && state.replicationFactor >= 3 && minIsr < 2) {
    differs('min.insync.replicas', '2', String(minIsr), true);
  }
  return drift;
}

function losesDataBy(spec: TopicSpec, setting: string, actual: string, replicationFactor: number): boolean {
  if (setting === 'min.insync.replicas') return replicationFactor >= 3 && Number(actual) < 2;
  if (spec.role !== 'log') return false;
  // The log: anything that deletes or compacts away a settlement.
  if (setting === 'retention.ms' || setting === 'retention.bytes') return actual !== KEEP_FOR_EVER;
  if (setting === 'cleanup.policy') return actual !== 'delete'; // compaction keeps one record per person
  return false;
}

/** One line per difference, for the log, /readyz and the start-up refusal: names and values only, nothing secret. */
export function driftText(d: TopicDrift): string {
  return `${d.topic}: ${d.setting} is ${d.actual}, specified ${d.expected}${d.losesData ? ' (loses data)' : ''}`;
}
