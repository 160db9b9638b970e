/**
 * The file store's on-disk record: one self-checking frame per message, tombstone batch or
 * sequence-state marker, so a segment can be rebuilt into the index by reading it front to back
 * and a torn or corrupt tail is recognised by its length or CRC.
 *
 *   offset  size  field (little-endian)
 *        0     4  record length in bytes, header and CRC included
 *        4     1  kind (RecordKind)
 *        5     1  flags (RecordFlag)
 *        6     2  subject length
 *        8     4  header-block length
 *       12     8  sequence
 *       20     8  time, ns since the Unix epoch
 *       28     …  subject, header block, payload
 *   len-4      4  CRC-32 (zlib) of bytes [0, len-4)
 *
 * A DELETE record's payload is a list of u64 sequences; a STATE record carries the store's
 * first-sequence floor as its payload (u64), the last sequence in `sequence`, and the last
 * message time in `time`.
 */
import { crc32 } from "node:zlib";

export const RecordKind = {
  message: 1,
  delete: 2,
  state: 3,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const RecordFlag = {
  /** The message had a header block (which may be empty); without it `headers` is undefined. */
  hasHeaders: 1,
} as const;

export const RECORD_HEADER_SIZE = 28;
const CRC_SIZE = 4;
export const MIN_RECORD_SIZE = RECORD_HEADER_SIZE + CRC_SIZE;
/** No record is larger: a guard against a corrupt length making recovery read gigabytes. */
export const MAX_RECORD_SIZE = 256 * 1024 * 1024;

export type DecodedRecord =
  | { kind: typeof RecordKind.message; seq: number; timeNs: bigint; subject: string; headers: Uint8Array | undefined; data: Uint8Array }
  | { kind: typeof RecordKind.delete; seqs: number[] }
  | { kind: typeof RecordKind.state; firstSeq: number; lastSeq: number; lastTimeNs: bigint };

function frame(kind: RecordKind, flags: number, subject: Buffer, headers: Uint8Array | undefined, payloadLength: number, seq: number, timeNs: bigint): { buf: Buffer; payloadOffset: number } {
  const headerLength = headers?.length ?? 0;
  const length = RECORD_HEADER_SIZE + subject.length + headerLength + payloadLength + CRC_SIZE;
  const buf = Buffer.allocUnsafe(length);
  buf.writeUInt32LE(length, 0);
  buf.writeUInt8(kind, 4);
  buf.writeUInt8(flags, 5);
  buf.writeUInt16LE(subject.length, 6);
  buf.writeUInt32LE(headerLength, 8);
  buf.writeBigUInt64LE(BigInt(seq), 12);
  buf.writeBigUInt64LE(timeNs, 20);
  let at = RECORD_HEADER_SIZE;
  at += subject.copy(buf, at);
  if (headers !== undefined) {
    buf.set(headers, at);
    at += headers.length;
  }
  return { buf, payloadOffset: at };
}

function seal(buf: Buffer): Buffer {
  buf.writeUInt32LE(crc32(buf.subarray(0, buf.length - CRC_SIZE)), buf.length - CRC_SIZE);
  return buf;
}

export function encodeMessage(seq: number, subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs: bigint): Buffer {
  const subjectBytes = Buffer.from(subject);
  if (subjectBytes.length > 0xffff) throw new RangeError("subject too long for the file store");
  if (RECORD_HEADER_SIZE + subjectBytes.length + (headers?.length ?? 0) + data.length + CRC_SIZE > MAX_RECORD_SIZE) {
    throw new RangeError("message too large for the file store");
  }
  const flags = headers === undefined ? 0 : RecordFlag.hasHeaders;
  const { buf, payloadOffset } = frame(RecordKind.message, flags, subjectBytes, headers, data.length, seq, timeNs);
  buf.set(data, payloadOffset);
  return seal(buf);
}

export function encodeDelete(seqs: readonly number[]): Buffer {
  const { buf, payloadOffset } = frame(RecordKind.delete, 0, Buffer.alloc(0), undefined, seqs.length * 8, 0, 0n);
  for (const [i, seq] of seqs.entries()) buf.writeBigUInt64LE(BigInt(seq), payloadOffset + i * 8);
  return seal(buf);
}

export function encodeState(firstSeq: number, lastSeq: number, lastTimeNs: bigint): Buffer {
  const { buf, payloadOffset } = frame(RecordKind.state, 0, Buffer.alloc(0), undefined, 8, lastSeq, lastTimeNs);
  buf.writeBigUInt64LE(BigInt(firstSeq), payloadOffset);
  return seal(buf);
}

/** Why a frame could not be read: cut short (a torn write) or failing its checks. */
export type FrameProblem = "incomplete" | "corrupt";

/** The length of the frame at `offset`, or why there is no valid frame there. Checks the CRC. */
export function frameLengthAt(buf: Buffer, offset: number): number | FrameProblem {
  if (buf.length - offset < MIN_RECORD_SIZE) return "incomplete";
  const length = buf.readUInt32LE(offset);
  if (length < MIN_RECORD_SIZE || length > MAX_RECORD_SIZE) return "corrupt";
  if (buf.length - offset < length) return "incomplete";
  const kind = buf.readUInt8(offset + 4);
  if (kind !== RecordKind.message && kind !== RecordKind.delete && kind !== RecordKind.state) return "corrupt";
  const subjectLength = buf.readUInt16LE(offset + 6);
  const headerLength = buf.readUInt32LE(offset + 8);
  if (RECORD_HEADER_SIZE + subjectLength + headerLength + CRC_SIZE > length) return "corrupt";
  const expected = buf.readUInt32LE(offset + length - CRC_SIZE);
  if (crc32(buf.subarray(offset, offset + length - CRC_SIZE)) !== expected) return "corrupt";
  return length;
}

/** A record as recovery needs it: a message's lengths instead of views of its bytes (less garbage per record). */
export type RecordSummary =
  | { kind: typeof RecordKind.message; seq: number; timeNs: bigint; subject: string; headerLength: number; dataLength: number }
  | Exclude<DecodedRecord, { kind: typeof RecordKind.message }>;

/** As {@link decodeFrame}, but a message's header and payload are only measured. `headerLength` is -1 without a header block. */
export function summarizeFrame(buf: Buffer, offset: number, length: number): RecordSummary {
  if (buf.readUInt8(offset + 4) !== RecordKind.message) {
    const record = decodeFrame(buf, offset, length);
    if (record.kind !== RecordKind.message) return record;
  }
  const flags = buf.readUInt8(offset + 5);
  const subjectLength = buf.readUInt16LE(offset + 6);
  const headerLength = buf.readUInt32LE(offset + 8);
  const subjectStart = offset + RECORD_HEADER_SIZE;
  return {
    kind: RecordKind.message,
    seq: Number(buf.readBigUInt64LE(offset + 12)),
    timeNs: buf.readBigUInt64LE(offset + 20),
    subject: buf.toString("utf8", subjectStart, subjectStart + subjectLength),
    headerLength: (flags & RecordFlag.hasHeaders) !== 0 ? headerLength : -1,
    dataLength: length - RECORD_HEADER_SIZE - subjectLength - headerLength - CRC_SIZE,
  };
}

/** The length field at `offset` when it is plausible (fits the buffer), whatever the checks say. */
export function declaredFrameLength(buf: Buffer, offset: number): number | undefined {
  if (buf.length - offset < 4) return undefined;
  const length = buf.readUInt32LE(offset);
  return length >= MIN_RECORD_SIZE && length <= buf.length - offset ? length : undefined;
}

/** Decodes a frame already checked by {@link frameLengthAt}. Message bytes are views into `buf`. */
export function decodeFrame(buf: Buffer, offset: number, length: number): DecodedRecord {
  const kind = buf.readUInt8(offset + 4);
  const flags = buf.readUInt8(offset + 5);
  const subjectLength = buf.readUInt16LE(offset + 6);
  const headerLength = buf.readUInt32LE(offset + 8);
  const seq = Number(buf.readBigUInt64LE(offset + 12));
  const timeNs = buf.readBigUInt64LE(offset + 20);
  const subjectStart = offset + RECORD_HEADER_SIZE;
  const headerStart = subjectStart + subjectLength;
  const payloadStart = headerStart + headerLength;
  const payloadEnd = offset + length - CRC_SIZE;
  switch (kind) {
    case RecordKind.message:
      return {
        kind,
        seq,
        timeNs,
        subject: buf.toString("utf8", subjectStart, headerStart),
        headers: (flags & RecordFlag.hasHeaders) !== 0 ? buf.subarray(headerStart, payloadStart) : undefined,
        data: buf.subarray(payloadStart, payloadEnd),
      };
    case RecordKind.delete: {
      const seqs: number[] = [];
      for (let at = payloadStart; at + 8 <= payloadEnd; at += 8) seqs.push(Number(buf.readBigUInt64LE(at)));
      return { kind, seqs };
    }
    default:
      return { kind: RecordKind.state, firstSeq: Number(buf.readBigUInt64LE(payloadStart)), lastSeq: seq, lastTimeNs: timeNs };
  }
}
