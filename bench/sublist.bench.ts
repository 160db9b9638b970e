/**
 * Sublist micro-benchmark: match cost on a cache miss and a cache hit, insert rate, and the
 * result-cache eviction strategies side by side:
 *   map-oldest  SweepingMapCache, oldest entries swept first (Map insertion order)
 *   map-random  SweepingMapCache, random entries swept (as nats-server)
 *   map-nru     SweepingMapCache, entries not read since the last sweep go first (the default)
 *   lru-cache   the `lru-cache` package in the same seat (evicts one entry per insert)
 *   no-cache    cacheSize 0: the trie alone
 *
 *   npx tsx bench/sublist.bench.ts            # < 60 s: 2 rounds
 *   npx tsx bench/sublist.bench.ts --quick    # < 10 s: smaller counts, 1 round
 *
 * Workload: 10k subscriptions over 5-token subjects from a 20-word vocabulary; 10% of them have
 * one `*` token, 5% end early in `>`, 10% are queue subscriptions. Each strategy runs in its own
 * child process so that one's JIT state (and the polymorphism of the cache seat) cannot colour
 * another's numbers; each figure is the best of several slices and rounds, because this runs on
 * shared machines. The parent prints a table and writes bench/results/sublist-<date>.json.
 */

import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { LRUCache } from "lru-cache";
import { CacheEviction, type ResultCache, SL_CACHE_MAX, SweepingMapCache } from "../src/subjects/result-cache.ts";
import { type MatchResult, Sublist, type SublistEntry } from "../src/subjects/sublist.ts";

const Strategy = {
  mapOldest: "map-oldest",
  mapRandom: "map-random",
  mapNru: "map-nru",
  lruCache: "lru-cache",
  noCache: "no-cache",
} as const;
type Strategy = (typeof Strategy)[keyof typeof Strategy];
const STRATEGIES: readonly Strategy[] = Object.values(Strategy);

const SUBSCRIPTIONS = 10_000;
const VOCABULARY = Array.from({ length: 20 }, (_, i) => `w${i.toString(36)}x${"abcdefghij"[i % 10]}`);

interface Sizes {
  insertRounds: number;
  missOps: number;
  hitOps: number;
  freshHitOps: number;
  mixedOps: number;
  churnRounds: number;
  rounds: number;
}

const SIZES: Readonly<Record<"full" | "quick", Sizes>> = {
  full: { insertRounds: 6, missOps: 175_000, hitOps: 5_600_000, freshHitOps: 280_000, mixedOps: 1_050_000, churnRounds: 1_050, rounds: 2 },
  quick: { insertRounds: 2, missOps: 35_000, hitOps: 700_000, freshHitOps: 70_000, mixedOps: 140_000, churnRounds: 140, rounds: 1 },
};

/** One strategy's numbers. Rates in operations per second, times in nanoseconds. */
interface Measurements {
  insertPerSec: number;
  missNs: number;
  missPerSec: number;
  hitNs: number;
  hitPerSec: number;
  freshHitNs: number;
  mixedNs: number;
  mixedHitRate: number;
  requestReplyNs: number;
  hotHitRate: number;
  churnUs: number;
  avgFanout: number;
}

class BenchSub implements SublistEntry {
  constructor(
    readonly subject: string,
    readonly queue: string | undefined,
  ) {}
}

/** `lru-cache` in the seat of the result cache. */
class LruResultCache<V extends object> implements ResultCache<V> {
  readonly #lru: LRUCache<string, V>;
  constructor(max: number) {
    this.#lru = new LRUCache<string, V>({ max });
  }
  get size(): number {
    return this.#lru.size;
  }
  get(key: string): V | undefined {
    return this.#lru.get(key);
  }
  set(key: string, value: V): void {
    this.#lru.set(key, value);
  }
  replace(key: string, value: V): void {
    this.#lru.set(key, value);
  }
  delete(key: string): void {
    this.#lru.delete(key);
  }
  clear(): void {
    this.#lru.clear();
  }
  keys(): IterableIterator<string> {
    return this.#lru.keys();
  }
  values(): IterableIterator<V> {
    return this.#lru.values();
  }
}

function createSublist(strategy: Strategy): Sublist<BenchSub> {
  switch (strategy) {
    case Strategy.mapOldest:
      return new Sublist({ resultCache: new SweepingMapCache<MatchResult<BenchSub>>(SL_CACHE_MAX, CacheEviction.oldest) });
    case Strategy.mapRandom:
      return new Sublist({ resultCache: new SweepingMapCache<MatchResult<BenchSub>>(SL_CACHE_MAX, CacheEviction.random) });
    case Strategy.mapNru:
      return new Sublist({ resultCache: new SweepingMapCache<MatchResult<BenchSub>>(SL_CACHE_MAX, CacheEviction.notRecentlyUsed) });
    case Strategy.lruCache:
      return new Sublist({ resultCache: new LruResultCache<MatchResult<BenchSub>>(SL_CACHE_MAX) });
    case Strategy.noCache:
      return new Sublist({ cacheSize: 0 });
  }
}

