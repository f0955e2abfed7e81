/**
 * npm run kafka:acls -- <acls.yaml> [--apply]: the published ACL set (deploy/kafka/acls.yaml), with the
 * sections and topics the parts contribute (main.ts's PARTS), for this configuration's topic prefix, printed as kafka-acls.sh commands, or with --apply created through the
 * Admin API as the Kafka user the KAFKA_* variables name (an admin: it needs ALTER on the cluster).
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../config.js';
import { runCli } from '../ledger/cli.js';
import { kafkaAccess } from './kafka-access.js';
import { aclBindings, applyAcls, kafkaAclsCommands, readAclPlan } from './kafka-acls.js';
import { topics } from './topics.js';
import { COMPOSED } from '../main.js';

const USAGE = 'usage: npm run kafka:acls -- <acls.yaml> [--apply]   (KAFKA_BROKERS and the admin user\'s KAFKA_* connection variables; KAFKA_TOPIC_PREFIX)';

async function main(argv: string[]): Promise<number> {
  const files = argv.filter((a) => a !== '--apply');
  if (files.length !== 1 || argv.some((a) => a.startsWith('--') && a !== '--apply')) { console.error(USAGE); return 2; }
  const config = loadConfig();
  const bindings = aclBindings(readAclPlan(readFileSync(files[0]!, 'utf8'), COMPOSED.acls), topics(config.KAFKA_TOPIC_PREFIX));
  if (!argv.includes('--apply')) {
    for (const line of kafkaAclsCommands(bindings, config.KAFKA_BROKERS?.join(','))) console.log(line);
    return 0;
  }
  if (!config.KAFKA_BROKERS?.length) { console.error(`KAFKA_BROKERS is not set\n${USAGE}`); return 2; }
  const { warnings, ...access } = kafkaAccess(config);
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  const admin = new Kafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-acls`, logLevel: logLevel.WARN, ...access }).admin();
  await admin.connect();
  try {
    await applyAcls(admin, bindings);
  } finally {
    await admin.disconnect();
  }
  console.log(`${bindings.length} ACL bindings applied (prefix "${config.KAFKA_TOPIC_PREFIX}")`);
  return 0;
}

runCli(main);
