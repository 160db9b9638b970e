/**
 * Per-subject bookkeeping, as nats-server's fss (SimpleState per subject), plus each subject's
 * own list of sequences: how many messages a subject has, where its first and last are, and its
 * next message after any sequence in O(log n), so literal-subject queries and the per-subject
 * limit never walk other subjects' messages.
 *
 * Removals are lazy: a removed sequence stays in its subject's list until it reaches an end of
 * the list (then it is dropped for good) or dead entries outnumber live ones (then the list is
 * compacted). A sequence is live exactly when the message index still has it: sequences are
 * never reused.
 */
import type { IndexEntry, MessageIndex } from "./message-index.ts";
import { filterIsAll, filterIsLiteral, filterMatches } from "./subject-filter.ts";

export class SubjectInfo {
  /** The one copy of the subject string that entries share (callers hand in a new string per message). */
  readonly subject: string;
  /** Live messages. */
  count = 0;
  /** Ascending sequences; those before `head`, and some after it, may be removed ones. */
  seqs: number[] = [];
  head = 0;

  constructor(subject: string) {
    this.subject = subject;
  }

  /** ≤ the subject's first live sequence. */
  get first(): number {
    return this.seqs[this.head] ?? 0;
  }

  /** ≥ the subject's last live sequence. */
  get last(): number {
    return this.seqs[this.seqs.length - 1] ?? 0;
  }
}

export class SubjectIndex {
  readonly #subjects = new Map<string, SubjectInfo>();
  readonly #messages: MessageIndex<IndexEntry>;

  constructor(messages: MessageIndex<IndexEntry>) {
    this.#messages = messages;
  }

  get size(): number {
    return this.#subjects.size;
  }

  get(subject: string): SubjectInfo | undefined {
    return this.#subjects.get(subject);
  }

  /** The shared copy of `subject` if it is already known. */
  canonical(subject: string): string {
    return this.#subjects.get(subject)?.subject ?? subject;
  }

  /** A message was appended (its seq is the highest so far). */
  added(seq: number, subject: string): void {
    let info = this.#subjects.get(subject);
    if (info === undefined) {
      info = new SubjectInfo(subject);
      this.#subjects.set(subject, info);
    }
    info.seqs.push(seq);
    info.count++;
  }

  /** A message left the message index (call after deleting it there). */
  removed(seq: number, subject: string): void {
    const info = this.#subjects.get(subject);
    if (info === undefined) return;
    info.count--;
    if (info.count === 0) {
      this.#subjects.delete(subject);
      return;
    }
    // The common case, removal of the oldest, moves the head at once.
    if (info.seqs[info.head] === seq) info.head++;
    if (info.seqs.length - info.head > 2 * info.count + 16 || (info.head > 1024 && info.head * 2 > info.seqs.length)) this.#compact(info);
  }

  /** The subject's first live sequence (dropping removed ones at the front for good). */
  first(info: SubjectInfo): number {
    const { seqs } = info;
    while (info.head < seqs.length && this.#messages.get(seqs[info.head]!) === undefined) info.head++;
    if (info.head > 1024 && info.head * 2 > seqs.length) this.#compact(info);
    return info.first;
  }

  /** The subject's last live sequence (dropping removed ones at the back for good). */
  last(info: SubjectInfo): number {
    const { seqs } = info;
    while (seqs.length > info.head && this.#messages.get(seqs[seqs.length - 1]!) === undefined) seqs.pop();
    return info.last;
  }

  /** The subject's first live sequence ≥ `from`, or 0. */
  next(info: SubjectInfo, from: number): number {
    const { seqs } = info;
    for (let i = lowerBound(seqs, from, info.head); i < seqs.length; i++) {
      const seq = seqs[i]!;
      if (this.#messages.get(seq) !== undefined) return seq;
    }
    return 0;
  }

  /** The subject's live sequences, ascending. */
  *live(info: SubjectInfo): Generator<number> {
    const { seqs } = info;
    for (let i = info.head; i < seqs.length; i++) {
      const seq = seqs[i]!;
      if (this.#messages.get(seq) !== undefined) yield seq;
    }
  }

  /** How many of the subject's live messages have sequence ≥ `from`. */
  countFrom(info: SubjectInfo, from: number): number {
    const { seqs } = info;
    const start = lowerBound(seqs, from, info.head);
    // Count whichever side of `from` is shorter; dead entries are skipped either way.
    if (seqs.length - start <= start - info.head) {
      let count = 0;
      for (let i = start; i < seqs.length; i++) if (this.#messages.get(seqs[i]!) !== undefined) count++;
      return count;
    }
    let below = 0;
    for (let i = info.head; i < start; i++) if (this.#messages.get(seqs[i]!) !== undefined) below++;
    return info.count - below;
  }

  /** Every subject with its info. */
  all(): IterableIterator<SubjectInfo> {
    return this.#subjects.values();
  }

  /** The subjects `filter` selects (a literal filter is one lookup). */
  *matching(filter: string): Generator<SubjectInfo> {
    if (filterIsLiteral(filter)) {
      const info = this.#subjects.get(filter);
      if (info !== undefined) yield info;
      return;
    }
    const all = filterIsAll(filter);
    for (const info of this.#subjects.values()) {
      if (all || filterMatches(info.subject, filter)) yield info;
    }
  }

  #compact(info: SubjectInfo): void {
    const live: number[] = [];
    for (let i = info.head; i < info.seqs.length; i++) {
      const seq = info.seqs[i]!;
      if (this.#messages.get(seq) !== undefined) live.push(seq);
    }
    info.seqs = live;
    info.head = 0;
  }
}

/** The first index ≥ `from` in `seqs` (ascending) whose value is ≥ `value`. */
function lowerBound(seqs: readonly number[], value: number, from: number): number {
  let lo = from;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
