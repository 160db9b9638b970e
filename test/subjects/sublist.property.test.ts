/**
 * Property tests: `Sublist` (cache on, cache off, tiny caches that sweep all the time) against a
 * naive model, a linear scan over the live subscriptions with a token comparison written here
 * from scratch, on random subjects over a small alphabet so that matches are frequent.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CacheEviction, SweepingMapCache } from "../../src/subjects/result-cache.ts";
import { isValidSubject, subjectMatches } from "../../src/subjects/subject.ts";
import { type MatchResult, Sublist, type SublistEntry } from "../../src/subjects/sublist.ts";

const SEED = 20240611;

// ---------------------------------------------------------------------------------------------
// The model

/** Does published `literal` match subscription `pattern`? Deliberately naive. */
function naiveMatch(literal: string, pattern: string): boolean {
  const lit = literal.split(".");
  const pat = pattern.split(".");
  if (lit.includes("")) return false;
  for (let i = 0; i < pat.length; i++) {
    const p = pat[i]!;
    if (p === "") return false;
    // A `>` before the last token makes the pattern invalid: it matches nothing.
    if (p === ">") return i === pat.length - 1 && lit.length > i;
    if (i >= lit.length) return false;
    if (p !== "*" && p !== lit[i]) return false;
  }
  return lit.length === pat.length;
}

/** Is `pattern` something a client may SUB to? Deliberately naive. */
function naiveValid(pattern: string): boolean {
  if (/[ \t\r\n\f]/.test(pattern)) return false;
  const pat = pattern.split(".");
  return pat.every((t, i) => t !== "" && (t !== ">" || i === pat.length - 1));
}

let nextId = 0;

class Sub implements SublistEntry {
  readonly id = nextId++;
  constructor(
    readonly subject: string,
    readonly queue: string | undefined,
  ) {}
}

interface Shape {
  plain: number[];
  queues: string[];
}

/** Order-independent picture of a result; also checks each queue array holds one queue name. */
function shapeOf(result: MatchResult<Sub>): Shape {
  const queues = result.qsubs.map((group) => {
    assert.ok(group.length > 0, "no empty queue group");
    const name = group[0]!.queue!;
    assert.ok(group.every((s) => s.queue === name), "one queue name per group");
    return `${name}:${group.map((s) => s.id).sort((a, b) => a - b).join(",")}`;
  });
  assert.equal(new Set(queues.map((q) => q.split(":")[0])).size, queues.length, "one group per queue name");
  return { plain: result.psubs.map((s) => s.id).sort((a, b) => a - b), queues: queues.sort() };
}

function expectedShape(live: Iterable<Sub>, literal: string): Shape {
  const plain: number[] = [];
  const groups = new Map<string, number[]>();
  for (const s of live) {
    if (!naiveMatch(literal, s.subject)) continue;
    if (s.queue === undefined) plain.push(s.id);
    else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s.id]);
  }
  const queues = [...groups].map(([name, ids]) => `${name}:${ids.sort((a, b) => a - b).join(",")}`);
  return { plain: plain.sort((a, b) => a - b), queues: queues.sort() };
}

// ---------------------------------------------------------------------------------------------
// Generators

/** Tokens a subscription may use; `>` anywhere and the odd empty token make some invalid. */
const patternToken = fc.constantFrom("a", "b", "c", "*", "*", ">", "a*", "");
/** Tokens a publisher may use: literal `*` / `>` tokens and empty tokens included. */
const literalToken = fc.constantFrom("a", "b", "c", "a", "b", "*", ">", "a*", "");

const pattern = fc.array(patternToken, { minLength: 1, maxLength: 4 }).map((t) => t.join("."));
const literal = fc.array(literalToken, { minLength: 1, maxLength: 4 }).map((t) => t.join("."));
const queue = fc.constantFrom(undefined, undefined, "q1", "q2");

type Op =
  | { kind: "insert"; pattern: string; queue: string | undefined }
  | { kind: "reinsert"; pick: number }
  | { kind: "remove"; pick: number }
  | { kind: "removeBatch"; picks: number[] }
  | { kind: "match"; literal: string }
  | { kind: "hasInterest"; literal: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("insert" as const), pattern, queue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reinsert" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeBatch" as const), picks: fc.array(fc.nat(), { maxLength: 4 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("match" as const), literal }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("hasInterest" as const), literal }) },
);

function sublists(): [string, Sublist<Sub>][] {
  return [
    ["default cache", new Sublist<Sub>()],
    ["no cache", new Sublist<Sub>({ cacheSize: 0 })],
    ["cacheSize 4", new Sublist<Sub>({ cacheSize: 4 })],
    ["random sweep", new Sublist<Sub>({ resultCache: new SweepingMapCache(6, CacheEviction.random, 2) })],
  ];
}

// ---------------------------------------------------------------------------------------------

