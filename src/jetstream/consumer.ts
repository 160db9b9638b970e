/**
 * One JetStream consumer: it walks its stream from a starting sequence, delivers to pull
 * requests or to a push deliver subject, tracks what is waiting for an ack, redelivers after
 * `ack_wait` (or `backoff`), and persists its state when it is a durable. The behaviour follows
 * nats-server's consumer.go (getNextMsg, loopAndGatherMsgs, processAck, checkPending, …); the
 * comments name the function a rule comes from.
 *
 * Delivery runs in a microtask after whatever woke it (a stored message, an ack, a pull
 * request), a bounded number of messages at a time, so a large backlog never blocks the event
 * loop and nothing here runs inside the publisher's call stack for long.
 */
import type { DirectMsg } from "../direct/direct-message.ts";
import { subjectMatches } from "../subjects/subject.ts";
import { ackSubject, ackWildcard, parseAckBody, parseAckSubject } from "./ack.ts";
import { configToJson, filtersOf, type ConsumerConfig } from "./consumer-config.ts";
import { DeliveryState } from "./consumer-pending.ts";
import { ConsumerAdvisories } from "./consumer-advisories.ts";
import { ConsumerStatus, headersOnly, type StatusHeaders } from "./consumer-status.ts";
import type { BusApi, ConsumerHandle, StreamHandle } from "./contracts.ts";
import { WaitingPulls, timerDelay, type PullHost } from "./pull-requests.ts";
import { ByteRateLimiter, PushTarget, type PushHost } from "./push-delivery.ts";
import { startingPosition } from "./consumer-start.ts";
import { formatNanos, nowNanos } from "./rfc3339.ts";
import type { ConsumerState, ConsumerStore, StoredMessage } from "./store/stream-store.ts";

/** What a consumer needs from its manager. */
export interface ConsumerHost {
  readonly bus: BusApi;
  /** The consumer found itself inactive past its threshold: the manager deletes it. */
  inactive(consumer: Consumer): void;
  /** An exception that must not reach a client or the host; logged. */
  caught(what: string, err: unknown): void;
}

/** Messages delivered per run before yielding to I/O (a backlog must not starve the event loop). */
const DELIVERY_BUDGET = 512;
/** A small slack so a batch of deliveries expires together (consumer.go ackWaitDelay). */
const ACK_WAIT_SLACK_MS = 1;
const EMPTY = new Uint8Array(0);
/** rate_limit_bps burst when the stream has no max_msg_size: the default max payload, as nats-server. */
const DEFAULT_RATE_BURST = 1024 * 1024;
/** How often a durable's state is written at most. */
const PERSIST_INTERVAL_MS = 100;

type NextMessage = { msg: StoredMessage; deliveryCount: number } | "max-ack-pending" | undefined;

export class Consumer implements ConsumerHandle {
  readonly name: string;
  readonly stream: StreamHandle;
  readonly createdNs: bigint;
  #config: ConsumerConfig;
  #filters: string[];
  readonly #host: ConsumerHost;
  readonly #advisories: ConsumerAdvisories;
  readonly #state = new DeliveryState();
  readonly #store: ConsumerStore | undefined;
  /** Last-per-subject start: the sequences still to deliver first, then where to resume. */
  #skipList: { seqs: number[]; resume: number } | undefined;
  /** Messages matching the filter from `streamSeq` on, kept current as messages come and go. */
  #numPending = 0;

  readonly #pulls: WaitingPulls | undefined;
  /** Last pull request or delivery, for the inactivity threshold of pull consumers (ms). */
  #lastActivity = Date.now();
  /** Push consumers: the deliver subject's side (subscriber, heartbeats, flow control). */
  #push: PushTarget | undefined;
  /** When something was last delivered and last acknowledged (info's `last_active`), 0n = never. */
  #lastDeliveredNs = 0n;
  #lastAckNs = 0n;
  /** replay_policy original: the message held back until its original gap has passed. */
  #held: { msg: StoredMessage; deliveryCount: number } | undefined;
  #lastReplayedNs = 0n;
  /** The stream's last sequence when the consumer was created: replay timing applies up to it. */
  #replayUntil = 0;

