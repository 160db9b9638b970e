/**
 * The file store's index checkpoint (`msgs/index.ckp`): the in-memory index as it stood at a
 * clean close, so the next open reads one compact file instead of every segment.
 *
 * It is only ever trusted for the exact files it describes: the open reads it and deletes it
 * straight away (a crash later cannot leave a stale one behind), and uses it only when its CRC
 * holds and every segment on disk has exactly the id and size it recorded. Anything else falls
 * back to the full scan, which is always correct.
 *
 * Layout (little-endian): "NEIX", u32 version, then f64 firstSeq, f64 lastSeq, u64 lastTimeNs,
 * f64 persistedFirst, f64 persistedLast; u32 segment count and per segment u32 id, f64 size,
 * f64 maxSeqRef; u32 subject count and per subject u16 length + UTF-8; u32 entry count and per
 * entry f64 seq, u32 segment index, f64 offset, u32 length, u32 size, u32 subject index,
 * u64 timeNs; u32 ghost count and per ghost f64 seq, u32 record segment index, u32 tombstone
 * segment index; u32 CRC-32 of everything before it.
 */
import fs from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import { writeFileAtomicSync } from "./atomic-file.ts";

export const CHECKPOINT_FILE = "index.ckp";
const MAGIC = 0x5849454e; // "NEIX" read as a little-endian u32
const VERSION = 1;

export interface CheckpointSegment {
  readonly id: number;
  readonly size: number;
  readonly maxSeqRef: number;
}

export interface CheckpointEntry {
  readonly seq: number;
  /** Index into the checkpoint's segment list. */
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
  readonly size: number;
  readonly subject: string;
  readonly timeNs: bigint;
}

export interface CheckpointGhost {
  readonly seq: number;
  readonly record: number;
  readonly tombstone: number;
}

export interface Checkpoint {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly lastTimeNs: bigint;
  readonly persistedFirst: number;
  readonly persistedLast: number;
  readonly segments: readonly CheckpointSegment[];
  readonly entries: readonly CheckpointEntry[];
  readonly ghosts: readonly CheckpointGhost[];
}

/** A growable little-endian writer. */
class Writer {
  #buf: Buffer;
  #at = 0;

  constructor(capacity: number) {
    this.#buf = Buffer.allocUnsafe(Math.max(capacity, 1024));
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(bigger, 0, 0, this.#at);
    this.#buf = bigger;
  }

  u16(v: number): void {
    this.#room(2);
    this.#at = this.#buf.writeUInt16LE(v, this.#at);
  }

  u32(v: number): void {
    this.#room(4);
    this.#at = this.#buf.writeUInt32LE(v, this.#at);
  }

  f64(v: number): void {
    this.#room(8);
    this.#at = this.#buf.writeDoubleLE(v, this.#at);
  }

  u64(v: bigint): void {
    this.#room(8);
    this.#at = this.#buf.writeBigUInt64LE(v, this.#at);
  }

  bytes(b: Buffer): void {
    this.#room(b.length);
    this.#at += b.copy(this.#buf, this.#at);
  }

  sealed(): Buffer {
    const body = this.#buf.subarray(0, this.#at);
    const out = Buffer.allocUnsafe(body.length + 4);
    body.copy(out);
    out.writeUInt32LE(crc32(body), body.length);
    return out;
  }
}

/** Writes the checkpoint atomically into `dir`. */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  // Sized up front (subjects aside) so a large index is not copied over and over as it grows.
  const w = new Writer(64 + checkpoint.segments.length * 20 + checkpoint.entries.length * 40 + checkpoint.ghosts.length * 16);
  w.u32(MAGIC);
  w.u32(VERSION);
  w.f64(checkpoint.firstSeq);
  w.f64(checkpoint.lastSeq);
  w.u64(checkpoint.lastTimeNs);
  w.f64(checkpoint.persistedFirst);
  w.f64(checkpoint.persistedLast);
  w.u32(checkpoint.segments.length);
  for (const segment of checkpoint.segments) {
    w.u32(segment.id);
    w.f64(segment.size);
    w.f64(segment.maxSeqRef);
  }
  const subjects = new Map<string, number>();
  for (const entry of checkpoint.entries) if (!subjects.has(entry.subject)) subjects.set(entry.subject, subjects.size);
  w.u32(subjects.size);
  for (const subject of subjects.keys()) {
    const bytes = Buffer.from(subject);
    w.u16(bytes.length);
    w.bytes(bytes);
  }
  w.u32(checkpoint.entries.length);
  for (const entry of checkpoint.entries) {
    w.f64(entry.seq);
    w.u32(entry.segment);
    w.f64(entry.offset);
    w.u32(entry.length);
    w.u32(entry.size);
    w.u32(subjects.get(entry.subject)!);
    w.u64(entry.timeNs);
  }
  w.u32(checkpoint.ghosts.length);
  for (const ghost of checkpoint.ghosts) {
    w.f64(ghost.seq);
    w.u32(ghost.record);
    w.u32(ghost.tombstone);
  }
  writeFileAtomicSync(path.join(dir, CHECKPOINT_FILE), w.sealed());
}

