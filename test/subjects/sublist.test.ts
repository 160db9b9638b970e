import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CacheEviction, SweepingMapCache } from "../../src/subjects/result-cache.ts";
import { type MatchResult, Sublist, type SublistEntry } from "../../src/subjects/sublist.ts";

let nextId = 0;

class Sub implements SublistEntry {
  readonly id: string;
  constructor(
    readonly subject: string,
    readonly queue: string | undefined = undefined,
    id?: string,
  ) {
    this.id = id ?? `s${nextId++}`;
  }
}

function sub(subject: string, id?: string): Sub {
  return new Sub(subject, undefined, id);
}

function qsub(subject: string, queue: string, id?: string): Sub {
  return new Sub(subject, queue, id);
}

/** Plain subs by id (sorted) and queue groups as `queue:id,id` (sorted), order-independent. */
function shape(result: MatchResult<Sub>): { plain: string[]; queues: string[] } {
  return {
    plain: result.psubs.map((s) => s.id).sort(),
    queues: result.qsubs
      .map((group) => `${group[0]!.queue}:${group.map((s) => s.id).sort().join(",")}`)
      .sort(),
  };
}

function plainIds(sl: Sublist<Sub>, subject: string): string[] {
  return shape(sl.match(subject)).plain;
}

describe("Sublist matching", () => {
  test("plain literal subscription", () => {
    const sl = new Sublist<Sub>();
    assert.equal(sl.insert(sub("foo.bar", "a")), true);
    assert.deepEqual(plainIds(sl, "foo.bar"), ["a"]);
    assert.deepEqual(plainIds(sl, "foo.baz"), []);
    assert.deepEqual(plainIds(sl, "foo"), []);
    assert.deepEqual(plainIds(sl, "foo.bar.baz"), []);
    assert.equal(sl.count, 1);
  });

  test("several subs on one subject all match", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo", "a"));
    sl.insert(sub("foo", "b"));
    sl.insert(sub("foo", "c"));
    assert.deepEqual(plainIds(sl, "foo"), ["a", "b", "c"]);
  });

  test("* matches exactly one token", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo.*", "a"));
    sl.insert(sub("*.bar", "b"));
    sl.insert(sub("*", "c"));
    sl.insert(sub("foo.*.baz", "d"));
    assert.deepEqual(plainIds(sl, "foo.bar"), ["a", "b"]);
    assert.deepEqual(plainIds(sl, "foo"), ["c"]);
    assert.deepEqual(plainIds(sl, "foo.bar.baz"), ["d"]);
    assert.deepEqual(plainIds(sl, "foo.bar.qux"), []);
    assert.deepEqual(plainIds(sl, "x.y"), []);
  });

  test("> matches one or more trailing tokens, never zero", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo.>", "a"));
    sl.insert(sub(">", "b"));
    sl.insert(sub("foo.*.>", "c"));
    assert.deepEqual(plainIds(sl, "foo"), ["b"]);
    assert.deepEqual(plainIds(sl, "foo.bar"), ["a", "b"]);
    assert.deepEqual(plainIds(sl, "foo.bar.baz"), ["a", "b", "c"]);
    assert.deepEqual(plainIds(sl, "bar.baz"), ["b"]);
  });

  test("wildcards inside a token are literal characters", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo*", "a"));
    sl.insert(sub("a>", "b"));
    sl.insert(sub("x.a>.y", "c"));
    assert.deepEqual(plainIds(sl, "foo*"), ["a"]);
    assert.deepEqual(plainIds(sl, "foox"), []);
    assert.deepEqual(plainIds(sl, "a>"), ["b"]);
    assert.deepEqual(plainIds(sl, "a.b"), []);
    assert.deepEqual(plainIds(sl, "x.a>.y"), ["c"]);
  });

  test("a published * or > token is matched only by wildcard subscriptions (as nats-server)", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo.*", "star"));
    sl.insert(sub("foo.>", "gt"));
    sl.insert(sub(">", "all"));
    sl.insert(sub("foo.bar", "literal"));
    assert.deepEqual(plainIds(sl, "foo.*"), ["all", "gt", "star"]);
    assert.deepEqual(plainIds(sl, "foo.>"), ["all", "gt", "star"]);
    assert.deepEqual(plainIds(sl, "*"), ["all"]);
  });

  test("subjects with empty tokens match nothing, not even >", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub(">", "all"));
    sl.insert(sub("foo.>", "foo"));
    sl.insert(sub("*.*", "two"));
    for (const subject of ["", ".", "..", ".foo", "foo.", "foo..bar", "foo.bar.", "foo..", ".foo.bar"]) {
      const result = sl.match(subject);
      assert.equal(result.psubs.length + result.qsubs.length, 0, JSON.stringify(subject));
      assert.equal(sl.hasInterest(subject), false, JSON.stringify(subject));
    }
    assert.equal(sl.stats().numCache, 0, "empty-token subjects are not cached");
  });

  test("queue subscriptions are grouped by queue name across nodes", () => {
    const sl = new Sublist<Sub>();
    sl.insert(qsub("foo.bar", "q1", "a"));
    sl.insert(qsub("foo.*", "q1", "b"));
    sl.insert(qsub("foo.>", "q2", "c"));
    sl.insert(qsub("foo.bar", "q2", "d"));
    sl.insert(qsub(">", "q3", "e"));
    sl.insert(sub("foo.bar", "p"));
    const result = sl.match("foo.bar");
    assert.deepEqual(shape(result), { plain: ["p"], queues: ["q1:a,b", "q2:c,d", "q3:e"] });
    assert.equal(result.qsubs.length, 3, "one inner array per queue group");
    assert.deepEqual(shape(sl.match("foo.baz")), { plain: [], queues: ["q1:b", "q2:c", "q3:e"] });
  });

  test("the same queue name on different subjects only meets where both match", () => {
    const sl = new Sublist<Sub>();
    sl.insert(qsub("a", "q", "x"));
    sl.insert(qsub("b", "q", "y"));
    assert.deepEqual(shape(sl.match("a")).queues, ["q:x"]);
    assert.deepEqual(shape(sl.match("b")).queues, ["q:y"]);
  });
});

