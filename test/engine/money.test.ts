import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRatio, fenTimesShare, formatFen, formatMicroFen, formatPercent, MAX_FEN, parseFen, parsePpm, parseShareText, RATIO_SCALE, roundHalfUpQuotient, roundMicroFen } from '../../gateway/engine/money.js';

describe('money parsing per the contract', () => {
  it.each([
    ['1234.50', 123450], ['0', 0], ['0.1', 10], ['12.34', 1234], [12.6, 1260], [0, 0], [1e6, 100000000], ['90000000.00', MAX_FEN],
  ])('%s → %i fen', (input, fen) => expect(parseFen(input)).toBe(fen));

  it.each([['1.234'], ['-1'], [-0.5], ['1e3'], [1e21], [Number.NaN], [Infinity], ['abc'], [''], [' 1'], ['01'], ['90000000.01'], [0.001], [null], [true]])(
    'rejects %s', (input) => expect(parseFen(input)).toBeNull());

  it('parses ratios to ppm', () => {
    expect(parsePpm('0.10')).toBe(100000);
    expect(parsePpm(0.65)).toBe(650000);
    expect(parsePpm('1')).toBe(RATIO_SCALE);
    expect(parsePpm('1.5')).toBeNull();
    expect(parsePpm('0.1234567')).toBeNull();
    expect(parsePpm(-0.1)).toBeNull();
  });

  it('formats fen as two decimals', () => {
    expect(formatFen(0)).toBe('0.00');
    expect(formatFen(5)).toBe('0.05');
    expect(formatFen(123450)).toBe('1234.50');
    expect(() => formatFen(-1)).toThrow();
    expect(formatPercent(975000)).toBe('97.5%');
  });

  it('rounds half-up once to the fen', () => {
    expect(applyRatio(1, 650000)).toBe(1); // 0.65 fen
    expect(applyRatio(1, 500000)).toBe(1); // 0.5 fen rounds up
    expect(applyRatio(1, 499999)).toBe(0);
    expect(applyRatio(922275, 700000)).toBe(645593); // 6455.925 → 6455.93
    expect(roundMicroFen(1_499_999)).toBe(1);
    expect(roundMicroFen(1_500_000)).toBe(2);
  });
});

describe('integer-fen arithmetic agrees with decimal.js', () => {
  it('on every amount × ratio, rounded half-up', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_FEN }), fc.integer({ min: 0, max: RATIO_SCALE }), (fen, ppm) => {
      const exact = new Decimal(fen).dividedBy(100).times(new Decimal(ppm).dividedBy(RATIO_SCALE)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
      expect(formatFen(applyRatio(fen, ppm))).toBe(exact.toFixed(2));
    }), { numRuns: 20_000 });
  });

  it('on a sum of tier products rounded once', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000_000 }), fc.integer({ min: 0, max: RATIO_SCALE })), { maxLength: 5 }), (parts) => {
      const micro = parts.reduce((s, [fen, ppm]) => s + fen * ppm, 0);
      const exact = parts.reduce((s, [fen, ppm]) => s.plus(new Decimal(fen).dividedBy(100).times(new Decimal(ppm).dividedBy(RATIO_SCALE))), new Decimal(0));
      expect(formatFen(roundMicroFen(micro))).toBe(exact.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2));
    }), { numRuns: 5_000 });
  });

  it('parses any valid amount text exactly as decimal.js reads it', () => {
    const text = fc.tuple(fc.integer({ min: 0, max: 9_999_999 }), fc.constantFrom('', '.', '.x', '.xx')).chain(([whole, shape]) =>
      fc.tuple(fc.constant(String(whole)), fc.constant(shape), fc.integer({ min: 0, max: 99 })).map(([w, s, f]) => (s === '' ? w : s === '.x' ? `${w}.${f % 10}` : s === '.xx' ? `${w}.${String(f).padStart(2, '0')}` : w)));
    fc.assert(fc.property(text, (t) => {
      expect(parseFen(t)).toBe(new Decimal(t).times(100).toNumber());
    }), { numRuns: 10_000 });
    fc.assert(fc.property(fc.integer({ min: 0, max: RATIO_SCALE }), (ppm) => {
      const t = new Decimal(ppm).dividedBy(RATIO_SCALE).toFixed(6);
      expect(parsePpm(t)).toBe(ppm);
      expect(parsePpm(Number(t))).toBe(ppm);
    }), { numRuns: 10_000 });
  });

  it('parse then format is the identity on canonical amounts', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_FEN }), (fen) => {
      expect(parseFen(formatFen(fen))).toBe(fen);
      expect(new Decimal(formatFen(fen)).times(100).toNumber()).toBe(fen);
    }), { numRuns: 5_000 });
  });
});

