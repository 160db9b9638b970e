/**
 * Per-subject bookkeeping, as nats-server's fss (SimpleState per subject): how many messages a
 * subject has and where its first and last are, so literal-subject queries and the per-subject
 * limit never scan the whole stream.
 *
 * `first` and `last` are kept as bounds and made exact only when asked (nats-server's
 * firstNeedsUpdate/lastNeedsUpdate): a removal at either end would otherwise need a scan each time.
 */
import type { IndexEntry, MessageIndex } from "./message-index.ts";
import { filterIsAll, filterIsLiteral, filterMatches } from "./subject-filter.ts";

export interface SubjectInfo {
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
    const info = this.#subjects.get(subject);
    if (info === undefined) {
      this.#subjects.set(subject, { subject, count: 1, first: seq, firstStale: false, last: seq, lastStale: false });
      return;
    }
    info.count++;
    info.last = seq;
    info.lastStale = false;
  }

  removed(seq: number, subject: string): void {
    const info = this.#subjects.get(subject);
    if (info === undefined) return;
    info.count--;
    if (info.count === 0) {
      this.#subjects.delete(subject);
      return;
    }
    // Keep the ends as bounds; first()/last() make them exact when asked.
    if (info.first === seq) {
      info.first = seq + 1;
      info.firstStale = true;
    }
    if (info.last === seq) {
      info.last = seq - 1;
      info.lastStale = true;
    }
  }

  /** The subject's exact first sequence; `floor` is the store's first sequence. */
  first(info: SubjectInfo, floor: number): number {
    if (info.firstStale) {
      const subject = info.subject;
      const first = this.#messages.firstWhere(Math.max(info.first, floor), info.last, (entry) => entry.subject === subject);
      if (first !== 0) info.first = first;
      info.firstStale = false;
    }
    return info.first;
  }

  /** The subject's exact last sequence; `ceiling` is the store's last sequence. */
  last(info: SubjectInfo, ceiling: number): number {
    if (info.lastStale) {
      const subject = info.subject;
      const last = this.#messages.lastWhere(info.first, Math.min(info.last, ceiling), (entry) => entry.subject === subject);
      if (last !== 0) info.last = last;
      info.lastStale = false;
    }
    return info.last;
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
}