describe("subject functions against the naive model", () => {
  const anyToken = fc.constantFrom("a", "b", "*", ">", "a*", "", " ", "b\t", "\f");
  const anySubject = fc.array(anyToken, { minLength: 1, maxLength: 5 }).map((t) => t.join("."));

  test("subjectMatches agrees with the naive token comparison", () => {
    fc.assert(
      fc.property(literal, pattern, (l, p) => {
        assert.equal(subjectMatches(l, p), naiveMatch(l, p));
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  test("isValidSubject agrees with the naive check", () => {
    fc.assert(
      fc.property(anySubject, (s) => {
        assert.equal(isValidSubject(s), naiveValid(s));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

describe("SweepingMapCache against a Map", () => {
  type CacheOp =
    | { kind: "set" | "replace"; key: number; value: number }
    | { kind: "get" | "delete"; key: number }
    | { kind: "clear" };
  const key = fc.nat({ max: 12 });
  const cacheOp: fc.Arbitrary<CacheOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom("set" as const, "replace" as const), key, value: fc.nat() }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom("get" as const, "delete" as const), key }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
  );

  test("never returns a stale or foreign value, and stays bounded", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(CacheEviction)), fc.array(cacheOp, { maxLength: 120, size: "max" }), (eviction, ops) => {
        const cache = new SweepingMapCache<number>(6, eviction, 2);
        // What each key was last set to; the cache may have dropped any of them.
        const model = new Map<string, number>();
        for (const o of ops) {
          const k = o.kind === "clear" ? "" : `k${o.key}`;
          switch (o.kind) {
            case "set":
              cache.set(k, o.value);
              model.set(k, o.value);
              break;
            case "replace":
              if (cache.get(k) !== undefined) model.set(k, o.value);
              cache.replace(k, o.value);
              break;
            case "get": {
              const v = cache.get(k);
              if (v !== undefined) assert.equal(v, model.get(k));
              break;
            }
            case "delete":
              cache.delete(k);
              model.delete(k);
              assert.equal(cache.get(k), undefined);
              break;
            case "clear":
              cache.clear();
              model.clear();
              break;
          }
          assert.ok(cache.size <= 6);
          // keys() and values() walk the same order; reading them marks nothing as used.
          const keys = [...cache.keys()];
          const values = [...cache.values()];
          assert.equal(keys.length, cache.size);
          assert.deepEqual(values, keys.map((ck) => model.get(ck)), eviction);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe("Sublist against the naive model", () => {
  test("match on a fixed set of subscriptions", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(pattern, queue), { maxLength: 25, size: "max" }), fc.array(literal, { minLength: 1, maxLength: 25, size: "max" }), (defs, literals) => {
        const live: Sub[] = [];
        const lists = sublists();
        for (const [p, q] of defs) {
          const s = new Sub(p, q);
          const valid = naiveValid(p);
          if (valid) live.push(s);
          for (const [, sl] of lists) assert.equal(sl.insert(s), valid, `insert ${JSON.stringify(p)}`);
        }
        // Twice each, so the second round is served from the caches.
        for (const l of [...literals, ...literals]) {
          const want = expectedShape(live, l);
          for (const [name, sl] of lists) {
            assert.deepEqual(shapeOf(sl.match(l)), want, `${name}: match ${JSON.stringify(l)}`);
          }
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test("random sequences of insert / remove / removeBatch / match (model-based)", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80, size: "max" }), (ops) => {
        const lists = sublists();
        const everInserted: Sub[] = [];
        const live = new Set<Sub>();
        const held: { name: string; result: MatchResult<Sub>; shape: Shape }[] = [];
        const pick = (n: number): Sub | undefined =>
          everInserted.length === 0 ? undefined : everInserted[n % everInserted.length];

        for (const o of ops) {
          switch (o.kind) {
            case "insert": {
              const s = new Sub(o.pattern, o.queue);
              const valid = naiveValid(o.pattern);
              if (valid) {
                everInserted.push(s);
                live.add(s);
              }
              for (const [name, sl] of lists) assert.equal(sl.insert(s), valid, `${name}: insert`);
              break;
            }
            case "reinsert": {
              const s = pick(o.pick);
              if (s === undefined) break;
              live.add(s);
              for (const [name, sl] of lists) assert.equal(sl.insert(s), true, `${name}: reinsert`);
              break;
            }
            case "remove": {
              const s = pick(o.pick);
              if (s === undefined) break;
              const present = live.delete(s);
              for (const [name, sl] of lists) assert.equal(sl.remove(s), present, `${name}: remove`);
              break;
            }
            case "removeBatch": {
              const batch = o.picks.map(pick).filter((s): s is Sub => s !== undefined);
              for (const s of batch) live.delete(s);
              for (const [, sl] of lists) sl.removeBatch(batch);
              break;
            }
            case "match": {
              const want = expectedShape(live, o.literal);
              for (const [name, sl] of lists) {
                const result = sl.match(o.literal);
                const got = shapeOf(result);
                assert.deepEqual(got, want, `${name}: match ${JSON.stringify(o.literal)}`);
                held.push({ name, result, shape: got });
              }
              break;
            }
            case "hasInterest": {
              const want = expectedShape(live, o.literal);
              const interested = want.plain.length + want.queues.length > 0;
              for (const [name, sl] of lists) assert.equal(sl.hasInterest(o.literal), interested, `${name}: hasInterest`);
              break;
            }
          }
          for (const [name, sl] of lists) assert.equal(sl.count, live.size, `${name}: count`);
        }

        for (const [name, sl] of lists) {
          assert.deepEqual(new Set(sl.entries()), live, `${name}: entries`);
          if (live.size === 0) assert.equal(sl.numLevels(), 0, `${name}: pruned to nothing`);
          const st = sl.stats();
          assert.ok(st.cacheHitRate >= 0 && st.cacheHitRate <= 1);
        }
        // Copy-on-write: every result handed out earlier still looks as it did then.
        for (const h of held) assert.deepEqual(shapeOf(h.result), h.shape, `${h.name}: held result changed`);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});
