/**
 * The zip files of 9101/9102, as the platform packs them: one text file in a zip (PKWARE APPNOTE 4.3:
 * local header, data, central directory, end record; stored or deflated, no encryption, no zip64).
 * Reading is bounded: the entry's declared and actual inflated size must stay under a limit (a zip bomb
 * stops at the limit), and its CRC-32 must hold. Written with Node's zlib (deflateRawSync, crc32).
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { NhsaFault } from '../fault.js';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
/** Bit 11 of the flags: the name is UTF-8. */
const UTF8_NAME = 0x0800;

/** A zip holding one file, deflated. */
export function zipOne(name: string, content: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const data = deflateRawSync(content);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(LOCAL, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(UTF8_NAME, 6); local.writeUInt16LE(8, 8);
  local.writeUInt32LE(0, 10); local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26); local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(CENTRAL, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(UTF8_NAME, 8); central.writeUInt16LE(8, 10);
  central.writeUInt32LE(0, 12); central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28); central.writeUInt32LE(0, 42);
  const directoryAt = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12); end.writeUInt32LE(directoryAt, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

const bad = (path: string, why: string) => new NhsaFault(`${path}：文件不是有效的 zip 压缩包（${why}）`);

/** The one file of a zip (the first, if several: the platform packs one), at most `maxBytes` once inflated. */
export function unzipOne(zip: Buffer, maxBytes: number, path: string): { name: string; content: Buffer } {
  // The end record sits in the last 22 bytes plus a comment of at most 65535.
  let end = -1;
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === END) { end = at; break; }
  }
  if (end < 0) throw bad(path, '找不到目录结尾');
  if (zip.readUInt16LE(end + 10) === 0) throw bad(path, '压缩包内没有文件');
  const directory = zip.readUInt32LE(end + 16);
  if (directory + 46 > zip.length || zip.readUInt32LE(directory) !== CENTRAL) throw bad(path, '目录损坏');
  const flags = zip.readUInt16LE(directory + 8);
  const method = zip.readUInt16LE(directory + 10);
  const crc = zip.readUInt32LE(directory + 16);
  const compressed = zip.readUInt32LE(directory + 20);
  const size = zip.readUInt32LE(directory + 24);
  const nameLength = zip.readUInt16LE(directory + 28);
  const localAt = zip.readUInt32LE(directory + 42);
  if (flags & 0x1) throw bad(path, '不支持加密的压缩包');
  if (method !== 0 && method !== 8) throw bad(path, `不支持的压缩方法 ${method}`);
  if (size > maxBytes) throw new NhsaFault(`${path}：文件解压后 ${size} 字节，超过 ${maxBytes} 字节上限`);
  const name = zip.subarray(directory + 46, directory + 46 + nameLength).toString(flags & UTF8_NAME ? 'utf8' : 'latin1');
  if (localAt + 30 > zip.length || zip.readUInt32LE(localAt) !== LOCAL) throw bad(path, '文件头损坏');
  const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
  if (dataAt + compressed > zip.length) throw bad(path, '数据不完整');
  const data = zip.subarray(dataAt, dataAt + compressed);
  let content: Buffer;
  try {
    content = method === 0 ? Buffer.from(data) : inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch {
    throw bad(path, `数据无法解压，或解压后超过 ${maxBytes} 字节上限`);
  }
  if (content.length !== size || crc32(content) !== crc) throw bad(path, '校验和不符');
  return { name, content };
}
