/** The local stack runs the Kafka the tests run on: one pin, in test/support/kafka/pom.xml. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KAFKA_VERSION } from '../support/kafka/jars.js';

describe('Kafka version', () => {
  it('deploy/docker-compose.yml uses apache/kafka at the version the tests resolve through Maven', () => {
    const compose = parse(readFileSync(join(import.meta.dirname, '../../deploy/docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string }> };
    const images = Object.values(compose.services).map((s) => s.image ?? '').filter((image) => image.startsWith('apache/kafka:'));
    expect(images).toEqual([`apache/kafka:${KAFKA_VERSION}`]);
  });
});
