/**
 * The read-only questions a consumer asks a store, answered from the two indexes: the next
 * message for a filter and how many are pending. Each picks the cheaper of walking sequences and
 * visiting subjects, as nats-server's memstore does (shouldLinearScan, filteredStateLocked).
 */
import type { IndexEntry, MessageIndex } from "./message-index.ts";
import { filterIsAll, filterIsLiteral, filterMatches } from "./subject-filter.ts";
import type { SubjectIndex } from "./subject-index.ts";

/** A store's indexes and sequence range at the moment of the question. */
export interface StoreView {
  readonly messages: MessageIndex<IndexEntry>;
  readonly subjects: SubjectIndex;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** The first sequence ≥ `fromSeq` whose subject matches `filter`, or 0. */
export function nextMatch(view: StoreView, filter: string, fromSeq: number): number {
  const { messages, subjects } = view;
  const start = Math.max(fromSeq, view.firstSeq);
  const end = view.lastSeq;
  if (messages.size === 0 || start > end) return 0;
  if (filterIsAll(filter)) return messages.firstWhere(start, end, () => true);
  if (filterIsLiteral(filter)) {
    // The subject's own sequence list: a binary search, whatever else is interleaved.
    const info = subjects.get(filter);
    return info === undefined || info.last < start ? 0 : subjects.next(info, start);
  }
  if (subjects.size < end - start) {
    // Fewer subjects than sequences to walk: ask each matching subject's list instead.
    let best = 0;
    for (const info of subjects.matching(filter)) {
      if (info.last < start || (best !== 0 && info.first >= best)) continue;
      const seq = subjects.next(info, start);
      if (seq !== 0 && (best === 0 || seq < best)) best = seq;
    }
    return best;
  }
  return messages.firstWhere(start, end, (entry) => filterMatches(entry.subject, filter));
}

/** Messages with seq ≥ `fromSeq` matching `filter`; with `lastPerSubject`, subjects whose newest is there. */
export function countPending(view: StoreView, filter: string, fromSeq: number, lastPerSubject: boolean): number {
  const { messages, subjects, lastSeq } = view;
  const start = Math.max(fromSeq, view.firstSeq);
  if (messages.size === 0 || start > lastSeq) return 0;
  // A consumer that has caught up asks about a short tail: walking it beats visiting every
  // subject (a KV bucket's watcher asks on every put).
  const walkTail = !filterIsLiteral(filter) && lastSeq - start + 1 < subjects.size;
  if (lastPerSubject) {
    let count = 0;
    if (walkTail) {
      for (const entry of messages.ascending(start, lastSeq)) {
        if (!filterMatches(entry.subject, filter)) continue;
        const info = subjects.get(entry.subject);
        if (info !== undefined && subjects.last(info) === entry.seq) count++;
      }
      return count;
    }
    for (const info of subjects.matching(filter)) {
      if (info.last >= start && subjects.last(info) >= start) count++;
    }
    return count;
  }
  if (filterIsAll(filter)) {
    if (start <= view.firstSeq) return messages.size;
    return countFrom(view, start, () => true, messages.size);
  }
  if (walkTail) {
    let count = 0;
    for (const entry of messages.ascending(start, lastSeq)) if (filterMatches(entry.subject, filter)) count++;
    return count;
  }
  let total = 0;
  for (const info of subjects.matching(filter)) {
    if (info.last < start) continue;
    total += subjects.first(info) >= start ? info.count : subjects.countFrom(info, start);
  }
  return total;
}

/**
 * Counts messages with seq ≥ `start` that pass `accept`, walking whichever side of `start` is
 * shorter (the lower side is subtracted from `totalAccepted`, the count over the whole store).
 */
function countFrom(view: StoreView, start: number, accept: (entry: IndexEntry) => boolean, totalAccepted: number): number {
  const { messages, firstSeq, lastSeq } = view;
  let count = 0;
  if (lastSeq - start <= start - firstSeq) {
    for (const entry of messages.ascending(start, lastSeq)) if (accept(entry)) count++;
    return count;
  }
  for (const entry of messages.ascending(firstSeq, start - 1)) if (accept(entry)) count++;
  return totalAccepted - count;
}
