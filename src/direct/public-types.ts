/**
 * What a user of the in-process API holds: the message, the subscription and the tap, and the
 * options they are made with. These interfaces are the API; the classes that implement them
 * (direct-message.ts, direct-subscription.ts, tap.ts) also carry the router's side of delivery,
 * which is free to change. Shaped like nats.js `Msg` and `Subscription`.
 */
import type { MsgHeaders, HeadersInit } from "./headers.ts";

/** What the in-process API accepts as a payload. */
export type Payload = Uint8Array | string;

/**
 * A message delivered in-process, shaped like nats.js `Msg`. `data` is a view of the
 * publisher's bytes, not a copy, and headers are decoded on first access.
 */
export interface DirectMsg {
  readonly subject: string;
  /** Reply subject, "" when none (as nats.js). */
  readonly reply: string;
  /** The id of the subscription that received it (0 for a tap's copy). */
  readonly sid: number;
  /** The payload (without the header block): a view of the publisher's bytes, not a copy. */
  readonly data: Uint8Array;
  /** Headers, decoded on first access; undefined when the message has none. */
  readonly headers: MsgHeaders | undefined;
  /**
   * The header block exactly as published (`NATS/1.0\r\n…\r\n\r\n`), a view of the publisher's
   * bytes; undefined when the message has none.
   */
  readonly rawHeaders: Uint8Array | undefined;
  /** Publishes `data` to the reply subject; false when the message has no reply subject. */
  respond(data?: Payload, options?: { headers?: MsgHeaders }): boolean;
  /** The payload as UTF-8 text. */
  string(): string;
  /** The payload parsed as JSON. */
  json<T = unknown>(): T;
}

/** Options of `server.subscribe()`, as nats.js `SubscriptionOptions`. */
export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group (members may be network clients too). */
  queue?: string;
  /** Unsubscribe by itself after this many messages. */
  max?: number;
  /**
   * Called synchronously for each message, in delivery order. Without it the subscription is
   * an async iterator. A callback that throws is reported on the server's
   * `subscription:error` event; delivery goes on.
   */
  callback?: (err: Error | null, msg: DirectMsg) => void;
}

/**
 * An in-process subscription (`server.subscribe()`), shaped like nats.js `Subscription`: it
 * sits in the same sublist as every network client's and is reached by the same router.
 * Without a callback it is an async iterator of messages, which can be iterated once.
 */
export interface DirectSubscription extends AsyncIterable<DirectMsg> {
  readonly subject: string;
  readonly queue: string | undefined;
  /** The subscription's id, as `msg.sid`. */
  readonly sid: number;
  /** Messages delivered so far (nats.js `getReceived`). */
  getReceived(): number;
  /** Messages queued and not read yet (iterator mode). */
  getPending(): number;
  /** Messages dropped because the reader fell more than `maxPending` bytes behind. */
  getDropped(): number;
  isClosed(): boolean;
  /** Resolves once the subscription has ended and every queued message was read. */
  readonly closed: Promise<void>;
  /**
   * Stops the subscription; with `max`, after that many messages in total (as nats.js). Queued
   * messages can still be read.
   */
  unsubscribe(max?: number): void;
  /** Unsubscribes and resolves once every message already queued has been read. */
  drain(): Promise<void>;
}

/** Options of `server.tap()`. */
export interface TapOptions {
  /** Most messages kept; older ones are dropped first. Default 10,000. */
  limit?: number;
}

/**
 * A tap (`server.tap()`) records copies of the messages that cross the bus on matching
 * subjects, from every kind of client. It does not count as interest: a request only a tap
 * sees still gets no-responders, and it never takes a queue group's message.
 */
export interface Tap extends Disposable {
  readonly subject: string;
  /** Every message recorded so far (up to the limit), oldest first. */
  readonly messages: readonly DirectMsg[];
  /** The next message `next()` has not returned yet, waiting for one if needed. */
  next(options?: { timeout?: number }): Promise<DirectMsg>;
  /** The first message, recorded or still to come, for which `predicate` holds. */
  waitFor(predicate: (msg: DirectMsg) => boolean, options?: { timeout?: number }): Promise<DirectMsg>;
  /** Forgets what was recorded. */
  clear(): void;
  /** Stops recording; pending `next()`/`waitFor()` calls are rejected. */
  close(): void;
}

/** Options of `server.publish()`. */
export interface PublishOptions {
  headers?: HeadersInit;
  reply?: string;
}

/** Options of `server.request()`. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply. Default 1000, as nats.js. */
  timeout?: number;
  headers?: HeadersInit;
}

/** The in-process API acting as one user (`server.as(user)`): that user's permissions apply. */
/** The in-process API inside one account: `server.account(name)`. */
export interface AccountScopedApi {
  readonly account: string;
  publish(subject: string, data?: Payload, options?: PublishOptions): boolean;
  subscribe(subject: string, options?: SubscribeOptions): DirectSubscription;
  request(subject: string, data?: Payload, options?: RequestOptions): Promise<DirectMsg>;
  tap(subject: string, options?: TapOptions): Tap;
}

export interface UserScopedApi {
  readonly user: string;
  publish(subject: string, data?: Payload, options?: PublishOptions): boolean;
  subscribe(subject: string, options?: SubscribeOptions): DirectSubscription;
  request(subject: string, data?: Payload, options?: RequestOptions): Promise<DirectMsg>;
}