/**
 * Reads and deletes the checkpoint in `dir`. Returns it only when it is intact and describes
 * exactly the segments `onDisk` (id → size); otherwise undefined (scan instead).
 */
export function takeCheckpoint(dir: string, onDisk: ReadonlyMap<number, number>): Checkpoint | undefined {
  const file = path.join(dir, CHECKPOINT_FILE);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.tmp`, { force: true });
  try {
    const checkpoint = decode(buf);
    if (checkpoint === undefined || checkpoint.segments.length !== onDisk.size) return undefined;
    for (const segment of checkpoint.segments) if (onDisk.get(segment.id) !== segment.size) return undefined;
    return checkpoint;
  } catch {
    // A length that runs past the end (RangeError): not a checkpoint we wrote.
    return undefined;
  }
}

function decode(buf: Buffer): Checkpoint | undefined {
  if (buf.length < 12) return undefined;
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) return undefined;
  let at = 0;
  const u16 = (): number => ((at += 2), buf.readUInt16LE(at - 2));
  const u32 = (): number => ((at += 4), buf.readUInt32LE(at - 4));
  const f64 = (): number => ((at += 8), buf.readDoubleLE(at - 8));
  const u64 = (): bigint => ((at += 8), buf.readBigUInt64LE(at - 8));
  if (u32() !== MAGIC || u32() !== VERSION) return undefined;
  const firstSeq = f64();
  const lastSeq = f64();
  const lastTimeNs = u64();
  const persistedFirst = f64();
  const persistedLast = f64();
  const segments: CheckpointSegment[] = [];
  for (let n = u32(); n > 0; n--) segments.push({ id: u32(), size: f64(), maxSeqRef: f64() });
  const subjects: string[] = [];
  for (let n = u32(); n > 0; n--) {
    const length = u16();
    subjects.push(buf.toString("utf8", at, at + length));
    at += length;
  }
  const entries: CheckpointEntry[] = [];
  for (let n = u32(); n > 0; n--) {
    const seq = f64();
    const segment = u32();
    const offset = f64();
    const length = u32();
    const size = u32();
    const subject = subjects[u32()];
    const timeNs = u64();
    if (subject === undefined || segment >= segments.length) return undefined;
    entries.push({ seq, segment, offset, length, size, subject, timeNs });
  }
  const ghosts: CheckpointGhost[] = [];
  for (let n = u32(); n > 0; n--) {
    const ghost = { seq: f64(), record: u32(), tombstone: u32() };
    if (ghost.record >= segments.length || ghost.tombstone >= segments.length) return undefined;
    ghosts.push(ghost);
  }
  if (at !== buf.length - 4) return undefined;
  return { firstSeq, lastSeq, lastTimeNs, persistedFirst, persistedLast, segments, entries, ghosts };
}