describe("Sublist insert", () => {
  test("rejects invalid subjects and queue names without throwing", () => {
    const sl = new Sublist<Sub>();
    for (const subject of ["", ".", "foo.", ".foo", "foo..bar", "foo.>.bar", ">.foo"]) {
      assert.equal(sl.insert(sub(subject)), false, JSON.stringify(subject));
    }
    assert.equal(sl.insert(qsub("foo", "")), false, "empty queue");
    assert.equal(sl.insert(qsub("foo", "a b")), false, "queue with space");
    assert.equal(sl.count, 0);
    assert.equal(sl.genId, 0);
    assert.equal(sl.numLevels(), 0, "a rejected subject leaves no nodes behind");
    assert.equal(sl.stats().numInserts, 0);
  });

  test("inserting the same object twice does not duplicate it", () => {
    const sl = new Sublist<Sub>();
    const a = sub("foo.*", "a");
    const q = qsub("foo.bar", "q", "q");
    assert.equal(sl.insert(a), true);
    assert.equal(sl.insert(q), true);
    sl.match("foo.bar"); // cached, so a duplicate must not patch it twice either
    const gen = sl.genId;
    assert.equal(sl.insert(a), true);
    assert.equal(sl.insert(q), true);
    assert.equal(sl.count, 2);
    assert.equal(sl.genId, gen, "a no-op insert does not change the generation");
    assert.deepEqual(shape(sl.match("foo.bar")), { plain: ["a"], queues: ["q:q"] });
    assert.equal(sl.remove(a), true);
    assert.equal(sl.remove(a), false, "only one copy was ever stored");
  });

  test("distinct objects with the same subject are distinct subscriptions", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo", "a"));
    sl.insert(sub("foo", "b"));
    assert.equal(sl.count, 2);
    assert.deepEqual(plainIds(sl, "foo"), ["a", "b"]);
  });
});

