/**
 * The subscription index every message is routed through: a trie of subject tokens with
 * dedicated `*` and `>` slots, plain and queue subscriptions per node, and a bounded
 * subject → result cache kept correct on every insert and remove.
 *
 * Structure and observable behaviour follow nats-server `server/sublist.go` (Insert, Match,
 * matchLevel, addToCache, removeFromCache, RemoveBatch, hasInterest); the code is our own.
 */

import { CacheEviction, type ResultCache, SL_CACHE_MAX, SweepingMapCache } from "./result-cache.ts";
import { isValidQueueName, isValidSubscribeSubject, subjectHasWildcard, subjectMatches } from "./subject.ts";
import {
  addChild,
  childOf,
  isEmptyNode,
  Level,
  levelDepth,
  matchLevel,
  matchLevelForAny,
  type Node,
  nodeEntries,
  pruneChild,
} from "./sublist-trie.ts";
import { EMPTY_RESULT, newArray, resultWithSub, SublistResult } from "./sublist-result.ts";

/** What the sublist needs to know about a subscription; the object itself is its identity. */
export interface SublistEntry {
  /** The subject subscribed to, possibly with `*` / `>` tokens. */
  readonly subject: string;
  /** Queue group name, or undefined for a plain subscription. */
  readonly queue: string | undefined;
}

/**
 * The subscriptions a published subject reaches. Results are shared (cached and handed to every
 * publisher of the subject): callers must never mutate them. A result is never changed once
 * returned; inserts and removes build new results (copy-on-write), so a delivery loop may keep
 * iterating one while its subscribers come and go.
 */
export interface MatchResult<S> {
  /** Plain subscriptions: each gets the message. */
  readonly psubs: readonly S[];
  /** One array per queue group (members of the same queue name): one member gets the message. */
  readonly qsubs: readonly (readonly S[])[];
}

/** Counters in the shape of nats-server `SublistStats` (the `/subsz` endpoint). */
export interface SublistStats {
  /** Subscriptions in the sublist. */
  numSubscriptions: number;
  /** Results in the cache. */
  numCache: number;
  /** Successful inserts since creation. */
  numInserts: number;
  /** Successful removes since creation. */
  numRemoves: number;
  /** `match` calls since creation. */
  numMatches: number;
  /** Share of `match` calls answered from the cache (0 when there were none). */
  cacheHitRate: number;
  /** Largest fan-out (plain subs + queue groups) among cached results. */
  maxFanout: number;
  /** Mean fan-out among cached results. */
  avgFanout: number;
}

/** Options for {@link Sublist}. */
export interface SublistOptions<S> {
  /**
   * Most results cached before a sweep (nats-server `slCacheMax`, default 1024). 0 disables
   * the cache, which can pay off when interest changes far more often than it is matched.
   */
  cacheSize?: number;
  /**
   * @internal The result cache itself, overriding `cacheSize`; lets the benchmark compare
   * eviction strategies in the same seat. Not part of the public API.
   */
  resultCache?: ResultCache<MatchResult<S>>;
}

/**
 * Subscriptions indexed by subject, matched against published subjects.
 *
 * Single-threaded: no locks, and no method calls back into user code, so a result returned by
 * {@link match} stays valid (unchanged) for as long as the caller holds it.
 */
export class Sublist<S extends SublistEntry> {
  readonly #root = new Level<S>();
  readonly #cache: ResultCache<MatchResult<S>> | null;
  /** Scratch space for the tokens of the subject at hand; no method is re-entrant. */
  readonly #tokens: string[] = [];
  #count = 0;
  #genId = 0;
  #inserts = 0;
  #removes = 0;
  #matches = 0;
  #cacheHits = 0;
  /** Matches answered by callers' own caches ({@link noteCachedMatch}), folded in when read. */
  #callerHits = 0;

