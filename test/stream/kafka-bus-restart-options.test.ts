/** The consumer restart backoff of KafkaBus is bounded: nonsense is refused when the bus is made, not at 3 a.m. */
import { describe, expect, it } from 'vitest';
import { KafkaBus, type KafkaBusOptions } from '../../gateway/stream/kafka-bus.js';

const bus = (restart: Pick<KafkaBusOptions, 'restartInitialMs' | 'restartMaxMs'>) => new KafkaBus({ brokers: ['127.0.0.1:9'], clientId: 'options-test', ...restart });

describe('KafkaBus restart backoff options', () => {
  it('accepts the defaults and sensible values', () => {
    expect(() => bus({})).not.toThrow();
    expect(() => bus({ restartInitialMs: 200, restartMaxMs: 1_000 })).not.toThrow();
    expect(() => bus({ restartInitialMs: 60_000 })).not.toThrow(); // the cap follows a larger first pause
  });

  it.each([
    [{ restartInitialMs: 0 }],
    [{ restartInitialMs: -5 }],
    [{ restartInitialMs: 1.5 }],
    [{ restartInitialMs: Number.NaN }],
    [{ restartInitialMs: 5_000, restartMaxMs: 1_000 }],
    [{ restartMaxMs: 600_001 }],
    [{ restartMaxMs: Number.POSITIVE_INFINITY }],
  ])('refuses %o', (restart) => {
    expect(() => bus(restart)).toThrow(RangeError);
  });
});
