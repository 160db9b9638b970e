/**
 * Match results: how they are built and patched.
 *
 * Why a class and `slice()` rather than object and array literals: V8 tracks literals with
 * allocation sites and "pretenures" a site (allocates it straight into the old generation, for
 * good) once most of its objects are seen to survive a young-generation GC. That is exactly what
 * happens while the result cache fills up (every result is still cached), after which each
 * cache miss leaves old-space garbage behind and pays for it in major GCs: the benchmark
 * measured a miss going from ~0.9 µs to ~1.8 µs. Class instances and arrays made by builtins
 * carry no allocation site, so results always start young and die cheaply once evicted.
 */

import type { MatchResult, SublistEntry } from "./sublist.ts";

/** A match result; see {@link MatchResult}. Never mutated once handed out. */
export class SublistResult<S> implements MatchResult<S> {
  constructor(
    readonly psubs: readonly S[],
    readonly qsubs: readonly (readonly S[])[],
  ) {}
}

/** Index of the queue group `queue` in `qsubs`, or -1 (sublist.go findQSlot: a linear scan). */
export function findQueueSlot<S extends SublistEntry>(qsubs: readonly (readonly S[])[], queue: string): number {
  for (let i = 0; i < qsubs.length; i++) {
    if (qsubs[i]![0]!.queue === queue) return i;
  }
  return -1;
}

/**
 * Never handed out, only copied, to make arrays without an allocation site. Emptied from a
 * literal holding an object so that its copies start with V8's PACKED_ELEMENTS kind and the
 * first push of a subscription does not transition them.
 */
const ARRAY_TEMPLATE: never[] = [{}] as never[];
ARRAY_TEMPLATE.length = 0;

/** A new, empty, growable array that V8 will not pretenure (see the file comment). */
export function newArray<T>(): T[] {
  return ARRAY_TEMPLATE.slice();
}

const NO_SUBS: readonly never[] = Object.freeze([]);

/** The shared result for every subject nobody listens to (as nats-server `emptyResult`). */
export const EMPTY_RESULT: MatchResult<never> = Object.freeze(new SublistResult<never>(NO_SUBS, NO_SUBS));

/**
 * A copy of `result` with `sub` added, sharing every array that does not change: results are
 * never mutated once built (sublist.go addSubToResult copies for the same reason).
 */
export function resultWithSub<S extends SublistEntry>(result: MatchResult<S>, sub: S): MatchResult<S> {
  const queue = sub.queue;
  if (queue === undefined) {
    const psubs = result.psubs.slice();
    psubs.push(sub);
    return new SublistResult(psubs, result.qsubs);
  }
  const qsubs = result.qsubs.slice();
  const i = findQueueSlot(qsubs, queue);
  const members = i < 0 ? newArray<S>() : qsubs[i]!.slice();
  members.push(sub);
  if (i < 0) qsubs.push(members);
  else qsubs[i] = members;
  return new SublistResult(result.psubs, qsubs);
}
