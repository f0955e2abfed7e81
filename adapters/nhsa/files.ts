/**
 * nhsa.files: the files of the national 3202 (the hospital's detail file uploaded by 9101, the result file
 * fetched by 9102), kept in the document store for FILE_HOURS. A file belongs to the hospital that uploaded it
 * (or whose 3202 made it): another hospital's file_qury_no is answered as unknown.
 */
import * as z from 'zod';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import { chinaTime, ulid } from '../../gateway/service/ids.js';
import { NhsaFault } from './fault.js';
import { nationalTime } from './settlement-2304.js';

const FILES = 'nhsa.files';
/** How long a file can be downloaded (dld_endtime): a month's 对账 is done within days. */
const FILE_HOURS = 72;
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
