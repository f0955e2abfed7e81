/**
 * Record batch (magic v2) parsing, validation and construction.
 *
 * Batches from producers are validated (CRC, structure, record count) and then
 * stored as raw bytes: only the base offset is rewritten on append, and that
 * field sits outside the CRC-covered region, so fetched batches keep the
 * producer's checksum. Control batches (transaction markers) are built here
 * with a freshly computed CRC-32C.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Reader, Writer, ProtocolError } from './codec.js';
import { crc32c } from './crc32c.js';

export const BATCH_HEADER_SIZE = 61;
/** Byte offset where the CRC-covered region starts (the attributes field). */
const CRC_START = 21;

export const Attr = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_LOG_APPEND: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
} as const;

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface BatchInfo {
  baseOffset: number;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  attributes: number;
  recordCount: number;
  /** The complete batch bytes, from baseOffset to the end of the records. */
  raw: Buffer;
}

export class BatchError extends Error {
  constructor(
    message: string,
    readonly code: 'corrupt' | 'invalid' | 'compression',
  ) {
    super(message);
  }
}

export function isTransactional(b: Pick<BatchInfo, 'attributes'>): boolean {
  return (b.attributes & Attr.TRANSACTIONAL) !== 0;
}

export function isControl(b: Pick<BatchInfo, 'attributes'>): boolean {
  return (b.attributes & Attr.CONTROL) !== 0;
}

/** Split a produce request's record set into validated batches. */
export function parseBatches(recordSet: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  let pos = 0;
  while (pos < recordSet.length) {
    if (recordSet.length - pos < BATCH_HEADER_SIZE) throw new BatchError('truncated batch header', 'corrupt');
    const batchLength = recordSet.readInt32BE(pos + 8);
    const total = 12 + batchLength;
    if (batchLength < BATCH_HEADER_SIZE - 12 || pos + total > recordSet.length) {
      throw new BatchError('batch length out of bounds', 'corrupt');
    }
    out.push(parseBatch(Buffer.from(recordSet.subarray(pos, pos + total))));
    pos += total;
  }
  return out;
}

function parseBatch(raw: Buffer): BatchInfo {
  const magic = raw.readInt8(16);
  if (magic !== 2) throw new BatchError(`unsupported magic ${magic}`, 'invalid');
  const crc = raw.readUInt32BE(17);
  if (crc32c(raw.subarray(CRC_START)) !== crc) throw new BatchError('CRC32C mismatch', 'corrupt');
  const info: BatchInfo = {
    baseOffset: Number(raw.readBigInt64BE(0)),
    attributes: raw.readInt16BE(21),
    lastOffsetDelta: raw.readInt32BE(23),
    firstTimestamp: Number(raw.readBigInt64BE(27)),
    maxTimestamp: Number(raw.readBigInt64BE(35)),
    producerId: Number(raw.readBigInt64BE(43)),
    producerEpoch: raw.readInt16BE(51),
    baseSequence: raw.readInt32BE(53),
    recordCount: raw.readInt32BE(57),
    raw,
  };
  // Decoding every record is the only way to be sure the batch is well formed
  // (and that the producer's lastOffsetDelta matches what it actually sent).
  const records = decodeRecords(info);
  if (records.length !== info.recordCount || info.recordCount === 0) {
    throw new BatchError('record count mismatch', 'invalid');
  }
  records.forEach((r, i) => {
    if (r.offsetDelta !== i) throw new BatchError('non-sequential offset deltas', 'invalid');
  });
  if (info.lastOffsetDelta !== info.recordCount - 1) throw new BatchError('bad lastOffsetDelta', 'invalid');
  return info;
}

