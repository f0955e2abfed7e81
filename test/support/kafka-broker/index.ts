/**
 * Kafka-protocol test broker: an in-process, single-node stand-in for Kafka
 * that kafkajs talks to over real TCP. Test double only — see README.md.
 */
import { KafkaServer } from './server.js';
import { BrokerState } from './state.js';
import { ApiKey } from './apis/types.js';

export interface TestBroker {
  host: string;
  port: number;
  brokers: string[] /* ["127.0.0.1:port"] */;
  /** closes the listener and all sockets; data kept in memory */
  stop(): Promise<void>;
  /** listen again on the same port with the same data */
  restart(): Promise<void>;
}

const states = new WeakMap<TestBroker, BrokerState>();

export async function startTestBroker(opts?: {
  port?: number;
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
}): Promise<TestBroker> {
  const host = '127.0.0.1';
  const state = new BrokerState({
    nodeId: 0,
    host,
    port: opts?.port ?? 0,
    autoCreateTopics: opts?.autoCreateTopics ?? true,
    defaultPartitions: opts?.defaultPartitions ?? 1,
  });
  let server: KafkaServer | null = new KafkaServer(state);
  const port = await server.listen(state.config.port);
  state.config.port = port;

  const broker: TestBroker = {
    host,
    port,
    brokers: [`${host}:${port}`],
    async stop() {
      const s = server;
      server = null;
      await s?.close();
    },
    async restart() {
      await broker.stop();
      const s = new KafkaServer(state);
      await s.listen(port);
      server = s;
    },
  };
  states.set(broker, state);
  return broker;
}

/**
 * Test-only fault injection, kept off the TestBroker interface: apply the next
 * `times` requests of `api` but close the connection instead of answering,
 * which is how a lost acknowledgement looks to a client.
 */
export function injectFault(broker: TestBroker, fault: { dropResponseOf: keyof typeof ApiKey; times?: number }): void {
  const state = states.get(broker);
  if (!state) throw new Error('not a test broker started by startTestBroker');
  const key = ApiKey[fault.dropResponseOf];
  state.faults.dropResponses.set(key, (state.faults.dropResponses.get(key) ?? 0) + (fault.times ?? 1));
}
