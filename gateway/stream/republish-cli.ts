/**
 * `npm run republish -- --hospital <id> --settlement <id>`: publishes again the events of one settlement
 * that the relay dead-lettered to settlement.events.dlq (a record too large, a record an audience could
 * not route, a record missing from the ledger), once the cause is fixed: rebuilt from the ledger's record in
 * Redis with the ids the relay used (gateway/stream/republish.ts says where they come from), so
 * consumers, which dedupe by ce_id, take each record once. Every record is checked against
 * KAFKA_MAX_MESSAGE_BYTES first; nothing is published unless all of them can be.
 * Exit code 0: published; 1: no dead letter names the settlement (nothing to republish); 2: could not run.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { runCli } from '../ledger/cli.js';
import { openToolStorage } from '../storage.js';
import { loadProgrammes } from '../programmes/load.js';
import { kafkaAccess } from './kafka-access.js';
import { KafkaBus } from './kafka-bus.js';
import { findDeadLettered, republishPlan } from './republish.js';
import { topics } from './topics.js';
import { eventMapping } from './wiring.js';
import { COMPOSED } from '../main.js';

const USAGE = 'usage: npm run republish -- --hospital <id> --settlement <id>   (needs KAFKA_BROKERS and REDIS_URL or REDIS_CLUSTER_NODES)';

async function main(argv: string[]): Promise<number> {
  let args: { hospital?: string; settlement?: string };
  try {
    args = parseArgs({ args: argv, options: { hospital: { type: 'string' }, settlement: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (!args.hospital || !args.settlement) { console.error(USAGE); return 2; }
  const config = loadConfig(process.env, COMPOSED.variables);
  if (!config.KAFKA_BROKERS?.length) { console.error(`KAFKA_BROKERS is not set\n${USAGE}`); return 2; }
  const storage = openToolStorage(config);
  if (!storage) { console.error(`REDIS_URL is not set: the in-memory ledger of a running gateway cannot be read from here\n${USAGE}`); return 2; }
  const { ledger } = storage;
  // The gateway's own TLS and SASL user: on a secured cluster the tool needs its rights (READ on the topics it reads).
  const { warnings, ...access } = kafkaAccess(config);
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  const bus = new KafkaBus({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-republish`, ...access });
  try {
    const record = await ledger.getSettlement(args.hospital, args.settlement);
    if (!record) { console.error(`settlement ${args.settlement} of hospital ${args.hospital} is not in the ledger (restore its record first)`); return 2; }
    const t = topics(config.KAFKA_TOPIC_PREFIX);
    const dlq = t.dlq(t.settlementEvents);
    const events = await findDeadLettered(bus, dlq, args.hospital, args.settlement);
    if (events.length === 0) {
      console.error(`no dead letter on ${dlq} names ${args.hospital}/${args.settlement}: the relay published its events (nothing to republish)`);
      return 1;
    }
    const programmes = loadProgrammes(config.PROGRAMMES_DIR ?? []);
    // The relay's own audiences (main.ts's parts), so that what is republished is what the relay would have sent.
    const mapping = eventMapping(config, COMPOSED.audiences({ config, programmes }));
    const plan = republishPlan(record, events, mapping, config.KAFKA_MAX_MESSAGE_BYTES);
    if (plan.problems.length > 0) {
      console.error(`not republished: ${plan.problems.length} problem(s) remain; nothing was published\n  ${plan.problems.join('\n  ')}`);
      return 2;
    }
    await bus.publish(plan.records);
    console.log(JSON.stringify({
      hospitalId: args.hospital, settlementId: args.settlement, events: events.map((e) => ({ id: e.id, type: e.type })),
      published: plan.records.map((r) => ({ topic: r.topic, ce_id: r.headers.ce_id })),
    }, null, 2));
    return 0;
  } finally {
    await bus.close();
    await ledger.close();
  }
}

runCli(main);