/** Decode the records of a batch (decompressing gzip when needed). */
export function decodeRecords(info: BatchInfo): DecodedRecord[] {
  const codec = info.attributes & Attr.COMPRESSION_MASK;
  let body = info.raw.subarray(BATCH_HEADER_SIZE);
  if (codec === Compression.GZIP) {
    try {
      body = gunzipSync(body);
    } catch {
      throw new BatchError('gzip payload does not decompress', 'corrupt');
    }
  } else if (codec !== Compression.NONE) {
    throw new BatchError(`compression codec ${codec} not supported by the test broker`, 'compression');
  }
  const r = new Reader(body);
  const out: DecodedRecord[] = [];
  try {
    for (let i = 0; i < info.recordCount; i++) {
      const len = r.varint();
      const rec = new Reader(r.raw(len));
      rec.int8(); // record attributes: unused in v2
      const timestampDelta = rec.varlong();
      const offsetDelta = rec.varint();
      const key = rec.varBytes();
      const value = rec.varBytes();
      const headerCount = rec.varint();
      const headers: RecordHeader[] = [];
      for (let h = 0; h < headerCount; h++) {
        const hk = rec.varBytes();
        headers.push({ key: hk === null ? '' : hk.toString('utf8'), value: rec.varBytes() });
      }
      if (rec.remaining() !== 0) throw new BatchError('trailing bytes in record', 'invalid');
      out.push({ offsetDelta, timestampDelta, key, value, headers });
    }
  } catch (e) {
    if (e instanceof ProtocolError) throw new BatchError(`malformed record: ${e.message}`, 'corrupt');
    throw e;
  }
  if (r.remaining() !== 0) throw new BatchError('trailing bytes after records', 'invalid');
  return out;
}

/** Return a copy of the batch with a new base offset (outside the CRC region, so no re-checksum). */
export function withBaseOffset(raw: Buffer, baseOffset: number): Buffer {
  const copy = Buffer.from(raw);
  copy.writeBigInt64BE(BigInt(baseOffset), 0);
  copy.writeInt32BE(0, 12); // partition leader epoch: single node, never changes
  return copy;
}

export interface NewRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestampDelta?: number;
}

export interface NewBatch {
  baseOffset?: number;
  firstTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  compression?: typeof Compression.NONE | typeof Compression.GZIP;
  records: NewRecord[];
}

/** Encode a complete v2 record batch with a correct CRC-32C. */
export function buildBatch(b: NewBatch): Buffer {
  const recs = new Writer();
  b.records.forEach((rec, i) => {
    const body = new Writer()
      .int8(0)
      .varlong(rec.timestampDelta ?? 0)
      .varint(i)
      .varBytes(rec.key)
      .varBytes(rec.value)
      .varint(rec.headers?.length ?? 0);
    for (const h of rec.headers ?? []) body.varBytes(Buffer.from(h.key, 'utf8')).varBytes(h.value);
    const bytes = body.toBuffer();
    recs.varint(bytes.length).raw(bytes);
  });
  const compression = b.compression ?? Compression.NONE;
  const recordBytes = compression === Compression.GZIP ? gzipSync(recs.toBuffer()) : recs.toBuffer();
  const firstTimestamp = b.firstTimestamp ?? Date.now();
  const maxDelta = Math.max(0, ...b.records.map((r) => r.timestampDelta ?? 0));
  const attributes =
    compression | (b.transactional ? Attr.TRANSACTIONAL : 0) | (b.control ? Attr.CONTROL : 0);
  const crcPart = new Writer()
    .int16(attributes)
    .int32(b.records.length - 1)
    .int64(firstTimestamp)
    .int64(firstTimestamp + maxDelta)
    .int64(b.producerId ?? -1)
    .int16(b.producerEpoch ?? -1)
    .int32(b.baseSequence ?? -1)
    .int32(b.records.length)
    .raw(recordBytes)
    .toBuffer();
  return new Writer()
    .int64(b.baseOffset ?? 0)
    .int32(4 + 1 + 4 + crcPart.length)
    .int32(0)
    .int8(2)
    .uint32(crc32c(crcPart))
    .raw(crcPart)
    .toBuffer();
}

/** Transaction marker: control batch whose single record key is (version=0, type) with 0=abort, 1=commit. */
export function buildControlBatch(opts: {
  baseOffset: number;
  producerId: number;
  producerEpoch: number;
  commit: boolean;
}): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(opts.commit ? 1 : 0, 2);
  const value = Buffer.alloc(6); // version int16 = 0, coordinator epoch int32 = 0
  return buildBatch({
    baseOffset: opts.baseOffset,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    records: [{ key, value }],
  });
}

/** Parse a stored batch's header without re-validating (used on the fetch path and in tests). */
export function readBatchInfo(raw: Buffer): BatchInfo {
  return {
    baseOffset: Number(raw.readBigInt64BE(0)),
    attributes: raw.readInt16BE(21),
    lastOffsetDelta: raw.readInt32BE(23),
    firstTimestamp: Number(raw.readBigInt64BE(27)),
    maxTimestamp: Number(raw.readBigInt64BE(35)),
    producerId: Number(raw.readBigInt64BE(43)),
    producerEpoch: raw.readInt16BE(51),
    baseSequence: raw.readInt32BE(53),
    recordCount: raw.readInt32BE(57),
    raw,
  };
}