  constructor(options: SublistOptions<S> = {}) {
    const { cacheSize = SL_CACHE_MAX, resultCache } = options;
    if (resultCache !== undefined) {
      this.#cache = resultCache;
      return;
    }
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`cacheSize must be a non-negative integer, got ${cacheSize}`);
    }
    // Chosen by bench/sublist.bench.ts: hits cost the same as with oldest-first or random
    // sweeps (~15 ns, lru-cache ~37 ns) and wildcard insert/remove patching is 3x cheaper than
    // with lru-cache, while hot subjects survive floods of one-off subjects (request/reply
    // inboxes: 100% hot hit rate, oldest-first 85%, random 89%).
    this.#cache = cacheSize === 0 ? null : new SweepingMapCache(cacheSize, CacheEviction.notRecentlyUsed);
  }

  /** Number of subscriptions. */
  get count(): number {
    return this.#count;
  }

  /**
   * Generation number, bumped on every change of interest (insert, remove, removeBatch), so
   * that a per-connection cache of results can tell when it is stale (nats-server `genid`).
   */
  get genId(): number {
    return this.#genId;
  }

  /**
   * Add a subscription. Returns false, without throwing, if its subject is not valid for a
   * SUB or its queue name is empty or has whitespace. Inserting an object already present is a
   * no-op that returns true.
   */
  insert(sub: S): boolean {
    const subject = sub.subject;
    const queue = sub.queue;
    // Validate first: nats-server creates nodes before finding a bad token and leaves them.
    if (!isValidSubscribeSubject(subject) || (queue !== undefined && !isValidQueueName(queue))) return false;
    const toks = this.#tokens;
    const n = this.#tokenize(subject);
    let level = this.#root;
    let node: Node<S> | null = null;
    for (let i = 0; i < n; i++) {
      const t = toks[i]!;
      node = childOf(level, t) ?? addChild(level, t);
      if (i + 1 < n) level = node.next ?? (node.next = new Level<S>());
    }
    // n >= 1 for a valid subject, so node is set.
    const target = node!;
    if (queue === undefined) {
      const psubs = target.psubs ?? (target.psubs = new Set<S>());
      if (psubs.has(sub)) return true;
      psubs.add(sub);
    } else {
      const queues = target.qsubs ?? (target.qsubs = new Map<string, Set<S>>());
      let members = queues.get(queue);
      if (members === undefined) queues.set(queue, (members = new Set<S>()));
      else if (members.has(sub)) return true;
      members.add(sub);
    }
    this.#count++;
    this.#inserts++;
    this.#addToCache(subject, sub);
    this.#genId++;
    return true;
  }

  /** Remove a subscription; false if it was not in the sublist. Prunes emptied nodes. */
  remove(sub: S): boolean {
    if (!this.#removeFromTrie(sub)) return false;
    this.#removeFromCache(sub.subject);
    this.#genId++;
    return true;
  }

  /**
   * Remove many subscriptions at once (a client going away). As sublist.go RemoveBatch, the
   * cache is dropped wholesale instead of being patched once per subscription.
   */
  removeBatch(subs: Iterable<S>): void {
    let removed = 0;
    for (const sub of subs) if (this.#removeFromTrie(sub)) removed++;
    if (removed === 0) return;
    this.#cache?.clear();
    this.#genId++;
  }

  /**
   * The subscriptions `subject` reaches. A subject with an empty token reaches nothing (not even
   * `>`); a `*` or `>` token in it is a plain token that only wildcard subscriptions match.
   * The result is shared: never mutate it.
   */
  match(subject: string): MatchResult<S> {
    this.#matches++;
    const cache = this.#cache;
    if (cache !== null) {
      const cached = cache.get(subject);
      if (cached !== undefined) {
        this.#cacheHits++;
        return cached;
      }
    }
    const n = this.#tokenize(subject);
    if (n === 0) return EMPTY_RESULT;
    const psubs = newArray<S>();
    const qsubs = newArray<S[]>();
    matchLevel(this.#root, this.#tokens, 0, n, psubs, qsubs);
    // Like nats-server, one shared empty result stands for every subject without interest.
    const result = psubs.length === 0 && qsubs.length === 0 ? EMPTY_RESULT : new SublistResult<S>(psubs, qsubs);
    if (cache !== null) cache.set(subject, result);
    return result;
  }

  /**
   * Counts a match answered by a caller's own cache of an earlier {@link match} result (still
   * current: {@link genId} unchanged), so the statistics read as if it had asked again.
   */
  noteCachedMatch(): void {
    // One increment, no branch: it runs on every repeated publish, inside its inlining budget.
    this.#callerHits++;
  }

  /**
   * The cached result for `subject`, counted as a match, or undefined (and nothing counted) when
   * it is not cached. Every subject that reaches the cache came through {@link match} from a
   * caller that had already refused malformed ones, so a publisher can skip its own check of a
   * subject found here.
   */
  matchCached(subject: string): MatchResult<S> | undefined {
    const cached = this.#cache?.get(subject);
    if (cached !== undefined) {
      this.#matches++;
      this.#cacheHits++;
    }
    return cached;
  }

  /**
   * Whether any subscription matches `subject`. Stops at the first one found and does not
   * populate the cache (nats-server HasInterest); not counted in the match statistics.
   */
  hasInterest(subject: string): boolean {
    const cache = this.#cache;
    if (cache !== null) {
      const cached = cache.get(subject);
      if (cached !== undefined) return cached.psubs.length > 0 || cached.qsubs.length > 0;
    }
    const n = this.#tokenize(subject);
    return n !== 0 && matchLevelForAny(this.#root, this.#tokens, 0, n);
  }

  /** Every subscription, in no particular order. Do not insert or remove while iterating. */
  *entries(): IterableIterator<S> {
    const pending: Level<S>[] = [this.#root];
    for (let level = pending.pop(); level !== undefined; level = pending.pop()) {
      for (const node of level.nodes.values()) yield* nodeEntries(node, pending);
      if (level.pwc !== null) yield* nodeEntries(level.pwc, pending);
      if (level.fwc !== null) yield* nodeEntries(level.fwc, pending);
    }
  }

  /**
   * Depth of the trie (nats-server numLevels): 0 once every subscription is gone, which is how
   * tests see that removal prunes emptied nodes.
   */
  numLevels(): number {
    return levelDepth(this.#root);
  }

  /** Counters and cache fan-out, as nats-server Sublist.Stats. */
  stats(): SublistStats {
    let numCache = 0;
    let totalFanout = 0;
    let maxFanout = 0;
    if (this.#cache !== null) {
      for (const result of this.#cache.values()) {
        numCache++;
        const fanout = result.psubs.length + result.qsubs.length;
        totalFanout += fanout;
        if (fanout > maxFanout) maxFanout = fanout;
      }
    }
    const matches = this.#matches + this.#callerHits;
    // A caller's cache hit counts as a cache hit only when there is a cache to have hit.
    const cacheHits = this.#cacheHits + (this.#cache !== null ? this.#callerHits : 0);
    return {
      numSubscriptions: this.#count,
      numCache,
      numInserts: this.#inserts,
      numRemoves: this.#removes,
      numMatches: matches,
      cacheHitRate: matches > 0 ? cacheHits / matches : 0,
      maxFanout,
      avgFanout: numCache > 0 ? totalFanout / numCache : 0,
    };
  }

  /**
   * Split `subject` on `.` into the scratch token array; returns the token count, or 0 if the
   * subject is empty or has an empty token.
   */
  #tokenize(subject: string): number {
    const len = subject.length;
    if (len === 0) return 0;
    const toks = this.#tokens;
    let n = 0;
    let start = 0;
    for (;;) {
      const dot = subject.indexOf(".", start);
      const end = dot === -1 ? len : dot;
      if (end === start) return 0;
      toks[n++] = start === 0 && end === len ? subject : subject.substring(start, end);
      if (dot === -1) return n;
      start = dot + 1;
    }
  }

  /** Take `sub` out of the trie and prune the nodes left empty; no cache or genId update. */
  #removeFromTrie(sub: S): boolean {
    const n = this.#tokenize(sub.subject);
    if (n === 0) return false;
    const toks = this.#tokens;
    const levels: Level<S>[] = [];
    const nodes: Node<S>[] = [];
    let level: Level<S> | null = this.#root;
    for (let i = 0; i < n; i++) {
      if (level === null) return false;
      const node: Node<S> | null = childOf(level, toks[i]!);
      if (node === null) return false;
      levels.push(level);
      nodes.push(node);
      level = node.next;
    }
    const target = nodes[n - 1]!;
    const queue = sub.queue;
    if (queue === undefined) {
      if (target.psubs === null || !target.psubs.delete(sub)) return false;
    } else {
      const members = target.qsubs?.get(queue);
      if (members === undefined || !members.delete(sub)) return false;
      if (members.size === 0) target.qsubs!.delete(queue);
    }
    this.#count--;
    this.#removes++;
    // Bottom-up: once a node is still in use, every node above it is too.
    for (let i = n - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!isEmptyNode(node)) break;
      pruneChild(levels[i]!, node, toks[i]!);
    }
    return true;
  }

  /**
   * Patch cached results `subject` now reaches, copy-on-write (sublist.go addToCache): a
   * literal subject can only change its own entry; a wildcard one every key it matches.
   */
  #addToCache(subject: string, sub: S): void {
    const cache = this.#cache;
    if (cache === null || cache.size === 0) return;
    if (!subjectHasWildcard(subject)) {
      const cached = cache.get(subject);
      if (cached !== undefined) cache.replace(subject, resultWithSub(cached, sub));
      return;
    }
    for (const key of matchingKeys(cache, subject)) {
      cache.replace(key, resultWithSub(cache.get(key)!, sub));
    }
  }

  /** Drop cached results `subject` reached (sublist.go removeFromCache). */
  #removeFromCache(subject: string): void {
    const cache = this.#cache;
    if (cache === null || cache.size === 0) return;
    if (!subjectHasWildcard(subject)) {
      cache.delete(subject);
      return;
    }
    for (const key of matchingKeys(cache, subject)) cache.delete(key);
  }
}

/** Cached keys a wildcard subject matches, collected first so the cache can then be changed. */
function matchingKeys<V>(cache: ResultCache<V>, pattern: string): string[] {
  const keys: string[] = [];
  for (const key of cache.keys()) if (subjectMatches(key, pattern)) keys.push(key);
  return keys;
}
