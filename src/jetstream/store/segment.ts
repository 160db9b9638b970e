/**
 * One append-only segment file of the file store (`msgs/<id>.seg`). Writes are synchronous
 * (`writeSync`), so when an append returns the bytes are in the OS page cache and survive the
 * process being killed; `sync()` (fsync) is what makes them survive a power loss.
 *
 * A sealed segment of an `s2` stream is stored compressed (segment-compression.ts). Offsets
 * and `size` stay those of the raw records either way, so the index does not care; only the
 * file's bytes differ, and a compressed segment is never appended to.
 */
import fs from "node:fs";
import path from "node:path";
import { type RecordSummary, declaredFrameLength, frameLengthAt, summarizeFrame } from "./record-codec.ts";
import {
  type Chunk,
  type CompressedLayout,
  FIXED_HEADER_LENGTH,
  decompressChunk,
  headerLength,
  isCompressedSegment,
  parseLayout,
} from "./segment-compression.ts";

const SEGMENT_SUFFIX = ".seg";

export function segmentPath(dir: string, id: number): string {
  return path.join(dir, `${id}${SEGMENT_SUFFIX}`);
}

/** Segment ids found in `dir`, ascending. */
export function listSegmentIds(dir: string): number[] {
  const ids: number[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith(SEGMENT_SUFFIX)) continue;
    const id = Number(name.slice(0, -SEGMENT_SUFFIX.length));
    if (Number.isSafeInteger(id) && id > 0) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/** Removes temp files a rewrite left behind when the process died before its rename. */
export function removeUnfinishedRewrites(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(`${SEGMENT_SUFFIX}.tmp`)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** A record found by a scan, with where it sits. */
export interface ScannedRecord {
  readonly offset: number;
  readonly length: number;
  readonly record: RecordSummary;
}

/** What a scan had to throw away. */
export interface ScanResult {
  /** Bytes cut from the end of the file. */
  truncatedBytes: number;
  /** Damaged records skipped in the middle of the file. */
  skippedRecords: number;
  /** Compressed chunks (or a whole compressed segment, counted as one) whose records were lost. */
  damagedChunks: number;
}

export class Segment {
  readonly id: number;
  readonly path: string;
  #fd: number;
  /** Bytes of raw records: the file's size, or what a compressed file holds once expanded. */
  size: number;
  /** Set when the file is compressed; a layout with no chunks and size 0 when its header was damaged. */
  #compressed: CompressedLayout | undefined;
  /** The last chunk decompressed, so reading a run of messages decompresses each chunk once. */
  #cached: { chunk: Chunk; raw: Buffer } | undefined;
  /** True when a compressed header failed its checks: every record in the file is lost. */
  #damaged = false;
  /** Bytes in the file itself. */
  #fileBytes: number;
  /** Bumped by every change of the file's content, so background work can tell its snapshot went stale. */
  generation = 0;
  /** Bytes of the message records still in the stream: what a rewrite would keep. */
  liveBytes = 0;
  /** Tombstones in here that still hide a record on disk at or above the first sequence: a rewrite keeps them too. */
  neededTombstones = 0;
  /** The highest sequence a message or tombstone in here refers to: below the stream's first, the file is dead. */
  maxSeqRef = 0;
  #dirty = false;

  private constructor(id: number, filePath: string, fd: number, size: number) {
    this.id = id;
    this.path = filePath;
    this.#fd = fd;
    this.size = size;
    this.#fileBytes = size;
    this.#readLayout(size);
  }

  /** True when the file holds compressed chunks (a sealed segment of an `s2` stream). */
  get compressed(): boolean {
    return this.#compressed !== undefined;
  }

  /** Bytes the file takes on disk (what the index checkpoint compares). */
  get fileSize(): number {
    return this.#fileBytes;
  }

  /** Reads a compressed file's header, if the file is one; `size` becomes the raw size. */
  #readLayout(fileSize: number): void {
    this.#compressed = undefined;
    this.#cached = undefined;
    this.#damaged = false;
    if (fileSize < 4) return;
    const head = this.#readFile(0, Math.min(fileSize, FIXED_HEADER_LENGTH));
    if (!isCompressedSegment(head)) return;
    const layout = head.length === FIXED_HEADER_LENGTH && headerLength(head) <= fileSize ? parseLayout(this.#readFile(0, headerLength(head)), fileSize) : undefined;
    this.#damaged = layout === undefined;
    this.#compressed = layout ?? { rawSize: 0, chunks: [] };
    this.size = this.#compressed.rawSize;
  }

  /** Creates an empty segment (fails if the file exists). */
  static create(dir: string, id: number): Segment {
    const filePath = segmentPath(dir, id);
    return new Segment(id, filePath, fs.openSync(filePath, "wx+"), 0);
  }

  static open(dir: string, id: number): Segment {
    const filePath = segmentPath(dir, id);
    const fd = fs.openSync(filePath, "r+");
    return new Segment(id, filePath, fd, fs.fstatSync(fd).size);
  }

  /**
   * Reads every valid record front to back. A damaged record followed by a good one (bit rot in
   * the middle) is skipped on its own; anything else that fails its checks ends the scan and the
   * file is truncated there (a torn write at the tail), so appends continue after the last good
   * record.
   */
  scan(onRecord: (scanned: ScannedRecord) => void): ScanResult {
    if (this.#compressed !== undefined) return this.#scanCompressed(this.#compressed, onRecord);
    const buf = this.readAll();
    let offset = 0;
    let skippedRecords = 0;
    for (;;) {
      const length = frameLengthAt(buf, offset);
      if (typeof length === "number") {
        onRecord({ offset, length, record: summarizeFrame(buf, offset, length) });
        offset += length;
        continue;
      }
      const declared = length === "corrupt" ? declaredFrameLength(buf, offset) : undefined;
      if (declared === undefined || offset + declared >= buf.length || typeof frameLengthAt(buf, offset + declared) !== "number") break;
      skippedRecords++;
      offset += declared;
    }
    const truncatedBytes = buf.length - offset;
    if (truncatedBytes > 0) {
      fs.ftruncateSync(this.#fd, offset);
      fs.fsyncSync(this.#fd);
    }
    this.size = offset;
    this.#fileBytes = offset;
    return { truncatedBytes, skippedRecords, damagedChunks: 0 };
  }

  /**
   * A compressed segment was sealed whole, so there is no torn tail to cut: a chunk that fails
   * its checks loses its own records and the scan goes on with the next (nats-server likewise
   * rebuilds what a damaged block still holds and keeps running).
   */
  #scanCompressed(layout: CompressedLayout, onRecord: (scanned: ScannedRecord) => void): ScanResult {
    let damagedChunks = this.#damaged ? 1 : 0;
    let skippedRecords = 0;
    for (const chunk of layout.chunks) {
      let raw: Buffer;
      try {
        raw = this.#chunk(chunk);
      } catch {
        damagedChunks++;
        continue;
      }
      let at = 0;
      while (at < raw.length) {
        const length = frameLengthAt(raw, at);
        if (typeof length !== "number") {
          skippedRecords++;
          break;
        }
        onRecord({ offset: chunk.rawOffset + at, length, record: summarizeFrame(raw, at, length) });
        at += length;
      }
    }
    return { truncatedBytes: 0, skippedRecords, damagedChunks };
  }

  /** A chunk's raw bytes, from the one-chunk cache or the file. */
  #chunk(chunk: Chunk): Buffer {
    if (this.#cached?.chunk === chunk) return this.#cached.raw;
    const raw = decompressChunk(chunk, this.#readFile(chunk.fileOffset, chunk.fileLength));
    this.#cached = { chunk, raw };
    return raw;
  }

  /** Raw bytes [offset, offset + length) of a compressed segment; a record never spans chunks, but a caller may ask for more. */
  #readCompressed(layout: CompressedLayout, offset: number, length: number): Buffer {
    const parts: Buffer[] = [];
    const end = offset + length;
    for (const chunk of layout.chunks) {
      const chunkEnd = chunk.rawOffset + chunk.rawLength;
      if (chunkEnd <= offset || chunk.rawOffset >= end) continue;
      const raw = this.#chunk(chunk);
      parts.push(raw.subarray(Math.max(offset, chunk.rawOffset) - chunk.rawOffset, Math.min(end, chunkEnd) - chunk.rawOffset));
    }
    // A copy: a view would keep the whole ~64 KiB chunk alive for as long as the caller holds one message.
    const out = parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
    if (out.length !== length) throw new Error(`segment ${this.path}: short read at ${offset}`);
    return out;
  }

  /** Appends `buf` at the end; returns the offset it was written at. */
  append(buf: Uint8Array): number {
    if (this.#compressed !== undefined) throw new Error(`segment ${this.path} is sealed (compressed)`);
    const offset = this.size;
    let written = 0;
    while (written < buf.length) {
      written += fs.writeSync(this.#fd, buf, written, buf.length - written, offset + written);
    }
    this.size += buf.length;
    this.#fileBytes += buf.length;
    this.#dirty = true;
    this.generation++;
    return offset;
  }

  /** Raw record bytes (from a compressed segment, copied out of the decompressed chunk). */
  read(offset: number, length: number): Buffer {
    if (this.#compressed !== undefined) return this.#readCompressed(this.#compressed, offset, length);
    return this.#readFile(offset, length);
  }

  #readFile(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.#fd, buf, done, length - done, offset + done);
      if (n === 0) throw new Error(`segment ${this.path}: short read at ${offset}`);
      done += n;
    }
    return buf;
  }

  /** Everything in the file, for a scan or a rewrite. */
  readAll(): Buffer {
    return this.size === 0 ? Buffer.alloc(0) : this.read(0, this.size);
  }

  sync(): void {
    if (!this.#dirty) return;
    fs.fsyncSync(this.#fd);
    this.#dirty = false;
  }

  /**
   * Atomically replaces the file's content (temp file, fsync, rename) and reopens it. `content`
   * is raw records, or a whole compressed segment file (then `size` becomes its raw size).
   */
  replace(content: Buffer): void {
    const tempPath = `${this.path}.tmp`;
    const tempFd = fs.openSync(tempPath, "w");
    try {
      let written = 0;
      while (written < content.length) written += fs.writeSync(tempFd, content, written, content.length - written);
      fs.fsyncSync(tempFd);
    } catch (err) {
      fs.closeSync(tempFd);
      fs.rmSync(tempPath, { force: true });
      throw err;
    }
    fs.closeSync(tempFd);
    fs.renameSync(tempPath, this.path);
    fs.closeSync(this.#fd);
    this.#fd = fs.openSync(this.path, "r+");
    this.size = content.length;
    this.#fileBytes = content.length;
    this.#dirty = false;
    this.generation++;
    this.#readLayout(content.length);
  }

  /** Syncs and closes the file; a second call does nothing. */
  close(): void {
    if (this.#fd < 0) return;
    this.sync();
    fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  /** Closes (without syncing: the content is going) and deletes the file. */
  unlink(): void {
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
    fs.rmSync(this.path, { force: true });
  }
}
