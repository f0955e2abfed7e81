/** maskedExcerpt: ID numbers and known names masked in a counterpart's free text, before it is cut. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskedExcerpt } from '../../gateway/mask-text.js';

const ID = '990100198001016002';

describe('maskedExcerpt', () => {
  it('masks an ID number that the cut falls inside (the cut part alone no longer looks like an ID)', () => {
    const text = `bad message: "personId":"${ID}","total":"10"`;
    const cut = text.indexOf(ID) + 13;
    const excerpt = maskedExcerpt(text, cut);
    expect(excerpt).toBe('bad message: "personId":"99***********');
    expect(excerpt).not.toContain(ID.slice(0, 8));
  });

  it('masks an 18-character ID ending in X (either case) and a 15-digit first-generation ID', () => {
    expect(maskedExcerpt('certno 35040219900101123X 拒收', 100)).toBe('certno 35************123X 拒收');
    expect(maskedExcerpt('certno=35040219900101123x;', 100)).toBe('certno=35************123x;');
    expect(maskedExcerpt('旧证件号371002500101123不合法', 100)).toBe('旧证件号3**********1123不合法');
  });

  it('masks an ID glued to other digits, as a longer run', () => {
    const masked = maskedExcerpt(`psn ${ID}77`, 100);
    expect(masked).not.toContain(ID.slice(2, 10));
    expect(masked).toHaveLength(`psn ${ID}77`.length);
  });

  it('masks the names and identifiers it is given, wherever they occur', () => {
    expect(maskedExcerpt('psn_name 张三 与 张三 的证件 E12345678', 100, { names: ['张三'], ids: ['E12345678'] }))
      .toBe('psn_name 张* 与 张* 的证件 E******78');
    // A name containing another is masked whole.
    expect(maskedExcerpt('欧阳娜娜，欧阳', 100, { names: ['欧阳', '欧阳娜娜'] })).toBe('欧***，欧*');
    expect(maskedExcerpt('张三', 100, { names: [''] })).toBe('张三');
  });

  it('leaves a text without personal data as it is, only cut', () => {
    const text = 'infcode -1 结算信息校验不通过 at 20240310090000, total 12345.67, H99000000001';
    expect(maskedExcerpt(text, 500)).toBe(text);
    expect(maskedExcerpt(text, 10)).toBe('infcode -1');
    expect(maskedExcerpt('', 10)).toBe('');
  });

  it('cuts by characters, never inside a surrogate pair', () => {
    expect(maskedExcerpt('ab𠮷c', 3)).toBe('ab𠮷');
  });

  it('never lets five digits of an ID through, wherever it stands and wherever the text is cut', () => {
    const filler = fc.string({ unit: fc.constantFrom(...'abc 医保平台拒收：",{}') });
    fc.assert(fc.property(filler, filler, fc.constantFrom(ID, '35040219900101123X', '371002500101123'), fc.integer({ min: 0, max: 80 }), (before, after, id, cut) => {
      expect(maskedExcerpt(`${before}${id}${after}`, cut)).not.toMatch(/\d{5}/);
    }), { numRuns: 1000 });
  });
});
