/**
 * One JetStream consumer: it walks its stream from a starting sequence and delivers to pull
 * requests or to a push deliver subject. This module is the consumer's delivery pass and its
 * API; the parts it wires together keep one job each: where it is in the stream
 * (cursor.ts), the ack wait and redelivery (redelivery.ts), acks
 * (acks.ts), holding messages back (pacing.ts), `inactive_threshold`
 * (inactivity.ts), saving its state (persistence.ts) and the pull and push
 * sides' hosts (hosts.ts); they share core.ts. The behaviour follows
 * nats-server's consumer.go (getNextMsg, loopAndGatherMsgs, processAck, checkPending, …); the
 * comments name the function a rule comes from.
 *
 * Delivery runs in a microtask after whatever woke it (a stored message, an ack, a pull
 * request), a bounded number of messages at a time, so a large backlog never blocks the event
 * loop and nothing here runs inside the publisher's call stack for long.
 */
import { ackSubject } from "./ack.ts";
import { AckHandler } from "./acks.ts";
import { configToJson, type ConsumerConfig } from "./config.ts";
import { ConsumerCore } from "./core.ts";
import { StreamCursor } from "./cursor.ts";
import { pullHostOf, pushHostOf } from "./hosts.ts";
import { InactivityTimer } from "./inactivity.ts";
import { DeliveryPacing } from "./pacing.ts";
import { PauseTimer } from "./pause.ts";
import { PinnedClient } from "./priority.ts";
import { StateSaver } from "./persistence.ts";
import { RedeliveryTimer } from "./redelivery.ts";
import { ConsumerStatus, headersOnly, withHeader, type StatusHeaders } from "./status.ts";
import type { BusApi, ConsumerHandle, StreamHandle } from "../shared/contracts.ts";
import { WaitingPulls } from "./pull-requests.ts";
import { PushTarget } from "./push-delivery.ts";
import { formatNanos, nowNanos, parseNanos } from "../shared/rfc3339.ts";
import { seqFromTime } from "./start.ts";
import type { ConsumerState, StoredMessage } from "../store/stream-store.ts";

/** What a consumer needs from its manager. */
export interface ConsumerHost {
  readonly bus: BusApi;
  /** The JetStream domain, when one is configured: the consumer's advisories carry it. */
  readonly domain?: string;
  /** The consumer found itself inactive past its threshold: the manager deletes it. */
  inactive(consumer: Consumer): void;
  /** An exception that must not reach a client or the host; logged. */
  caught(what: string, err: unknown): void;
}

/** Messages delivered per run before yielding to I/O (a backlog must not starve the event loop). */
const DELIVERY_BUDGET = 512;
/** headers_only deliveries leave the payload out. */
const EMPTY = new Uint8Array(0);

export class Consumer implements ConsumerHandle {
  readonly name: string;
  readonly stream: StreamHandle;
  readonly createdNs: bigint;
  readonly #host: ConsumerHost;
  /** State and config shared with the parts below; `config` and `closed` are written here only. */
  readonly #core: ConsumerCore;
  readonly #saver: StateSaver;
  readonly #cursor: StreamCursor;
  readonly #redelivery: RedeliveryTimer;
  readonly #acks: AckHandler;
  readonly #pacing: DeliveryPacing;
  readonly #inactivity: InactivityTimer;
  readonly #pulls: WaitingPulls | undefined;
  readonly #pause: PauseTimer;
  /** `pinned_client` consumers: who holds the pin (priority.ts). */
  readonly #pin: PinnedClient;
  /** Push consumers: the deliver subject's side (subscriber, heartbeats, flow control). */
  #push: PushTarget | undefined;
  /** When something was last delivered (info's `delivered.last_active`), 0n = never. */
  #lastDeliveredNs = 0n;
  #deliveryScheduled = false;
  #unsubscribeStored: (() => void) | undefined;

