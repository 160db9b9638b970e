/**
 * The part of a stream store that does not care where message bodies live: sequences, the
 * per-subject index, limits (discard old), purge semantics, pending counts and removal
 * notifications. The memory store keeps bodies in its index entries; the file store keeps
 * segment locations there and reads bodies from disk. Both subclass this, so one set of rules
 * (nats-server memstore.go's) serves both and the shared test suite checks them once.
 */
import { nowNs } from "./clock.ts";
import { filterIsAll, filterIsLiteral, filterMatches } from "./subject-filter.ts";
import type {
  ConsumerStore,
  PurgeRequest,
  RemovalReason,
  StoreLimits,
  StoreState,
  StoredMessage,
  StreamStore,
} from "./stream-store.ts";

/** What the index keeps per message; subclasses add where the body is. */
export interface IndexEntry {
  readonly seq: number;
  readonly subject: string;
  readonly timeNs: bigint;
  /** What the message counts for in `StoreState.bytes` (the store's nats-server accounting). */
  readonly size: number;
}

/**
 * Per-subject bookkeeping, as nats-server's fss SimpleState. `first` and `last` are kept as
 * bounds and only made exact when asked (nats-server's firstNeedsUpdate/lastNeedsUpdate): a
 * removal at either end would otherwise need a scan every time.
 */
interface SubjectInfo {
  /** The one copy of the subject string that entries share (callers hand in a new string per message). */
  readonly subject: string;
  count: number;
  /** ≤ the subject's first sequence; exact unless `firstStale`. */
  first: number;
  firstStale: boolean;
  /** ≥ the subject's last sequence; exact unless `lastStale`. */
  last: number;
  lastStale: boolean;
}

type RemovedListener = (seq: number, subject: string, reason: RemovalReason) => void;

/**
 * Where a store reports failures that have no caller to throw to (a listener's exception, a
 * timer's fsync). The JetStream wiring passes its logger; the default is a process warning.
 */
export type StoreErrorReporter = (what: string, err: unknown) => void;

export const warnStoreError: StoreErrorReporter = (what, err) => {
  process.emitWarning(`${what}: ${err instanceof Error ? err.message : String(err)}`);
};

const NS_PER_MS = 1_000_000n;

export abstract class IndexedStreamStore<E extends IndexEntry> implements StreamStore {
  /** seq → entry. Entries are always inserted in ascending seq order, so iteration order is seq order. */
  readonly #entries = new Map<number, E>();
  readonly #subjects = new Map<string, SubjectInfo>();
  readonly #listeners: RemovedListener[] = [];
  /** Removals of the operation in progress, persisted and announced together by #commit(). */
  #removed: Array<{ entry: E; reason: RemovalReason }> = [];
  #limits: StoreLimits;
  #firstSeq = 0;
  #lastSeq = 0;
  #lastTimeNs = 0n;
  #bytes = 0;
  #ageTimer: NodeJS.Timeout | undefined;
  #closed = false;

  protected readonly reportError: StoreErrorReporter;

  protected constructor(limits: StoreLimits, reportError: StoreErrorReporter = warnStoreError) {
    this.#limits = limits;
    this.reportError = reportError;
  }

  // ---- storage hooks -------------------------------------------------------------------------

  /** Persists a new message and returns its index entry. Must be durable per the store's policy when it returns. */
  protected abstract writeMessage(seq: number, subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs: bigint): E;
  protected abstract readMessage(entry: E): StoredMessage;
  /**
   * Called after every operation that removed messages or moved the sequence range without a new
   * message (skip, compact past the end). `removed` may be empty. `firstSeq`/`lastSeq` are
   * already the new ones.
   */
  protected abstract persistChanges(removed: readonly E[]): void;
  /** Called at the end of every `store()`, after limits were applied and persisted. */
  protected storeFinished(): void {
    // Nothing by default.
  }
  protected abstract flushStorage(): Promise<void>;
  protected abstract closeStorage(): Promise<void>;
  protected abstract destroyStorage(): Promise<void>;
  abstract consumerStore(name: string): ConsumerStore;