// ---------------------------------------------------------------------------------------------
// Workload (deterministic: every child builds the same one)

/** mulberry32: a small seeded PRNG, so that every run and every strategy sees the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function word(rand: () => number): string {
  return VOCABULARY[Math.floor(rand() * VOCABULARY.length)]!;
}

function literalSubject(rand: () => number): string {
  return [word(rand), word(rand), word(rand), word(rand), word(rand)].join(".");
}

function buildSubscriptions(rand: () => number): BenchSub[] {
  const subs: BenchSub[] = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const tokens = [word(rand), word(rand), word(rand), word(rand), word(rand)];
    const r = rand();
    if (r < 0.05) tokens.splice(1 + Math.floor(rand() * 4), 5, ">");
    else if (r < 0.15) tokens[Math.floor(rand() * 5)] = "*";
    const queue = rand() < 0.1 ? `q${Math.floor(rand() * 5)}` : undefined;
    subs.push(new BenchSub(tokens.join("."), queue));
  }
  return subs;
}

/** A published subject a subscription receives: its wildcards filled with words. */
function subjectFor(sub: BenchSub, rand: () => number): string {
  const out: string[] = [];
  for (const t of sub.subject.split(".")) {
    if (t === ">") while (out.length < 5) out.push(word(rand));
    else out.push(t === "*" ? word(rand) : t);
  }
  return out.join(".");
}

/** Zipf(s=1) sampler over n ranks, by inverse CDF. */
function zipf(n: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1);
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A copy of `s` whose hash V8 has not computed yet, as a subject fresh off the parser is. */
function freshCopy(s: string): string {
  return Buffer.from(s, "latin1").toString("latin1");
}

// ---------------------------------------------------------------------------------------------
// Measurements (one child process per strategy)

let sink = 0;

function elapsedNs(start: bigint): number {
  return Number(process.hrtime.bigint() - start);
}

/** Match `subjects[from..to)` once each; returns the elapsed nanoseconds. */
function matchRange(sl: Sublist<BenchSub>, subjects: readonly string[], from: number, to: number): number {
  const start = process.hrtime.bigint();
  for (let i = from; i < to; i++) sink += sl.match(subjects[i]!).psubs.length;
  return elapsedNs(start);
}

/** Match `subjects` cyclically `ops` times; returns the elapsed nanoseconds. */
function matchCycle(sl: Sublist<BenchSub>, subjects: readonly string[], ops: number): number {
  const n = subjects.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) sink += sl.match(subjects[i % n]!).psubs.length;
  return elapsedNs(start);
}

/**
 * Least ns/op over REPS consecutive slices of `subjects`: on a shared VM, a slice that ran
 * undisturbed says more about the code than the mean of slices that did not.
 */
function bestSliceNs(sl: Sublist<BenchSub>, subjects: readonly string[]): number {
  const per = Math.floor(subjects.length / REPS);
  let best = Infinity;
  for (let r = 0; r < REPS; r++) best = Math.min(best, matchRange(sl, subjects, r * per, (r + 1) * per) / per);
  return best;
}

const REPS = 7;

