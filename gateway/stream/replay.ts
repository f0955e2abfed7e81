/**
 * Replay: rebuilds every person's accumulators from settlement.events (the sum of each event's
 * `deltas`, each ce_id counted once) and compares them with the ledger's current accumulators.
 * It reports; it does not write — the ledger port has no "set accumulators", on purpose: a repair is
 * a decision for an operator who has read the report.
 */
import type { Outbox, PersonBook } from '../ledger/port.js';
import { settlementEventData } from '../../schemas/messages.js';
import type { Bus } from './bus.js';

export interface ReplayDifference { personId: string; counter: string; fromLog: number; inLedger: number }

export interface ReplayReport {
  events: number;
  /** Records with a ce_id already seen (an at-least-once re-publish): skipped. */
  duplicates: number;
  /** Records that could not be read as settlement events: listed, not summed. */
  unreadable: Array<{ partition: number; offset: string; reason: string }>;
  persons: number;
  /** Outbox entries not yet on Kafka when the replay started: the ledger is ahead of the log by these. */
  outboxLagAtStart: number;
  differences: ReplayDifference[];
}

/** Bounds memory on a huge log: past this many distinct event ids the dedupe set is a ledger-sized problem. */
const SEEN_IDS_MAX = 50_000_000;

export async function replayAccumulators(options: { bus: Bus; ledger: Outbox & PersonBook; topic: string }): Promise<ReplayReport> {
  const { bus, ledger, topic } = options;
  const outboxLagAtStart = await ledger.outboxLag();
  const rebuilt = new Map<string, Map<string, number>>();
  const seen = new Set<string>();
  const report: ReplayReport = { events: 0, duplicates: 0, unreadable: [], persons: 0, outboxLagAtStart, differences: [] };

  await bus.readToEnd(topic, (message) => {
    const id = message.headers.ce_id;
    const personId = message.key?.toString('utf8');
    if (!id || !personId || !message.value) {
      report.unreadable.push({ partition: message.partition, offset: message.offset, reason: 'no ce_id, key or value' });
      return;
    }
    if (seen.has(id)) { report.duplicates++; return; }
    let data;
    try {
      data = settlementEventData.parse(JSON.parse(message.value.toString('utf8')));
    } catch (error) {
      // Not marked seen: a good copy published later under the same ce_id (npm run republish after an entry
      // whose record was missing went out empty) still counts.
      report.unreadable.push({ partition: message.partition, offset: message.offset, reason: error instanceof Error ? error.message.slice(0, 200) : 'unreadable' });
      return;
    }
    if (seen.size >= SEEN_IDS_MAX) throw new Error(`more than ${SEEN_IDS_MAX} events: replay per partition range instead`);
    seen.add(id);
    report.events++;
    const counters = rebuilt.get(personId) ?? new Map<string, number>();
    rebuilt.set(personId, counters);
    for (const [counter, fen] of Object.entries(data.deltas)) counters.set(counter, (counters.get(counter) ?? 0) + fen);
  });

  report.persons = rebuilt.size;
  for (const [personId, counters] of rebuilt) {
    const { values } = await ledger.readAccumulators(personId);
    for (const counter of new Set([...counters.keys(), ...Object.keys(values)])) {
      const fromLog = counters.get(counter) ?? 0;
      const inLedger = values[counter] ?? 0;
      if (fromLog !== inLedger) report.differences.push({ personId, counter, fromLog, inLedger });
    }
  }
  return report;
}
