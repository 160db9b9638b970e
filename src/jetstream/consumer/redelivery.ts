/**
 * The ack wait of a consumer's deliveries: how long each may go unacknowledged (`ack_wait`, or
 * `backoff` by delivery count), the one timer that checks, and what an expired delivery becomes
 * (consumer.go checkPending, hasMaxDeliveries): queued for redelivery in stream order, or, after
 * `max_deliver` deliveries, dropped from pending with an advisory.
 */
import { ConsumerDefaults } from "./config.ts";
import type { ConsumerCore } from "./core.ts";
import { timerDelay } from "./pull-requests.ts";

/** A small slack so a batch of deliveries expires together (consumer.go ackWaitDelay). */
const ACK_WAIT_SLACK_MS = 1;

export class RedeliveryTimer {
  readonly #core: Readonly<ConsumerCore>;
  #timer: NodeJS.Timeout | undefined;
  #due = 0;

  constructor(core: Readonly<ConsumerCore>) {
    this.#core = core;
  }

  /** How long the delivery numbered `deliveryIndex` (0 = the first) waits for its ack, in ms. */
  ackWaitMs(deliveryIndex: number): number {
    const config = this.#core.config;
    const backoff = config.backoff;
    if (backoff !== undefined && backoff.length > 0) return backoff[Math.min(Math.max(0, deliveryIndex), backoff.length - 1)]! / 1e6;
    return (config.ack_wait ?? ConsumerDefaults.ACK_WAIT_NS) / 1e6;
  }

  /** Arms the check for `delayMs` from now unless it already fires sooner (`force`: always re-arm). */
  arm(delayMs: number, force = false): void {
    if (this.#core.closed) return;
    const due = Date.now() + delayMs + ACK_WAIT_SLACK_MS;
    if (this.#timer !== undefined && !force && this.#due <= due) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#core.guard("ack timer", () => this.#check());
    }, timerDelay(due - Date.now()));
    this.#timer.unref();
  }

  /** Nothing is pending any more (also how the consumer stops it). */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** consumer.go checkPending: queue expired deliveries for redelivery, in stream order. */
  #check(): void {
    const core = this.#core;
    if (core.closed) return;
    const s = core.state;
    const firstSeq = core.stream.store.state().firstSeq;
    const now = Date.now();
    const backoff = core.config.backoff ?? [];
    let next = backoff.length > 0 ? backoff[backoff.length - 1]! / 1e6 : this.ackWaitMs(0);
    const expired: number[] = [];
    let changed = false;
    for (const [seq, p] of [...s.pending]) {
      if (seq < firstSeq || seq <= s.ackFloorStream) {
        s.forget(seq);
        if (seq > s.ackFloorStream) s.ackFloorStream = seq;
        if (p.consumerSeq > s.ackFloorConsumer) s.ackFloorConsumer = p.consumerSeq;
        changed = true;
        continue;
      }
      const index = s.deliveryCount(seq) - 1;
      const deadline = this.ackWaitMs(index);
      if (backoff.length > 0) next = Math.min(next, backoff[Math.min(index + 1, backoff.length - 1)]! / 1e6);
      const elapsed = now - p.timeMs;
      if (elapsed >= deadline) {
        if (!s.isQueued(seq) && !this.#reachedMaxDeliver(seq, p.consumerSeq)) expired.push(seq);
        changed = true;
      } else if (deadline - elapsed < next) {
        next = deadline - elapsed;
      }
    }
    if (expired.length > 0) {
      expired.sort((a, b) => a - b);
      for (const seq of expired) s.queueRedelivery(seq);
      core.kick();
    }
    if (s.pending.size > 0) {
      this.arm(Math.max(1, next), true);
    } else {
      this.clear();
      s.clearRedeliveries();
      s.ackFloorConsumer = s.consumerSeq - 1;
      s.ackFloorStream = s.streamSeq - 1;
    }
    if (changed) core.persist();
  }

  /** consumer.go hasMaxDeliveries: a message delivered max_deliver times leaves pending for good. */
  #reachedMaxDeliver(seq: number, consumerSeq: number): boolean {
    const core = this.#core;
    const maxDeliver = core.config.max_deliver ?? -1;
    if (maxDeliver <= 0) return false;
    const s = core.state;
    const count = s.deliveryCount(seq);
    if (count < maxDeliver) return false;
    const maxAckPending = core.config.max_ack_pending ?? 0;
    if (maxAckPending > 0 && s.pending.size >= maxAckPending) core.kick();
    s.pending.delete(seq);
    s.moveAckFloor(consumerSeq, seq);
    s.redelivered.set(seq, count);
    core.advisories.maxDeliveries(seq, count);
    return true;
  }
}