function measure(strategy: Strategy, sizes: Sizes): Measurements {
  const rand = prng(0x5eed);
  const subs = buildSubscriptions(rand);

  // Insert rate: fresh sublists, best round.
  let bestInsertNs = Infinity;
  let sl = createSublist(strategy);
  for (let round = 0; round < sizes.insertRounds + 1; round++) {
    sl = createSublist(strategy);
    const start = process.hrtime.bigint();
    for (const sub of subs) sl.insert(sub);
    const ns = elapsedNs(start);
    if (round > 0) bestInsertNs = Math.min(bestInsertNs, ns); // round 0 warms the JIT
  }

  // Misses: random subjects from the whole 20^5 space, so nearly every one is new.
  const warmup = Array.from({ length: 20_000 }, () => literalSubject(rand));
  matchRange(sl, warmup, 0, warmup.length);
  const randomSubjects = Array.from({ length: sizes.missOps }, () => literalSubject(rand));
  const missNs = bestSliceNs(sl, randomSubjects);

  // Hits: 100 hot subjects that have subscribers.
  const hot = Array.from({ length: 100 }, () => subjectFor(subs[Math.floor(rand() * subs.length)]!, rand));
  matchCycle(sl, hot, 200_000);
  let hitNs = Infinity;
  for (let r = 0; r < REPS; r++) hitNs = Math.min(hitNs, matchCycle(sl, hot, sizes.hitOps / REPS) / (sizes.hitOps / REPS));

  // Hits on subjects whose string hash is not computed yet, like each subject fresh off the parser.
  const fresh = Array.from({ length: sizes.freshHitOps }, (_, i) => freshCopy(hot[i % hot.length]!));
  const freshHitNs = bestSliceNs(sl, fresh);

  // Mixed: Zipf over 4096 subjects (4x the cache), where the eviction policy decides hit rate.
  const pool = Array.from({ length: 4096 }, (_, i) =>
    i % 2 === 0 ? subjectFor(subs[Math.floor(rand() * subs.length)]!, rand) : literalSubject(rand),
  );
  const pick = zipf(pool.length, rand);
  const mixed = Array.from({ length: sizes.mixedOps }, () => pool[pick()]!);
  const mixedSl = createSublist(strategy);
  for (const sub of subs) mixedSl.insert(sub);
  matchCycle(mixedSl, mixed, Math.min(100_000, sizes.mixedOps));
  const statsBefore = mixedSl.stats();
  const mixedNs = bestSliceNs(mixedSl, mixed);
  const statsAfter = mixedSl.stats();
  const hitsOf = (st: { cacheHitRate: number; numMatches: number }): number => st.cacheHitRate * st.numMatches;
  const mixedHitRate = (hitsOf(statsAfter) - hitsOf(statsBefore)) / (statsAfter.numMatches - statsBefore.numMatches);

  // Request/reply: every other publish is a reply to a one-off inbox subject (`_INBOX.<id>.<n>`,
  // matched by one `_INBOX.<id>.*` subscription per requester), the rest go to 100 hot subjects.
  // One-off subjects flood the cache; the eviction policy decides whether hot subjects survive.
  const inboxSl = createSublist(strategy);
  for (const sub of subs) inboxSl.insert(sub);
  const inboxIds = Array.from({ length: 100 }, (_, i) => `${i.toString(36)}${Math.floor(rand() * 1e9).toString(36)}`);
  for (const id of inboxIds) inboxSl.insert(new BenchSub(`_INBOX.${id}.*`, undefined));
  const requestReply = Array.from({ length: sizes.mixedOps }, (_, i) =>
    i % 2 === 0 ? hot[(i >>> 1) % hot.length]! : `_INBOX.${inboxIds[(i >>> 1) % inboxIds.length]!}.${i}`,
  );
  matchCycle(inboxSl, hot, 1000);
  const rrBefore = inboxSl.stats();
  const requestReplyNs = bestSliceNs(inboxSl, requestReply);
  const rrAfter = inboxSl.stats();
  // Replies always miss, so twice the overall hit rate is the hit rate of the hot half.
  const hotHitRate = (2 * (hitsOf(rrAfter) - hitsOf(rrBefore))) / (rrAfter.numMatches - rrBefore.numMatches);

  // Churn: a wildcard subscriber comes and goes between bursts of hot matches; every insert
  // and remove walks the cache keys (sublist.go addToCache / removeFromCache).
  const churnSubs = Array.from({ length: 64 }, () => new BenchSub(`${word(rand)}.*.${word(rand)}.>`, undefined));
  const churnPerRep = Math.ceil(sizes.churnRounds / REPS);
  let churnUs = Infinity;
  for (let rep = 0; rep < REPS; rep++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < churnPerRep; r++) {
      const s = churnSubs[r & 63]!;
      sl.insert(s);
      for (let i = 0; i < 100; i++) sink += sl.match(hot[i]!).psubs.length;
      sl.remove(s);
    }
    churnUs = Math.min(churnUs, elapsedNs(start) / churnPerRep / 1000);
  }

  return {
    insertPerSec: SUBSCRIPTIONS / (bestInsertNs / 1e9),
    missNs,
    missPerSec: 1e9 / missNs,
    hitNs,
    hitPerSec: 1e9 / hitNs,
    freshHitNs,
    mixedNs,
    mixedHitRate: strategy === Strategy.noCache ? 0 : mixedHitRate,
    requestReplyNs,
    hotHitRate: strategy === Strategy.noCache ? 0 : hotHitRate,
    churnUs,
    avgFanout: sl.stats().avgFanout,
  };
}

// ---------------------------------------------------------------------------------------------
// Parent: run children, combine rounds, print, save

