/**
 * One append-only segment file of the file store (`msgs/<id>.seg`). Writes are synchronous
 * (`writeSync`), so when an append returns the bytes are in the OS page cache and survive the
 * process being killed; `sync()` (fsync) is what makes them survive a power loss.
 */
import fs from "node:fs";
import path from "node:path";
import { type RecordSummary, declaredFrameLength, frameLengthAt, summarizeFrame } from "./record-codec.ts";

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
}

export class Segment {
  readonly id: number;
  readonly path: string;
  #fd: number;
  /** Bytes in the file. */
  size: number;
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
    return { truncatedBytes, skippedRecords };
  }

  /** Appends `buf` at the end; returns the offset it was written at. */
  append(buf: Uint8Array): number {
    const offset = this.size;
    let written = 0;
    while (written < buf.length) {
      written += fs.writeSync(this.#fd, buf, written, buf.length - written, offset + written);
    }
    this.size += buf.length;
    this.#dirty = true;
    return offset;
  }

  read(offset: number, length: number): Buffer {
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

  /** Atomically replaces the file's content (temp file, fsync, rename) and reopens it. */
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
    this.#dirty = false;
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
