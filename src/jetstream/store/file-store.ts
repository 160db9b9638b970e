/**
 * The file store: a stream's messages in append-only segment files under `<streamDir>/msgs/`,
 * its consumers' state under `<streamDir>/obj/`. The index (seq → segment, offset, subject)
 * lives in memory and is rebuilt by scanning the segments at open; docs/storage.md has the
 * formats and the crash guarantees.
 *
 * Removals are logged, not done in place: a message deleted from the middle gets a tombstone
 * (a DELETE record); messages that fall below the stream's first sequence are covered by a
 * STATE record carrying the new first sequence instead. The segments themselves, rotation and
 * space reclaim are the SegmentLog's (segment-log.ts); this class rebuilds the index at open
 * and decides what each store operation writes.
 */
import fs from "node:fs";
import path from "node:path";
import { FileConsumerStore } from "./file-consumer-store.ts";
import { assertSafeName } from "./atomic-file.ts";
import { type IndexEntry, IndexedStreamStore, type StoreErrorReporter } from "./indexed-store.ts";
import { RecordKind, decodeFrame, encodeMessage, encodeState, frameLengthAt } from "./record-codec.ts";
import { type Checkpoint, takeCheckpoint, writeCheckpoint } from "./index-checkpoint.ts";
import { Segment, listSegmentIds, removeUnfinishedRewrites, segmentPath } from "./segment.ts";
import { type RecordLocation, SegmentLog } from "./segment-log.ts";
import type { ConsumerStore, StoreLimits, StoredMessage, SyncPolicy } from "./stream-store.ts";

/** nats-server's default sync_interval (filestore.go defaultSyncInterval). */
export const DEFAULT_SYNC_INTERVAL_MS = 2 * 60 * 1000;
/** Segments rotate at this size (nats-server's default block size for a limits stream is 8 MiB). */
export const DEFAULT_SEGMENT_SIZE = 8 * 1024 * 1024;
/** Consumer state is written at most this often (the rest is coalesced). */
export const DEFAULT_CONSUMER_SAVE_DELAY_MS = 100;

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

/** An index entry that is also where its record is (the log moves it when it rewrites a segment). */
interface FileEntry extends IndexEntry, RecordLocation {}

/** What a recovery found, for the caller to log. */
export interface RecoveryReport {
  segments: number;
  /** Bytes cut from torn or corrupt segment tails. */
  truncatedBytes: number;
  /** Damaged records skipped inside segments (each loses one message, tombstone batch or state marker). */
  skippedRecords: number;
  /** Compressed chunks that failed their checks (each loses the records in it, ~64 KiB of raw data). */
  damagedChunks: number;
  /** True when the index came from the checkpoint a clean close left (no segment was scanned). */
  fromCheckpoint: boolean;
}

export class FileStore extends IndexedStreamStore<FileEntry> {
  /** Stream directories open in this process: two stores appending to one log would corrupt it. */
  static readonly #openDirs = new Set<string>();
  readonly #dir: string;
  readonly #msgsDir: string;
  readonly #consumerSaveDelayMs: number;
  readonly #consumers = new Map<string, FileConsumerStore>();
  readonly #log: SegmentLog;
  /** The sequence range the log on disk already accounts for; a STATE record is due when the store moves past it. */
  #persistedFirst = 0;
  #persistedLast = 0;
  readonly recovery: RecoveryReport;

