/**
 * The text of a roster CSV, whatever Excel saved it as. A clerk's "CSV" is often GBK (Excel on a
 * Chinese Windows, no charset said); the gateway reads UTF-8 when the bytes are UTF-8 (with or without
 * a BOM) or the charset says so, and GB18030 (a superset of GBK and GB2312) otherwise, and tells which.
 */
import iconv from 'iconv-lite';
import { InvalidInput } from '../errors.js';

export type CsvEncoding = 'utf-8' | 'gb18030';

const GB_CHARSETS = new Set(['gbk', 'gb2312', 'gb18030', 'cp936', 'x-gbk', 'euc-cn']);
const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);
const BOM = [0xef, 0xbb, 0xbf];

/** The charset parameter of a Content-Type header, lower-cased, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string | null {
  const start = BOM.every((b, i) => bytes[i] === b) ? BOM.length : 0;
  try {
    return utf8.decode(bytes.subarray(start));
  } catch {
    return null;
  }
}

export function decodeCsvBytes(bytes: Buffer, charset?: string): { text: string; encoding: CsvEncoding } {
  if (charset !== undefined && !GB_CHARSETS.has(charset) && !UTF8_CHARSETS.has(charset) && charset !== 'us-ascii') {
    throw new InvalidInput(`不支持的字符集 ${charset}`, [{ path: '(body)', message: '请用 UTF-8 或 GBK/GB18030 保存 CSV' }]);
  }
  if (charset === undefined || !GB_CHARSETS.has(charset)) {
    const text = decodeUtf8(bytes);
    if (text !== null) return { text, encoding: 'utf-8' };
    if (charset !== undefined) {
      throw new InvalidInput('CSV 声明为 UTF-8，但内容不是有效的 UTF-8', [{ path: '(body)', message: '请确认文件编码，或去掉 charset 让网关自动识别' }]);
    }
  }
  return { text: iconv.decode(bytes, 'gb18030'), encoding: 'gb18030' };
}
