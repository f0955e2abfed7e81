/**
 * 9101 文件上传 and 9102 文件下载: the hospital's file up, a file (the 3202 result) down, bounded in size;
 * kept by the Files store (../files.ts).
 */
import * as z from 'zod';
import { NhsaFault } from '../fault.js';
import { FILE_MAX_BYTES } from '../files.js';
import { parse, type Call } from './context.js';

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