  constructor(host: ConsumerHost, stream: StreamHandle, name: string, config: ConsumerConfig, createdNs: bigint, restored?: ConsumerState) {
    this.#host = host;
    this.stream = stream;
    this.name = name;
    this.createdNs = createdNs;
    const core = new ConsumerCore(host, stream, name, config, { kick: () => this.#kick(), persist: () => this.#saver.schedule() });
    this.#core = core;
    this.#saver = new StateSaver(core);
    this.#cursor = new StreamCursor(core, restored);
    this.#pause = new PauseTimer(core);
    this.#pin = new PinnedClient(core);
    if (config.deliver_subject === undefined) this.#pulls = new WaitingPulls(pullHostOf(core, this.#cursor, this.#pin), config.max_waiting ?? 0);
    this.#pacing = new DeliveryPacing(core);
    this.#redelivery = new RedeliveryTimer(core);
    this.#acks = new AckHandler(
      core,
      {
        nextRequest: (reply, body) => this.nextRequest(reply, body),
        progressed: () => {
          this.#lastDeliveredNs = nowNanos();
        },
      },
      this.#cursor,
      this.#redelivery,
    );
    this.#inactivity = new InactivityTimer(
      core,
      {
        pushBound: () => this.#push?.refresh() === true,
        pullsWaiting: (now) => {
          this.#pulls?.process(false, now);
          return (this.#pulls?.length ?? 0) > 0;
        },
        inactive: () => this.#host.inactive(this),
      },
      this.#redelivery,
    );
  }

  get config(): ConsumerConfig {
    return this.#core.config;
  }

  get direct(): boolean {
    return this.config.direct === true;
  }

  get filterSubjects(): readonly string[] {
    return this.#cursor.filters;
  }

  get isPush(): boolean {
    return this.#core.config.deliver_subject !== undefined;
  }

  /** Subscribes for acks (and flow control answers), starts timers, and delivers what is there. */
  start(): void {
    const config = this.#core.config;
    this.#acks.start();
    this.#unsubscribeStored = this.stream.onStored((seq, subject) => this.#onStored(seq, subject));
    // Restored deliveries may be overdue already: look at once, the check finds the next deadline.
    if (this.#core.state.pending.size > 0) this.#redelivery.arm(0);
    if (config.deliver_subject !== undefined) {
      this.#push = new PushTarget(pushHostOf(this.#core, this.#inactivity), this.stream.name, this.name, {
        deliverSubject: config.deliver_subject,
        flowControl: config.flow_control === true,
        heartbeatNs: config.idle_heartbeat ?? 0,
      });
      this.#push.start();
    }
    this.#inactivity.arm();
    this.#pause.arm();
    this.#saver.schedule();
    this.#kick();
  }

  // ---- ConsumerHandle --------------------------------------------------------------------------

