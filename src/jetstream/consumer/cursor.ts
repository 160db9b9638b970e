/**
 * Where a consumer is in its stream: the filter, the next message to deliver (redeliveries
 * first, then the last-per-subject list, then the stream, as consumer.go getNextMsg), how a
 * message taken but not sent is put back, and `num_pending`, the count of matching messages not
 * yet delivered, kept current as messages come and go.
 */
import { subjectMatches } from "../../subjects/subject.ts";
import { filtersOf } from "./config.ts";
import type { ConsumerCore } from "./core.ts";
import { startingPosition } from "./start.ts";
import type { ConsumerState, StoredMessage } from "../store/stream-store.ts";

/** A message to deliver and how many times it will have gone out with this delivery. */
export type NextDelivery = { msg: StoredMessage; deliveryCount: number };

/** The next delivery, or why there is none: max_ack_pending reached, or nothing left (undefined). */
export type NextMessage = NextDelivery | "max-ack-pending" | undefined;

export class StreamCursor {
  readonly #core: Readonly<ConsumerCore>;
  #filters: string[];
  /** Last-per-subject start: the sequences still to deliver first, then where to resume. */
  #skipList: { seqs: number[]; resume: number } | undefined;
  /** Messages matching the filter from `streamSeq` on. */
  #numPending = 0;

  /** Starts where the deliver policy says, or where a restored durable left off. */
  constructor(core: Readonly<ConsumerCore>, restored: ConsumerState | undefined) {
    this.#core = core;
    const config = core.config;
    this.#filters = filtersOf(config);
    if (restored !== undefined) core.state.restore(restored);
    else {
      const start = startingPosition(config, this.#filters, core.stream.store, core.stream.config["max_msgs_per_subject"]);
      core.state.startAt(start.seq);
      this.#skipList = start.skipList;
    }
    this.#numPending = this.#countPending();
  }

  get filters(): string[] {
    return this.#filters;
  }

  get numPending(): number {
    return this.#numPending;
  }

  /** Still walking the last-per-subject list (sequences below `streamSeq` are yet to come). */
  get inSkipList(): boolean {
    return this.#skipList !== undefined;
  }

  /** The config changed: the filter may have, so count again. */
  reconfigure(): void {
    this.#filters = filtersOf(this.#core.config);
    this.recount();
  }

  /** Counts `num_pending` exactly (info, after an update). */
  recount(): void {
    this.#numPending = this.#countPending();
  }

  matches(subject: string): boolean {
    const filters = this.#filters;
    if (filters.length === 0) return true;
    for (const f of filters) if (subjectMatches(subject, f)) return true;
    return false;
  }

  /** The stream stored `seq`. */
  stored(seq: number, subject: string): void {
    // Under last_per_subject a second message on a subject not yet delivered does not add one;
    // counting it anyway keeps this O(1), and info() recounts exactly.
    if (seq >= this.#core.state.streamSeq && this.matches(subject)) this.#numPending++;
  }

  /** The stream dropped `seq`. */
  removed(seq: number, subject: string): void {
    if (seq >= this.#core.state.streamSeq && this.matches(subject)) this.#numPending = Math.max(0, this.#numPending - 1);
  }

  /** A message goes out for the first time: one fewer is pending. */
  deliveredNew(): void {
    this.#numPending = Math.max(0, this.#numPending - 1);
  }

  /** consumer.go getNextMsg: redeliveries first, then the skip list, then the stream. */
  next(): NextMessage {
    const core = this.#core;
    const s = core.state;
    const config = core.config;
    const store = core.stream.store;
    const maxDeliver = config.max_deliver ?? -1;
    for (let seq = s.nextRedelivery(); seq !== undefined; seq = s.nextRedelivery()) {
      const deliveryCount = s.deliveryCount(seq) + 1;
      const p = s.pending.get(seq);
      if (maxDeliver > 0 && deliveryCount > maxDeliver) {
        if (p !== undefined) {
          s.pending.delete(seq);
          s.moveAckFloor(p.consumerSeq, seq);
          core.advisories.maxDeliveries(seq, deliveryCount - 1);
        }
        continue;
      }
      const msg = store.load(seq);
      if (msg === undefined) {
        // Gone from the stream while waiting for redelivery: nothing is owed any more.
        s.forget(seq);
        if (p !== undefined) s.moveAckFloor(p.consumerSeq, seq);
        continue;
      }
      s.redelivered.set(seq, deliveryCount);
      return { msg, deliveryCount };
    }
    const maxAckPending = config.max_ack_pending ?? 0;
    if (maxAckPending > 0 && s.pending.size >= maxAckPending) return "max-ack-pending";
    // last_per_subject: the newest message of each subject first (skipping any gone since).
    for (let skip = this.#skipList; skip !== undefined; skip = this.#skipList) {
      const seq = skip.seqs.shift()!;
      if (skip.seqs.length === 0) {
        this.#skipList = undefined;
        s.streamSeq = skip.resume + 1;
      } else {
        s.streamSeq = seq + 1;
      }
      const msg = store.load(seq);
      if (msg !== undefined) return { msg, deliveryCount: 1 };
    }
    const msg = this.#loadNext(s.streamSeq);
    if (msg === undefined) {
      const last = store.state().lastSeq;
      if (last + 1 > s.streamSeq) s.streamSeq = last + 1;
      return undefined;
    }
    s.streamSeq = msg.seq + 1;
    return { msg, deliveryCount: 1 };
  }

  /**
   * Starts over at stream sequence `seq` with nothing delivered or pending (consumer.go
   * resetLocalStartingSeq): consumer sequences start from 1 again.
   */
  resetTo(seq: number): void {
    const s = this.#core.state;
    s.pending.clear();
    s.redelivered.clear();
    s.clearRedeliveries();
    s.startAt(seq);
    this.#skipList = undefined;
    this.recount();
  }

  /** A message taken for delivery had nowhere to go: undo the take (loopAndGatherMsgs). */
  putBack(seq: number, deliveryCount: number): void {
    const s = this.#core.state;
    if (deliveryCount === 1 && seq === s.streamSeq - 1 && this.#skipList === undefined) {
      s.streamSeq--;
      this.#numPending++;
      return;
    }
    const count = s.deliveryCount(seq) - 1;
    if (count <= 1) s.redelivered.delete(seq);
    else s.redelivered.set(seq, count);
    if (s.pending.has(seq) || deliveryCount === 1) s.queueRedelivery(seq);
  }

  #loadNext(fromSeq: number): StoredMessage | undefined {
    const store = this.#core.stream.store;
    if (this.#filters.length <= 1) return store.loadNext(this.#filters[0] ?? ">", fromSeq);
    let best: StoredMessage | undefined;
    for (const filter of this.#filters) {
      const msg = store.loadNext(filter, fromSeq);
      if (msg !== undefined && (best === undefined || msg.seq < best.seq)) best = msg;
    }
    return best;
  }

  #countPending(): number {
    const store = this.#core.stream.store;
    const lastPerSubject = this.#core.config.deliver_policy === "last_per_subject";
    // The skip list's own sequences lie below the resume point and are still to come.
    const skip = this.#skipList;
    const from = skip === undefined ? this.#core.state.streamSeq : skip.resume + 1;
    let n = skip?.seqs.length ?? 0;
    for (const f of this.#filters.length === 0 ? [">"] : this.#filters) n += store.numPending(f, from, lastPerSubject);
    return n;
  }
}
