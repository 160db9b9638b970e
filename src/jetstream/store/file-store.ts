/**
 * The file store: a stream's messages in append-only segment files under `<streamDir>/msgs/`,
 * its consumers' state under `<streamDir>/obj/`. The index (seq → segment, offset, subject)
 * lives in memory and is rebuilt by scanning the segments at open; docs/storage.md has the
 * formats and the crash guarantees.
 *
 * Removals are logged, not done in place: a message deleted from the middle gets a tombstone
 * (a DELETE record); messages that fall below the stream's first sequence are covered by a
 * STATE record carrying the new first sequence instead. Space comes back when a segment holds
 * nothing at or above the first sequence (unlinked) or is mostly dead (rewritten).
 */
import fs from "node:fs";
import path from "node:path";
import { FileConsumerStore } from "./file-consumer-store.ts";
import { assertSafeName } from "./atomic-file.ts";
import { type IndexEntry, IndexedStreamStore, type StoreErrorReporter } from "./indexed-store.ts";
import { RecordKind, decodeFrame, encodeDelete, encodeMessage, encodeState, frameLengthAt } from "./record-codec.ts";
import { Segment, listSegmentIds, removeUnfinishedRewrites } from "./segment.ts";
import type { ConsumerStore, StoreLimits, StoredMessage, SyncPolicy } from "./stream-store.ts";

/** nats-server's default sync_interval (filestore.go defaultSyncInterval). */
export const DEFAULT_SYNC_INTERVAL_MS = 2 * 60 * 1000;
/** Segments rotate at this size (nats-server's default block size for a limits stream is 8 MiB). */
export const DEFAULT_SEGMENT_SIZE = 8 * 1024 * 1024;
/** Consumer state is written at most this often (the rest is coalesced). */
export const DEFAULT_CONSUMER_SAVE_DELAY_MS = 100;
/** Room for the DELETE and STATE record headers a rewrite adds, so a tiny segment is not rewritten over and over. */
const REWRITE_SLACK_BYTES = 128;
/** Bytes a kept tombstone takes in a rewritten segment. */
const TOMBSTONE_BYTES = 8;
/** An active segment that is wholly dead is swapped for a fresh one once it is this big. */
const DEAD_ACTIVE_RECLAIM_BYTES = 4096;
/** Tombstones per DELETE record, so one purge never builds a record past MAX_RECORD_SIZE. */
const TOMBSTONES_PER_RECORD = 1 << 20;

export const MESSAGES_DIR = "msgs";
export const CONSUMERS_DIR = "obj";

export interface FileStoreOptions {
  /** When to fsync: after every append, on an interval, or only on flush/close. Default `{ intervalMs: 120000 }`. */
  readonly syncPolicy?: SyncPolicy;
  /** Segment size at which a new segment file is started. Default 8 MiB. */
  readonly segmentSize?: number;
  /** Coalescing window for consumer state writes. Default 100 ms. */
  readonly consumerSaveDelayMs?: number;
  /** Where background failures (timer fsync, segment rewrite, listener exceptions) go. Default: a process warning. */
  readonly reportError?: StoreErrorReporter;
}

/** Bytes a message counts for, as nats-server's fileStoreMsgSize: 22 + subject + data + 8, plus 4 + header when there is one. */
export function fileStoreMessageSize(subject: string, headers: Uint8Array | undefined, data: Uint8Array): number {
  return fileStoreMessageSizeOf(Buffer.byteLength(subject), headers?.length ?? 0, data.length);
}

function fileStoreMessageSizeOf(subjectLength: number, headerLength: number, dataLength: number): number {
  return headerLength === 0 ? 22 + subjectLength + dataLength + 8 : 22 + subjectLength + 4 + headerLength + dataLength + 8;
}

