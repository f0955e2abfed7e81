/** Item 10 of the hardening issue: the slip masks every ID by what it is, never more than a third shown, never a crash. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskId, maskName } from '../../gateway/log.js';

const visible = (masked: string) => [...masked].filter((c) => c !== '*').length;
const idChar = fc.constantFrom(...'0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');

describe('maskId', () => {
  it('for every length 1–64 keeps the length, shows at most a third, and every shown character is in its place', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }).chain((n) => fc.array(idChar, { minLength: n, maxLength: n })), (chars) => {
      const id = chars.join('');
      const masked = maskId(id);
      expect(masked).toHaveLength(id.length);
      expect(visible(masked)).toBeLessThanOrEqual(Math.floor(id.length / 3));
      [...masked].forEach((c, i) => { if (c !== '*') expect(c).toBe(id[i]); });
    }), { numRuns: 2000 });
    // And each length once, exhaustively, with digits only (the shape that used to crash at 9).
    for (let n = 1; n <= 64; n++) {
      const id = '1234567890'.repeat(7).slice(0, n);
      expect(visible(maskId(id))).toBeLessThanOrEqual(Math.floor(n / 3));
    }
  });

  it('masks by what the ID is', () => {
    expect(maskId('371002195001011234')).toBe('37************1234'); // 居民身份证
    expect(maskId('37100219500101123X')).toBe('37************123X');
    expect(maskId('371002500101123')).toBe('3**********1123'); // 15-digit first-generation ID
    expect(maskId('E12345678')).toBe('E******78'); // passport / 港澳通行证 (9): used to answer 500
    expect(maskId('A123456789')).toBe('A*******89'); // 台湾居民身份证 (10): used to print whole
    expect(maskId('H1234567890')).toBe('H********90'); // 港澳居民来往内地通行证 (11)
    expect(maskId('AB')).toBe('**');
  });
});

describe('maskName', () => {
  it('keeps the family name only', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
    expect(maskName('李')).toBe('*');
  });
});