describe("Sublist remove", () => {
  test("removes plain and queue subscriptions; false when absent", () => {
    const sl = new Sublist<Sub>();
    const a = sub("foo.bar", "a");
    const b = sub("foo.*", "b");
    const q1 = qsub("foo.bar", "q", "q1");
    const q2 = qsub("foo.bar", "q", "q2");
    for (const s of [a, b, q1, q2]) sl.insert(s);
    assert.equal(sl.remove(a), true);
    assert.equal(sl.remove(a), false);
    assert.equal(sl.remove(sub("foo.bar")), false, "never inserted");
    assert.equal(sl.remove(sub("nowhere.at.all")), false, "no such path");
    assert.equal(sl.remove(sub("foo..bar")), false, "invalid subject");
    assert.equal(sl.remove(qsub("foo.bar", "other")), false, "unknown queue");
    assert.equal(sl.remove(new Sub("foo.bar", undefined, "q1")), false, "same subject, other object");
    assert.deepEqual(shape(sl.match("foo.bar")), { plain: ["b"], queues: ["q:q1,q2"] });
    assert.equal(sl.remove(q1), true);
    assert.deepEqual(shape(sl.match("foo.bar")), { plain: ["b"], queues: ["q:q2"] });
    assert.equal(sl.remove(q2), true);
    assert.deepEqual(shape(sl.match("foo.bar")), { plain: ["b"], queues: [] });
    assert.equal(sl.count, 1);
  });

  test("prunes emptied nodes", () => {
    const sl = new Sublist<Sub>();
    const deep = sub("a.b.c.d");
    const mid = sub("a.b");
    const star = sub("a.*.c");
    const gt = sub("a.>");
    const q = qsub("x.y.z", "q");
    for (const s of [deep, mid, star, gt, q]) sl.insert(s);
    assert.equal(sl.numLevels(), 4);
    sl.remove(deep);
    assert.equal(sl.numLevels(), 3, "a.b.c.d pruned back to a.*.c");
    sl.remove(star);
    sl.remove(q);
    assert.equal(sl.numLevels(), 2);
    sl.remove(mid);
    assert.equal(sl.numLevels(), 2, "a.> still there");
    sl.remove(gt);
    assert.equal(sl.numLevels(), 0);
    assert.equal(sl.count, 0);
    assert.deepEqual([...sl.entries()], []);
  });

  test("an interior node that still leads somewhere is kept", () => {
    const sl = new Sublist<Sub>();
    const leaf = sub("a.b");
    const inner = sub("a");
    sl.insert(leaf);
    sl.insert(inner);
    sl.remove(inner);
    assert.deepEqual(plainIds(sl, "a.b"), [leaf.id]);
    assert.equal(sl.numLevels(), 2);
  });

  test("removeBatch removes many, drops the cache once and bumps genId once", () => {
    const sl = new Sublist<Sub>();
    const subs = [sub("a", "1"), sub("a.*", "2"), qsub("a.b", "q", "3"), sub(">", "4"), sub("c", "5")];
    for (const s of subs) sl.insert(s);
    sl.match("a");
    sl.match("a.b");
    sl.match("c");
    assert.equal(sl.stats().numCache, 3);
    const gen = sl.genId;
    sl.removeBatch([subs[0]!, subs[1]!, subs[2]!, sub("never.inserted")]);
    assert.equal(sl.genId, gen + 1);
    assert.equal(sl.count, 2);
    assert.equal(sl.stats().numCache, 0);
    assert.equal(sl.stats().numRemoves, 3);
    assert.deepEqual(shape(sl.match("a.b")), { plain: ["4"], queues: [] });
    assert.deepEqual(plainIds(sl, "c"), ["4", "5"]);
    // A generator is an Iterable too, and a batch that removes nothing changes nothing.
    sl.removeBatch((function* () {
      yield sub("nothing");
    })());
    assert.equal(sl.genId, gen + 1);
    assert.equal(sl.count, 2);
  });
});

