/**
 * The part of a stream store that does not care where message bodies live: sequences, the
 * per-subject index, limits (discard old), purge semantics, pending counts and removal
 * notifications. The memory store keeps bodies in its index entries; the file store keeps
 * segment locations there and reads bodies from disk. Both subclass this, so one set of rules
 * (nats-server memstore.go's) serves both and the shared test suite checks them once.
 */
import { isValidSubject } from "../../subjects/subject.ts";
import { nowNs } from "./clock.ts";
import { type IndexEntry, MessageIndex } from "./message-index.ts";
import { isSubjectDeleteMarker, storedMsgTtl } from "./msg-ttl.ts";
import { TtlIndex } from "./ttl-index.ts";
import { type StoreView, countPending, nextMatch } from "./stream-queries.ts";
import { filterIsAll, filterIsLiteral, filterMatches } from "./subject-filter.ts";
import { type SubjectInfo, SubjectIndex } from "./subject-index.ts";
import type {
  ConsumerStore,
  PurgeRequest,
  RemovalReason,
  StoreLimits,
  StoreState,
  StoredMessage,
  StreamStore,
} from "./stream-store.ts";

export type { IndexEntry } from "./message-index.ts";

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
  readonly #entries = new MessageIndex<E>();
  readonly #subjects = new SubjectIndex(this.#entries);
  readonly #listeners: RemovedListener[] = [];
  /** Removals of the operation in progress, persisted and announced together by #commit(). */
  #removed: Array<{ entry: E; reason: RemovalReason }> = [];
  #limits: StoreLimits;
  #firstSeq = 0;
  #lastSeq = 0;
  #lastTimeNs = 0n;
  #bytes = 0;
  /** Per-message TTLs (`allowMsgTtl`): when each is due. */
  readonly #ttls = new TtlIndex();
  #markerHandler: ((subject: string) => void) | undefined;
  /** One timer for the earliest of max_age and the TTLs, due at #expiryDueMs. */
  #expiryTimer: NodeJS.Timeout | undefined;
  #expiryDueMs = 0;
  #closed = false;

  protected readonly reportError: StoreErrorReporter;

  protected constructor(limits: StoreLimits, reportError: StoreErrorReporter = warnStoreError) {
    this.#limits = limits;
    this.reportError = reportError;
  }

  // ---- storage hooks -------------------------------------------------------------------------

  /** Persists a new message and returns its index entry. Must be durable per the store's policy when it returns. */
  protected abstract writeMessage(seq: number, subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs: bigint): E;
  /** Reads a message back; undefined when its bytes are damaged or unreadable (the store reports that itself). */
  protected abstract readMessage(entry: E): StoredMessage | undefined;
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

  /**
   * Loads recovered entries (ascending seq order) and sequence floors. Limits are not applied
   * yet: call {@link applyLimitsAfterRestore} once the storage can persist removals.
   */
  protected restoreIndex(entries: readonly E[], firstFloor: number, lastSeq: number, lastTimeNs: bigint): void {
    for (const entry of entries) {
      if (entry.seq >= firstFloor) this.#add(entry);
    }
    this.#lastSeq = Math.max(lastSeq, this.#lastSeq);
    this.#lastTimeNs = lastTimeNs;
    if (this.#entries.size === 0) this.#firstSeq = Math.max(firstFloor, this.#lastSeq + 1);
    if (this.#lastSeq === 0 && this.#entries.size === 0) this.#firstSeq = 0;
  }

  /**
   * Applies the limits to what was restored (messages that aged out while closed go now) and
   * arms the expiry timer. With subject delete markers the expiry waits for that timer, as in
   * nats-server (filestore.go `expireMsgsOnRecover`): the stream must be there to place them.
   */
  protected applyLimitsAfterRestore(): void {
    if (this.#limits.allowMsgTtl === true) this.#rebuildTtls();
    const markers = this.#enforceAllLimits(this.#limits.subjectDeleteMarkers !== true);
    this.#commit();
    this.#placeMarkers(markers);
    this.#armExpiryTimer();
  }

  // ---- StreamStore ---------------------------------------------------------------------------

  store(subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs?: bigint): { seq: number; timeNs: bigint } {
    if (this.#closed) throw new Error("stream store is closed");
    const seq = this.#lastSeq + 1;
    const time = timeNs ?? nowNs();
    const entry = this.writeMessage(seq, this.#subjects.canonical(subject), headers, data, time);
    const previousLastTimeNs = this.#lastTimeNs;
    this.#add(entry);
    this.#lastSeq = seq;
    this.#lastTimeNs = time;
    const ttl = this.#limits.allowMsgTtl === true && headers !== undefined ? storedMsgTtl(headers) : 0;
    if (ttl !== 0) this.#ttls.add(seq, msOf(time), ttl);
    // As memstore.go storeRawMsg: per-subject limit, then message count, then bytes.
    const info = this.#subjects.get(subject);
    if (info !== undefined) this.#enforceSubjectLimit(info);
    this.#enforceMsgLimit();
    this.#enforceBytesLimit();
    try {
      this.#commit();
      this.storeFinished();
    } catch (err) {
      // The write failed (disk full, say): the caller must not ack, and the index must not
      // claim a message the disk does not have. Removals made for its sake stay made in
      // memory; they were not persisted and come back at the next open, limits permitting.
      this.#removed = [];
      this.#unappend(entry, previousLastTimeNs);
      throw err;
    }
    // Re-armed only when this message may be due before the timer: storing stays O(1).
    if (this.#expiryTimer === undefined || (ttl > 0 && msOf(time) + ttl * 1000 < this.#expiryDueMs)) this.#armExpiryTimer();
    return { seq, timeNs: time };
  }

  /** Takes back the message just appended, as if it had never been stored. */
  #unappend(entry: E, previousLastTimeNs: bigint): void {
    this.#ttls.delete(entry.seq);
    if (this.#entries.get(entry.seq) === entry) {
      this.#entries.delete(entry.seq);
      this.#bytes -= entry.size;
      this.#subjects.removed(entry.seq, entry.subject);
    }
    this.#lastSeq = entry.seq - 1;
    this.#lastTimeNs = previousLastTimeNs;
    if (this.#entries.size === 0) this.#firstSeq = this.#lastSeq + 1;
    else if (this.#firstSeq === entry.seq) this.#firstSeq = this.#entries.firstWhere(1, this.#lastSeq, () => true);
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
    for (let from = fromSeq; ; ) {
      const seq = nextMatch(this.#view(), filter, from);
      if (seq === 0) return undefined;
      const msg = this.load(seq);
      if (msg !== undefined) return msg;
      // An unreadable message (reported by the store) must not hide the ones after it.
      from = seq + 1;
    }
  }

  loadLast(filter: string): StoredMessage | undefined {
    if (this.#entries.size === 0) return undefined;
    let best = 0;
    if (filterIsAll(filter)) {
      best = this.#entries.lastWhere(this.#firstSeq, this.#lastSeq, () => true);
    } else {
      for (const info of this.#subjects.matching(filter)) {
        if (info.last > best) best = Math.max(best, this.#subjects.last(info));
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
    for (const info of this.#subjects.matching(filter)) {
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
    // A literal filter (a KV key's purge or rollup) walks only its subject's own sequences.
    const literal = filterIsLiteral(filter) ? this.#subjects.get(filter) : undefined;
    const candidates = literal !== undefined ? this.#subjects.live(literal) : this.#matchingSeqs(filter, Math.max(low, this.#firstSeq), high);
    for (const candidate of candidates) {
      if (candidate > high) break;
      doomed.push(candidate);
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
    for (const info of this.#subjects.matching(filter)) result.set(info.subject, info.count);
    return result;
  }

  numPending(filter: string, fromSeq: number, lastPerSubject: boolean): number {
    return countPending(this.#view(), filter, fromSeq, lastPerSubject);
  }

  multiLastSeqs(filters: readonly string[], maxSeq: number, maxAllowed: number): number[] | "too many" {
    const found = new Set<number>();
    if (this.#entries.size === 0) return [];
    for (const filter of filters) {
      // A filter that is no subject matches nothing (nats-server's subject tree finds no match).
      if (!isValidSubject(filter)) continue;
      for (const info of this.#subjects.matching(filter)) {
        const last = this.#subjects.last(info);
        if (last <= maxSeq) {
          found.add(last);
        } else if (info.count > 1) {
          // Its newest is past the ceiling: the newest one below it, if any.
          const below = this.#entries.lastWhere(info.first, Math.min(maxSeq, last - 1), (e) => e.subject === info.subject);
          if (below > 0) found.add(below);
        }
      }
      if (found.size > maxAllowed) return "too many";
    }
    return [...found].sort((a, b) => a - b);
  }

  lastSeqForSubject(subject: string): number {
    const info = this.#subjects.get(subject);
    return info === undefined ? 0 : this.#subjects.last(info);
  }

  updateLimits(limits: StoreLimits): void {
    const ttlsWere = this.#limits.allowMsgTtl === true;
    this.#limits = limits;
    // As memstore.go UpdateConfig: TTLs switched on are read from the stored headers.
    if (limits.allowMsgTtl === true && !ttlsWere) this.#rebuildTtls();
    else if (limits.allowMsgTtl !== true) this.#ttls.clear();
    const markers = this.#enforceAllLimits();
    this.#commit();
    this.#placeMarkers(markers);
    this.#clearExpiryTimer();
    this.#armExpiryTimer();
  }

  onSubjectDeleteMarker(handler: ((subject: string) => void) | undefined): void {
    this.#markerHandler = handler;
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
    this.#clearExpiryTimer();
    await this.closeStorage();
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    this.#clearExpiryTimer();
    await this.destroyStorage();
  }

  // ---- index maintenance ---------------------------------------------------------------------

  #add(entry: E): void {
    this.#entries.add(entry);
    this.#bytes += entry.size;
    if (this.#entries.size === 1) this.#firstSeq = entry.seq;
    this.#subjects.added(entry.seq, entry.subject);
  }

  #remove(seq: number, reason: RemovalReason): boolean {
    const entry = this.#entries.get(seq);
    if (entry === undefined) return false;
    this.#entries.delete(seq);
    this.#bytes -= entry.size;
    this.#subjects.removed(seq, entry.subject);
    this.#ttls.delete(seq);
    if (seq === this.#firstSeq) {
      // Amortised O(1) when removals go in order: each sequence is walked past once.
      this.#firstSeq = this.#entries.size === 0 ? this.#lastSeq + 1 : this.#entries.firstWhere(seq + 1, this.#lastSeq, () => true);
    }
    this.#removed.push({ entry, reason });
    return true;
  }

  *#matchingSeqs(filter: string, start: number, end: number): Generator<number> {
    for (const entry of this.#entries.ascending(start, end)) if (filterMatches(entry.subject, filter)) yield entry.seq;
  }

  #view(): StoreView {
    return { messages: this.#entries, subjects: this.#subjects, firstSeq: this.#firstSeq, lastSeq: this.#lastSeq };
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

  // ---- limits --------------------------------------------------------------------------------

  /** nats-server memstore.go compact: removes everything below `seq`; past the end it moves both ends. */
  #compact(seq: number): number {
    if (this.#firstSeq > seq) return 0;
    let purged = 0;
    const doomed = [...this.#entries.ascending(this.#firstSeq, Math.min(seq - 1, this.#lastSeq))];
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

  /** Applies every limit; returns the expired messages waiting for a subject delete marker. */
  #enforceAllLimits(expire = true): E[] {
    if (this.#limits.maxMsgsPerSubject > 0) {
      for (const info of [...this.#subjects.all()]) this.#enforceSubjectLimit(info);
    }
    this.#enforceMsgLimit();
    this.#enforceBytesLimit();
    return expire ? this.#expire() : [];
  }

  #enforceSubjectLimit(info: SubjectInfo): void {
    const max = this.#limits.maxMsgsPerSubject;
    if (max <= 0) return;
    while (info.count > max) {
      if (!this.#remove(this.#subjects.first(info), "limits")) break;
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

  /**
   * Removes messages older than max_age, except those whose TTL says "never", and those whose
   * TTL is up (memstore.go expireMsgs). A message that is the last of its subject, when subject
   * delete markers are on, is returned instead: the caller places its marker after the commit.
   */
  #expire(): E[] {
    const markers = new Set<E>();
    if (this.#limits.maxAgeNs > 0) {
      const cutoff = nowNs() - BigInt(this.#limits.maxAgeNs);
      for (const entry of this.#entries.ascending(this.#firstSeq, this.#lastSeq)) {
        if (entry.timeNs > cutoff) break;
        if (this.#ttls.isNever(entry.seq)) continue;
        this.#expireOne(entry, markers);
      }
    }
    if (this.#ttls.size > 0) {
      for (const seq of this.#ttls.takeDue(Date.now())) {
        const entry = this.#entries.get(seq);
        if (entry !== undefined && !markers.has(entry)) this.#expireOne(entry, markers);
      }
    }
    return [...markers];
  }

  #expireOne(entry: E, markers: Set<E>): void {
    if (this.#limits.subjectDeleteMarkers === true && this.#markerHandler !== undefined && this.#subjects.get(entry.subject)?.count === 1) {
      // A marker that expires leaves nothing behind (sdm.go isSubjectDeleteMarker).
      if (!isSubjectDeleteMarker(this.readMessage(entry)?.headers)) {
        markers.add(entry);
        return;
      }
    }
    this.#remove(entry.seq, "age");
  }

  /**
   * Hands each expired last-of-subject message to the marker handler (the stream publishes the
   * marker with a subject rollup, which removes it). Whatever the handler did, the expired
   * message goes: a refused marker must not keep it alive and retried forever.
   */
  #placeMarkers(markers: readonly E[]): void {
    if (markers.length === 0) return;
    const handler = this.#markerHandler;
    for (const entry of markers) {
      if (handler !== undefined && this.#entries.get(entry.seq) === entry) {
        try {
          handler(entry.subject);
        } catch (err) {
          this.reportError("stream store subject delete marker handler threw", err);
        }
      }
      if (this.#entries.get(entry.seq) === entry) this.#remove(entry.seq, "age");
    }
    this.#commit();
  }

  /** Reads every stored message's TTL (recovery, or TTLs switched on by an update). */
  #rebuildTtls(): void {
    this.#ttls.clear();
    for (const entry of this.#entries.values()) {
      const ttl = storedMsgTtl(this.readMessage(entry)?.headers);
      if (ttl !== 0) this.#ttls.add(entry.seq, msOf(entry.timeNs), ttl);
    }
  }

  /** When the next message is due: the oldest max_age candidate or the earliest TTL (ms since the epoch). */
  #nextDueMs(): number | undefined {
    let due = this.#ttls.nextDueMs();
    if (this.#limits.maxAgeNs > 0 && this.#entries.size > 0) {
      const seq = this.#ttls.size === 0 ? this.#firstSeq : this.#entries.firstWhere(this.#firstSeq, this.#lastSeq, (e) => !this.#ttls.isNever(e.seq));
      const oldest = seq === 0 ? undefined : this.#entries.get(seq);
      if (oldest !== undefined) {
        const ageDue = msOf(oldest.timeNs + BigInt(this.#limits.maxAgeNs)) + 1;
        if (due === undefined || ageDue < due) due = ageDue;
      }
    }
    return due;
  }

  /** Schedules the one expiry timer for the next message due, if it is not set for earlier. */
  #armExpiryTimer(): void {
    if (this.#closed) return;
    const due = this.#nextDueMs();
    if (due === undefined) return;
    if (this.#expiryTimer !== undefined) {
      if (this.#expiryDueMs <= due) return;
      clearTimeout(this.#expiryTimer);
    }
    this.#expiryDueMs = due;
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined;
      if (this.#closed) return;
      const markers = this.#expire();
      this.#commit();
      this.#placeMarkers(markers);
      this.#armExpiryTimer();
    }, Math.min(Math.max(due - Date.now(), 0), 2_147_483_647));
    this.#expiryTimer.unref();
  }

  #clearExpiryTimer(): void {
    if (this.#expiryTimer !== undefined) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
  }
}

/** Milliseconds since the epoch of a nanosecond time. */
function msOf(timeNs: bigint): number {
  return Number(timeNs / NS_PER_MS);
}
