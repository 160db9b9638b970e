/**
 * The stores' seq → entry map, with the range walks every query is built from. A dense range is
 * walked sequence by sequence; a sparse one (a skip, mass deletes) by visiting the entries, so a
 * gap never costs more than the store's size. The Map's own order is not used for dense ranges:
 * V8 leaves deleted slots at the front of the table until a rehash, so iterating from the start
 * degrades as a window slides.
 */

/** What the index keeps per message; each store adds where the body is. */
export interface IndexEntry {
  readonly seq: number;
  readonly subject: string;
  readonly timeNs: bigint;
  /** What the message counts for in `StoreState.bytes` (the store's nats-server accounting). */
  readonly size: number;
}

export class MessageIndex<E extends IndexEntry> {
  /** Entries are always inserted in ascending seq order, so iteration order is seq order. */
  readonly #entries = new Map<number, E>();

  get size(): number {
    return this.#entries.size;
  }

  get(seq: number): E | undefined {
    return this.#entries.get(seq);
  }

  /** Adds an entry; its seq must be above every seq added before. */
  add(entry: E): void {
    this.#entries.set(entry.seq, entry);
  }

  delete(seq: number): void {
    this.#entries.delete(seq);
  }

  /** Every entry, ascending. */
  values(): IterableIterator<E> {
    return this.#entries.values();
  }

  #dense(start: number, end: number): boolean {
    return end - start <= 2 * this.#entries.size + 16;
  }

  /** Entries with seq in [start, end], ascending. */
  *ascending(start: number, end: number): Generator<E> {
    if (start > end) return;
    if (this.#dense(start, end)) {
      for (let s = start; s <= end; s++) {
        const entry = this.#entries.get(s);
        if (entry !== undefined) yield entry;
      }
      return;
    }
    for (const entry of this.#entries.values()) {
      if (entry.seq > end) return;
      if (entry.seq >= start) yield entry;
    }
  }

  /** Entries with seq in [start, end], newest first. */
  *descending(start: number, end: number): Generator<E> {
    if (start > end) return;
    if (this.#dense(start, end)) {
      for (let s = end; s >= start; s--) {
        const entry = this.#entries.get(s);
        if (entry !== undefined) yield entry;
      }
      return;
    }
    const inRange = [...this.ascending(start, end)];
    for (let i = inRange.length - 1; i >= 0; i--) yield inRange[i]!;
  }

  /** The lowest seq in [start, end] whose entry passes `accept`, or 0. */
  firstWhere(start: number, end: number, accept: (entry: E) => boolean): number {
    if (start <= end && this.#dense(start, end)) {
      // The hot path (the first sequence moving on each removal): no generator.
      for (let s = start; s <= end; s++) {
        const entry = this.#entries.get(s);
        if (entry !== undefined && accept(entry)) return s;
      }
      return 0;
    }
    for (const entry of this.ascending(start, end)) if (accept(entry)) return entry.seq;
    return 0;
  }

  /** The highest seq in [start, end] whose entry passes `accept`, or 0. */
  lastWhere(start: number, end: number, accept: (entry: E) => boolean): number {
    for (const entry of this.descending(start, end)) if (accept(entry)) return entry.seq;
    return 0;
  }
}