  /** Opens (or creates) the store in `dir`, rebuilding the index from the segments there. */
  constructor(dir: string, limits: StoreLimits, options: FileStoreOptions = {}) {
    super(limits, options.reportError);
    this.#dir = dir;
    this.#msgsDir = path.join(dir, MESSAGES_DIR);
    this.#log = new SegmentLog(
      this.#msgsDir,
      Math.max(1024, options.segmentSize ?? DEFAULT_SEGMENT_SIZE),
      options.syncPolicy ?? { intervalMs: DEFAULT_SYNC_INTERVAL_MS },
      limits.compression ?? "none",
      {
        firstSeq: () => this.firstSeq,
        stateRecord: () => encodeState(this.firstSeq, this.lastSeq, this.lastTimeNs),
        statePersisted: () => this.#markPersisted(),
        location: (seq) => this.entry(seq),
        reportError: (what, err) => this.reportError(what, err),
      },
    );
    this.#consumerSaveDelayMs = options.consumerSaveDelayMs ?? DEFAULT_CONSUMER_SAVE_DELAY_MS;
    fs.mkdirSync(this.#msgsDir, { recursive: true });
    const key = path.resolve(dir);
    if (FileStore.#openDirs.has(key)) throw new Error(`file store ${dir} is already open`);
    FileStore.#openDirs.add(key);
    try {
      this.recovery = this.#recover();
    } catch (err) {
      FileStore.#openDirs.delete(key);
      this.#log.close();
      throw err;
    }
  }

  // ---- recovery ------------------------------------------------------------------------------

  #recover(): RecoveryReport {
    removeUnfinishedRewrites(this.#msgsDir);
    const ids = listSegmentIds(this.#msgsDir);
    const sizes = new Map(ids.map((id) => [id, fs.statSync(segmentPath(this.#msgsDir, id)).size]));
    const checkpoint = takeCheckpoint(this.#msgsDir, sizes);
    if (checkpoint !== undefined) return this.#recoverFromCheckpoint(checkpoint);
    return this.#recoverByScan(ids);
  }

  /** The index as a clean close left it: no segment is read. */
  #recoverFromCheckpoint(checkpoint: Checkpoint): RecoveryReport {
    const segments = checkpoint.segments.map(({ id, maxSeqRef }) => {
      const segment = Segment.open(this.#msgsDir, id);
      segment.maxSeqRef = maxSeqRef;
      this.#log.adopt(segment);
      return segment;
    });
    const entries: FileEntry[] = checkpoint.entries.map((e) => ({
      seq: e.seq,
      subject: e.subject,
      timeNs: e.timeNs,
      size: e.size,
      segment: segments[e.segment]!,
      offset: e.offset,
      length: e.length,
    }));
    for (const ghost of checkpoint.ghosts) this.#log.adoptGhost(ghost.seq, segments[ghost.record]!, segments[ghost.tombstone]!);
    this.#finishRecovery(entries, checkpoint.firstSeq, checkpoint.lastSeq, checkpoint.lastTimeNs);
    this.#persistedFirst = checkpoint.persistedFirst;
    this.#persistedLast = checkpoint.persistedLast;
    return { segments: this.#log.segmentCount, truncatedBytes: 0, skippedRecords: 0, damagedChunks: 0, fromCheckpoint: true };
  }

  #recoverByScan(ids: readonly number[]): RecoveryReport {
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
    let damagedChunks = 0;
    for (const id of ids) {
      const segment = Segment.open(this.#msgsDir, id);
      this.#log.adopt(segment);
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
      damagedChunks += scanned.damagedChunks;
    }
    if (!entries.every((entry, i) => i === 0 || entries[i - 1]!.seq < entry.seq)) entries.sort((a, b) => a.seq - b.seq);
    if (tombstones.length > 0) {
      const deleted = new Set<number>();
      for (const { seq, segment } of tombstones) {
        const hidden = entries[findSeq(entries, seq)];
        if (hidden?.seq !== seq || deleted.has(seq)) continue;
        deleted.add(seq);
        this.#log.adoptGhost(seq, hidden.segment, segment);
      }
      if (deleted.size > 0) entries = entries.filter((entry) => !deleted.has(entry.seq));
    }
    this.#persistedFirst = firstFloor;
    this.#persistedLast = lastSeq;
    this.#finishRecovery(entries, firstFloor, lastSeq, lastTimeNs);
    if (damagedChunks > 0) {
      // As nats-server on a corrupt block: say what was lost and carry on with the rest.
      this.reportError(`file store ${this.#dir}: ${damagedChunks} damaged compressed chunk(s) skipped, their messages are lost`, new Error("compressed chunk fails its checks"));
    }
    return { segments: this.#log.segmentCount, truncatedBytes, skippedRecords, damagedChunks, fromCheckpoint: false };
  }

  #finishRecovery(entries: readonly FileEntry[], firstFloor: number, lastSeq: number, lastTimeNs: bigint): void {
    for (const entry of entries) if (entry.seq >= firstFloor) entry.segment.liveBytes += entry.length;
    // The log's view of the first sequence comes from the base: restore it before starting the log.
    this.restoreIndex(entries, firstFloor, lastSeq, lastTimeNs);
    this.#log.start();
    this.applyLimitsAfterRestore();
    this.#log.reclaim();
  }

  /** Leaves the index for the next open (best effort: without it the next open scans). */
  #writeCheckpoint(): void {
    try {
      const { segments, ghosts } = this.#log.describe();
      const indexOf = new Map(segments.map((segment, i) => [segment, i]));
      const entries = [];
      for (const e of this.allEntries()) {
        entries.push({ seq: e.seq, segment: indexOf.get(e.segment)!, offset: e.offset, length: e.length, size: e.size, subject: e.subject, timeNs: e.timeNs });
      }
      writeCheckpoint(this.#msgsDir, {
        firstSeq: this.firstSeq,
        lastSeq: this.lastSeq,
        lastTimeNs: this.lastTimeNs,
        persistedFirst: this.#persistedFirst,
        persistedLast: this.#persistedLast,
        // The size on disk: that is what the next open compares (a compressed file is smaller than its records).
        segments: segments.map((s) => ({ id: s.id, size: s.fileSize, maxSeqRef: s.maxSeqRef })),
        entries,
        ghosts: ghosts.map((g) => ({ seq: g.seq, record: indexOf.get(g.record)!, tombstone: indexOf.get(g.tombstone)! })),
      });
    } catch (err) {
      this.reportError(`file store ${this.#dir}: writing the index checkpoint failed`, err);
    }
  }

  // ---- storage hooks -------------------------------------------------------------------------

  protected writeMessage(seq: number, subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs: bigint): FileEntry {
    const record = encodeMessage(seq, subject, headers, data, timeNs);
    const { segment, offset } = this.#log.hold(record, seq);
    this.#persistedLast = Math.max(this.#persistedLast, seq);
    return { seq, subject, timeNs, size: fileStoreMessageSize(subject, headers, data), segment, offset, length: record.length };
  }

  protected readMessage(entry: FileEntry): StoredMessage | undefined {
    try {
      const buf = entry.segment.read(entry.offset, entry.length);
      const length = frameLengthAt(buf, 0);
      const record = typeof length === "number" ? decodeFrame(buf, 0, length) : undefined;
      if (record?.kind !== RecordKind.message || record.seq !== entry.seq) throw new Error("the record fails its checks");
      return { seq: record.seq, subject: record.subject, headers: record.headers, data: record.data, timeNs: record.timeNs };
    } catch (err) {
      // Damaged after a clean close (the checkpoint skipped the scan) or an I/O error: the
      // caller sees a missing message, never an exception from deep inside delivery.
      this.reportError(`file store ${this.#dir}: cannot read seq ${entry.seq}`, err);
      return undefined;
    }
  }

  protected persistChanges(removed: readonly FileEntry[]): void {
    if (this.closed) return;
    // Below the first sequence the STATE record covers a removal; only interior deletes need a tombstone.
    const interior = removed.filter((entry) => entry.seq >= this.firstSeq);
    const needState = this.firstSeq > this.#persistedFirst || this.lastSeq > this.#persistedLast;
    const state = needState ? encodeState(this.firstSeq, this.lastSeq, this.lastTimeNs) : undefined;
    const storing = this.#log.holding;
    try {
      this.#log.recordRemovals(removed, interior, state);
      if (needState) this.#markPersisted();
    } catch (err) {
      // During store() the failure is the caller's (no PubAck). Otherwise the removal stands in
      // memory and is reported: at worst the message comes back after a restart, and is
      // delivered again (at-least-once), which beats throwing into an ack or a timer.
      if (storing) throw err;
      this.reportError(`file store ${this.#dir}: recording a removal failed`, err);
    }
  }

  override updateLimits(limits: StoreLimits): void {
    super.updateLimits(limits);
    this.#log.setCompression(limits.compression ?? "none");
  }

  /** True while a sealed segment waits to be compressed in the background (for tests and benchmarks). */
  get compressing(): boolean {
    return this.#log.sealing;
  }

  protected override storeFinished(): void {
    this.#log.writeHeld();
  }

  protected flushStorage(): Promise<void> {
    if (!this.closed) {
      this.#log.writeHeld();
      this.#log.syncAll();
    }
    for (const consumer of this.#consumers.values()) consumer.flush();
    return Promise.resolve();
  }

  protected closeStorage(): Promise<void> {
    FileStore.#openDirs.delete(path.resolve(this.#dir));
    for (const consumer of this.#consumers.values()) {
      // One consumer's failed write must not leave the segments open.
      try {
        consumer.detach(false);
      } catch (err) {
        this.reportError(`file store ${this.#dir}: writing consumer state at close failed`, err);
      }
    }
    this.#log.close();
    this.#writeCheckpoint();
    return Promise.resolve();
  }

  protected async destroyStorage(): Promise<void> {
    FileStore.#openDirs.delete(path.resolve(this.#dir));
    this.#log.unlinkAll();
    for (const consumer of this.#consumers.values()) consumer.detach(true);
    this.#consumers.clear();
    await fs.promises.rm(this.#dir, { recursive: true, force: true });
  }

  consumerStore(name: string): ConsumerStore {
    assertSafeName("consumer", name);
    let store = this.#consumers.get(name);
    if (store === undefined) {
      store = new FileConsumerStore(
        path.join(this.#dir, CONSUMERS_DIR, name),
        this.#consumerSaveDelayMs,
        () => this.#consumers.delete(name),
        (what, err) => this.reportError(what, err),
      );
      this.#consumers.set(name, store);
    }
    return store;
  }

  #markPersisted(): void {
    this.#persistedFirst = this.firstSeq;
    this.#persistedLast = this.lastSeq;
  }
}
