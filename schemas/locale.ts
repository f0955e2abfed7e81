/**
 * Field messages in Chinese: clerks and HIS engineers read them (zod's zh-CN locale for its own
 * checks; the schemas' custom messages are written in Chinese). Imported by primitives.ts, which every
 * schema imports, so the locale is in force wherever a schema parses.
 */
import * as z from 'zod';
// The one locale by its own path: `z.locales` would bring every language into the desk's bundle (~260 KB).
import zhCN from 'zod/v4/locales/zh-CN.js';
import { JsonNumberText } from './json-number.js';

z.config(zhCN());
z.config({
  // A number written in a form JSON would rewrite (3.0, 1e2) where no amount is expected: say so plainly.
  customError: (issue) => {
    if (issue.code !== 'invalid_type') return undefined;
    // A field left out says so plainly, rather than "expected string, received undefined".
    if (issue.input === undefined) return '必填项缺失';
    // A number written in a form JSON would rewrite (3.0, 1e2) where no amount is expected: say so plainly.
    if (issue.input instanceof JsonNumberText) return `数字 ${issue.input.text} 请按常规写法（不带多余的零、不用指数），或改用字符串`;
    return undefined;
  },
});