  #deliveryScheduled = false;
  #persistTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #ackTimer: NodeJS.Timeout | undefined;
  #ackTimerDue = 0;
  #inactiveTimer: NodeJS.Timeout | undefined;
  #replayTimer: NodeJS.Timeout | undefined;
  /** rate_limit_bps: the limiter, the timer of a held message, and whether the held one has paid. */
  #rateLimiter: ByteRateLimiter | undefined;
  #rateTimer: NodeJS.Timeout | undefined;
  #ratePaid = false;
  readonly #subscriptions: Array<{ unsubscribe(): void }> = [];
  #unsubscribeStored: (() => void) | undefined;

  constructor(host: ConsumerHost, stream: StreamHandle, name: string, config: ConsumerConfig, createdNs: bigint, restored?: ConsumerState) {
    this.#host = host;
    this.stream = stream;
    this.name = name;
    this.#config = config;
    this.#filters = filtersOf(config);
    this.createdNs = createdNs;
    this.#advisories = new ConsumerAdvisories(host.bus, stream.name, name);
    // Consumers of a file stream outlive the process, ephemerals too (nats-server restores them,
    // and a KV watcher resumes at once after a restart); memory state needs no copy.
    const persistent = config.mem_storage !== true && stream.config["storage"] !== "memory";
    this.#store = persistent ? stream.consumerStore(name) : undefined;
    if (config.deliver_subject === undefined) this.#pulls = new WaitingPulls(this.#pullHost(), config.max_waiting ?? 0);
    if (restored !== undefined) this.#state.restore(restored);
    else {
      const start = startingPosition(config, this.#filters, stream.store, stream.config["max_msgs_per_subject"]);
      this.#state.startAt(start.seq);
      this.#skipList = start.skipList;
    }
    this.#numPending = this.#countPending();
    this.#replayUntil = stream.store.state().lastSeq;
    this.#rateLimiter = this.#newRateLimiter();
  }

  get config(): ConsumerConfig {
    return this.#config;
  }

  get filterSubjects(): readonly string[] {
    return this.#filters;
  }

  get isPush(): boolean {
    return this.#config.deliver_subject !== undefined;
  }

  /** Subscribes for acks (and flow control answers), starts timers, and delivers what is there. */
  start(): void {
    const bus = this.#host.bus;
    this.#subscriptions.push(bus.subscribe(ackWildcard(this.stream.name, this.name), { callback: (_err, msg) => this.#guard("ack", () => this.#onAck(msg)) }));
    this.#unsubscribeStored = this.stream.onStored((seq, subject) => this.#onStored(seq, subject));
    // Restored deliveries may be overdue already: look at once, the check finds the next deadline.
    if (this.#state.pending.size > 0) this.#armAckTimer(0);
    if (this.#config.deliver_subject !== undefined) {
      this.#push = new PushTarget(this.#pushHost(), this.stream.name, this.name, {
        deliverSubject: this.#config.deliver_subject,
        flowControl: this.#config.flow_control === true,
        heartbeatNs: this.#config.idle_heartbeat ?? 0,
      });
      this.#push.start();
    }
    this.#armInactivity();
    this.#persist();
    this.#kick();
  }

  // ---- ConsumerHandle --------------------------------------------------------------------------