describe("Sublist cache", () => {
  test("a cache hit returns the same shared result object", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo", "a"));
    const first = sl.match("foo");
    assert.equal(sl.match("foo"), first);
    const st = sl.stats();
    assert.equal(st.numMatches, 2);
    assert.equal(st.cacheHitRate, 0.5);
  });

  test("stays correct through interleaved literal and wildcard inserts and removes", () => {
    const sl = new Sublist<Sub>();
    const subject = "orders.eu.new";
    assert.deepEqual(plainIds(sl, subject), []); // caches an empty result
    const lit = sub(subject, "lit");
    sl.insert(lit);
    assert.deepEqual(plainIds(sl, subject), ["lit"], "literal insert patches its own key");
    const star = sub("orders.*.new", "star");
    sl.insert(star);
    assert.deepEqual(plainIds(sl, subject), ["lit", "star"], "wildcard insert patches matching keys");
    const other = sub("orders.us.*", "other");
    sl.insert(other);
    assert.deepEqual(plainIds(sl, subject), ["lit", "star"], "non-matching wildcard leaves it alone");
    const q = qsub("orders.>", "workers", "q");
    sl.insert(q);
    assert.deepEqual(shape(sl.match(subject)), { plain: ["lit", "star"], queues: ["workers:q"] });
    const q2 = qsub("orders.eu.*", "workers", "q2");
    sl.insert(q2);
    assert.deepEqual(shape(sl.match(subject)), { plain: ["lit", "star"], queues: ["workers:q,q2"] });
    sl.remove(star);
    assert.deepEqual(plainIds(sl, subject), ["lit"], "wildcard remove invalidates matching keys");
    sl.remove(lit);
    assert.deepEqual(shape(sl.match(subject)), { plain: [], queues: ["workers:q,q2"] });
    sl.remove(q);
    sl.remove(q2);
    assert.deepEqual(shape(sl.match(subject)), { plain: [], queues: [] });
    sl.insert(lit);
    assert.deepEqual(plainIds(sl, subject), ["lit"]);
    assert.ok(sl.stats().cacheHitRate > 0, "the cache was actually used");
  });

  test("a cached published-wildcard subject is patched like nats-server", () => {
    const sl = new Sublist<Sub>();
    assert.deepEqual(plainIds(sl, "foo.*"), []);
    sl.insert(sub("foo.bar", "literal"));
    sl.insert(sub("foo.*", "star"));
    sl.insert(sub("*.*", "stars"));
    sl.insert(sub("foo.>", "gt"));
    assert.deepEqual(plainIds(sl, "foo.*"), ["gt", "star", "stars"]);
  });

  test("results are copy-on-write: one held across a remove or insert does not change", () => {
    const sl = new Sublist<Sub>();
    const a = sub("foo", "a");
    const b = sub("foo", "b");
    const wild = sub("*", "w");
    const qa = qsub("foo", "q", "qa");
    for (const s of [a, b, wild, qa]) sl.insert(s);
    const held = sl.match("foo");
    const before = shape(held);
    const heldPsubs = [...held.psubs];
    sl.remove(a); // e.g. auto-unsubscribe while a delivery loop iterates `held`
    sl.insert(sub("foo", "c"));
    sl.insert(sub("*", "w2"));
    sl.insert(qsub("foo", "q", "qb"));
    sl.insert(qsub(">", "q2", "qc"));
    assert.deepEqual(shape(held), before);
    assert.deepEqual([...held.psubs], heldPsubs);
    assert.deepEqual(shape(sl.match("foo")), { plain: ["b", "c", "w", "w2"], queues: ["q2:qc", "q:qa,qb"] });
  });

  test("the shared empty result is never mutated by later inserts", () => {
    const sl = new Sublist<Sub>();
    const empty = sl.match("foo");
    sl.insert(sub("foo", "a"));
    sl.insert(sub("*", "b"));
    sl.insert(qsub("foo", "q", "c"));
    assert.equal(empty.psubs.length, 0);
    assert.equal(empty.qsubs.length, 0);
    assert.equal(sl.match("no.body").psubs.length, 0, "the shared empty result is still empty");
    assert.deepEqual(shape(sl.match("foo")), { plain: ["a", "b"], queues: ["q:c"] });
  });

  test("cacheSize 0 disables the cache but not matching", () => {
    const sl = new Sublist<Sub>({ cacheSize: 0 });
    sl.insert(sub("foo.*", "a"));
    assert.deepEqual(plainIds(sl, "foo.bar"), ["a"]);
    assert.deepEqual(plainIds(sl, "foo.bar"), ["a"]);
    const st = sl.stats();
    assert.equal(st.numCache, 0);
    assert.equal(st.cacheHitRate, 0);
    assert.equal(st.numMatches, 2);
  });

  test("the cache stays bounded: swept back to a quarter (at most 256) past its size", () => {
    const small = new Sublist<Sub>({ cacheSize: 8 });
    small.insert(sub(">", "all"));
    for (let i = 0; i < 100; i++) {
      assert.deepEqual(plainIds(small, `s.${i}`), ["all"]);
      assert.ok(small.stats().numCache <= 8);
    }
    const big = new Sublist<Sub>();
    for (let i = 0; i < 1024; i++) big.match(`s.${i}`);
    assert.equal(big.stats().numCache, 1024);
    big.match("one.more");
    assert.equal(big.stats().numCache, 256, "slCacheSweep");
    // The entry that triggered the sweep survives it: the next lookup is a hit.
    const hits = (st: { cacheHitRate: number; numMatches: number }): number => Math.round(st.cacheHitRate * st.numMatches);
    const hitsBefore = hits(big.stats());
    big.match("one.more");
    assert.equal(hits(big.stats()), hitsBefore + 1);
  });

  test("rejects a bad cacheSize", () => {
    assert.throws(() => new Sublist<Sub>({ cacheSize: -1 }), RangeError);
    assert.throws(() => new Sublist<Sub>({ cacheSize: 1.5 }), RangeError);
    assert.throws(() => new Sublist<Sub>({ cacheSize: Number.NaN }), RangeError);
  });
});

