/** KAFKA_BROKERS=host:port,… points the Kafka tests at an existing cluster instead of brokers started here. */
export function externalBrokers(): string[] {
  return process.env.KAFKA_BROKERS?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
}
