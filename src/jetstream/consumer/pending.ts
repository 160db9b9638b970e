/**
 * A consumer's delivery bookkeeping, as nats-server's consumer keeps it: the next stream and
 * consumer sequences, the ack floors, the deliveries waiting for an ack (`pending`), how often
 * each redelivered message went out (`rdc`) and the queue of messages due for redelivery
 * (`rdq`). Pure state with no timers or I/O, so the rules are in one place and testable.
 */
import type { ConsumerState } from "../store/stream-store.ts";

/** One delivery waiting for its ack. */
export interface PendingDelivery {
  /** Consumer sequence of the first delivery (kept on redelivery, as nats-server). */
  readonly consumerSeq: number;
  /** When it was (re)delivered or last made progress, ms since the epoch. */
  timeMs: number;
}

export class DeliveryState {
  /** Next stream sequence to look at. */
  streamSeq = 1;
  /** Next consumer sequence to hand out. */
  consumerSeq = 1;
  /** Everything at or below is acknowledged. */
  ackFloorConsumer = 0;
  ackFloorStream = 0;
  readonly pending = new Map<number, PendingDelivery>();
  /** Stream seq → times delivered, for messages delivered more than once (or that hit max_deliver). */
  readonly redelivered = new Map<number, number>();
  readonly #redeliverQueue: number[] = [];
  readonly #queued = new Set<number>();

  /** Starts at stream sequence `seq` with nothing delivered. */
  startAt(seq: number): void {
    this.streamSeq = seq;
    this.consumerSeq = 1;
    this.ackFloorConsumer = 0;
    this.ackFloorStream = seq - 1;
  }

  /** Times `seq` has been delivered (1 when it was delivered once or not tracked). */
  deliveryCount(seq: number): number {
    return this.redelivered.get(seq) ?? 1;
  }

  get hasRedeliveries(): boolean {
    return this.#redeliverQueue.length > 0;
  }

  get redeliveryCount(): number {
    return this.#redeliverQueue.length;
  }

  isQueued(seq: number): boolean {
    return this.#queued.has(seq);
  }

  queueRedelivery(seq: number): void {
    if (this.#queued.has(seq)) return;
    this.#queued.add(seq);
    this.#redeliverQueue.push(seq);
  }

  nextRedelivery(): number | undefined {
    const seq = this.#redeliverQueue.shift();
    if (seq !== undefined) this.#queued.delete(seq);
    return seq;
  }

  unqueue(seq: number): void {
    if (!this.#queued.delete(seq)) return;
    const i = this.#redeliverQueue.indexOf(seq);
    if (i >= 0) this.#redeliverQueue.splice(i, 1);
  }

  clearRedeliveries(): void {
    this.#redeliverQueue.length = 0;
    this.#queued.clear();
  }

  /** Records a delivery needing an ack (consumer.go trackPending): a redelivery keeps its consumer seq. */
  track(streamSeq: number, consumerSeq: number, nowMs: number): void {
    const p = this.pending.get(streamSeq);
    if (p !== undefined) p.timeMs = nowMs;
    else this.pending.set(streamSeq, { consumerSeq, timeMs: nowMs });
  }

  /**
   * Moves the ack floor after the delivery (consumerSeq, streamSeq) left pending (consumer.go
   * moveAckFloor): with nothing pending, everything delivered is acknowledged; otherwise the floor
   * only moves when the lowest outstanding delivery was the one acknowledged.
   */
  moveAckFloor(consumerSeq: number, streamSeq: number): void {
    if (this.pending.size === 0) {
      this.ackFloorConsumer = this.consumerSeq - 1;
      this.ackFloorStream = this.streamSeq - 1;
      return;
    }
    if (consumerSeq !== this.ackFloorConsumer + 1) return;
    this.ackFloorConsumer = consumerSeq;
    this.ackFloorStream = streamSeq;
    // The floor stops just below the next outstanding delivery. Acks mostly come in order, so
    // look just above first; scan everything pending only when that finds nothing.
    let nextSeq = Number.MAX_SAFE_INTEGER;
    const near = Math.min(streamSeq + 16, this.streamSeq);
    for (let seq = streamSeq + 1; seq < near; seq++) {
      if (this.pending.has(seq)) {
        nextSeq = seq;
        break;
      }
    }
    if (nextSeq === Number.MAX_SAFE_INTEGER) for (const seq of this.pending.keys()) if (seq > streamSeq && seq < nextSeq) nextSeq = seq;
    const next = this.pending.get(nextSeq);
    if (next !== undefined && next.consumerSeq > 0) {
      this.ackFloorConsumer = next.consumerSeq - 1;
      this.ackFloorStream = nextSeq - 1;
    }
  }

  /** Forgets `seq` entirely (acked, terminated or gone from the stream). */
  forget(seq: number): void {
    this.pending.delete(seq);
    this.redelivered.delete(seq);
    this.unqueue(seq);
  }

  /** The persisted form (ConsumerState): delivered is the last one handed out. */
  snapshot(): ConsumerState {
    return {
      delivered: { consumerSeq: this.consumerSeq - 1, streamSeq: this.streamSeq - 1 },
      ackFloor: { consumerSeq: this.ackFloorConsumer, streamSeq: this.ackFloorStream },
      pending: [...this.pending].map(([streamSeq, p]) => ({ streamSeq, consumerSeq: p.consumerSeq, timeNs: BigInt(Math.round(p.timeMs)) * 1_000_000n })),
      redelivered: [...this.redelivered].map(([streamSeq, count]) => ({ streamSeq, count })),
    };
  }

  /** Restores a persisted state (a durable after a restart). */
  restore(state: ConsumerState): void {
    this.consumerSeq = state.delivered.consumerSeq + 1;
    this.streamSeq = state.delivered.streamSeq + 1;
    this.ackFloorConsumer = state.ackFloor.consumerSeq;
    this.ackFloorStream = state.ackFloor.streamSeq;
    this.pending.clear();
    for (const p of state.pending) this.pending.set(p.streamSeq, { consumerSeq: p.consumerSeq, timeMs: Number(p.timeNs / 1_000_000n) });
    this.redelivered.clear();
    for (const r of state.redelivered) this.redelivered.set(r.streamSeq, r.count);
    this.clearRedeliveries();
  }
}
