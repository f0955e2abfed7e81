/**
 * An exact amount of fen as a fraction: what a supplementary rule's base becomes when a plan takes a part
 * of it pro rata (the days of a stay in cover, the part of the year's cost above a threshold, the share of a
 * layer's payment that falls on the items a rule selects). Kept exact through the deductible, the bands and
 * the ratio, so the payer's amount is rounded once, half-up, to the fen (money.ts).
 *
 * Held as two safe integers while they stay safe — the common case, a whole amount times a ratio in ppm, is
 * below 2^53 — and as BigInts once a product would pass it (fen × ppm × days does): every settlement runs
 * through here, and BigInt arithmetic allocates at each step.
 */
import { RATIO_SCALE, roundHalfUpQuotient } from './money.js';

const safe = Number.isSafeInteger;

export class ExactFen {
  /** Either `n`/`d` (safe integers) or, when `big`, `bn`/`bd`. */
  private constructor(
    private readonly n: number,
    private readonly d: number,
    private readonly bn: bigint,
    private readonly bd: bigint,
    private readonly big: boolean,
  ) {}

  private static small(n: number, d: number): ExactFen {
    return new ExactFen(n, d, 0n, 1n, false);
  }

  private static large(bn: bigint, bd: bigint): ExactFen {
    return new ExactFen(0, 1, bn, bd, true);
  }

  private get num(): bigint {
    return this.big ? this.bn : BigInt(this.n);
  }

  private get den(): bigint {
    return this.big ? this.bd : BigInt(this.d);
  }

  static readonly ZERO = ExactFen.small(0, 1);

  static fen(fen: number): ExactFen {
    return ExactFen.small(fen, 1);
  }

  /** fen × numerator / denominator; a zero denominator is a zero amount (no cost to share). */
  static share(fen: number, numerator: number, denominator: number): ExactFen {
    return denominator === 0 ? ExactFen.ZERO : ExactFen.fen(fen).times(numerator, denominator);
  }

  times(numerator: number, denominator: number): ExactFen {
    if (denominator === 0) return ExactFen.ZERO;
    if (!this.big) {
      const n = this.n * numerator;
      const d = this.d * denominator;
      if (safe(n) && safe(d)) return ExactFen.small(n, d);
    }
    return ExactFen.large(this.num * BigInt(numerator), this.den * BigInt(denominator));
  }

  /** × a ratio in ppm. */
  ratio(ppm: number): ExactFen {
    return this.times(ppm, RATIO_SCALE);
  }

  plus(other: ExactFen): ExactFen {
    if (other.isZero()) return this;
    if (this.isZero()) return other;
    if (!this.big && !other.big) {
      if (this.d === other.d) {
        const n = this.n + other.n;
        if (safe(n)) return ExactFen.small(n, this.d);
      } else {
        const n = this.n * other.d + other.n * this.d;
        const d = this.d * other.d;
        if (safe(this.n * other.d) && safe(other.n * this.d) && safe(n) && safe(d)) return ExactFen.small(n, d);
      }
    }
    return ExactFen.large(this.num * other.den + other.num * this.den, this.den * other.den);
  }

  /** this − other, never below zero. */
  less(other: ExactFen): ExactFen {
    if (other.isZero()) return this;
    if (!this.big && !other.big) {
      if (this.d === other.d) return this.n > other.n ? ExactFen.small(this.n - other.n, this.d) : ExactFen.ZERO;
      const left = this.n * other.d;
      const right = other.n * this.d;
      const d = this.d * other.d;
      if (safe(left) && safe(right) && safe(d)) return left > right ? ExactFen.small(left - right, d) : ExactFen.ZERO;
    }
    const n = this.num * other.den - other.num * this.den;
    return n > 0n ? ExactFen.large(n, this.den * other.den) : ExactFen.ZERO;
  }

  compare(other: ExactFen): number {
    if (!this.big && !other.big) {
      const left = this.n * other.d;
      const right = other.n * this.d;
      if (safe(left) && safe(right)) return left < right ? -1 : left > right ? 1 : 0;
    }
    const left = this.num * other.den;
    const right = other.num * this.den;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  min(other: ExactFen): ExactFen {
    return this.compare(other) <= 0 ? this : other;
  }

  isWholeFen(): boolean {
    return this.big ? this.bn % this.bd === 0n : this.n % this.d === 0;
  }

  isZero(): boolean {
    return this.big ? this.bn === 0n : this.n === 0;
  }

  /** Rounded once, half-up, to the fen. */
  round(): number {
    if (!this.big) {
      if (this.d === 1) return this.n;
      const twice = 2 * this.n + this.d;
      if (safe(twice) && safe(2 * this.d)) return Math.floor(twice / (2 * this.d));
    }
    return roundHalfUpQuotient(this.num, this.den);
  }

  /** Rounded down to the fen: a pool a payment may not exceed. */
  floor(): number {
    if (!this.big) return Math.floor(this.n / this.d);
    return Number(this.bn / this.bd);
  }
}
