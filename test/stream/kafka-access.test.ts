/**
 * Kafka security by configuration (issue 23, item 2): what kafka-access.ts makes of the KAFKA_* variables —
 * kafkajs's ssl and sasl options with the files and the password's secret read, every impossible combination
 * named at once, plaintext or anonymous connections refused where KAFKA_REQUIRE_SECURE holds (production) and
 * warned about elsewhere, and a refusal by the brokers told as the configuration's fault. Over sockets against
 * a secured broker: test/stream/kafka-secured.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../gateway/config.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { kafkaAccess, kafkaAccessRefusal } from '../../gateway/stream/kafka-access.js';
import { KafkaBus } from '../../gateway/stream/kafka-bus.js';
import { createBus, startStreamIntake } from '../../gateway/stream/wiring.js';
import { programmes } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-kafka-access-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => { const path = join(dir, name); writeFileSync(path, text); return path; };
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
const CERT = file('client.pem', '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
const KEY = file('client.key', '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');
const PASSWORD_FILE = file('kafka-password', 's3cret-from-file\n');

const BROKERS = { KAFKA_BROKERS: 'kafka-0:9093,kafka-1:9093' };
const SCRAM = { ...BROKERS, KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'settlement-gateway', KAFKA_SASL_PASSWORD_SECRET: JSON.stringify({ file: PASSWORD_FILE }), KAFKA_SSL_CA_FILE: CA };

function problemsOf(env: NodeJS.ProcessEnv, secrets: NodeJS.ProcessEnv = {}): string[] {
  try {
    kafkaAccess(loadConfig(env), secrets);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

describe('Kafka access from the configuration', () => {
  it('SASL_SSL with SCRAM: the CA read, the password from its file reference (trailing newline dropped), nothing to warn about', () => {
    const access = kafkaAccess(loadConfig(SCRAM), {});
    expect(access.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'settlement-gateway', password: 's3cret-from-file' });
    expect(access.ssl).toEqual({ ca: [Buffer.from('-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n')] });
    expect(access.warnings).toEqual([]);
  });

  it('SCRAM-SHA-256 with the password from an environment variable; SSL with a client certificate (mutual TLS, no SASL)', () => {
    const scram256 = kafkaAccess(loadConfig({ ...SCRAM, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_PASSWORD_SECRET: '{"env":"KAFKA_PW"}' }), { KAFKA_PW: 'from-env' });
    expect(scram256.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'settlement-gateway', password: 'from-env' });
    const mtls = kafkaAccess(loadConfig({ ...BROKERS, KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: CA, KAFKA_SSL_CERT_FILE: CERT, KAFKA_SSL_KEY_FILE: KEY, NODE_ENV: 'production' }), {});
    expect(mtls).toEqual({ ssl: { ca: [expect.any(Buffer)], cert: expect.any(Buffer), key: expect.any(Buffer) }, warnings: [] });
    expect(mtls.sasl).toBeUndefined();
  });

  it('the password is never in the configuration: only a reference is accepted, and a missing secret names the reference, never a value', () => {
    expect(() => loadConfig({ ...SCRAM, KAFKA_SASL_PASSWORD_SECRET: 's3cret' })).toThrow(/KAFKA_SASL_PASSWORD_SECRET: a secret reference as JSON/);
    expect(problemsOf({ ...SCRAM, KAFKA_SASL_PASSWORD_SECRET: '{"env":"KAFKA_PW"}' })).toEqual(['KAFKA_SASL_PASSWORD_SECRET: the environment variable KAFKA_PW is not set']);
    expect(problemsOf({ ...SCRAM, KAFKA_SASL_PASSWORD_SECRET: JSON.stringify({ file: file('empty', '\n') }) })).toEqual([`KAFKA_SASL_PASSWORD_SECRET: the secret file ${join(dir, 'empty')} is empty`]);
  });

  it('every impossible combination at once, by variable', () => {
    expect(problemsOf({ ...BROKERS, KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toEqual([
      'KAFKA_SASL_MECHANISM: required with SASL_SSL (SCRAM-SHA-512 or SCRAM-SHA-256)',
      'KAFKA_SASL_USERNAME: required with SASL_SSL',
      'KAFKA_SASL_PASSWORD_SECRET: required with SASL_SSL (a reference: {"file":"/run/secrets/kafka-password"} or {"env":"NAME"})',
    ]);
    expect(problemsOf({ ...BROKERS, KAFKA_SSL_CA_FILE: CA, KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE: given, but KAFKA_SECURITY_PROTOCOL is PLAINTEXT (use SSL or SASL_SSL)',
      'KAFKA_SASL_MECHANISM / KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD_SECRET: given, but KAFKA_SECURITY_PROTOCOL is PLAINTEXT (use SASL_SSL)',
    ]);
    expect(problemsOf({ ...SCRAM, KAFKA_SSL_CERT_FILE: CERT })).toEqual(['KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: give both or neither']);
    expect(problemsOf({ ...SCRAM, KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toEqual([`KAFKA_SSL_CA_FILE: ${join(dir, 'missing.pem')} cannot be read (ENOENT)`]);
  });

  it('PLAIN only over TLS, whatever KAFKA_REQUIRE_SECURE says; over TLS it is accepted', () => {
    const plainText = { ...SCRAM, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SSL_CA_FILE: '', KAFKA_REQUIRE_SECURE: 'false' };
    expect(problemsOf(plainText)).toEqual(['KAFKA_SASL_MECHANISM: PLAIN sends the password as it is; only over TLS (SASL_SSL), or use SCRAM-SHA-512']);
    expect(kafkaAccess(loadConfig({ ...SCRAM, KAFKA_SASL_MECHANISM: 'PLAIN' }), {}).sasl).toMatchObject({ mechanism: 'plain' });
  });

  it('production refuses a connection without TLS or without an identity; elsewhere they are warnings', () => {
    const plaintextProblems = [
      'KAFKA_SECURITY_PROTOCOL: PLAINTEXT sends settlements and patients\' data to Kafka without TLS (use SASL_SSL or SSL) [KAFKA_REQUIRE_SECURE]',
      'KAFKA_SECURITY_PROTOCOL: PLAINTEXT without a client certificate: the brokers cannot tell the gateway from anyone else, and no ACL can hold (use SASL_SSL with a SCRAM user, or SSL with KAFKA_SSL_CERT_FILE) [KAFKA_REQUIRE_SECURE]',
    ];
    expect(problemsOf({ ...BROKERS, NODE_ENV: 'production' })).toEqual(plaintextProblems);
    expect(problemsOf({ ...BROKERS, KAFKA_REQUIRE_SECURE: 'true' })).toEqual(plaintextProblems);
    expect(problemsOf({ ...BROKERS, NODE_ENV: 'production', KAFKA_SECURITY_PROTOCOL: 'SSL' })).toEqual([plaintextProblems[1]!.replace('PLAINTEXT', 'SSL')]);
    expect(problemsOf({ ...SCRAM, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SSL_CA_FILE: '', NODE_ENV: 'production' })).toEqual([plaintextProblems[0]!.replace('PLAINTEXT sends', 'SASL_PLAINTEXT sends')]);
    expect(kafkaAccess(loadConfig({ ...BROKERS }), {}).warnings).toEqual(plaintextProblems.map((p) => p.replace(' [KAFKA_REQUIRE_SECURE]', '')));
    expect(kafkaAccess(loadConfig({ ...BROKERS, NODE_ENV: 'production', KAFKA_REQUIRE_SECURE: 'false' }), {}).warnings).toHaveLength(2);
    // No Kafka at all: the in-memory bus, nothing to secure.
    expect(kafkaAccess(loadConfig({ NODE_ENV: 'production' }), {})).toEqual({ warnings: [] });
  });

  it('createBus refuses in production before connecting; the intake on the shared his.discharges is refused there too', async () => {
    expect(() => createBus(loadConfig({ ...BROKERS, NODE_ENV: 'production' }))).toThrow(ConfigError);
    const config = loadConfig({ ...SCRAM, NODE_ENV: 'production' });
    const bus = createBus(config);
    expect(bus).toBeInstanceOf(KafkaBus);
    const service = new SettlementService({ ledger: new MemoryLedger(), programmes });
    const refused = await startStreamIntake(config, bus, service).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused).toMatchObject({ problems: [expect.stringMatching(/^KAFKA_INTAKE_HOSPITALS: the streaming intake would read the shared his.discharges, on which whoever may write settles for any hospital/)] });
    expect(() => loadConfig({ ...SCRAM, KAFKA_INTAKE_HOSPITALS: 'H1,H.2' })).toThrow(/KAFKA_INTAKE_HOSPITALS\.1: hospital ids/);
    await bus.close();
  });

  it('a refusal by the brokers is the configuration\'s fault, named by its variables; Kafka merely away is not', () => {
    const config = loadConfig(SCRAM);
    const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'), { name: 'KafkaJSSASLAuthenticationError' });
    expect(kafkaAccessRefusal(new Error('Connection error', { cause: sasl }), config)?.problems).toEqual([
      `KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD_SECRET / KAFKA_SASL_MECHANISM: Kafka refused the user settlement-gateway by SCRAM-SHA-512: ${sasl.message}`,
    ]);
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(kafkaAccessRefusal(tls, config)?.problems).toEqual([expect.stringMatching(/^KAFKA_SSL_CA_FILE \/ KAFKA_SSL_CERT_FILE \/ KAFKA_SSL_KEY_FILE: the TLS handshake with Kafka failed .*SELF_SIGNED_CERT_IN_CHAIN/)]);
    expect(kafkaAccessRefusal(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9093'), { code: 'ECONNREFUSED' }), config)).toBeUndefined();
  });
});