  /** consumer.go needAck: under interest/workqueue retention, is `seq` still owed to this consumer? */
  needsAck(seq: number, subject: string): boolean {
    if (this.#closed) return false;
    if (this.#filters.length > 0 && !this.#matches(subject)) return false;
    const s = this.#state;
    let need = false;
    if (this.#config.ack_policy === "explicit") {
      if (seq > s.ackFloorStream) need = seq >= s.streamSeq || s.pending.has(seq);
    } else {
      need = seq > s.ackFloorStream;
    }
    // A message that reached max_deliver stays until it leaves the stream some other way.
    return need || s.redelivered.has(seq);
  }

  async stop(deleteState: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#push?.stop();
    for (const timer of [this.#ackTimer, this.#inactiveTimer, this.#replayTimer, this.#rateTimer, this.#persistTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    for (const sub of this.#subscriptions) {
      try {
        sub.unsubscribe();
      } catch {
        // The bus may already be closed.
      }
    }
    this.#unsubscribeStored?.();
    this.#pulls?.stop(deleteState);
    if (this.#store !== undefined) {
      if (deleteState) await this.#store.delete();
      else this.#guard("saving state", () => this.#store!.save(this.#state.snapshot()));
    }
  }

  // ---- API -------------------------------------------------------------------------------------

  /** CONSUMER.INFO's body (without `type`), nats-server's ConsumerInfo shape. */
  info(): Record<string, unknown> {
    const s = this.#state;
    this.#numPending = this.#countPending();
    const info: Record<string, unknown> = {
      stream_name: this.stream.name,
      name: this.name,
      created: formatNanos(this.createdNs),
      config: configToJson(this.#config),
      delivered: { consumer_seq: s.consumerSeq - 1, stream_seq: s.streamSeq - 1, ...lastActive(this.#lastDeliveredNs) },
      ack_floor: { consumer_seq: s.ackFloorConsumer, stream_seq: s.ackFloorStream, ...lastActive(this.#lastAckNs) },
      num_ack_pending: s.pending.size,
      // Redeliveries are disabled with max_deliver 1, so none are reported (consumer.go info).
      num_redelivered: this.#config.max_deliver === 1 ? 0 : s.redelivered.size,
      num_waiting: this.#pulls?.length ?? 0,
      num_pending: this.#numPending,
    };
    if (this.#push?.refresh() === true) info["push_bound"] = true;
    info["ts"] = formatNanos(nowNanos());
    return info;
  }

  /** Applies an update the manager already checked (checkConsumerUpdate). */
  update(config: ConsumerConfig): void {
    const previousDeliver = this.#config.deliver_subject;
    const previousRate = this.#config.rate_limit_bps;
    this.#config = config;
    if (config.rate_limit_bps !== previousRate) this.#rateLimiter = this.#newRateLimiter();
    this.#filters = filtersOf(config);
    this.#numPending = this.#countPending();
    if (config.deliver_subject !== previousDeliver && config.deliver_subject !== undefined) this.#push?.moveTo(config.deliver_subject);
    this.#armInactivity();
    this.#persist();
    this.#kick();
  }

  /** Publishes the consumer action advisory (created, deleted) for whoever listens. */
  announce(action: "create" | "delete"): void {
    this.#guard("advisory", () => this.#advisories.action(action));
  }

  /** Push consumers: does the deliver subject have a subscriber now? */
  isPushBound(): boolean {
    return this.#push?.refresh() === true;
  }

  /** The store dropped `seq` (limits, purge, delete, another consumer's ack). */
  streamRemoved(seq: number, subject: string): void {
    if (this.#closed) return;
    const s = this.#state;
    if (seq >= s.streamSeq && this.#matches(subject)) this.#numPending = Math.max(0, this.#numPending - 1);
    // A message kept for reaching max_deliver is gone now: nothing more to remember about it.
    s.redelivered.delete(seq);
    // A delivery waiting for its ack is owed no more (consumer.go decStreamPending).
    const p = s.pending.get(seq);
    if (p === undefined) return;
    const maxAckPending = this.#config.max_ack_pending ?? 0;
    const wasFull = maxAckPending > 0 && s.pending.size >= maxAckPending;
    s.forget(seq);
    s.moveAckFloor(p.consumerSeq, seq);
    this.#persist();
    if (wasFull) this.#kick();
  }

  /** `$JS.API.CONSUMER.MSG.NEXT`: a pull request (consumer.go processNextMsgRequest). */
  nextRequest(reply: string, body: string): void {
    if (this.#closed || reply === "") return;
    if (this.#pulls === undefined) {
      this.#status(reply, ConsumerStatus.pushBased());
      return;
    }
    const now = Date.now();
    if (this.#pulls.receive(reply, body, now)) this.#lastActivity = now;
  }

  // ---- delivery --------------------------------------------------------------------------------

  #kick(): void {
    if (this.#deliveryScheduled || this.#closed) return;
    this.#deliveryScheduled = true;
    queueMicrotask(() => {
      this.#deliveryScheduled = false;
      this.#guard("delivery", () => this.#deliverAvailable());
    });
  }

  /** consumer.go loopAndGatherMsgs, one bounded pass. */
  #deliverAvailable(): void {
    // A message is held back (replay_policy original, rate_limit_bps): its timer resumes delivery.
    if (this.#closed || this.#replayTimer !== undefined || this.#rateTimer !== undefined) return;
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
      const next = this.#held ?? this.#nextMessage();
      this.#held = undefined;
      if (next === undefined || next === "max-ack-pending") {
        why = next === undefined ? "eos" : "max-ack-pending";
        break;
      }
      if (this.#config.replay_policy === "original" && this.#delayForReplay(next)) return;
      if (this.#delayForRate(next)) return;
      if (!this.#deliver(next.msg, next.deliveryCount)) break;
    }
    this.#pulls?.process(why !== "max-ack-pending", Date.now());
  }

  /** consumer.go getNextMsg: redeliveries first, then the skip list, then the stream. */
  #nextMessage(): NextMessage {
    const s = this.#state;
    const maxDeliver = this.#config.max_deliver ?? -1;
    for (let seq = s.nextRedelivery(); seq !== undefined; seq = s.nextRedelivery()) {
      const deliveryCount = s.deliveryCount(seq) + 1;
      const p = s.pending.get(seq);
      if (maxDeliver > 0 && deliveryCount > maxDeliver) {
        if (p !== undefined) {
          s.pending.delete(seq);
          s.moveAckFloor(p.consumerSeq, seq);
          this.#advisories.maxDeliveries(seq, deliveryCount - 1);
        }
        continue;
      }
      const msg = this.stream.store.load(seq);
      if (msg === undefined) {
        // Gone from the stream while waiting for redelivery: nothing is owed any more.
        s.forget(seq);
        if (p !== undefined) s.moveAckFloor(p.consumerSeq, seq);
        continue;
      }
      s.redelivered.set(seq, deliveryCount);
      return { msg, deliveryCount };
    }
    const maxAckPending = this.#config.max_ack_pending ?? 0;
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
      const msg = this.stream.store.load(seq);
      if (msg !== undefined) return { msg, deliveryCount: 1 };
    }
    const msg = this.#loadNext(s.streamSeq);
    if (msg === undefined) {
      const last = this.stream.store.state().lastSeq;
      if (last + 1 > s.streamSeq) s.streamSeq = last + 1;
      return undefined;
    }
    s.streamSeq = msg.seq + 1;
    return { msg, deliveryCount: 1 };
  }

  #loadNext(fromSeq: number): StoredMessage | undefined {
    const store = this.stream.store;
    if (this.#filters.length <= 1) return store.loadNext(this.#filters[0] ?? ">", fromSeq);
    let best: StoredMessage | undefined;
    for (const filter of this.#filters) {
      const msg = store.loadNext(filter, fromSeq);
      if (msg !== undefined && (best === undefined || msg.seq < best.seq)) best = msg;
    }
    return best;
  }

  /** Sends one message; false when it could not go out (it is put back). */
  #deliver(msg: StoredMessage, deliveryCount: number): boolean {
    const s = this.#state;
    const config = this.#config;
    if (deliveryCount === 1) this.#numPending = Math.max(0, this.#numPending - 1);
    // Every delivery, a redelivery too, has a new consumer sequence in its ack subject; pending
    // keeps the first one (consumer.go deliverMsg / trackPending).
    const reply = ackSubject(this.stream.name, this.name, deliveryCount, msg.seq, s.consumerSeq, msg.timeNs, this.#numPending);
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
        this.#putBack(msg.seq, deliveryCount);
        return false;
      }
      target = wr.reply;
      batchCompleted = this.#pulls!.served(wr, now);
    }
    const dseq = s.consumerSeq++;
    const now = Date.now();
    if (config.ack_policy === "none") {
      s.ackFloorConsumer = dseq;
      s.ackFloorStream = msg.seq;
    } else {
      s.track(msg.seq, dseq, now);
      this.#armAckTimer(this.#ackWaitMs(deliveryCount - 1));
    }
    this.#lastActivity = now;
    this.#lastDeliveredNs = nowNanos();
    let delivered = false;
    try {
      delivered = this.#host.bus.deliver(target, msg.subject, data, { reply, ...(headers !== undefined && { headers }) });
    } catch (err) {
      this.#host.caught(`JetStream consumer '${this.stream.name} > ${this.name}' delivery`, err);
    }
    if (batchCompleted !== undefined) this.#status(target, batchCompleted);
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
    this.#persist();
    return delivered || !this.isPush;
  }

  /** A message taken for delivery had nowhere to go: undo the take (loopAndGatherMsgs). */
  #putBack(seq: number, deliveryCount: number): void {
    const s = this.#state;
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

  /**
   * replay_policy original: hold `next` back for the gap it had when it was stored, until the
   * consumer has caught up with what the stream held when it was created (loopAndGatherMsgs).
   */
  #delayForReplay(next: { msg: StoredMessage; deliveryCount: number }): boolean {
    const last = this.#lastReplayedNs;
    const delayMs = last === 0n || next.msg.seq > this.#replayUntil ? 0 : Number((next.msg.timeNs - last) / 1_000_000n);
    if (delayMs < 1) {
      this.#lastReplayedNs = next.msg.timeNs;
      return false;
    }
    this.#held = next;
    this.#replayTimer = setTimeout(() => {
      this.#replayTimer = undefined;
      this.#lastReplayedNs = next.msg.timeNs;
      this.#kick();
    }, timerDelay(delayMs));
    this.#replayTimer.unref();
    return true;
  }

  /** consumer.go shouldSample: `sample_freq` ("30%" or "30") percent of acks. */
  #sampled(): boolean {
    const freq = Number.parseInt((this.#config.sample_freq ?? "").replace(/%$/, ""), 10);
    if (!(freq > 0)) return false;
    return freq >= 100 || Math.random() * 100 <= freq;
  }

  /** rate_limit_bps (loopAndGatherMsgs): hold `next` back until the limiter allows its bytes. */
  #delayForRate(next: { msg: StoredMessage; deliveryCount: number }): boolean {
    const limiter = this.#rateLimiter;
    if (limiter === undefined) return false;
    if (this.#ratePaid) {
      this.#ratePaid = false;
      return false;
    }
    const msg = next.msg;
    const waitMs = limiter.reserve(Buffer.byteLength(msg.subject) + (msg.headers?.length ?? 0) + msg.data.length, Date.now());
    if (waitMs < 1) return false;
    this.#held = next;
    this.#rateTimer = setTimeout(() => {
      this.#rateTimer = undefined;
      this.#ratePaid = true;
      this.#kick();
    }, timerDelay(waitMs));
    this.#rateTimer.unref();
    return true;
  }

  // ---- acks ------------------------------------------------------------------------------------

  /** consumer.go processAck. */
  #onAck(msg: DirectMsg): void {
    if (this.#closed) return;
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
        this.nextRequest(msg.reply, command.request);
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
        this.#advisories.terminated(info.consumerSeq, info.streamSeq, info.deliveryCount, command.reason);
        break;
      case "unknown":
        break;
    }
    // Acks sent with a reply (nats.js ackAck) get an empty message back.
    if (replyWithAck && msg.reply !== "") this.#host.bus.publish(msg.reply);
  }

  /** consumer.go processAckMsg; false when the ack is for something never delivered. */
  #ack(streamSeq: number, consumerSeq: number, deliveryCount: number, sample = true): boolean {
    const s = this.#state;
    if (streamSeq >= s.streamSeq && this.#skipList === undefined) return false;
    const maxAckPending = this.#config.max_ack_pending ?? 0;
    const wasFull = maxAckPending > 0 && s.pending.size >= maxAckPending;
    const acked: number[] = [];
    switch (this.#config.ack_policy) {
      case "explicit": {
        const p = s.pending.get(streamSeq);
        // sample_freq: this share of acks is reported with how long it took (consumer.go sampleAck).
        if (p !== undefined && sample && this.#sampled()) this.#advisories.ackSampled(consumerSeq, streamSeq, (Date.now() - p.timeMs) * 1e6, deliveryCount);
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
    if (s.pending.size === 0) this.#clearAckTimer();
    this.#persist();
    if (this.stream.config.retention !== "limits") for (const seq of acked) this.stream.acked(seq);
    if (wasFull) this.#kick();
    return true;
  }

  /** consumer.go processNak: redeliver now, or after the requested delay. */
  #nak(streamSeq: number, consumerSeq: number, deliveryCount: number, delayNs: number | undefined): void {
    const s = this.#state;
    if (consumerSeq <= s.ackFloorConsumer || consumerSeq >= s.consumerSeq) return;
    const p = s.pending.get(streamSeq);
    if (p === undefined) return;
    this.#advisories.naked(consumerSeq, streamSeq, deliveryCount);
    if (delayNs !== undefined) {
      s.unqueue(streamSeq);
      // Due when ack_wait (counted from this fake delivery time) runs out: `delay` from now.
      p.timeMs = Date.now() - this.#ackWaitMs(0) + delayNs / 1e6;
      this.#persist();
      this.#armAckTimer(Math.max(0, delayNs / 1e6), true);
      return;
    }
    s.queueRedelivery(streamSeq);
    this.#kick();
  }

  /** `+WPI`: the client is still working on it; ack_wait starts over. */
  #progress(streamSeq: number): void {
    const p = this.#state.pending.get(streamSeq);
    if (p === undefined) return;
    p.timeMs = Date.now();
    this.#lastDeliveredNs = nowNanos();
    this.#persist();
  }

  #ackWaitMs(deliveryIndex: number): number {
    const backoff = this.#config.backoff;
    if (backoff !== undefined && backoff.length > 0) return backoff[Math.min(Math.max(0, deliveryIndex), backoff.length - 1)]! / 1e6;
    return (this.#config.ack_wait ?? 30_000_000_000) / 1e6;
  }

  /** Arms the redelivery check for `delayMs` from now unless it already fires sooner (`force`: always re-arm). */
  #armAckTimer(delayMs: number, force = false): void {
    if (this.#closed) return;
    const due = Date.now() + delayMs + ACK_WAIT_SLACK_MS;
    if (this.#ackTimer !== undefined && !force && this.#ackTimerDue <= due) return;
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimerDue = due;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.#guard("ack timer", () => this.#checkPending());
    }, timerDelay(due - Date.now()));
    this.#ackTimer.unref();
  }

  #clearAckTimer(): void {
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  /** consumer.go checkPending: queue expired deliveries for redelivery, in stream order. */
  #checkPending(): void {
    if (this.#closed) return;
    const s = this.#state;
    const firstSeq = this.stream.store.state().firstSeq;
    const now = Date.now();
    const backoff = this.#config.backoff ?? [];
    let next = backoff.length > 0 ? backoff[backoff.length - 1]! / 1e6 : this.#ackWaitMs(0);
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
      const deadline = this.#ackWaitMs(index);
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
      this.#kick();
    }
    if (s.pending.size > 0) {
      this.#armAckTimer(Math.max(1, next), true);
    } else {
      this.#clearAckTimer();
      s.clearRedeliveries();
      s.ackFloorConsumer = s.consumerSeq - 1;
      s.ackFloorStream = s.streamSeq - 1;
    }
    if (changed) this.#persist();
  }

  /** consumer.go hasMaxDeliveries: a message delivered max_deliver times leaves pending for good. */
  #reachedMaxDeliver(seq: number, consumerSeq: number): boolean {
    const maxDeliver = this.#config.max_deliver ?? -1;
    if (maxDeliver <= 0) return false;
    const s = this.#state;
    const count = s.deliveryCount(seq);
    if (count < maxDeliver) return false;
    const maxAckPending = this.#config.max_ack_pending ?? 0;
    if (maxAckPending > 0 && s.pending.size >= maxAckPending) this.#kick();
    s.pending.delete(seq);
    s.moveAckFloor(consumerSeq, seq);
    s.redelivered.set(seq, count);
    this.#advisories.maxDeliveries(seq, count);
    return true;
  }

  // ---- lifecycle helpers -------------------------------------------------------------------------

  /** consumer.go deleteNotActive: an idle consumer past inactive_threshold asks to be deleted. */
  #armInactivity(): void {
    const thresholdMs = (this.#config.inactive_threshold ?? 0) / 1e6;
    if (this.#inactiveTimer !== undefined) clearTimeout(this.#inactiveTimer);
    this.#inactiveTimer = undefined;
    if (thresholdMs <= 0 || this.#closed) return;
    if (this.#push?.refresh() === true) return;
    this.#inactiveTimer = setTimeout(() => this.#guard("inactivity", () => this.#checkInactive(thresholdMs)), timerDelay(thresholdMs));
    this.#inactiveTimer.unref();
  }

  #checkInactive(thresholdMs: number): void {
    this.#inactiveTimer = undefined;
    if (this.#closed) return;
    const now = Date.now();
    if (this.isPush) {
      if (this.#push!.refresh()) return;
      const left = this.#lastActivity + thresholdMs - now;
      if (left > 0) {
        this.#inactiveTimer = setTimeout(() => this.#guard("inactivity", () => this.#checkInactive(thresholdMs)), timerDelay(left));
        this.#inactiveTimer.unref();
        return;
      }
      this.#host.inactive(this);
      return;
    }
    let idleSince = this.#lastActivity;
    // Messages still within their ack wait count as activity (the client may still be working).
    for (const [seq, p] of this.#state.pending) idleSince = Math.max(idleSince, p.timeMs + this.#ackWaitMs(this.#state.deliveryCount(seq) - 1));
    this.#pulls?.process(false, now);
    if ((this.#pulls?.length ?? 0) > 0) idleSince = now;
    const remaining = idleSince + thresholdMs - now;
    if (remaining > 0) {
      this.#inactiveTimer = setTimeout(() => this.#guard("inactivity", () => this.#checkInactive(thresholdMs)), timerDelay(remaining));
      this.#inactiveTimer.unref();
      return;
    }
    this.#host.inactive(this);
  }

  #onStored(seq: number, subject: string): void {
    if (this.#closed) return;
    // Under last_per_subject a second message on a subject not yet delivered does not add one;
    // counting it anyway keeps this O(1), and info() recounts exactly.
    if (seq >= this.#state.streamSeq && this.#matches(subject)) this.#numPending++;
    this.#kick();
  }

  #matches(subject: string): boolean {
    const filters = this.#filters;
    if (filters.length === 0) return true;
    for (const f of filters) if (subjectMatches(subject, f)) return true;
    return false;
  }

  #countPending(): number {
    const store = this.stream.store;
    const lastPerSubject = this.#config.deliver_policy === "last_per_subject";
    // The skip list's own sequences lie below the resume point and are still to come.
    const skip = this.#skipList;
    const from = skip === undefined ? this.#state.streamSeq : skip.resume + 1;
    let n = skip?.seqs.length ?? 0;
    for (const f of this.#filters.length === 0 ? [">"] : this.#filters) n += store.numPending(f, from, lastPerSubject);
    return n;
  }

  #newRateLimiter(): ByteRateLimiter | undefined {
    const bps = this.#config.rate_limit_bps ?? 0;
    if (bps <= 0) return undefined;
    const maxMsgSize = this.stream.config["max_msg_size"];
    // The burst is one message of the largest size the stream takes (nats-server's choice).
    const burst = typeof maxMsgSize === "number" && maxMsgSize > 0 ? maxMsgSize : DEFAULT_RATE_BURST;
    return new ByteRateLimiter(bps, burst, Date.now());
  }

  #pushHost(): PushHost {
    return {
      hasInterest: (subject) => this.#host.bus.hasInterest(subject),
      subscribe: (subject, callback) => this.#host.bus.subscribe(subject, { callback: (_err, msg) => this.#guard("flow control", () => callback(msg.subject)) }),
      send: (subject, headers, reply) => this.#status(subject, headers, reply),
      heartbeat: (stalled) => this.#heartbeat(stalled),
      interestChanged: (active) => {
        // Idle time for inactive_threshold counts from when the subscriber went away.
        if (!active) this.#lastActivity = Date.now();
        this.#armInactivity();
      },
      wake: () => this.#kick(),
      caught: (what, err) => this.#host.caught(`JetStream consumer '${this.stream.name} > ${this.name}' ${what}`, err),
    };
  }

  #heartbeat(stalled?: string): StatusHeaders {
    const s = this.#state;
    return ConsumerStatus.idleHeartbeat(s.consumerSeq - 1, s.streamSeq - 1, stalled);
  }

  #pullHost(): PullHost {
    return {
      hasInterest: (subject) => this.#host.bus.hasInterest(subject),
      status: (subject, headers) => this.#status(subject, headers),
      heartbeat: () => this.#heartbeat(),
      available: () => this.#numPending + this.#state.redeliveryCount,
      limits: () => ({ maxBatch: this.#config.max_batch ?? 0, maxExpiresNs: this.#config.max_expires ?? 0, maxBytes: this.#config.max_bytes ?? 0 }),
      wake: () => this.#kick(),
      caught: (what, err) => this.#host.caught(`JetStream consumer '${this.stream.name} > ${this.name}' ${what}`, err),
    };
  }

  #status(subject: string, headers: StatusHeaders, reply?: string): void {
    try {
      this.#host.bus.publish(subject, EMPTY, { headers, ...(reply !== undefined && { reply }) });
    } catch (err) {
      this.#host.caught(`JetStream consumer '${this.stream.name} > ${this.name}' status`, err);
    }
  }

  /**
   * Saves the state at most every PERSIST_INTERVAL_MS, however many deliveries and acks came in
   * between (stop() saves at once). A crash can lose that much ack state: those messages are
   * delivered again, which at-least-once allows.
   */
  #persist(): void {
    if (this.#store === undefined || this.#persistTimer !== undefined || this.#closed) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = undefined;
      if (this.#closed) return;
      this.#guard("saving state", () => this.#store!.save(this.#state.snapshot()));
    }, PERSIST_INTERVAL_MS);
    this.#persistTimer.unref();
  }

  #guard(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.#host.caught(`JetStream consumer '${this.stream.name} > ${this.name}' ${what}`, err);
    }
  }
}

/** `last_active` of info's `delivered` and `ack_floor` (Go SequenceInfo.Last, omitted when never). */
function lastActive(ns: bigint): { last_active?: string } {
  return ns === 0n ? {} : { last_active: formatNanos(ns) };
}
