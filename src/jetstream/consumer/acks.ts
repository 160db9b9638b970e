/**
 * A consumer's acks (consumer.go processAck, processAckMsg, processNak, processTerm,
 * sampleAck, needAck): it listens on the consumer's ack subjects and applies each body (ack,
 * nak with or without a delay, progress, terminate, `+NXT`) to the pending deliveries and the
 * ack floor, tells the stream when retention may drop a message, and answers acks that carry a
 * reply. A message leaving the stream settles its delivery the same way.
 */
import type { DirectMsg } from "../../direct/direct-message.ts";
import { ackWildcard, parseAckBody, parseAckSubject } from "./ack.ts";
import type { ConsumerCore } from "./core.ts";
import type { StreamCursor } from "./cursor.ts";
import type { RedeliveryTimer } from "./redelivery.ts";
import { nowNanos } from "../shared/rfc3339.ts";

/** What ack handling needs from the rest of its consumer. */
export interface AckHost {
  /** `+NXT`: the rest of the body is a pull request from the ack's reply subject. */
  nextRequest(reply: string, body: string): void;
  /** `+WPI` restarted a delivery's ack wait: it counts as delivery activity (info's `last_active`). */
  progressed(): void;
}

export class AckHandler {
  readonly #core: Readonly<ConsumerCore>;
  readonly #host: AckHost;
  readonly #cursor: StreamCursor;
  readonly #redelivery: RedeliveryTimer;
  #subscription: { unsubscribe(): void } | undefined;
  /** When something was last acknowledged (info's ack_floor `last_active`), 0n = never. */
  #lastAckNs = 0n;

  constructor(core: Readonly<ConsumerCore>, host: AckHost, cursor: StreamCursor, redelivery: RedeliveryTimer) {
    this.#core = core;
    this.#host = host;
    this.#cursor = cursor;
    this.#redelivery = redelivery;
  }

  get lastAckNs(): bigint {
    return this.#lastAckNs;
  }

  /**
   * Subscribes to the consumer's ack subjects. A consumer with `ack_policy: none` has none, so
   * an ack sent to it as a request hears no responders, as from nats-server 2.9.17 on
   * (consumer.go `setLeader`: the ack subscription only when `AckPolicy != AckNone`).
   */
  start(): void {
    const core = this.#core;
    if (core.config.ack_policy === "none") return;
    this.#subscription = core.bus.subscribe(ackWildcard(core.stream.name, core.name), { callback: (_err, msg) => core.guard("ack", () => this.#onAck(msg)) });
  }

  stop(): void {
    try {
      this.#subscription?.unsubscribe();
    } catch {
      // The bus may already be closed.
    }
  }