  /** consumer.go needAck: under interest/workqueue retention, is `seq` still owed to this consumer? */
  needsAck(seq: number, subject: string): boolean {
    if (this.#core.closed) return false;
    return this.#acks.needsAck(seq, subject);
  }

  async stop(deleteState: boolean): Promise<void> {
    if (this.#core.closed) return;
    this.#core.closed = true;
    this.#push?.stop();
    this.#redelivery.clear();
    this.#inactivity.stop();
    this.#pacing.stop();
    this.#pause.stop();
    this.#pin.stop();
    this.#acks.stop();
    this.#unsubscribeStored?.();
    this.#pulls?.stop(deleteState);
    await this.#saver.close(deleteState);
  }

  // ---- API -------------------------------------------------------------------------------------

  /** CONSUMER.INFO's body (without `type`), nats-server's ConsumerInfo shape. */
  info(): Record<string, unknown> {
    const s = this.#core.state;
    const config = this.#core.config;
    this.#cursor.recount();
    const info: Record<string, unknown> = {
      stream_name: this.stream.name,
      name: this.name,
      created: formatNanos(this.createdNs),
      config: configToJson(config),
      delivered: { consumer_seq: s.consumerSeq - 1, stream_seq: s.streamSeq - 1, ...lastActive(this.#lastDeliveredNs) },
      ack_floor: { consumer_seq: s.ackFloorConsumer, stream_seq: s.ackFloorStream, ...lastActive(this.#acks.lastAckNs) },
      num_ack_pending: s.pending.size,
      // Redeliveries are disabled with max_deliver 1, so none are reported (consumer.go info).
      num_redelivered: config.max_deliver === 1 ? 0 : s.redelivered.size,
      num_waiting: this.#pulls?.length ?? 0,
      num_pending: this.#cursor.numPending,
    };
    if (this.#push?.refresh() === true) info["push_bound"] = true;
    const now = nowNanos();
    const pauseRemaining = this.#pause.remainingNs(now);
    if (pauseRemaining > 0) {
      info["paused"] = true;
      info["pause_remaining"] = pauseRemaining;
    }
    info["ts"] = formatNanos(now);
    const groups = this.#pin.info();
    if (groups.length > 0) info["priority_groups"] = groups;
    return info;
  }

  /** Applies an update the manager already checked (checkConsumerUpdate). */
  update(config: ConsumerConfig): void {
    const previousDeliver = this.#core.config.deliver_subject;
    const previousRate = this.#core.config.rate_limit_bps;
    const previousPause = this.#pause.untilNs;
    this.#core.config = config;
    // consumer.go updateConfig: "Check whether the pause has changed".
    if (this.#pause.untilNs !== previousPause) {
      this.#pause.arm();
      this.#pause.advise();
    }
    if (config.rate_limit_bps !== previousRate) this.#pacing.rateChanged();
    this.#cursor.reconfigure();
    if (config.deliver_subject !== previousDeliver && config.deliver_subject !== undefined) this.#push?.moveTo(config.deliver_subject);
    this.#inactivity.arm();
    this.#saver.schedule();
    this.#kick();
  }

  /** After a create that left the consumer paused, nats-server announces the pause. */
  announcePause(): void {
    if (this.#pause.paused) this.#core.guard("advisory", () => this.#pause.advise());
  }

  /** CONSUMER.UNPIN: the pin goes; the next request of the group takes a new one. */
  unpin(group: string): void {
    this.#pin.unassign();
    this.#core.guard("advisory", () => this.#core.advisories.unpinned(group, "admin"));
    this.#kick();
  }

  /**
   * CONSUMER.RESET (nats-server 2.14, consumer.go resetStartingSeqLocked): starts again from
   * stream sequence `seq`, or from just above the ack floor when `seq` is 0, with nothing
   * pending and consumer sequences from 1. Returns the sequence it starts from, or why not.
   */
  reset(seq: number): { seq: number } | { error: string } {
    const s = this.#core.state;
    const config = this.#core.config;
    if (seq === 0) {
      seq = s.ackFloorStream + 1;
    } else if (config.deliver_policy === "by_start_sequence") {
      if (seq < (config.opt_start_seq ?? 0)) return { error: "below start seq" };
    } else if (config.deliver_policy === "by_start_time") {
      if (seq < seqFromTime(this.stream.store, parseNanos(config.opt_start_time ?? "") ?? 0n)) return { error: "below start time" };
    } else if (config.deliver_policy !== "all") {
      return { error: "not allowed" };
    }
    seq = Math.max(1, seq);
    this.#pacing.takeHeld();
    this.#cursor.resetTo(seq);
    this.#redelivery.clear();
    this.#saver.schedule();
    this.#kick();
    return { seq };
  }

  /** Publishes the consumer action advisory (created, deleted) for whoever listens. */
  announce(action: "create" | "delete"): void {
    this.#core.guard("advisory", () => this.#core.advisories.action(action));
  }

  /** Push consumers: does the deliver subject have a subscriber now? */
  isPushBound(): boolean {
    return this.#push?.refresh() === true;
  }

  /** The store dropped `seq` (limits, purge, delete, another consumer's ack). */
  streamRemoved(seq: number, subject: string): void {
    if (this.#core.closed) return;
    this.#cursor.removed(seq, subject);
    this.#acks.removedFromStream(seq);
  }

  /** `$JS.API.CONSUMER.MSG.NEXT`: a pull request (consumer.go processNextMsgRequest). */
  /** A pull request; `levelTooHigh`: its `Nats-Required-Api-Level` asks more than this broker has. */
  nextRequest(reply: string, body: string, levelTooHigh = false): void {
    if (this.#core.closed || reply === "") return;
    if (this.#pulls === undefined) {
      this.#core.status(reply, ConsumerStatus.pushBased());
      return;
    }
    // After the push check, as consumer.go processNextMsgRequest.
    if (levelTooHigh) {
      this.#core.status(reply, ConsumerStatus.requiredApiLevel());
      return;
    }
    const now = Date.now();
    if (this.#pulls.receive(reply, body, now)) this.#inactivity.touch(now);
  }

  // ---- delivery --------------------------------------------------------------------------------

  #kick(): void {
    if (this.#deliveryScheduled || this.#core.closed) return;
    this.#deliveryScheduled = true;
    queueMicrotask(() => {
      this.#deliveryScheduled = false;
      this.#core.guard("delivery", () => this.#deliverAvailable());
    });
  }

  /** consumer.go loopAndGatherMsgs, one bounded pass. */
  #deliverAvailable(): void {
    // A message is held back (replay_policy original, rate_limit_bps): its timer resumes delivery.
    if (this.#core.closed || this.#pacing.holding) return;
    if (this.#pause.paused) {
      // loopAndGatherMsgs while paused: nothing goes out, waiting requests are looked after
      // (expiry, heartbeats; a no_wait one ends), and the unpause timer wakes delivery.
      this.#pulls?.process(true, Date.now());
      return;
    }
    let why: "eos" | "max-ack-pending" | "idle" = "idle";
    for (let budget = DELIVERY_BUDGET; ; budget--) {
      if (budget === 0) {
        setImmediate(() => this.#kick());
        return;
      }
      if (this.isPush) {
        if (!this.#push!.refresh() || this.#push!.stalled) break;
      } else if (this.#pulls!.length === 0) {
        break;
      }
      const next = this.#pacing.takeHeld() ?? this.#cursor.next();
      if (next === undefined || next === "max-ack-pending") {
        why = next === undefined ? "eos" : "max-ack-pending";
        break;
      }
      if (this.#pacing.holdBack(next)) return;
      if (!this.#deliver(next.msg, next.deliveryCount)) break;
    }
    this.#pulls?.process(why !== "max-ack-pending", Date.now());
  }

  /** Sends one message; false when it could not go out (it is put back). */
  #deliver(msg: StoredMessage, deliveryCount: number): boolean {
    const s = this.#core.state;
    const config = this.#core.config;
    if (deliveryCount === 1) this.#cursor.deliveredNew();
    // Every delivery, a redelivery too, has a new consumer sequence in its ack subject; pending
    // keeps the first one (consumer.go deliverMsg / trackPending).
    const reply = ackSubject(this.stream.name, this.name, deliveryCount, msg.seq, s.consumerSeq, msg.timeNs, this.#cursor.numPending);
    let headers = msg.headers;
    let data = msg.data;
    if (config.headers_only === true) {
      headers = headersOnly(msg.headers, msg.data.length).encode();
      data = EMPTY;
    }
    const size = Buffer.byteLength(msg.subject) + reply.length + (headers?.length ?? 0) + data.length;
    let target: string;
    /** Sent after the message when a request's batch is done with max_bytes to spare. */
    let batchCompleted: StatusHeaders | undefined;
    if (this.isPush) {
      target = config.deliver_subject!;
    } else {
      const now = Date.now();
      const wr = this.#pulls!.take(size, now);
      if (wr === undefined) {
        this.#cursor.putBack(msg.seq, deliveryCount);
        return false;
      }
      target = wr.reply;
      // The pinned client's messages say whose they are (loopAndGatherMsgs, Nats-Pin-Id).
      if (config.priority_policy === "pinned_client" && this.#pin.id !== "") headers = withHeader(headers, "Nats-Pin-Id", this.#pin.id);
      batchCompleted = this.#pulls!.served(wr, now);
    }
    const dseq = s.consumerSeq++;
    const now = Date.now();
    if (config.ack_policy === "none") {
      s.ackFloorConsumer = dseq;
      s.ackFloorStream = msg.seq;
    } else {
      s.track(msg.seq, dseq, now);
      this.#redelivery.arm(this.#redelivery.ackWaitMs(deliveryCount - 1));
    }
    this.#inactivity.touch(now);
    this.#lastDeliveredNs = nowNanos();
    let delivered = false;
    try {
      delivered = this.#host.bus.deliver(target, msg.subject, data, { reply, ...(headers !== undefined && { headers }) });
    } catch (err) {
      this.#core.caught("delivery", err);
    }
    if (batchCompleted !== undefined) this.#core.status(target, batchCompleted);
    if (!delivered && config.ack_policy !== "none") {
      // consumer.go didNotDeliver: nobody got it, so it goes out again as soon as someone asks.
      const count = s.deliveryCount(msg.seq) - 1;
      if (count <= 1) s.redelivered.delete(msg.seq);
      else s.redelivered.set(msg.seq, count);
      s.queueRedelivery(msg.seq);
      this.#push?.lost();
    }
    if (config.ack_policy === "none" && this.stream.config.retention !== "limits") this.stream.acked(msg.seq);
    this.#push?.delivered(size, now);
    this.#saver.schedule();
    return delivered || !this.isPush;
  }

  #onStored(seq: number, subject: string): void {
    if (this.#core.closed) return;
    this.#cursor.stored(seq, subject);
    this.#kick();
  }
}

/** `last_active` of info's `delivered` and `ack_floor` (Go SequenceInfo.Last, omitted when never). */
function lastActive(ns: bigint): { last_active?: string } {
  return ns === 0n ? {} : { last_active: formatNanos(ns) };
}
