/**
 * What an 18-digit 居民身份证号码 (GB 11643) states of its holder: sex and date of birth, read only when the number's
 * check digit (ISO 7064 MOD 11-2) and date hold — a number that fails either states nothing. Pure.
 */
import * as z from 'zod';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK = '10X98765432';
const calendarDay = z.iso.date();

export interface IdFacts {
  /** gend 性别: 1 男, 2 女 (the 17th digit odd, even). */
  gend: '1' | '2';
  /** brdy 出生日期, yyyy-MM-dd. */
  brdy: string;
}

export function idFactsOf(certno: string): IdFacts | null {
  if (!/^\d{17}[\dXx]$/.test(certno)) return null;
  const sum = WEIGHTS.reduce((s, w, i) => s + w * (certno.charCodeAt(i) - 48), 0);
  if (CHECK[sum % 11] !== certno[17]!.toUpperCase()) return null;
  const brdy = `${certno.slice(6, 10)}-${certno.slice(10, 12)}-${certno.slice(12, 14)}`;
  if (!calendarDay.safeParse(brdy).success) return null;
  return { gend: Number(certno[16]) % 2 === 1 ? '1' : '2', brdy };
}

/** age 年龄: whole years completed on a day (yyyy-MM-dd), as the national tables count it (周岁). */
export function ageOn(brdy: string, day: string): number {
  const years = Number(day.slice(0, 4)) - Number(brdy.slice(0, 4));
  return day.slice(5) < brdy.slice(5) ? years - 1 : years;
}
