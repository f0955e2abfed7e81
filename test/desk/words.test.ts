/** The slip's words: 大写金额 read back to the same amount for every amount the gateway allows; times to the minute; plain explanations. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amountInWords, chinaMinute, patientExplanation } from '../../gateway/desk/slip/words.js';
import { MAX_FEN } from '../../gateway/engine/money.js';

const DIGIT: Record<string, number> = { 零: 0, 壹: 1, 贰: 2, 叁: 3, 肆: 4, 伍: 5, 陆: 6, 柒: 7, 捌: 8, 玖: 9 };
const SMALL: Record<string, number> = { 拾: 10, 佰: 100, 仟: 1000 };

/** An independent reader of 大写: what a bank clerk does with the words. */
function readWords(words: string): number {
  const plain = words.replace(/整$/, '');
  const [yuanPart = '', rest = ''] = plain.includes('元') ? plain.split('元') : ['', plain];
  let total = 0; let section = 0; let digit = 0;
  for (const c of yuanPart) {
    if (c in DIGIT) digit = DIGIT[c]!;
    else if (c in SMALL) { section += digit * SMALL[c]!; digit = 0; }
    else if (c === '万') { total += (section + digit) * 10_000; section = 0; digit = 0; }
    else if (c === '亿') { total = (total + section + digit) * 100_000_000; section = 0; digit = 0; }
    else throw new Error(`unexpected ${c} in ${words}`);
  }
  const yuan = total + section + digit;
  const jiao = /([壹贰叁肆伍陆柒捌玖])角/.exec(rest);
  const fen = /([壹贰叁肆伍陆柒捌玖])分/.exec(rest);
  return yuan * 100 + (jiao ? DIGIT[jiao[1]!]! * 10 : 0) + (fen ? DIGIT[fen[1]!]! : 0);
}

describe('amountInWords', () => {
  it('writes the worked examples as a cheque writer would', () => {
    expect(amountInWords(276682)).toBe('贰仟柒佰陆拾陆元捌角贰分');
    expect(amountInWords(10000)).toBe('壹佰元整');
    expect(amountInWords(1000507)).toBe('壹万零伍元零柒分');
    expect(amountInWords(101000)).toBe('壹仟零壹拾元整');
    expect(amountInWords(1050)).toBe('壹拾元伍角整');
    expect(amountInWords(5)).toBe('伍分');
    expect(amountInWords(0)).toBe('零元整');
    expect(amountInWords(MAX_FEN)).toBe('玖仟万元整');
    expect(amountInWords(10_000_000_000)).toBe('壹亿元整');
  });

  it('reads back to the same amount, with no doubled 零, for every amount up to the limit', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_FEN }), (fen) => {
      const words = amountInWords(fen);
      expect(readWords(words)).toBe(fen);
      expect(words).not.toMatch(/零零|^零(?!元整)|零元(?!整)|零整/);
      expect(words).toMatch(/[整分]$/);
    }), { numRuns: 5000 });
  });
});

describe('chinaMinute', () => {
  it('prints an instant as China wall time to the minute', () => {
    expect(chinaMinute('2026-11-25T22:29:07+08:00')).toBe('2026-11-25 22:29');
    expect(chinaMinute('2024-03-10T01:12:44Z')).toBe('2024-03-10 09:12');
  });
});

describe('patientExplanation', () => {
  const line = { layer: 'basic' as const, payer: 'x', amount: '100.00' };
  it('keeps internals (field names, programme ids, "政策包", cites) off the slip', () => {
    expect(patientExplanation({ ...line, programme: 'upstream', mode: 'given', explanation: ['基本医疗保险由上游结算确定（upstream.basic），按原值计入：100.00'] })).toEqual(['由医保信息平台结算，金额按平台结算结果计入。']);
    expect(patientExplanation({ ...line, programme: 'none', mode: 'computed', amount: '0.00', explanation: ['参保地 371002 于 2024-03-10 无大病保险政策包，且请求未提供上游金额，本层支付 0.00'] }).join()).not.toMatch(/政策包|371002/);
    const steps = patientExplanation({ ...line, programme: 'demo-990000-2024-basic', mode: 'computed', explanation: [
      '示例地区城乡居民基本医疗保险（2024）（demo-990000-2024-basic 2024.1）',
      '3级医院：起付线 1000.00 元，支付比例 65%（示例地区政策·起付线（每次住院，一/二/三级））',
      '本层支付 100.00',
    ] });
    expect(steps.join()).not.toMatch(/demo-990000|本层支付|示例地区政策·/);
    expect(steps.join()).toContain('起付线 1000.00 元');
  });
});