  /** consumer.go needAck: under interest/workqueue retention, is `seq` still owed to this consumer? */
  needsAck(seq: number, subject: string): boolean {
    if (!this.#cursor.matches(subject)) return false;
    const s = this.#core.state;
    let need = false;
    if (this.#core.config.ack_policy === "explicit") {
      if (seq > s.ackFloorStream) need = seq >= s.streamSeq || s.pending.has(seq);
    } else {
      need = seq > s.ackFloorStream;
    }
    // A message that reached max_deliver stays until it leaves the stream some other way.
    return need || s.redelivered.has(seq);
  }

  /** The store dropped `seq`: nothing is owed for it any more (consumer.go decStreamPending). */
  removedFromStream(seq: number): void {
    const core = this.#core;
    const s = core.state;
    // A message kept for reaching max_deliver is gone now: nothing more to remember about it.
    s.redelivered.delete(seq);
    const p = s.pending.get(seq);
    if (p === undefined) return;
    const maxAckPending = core.config.max_ack_pending ?? 0;
    const wasFull = maxAckPending > 0 && s.pending.size >= maxAckPending;
    s.forget(seq);
    s.moveAckFloor(p.consumerSeq, seq);
    core.persist();
    if (wasFull) core.kick();
  }

  /** consumer.go processAck. */
  #onAck(msg: DirectMsg): void {
    if (this.#core.closed) return;
    const info = parseAckSubject(msg.subject);
    if (info === undefined) return;
    const command = parseAckBody(msg.string());
    let replyWithAck = true;
    switch (command.kind) {
      case "ack":
        replyWithAck = this.#ack(info.streamSeq, info.consumerSeq, info.deliveryCount);
        break;
      case "next":
        this.#ack(info.streamSeq, info.consumerSeq, info.deliveryCount);
        this.#host.nextRequest(msg.reply, command.request);
        replyWithAck = false;
        break;
      case "nak":
        this.#nak(info.streamSeq, info.consumerSeq, info.deliveryCount, command.delayNs);
        break;
      case "progress":
        this.#progress(info.streamSeq);
        break;
      case "term":
        replyWithAck = this.#ack(info.streamSeq, info.consumerSeq, info.deliveryCount, false);
        this.#core.advisories.terminated(info.consumerSeq, info.streamSeq, info.deliveryCount, command.reason);
        break;
      case "unknown":
        break;
    }
    // Acks sent with a reply (nats.js ackAck) get an empty message back.
    if (replyWithAck && msg.reply !== "") this.#core.bus.publish(msg.reply);
  }

  /** consumer.go processAckMsg; false when the ack is for something never delivered. */
  #ack(streamSeq: number, consumerSeq: number, deliveryCount: number, sample = true): boolean {
    const core = this.#core;
    const s = core.state;
    if (streamSeq >= s.streamSeq && !this.#cursor.inSkipList) return false;
    const maxAckPending = core.config.max_ack_pending ?? 0;
    const wasFull = maxAckPending > 0 && s.pending.size >= maxAckPending;
    const acked: number[] = [];
    switch (core.config.ack_policy) {
      case "explicit": {
        const p = s.pending.get(streamSeq);
        // sample_freq: this share of acks is reported with how long it took (consumer.go sampleAck).
        if (p !== undefined && sample && this.#sampled()) core.advisories.ackSampled(consumerSeq, streamSeq, (Date.now() - p.timeMs) * 1e6, deliveryCount);
        s.forget(streamSeq);
        if (p !== undefined) s.moveAckFloor(p.consumerSeq, streamSeq);
        acked.push(streamSeq);
        break;
      }
      case "all": {
        if (consumerSeq <= s.ackFloorConsumer || streamSeq <= s.ackFloorStream) return true;
        s.ackFloorConsumer = consumerSeq;
        s.ackFloorStream = streamSeq;
        acked.push(streamSeq);
        for (const seq of [...s.pending.keys()]) {
          if (seq > streamSeq) continue;
          if (seq !== streamSeq) acked.push(seq);
          s.forget(seq);
        }
        if (s.pending.size === 0) s.moveAckFloor(consumerSeq, streamSeq);
        break;
      }
      case "none":
        return false;
    }
    this.#lastAckNs = nowNanos();
    if (s.pending.size === 0) this.#redelivery.clear();
    core.persist();
    if (core.stream.config.retention !== "limits") for (const seq of acked) core.stream.acked(seq);
    if (wasFull) core.kick();
    return true;
  }

  /** consumer.go processNak: redeliver now, or after the requested delay. */
  #nak(streamSeq: number, consumerSeq: number, deliveryCount: number, delayNs: number | undefined): void {
    const core = this.#core;
    const s = core.state;
    if (consumerSeq <= s.ackFloorConsumer || consumerSeq >= s.consumerSeq) return;
    const p = s.pending.get(streamSeq);
    if (p === undefined) return;
    core.advisories.naked(consumerSeq, streamSeq, deliveryCount);
    if (delayNs !== undefined) {
      s.unqueue(streamSeq);
      // Due when ack_wait (counted from this fake delivery time) runs out: `delay` from now.
      p.timeMs = Date.now() - this.#redelivery.ackWaitMs(0) + delayNs / 1e6;
      core.persist();
      this.#redelivery.arm(Math.max(0, delayNs / 1e6), true);
      return;
    }
    s.queueRedelivery(streamSeq);
    core.kick();
  }

  /** `+WPI`: the client is still working on it; ack_wait starts over. */
  #progress(streamSeq: number): void {
    const p = this.#core.state.pending.get(streamSeq);
    if (p === undefined) return;
    p.timeMs = Date.now();
    this.#host.progressed();
    this.#core.persist();
  }

  /** consumer.go shouldSample: `sample_freq` ("30%" or "30") percent of acks. */
  #sampled(): boolean {
    const freq = Number.parseInt((this.#core.config.sample_freq ?? "").replace(/%$/, ""), 10);
    if (!(freq > 0)) return false;
    return freq >= 100 || Math.random() * 100 <= freq;
  }
}
