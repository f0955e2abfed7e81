/**
 * How the gateway reaches Kafka and proves who it is (the Kafka side of what gateway/ledger/connect.ts does
 * for Redis): TLS with the configured CA and client certificate, SASL with a SCRAM user whose password is
 * read from its secret reference, and what production asks of both. Every Kafka client of the gateway (the
 * bus of the process, the replay and republish tools) connects with what this answers.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { ConfigError, type Config } from '../config.js';
import { readPemFile, readSecret } from '../secrets.js';

/** kafkajs's `ssl` and `sasl` client options, the files and the secret already read; `warnings` for the start-up log. */
export interface KafkaAccess {
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
  /** What is allowed here but would be refused in production (KAFKA_REQUIRE_SECURE). */
  warnings: string[];
}

const SASL_MECHANISM = { 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512', PLAIN: 'plain' } as const;

/**
 * Reads the TLS files and the SASL password's secret; every problem at once as a ConfigError (names, never
 * values). PLAIN over a connection without TLS is always refused (the password would cross the network as
 * it is). Where KAFKA_REQUIRE_SECURE holds (the default in production) a connection without TLS and one
 * without an identity (a SASL user or a client certificate) are refused; elsewhere they are warnings.
 */
export function kafkaAccess(config: Config, env: NodeJS.ProcessEnv = process.env): KafkaAccess {
  if (!config.KAFKA_BROKERS?.length) return { warnings: [] };
  const problems: string[] = [];
  const weaknesses: string[] = [];
  const protocol = config.KAFKA_SECURITY_PROTOCOL;
  const tlsOn = protocol === 'SSL' || protocol === 'SASL_SSL';
  const saslOn = protocol === 'SASL_SSL' || protocol === 'SASL_PLAINTEXT';
  const saslGiven = config.KAFKA_SASL_MECHANISM ?? config.KAFKA_SASL_USERNAME ?? config.KAFKA_SASL_PASSWORD_SECRET;

  if (!tlsOn && (config.KAFKA_SSL_CA_FILE || config.KAFKA_SSL_CERT_FILE || config.KAFKA_SSL_KEY_FILE)) {
    problems.push(`KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE: given, but KAFKA_SECURITY_PROTOCOL is ${protocol} (use SSL or SASL_SSL)`);
  }
  if ((config.KAFKA_SSL_CERT_FILE === undefined) !== (config.KAFKA_SSL_KEY_FILE === undefined)) problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: give both or neither');
  if (!saslOn && saslGiven !== undefined) problems.push(`KAFKA_SASL_MECHANISM / KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD_SECRET: given, but KAFKA_SECURITY_PROTOCOL is ${protocol} (use SASL_SSL)`);

  let sasl: SASLOptions | undefined;
  if (saslOn) {
    if (!config.KAFKA_SASL_MECHANISM) problems.push(`KAFKA_SASL_MECHANISM: required with ${protocol} (SCRAM-SHA-512 or SCRAM-SHA-256)`);
    if (!config.KAFKA_SASL_USERNAME) problems.push(`KAFKA_SASL_USERNAME: required with ${protocol}`);
    if (!config.KAFKA_SASL_PASSWORD_SECRET) problems.push(`KAFKA_SASL_PASSWORD_SECRET: required with ${protocol} (a reference: {"file":"/run/secrets/kafka-password"} or {"env":"NAME"})`);
    if (config.KAFKA_SASL_MECHANISM === 'PLAIN' && !tlsOn) problems.push('KAFKA_SASL_MECHANISM: PLAIN sends the password as it is; only over TLS (SASL_SSL), or use SCRAM-SHA-512');
    let password: string | undefined;
    if (config.KAFKA_SASL_PASSWORD_SECRET) {
      try {
        password = readSecret(config.KAFKA_SASL_PASSWORD_SECRET, env);
      } catch (error) {
        problems.push(`KAFKA_SASL_PASSWORD_SECRET: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && password !== undefined) {
      sasl = { mechanism: SASL_MECHANISM[config.KAFKA_SASL_MECHANISM], username: config.KAFKA_SASL_USERNAME, password };
    }
  }

  if (!tlsOn) weaknesses.push(`KAFKA_SECURITY_PROTOCOL: ${protocol} sends settlements and patients' data to Kafka without TLS (use SASL_SSL or SSL)`);
  if (!saslOn && !config.KAFKA_SSL_CERT_FILE) weaknesses.push(`KAFKA_SECURITY_PROTOCOL: ${protocol} without a client certificate: the brokers cannot tell the gateway from anyone else, and no ACL can hold (use SASL_SSL with a SCRAM user, or SSL with KAFKA_SSL_CERT_FILE)`);
  const requireSecure = requiresSecureKafka(config);
  if (requireSecure) problems.push(...weaknesses.map((w) => `${w} [KAFKA_REQUIRE_SECURE]`));

  const ca = readPemFile('KAFKA_SSL_CA_FILE', config.KAFKA_SSL_CA_FILE, problems);
  const cert = readPemFile('KAFKA_SSL_CERT_FILE', config.KAFKA_SSL_CERT_FILE, problems);
  const key = readPemFile('KAFKA_SSL_KEY_FILE', config.KAFKA_SSL_KEY_FILE, problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    ...(tlsOn ? { ssl: { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } } : {}),
    ...(sasl ? { sasl } : {}),
    warnings: requireSecure ? [] : weaknesses,
  };
}

/** KAFKA_REQUIRE_SECURE, true in production unless set. */
export const requiresSecureKafka = (config: Config): boolean => config.KAFKA_REQUIRE_SECURE ?? config.NODE_ENV === 'production';

/**
 * A connection the brokers refused for who we are (SASL) or a TLS handshake that failed: configuration
 * problems no retry mends, as a ConfigError naming the variables; undefined for anything else (Kafka merely
 * away: the gateway starts and the outbox holds, as before).
 */
export function kafkaAccessRefusal(error: unknown, config: Config): ConfigError | undefined {
  for (let e: unknown = error, depth = 0; depth < 8 && e instanceof Error; e = e.cause, depth++) {
    const code = 'code' in e ? String(e.code) : '';
    if (e.name === 'KafkaJSSASLAuthenticationError' || /SASL_AUTHENTICATION_FAILED|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM/.test(`${'type' in e ? String(e.type) : ''}`)) {
      return new ConfigError([`KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD_SECRET / KAFKA_SASL_MECHANISM: Kafka refused the user ${config.KAFKA_SASL_USERNAME ?? '(none)'} by ${config.KAFKA_SASL_MECHANISM ?? '(no mechanism)'}: ${e.message}`]);
    }
    if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|DEPTH_ZERO|HOSTNAME/.test(code) || /certificate|handshake|wrong version number|ssl3?_|tlsv1 alert/i.test(e.message)) {
      return new ConfigError([`KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE: the TLS handshake with Kafka failed (${KAFKA_PROTOCOL_HINT[config.KAFKA_SECURITY_PROTOCOL]}): ${code ? `${code}: ` : ''}${e.message}`]);
    }
  }
  return undefined;
}

const KAFKA_PROTOCOL_HINT: Record<Config['KAFKA_SECURITY_PROTOCOL'], string> = {
  PLAINTEXT: 'KAFKA_SECURITY_PROTOCOL is PLAINTEXT: is the listener TLS?',
  SASL_PLAINTEXT: 'KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT: is the listener TLS?',
  SSL: 'the CA, the brokers\' host names, or the client certificate',
  SASL_SSL: 'the CA, the brokers\' host names, or the client certificate',
};
