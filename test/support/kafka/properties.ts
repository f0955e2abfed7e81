/**
 * server.properties of a test node. Sized for a shared 2-core machine (few threads, small buffers)
 * and for tests (no initial rebalance delay, fast fencing of a killed broker, few internal-topic
 * partitions), with replication settings that fit the cluster: one broker → everything has one
 * replica; three brokers → replication factor 3 and min.insync.replicas 2, like production.
 */
/** transaction.state.log.num.partitions: which partition coordinates a transactional id depends on it. */
export const TRANSACTION_STATE_PARTITIONS = 5;

export type NodeRole = 'combined' | 'broker' | 'controller';

export interface NodeLayout {
  nodeId: number;
  role: NodeRole;
  /** Client listener (absent on a controller-only node). */
  port?: number;
  /** Controller listener (only on nodes that are controllers). */
  controllerPort?: number;
  dataDir: string;
  /** The static controller quorum, e.g. `100@127.0.0.1:40000`. */
  quorumVoters: string;
  /** Brokers in the cluster: sizes every replication setting. */
  brokerCount: number;
}

const HOST = '127.0.0.1';

/**
 * A secured node (test/support/kafka/README.md): clients and the other brokers on a SASL_SSL listener
 * (SCRAM-SHA-256 and -512; brokers among themselves as the super user `admin`), the KRaft controller
 * listener on mutual TLS (a broker is known there by its certificate), and KRaft's StandardAuthorizer
 * with nothing allowed that no ACL grants.
 */
export interface NodeSecurity {
  /** PEM file: the node's certificate and its PKCS#8 key (Kafka's PEM keystore). */
  keystore: string;
  /** PEM file of the CA: what the node trusts. */
  truststore: string;
  /** The super user's SCRAM name and password (inter-broker traffic, the tests' admin). */
  superUser: string;
  superPassword: string;
  /** The principal of the node's certificate on the controller listener (a super user too), e.g. `User:CN=kafka-node`. */
  certificatePrincipal: string;
}

/** Extra or replaced server.properties entries, for a test that needs a broker set up differently. */
export type PropertyOverrides = Readonly<Record<string, string | number | boolean>>;

export function serverProperties(n: NodeLayout, overrides: PropertyOverrides = {}, security?: NodeSecurity): string {
  const replicas = Math.min(3, n.brokerCount);
  const minIsr = Math.min(2, replicas);
  const client = security ? 'SASL_SSL' : 'PLAINTEXT';
  const listeners = [
    ...(n.port !== undefined ? [`${client}://${HOST}:${n.port}`] : []),
    ...(n.controllerPort !== undefined ? [`CONTROLLER://${HOST}:${n.controllerPort}`] : []),
  ];
  const props: Record<string, string | number | boolean> = {
    'process.roles': n.role === 'combined' ? 'broker,controller' : n.role,
    'node.id': n.nodeId,
    'controller.quorum.voters': n.quorumVoters,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': security ? 'SASL_SSL:SASL_SSL,CONTROLLER:SSL' : 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    listeners: listeners.join(','),
    'log.dirs': n.dataDir,
    ...(n.port !== undefined ? { 'advertised.listeners': `${client}://${HOST}:${n.port}`, 'inter.broker.listener.name': client } : {}),
    ...(security ? securedProperties(security) : {}),
    // Replication fitted to the cluster size.
    'default.replication.factor': replicas,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minIsr,
    // Topics the tests create by producing to them (the relay does not create topics itself).
    'auto.create.topics.enable': true,
    'num.partitions': 3,
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.num.partitions': TRANSACTION_STATE_PARTITIONS,
    // Tests: join groups at once; notice a killed broker within seconds, not the 9 s default.
    'group.initial.rebalance.delay.ms': 0,
    'broker.session.timeout.ms': 4_000,
    'broker.heartbeat.interval.ms': 500,
    'replica.lag.time.max.ms': 5_000,
    'unclean.leader.election.enable': false,
    // A small footprint on a shared 2-core machine.
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.replica.fetchers': 1,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.retention.check.interval.ms': 3_600_000,
    'controlled.shutdown.enable': true,
    ...overrides,
  };
  return Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n';
}

function securedProperties(s: NodeSecurity): Record<string, string | boolean> {
  // The super user's own credentials: what a broker presents to the others (inter-broker SCRAM).
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${s.superUser}" password="${s.superPassword}";`;
  return {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': s.keystore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': s.truststore,
    // Brokers reach the controller with their certificate: SCRAM credentials live in the metadata the controller serves.
    'listener.name.controller.ssl.client.auth': 'required',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': jaas,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': jaas,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': false,
    'super.users': `User:${s.superUser};${s.certificatePrincipal}`,
  };
}

/** log4j2 configuration: everything to a file in the node's directory, nothing on the console. */
export function log4jConfig(logFile: string): string {
  return [
    'status = error',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    '',
  ].join('\n');
}