/** fen × share exactly in integers (BigInt), half-up once: the reference, independent of decimal.js precision. */
function exactHalfUp(fen: number, shareText: string): number {
  const [whole, fraction = ''] = shareText.split('.');
  const scale = 10n ** BigInt(fraction.length);
  const product = BigInt(fen) * BigInt(whole! + fraction);
  return Number((2n * product + scale) / (2n * scale));
}

describe('shares of any precision (乙类先行自付比例)', () => {
  it('multiplies exactly and rounds half-up once, as decimal.js does', () => {
    const share = fc.oneof(
      fc.integer({ min: 0, max: 1_000_000_000 }).map((n) => new Decimal(n).dividedBy(1_000_000_000).toFixed()),
      fc.double({ min: 0, max: 1, noNaN: true }).filter((d) => !/e/i.test(String(d))),
    );
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_FEN }), share, (fen, s) => {
      const text = parseShareText(s)!;
      expect(text).not.toBeNull();
      expect(fenTimesShare(fen, text)).toBe(exactHalfUp(fen, text));
    }), { numRuns: 10_000 });
  });

  it('rounds only once, however many decimals the share has (up to 40): no intermediate rounding to 20 digits', () => {
    // 1 fen × 0.49999999999999999999995 = 0.49999999999999999999995 fen → 0 (decimal.js at 20 digits made it 0.5 → 1)
    expect(fenTimesShare(1, '0.49999999999999999999995')).toBe(0);
    expect(fenTimesShare(1, '0.5000000000000000000000000000000000000000')).toBe(1);
    expect(fenTimesShare(MAX_FEN, `0.${'4'.repeat(39)}9`)).toBe(exactHalfUp(MAX_FEN, `0.${'4'.repeat(39)}9`));
    const long = fc.tuple(fc.integer({ min: 0, max: MAX_FEN }), fc.stringMatching(/^[0-9]{7,40}$/));
    fc.assert(fc.property(long, ([fen, digits]) => {
      const text = `0.${digits}`;
      expect(fenTimesShare(fen, text)).toBe(exactHalfUp(fen, text));
    }), { numRuns: 5_000 });
  });

  it('accepts at most 40 decimals', () => {
    expect(parseShareText(`0.${'1'.repeat(40)}`)).toBe(`0.${'1'.repeat(40)}`);
    expect(parseShareText(`0.${'1'.repeat(41)}`)).toBeNull();
    expect(parseShareText(`1.${'0'.repeat(41)}`)).toBeNull();
  });

  it('refuses what is not a share in [0, 1]', () => {
    for (const bad of ['1.0001', '-0.1', '1e-7', 1e-7, 2, 'abc', '.5']) expect(parseShareText(bad)).toBeNull();
    expect(parseShareText(0.123456789)).toBe('0.123456789');
  });
});

describe('exact quotients and micro-fen text', () => {
  it('rounds a quotient half-up once, as decimal.js does at full precision', () => {
    const Exact = Decimal.clone({ precision: 80 });
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 15n }), (numerator, denominator) => {
      const expected = new Exact(numerator.toString()).dividedBy(denominator.toString()).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
      fc.pre(expected.lte(Number.MAX_SAFE_INTEGER));
      expect(roundHalfUpQuotient(numerator, denominator)).toBe(expected.toNumber());
    }), { numRuns: 5_000 });
    expect(roundHalfUpQuotient(900_004_500_000n, 1_000_000n)).toBe(900_005); // 900004.5 fen (9000.045 yuan) → 9000.05
    expect(() => roundHalfUpQuotient(-1n, 1n)).toThrow();
  });

  it('writes micro-fen with as many decimals as it needs, at least two', () => {
    expect(formatMicroFen(25_000_500_000)).toBe('250.005');
    expect(formatMicroFen(100_000_500_000n)).toBe('1000.005');
    expect(formatMicroFen(100_000_000)).toBe('1.00');
    expect(formatMicroFen(1)).toBe('0.00000001');
  });
});