function runChild(strategy: Strategy, quick: boolean): Promise<Measurements> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = fork(script, ["--worker", strategy, ...(quick ? ["--quick"] : [])], { execArgv: process.execArgv });
    let result: Measurements | undefined;
    child.on("message", (m) => (result = m as Measurements));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`${strategy} worker exited with ${code}`));
    });
  });
}

/** Best of the rounds: higher rates, lower times (the least disturbed run). */
function best(rounds: readonly Measurements[]): Measurements {
  const pick = (key: keyof Measurements, higher: boolean): number =>
    rounds.map((m) => m[key]).reduce((a, b) => (higher ? Math.max(a, b) : Math.min(a, b)));
  return {
    insertPerSec: pick("insertPerSec", true),
    missNs: pick("missNs", false),
    missPerSec: pick("missPerSec", true),
    hitNs: pick("hitNs", false),
    hitPerSec: pick("hitPerSec", true),
    freshHitNs: pick("freshHitNs", false),
    mixedNs: pick("mixedNs", false),
    mixedHitRate: pick("mixedHitRate", true),
    requestReplyNs: pick("requestReplyNs", false),
    hotHitRate: pick("hotHitRate", true),
    churnUs: pick("churnUs", false),
    avgFanout: pick("avgFanout", true),
  };
}

function formatTable(results: Readonly<Record<Strategy, Measurements>>): string {
  const rows: [string, (m: Measurements) => string][] = [
    ["insert (subs/s)", (m) => Math.round(m.insertPerSec).toLocaleString("en-US")],
    ["miss: random subject (ns/op)", (m) => m.missNs.toFixed(0)],
    ["miss (matches/s)", (m) => Math.round(m.missPerSec).toLocaleString("en-US")],
    ["hit: 100 hot subjects (ns/op)", (m) => m.hitNs.toFixed(1)],
    ["hit (matches/s)", (m) => Math.round(m.hitPerSec).toLocaleString("en-US")],
    ["hit, unhashed subject (ns/op)", (m) => m.freshHitNs.toFixed(1)],
    ["mixed: Zipf over 4096 (ns/op)", (m) => m.mixedNs.toFixed(1)],
    ["mixed: cache hit rate", (m) => `${(m.mixedHitRate * 100).toFixed(1)}%`],
    ["request/reply: hot + one-off inbox (ns/op)", (m) => m.requestReplyNs.toFixed(1)],
    ["request/reply: hot subjects hit rate", (m) => `${(m.hotHitRate * 100).toFixed(1)}%`],
    ["churn: wildcard sub+100 hits+unsub (µs)", (m) => m.churnUs.toFixed(1)],
  ];
  const header = ["", ...STRATEGIES];
  const body = rows.map(([label, f]) => [label, ...STRATEGIES.map((s) => f(results[s]))]);
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const sizes = quick ? SIZES.quick : SIZES.full;
  const workerAt = args.indexOf("--worker");
  if (workerAt >= 0) {
    const strategy = args[workerAt + 1] as Strategy;
    const m = measure(strategy, sizes);
    if (sink === -1) console.log(sink); // keep the matched results observable
    process.send?.(m);
    return;
  }

  const started = Date.now();
  const rounds = new Map<Strategy, Measurements[]>(STRATEGIES.map((s) => [s, []]));
  for (let round = 0; round < sizes.rounds; round++) {
    // Alternate the order so no strategy always runs on a warmer (or busier) machine.
    const order = round % 2 === 0 ? STRATEGIES : [...STRATEGIES].reverse();
    for (const strategy of order) rounds.get(strategy)!.push(await runChild(strategy, quick));
  }
  const results = Object.fromEntries(STRATEGIES.map((s) => [s, best(rounds.get(s)!)])) as Record<Strategy, Measurements>;

  console.log(`Sublist: ${SUBSCRIPTIONS} subscriptions, avg fan-out of cached results ${results[Strategy.mapOldest].avgFanout.toFixed(2)}, cache ${SL_CACHE_MAX}`);
  console.log(`${quick ? "quick" : "full"} run, best of ${sizes.rounds} round(s), node ${process.version}, ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}\n`);
  console.log(formatTable(results));

  const date = new Date().toISOString().slice(0, 10);
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}sublist-${date}.json`;
  const report = {
    benchmark: "sublist",
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    workload: { subscriptions: SUBSCRIPTIONS, vocabulary: VOCABULARY.length, tokens: 5, star: 0.1, gt: 0.05, queue: 0.1, cacheSize: SL_CACHE_MAX },
    sizes,
    results,
    rounds: Object.fromEntries(rounds),
    seconds: (Date.now() - started) / 1000,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten ${file} (${report.seconds.toFixed(1)} s)`);
}

await main();
