/**
 * The file store's segments as one log: appends go to the active segment (rotated at a size),
 * removals become tombstones, and space comes back by unlinking dead segments and rewriting
 * mostly dead ones. It knows records and files; which messages are live, and the sequence range,
 * it asks the store (`SegmentLogHost`). With `s2` compression a segment is compressed once it
 * is no longer the active one (segment-sealer.ts), and at a clean close the active one too.
 */
import { RecordKind, decodeFrame, encodeDelete, frameLengthAt } from "./record-codec.ts";
import { Segment } from "./segment.ts";
import { SegmentSealer } from "./segment-sealer.ts";
import type { StoreCompression, SyncPolicy } from "./stream-store.ts";

/** Room for the DELETE and STATE record headers a rewrite adds, so a tiny segment is not rewritten over and over. */
const REWRITE_SLACK_BYTES = 128;
/** Bytes a kept tombstone takes in a rewritten segment. */
const TOMBSTONE_BYTES = 8;
/** An active segment that is wholly dead is swapped for a fresh one once it is this big. */
const DEAD_ACTIVE_RECLAIM_BYTES = 4096;
/** Tombstones per DELETE record, so one purge never builds a record past MAX_RECORD_SIZE. */
const TOMBSTONES_PER_RECORD = 1 << 20;

/** Where a live message's record is. The log moves it when it rewrites the segment. */
export interface RecordLocation {
  readonly seq: number;
  segment: Segment;
  offset: number;
  readonly length: number;
}

/** What the log needs from the store that owns it. */
export interface SegmentLogHost {
  /** The store's first sequence: nothing below it is needed any more. */
  firstSeq(): number;
  /** A STATE record for the current sequence range. */
  stateRecord(): Buffer;
  /** The record from `stateRecord()` is written and synced. */
  statePersisted(): void;
  /** The live message with this sequence, if any. */
  location(seq: number): RecordLocation | undefined;
  /** A failure in background work (a timer's fsync, a rewrite) that has no caller to throw to. */
  reportError(what: string, err: unknown): void;
}

/**
 * A deleted message whose record is still on disk (its segment not yet rewritten) and the
 * segment holding the tombstone that hides it. The tombstone must outlive the record.
 */
interface Ghost {
  readonly record: Segment;
  readonly tombstone: Segment;
}

export class SegmentLog {
  readonly #dir: string;
  readonly #segmentSize: number;
  readonly #syncPolicy: SyncPolicy;
  readonly #host: SegmentLogHost;
  readonly #segments: Segment[] = [];
  readonly #ghosts = new Map<number, Ghost>();
  #active: Segment | undefined;
  /**
   * The record of the message `store()` is adding, held back until the operation ends so the
   * STATE or DELETE records its limits cause go out in the same write (one syscall, not two).
   * Nothing reads in between: limits remove without loading.
   */
  #held: Buffer | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #rewriteScheduled: NodeJS.Immediate | undefined;
  #stopped = false;
  #compression: StoreCompression;
  readonly #sealer: SegmentSealer;

