/**
 * The token trie under `Sublist`: levels of literal nodes plus dedicated `*` and `>` slots, and
 * the walks over it. Shapes and walks follow nats-server `server/sublist.go` (`level`, `node`,
 * matchLevel, matchLevelForAny, addNodeToResults); the code is our own.
 */

import { SubjectChar } from "./subject.ts";
import type { SublistEntry } from "./sublist.ts";
import { findQueueSlot, newArray } from "./sublist-result.ts";

/** One trie node: the subscriptions whose subject ends here and the level below it. */
export class Node<S> {
  next: Level<S> | null = null;
  psubs: Set<S> | null = null;
  /** Queue name → members; a queue's set is deleted once empty. */
  qsubs: Map<string, Set<S>> | null = null;
}

/** One token position: literal tokens by value, `*` and `>` in their own slots. */
export class Level<S> {
  readonly nodes = new Map<string, Node<S>>();
  pwc: Node<S> | null = null;
  fwc: Node<S> | null = null;
}

const STAR = SubjectChar.star;
const GT = SubjectChar.gt;

/** Whether a node holds no subscription and leads nowhere, so it can be pruned. */
export function isEmptyNode<S>(node: Node<S>): boolean {
  return (
    (node.psubs === null || node.psubs.size === 0) &&
    (node.qsubs === null || node.qsubs.size === 0) &&
    (node.next === null || levelIsEmpty(node.next))
  );
}

function levelIsEmpty<S>(level: Level<S>): boolean {
  return level.nodes.size === 0 && level.pwc === null && level.fwc === null;
}

function nodeHasSubs<S>(node: Node<S>): boolean {
  return (node.psubs !== null && node.psubs.size > 0) || (node.qsubs !== null && node.qsubs.size > 0);
}

/** The child of `level` for token `t`, or null; `*` and `>` live in their slots (sublist.go Insert). */
export function childOf<S>(level: Level<S>, t: string): Node<S> | null {
  if (t.length === 1) {
    const c = t.charCodeAt(0);
    if (c === STAR) return level.pwc;
    if (c === GT) return level.fwc;
  }
  return level.nodes.get(t) ?? null;
}

/** Create the child of `level` for token `t`. */
export function addChild<S>(level: Level<S>, t: string): Node<S> {
  const node = new Node<S>();
  if (t.length === 1) {
    const c = t.charCodeAt(0);
    if (c === STAR) return (level.pwc = node);
    if (c === GT) return (level.fwc = node);
  }
  level.nodes.set(t, node);
  return node;
}

/** Unlink an emptied child from its level. */
export function pruneChild<S>(level: Level<S>, node: Node<S>, t: string): void {
  if (level.fwc === node) level.fwc = null;
  else if (level.pwc === node) level.pwc = null;
  else level.nodes.delete(t);
}

/** Append a node's subscriptions to a result being built, merging queue groups by name. */
function addNodeToResults<S extends SublistEntry>(node: Node<S>, psubs: S[], qsubs: S[][]): void {
  const plain = node.psubs;
  if (plain !== null) for (const sub of plain) psubs.push(sub);
  const queues = node.qsubs;
  if (queues === null) return;
  // Queue sets are never empty, so the first member names the group.
  for (const members of queues.values()) {
    let slot: S[] | undefined;
    for (const sub of members) {
      if (slot === undefined) {
        const i = findQueueSlot(qsubs, sub.queue!);
        if (i >= 0) slot = qsubs[i]!;
        else qsubs.push((slot = newArray<S>()));
      }
      slot.push(sub);
    }
  }
}

/**
 * Collect the subscriptions matching `toks[start..end)` below `level`. As sublist.go
 * matchLevel: at each position `>` takes everything, `*` recurses with the remaining tokens,
 * and the literal node leads on; at the end the last literal node and the last `*` match.
 */
export function matchLevel<S extends SublistEntry>(
  level: Level<S> | null,
  toks: readonly string[],
  start: number,
  end: number,
  psubs: S[],
  qsubs: S[][],
): void {
  let pwc: Node<S> | null = null;
  let node: Node<S> | null = null;
  for (let i = start; i < end; i++) {
    if (level === null) return;
    if (level.fwc !== null) addNodeToResults(level.fwc, psubs, qsubs);
    pwc = level.pwc;
    if (pwc !== null) matchLevel(pwc.next, toks, i + 1, end, psubs, qsubs);
    // A published `*` / `>` token is looked up like any other and finds no literal node.
    node = level.nodes.size === 0 ? null : (level.nodes.get(toks[i]!) ?? null);
    level = node === null ? null : node.next;
  }
  if (node !== null) addNodeToResults(node, psubs, qsubs);
  if (pwc !== null) addNodeToResults(pwc, psubs, qsubs);
}

/** matchLevel that stops at the first subscription found (sublist.go matchLevelForAny). */
export function matchLevelForAny<S>(level: Level<S> | null, toks: readonly string[], start: number, end: number): boolean {
  let pwc: Node<S> | null = null;
  let node: Node<S> | null = null;
  for (let i = start; i < end; i++) {
    if (level === null) return false;
    if (level.fwc !== null && nodeHasSubs(level.fwc)) return true;
    pwc = level.pwc;
    if (pwc !== null && matchLevelForAny(pwc.next, toks, i + 1, end)) return true;
    node = level.nodes.size === 0 ? null : (level.nodes.get(toks[i]!) ?? null);
    level = node === null ? null : node.next;
  }
  return (node !== null && nodeHasSubs(node)) || (pwc !== null && nodeHasSubs(pwc));
}

/** Every subscription of `node`; queues its next level on `pending` for the caller to walk. */
export function* nodeEntries<S>(node: Node<S>, pending: Level<S>[]): Generator<S> {
  if (node.next !== null) pending.push(node.next);
  if (node.psubs !== null) yield* node.psubs;
  if (node.qsubs !== null) for (const members of node.qsubs.values()) yield* members;
}

/** Depth of the deepest path below `level` (sublist.go visitLevel); 0 for an empty level. */
export function levelDepth<S>(level: Level<S> | null): number {
  if (level === null || levelIsEmpty(level)) return 0;
  let deepest = 0;
  for (const node of level.nodes.values()) deepest = Math.max(deepest, levelDepth(node.next));
  if (level.pwc !== null) deepest = Math.max(deepest, levelDepth(level.pwc.next));
  if (level.fwc !== null) deepest = Math.max(deepest, levelDepth(level.fwc.next));
  return deepest + 1;
}
