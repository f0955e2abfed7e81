/**
 * An exact amount of fen as a fraction: what a supplementary rule's base becomes when a plan takes a part
 * of it pro rata (the days of a stay in cover, the part of the year's cost above a threshold, the share of a
 * layer's payment that falls on the items a rule selects). Kept exact through the deductible, the bands and
 * the ratio, so the payer's amount is rounded once, half-up, to the fen (money.ts). BigInt: a numerator of
 * fen × ppm × days passes 2^53.
 */
import { RATIO_SCALE, roundHalfUpQuotient } from './money.js';

const PPM = BigInt(RATIO_SCALE);

export class ExactFen {
  private constructor(readonly num: bigint, readonly den: bigint) {}

  static readonly ZERO = new ExactFen(0n, 1n);

  static fen(fen: number): ExactFen {
    return new ExactFen(BigInt(fen), 1n);
  }

  /** fen × numerator / denominator; a zero denominator is a zero amount (no cost to share). */
  static share(fen: number, numerator: number, denominator: number): ExactFen {
    if (denominator === 0) return ExactFen.ZERO;
    return new ExactFen(BigInt(fen) * BigInt(numerator), BigInt(denominator));
  }

  times(numerator: number, denominator: number): ExactFen {
    if (denominator === 0) return ExactFen.ZERO;
    return new ExactFen(this.num * BigInt(numerator), this.den * BigInt(denominator));
  }

  /** × a ratio in ppm. */
  ratio(ppm: number): ExactFen {
    return new ExactFen(this.num * BigInt(ppm), this.den * PPM);
  }

  plus(other: ExactFen): ExactFen {
    return this.den === other.den ? new ExactFen(this.num + other.num, this.den) : new ExactFen(this.num * other.den + other.num * this.den, this.den * other.den);
  }

  /** this − other, never below zero. */
  less(other: ExactFen): ExactFen {
    const num = this.den === other.den ? this.num - other.num : this.num * other.den - other.num * this.den;
    return num > 0n ? new ExactFen(num, this.den === other.den ? this.den : this.den * other.den) : ExactFen.ZERO;
  }

  compare(other: ExactFen): number {
    const left = this.num * other.den;
    const right = other.num * this.den;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  min(other: ExactFen): ExactFen {
    return this.compare(other) <= 0 ? this : other;
  }

  isWholeFen(): boolean {
    return this.num % this.den === 0n;
  }

  isZero(): boolean {
    return this.num === 0n;
  }

  /** Rounded once, half-up, to the fen. */
  round(): number {
    return roundHalfUpQuotient(this.num, this.den);
  }
}