  constructor(dir: string, segmentSize: number, syncPolicy: SyncPolicy, compression: StoreCompression, host: SegmentLogHost) {
    this.#dir = dir;
    this.#segmentSize = segmentSize;
    this.#syncPolicy = syncPolicy;
    this.#host = host;
    this.#compression = compression;
    this.#sealer = new SegmentSealer({
      wanted: (segment) => this.#wantsSeal(segment),
      reportError: (what, err) => host.reportError(`file store ${dir}: ${what}`, err),
    });
  }

  /**
   * How sealed segments are kept. Turning `s2` on queues every raw sealed segment, as an open
   * with `s2` does; turning it off leaves compressed segments as they are (both kinds are read).
   */
  setCompression(compression: StoreCompression): void {
    this.#compression = compression;
    if (this.#active !== undefined) for (const segment of this.#segments) this.#queueSeal(segment);
  }

  /** True while a segment waits to be compressed. */
  get sealing(): boolean {
    return this.#sealer.busy;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  /** The segments in id order and the tombstone bookkeeping, for the index checkpoint. */
  describe(): { segments: readonly Segment[]; ghosts: Array<{ seq: number; record: Segment; tombstone: Segment }> } {
    const ghosts = [...this.#ghosts].map(([seq, ghost]) => ({ seq, record: ghost.record, tombstone: ghost.tombstone }));
    return { segments: this.#segments, ghosts };
  }

  // ---- recovery ------------------------------------------------------------------------------

  /** Takes a segment found on disk (in id order). */
  adopt(segment: Segment): void {
    this.#segments.push(segment);
  }

  /** Records that a tombstone in `tombstone` hides the record of `seq` in `record`. */
  adoptGhost(seq: number, record: Segment, tombstone: Segment): void {
    this.#ghosts.set(seq, { record, tombstone });
    tombstone.neededTombstones++;
  }

  /** After recovery: drops what the first sequence made moot, picks the active segment, starts the sync timer. */
  start(): void {
    const first = this.#host.firstSeq();
    this.#releaseGhosts((seq) => seq < first);
    const last = this.#segments.at(-1);
    this.#active = last !== undefined && last.size < this.#segmentSize && this.#reopenable(last) ? last : this.#newSegment();
    // Segments a crash left raw, or written before compression was turned on.
    for (const segment of this.#segments) this.#queueSeal(segment);
    if (typeof this.#syncPolicy === "object" && this.#syncPolicy.intervalMs > 0) {
      this.#syncTimer = setInterval(() => this.#inBackground("periodic fsync", () => this.syncAll()), this.#syncPolicy.intervalMs);
      this.#syncTimer.unref();
    }
  }

  // ---- writing -------------------------------------------------------------------------------

  get #current(): Segment {
    if (this.#active === undefined) throw new Error("segment log not started");
    return this.#active;
  }

  /** Places a message record; it is written with whatever the same operation adds, or by `writeHeld()`. */
  hold(record: Buffer, seq: number): { segment: Segment; offset: number } {
    this.writeHeld();
    if (this.#current.size > 0 && this.#current.size + record.length > this.#segmentSize) this.#rotate();
    const segment = this.#current;
    this.#held = record;
    segment.liveBytes += record.length;
    segment.maxSeqRef = Math.max(segment.maxSeqRef, seq);
    return { segment, offset: segment.size };
  }

  /** True between `hold()` and the write of the held record: a failure now means the message was not stored. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  writeHeld(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#current.append(held);
    if (this.#syncPolicy === "always") this.#current.sync();
  }

  /**
   * Persists removals: `deleted` (interior, ascending) get tombstones; `state`, when given, is
   * appended after them. Then gives back whatever space the removals freed.
   */
  recordRemovals(removed: readonly RecordLocation[], deleted: readonly RecordLocation[], state: Buffer | undefined): void {
    for (const location of removed) location.segment.liveBytes -= location.length;
    const records: Buffer[] = [];
    for (let i = 0; i < deleted.length; i += TOMBSTONES_PER_RECORD) {
      records.push(encodeDelete(deleted.slice(i, i + TOMBSTONES_PER_RECORD).map((d) => d.seq)));
    }
    if (state !== undefined) records.push(state);
    if (records.length > 0) {
      // With a held message the records follow it into its segment (which may run a little past the size).
      if (this.#held === undefined && this.#current.size > 0 && this.#current.size + records.reduce((n, r) => n + r.length, 0) > this.#segmentSize) {
        this.#rotate();
      }
      const tombstone = this.#current;
      if (this.#held !== undefined) records.unshift(this.#held);
      this.#held = undefined;
      tombstone.append(records.length === 1 ? records[0]! : Buffer.concat(records));
      if (this.#syncPolicy === "always") tombstone.sync();
      for (const location of deleted) {
        this.#ghosts.set(location.seq, { record: location.segment, tombstone });
        tombstone.maxSeqRef = Math.max(tombstone.maxSeqRef, location.seq);
      }
      tombstone.neededTombstones += deleted.length;
    }
    this.writeHeld();
    // What was asked is written; failing to give space back is not the caller's failure.
    this.#inBackground("space reclaim", () => this.reclaim());
  }

  // ---- space reclaim -------------------------------------------------------------------------

  /** Unlinks segments holding nothing at or above the first sequence and queues rewrites of mostly dead ones. */
  reclaim(): void {
    const first = this.#host.firstSeq();
    if (this.#current.maxSeqRef < first && this.#current.size >= DEAD_ACTIVE_RECLAIM_BYTES) this.#active = this.#newSegment();
    const dead = this.#segments.filter((s) => s !== this.#active && s.maxSeqRef < first);
    if (dead.length > 0) {
      this.#writeStateBeforeDropping();
      for (const segment of dead) this.#drop(segment);
    }
    if (this.#rewriteScheduled === undefined && this.#segments.some((s) => this.#wantsRewrite(s))) {
      // Rewriting is a few MiB of I/O: do it after the operation that caused it has answered.
      this.#rewriteScheduled = setImmediate(() => {
        this.#rewriteScheduled = undefined;
        if (!this.#stopped) this.#inBackground("segment rewrite", () => this.#rewriteSparseSegments());
      });
    }
  }

  /**
   * Before a segment's records disappear, the active segment must hold the current sequence
   * range, so the first/last sequences never depend on a file about to go; it is synced so a
   * power loss cannot leave the unlink without it.
   */
  #writeStateBeforeDropping(): void {
    this.#current.append(this.#host.stateRecord());
    this.#current.sync();
    this.#host.statePersisted();
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
    const first = this.#host.firstSeq();
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
    const first = this.#host.firstSeq();
    const tombstones: number[] = [];
    const live: Array<{ location: RecordLocation; from: number }> = [];
    const content = segment.readAll();
    let offset = 0;
    for (;;) {
      const length = frameLengthAt(content, offset);
      if (typeof length !== "number") break;
      const record = decodeFrame(content, offset, length);
      if (record.kind === RecordKind.message) {
        const location = this.#host.location(record.seq);
        if (location !== undefined && location.segment === segment && location.offset === offset) {
          live.push({ location, from: offset });
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
    for (const { location, from } of live) {
      newOffsets.push(size);
      parts.push(content.subarray(from, from + location.length));
      size += location.length;
    }
    if (parts.length === 0) {
      this.#drop(segment);
      return;
    }
    segment.replace(Buffer.concat(parts, size));
    let maxSeqRef = 0;
    for (const seq of kept) maxSeqRef = Math.max(maxSeqRef, seq);
    for (const [i, { location }] of live.entries()) {
      location.offset = newOffsets[i]!;
      maxSeqRef = Math.max(maxSeqRef, location.seq);
    }
    segment.maxSeqRef = maxSeqRef;
    segment.neededTombstones = kept.length;
    this.#queueSeal(segment);
  }

  // ---- compression ---------------------------------------------------------------------------

  /** A new active segment; the old one is full and, with compression, is compressed in the background. */
  #rotate(): void {
    const previous = this.#active;
    this.#active = this.#newSegment();
    if (previous !== undefined) this.#queueSeal(previous);
  }

  #queueSeal(segment: Segment): void {
    if (this.#wantsSeal(segment)) this.#sealer.queue(segment);
  }

  #wantsSeal(segment: Segment): boolean {
    return (
      this.#compression === "s2" &&
      !this.#stopped &&
      segment !== this.#active &&
      !segment.compressed &&
      segment.size > 0 &&
      segment.maxSeqRef >= this.#host.firstSeq() &&
      this.#segments.includes(segment)
    );
  }

  /**
   * Whether the last segment found at open can take appends. A compressed one (the active
   * segment a clean close compressed) is expanded back to raw records first; one that cannot be
   * read whole stays as it is and a new segment starts.
   */
  #reopenable(segment: Segment): boolean {
    if (!segment.compressed) return true;
    try {
      segment.replace(segment.readAll());
      return true;
    } catch (err) {
      this.#host.reportError(`file store ${this.#dir}: segment ${segment.path} cannot be reopened for appends`, err);
      return false;
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  syncAll(): void {
    for (const segment of this.#segments) segment.sync();
  }

  /** Stops the timers, compresses what is still raw (with `s2`), syncs and closes every segment. */
  close(): void {
    // At rest means all of it: the segments still queued, and the active one, without which a
    // stream smaller than one segment would never be compressed. The next open expands the
    // active one again.
    this.#stop(); // first: it writes a held record, which may be all the active segment has
    const raw = this.#compression === "s2" ? this.#segments.filter((s) => !s.compressed && s.size > 0 && s.maxSeqRef >= this.#host.firstSeq()) : [];
    for (const segment of raw) this.#inBackground(`compressing ${segment.path} at close`, () => this.#sealer.sealNow(segment));
    for (const segment of this.#segments) segment.close();
  }

  /** Stops the timers and deletes every segment. */
  unlinkAll(): void {
    this.#stop();
    for (const segment of this.#segments) segment.unlink();
    this.#segments.length = 0;
  }

  #stop(): void {
    this.#stopped = true;
    this.#sealer.stop();
    this.writeHeld();
    if (this.#syncTimer !== undefined) clearInterval(this.#syncTimer);
    this.#syncTimer = undefined;
    if (this.#rewriteScheduled !== undefined) clearImmediate(this.#rewriteScheduled);
    this.#rewriteScheduled = undefined;
  }

  #newSegment(): Segment {
    const segment = Segment.create(this.#dir, (this.#segments.at(-1)?.id ?? 0) + 1);
    this.#segments.push(segment);
    return segment;
  }

  /**
   * Runs timer-driven maintenance. A failure there (disk full, say) has no caller to report to
   * and must not take the host process down: it is reported and retried next time. A failed
   * rewrite leaves the old segment as it was (the rename never happened).
   */
  #inBackground(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.#host.reportError(`file store ${this.#dir}: ${what} failed`, err);
    }
  }
}
