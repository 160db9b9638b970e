/**
 * When each message with a per-message TTL is due, so a store keeps one timer for the earliest
 * expiry however many messages carry a TTL (nats-server keeps a hashed timing wheel for the same
 * purpose). A binary min-heap of (due, seq); a message removed for another reason is dropped from
 * the live map at once and its heap slot lazily, with a rebuild once dead slots outnumber live
 * ones, so memory follows the live TTL'd messages and not everything ever stored.
 */

interface Slot {
  readonly dueMs: number;
  readonly seq: number;
}

/** Dead slots tolerated before a rebuild, beyond as many as there are live ones. */
const REBUILD_SLACK = 1024;

export class TtlIndex {
  #heap: Slot[] = [];
  /** Live TTL'd messages: seq → due (ms since the epoch). */
  readonly #due = new Map<number, number>();
  /** Messages that say "never": max_age passes them by. */
  readonly #never = new Set<number>();

  /** Live messages with a TTL (never included). */
  get size(): number {
    return this.#due.size + this.#never.size;
  }

  /** `ttlSeconds` as stored: > 0 expires at `timeMs + ttl`, -1 never, 0 nothing. */
  add(seq: number, timeMs: number, ttlSeconds: number): void {
    if (ttlSeconds < 0) {
      this.#never.add(seq);
      return;
    }
    if (ttlSeconds === 0) return;
    const dueMs = Math.min(timeMs + ttlSeconds * 1000, Number.MAX_SAFE_INTEGER);
    this.#due.set(seq, dueMs);
    this.#push({ dueMs, seq });
  }

  /** Due at `dueMs` (ms since the epoch), replacing any time `seq` had: scheduled messages use it too. */
  addDue(seq: number, dueMs: number): void {
    this.#never.delete(seq);
    this.#due.set(seq, dueMs);
    this.#push({ dueMs, seq });
    if (this.#heap.length > 2 * this.#due.size + REBUILD_SLACK) this.#rebuild();
  }

  isNever(seq: number): boolean {
    return this.#never.has(seq);
  }

  /** Forgets a message (removed for any reason). */
  delete(seq: number): void {
    this.#never.delete(seq);
    if (!this.#due.delete(seq)) return;
    if (this.#heap.length > 2 * this.#due.size + REBUILD_SLACK) this.#rebuild();
  }

  clear(): void {
    this.#heap = [];
    this.#due.clear();
    this.#never.clear();
  }

  /** The earliest due time (ms since the epoch) of a live message, or undefined. */
  nextDueMs(): number | undefined {
    this.#dropDeadTop();
    return this.#heap[0]?.dueMs;
  }

  /** Sequences due at `nowMs`, ascending, taken out of the index. */
  takeDue(nowMs: number): number[] {
    const due: number[] = [];
    for (;;) {
      this.#dropDeadTop();
      const top = this.#heap[0];
      if (top === undefined || top.dueMs > nowMs) break;
      this.#pop();
      this.#due.delete(top.seq);
      due.push(top.seq);
    }
    return due.sort((a, b) => a - b);
  }

  #isLive(slot: Slot): boolean {
    return this.#due.get(slot.seq) === slot.dueMs;
  }

  #dropDeadTop(): void {
    while (this.#heap.length > 0 && !this.#isLive(this.#heap[0]!)) this.#pop();
  }

  #rebuild(): void {
    this.#heap = this.#heap.filter((slot) => this.#isLive(slot));
    for (let i = (this.#heap.length >>> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #push(slot: Slot): void {
    const heap = this.#heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (heap[parent]!.dueMs <= slot.dueMs) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = slot;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    this.#down(0);
  }

  #down(start: number): void {
    const heap = this.#heap;
    const slot = heap[start]!;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.dueMs < heap[left]!.dueMs ? right : left;
      if (heap[child]!.dueMs >= slot.dueMs) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = slot;
  }
}