describe("Sublist hasInterest", () => {
  test("answers without populating the cache", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("foo.bar", "a"));
    sl.insert(sub("x.*.z", "b"));
    sl.insert(sub("g.>", "c"));
    sl.insert(qsub("q.only", "workers", "d"));
    assert.equal(sl.hasInterest("foo.bar"), true);
    assert.equal(sl.hasInterest("x.y.z"), true);
    assert.equal(sl.hasInterest("g.h.i"), true);
    assert.equal(sl.hasInterest("q.only"), true, "queue-only interest counts");
    assert.equal(sl.hasInterest("foo"), false, "interior node without subscriptions");
    assert.equal(sl.hasInterest("x.y"), false, "interior * node without subscriptions");
    assert.equal(sl.hasInterest("g"), false, "> needs a token");
    assert.equal(sl.hasInterest("foo.baz"), false);
    assert.equal(sl.hasInterest("foo..bar"), false);
    const st = sl.stats();
    assert.equal(st.numCache, 0);
    assert.equal(st.numMatches, 0, "not counted as matches");
  });

  test("agrees with a cached result", () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub("a.*", "a"));
    sl.match("a.b");
    sl.match("a");
    assert.equal(sl.hasInterest("a.b"), true);
    assert.equal(sl.hasInterest("a"), false);
  });
});

describe("Sublist bookkeeping", () => {
  test("stats counters", () => {
    const sl = new Sublist<Sub>();
    const subs = [sub("a", "1"), sub("a", "2"), sub("*", "3"), qsub("a", "q", "4"), qsub("a", "q", "5"), sub("b", "6")];
    for (const s of subs) sl.insert(s);
    sl.insert(sub("bad..subject"));
    sl.remove(subs[5]!);
    sl.remove(subs[5]!);
    sl.match("a"); // fan-out: 3 plain + 1 queue group = 4
    sl.match("a");
    sl.match("b"); // fan-out 1 (the * sub)
    sl.match("c.d"); // fan-out 0
    const st = sl.stats();
    assert.deepEqual(st, {
      numSubscriptions: 5,
      numCache: 3,
      numInserts: 6,
      numRemoves: 1,
      numMatches: 4,
      cacheHitRate: 0.25,
      maxFanout: 4,
      avgFanout: 5 / 3,
    });
  });

  test("genId changes on every insert and remove, and only then", () => {
    const sl = new Sublist<Sub>();
    const a = sub("a");
    assert.equal(sl.genId, 0);
    sl.insert(a);
    assert.equal(sl.genId, 1);
    sl.match("a");
    sl.hasInterest("a");
    assert.equal(sl.genId, 1);
    sl.insert(sub("a..b"));
    sl.remove(sub("x"));
    assert.equal(sl.genId, 1, "failed operations change nothing");
    sl.remove(a);
    assert.equal(sl.genId, 2);
  });

  test("entries() yields every subscription exactly once", () => {
    const sl = new Sublist<Sub>();
    const subs = [sub("a"), sub("a"), sub("a.b"), sub("*"), sub("*.b"), sub(">"), sub("a.>"), qsub("a", "q"), qsub("a", "r"), qsub("*.*", "q")];
    for (const s of subs) sl.insert(s);
    const seen = [...sl.entries()];
    assert.equal(seen.length, subs.length);
    assert.deepEqual(new Set(seen), new Set(subs));
  });
});

