/**
 * An in-process subscription: it sits in the same sublist as every network client's and is
 * delivered by the same router, but receives message objects instead of protocol bytes.
 * Shaped like nats.js `Subscription`: a callback, or an async iterator; `unsubscribe(max?)`,
 * `drain()`, `getReceived()`.
 */
import { IN_PROCESS_NAME } from "../core/message-trace.ts";
import { SinkKind, type MessageSink, type Payload, type Subscription, type TraceTarget } from "../core/subscription.ts";
import type { PublishGuard } from "../core/publish-guard.ts";
import { DirectMsg, type Responder } from "./direct-message.ts";
import type { SubscribeOptions as PublicSubscribeOptions } from "./public-types.ts";

/**
 * `SubscribeOptions` as the server's own features (JetStream, requests) pass them: their
 * callback is typed with the message class. A user's callback, typed with the public
 * `DirectMsg`, fits here too.
 */
export interface SubscribeOptions extends Omit<PublicSubscribeOptions, "callback"> {
  callback?: (err: Error | null, msg: DirectMsg) => void;
}

/** What a direct subscription needs from the server. */
export interface DirectSubscriptionHost {
  readonly respond: Responder;
  /** Outbound bytes a subscriber may have queued, as `max_pending` for clients. */
  readonly maxPending: number;
  unsubscribe(entry: Subscription): void;
  callbackError(err: unknown, sub: DirectSubscription): void;
  slowConsumer(sub: DirectSubscription): void;
  /** The account's name, as a trace event names where a delivery went. */
  readonly account: string;
}

/** Users see it as the `DirectSubscription` interface of public-types.ts. */
export class DirectSubscription implements MessageSink, AsyncIterable<DirectMsg> {
  /** @internal */
  readonly kind = SinkKind.inProcess;
  /** @internal */
  readonly echo = true;
  readonly subject: string;
  readonly queue: string | undefined;
  readonly sid: number;
  /** @internal The sublist entry (set by the server right after construction). */
  entry!: Subscription;

  readonly #host: DirectSubscriptionHost;
  /** The host's responder, held here: one load less per delivered message. */
  readonly #respond: Responder;
  readonly #callback: SubscribeOptions["callback"];
  #dropped = 0;
  #closed = false;
  /** Iterator mode: messages waiting to be read, and their payload bytes. */
  #queued: DirectMsg[] = [];
  #queuedHead = 0;
  #queuedBytes = 0;
  #waiter: ((result: IteratorResult<DirectMsg>) => void) | undefined;
  #iterating = false;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  /** @internal Set for a subscription made as a user: that user's permissions apply to what it receives. */
  readonly guard: PublishGuard | undefined;

  /** @internal */
  constructor(host: DirectSubscriptionHost, sid: number, subject: string, options: SubscribeOptions, guard?: PublishGuard) {
    this.#host = host;
    this.#respond = host.respond;
    this.guard = guard;
    this.sid = sid;
    this.subject = subject;
    this.queue = options.queue;
    this.#callback = options.callback;
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** Messages delivered so far (nats.js `getReceived`). */
  getReceived(): number {
    // The sublist entry counts deliveries already (for max); no second counter on the hot path.
    return this.entry.delivered;
  }

  /** Messages queued and not read yet (iterator mode). */
  getPending(): number {
    return this.#queued.length - this.#queuedHead;
  }

  /** Messages dropped because the reader fell more than `maxPending` bytes behind. */
  getDropped(): number {
    return this.#dropped;
  }

  isClosed(): boolean {
    return this.#closed;
  }

  /** Resolves once the subscription has ended and every queued message was read. */
  get closed(): Promise<void> {
    return this.#done;
  }

  /**
   * @internal The router's side, once per message (the router has applied `max` and permissions). Kept
   * small so that V8 inlines it, the message and the callback into the router's loop and drops
   * the message object when the callback does not keep it (docs/in-process.md).
   */
  deliver(_sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    if (this.#closed) return false;
    const msg = new DirectMsg(subject, reply, this.sid, data, start, end, headerSize, this.#respond);
    const callback = this.#callback;
    if (callback === undefined) {
      this.#enqueue(msg, end - start);
      return true;
    }
    try {
      callback(null, msg);
    } catch (err) {
      this.#host.callbackError(err, this);
    }
    return true;
  }

  /** @internal An in-process subscriber in a trace event: a client without a connection (cid 0). */
  traceTarget(): TraceTarget {
    return { kind: 0, cid: 0, name: IN_PROCESS_NAME, account: this.#host.account };
  }

  /** @internal The message that reaches `max` has been delivered: the subscription ends (as nats.js). */
  maxReached(): void {
    this.#end();
  }

  /**
   * Stops the subscription; with `max`, after that many messages in total (as nats.js). Queued
   * messages can still be read.
   */
  unsubscribe(max?: number): void {
    if (this.#closed) return;
    if (max !== undefined && max > 0 && max > this.entry.delivered) {
      this.entry.max = max;
      return;
    }
    this.#end();
  }

  /** Unsubscribes and resolves once every message already queued has been read. */
  async drain(): Promise<void> {
    this.unsubscribe();
    await this.#done;
  }

  [Symbol.asyncIterator](): AsyncIterator<DirectMsg> {
    if (this.#callback !== undefined) throw new TypeError("a subscription with a callback is not iterable");
    if (this.#iterating) throw new TypeError("a subscription can be iterated only once");
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.unsubscribe();
        this.#queued = [];
        this.#queuedHead = 0;
        this.#queuedBytes = 0;
        this.#resolveDone();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #enqueue(msg: DirectMsg, size: number): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: msg, done: false });
      return;
    }
    if (this.#queuedBytes + size > this.#host.maxPending) {
      // As a client over max_pending: the reader is not keeping up. Drop rather than grow.
      this.#dropped++;
      this.#host.slowConsumer(this);
      return;
    }
    this.#queued.push(msg);
    this.#queuedBytes += size;
  }

  #next(): Promise<IteratorResult<DirectMsg>> {
    if (this.#queuedHead < this.#queued.length) {
      const msg = this.#queued[this.#queuedHead]!;
      this.#queued[this.#queuedHead++] = undefined as unknown as DirectMsg;
      this.#queuedBytes -= msg.size;
      if (this.#queuedHead === this.#queued.length) {
        this.#queued = [];
        this.#queuedHead = 0;
      }
      return Promise.resolve({ value: msg, done: false });
    }
    if (this.#closed) {
      this.#resolveDone();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** Leaves the sublist; an iterator ends once its queue is empty. */
  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.unsubscribe(this.entry);
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: undefined, done: true });
    }
    if (this.#callback !== undefined || this.getPending() === 0) this.#resolveDone();
  }
}
