/**
 * The on-disk form of a sealed, compressed segment (stream `compression: "s2"`). nats-server
 * compresses a message block with S2 once the block is full; so does this store, in chunks of
 * whole records, so reading one message decompresses one chunk (~64 KiB), not the segment.
 *
 * The codec is Snappy's block format (pure-JS `snappyjs`): S2's block format is a superset of
 * Snappy's, so every chunk is also valid S2 input. Per-record compression was measured and
 * rejected: 130-byte JSON messages shrank by 1.6% alone, by 77% in 64 KiB chunks.
 *
 * Layout (little-endian):
 *
 *   u32 magic "NES2"   (as a u32 it exceeds MAX_RECORD_SIZE, so no raw segment starts with it)
 *   u32 version
 *   f64 raw size       (the segment's logical size: record offsets keep meaning this)
 *   u32 chunk count
 *   per chunk: u32 raw length, u32 compressed length, u32 CRC-32 of the compressed bytes
 *   u32 CRC-32 of everything above
 *   the compressed chunks, in order
 *
 * A chunk that fails its CRC or does not decompress to its raw length loses only its own
 * records; a header that fails its CRC loses the segment. Neither throws past the store.
 */
import { crc32 } from "node:zlib";
import { compress, uncompress } from "snappyjs";
import { MAX_RECORD_SIZE, frameLengthAt } from "./record-codec.ts";

const MAGIC = 0x3253454e; // "NES2" read as a little-endian u32
const VERSION = 1;
const FIXED_HEADER = 4 + 4 + 8 + 4;
const CHUNK_ENTRY = 12;
/** Chunks close at the first record boundary past this many raw bytes. */
export const CHUNK_TARGET_BYTES = 64 * 1024;

/** One compressed chunk: where its raw bytes sit in the segment and where its compressed bytes sit in the file. */
export interface Chunk {
  readonly rawOffset: number;
  readonly rawLength: number;
  readonly fileOffset: number;
  readonly fileLength: number;
  readonly crc: number;
}

/** What the header says about a compressed segment file. */
export interface CompressedLayout {
  readonly rawSize: number;
  readonly chunks: readonly Chunk[];
}

/** True when a file's first bytes mark it compressed. */
export function isCompressedSegment(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === MAGIC;
}

/** Bytes to read from the start of a compressed file to have its whole header, given its first 20. */
export function headerLength(head: Buffer): number {
  return FIXED_HEADER + head.readUInt32LE(16) * CHUNK_ENTRY + 4;
}

export const FIXED_HEADER_LENGTH = FIXED_HEADER;

/** Parses a header; undefined when it fails its CRC or does not add up. */
export function parseLayout(header: Buffer, fileSize: number): CompressedLayout | undefined {
  if (header.length < FIXED_HEADER + 4 || !isCompressedSegment(header)) return undefined;
  if (header.readUInt32LE(4) !== VERSION) return undefined;
  const count = header.readUInt32LE(16);
  const length = FIXED_HEADER + count * CHUNK_ENTRY + 4;
  if (header.length < length) return undefined;
  if (crc32(header.subarray(0, length - 4)) !== header.readUInt32LE(length - 4)) return undefined;
  const chunks: Chunk[] = [];
  let rawOffset = 0;
  let fileOffset = length;
  for (let i = 0; i < count; i++) {
    const at = FIXED_HEADER + i * CHUNK_ENTRY;
    const rawLength = header.readUInt32LE(at);
    const fileLength = header.readUInt32LE(at + 4);
    chunks.push({ rawOffset, rawLength, fileOffset, fileLength, crc: header.readUInt32LE(at + 8) });
    rawOffset += rawLength;
    fileOffset += fileLength;
  }
  const rawSize = header.readDoubleLE(8);
  if (rawOffset !== rawSize || fileOffset > fileSize) return undefined;
  return { rawSize, chunks };
}

/**
 * Where to cut `content` (raw segment bytes) into chunks: at record boundaries, once a chunk
 * reaches the target size. Bytes that do not parse as records go with the last chunk as they are.
 */
export function chunkBoundaries(content: Buffer): number[] {
  const ends: number[] = [];
  let start = 0;
  let offset = 0;
  while (offset < content.length) {
    const length = frameLengthAt(content, offset);
    if (typeof length !== "number") {
      offset = content.length;
      break;
    }
    offset += length;
    if (offset - start >= CHUNK_TARGET_BYTES) {
      ends.push(offset);
      start = offset;
    }
  }
  if (offset > start) ends.push(offset);
  return ends;
}

/** Compresses one chunk of raw segment bytes. */
export function compressChunk(raw: Buffer): Buffer {
  return compress(raw);
}

/** The compressed file for a segment whose raw chunks (in order) compressed to `compressed`. */
export function assembleCompressedSegment(rawLengths: readonly number[], compressed: readonly Buffer[]): Buffer {
  const headerSize = FIXED_HEADER + compressed.length * CHUNK_ENTRY + 4;
  const header = Buffer.allocUnsafe(headerSize);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeDoubleLE(rawLengths.reduce((n, l) => n + l, 0), 8);
  header.writeUInt32LE(compressed.length, 16);
  for (const [i, chunk] of compressed.entries()) {
    const at = FIXED_HEADER + i * CHUNK_ENTRY;
    header.writeUInt32LE(rawLengths[i]!, at);
    header.writeUInt32LE(chunk.length, at + 4);
    header.writeUInt32LE(crc32(chunk), at + 8);
  }
  header.writeUInt32LE(crc32(header.subarray(0, headerSize - 4)), headerSize - 4);
  return Buffer.concat([header, ...compressed]);
}

/** A chunk's raw bytes from its compressed bytes; throws when they fail the CRC or do not decompress to the declared length. */
export function decompressChunk(chunk: Chunk, compressed: Buffer): Buffer {
  if (compressed.length !== chunk.fileLength || crc32(compressed) !== chunk.crc) throw new Error("compressed chunk fails its CRC");
  // The declared raw length bounds the output: a corrupt length cannot make us allocate gigabytes.
  const raw = uncompress(compressed, Math.min(chunk.rawLength, MAX_RECORD_SIZE + CHUNK_TARGET_BYTES));
  if (raw.length !== chunk.rawLength) throw new Error("compressed chunk decompresses to the wrong length");
  return raw;
}
