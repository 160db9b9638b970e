/**
 * The bounded subject → match-result cache in front of the `Sublist` trie, behind a small
 * interface so that the benchmark (`bench/sublist.bench.ts`) can put other eviction strategies
 * (e.g. `lru-cache`) in the same seat and compare them.
 */

/** nats-server `slCacheMax` (sublist.go): the cache is swept once it holds more results. */
export const SL_CACHE_MAX = 1024;

/**
 * nats-server `slCacheSweep` (sublist.go; 512 in 2.9, 256 since): the size a sweep brings the
 * cache back down to. Sweeping to well below the limit makes the cost of a sweep amortise over
 * many misses instead of being paid on every one.
 */
export const SL_CACHE_SWEEP = 256;

/** What the `Sublist` needs of its result cache. Keys are published (literal) subjects. */
export interface ResultCache<V> {
  /** Number of cached results. */
  readonly size: number;
  /** The cached value, or undefined. Runs on every message: must not allocate. */
  get(key: string): V | undefined;
  /** Store a value; the cache may evict other entries to stay bounded. */
  set(key: string, value: V): void;
  /** Replace the value of a key already cached, without evicting anything. */
  replace(key: string, value: V): void;
  delete(key: string): void;
  clear(): void;
  /** All keys; the caller must not modify the cache while iterating. */
  keys(): IterableIterator<string>;
  /** All values; the caller must not modify the cache while iterating. */
  values(): IterableIterator<V>;
}

/** Which entries a sweep of {@link SweepingMapCache} deletes. */
export const CacheEviction = {
  /** The oldest entries in insertion order (a Map iterates in that order): cheapest. */
  oldest: "oldest",
  /** A uniformly random subset, as nats-server's sweep (Go map iteration order is random). */
  random: "random",
  /**
   * Entries not read since the previous sweep first, oldest first, then the oldest of the
   * rest: one flag store per hit buys most of LRU's hit rate (hot subjects survive a flood of
   * one-off subjects such as request/reply inboxes).
   */
  notRecentlyUsed: "not-recently-used",
} as const;

/** One of {@link CacheEviction}'s values. */
export type CacheEviction = (typeof CacheEviction)[keyof typeof CacheEviction];

/**
 * A `Map` of subject → slot number, values in a fixed array of slots, swept down to `sweepTo`
 * entries whenever it grows past `max`, as nats-server `reduceCacheCount` (sublist.go), but
 * synchronously: there is no background goroutine to hand the work to, and one sweep every
 * `max - sweepTo` misses is cheap amortised.
 *
 * Why values are not stored in the Map itself: V8 rehashes a Map's table on growth and after
 * many deletions and keeps the old table (still holding every old value) linked to the new one
 * for live iterators. Once one of those tables reaches the old generation, the chain keeps
 * every result ever cached alive through young-generation GCs until a full GC; the benchmark
 * measured a miss at ~2 µs instead of ~1 µs that way. Slots hold the values, so stale tables
 * only hold subject strings and small integers. (`lru-cache` is built the same way.)
 */
export class SweepingMapCache<V> implements ResultCache<V> {
  readonly #slots = new Map<string, number>();
  readonly #values: (V | undefined)[];
  /** Per slot: read since the last sweep (only used by {@link CacheEviction.notRecentlyUsed}). */
  readonly #used: Uint8Array;
  /** Stack of free slot numbers. */
  readonly #free: Int32Array;
  #freeCount: number;
  readonly #max: number;
  readonly #sweepTo: number;
  readonly #eviction: CacheEviction;

  /**
   * @param max entries kept before a sweep (> 0).
   * @param eviction which entries a sweep deletes.
   * @param sweepTo size after a sweep; defaults to {@link SL_CACHE_SWEEP}, or a quarter of
   *   `max` (nats-server's ratio) when `max` is small.
   */
  constructor(max: number, eviction: CacheEviction, sweepTo = Math.min(SL_CACHE_SWEEP, Math.floor(max / 4))) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`cache max must be a positive integer, got ${max}`);
    this.#max = max;
    this.#sweepTo = Math.max(0, Math.min(sweepTo, max));
    this.#eviction = eviction;
    // One slot more than max: a sweep runs once the cache has grown past it.
    const values: (V | undefined)[] = [];
    for (let i = 0; i <= max; i++) values.push(undefined);
    this.#values = values;
    this.#used = new Uint8Array(max + 1);
    this.#free = new Int32Array(max + 1);
    this.#freeCount = 0;
    this.#freeAll();
  }

  get size(): number {
    return this.#slots.size;
  }

  get(key: string): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    this.#used[slot] = 1;
    return this.#values[slot];
  }

  set(key: string, value: V): void {
    const existing = this.#slots.get(key);
    if (existing !== undefined) {
      this.#values[existing] = value;
      return;
    }
    const slot = this.#free[--this.#freeCount]!;
    this.#slots.set(key, slot);
    this.#values[slot] = value;
    this.#used[slot] = 0;
    if (this.#slots.size > this.#max) this.#sweep();
  }

  replace(key: string, value: V): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined) this.#values[slot] = value;
  }

  delete(key: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    this.#slots.delete(key);
    this.#release(slot);
  }

  clear(): void {
    this.#slots.clear();
    this.#values.fill(undefined);
    this.#freeAll();
  }

  keys(): IterableIterator<string> {
    return this.#slots.keys();
  }

  *values(): IterableIterator<V> {
    for (const slot of this.#slots.values()) yield this.#values[slot]!;
  }

  #release(slot: number): void {
    this.#values[slot] = undefined;
    this.#free[this.#freeCount++] = slot;
  }

  #freeAll(): void {
    const free = this.#free;
    // Pop order hands out slot 0 first; any order would do.
    for (let i = 0; i < free.length; i++) free[i] = free.length - 1 - i;
    this.#freeCount = free.length;
  }

  /** Delete the key in `slot`; safe while iterating the Map (deleting visited entries is). */
  #evict(key: string, slot: number): void {
    this.#slots.delete(key);
    this.#release(slot);
  }

  #sweep(): void {
    const slots = this.#slots;
    let excess = slots.size - this.#sweepTo;
    switch (this.#eviction) {
      case CacheEviction.oldest:
        for (const [key, slot] of slots) {
          if (excess-- <= 0) break;
          this.#evict(key, slot);
        }
        return;
      case CacheEviction.random: {
        // Selection sampling (Knuth's algorithm S): every key has the same chance to go.
        let remaining = slots.size;
        for (const [key, slot] of slots) {
          if (excess <= 0) break;
          if (Math.random() * remaining < excess) {
            this.#evict(key, slot);
            excess--;
          }
          remaining--;
        }
        return;
      }
      case CacheEviction.notRecentlyUsed: {
        const used = this.#used;
        for (const [key, slot] of slots) {
          if (excess <= 0) break;
          if (used[slot] === 0) {
            this.#evict(key, slot);
            excess--;
          }
        }
        for (const [key, slot] of slots) {
          if (excess-- <= 0) break;
          this.#evict(key, slot);
        }
        // Survivors start the next round as unread.
        used.fill(0);
        return;
      }
    }
  }
}