/** The index of the first entry with seq ≥ `seq` in an ascending array (binary search). */
function findSeq(entries: readonly FileEntry[], seq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A deleted message whose record is still on disk (its segment not yet rewritten) and the
 * segment holding the tombstone that hides it. The tombstone must outlive the record.
 */
interface Ghost {
  readonly record: Segment;
  readonly tombstone: Segment;
}

interface FileEntry extends IndexEntry {
  /** Where the record is; changes when its segment is rewritten. */
  segment: Segment;
  offset: number;
  readonly length: number;
}

/** What a recovery found, for the caller to log. */
export interface RecoveryReport {
  segments: number;
  /** Bytes cut from torn or corrupt segment tails. */
  truncatedBytes: number;
  /** Damaged records skipped inside segments (each loses one message, tombstone batch or state marker). */
  skippedRecords: number;
}

export class FileStore extends IndexedStreamStore<FileEntry> {
  /** Stream directories open in this process: two stores appending to one log would corrupt it. */
  static readonly #openDirs = new Set<string>();
  readonly #dir: string;
  readonly #msgsDir: string;
  readonly #syncPolicy: SyncPolicy;
  readonly #segmentSize: number;
  readonly #consumerSaveDelayMs: number;
  readonly #segments: Segment[] = [];
  readonly #consumers = new Map<string, FileConsumerStore>();
  readonly #ghosts = new Map<number, Ghost>();
  #active!: Segment;
  /** The sequence range the log on disk already accounts for; a STATE record is due when the store moves past it. */
  #persistedFirst = 0;
  #persistedLast = 0;
  /**
   * The record of the message `store()` is adding, held back until the operation ends so the
   * STATE or DELETE records its limits cause go out in the same write (one syscall, not two).
   * Nothing reads in between: limits remove without loading.
   */
  #held: Buffer | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #rewriteScheduled: NodeJS.Immediate | undefined;
  readonly recovery: RecoveryReport;

  /** Opens (or creates) the store in `dir`, rebuilding the index from the segments there. */
  constructor(dir: string, limits: StoreLimits, options: FileStoreOptions = {}) {
    super(limits, options.reportError);
    this.#dir = dir;
    this.#msgsDir = path.join(dir, MESSAGES_DIR);
    this.#syncPolicy = options.syncPolicy ?? { intervalMs: DEFAULT_SYNC_INTERVAL_MS };
    this.#segmentSize = Math.max(1024, options.segmentSize ?? DEFAULT_SEGMENT_SIZE);
    this.#consumerSaveDelayMs = options.consumerSaveDelayMs ?? DEFAULT_CONSUMER_SAVE_DELAY_MS;
    fs.mkdirSync(this.#msgsDir, { recursive: true });
    const key = path.resolve(dir);
    if (FileStore.#openDirs.has(key)) throw new Error(`file store ${dir} is already open`);
    FileStore.#openDirs.add(key);
    try {
      this.recovery = this.#recover();
    } catch (err) {
      FileStore.#openDirs.delete(key);
      for (const segment of this.#segments) segment.close();
      throw err;
    }
    if (typeof this.#syncPolicy === "object" && this.#syncPolicy.intervalMs > 0) {
      this.#syncTimer = setInterval(() => this.#inBackground("periodic fsync", () => this.#syncAll()), this.#syncPolicy.intervalMs);
      this.#syncTimer.unref();
    }
  }

  // ---- recovery ------------------------------------------------------------------------------

  #recover(): RecoveryReport {
    // Records arrive in sequence order (segments are scanned in id order and a rewrite keeps
    // the order), so a plain array collects them; tombstones are applied afterwards.
    let entries: FileEntry[] = [];
    const tombstones: Array<{ seq: number; segment: Segment }> = [];
    /** One string per distinct subject, not one per message. */
    const subjects = new Map<string, string>();
    let firstFloor = 0;
    let lastSeq = 0;
    let lastTimeNs = 0n;
    let truncatedBytes = 0;
    let skippedRecords = 0;
    removeUnfinishedRewrites(this.#msgsDir);
    for (const id of listSegmentIds(this.#msgsDir)) {
      const segment = Segment.open(this.#msgsDir, id);
      this.#segments.push(segment);
      const scanned = segment.scan(({ offset, length, record }) => {
        switch (record.kind) {
          case RecordKind.message: {
            let subject = subjects.get(record.subject);
            if (subject === undefined) subjects.set(record.subject, (subject = record.subject));
            const size = fileStoreMessageSizeOf(Buffer.byteLength(subject), Math.max(record.headerLength, 0), record.dataLength);
            entries.push({ seq: record.seq, subject, timeNs: record.timeNs, size, segment, offset, length });
            segment.maxSeqRef = Math.max(segment.maxSeqRef, record.seq);
            if (record.seq >= lastSeq) {
              lastSeq = record.seq;
              lastTimeNs = record.timeNs;
            }
            break;
          }
          case RecordKind.delete:
            for (const seq of record.seqs) {
              tombstones.push({ seq, segment });
              segment.maxSeqRef = Math.max(segment.maxSeqRef, seq);
              lastSeq = Math.max(lastSeq, seq);
            }
            break;
          case RecordKind.state:
            firstFloor = Math.max(firstFloor, record.firstSeq);
            if (record.lastSeq >= lastSeq) {
              lastSeq = record.lastSeq;
              if (record.lastTimeNs > lastTimeNs) lastTimeNs = record.lastTimeNs;
            }
            break;
        }
      });
      truncatedBytes += scanned.truncatedBytes;
      skippedRecords += scanned.skippedRecords;
    }
    if (!entries.every((entry, i) => i === 0 || entries[i - 1]!.seq < entry.seq)) entries.sort((a, b) => a.seq - b.seq);
    if (tombstones.length > 0) {
      const deleted = new Set<number>();
      for (const { seq, segment } of tombstones) {
        const hidden = entries[findSeq(entries, seq)];
        if (hidden?.seq !== seq || deleted.has(seq)) continue;
        deleted.add(seq);
        this.#ghosts.set(seq, { record: hidden.segment, tombstone: segment });
        segment.neededTombstones++;
      }
      if (deleted.size > 0) entries = entries.filter((entry) => !deleted.has(entry.seq));
    }
    for (const entry of entries) if (entry.seq >= firstFloor) entry.segment.liveBytes += entry.length;
    this.#releaseGhosts((seq) => seq < firstFloor);

    const last = this.#segments.at(-1);
    this.#active = last !== undefined && last.size < this.#segmentSize ? last : this.#newSegment();
    this.#persistedFirst = firstFloor;
    this.#persistedLast = lastSeq;
    this.restore(entries, firstFloor, lastSeq, lastTimeNs);
    this.#reclaim();
    return { segments: this.#segments.length, truncatedBytes, skippedRecords };
  }

  // ---- storage hooks -------------------------------------------------------------------------

  protected writeMessage(seq: number, subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs: bigint): FileEntry {
    const record = encodeMessage(seq, subject, headers, data, timeNs);
    this.#writeHeld();
    if (this.#active.size > 0 && this.#active.size + record.length > this.#segmentSize) this.#active = this.#newSegment();
    const segment = this.#active;
    const offset = segment.size;
    this.#held = record;
    segment.liveBytes += record.length;
    segment.maxSeqRef = Math.max(segment.maxSeqRef, seq);
    this.#persistedLast = Math.max(this.#persistedLast, seq);
    return { seq, subject, timeNs, size: fileStoreMessageSize(subject, headers, data), segment, offset, length: record.length };
  }

  protected readMessage(entry: FileEntry): StoredMessage {
    const buf = entry.segment.read(entry.offset, entry.length);
    const length = frameLengthAt(buf, 0);
    const record = typeof length === "number" ? decodeFrame(buf, 0, length) : undefined;
    if (record?.kind !== RecordKind.message || record.seq !== entry.seq) {
      throw new Error(`file store ${this.#dir}: record for seq ${entry.seq} is damaged`);
    }
    return { seq: record.seq, subject: record.subject, headers: record.headers, data: record.data, timeNs: record.timeNs };
  }

  protected persistChanges(removed: readonly FileEntry[]): void {
    if (this.closed) return;
    const interior: FileEntry[] = [];
    for (const entry of removed) {
      entry.segment.liveBytes -= entry.length;
      // Below the first sequence the STATE record covers it; only interior deletes need a tombstone.
      if (entry.seq >= this.firstSeq) interior.push(entry);
    }
    const records: Buffer[] = [];
    for (let i = 0; i < interior.length; i += TOMBSTONES_PER_RECORD) {
      records.push(encodeDelete(interior.slice(i, i + TOMBSTONES_PER_RECORD).map((e) => e.seq)));
    }
    if (this.firstSeq > this.#persistedFirst || this.lastSeq > this.#persistedLast) records.push(this.#stateRecord());
    if (records.length > 0) {
      // With a held message the records follow it into its segment (which may run a little past the size).
      if (this.#held === undefined && this.#active.size > 0 && this.#active.size + records.reduce((n, r) => n + r.length, 0) > this.#segmentSize) {
        this.#active = this.#newSegment();
      }
      const tombstone = this.#active;
      if (this.#held !== undefined) records.unshift(this.#held);
      this.#held = undefined;
      tombstone.append(records.length === 1 ? records[0]! : Buffer.concat(records));
      if (this.#syncPolicy === "always") tombstone.sync();
      for (const entry of interior) {
        this.#ghosts.set(entry.seq, { record: entry.segment, tombstone });
        tombstone.maxSeqRef = Math.max(tombstone.maxSeqRef, entry.seq);
      }
      tombstone.neededTombstones += interior.length;
    }
    this.#writeHeld();
    this.#reclaim();
  }

  protected override storeFinished(): void {
    this.#writeHeld();
  }

  #writeHeld(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#active.append(held);
    if (this.#syncPolicy === "always") this.#active.sync();
  }

  protected flushStorage(): Promise<void> {
    if (!this.closed) this.#syncAll();
    for (const consumer of this.#consumers.values()) consumer.flush();
    return Promise.resolve();
  }

  protected closeStorage(): Promise<void> {
    this.#stopTimers();
    FileStore.#openDirs.delete(path.resolve(this.#dir));
    for (const consumer of this.#consumers.values()) consumer.detach(false);
    for (const segment of this.#segments) segment.close();
    return Promise.resolve();
  }

  protected async destroyStorage(): Promise<void> {
    this.#stopTimers();
    FileStore.#openDirs.delete(path.resolve(this.#dir));
    for (const segment of this.#segments) segment.unlink();
    this.#segments.length = 0;
    for (const consumer of this.#consumers.values()) consumer.detach(true);
    this.#consumers.clear();
    await fs.promises.rm(this.#dir, { recursive: true, force: true });
  }

  consumerStore(name: string): ConsumerStore {
    assertSafeName("consumer", name);
    let store = this.#consumers.get(name);
    if (store === undefined) {
      store = new FileConsumerStore(path.join(this.#dir, CONSUMERS_DIR, name), this.#consumerSaveDelayMs, () => this.#consumers.delete(name));
      this.#consumers.set(name, store);
    }
    return store;
  }

  // ---- segments ------------------------------------------------------------------------------

  #newSegment(): Segment {
    const segment = Segment.create(this.#msgsDir, (this.#segments.at(-1)?.id ?? 0) + 1);
    this.#segments.push(segment);
    return segment;
  }

  #stateRecord(): Buffer {
    this.#persistedFirst = this.firstSeq;
    this.#persistedLast = this.lastSeq;
    return encodeState(this.firstSeq, this.lastSeq, this.lastTimeNs);
  }

  /**
   * Before a segment's records disappear, the active segment must hold the current sequence
   * range, so the first/last sequences never depend on a file about to go; it is synced so a
   * power loss cannot leave the unlink without it.
   */
  #writeStateBeforeDropping(): void {
    this.#active.append(this.#stateRecord());
    this.#active.sync();
  }

  /** Unlinks segments holding nothing at or above the first sequence and queues rewrites of mostly dead ones. */
  #reclaim(): void {
    const first = this.firstSeq;
    if (this.#active.maxSeqRef < first && this.#active.size >= DEAD_ACTIVE_RECLAIM_BYTES) this.#active = this.#newSegment();
    const dead = this.#segments.filter((s) => s !== this.#active && s.maxSeqRef < first);
    if (dead.length > 0) {
      this.#writeStateBeforeDropping();
      for (const segment of dead) this.#drop(segment);
    }
    if (this.#rewriteScheduled === undefined && this.#segments.some((s) => this.#wantsRewrite(s))) {
      // Rewriting is a few MiB of I/O: do it after the operation that caused it has answered.
      this.#rewriteScheduled = setImmediate(() => {
        this.#rewriteScheduled = undefined;
        if (!this.closed) this.#inBackground("segment rewrite", () => this.#rewriteSparseSegments());
      });
    }
  }

  /** A closed segment is worth rewriting when more than half of it is dead weight. */
  #wantsRewrite(segment: Segment): boolean {
    const needed = segment.liveBytes + segment.neededTombstones * TOMBSTONE_BYTES + REWRITE_SLACK_BYTES;
    return segment !== this.#active && segment.size > 2 * needed;
  }

  #rewriteSparseSegments(): void {
    let stateWritten = false;
    // In id order: rewriting a message segment frees tombstones held by later segments.
    for (const segment of [...this.#segments]) {
      if (!this.#segments.includes(segment) || !this.#wantsRewrite(segment)) continue;
      if (!stateWritten) {
        this.#writeStateBeforeDropping();
        stateWritten = true;
      }
      this.#rewrite(segment);
    }
  }

  /** Unlinks a segment and forgets the tombstone bookkeeping tied to it. */
  #drop(segment: Segment): void {
    segment.unlink();
    this.#segments.splice(this.#segments.indexOf(segment), 1);
    const first = this.firstSeq;
    this.#releaseGhosts((seq, ghost) => ghost.record === segment || ghost.tombstone === segment || seq < first);
  }

  #releaseGhosts(release: (seq: number, ghost: Ghost) => boolean): void {
    for (const [seq, ghost] of this.#ghosts) {
      if (!release(seq, ghost)) continue;
      this.#ghosts.delete(seq);
      ghost.tombstone.neededTombstones--;
    }
  }

  /**
   * Rewrites a closed segment with only its live messages, plus the tombstones it holds for
   * deleted records still present in other segments.
   */
  #rewrite(segment: Segment): void {
    const first = this.firstSeq;
    const tombstones: number[] = [];
    const live: Array<{ entry: FileEntry; from: number }> = [];
    const content = segment.readAll();
    let offset = 0;
    for (;;) {
      const length = frameLengthAt(content, offset);
      if (typeof length !== "number") break;
      const record = decodeFrame(content, offset, length);
      if (record.kind === RecordKind.message) {
        const entry = this.entry(record.seq);
        if (entry !== undefined && entry.segment === segment && entry.offset === offset) {
          live.push({ entry, from: offset });
        } else {
          // This deleted record is about to vanish: its tombstone, wherever it is, is no longer needed.
          const ghost = this.#ghosts.get(record.seq);
          if (ghost?.record === segment) {
            this.#ghosts.delete(record.seq);
            ghost.tombstone.neededTombstones--;
          }
        }
      } else if (record.kind === RecordKind.delete) {
        for (const seq of record.seqs) tombstones.push(seq);
      }
      offset += length;
    }
    const kept: number[] = [];
    for (const seq of tombstones) {
      const ghost = this.#ghosts.get(seq);
      if (ghost?.tombstone !== segment) continue;
      if (seq >= first) {
        kept.push(seq);
      } else {
        this.#ghosts.delete(seq);
        segment.neededTombstones--;
      }
    }
    const parts: Buffer[] = [];
    let size = 0;
    if (kept.length > 0) {
      const record = encodeDelete(kept);
      parts.push(record);
      size += record.length;
    }
    const newOffsets: number[] = [];
    for (const { entry, from } of live) {
      newOffsets.push(size);
      parts.push(content.subarray(from, from + entry.length));
      size += entry.length;
    }
    if (parts.length === 0) {
      this.#drop(segment);
      return;
    }
    segment.replace(Buffer.concat(parts, size));
    let maxSeqRef = 0;
    for (const seq of kept) maxSeqRef = Math.max(maxSeqRef, seq);
    for (const [i, { entry }] of live.entries()) {
      entry.offset = newOffsets[i]!;
      maxSeqRef = Math.max(maxSeqRef, entry.seq);
    }
    segment.maxSeqRef = maxSeqRef;
    segment.neededTombstones = kept.length;
  }

  /**
   * Runs timer-driven maintenance. A failure there (disk full, say) has no caller to report to
   * and must not take the host process down: it is reported as a warning and retried next time.
   * A failed rewrite leaves the old segment as it was (the rename never happened).
   */
  #inBackground(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.reportError(`file store ${this.#dir}: ${what} failed`, err);
    }
  }

  #syncAll(): void {
    for (const segment of this.#segments) segment.sync();
  }

  #stopTimers(): void {
    if (this.#syncTimer !== undefined) clearInterval(this.#syncTimer);
    this.#syncTimer = undefined;
    if (this.#rewriteScheduled !== undefined) clearImmediate(this.#rewriteScheduled);
    this.#rewriteScheduled = undefined;
  }
}
