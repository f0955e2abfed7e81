/**
 * `npm run replay -- --from-beginning`: reads settlement.events from Kafka (KAFKA_BROKERS) and
 * compares the rebuilt accumulators with the ledger in Redis (REDIS_URL or REDIS_CLUSTER_NODES).
 * Exit code 0: no difference; 1: differences (listed); 2: could not run.
 */
import { loadConfig } from '../config.js';
import { runCli } from '../ledger/cli.js';
import { openToolStorage } from '../storage.js';
import { kafkaAccess } from './kafka-access.js';
import { KafkaBus } from './kafka-bus.js';
import { replayAccumulators } from './replay.js';
import { topics } from './topics.js';

const USAGE = 'usage: npm run replay -- --from-beginning   (needs KAFKA_BROKERS and REDIS_URL or REDIS_CLUSTER_NODES)';

async function main(argv: readonly string[]): Promise<number> {
  // The log has no snapshot to start from, so the beginning is the only honest place; the flag makes that explicit.
  if (!argv.includes('--from-beginning') || argv.some((a) => a !== '--from-beginning')) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  if (!config.KAFKA_BROKERS?.length) { console.error(`KAFKA_BROKERS is not set\n${USAGE}`); return 2; }
  const storage = openToolStorage(config);
  if (!storage) { console.error(`REDIS_URL is not set: the in-memory ledger has nothing to compare with\n${USAGE}`); return 2; }
  const { ledger } = storage;
  // The gateway's own TLS and SASL user: on a secured cluster the tool needs its rights (READ on the topics it reads).
  const { warnings, ...access } = kafkaAccess(config);
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  const bus = new KafkaBus({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-replay`, ...access });
  try {
    const topic = topics(config.KAFKA_TOPIC_PREFIX).settlementEvents;
    const report = await replayAccumulators({ bus, ledger, topic });
    console.log(JSON.stringify({ topic, ...report, differences: report.differences.length }, null, 2));
    if (report.outboxLagAtStart > 0) console.warn(`note: ${report.outboxLagAtStart} outbox entries were not yet on Kafka; differences for their persons are expected until the relay catches up`);
    for (const d of report.differences) console.log(`${d.personId}\t${d.counter}\tlog=${d.fromLog}\tledger=${d.inLedger}`);
    return report.differences.length === 0 ? 0 : 1;
  } finally {
    await bus.close();
    await ledger.close();
  }
}

runCli(main);
