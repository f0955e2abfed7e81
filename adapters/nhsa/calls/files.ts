/**
 * 9101 文件上传 and 9102 文件下载: the files of the national 3202 (the hospital's detail file up, the
 * result file down), kept in the document store (`nhsa.files`) for FILE_HOURS and bounded in size.
 * A file belongs to the hospital that uploaded it (or whose 3202 made it): another hospital's file_qury_no
 * is answered as unknown.
 */
import { z } from 'zod';
import type { DocumentStore } from '../../../gateway/store/port.js';
import { chinaTime, ulid } from '../../../gateway/service/ids.js';
import { NhsaFault } from '../fault.js';
import { nationalTime } from '../settlement-2304.js';
import { parse, type Call } from './context.js';

export const FILES = 'nhsa.files';
/** How long a file can be downloaded (dld_endtime): a month's 对账 is done within days. */
export const FILE_HOURS = 72;
/** An uploaded zip at most (before BODY_LIMIT_BYTES, which bounds the call itself). */
export const FILE_MAX_BYTES = 5 * 1024 * 1024;
/** Expired files removed per upload at most: bounded work, the backlog still drains. */
const PRUNE_MAX = 100;

const storedFile = z.object({
  fixmedins_code: z.string(),
  filename: z.string(),
  kind: z.enum(['upload', 'result']),
  /** The file's bytes, base64. */
  content: z.string(),
  dld_endtime: z.string(),
  /** Epoch seconds after which it is gone. */
  expires: z.number(),
});
export type StoredFile = z.infer<typeof storedFile>;

const filename = z.string().min(1, '必填项缺失').max(200, '长度不能超过 200').regex(/^[^/\\]+$/, '文件名不得含路径分隔符（控制字符已由报文检查拒绝）');
const code = z.string().min(1, '必填项缺失').max(30, '长度不能超过 30');

/** 9101: `in` is the file's bytes — base64 text, or an array of byte values (-128–255) as Java and C# serialise byte[]. */
const input9101 = z.object({
  fsUploadIn: z.object({
    in: z.union([z.string(), z.array(z.union([z.string(), z.number()]))], { error: (issue) => (issue.input === undefined ? '必填项缺失（文件为空）' : '文件数据应为 base64 文本或字节数组') }),
    filename,
    fixmedins_code: code,
  }),
});
const input9102 = z.object({ fsDownloadIn: z.object({ file_qury_no: code, filename: filename.optional(), fixmedins_code: code }) });

function bytesOf(value: string | Array<string | number>, path: string): Buffer {
  if (typeof value === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new NhsaFault(`${path}：文件数据应为 base64 文本或字节数组`);
    return Buffer.from(value, 'base64');
  }
  const bytes = Buffer.alloc(value.length);
  value.forEach((v, i) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < -128 || n > 255) throw new NhsaFault(`${path}[${i}]：字节值应为 -128 至 255 的整数`);
    bytes[i] = n & 0xff;
  });
  return bytes;
}

/** The files of the national interface, per hospital. */
export class Files {
  constructor(private readonly store: DocumentStore) {}

  /** Keeps a file; answers its file_qury_no (28 characters, within the national 30). */
  async put(fixmedinsCode: string, kind: StoredFile['kind'], name: string, content: Buffer, now: Date): Promise<{ file_qury_no: string; filename: string; dld_endtime: string }> {
    const fileQuryNo = `GW${ulid(now.getTime())}`;
    const expiresAt = new Date(now.getTime() + FILE_HOURS * 3_600_000);
    const doc: StoredFile = { fixmedins_code: fixmedinsCode, filename: name, kind, content: content.toString('base64'), dld_endtime: nationalTime(chinaTime(expiresAt)), expires: Math.floor(expiresAt.getTime() / 1000) };
    await this.store.put(FILES, `${fixmedinsCode}.${fileQuryNo}`, JSON.stringify(doc), { index: { expires: doc.expires } });
    const stale = await this.store.range(FILES, 'expires', 0, Math.floor(now.getTime() / 1000), { limit: PRUNE_MAX });
    for (const id of stale) await this.store.delete(FILES, id);
    return { file_qury_no: fileQuryNo, filename: name, dld_endtime: doc.dld_endtime };
  }

  /** The hospital's file, while it may be downloaded; a refusal naming `path` otherwise. */
  async get(fixmedinsCode: string, fileQuryNo: string, now: Date, path: string): Promise<StoredFile & { bytes: Buffer }> {
    const text = /^[A-Za-z0-9._-]{1,30}$/.test(fileQuryNo) ? await this.store.get(FILES, `${fixmedinsCode}.${fileQuryNo}`) : null;
    const doc = text === null ? null : storedFile.parse(JSON.parse(text));
    if (doc === null || doc.expires * 1000 < now.getTime()) throw new NhsaFault(`${path}：文件查询号 ${fileQuryNo} 不存在或已过下载截止时间（文件保留 ${FILE_HOURS} 小时），请重新上传（9101）`);
    return { ...doc, bytes: Buffer.from(doc.content, 'base64') };
  }
}

function sameHospital(given: string, envelope: string, path: string): void {
  if (given !== envelope) throw new NhsaFault(`${path}：医药机构编号 ${given} 与报文头 fixmedins_code ${envelope} 不一致`);
}

/** 9101 文件上传: answers `file_qury_no`, `filename`, `dld_endtime`. */
export const uploadFile: Call = async ({ envelope, files, clock }) => {
  const { fsUploadIn: data } = parse(input9101, envelope.input);
  sameHospital(data.fixmedins_code, envelope.fixmedins_code, 'input.fsUploadIn.fixmedins_code');
  const bytes = bytesOf(data.in, 'input.fsUploadIn.in');
  if (bytes.length === 0) throw new NhsaFault('input.fsUploadIn.in：文件为空');
  if (bytes.length > FILE_MAX_BYTES) throw new NhsaFault(`input.fsUploadIn.in：文件 ${bytes.length} 字节，超过 ${FILE_MAX_BYTES} 字节上限`);
  return { output: await files.put(envelope.fixmedins_code, 'upload', data.filename, bytes, clock()) };
};

/** 9102 文件下载: answers the file itself (its bytes, as the platform streams them). */
export const downloadFile: Call = async ({ envelope, files, clock }) => {
  const { fsDownloadIn: data } = parse(input9102, envelope.input);
  sameHospital(data.fixmedins_code, envelope.fixmedins_code, 'input.fsDownloadIn.fixmedins_code');
  const file = await files.get(envelope.fixmedins_code, data.file_qury_no, clock(), 'input.fsDownloadIn.file_qury_no');
  return { output: { file_qury_no: data.file_qury_no, filename: file.filename }, file: { filename: file.filename, content: file.bytes } };
};