  // ---- for subclasses ------------------------------------------------------------------------

  protected get firstSeq(): number {
    return this.#firstSeq;
  }

  protected get lastSeq(): number {
    return this.#lastSeq;
  }

  protected get lastTimeNs(): bigint {
    return this.#lastTimeNs;
  }

  protected get closed(): boolean {
    return this.#closed;
  }

  protected entry(seq: number): E | undefined {
    return this.#entries.get(seq);
  }

  /** Every stored entry, ascending (for a subclass's own maintenance). */
  protected allEntries(): IterableIterator<E> {
    return this.#entries.values();
  }

  /** Loads recovered entries (ascending seq order) and sequence floors, then applies the limits. */
  protected restore(entries: readonly E[], firstFloor: number, lastSeq: number, lastTimeNs: bigint): void {
    for (const entry of entries) {
      if (entry.seq >= firstFloor) this.#add(entry);
    }
    this.#lastSeq = Math.max(lastSeq, this.#lastSeq);
    this.#lastTimeNs = lastTimeNs;
    if (this.#entries.size === 0) this.#firstSeq = Math.max(firstFloor, this.#lastSeq + 1);
    if (this.#lastSeq === 0 && this.#entries.size === 0) this.#firstSeq = 0;
    this.#enforceAllLimits();
    this.#commit();
    this.#armAgeTimer();
  }

  // ---- StreamStore ---------------------------------------------------------------------------

  store(subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs?: bigint): { seq: number; timeNs: bigint } {
    if (this.#closed) throw new Error("stream store is closed");
    const seq = this.#lastSeq + 1;
    const time = timeNs ?? nowNs();
    const entry = this.writeMessage(seq, this.#subjects.get(subject)?.subject ?? subject, headers, data, time);
    this.#add(entry);
    this.#lastSeq = seq;
    this.#lastTimeNs = time;
    // As memstore.go storeRawMsg: per-subject limit, then message count, then bytes.
    const info = this.#subjects.get(subject);
    if (info !== undefined) this.#enforceSubjectLimit(subject, info);
    this.#enforceMsgLimit();
    this.#enforceBytesLimit();
    this.#commit();
    this.storeFinished();
    if (this.#ageTimer === undefined) this.#armAgeTimer();
    return { seq, timeNs: time };
  }

  skipTo(nextSeq: number): void {
    if (nextSeq <= this.#lastSeq + 1) return;
    this.#lastSeq = nextSeq - 1;
    if (this.#entries.size === 0) this.#firstSeq = nextSeq;
    this.#commit(true);
  }

  load(seq: number): StoredMessage | undefined {
    const entry = this.#entries.get(seq);
    return entry === undefined ? undefined : this.readMessage(entry);
  }

  loadNext(filter: string, fromSeq: number): StoredMessage | undefined {
    const seq = this.#nextMatch(filter, fromSeq);
    return seq === 0 ? undefined : this.load(seq);
  }

  loadLast(filter: string): StoredMessage | undefined {
    if (this.#entries.size === 0) return undefined;
    let best = 0;
    if (filterIsAll(filter)) {
      best = this.#lastWhere(this.#firstSeq, this.#lastSeq, () => true);
    } else if (filterIsLiteral(filter)) {
      const info = this.#subjects.get(filter);
      if (info !== undefined) best = this.#exactLast(filter, info);
    } else {
      for (const [subject, info] of this.#subjects) {
        if (info.last > best && filterMatches(subject, filter)) best = Math.max(best, this.#exactLast(subject, info));
      }
    }
    return best === 0 ? undefined : this.load(best);
  }

  remove(seq: number, reason: RemovalReason = "delete"): boolean {
    const removed = this.#remove(seq, reason);
    this.#commit();
    return removed;
  }

  /** nats-server memstore.go PurgeEx: `seq` purges below it, `keep` keeps the newest N of the filter's total. */
  purge(request: PurgeRequest = {}): number {
    const filter = request.filter ?? "";
    const seq = request.seq ?? 0;
    const keep = request.keep ?? 0;
    if (seq === 1) return 0;
    if (filterIsAll(filter)) {
      if (keep <= 0 && seq === 0) return this.#compact(this.#lastSeq + 1);
      if (seq > 1) return this.#compact(seq);
    }
    let total = 0;
    let low = Number.MAX_SAFE_INTEGER;
    let high = 0;
    for (const [, info] of this.#matchingSubjects(filter)) {
      total += info.count;
      low = Math.min(low, info.first);
      high = Math.max(high, info.last);
    }
    if (total === 0) return 0;
    let maxPurge = 0;
    if (keep > 0) {
      if (keep >= total) return 0;
      maxPurge = total - keep;
    }
    if (seq >= 1) high = Math.min(high, seq - 1);
    let purged = 0;
    const doomed: number[] = [];
    for (const entry of this.#ascending(Math.max(low, this.#firstSeq), high)) {
      if (!filterMatches(entry.subject, filter)) continue;
      doomed.push(entry.seq);
      if (maxPurge > 0 && doomed.length >= maxPurge) break;
    }
    for (const seq of doomed) if (this.#remove(seq, "purge")) purged++;
    this.#commit();
    return purged;
  }

  state(): StoreState {
    const messages = this.#entries.size;
    const first = messages > 0 ? this.#entries.get(this.#firstSeq) : undefined;
    return {
      messages,
      bytes: this.#bytes,
      firstSeq: this.#firstSeq,
      firstTimeNs: first?.timeNs ?? 0n,
      lastSeq: this.#lastSeq,
      lastTimeNs: this.#lastTimeNs,
      numSubjects: this.#subjects.size,
      numDeleted: messages > 0 ? this.#lastSeq - this.#firstSeq + 1 - messages : 0,
    };
  }

  subjectsState(filter: string): Map<string, number> {
    const result = new Map<string, number>();
    for (const [subject, info] of this.#matchingSubjects(filter)) result.set(subject, info.count);
    return result;
  }

  numPending(filter: string, fromSeq: number, lastPerSubject: boolean): number {
    const start = Math.max(fromSeq, this.#firstSeq);
    if (this.#entries.size === 0 || start > this.#lastSeq) return 0;
    // A consumer that has caught up asks about a short tail: walking it beats visiting every
    // subject (a KV bucket's watcher asks on every put).
    const walkTail = !filterIsLiteral(filter) && this.#lastSeq - start + 1 < this.#subjects.size;
    if (lastPerSubject) {
      let count = 0;
      if (walkTail) {
        for (const entry of this.#ascending(start, this.#lastSeq)) {
          if (!filterMatches(entry.subject, filter)) continue;
          const info = this.#subjects.get(entry.subject);
          if (info !== undefined && this.#exactLast(entry.subject, info) === entry.seq) count++;
        }
        return count;
      }
      for (const [subject, info] of this.#matchingSubjects(filter)) {
        if (info.last >= start && this.#exactLast(subject, info) >= start) count++;
      }
      return count;
    }
    if (filterIsAll(filter)) {
      if (start <= this.#firstSeq) return this.#entries.size;
      return this.#countFrom(start, () => true);
    }
    if (walkTail) {
      let count = 0;
      for (const entry of this.#ascending(start, this.#lastSeq)) if (filterMatches(entry.subject, filter)) count++;
      return count;
    }
    let total = 0;
    const partial = new Set<string>();
    let partialCount = 0;
    for (const [subject, info] of this.#matchingSubjects(filter)) {
      if (info.last < start) continue;
      if (this.#exactFirst(subject, info) >= start) {
        total += info.count;
      } else {
        partial.add(subject);
        partialCount += info.count;
      }
    }
    if (partial.size > 0) {
      total += this.#countFrom(start, (entry) => partial.has(entry.subject), partialCount);
    }
    return total;
  }

  lastSeqForSubject(subject: string): number {
    const info = this.#subjects.get(subject);
    return info === undefined ? 0 : this.#exactLast(subject, info);
  }

  updateLimits(limits: StoreLimits): void {
    this.#limits = limits;
    this.#enforceAllLimits();
    this.#commit();
    this.#clearAgeTimer();
    this.#armAgeTimer();
  }

  onRemoved(listener: RemovedListener): void {
    this.#listeners.push(listener);
  }

  flush(): Promise<void> {
    return this.flushStorage();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearAgeTimer();
    await this.closeStorage();
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    this.#clearAgeTimer();
    await this.destroyStorage();
  }

  // ---- index maintenance ---------------------------------------------------------------------

  #add(entry: E): void {
    this.#entries.set(entry.seq, entry);
    this.#bytes += entry.size;
    if (this.#entries.size === 1) this.#firstSeq = entry.seq;
    const info = this.#subjects.get(entry.subject);
    if (info === undefined) {
      this.#subjects.set(entry.subject, { subject: entry.subject, count: 1, first: entry.seq, firstStale: false, last: entry.seq, lastStale: false });
    } else {
      info.count++;
      info.last = entry.seq;
      info.lastStale = false;
    }
  }

  #remove(seq: number, reason: RemovalReason): boolean {
    const entry = this.#entries.get(seq);
    if (entry === undefined) return false;
    this.#entries.delete(seq);
    this.#bytes -= entry.size;
    const info = this.#subjects.get(entry.subject);
    if (info !== undefined) {
      info.count--;
      if (info.count === 0) {
        this.#subjects.delete(entry.subject);
      } else {
        // Keep the ends as bounds; they are made exact lazily (#exactFirst/#exactLast).
        if (info.first === seq) {
          info.first = seq + 1;
          info.firstStale = true;
        }
        if (info.last === seq) {
          info.last = seq - 1;
          info.lastStale = true;
        }
      }
    }
    if (seq === this.#firstSeq) {
      // Amortised O(1) when removals go in order: each sequence is walked past once.
      this.#firstSeq = this.#entries.size === 0 ? this.#lastSeq + 1 : this.#firstWhere(seq + 1, this.#lastSeq, () => true);
    }
    this.#removed.push({ entry, reason });
    return true;
  }

  /**
   * Stored entries with seq in [start, end], ascending. A dense range is walked by sequence; a
   * sparse one (a skip, mass deletes) by visiting the entries, so a gap never costs more than
   * the store's size. The Map's own order is not used for dense ranges: V8 leaves deleted slots
   * at the front of the table until a rehash, so iterating from the start degrades as the
   * window slides.
   */
  *#ascending(start: number, end: number): Generator<E> {
    if (start > end) return;
    if (end - start <= 2 * this.#entries.size + 16) {
      for (let s = start; s <= end; s++) {
        const entry = this.#entries.get(s);
        if (entry !== undefined) yield entry;
      }
      return;
    }
    // Insertion order is seq order, so this is ascending too.
    for (const entry of this.#entries.values()) {
      if (entry.seq > end) return;
      if (entry.seq >= start) yield entry;
    }
  }

  /** As {@link #ascending}, newest first. */
  *#descending(start: number, end: number): Generator<E> {
    if (start > end) return;
    if (end - start <= 2 * this.#entries.size + 16) {
      for (let s = end; s >= start; s--) {
        const entry = this.#entries.get(s);
        if (entry !== undefined) yield entry;
      }
      return;
    }
    const inRange = [...this.#ascending(start, end)];
    for (let i = inRange.length - 1; i >= 0; i--) yield inRange[i]!;
  }

  /** The lowest seq in [start, end] whose entry passes `accept`, or 0. */
  #firstWhere(start: number, end: number, accept: (entry: E) => boolean): number {
    if (start <= end && end - start <= 2 * this.#entries.size + 16) {
      // The hot path (the first sequence moving on each removal): no generator.
      for (let s = start; s <= end; s++) {
        const entry = this.#entries.get(s);
        if (entry !== undefined && accept(entry)) return s;
      }
      return 0;
    }
    for (const entry of this.#ascending(start, end)) if (accept(entry)) return entry.seq;
    return 0;
  }

  /** The highest seq in [start, end] whose entry passes `accept`, or 0. */
  #lastWhere(start: number, end: number, accept: (entry: E) => boolean): number {
    for (const entry of this.#descending(start, end)) if (accept(entry)) return entry.seq;
    return 0;
  }

  /** Persists and announces the removals of the operation that just ran. */
  #commit(sequencesMoved = false): void {
    const removed = this.#removed;
    if (removed.length === 0 && !sequencesMoved) return;
    this.#removed = [];
    this.persistChanges(removed.map((r) => r.entry));
    for (const { entry, reason } of removed) {
      for (const listener of this.#listeners) {
        try {
          listener(entry.seq, entry.subject, reason);
        } catch (err) {
          // An observer's bug must not leave the store half-updated or reach the publisher.
          this.reportError("stream store onRemoved listener threw", err);
        }
      }
    }
  }

  #exactFirst(subject: string, info: SubjectInfo): number {
    if (info.firstStale) {
      const first = this.#firstWhere(Math.max(info.first, this.#firstSeq), info.last, (entry) => entry.subject === subject);
      if (first !== 0) info.first = first;
      info.firstStale = false;
    }
    return info.first;
  }

  #exactLast(subject: string, info: SubjectInfo): number {
    if (info.lastStale) {
      const last = this.#lastWhere(info.first, Math.min(info.last, this.#lastSeq), (entry) => entry.subject === subject);
      if (last !== 0) info.last = last;
      info.lastStale = false;
    }
    return info.last;
  }

  *#matchingSubjects(filter: string): Iterable<[string, SubjectInfo]> {
    if (filterIsLiteral(filter)) {
      const info = this.#subjects.get(filter);
      if (info !== undefined) yield [filter, info];
      return;
    }
    const all = filterIsAll(filter);
    for (const entry of this.#subjects) {
      if (all || filterMatches(entry[0], filter)) yield entry;
    }
  }

  /** The first sequence ≥ `fromSeq` whose subject matches, or 0. */
  #nextMatch(filter: string, fromSeq: number): number {
    let start = Math.max(fromSeq, this.#firstSeq);
    let end = this.#lastSeq;
    if (this.#entries.size === 0 || start > end) return 0;
    if (filterIsAll(filter)) return this.#firstWhere(start, end, () => true);
    if (filterIsLiteral(filter)) {
      const info = this.#subjects.get(filter);
      if (info === undefined || info.last < start) return 0;
      start = Math.max(start, info.first);
      end = info.last;
    } else if (this.#subjects.size < end - start) {
      // Narrow the scan with the index when that is cheaper than walking every sequence.
      let low = Number.MAX_SAFE_INTEGER;
      let high = 0;
      for (const [subject, info] of this.#subjects) {
        if (info.last < start || !filterMatches(subject, filter)) continue;
        low = Math.min(low, Math.max(info.first, start));
        high = Math.max(high, info.last);
      }
      if (high === 0) return 0;
      start = low;
      end = high;
    }
    return this.#firstWhere(start, end, (entry) => filterMatches(entry.subject, filter));
  }

  /**
   * Counts messages with seq ≥ `start` that pass `accept`, walking whichever side of `start` is
   * shorter (the lower side is subtracted from `totalAccepted`, the count over the whole store).
   */
  #countFrom(start: number, accept: (entry: E) => boolean, totalAccepted = this.#entries.size): number {
    let count = 0;
    if (this.#lastSeq - start <= start - this.#firstSeq) {
      for (const entry of this.#ascending(start, this.#lastSeq)) if (accept(entry)) count++;
      return count;
    }
    for (const entry of this.#ascending(this.#firstSeq, start - 1)) if (accept(entry)) count++;
    return totalAccepted - count;
  }

  // ---- limits --------------------------------------------------------------------------------

  /** nats-server memstore.go compact: removes everything below `seq`; past the end it moves both ends. */
  #compact(seq: number): number {
    if (this.#firstSeq > seq) return 0;
    let purged = 0;
    const doomed = [...this.#ascending(this.#firstSeq, Math.min(seq - 1, this.#lastSeq))];
    for (const entry of doomed) if (this.#remove(entry.seq, "purge")) purged++;
    let moved = false;
    if (seq > this.#lastSeq + 1 || (this.#entries.size === 0 && this.#firstSeq !== seq)) {
      // Compacting past the end: the next message stored gets `seq`.
      this.#lastSeq = Math.max(this.#lastSeq, seq - 1);
      this.#firstSeq = this.#lastSeq + 1;
      moved = true;
    }
    this.#commit(moved);
    return purged;
  }

  #enforceAllLimits(): void {
    if (this.#limits.maxMsgsPerSubject > 0) {
      for (const [subject, info] of [...this.#subjects]) this.#enforceSubjectLimit(subject, info);
    }
    this.#enforceMsgLimit();
    this.#enforceBytesLimit();
    this.#expire();
  }

  #enforceSubjectLimit(subject: string, info: SubjectInfo): void {
    const max = this.#limits.maxMsgsPerSubject;
    if (max <= 0) return;
    while (info.count > max) {
      if (!this.#remove(this.#exactFirst(subject, info), "limits")) break;
    }
  }

  #enforceMsgLimit(): void {
    const max = this.#limits.maxMsgs;
    // ≤ 0 is unlimited, as memstore.go enforceMsgLimit.
    if (max <= 0) return;
    while (this.#entries.size > max) this.#remove(this.#firstSeq, "limits");
  }

  #enforceBytesLimit(): void {
    const max = this.#limits.maxBytes;
    if (max <= 0) return;
    while (this.#bytes > max && this.#entries.size > 0) this.#remove(this.#firstSeq, "limits");
  }

  /** Removes messages older than max_age (memstore.go expireMsgs). */
  #expire(): void {
    if (this.#limits.maxAgeNs <= 0) return;
    const cutoff = nowNs() - BigInt(this.#limits.maxAgeNs);
    // Oldest first; #remove advances #firstSeq to the next message each time.
    while (this.#entries.size > 0) {
      const oldest = this.#entries.get(this.#firstSeq);
      if (oldest === undefined || oldest.timeNs > cutoff) break;
      this.#remove(oldest.seq, "age");
    }
  }

  /** Schedules the next expiry check for when the oldest message reaches max_age. */
  #armAgeTimer(): void {
    if (this.#closed || this.#limits.maxAgeNs <= 0 || this.#entries.size === 0 || this.#ageTimer !== undefined) return;
    const oldest = this.#entries.get(this.#firstSeq);
    if (oldest === undefined) return;
    const dueNs = oldest.timeNs + BigInt(this.#limits.maxAgeNs) - nowNs();
    const delayMs = dueNs <= 0n ? 0 : Number(dueNs / NS_PER_MS) + 1;
    this.#ageTimer = setTimeout(() => {
      this.#ageTimer = undefined;
      if (this.#closed) return;
      this.#expire();
      this.#commit();
      this.#armAgeTimer();
    }, Math.min(delayMs, 2_147_483_647));
    this.#ageTimer.unref();
  }

  #clearAgeTimer(): void {
    if (this.#ageTimer !== undefined) clearTimeout(this.#ageTimer);
    this.#ageTimer = undefined;
  }
}