describe("SweepingMapCache", () => {
  function filled(eviction: CacheEviction, n: number): SweepingMapCache<number> {
    const cache = new SweepingMapCache<number>(8, eviction, 2);
    for (let i = 0; i < n; i++) cache.set(`k${i}`, i);
    return cache;
  }

  test("holds up to max entries, then sweeps down to sweepTo", () => {
    for (const eviction of Object.values(CacheEviction)) {
      const cache = filled(eviction, 8);
      assert.equal(cache.size, 8, eviction);
      cache.set("k8", 8);
      assert.equal(cache.size, 2, eviction);
      for (const key of cache.keys()) assert.equal(cache.get(key), Number(key.slice(1)), `${eviction}: ${key}`);
    }
  });

  test("oldest: keeps the newest entries", () => {
    const cache = filled(CacheEviction.oldest, 9);
    assert.deepEqual([...cache.keys()], ["k7", "k8"]);
    assert.deepEqual([...cache.values()], [7, 8]);
  });

  test("not-recently-used: keeps entries read since the last sweep, then forgets the marks", () => {
    const cache = filled(CacheEviction.notRecentlyUsed, 8);
    cache.get("k0");
    cache.get("k3");
    cache.set("k8", 8);
    assert.deepEqual([...cache.keys()].sort(), ["k0", "k3"]);
    for (let i = 9; i < 16; i++) cache.set(`k${i}`, i);
    assert.deepEqual([...cache.keys()], ["k14", "k15"], "unread since the sweep: oldest go first");
  });

  test("not-recently-used: a reused slot does not inherit the read mark of its last owner", () => {
    const cache = filled(CacheEviction.notRecentlyUsed, 8);
    cache.get("k0");
    cache.delete("k0");
    cache.set("x", 0); // takes k0's slot
    cache.get("k5");
    cache.set("k8", 8);
    assert.deepEqual([...cache.keys()], ["k5", "k8"]);
  });

  test("not-recently-used: falls back to oldest-first when everything was read", () => {
    const cache = filled(CacheEviction.notRecentlyUsed, 8);
    for (let i = 0; i < 8; i++) cache.get(`k${i}`);
    cache.set("k8", 8); // unread, so it goes first, then the oldest read ones
    assert.deepEqual([...cache.keys()], ["k6", "k7"]);
  });

  test("random: every entry can be swept, and survivors keep their values", () => {
    const survived = new Set<string>();
    for (let trial = 0; trial < 200; trial++) {
      const cache = filled(CacheEviction.random, 9);
      assert.equal(cache.size, 2);
      for (const key of cache.keys()) {
        survived.add(key);
        assert.equal(cache.get(key), Number(key.slice(1)));
      }
    }
    assert.equal(survived.size, 9, "no entry is always kept or always dropped");
  });

  test("set on a cached key, replace, delete and clear", () => {
    const cache = filled(CacheEviction.oldest, 8);
    cache.set("k0", 100);
    assert.equal(cache.size, 8, "overwriting does not grow the cache");
    assert.equal(cache.get("k0"), 100);
    cache.replace("k1", 101);
    cache.replace("absent", 1);
    assert.equal(cache.get("k1"), 101);
    assert.equal(cache.get("absent"), undefined);
    cache.delete("k2");
    cache.delete("absent");
    assert.equal(cache.size, 7);
    cache.set("k9", 9);
    assert.equal(cache.size, 8, "a deleted entry's slot is reused without a sweep");
    assert.equal(cache.get("k9"), 9);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.get("k0"), undefined);
    for (let i = 0; i < 8; i++) cache.set(`n${i}`, i);
    assert.equal(cache.size, 8, "all slots are free again after clear");
    assert.deepEqual([...cache.values()], [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test("rejects a bad max", () => {
    assert.throws(() => new SweepingMapCache<number>(0, CacheEviction.oldest), RangeError);
    assert.throws(() => new SweepingMapCache<number>(2.5, CacheEviction.oldest), RangeError);
  });
});
