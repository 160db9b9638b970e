/**
 * The in-process API with no protocol bytes at all: publish, subscribe, request and tap,
 * shaped like nats.js. Direct subscribers live in the same sublist as network clients and
 * are reached by the same router, so wildcards, queue groups (mixed with network members),
 * headers, `max` and no-responders behave exactly the same.
 */
import { randomBytes } from "node:crypto";
import { InvalidArgumentError, MaxPayloadError, NoRespondersError, ServerClosedError, TimeoutError } from "../base/errors.ts";
import type { TrafficStats } from "../core/client.ts";
import type { Account } from "../core/account.ts";
import type { PublisherCache } from "../core/publisher-cache.ts";
import { IN_PROCESS_NAME, deliverTraced, hasTraceHeader, TraceKind, type TraceIngress, type TraceServer } from "../core/message-trace.ts";
import { deliverTo } from "../core/router.ts";
import { Subscription, type Payload as WirePayload } from "../core/subscription.ts";
import { isValidSubject } from "../subjects/subject.ts";
import { DirectMsg, type Responder } from "./direct-message.ts";
import { PermissionViolationError } from "../base/errors.ts";
import { publishViolation, replyViolation, subscribeViolation } from "../protocol/wire-errors.ts";
import { isReservedPublishSubject, isReservedReply } from "../core/reserved.ts";
import { PublishGuard } from "../core/publish-guard.ts";
import { CompiledPermissions } from "../core/permissions.ts";
import type { AuthenticatedUser } from "../core/identity.ts";
import { DirectSubscription, type DirectSubscriptionHost, type SubscribeOptions } from "./direct-subscription.ts";
import { MsgHeaders } from "./headers.ts";
import { Tap, type TapHost } from "./tap.ts";
import type { Payload, PublishOptions, RequestOptions, TapOptions, UserScopedApi } from "./public-types.ts";

/** What the direct API needs from the server. */
export interface DirectHost {
  /** The account in-process publishes and subscriptions belong to. */
  readonly account: Account;
  readonly stats: TrafficStats;
  readonly maxPayload: number;
  readonly maxPending: number;
  callbackError(err: unknown, sub: DirectSubscription): void;
  slowConsumer(sub: DirectSubscription): void;
  /** Who the server is, for the trace events of messages published in-process (core/message-trace.ts). */
  traceServer?(): TraceServer;
}

const EMPTY = Buffer.alloc(0);
const WHITESPACE = /\s/;
const DEFAULT_REQUEST_TIMEOUT = 1000;
/**
 * A callback that publishes runs inside the publish that reached it; past this depth further
 * publishes wait for a microtask, so two callbacks answering each other cannot overflow the stack.
 */
const MAX_NESTED_PUBLISH = 32;

interface PendingRequest {
  resolve: (msg: DirectMsg) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Apart, so that the error's construction does not weigh on every publish's inlining budget. */
function throwMaxPayload(size: number, maxPayload: number): never {
  throw new MaxPayloadError(size, maxPayload);
}

/** The UTF-8 size of a payload; refuses what is neither a string nor a Uint8Array. */
function sizeOf(data: Payload | undefined): number {
  if (typeof data === "string") return Buffer.byteLength(data, "utf8");
  if (data instanceof Uint8Array) return data.byteLength;
  if (data === undefined) return 0;
  throw new InvalidArgumentError("data", "must be a string or a Uint8Array");
}

function checkPublishSubject(subject: string): void {
  // As nats.js: an empty subject or one with whitespace is refused before anything is sent.
  if (typeof subject !== "string" || subject === "" || WHITESPACE.test(subject)) {
    throw new InvalidArgumentError("subject", `"${String(subject)}" is not a valid subject`);
  }
}

export class DirectApi {
  readonly #host: DirectHost;
  readonly #subscriptions = new Set<DirectSubscription>();
  readonly #taps = new Set<Tap>();
  #nextSid = 1;
  #depth = 0;
  /**
   * Counters kept here and folded into the server's traffic stats when someone reads them
   * ({@link foldStats}): updating that shared object on every in-process publish cost a fifth
   * of the direct path.
   */
  #inMsgs = 0;
  #inBytes = 0;
  /** The in-process publisher's match cache: one, like any other publisher's. */
  readonly #publisher: PublisherCache;
  #closed = false;
  /** Kept here rather than read through the host on every publish; `setMaxPayload` follows reloads. */
  #maxPayload: number;
  /** Request/reply: one wildcard inbox subscription for every request, as nats.js does. */
  #inboxPrefix = "";
  #inboxSub: DirectSubscription | undefined;
  readonly #requests = new Map<string, PendingRequest>();
  #nextRequest = 1;
  readonly #subHost: DirectSubscriptionHost & TapHost;

  constructor(host: DirectHost) {
    this.#host = host;
    this.#publisher = host.account.publisher();
    this.#maxPayload = host.maxPayload;
    const respond = (subject: string, data?: Payload, options?: { headers?: MsgHeaders }): boolean =>
      this.publish(subject, data, options);
    this.#subHost = {
      respond,
      maxPending: host.maxPending,
      unsubscribe: (entry) => void host.account.sublist.remove(entry),
      callbackError: (err, sub) => host.callbackError(err, sub),
      slowConsumer: (sub) => host.slowConsumer(sub),
      account: host.account.name,
    };
  }

  /** Number of live direct subscriptions (taps and the request inbox included). */
  get size(): number {
    return this.#subscriptions.size + this.#taps.size;
  }

  /**
   * Publishes a message to everyone interested, network clients included. Returns whether
   * anyone received it. Throws on an invalid subject or a payload over `maxPayload`.
   *
   * The payload travels as the caller passed it: a string stays a string until a connection or
   * `msg.data` needs its bytes, and a Uint8Array is not wrapped in a Buffer.
   */
  publish(subject: string, data?: Payload, options?: PublishOptions, guard?: PublishGuard): boolean {
    if (options === undefined && guard === undefined && !this.#closed) {
      if (typeof data === "string") return this.#route(subject, "", -1, data, Buffer.byteLength(data, "utf8"));
      if (data instanceof Uint8Array) return this.#route(subject, "", -1, data, data.byteLength);
    }
    // No payload, a refused one, options, a user, or a closed server.
    return this.#publishWith(subject, data, options, guard);
  }


  /** {@link publish} with headers, a reply subject or a user's permissions. */
  #publishWith(subject: string, data: Payload | undefined, options: PublishOptions | undefined, guard: PublishGuard | undefined): boolean {
    if (this.#closed) throw new ServerClosedError();
    checkPublishSubject(subject);
    const reply = options?.reply ?? "";
    if (reply !== "") checkPublishSubject(reply);
    if (guard !== undefined) {
      // As for a network client of that user: reserved subjects and permissions.
      if (isReservedPublishSubject(subject) || !guard.canPublish(subject)) throw new PermissionViolationError(publishViolation(subject));
      if (reply !== "" && isReservedReply(reply)) throw new PermissionViolationError(replyViolation(reply));
    }
    const headers = options?.headers;
    if (headers === undefined) return this.#route(subject, reply, -1, data ?? EMPTY, sizeOf(data));
    // A header block and the payload travel as one region of bytes, as they do on the wire.
    const block = MsgHeaders.from(headers).encode();
    sizeOf(data);
    const payload = Buffer.concat([block, typeof data === "string" ? Buffer.from(data, "utf8") : (data ?? EMPTY)]);
    if (hasTraceHeader(payload, 0, block.length, this.#host.account)) return this.#routeTraced(subject, reply, block.length, payload, guard);
    return this.#route(subject, reply, block.length, payload, payload.length);
  }

  /** A message with `Nats-Trace-Dest`: traced as a client's is, the in-process publisher its ingress. */
  #routeTraced(subject: string, reply: string, headerSize: number, payload: Buffer, guard: PublishGuard | undefined): boolean {
    let delivered = false;
    const ingress: TraceIngress = {
      server: this.#host.traceServer?.() ?? { id: "", name: "", host: "", version: "", jetstream: false },
      kind: TraceKind.client,
      cid: 0,
      name: IN_PROCESS_NAME,
      account: this.#host.account.name,
      publisher: this.#publisher,
      subject,
      mayPublish: (dest) => !isReservedPublishSubject(dest) && (guard === undefined || guard.canPublish(dest)),
      msgTrace: this.#host.account,
    };
    deliverTraced(ingress, headerSize, payload, 0, payload.length, (h, d, s, e) => {
      delivered = this.#route(subject, reply, h, s === 0 ? d : d.subarray(s, e), e - s);
    });
    return delivered;
  }

  #route(subject: string, reply: string, headerSize: number, payload: WirePayload, size: number): boolean {
    const mappings = this.#host.account.mappings;
    if (mappings !== undefined) subject = mappings.map(subject);
    // Subjects are checked once each: the cache holds only subjects that passed the check.
    const result = this.#publisher.match(subject, checkPublishSubject);
    if (size > this.#maxPayload) throwMaxPayload(size, this.#maxPayload);
    this.#inMsgs++;
    this.#inBytes += size;
    if (this.#depth >= MAX_NESTED_PUBLISH) return this.#routeLater(subject, reply, headerSize, payload, size);
    // No try/finally: sinks never throw (a callback's error is caught where it is called), and
    // the handler's bytecode would cost the inlining budget of every delivery.
    this.#depth++;
    const delivered = deliverTo(result, undefined, subject, reply, headerSize, payload, 0, size);
    this.#depth--;
    return delivered;
  }

  /** Apart from publish() so that its closure does not make every publish allocate a context. */
  #routeLater(subject: string, reply: string, headerSize: number, payload: WirePayload, size: number): boolean {
    queueMicrotask(() => {
      if (!this.#closed) deliverTo(this.#publisher.match(subject), undefined, subject, reply, headerSize, payload, 0, size);
    });
    return true;
  }

  /** Subscribes in-process; see {@link SubscribeOptions}. */
  subscribe(subject: string, options: SubscribeOptions = {}, guard?: PublishGuard): DirectSubscription {
    if (this.#closed) throw new ServerClosedError();
    if (!isValidSubject(subject)) throw new InvalidArgumentError("subject", `"${subject}" is not a valid subject`);
    if (guard !== undefined && (options.queue === "_sys_" || !guard.permissions.canSubscribe(subject, options.queue))) {
      throw new PermissionViolationError(subscribeViolation(subject, options.queue));
    }
    const sid = this.#nextSid++;
    const host = guard === undefined ? this.#subHost : { ...this.#subHost, respond: this.#scopedRespond(guard) };
    const sub = new DirectSubscription(host, sid, subject, options, guard);
    const entry = new Subscription(sub, subject, options.queue, String(sid));
    if (options.max !== undefined && options.max > 0) entry.max = options.max;
    if (guard !== undefined) entry.denyCheck = guard.permissions.needsDeliveryCheck(subject);
    sub.entry = entry;
    if (!this.#host.account.sublist.insert(entry)) {
      throw new InvalidArgumentError("queue", `"${String(options.queue)}" is not a valid queue group name`);
    }
    this.#subscriptions.add(sub);
    void sub.closed.then(() => this.#subscriptions.delete(sub));
    return sub;
  }

  /**
   * Sends a request and resolves with the first reply. Rejects with `NoRespondersError` at
   * once when nobody received the request, and with `TimeoutError` after `timeout` ms.
   */
  request(subject: string, data?: Payload, options: RequestOptions = {}, guard?: PublishGuard): Promise<DirectMsg> {
    if (this.#closed) return Promise.reject(new ServerClosedError());
    const inbox = this.#inbox();
    const token = String(this.#nextRequest++);
    const timeout = options.timeout ?? DEFAULT_REQUEST_TIMEOUT;
    return new Promise<DirectMsg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(token);
        reject(new TimeoutError(`request to '${subject}' timed out after ${timeout} ms`));
      }, timeout);
      this.#requests.set(token, { resolve, reject, timer });
      let delivered: boolean;
      try {
        delivered = this.publish(subject, data, { reply: `${inbox}${token}`, ...(options.headers && { headers: options.headers }) }, guard);
      } catch (err) {
        clearTimeout(timer);
        this.#requests.delete(token);
        reject(err as Error);
        return;
      }
      if (!delivered && this.#requests.has(token)) {
        clearTimeout(timer);
        this.#requests.delete(token);
        reject(new NoRespondersError(subject));
      }
    });
  }

  /**
   * The same API acting as `user`: that user's permissions apply exactly as to a network
   * client of theirs (violations throw {@link PermissionViolationError} with nats-server's text).
   */
  as(user: AuthenticatedUser): UserScopedApi {
    const guard = user.permissions === undefined ? undefined : new PublishGuard(new CompiledPermissions(user.permissions));
    return {
      user: user.user,
      publish: (subject, data, options) => this.publish(subject, data, options, guard),
      subscribe: (subject, options) => this.subscribe(subject, options, guard),
      request: (subject, data, options) => this.request(subject, data, options, guard),
    };
  }

  #scopedRespond(guard: PublishGuard): Responder {
    return (subject, data, options) => this.publish(subject, data, options, guard);
  }

  /** Starts recording the messages that cross the bus on `subject` (wildcards allowed). */
  tap(subject: string, options: TapOptions = {}): Tap {
    if (this.#closed) throw new ServerClosedError();
    if (!isValidSubject(subject)) throw new InvalidArgumentError("subject", `"${subject}" is not a valid subject`);
    const tap = new Tap(this.#subHost, subject, options);
    const entry = new Subscription(tap, subject, undefined, `tap.${this.#nextSid++}`);
    tap.entry = entry;
    this.#host.account.sublist.insert(entry);
    this.#taps.add(tap);
    return tap;
  }

  /** Adds what was counted since the last call to the server's stats; the server calls it before any read. */
  foldStats(): void {
    const stats = this.#host.stats;
    stats.inMsgs += this.#inMsgs;
    stats.inBytes += this.#inBytes;
    this.#inMsgs = 0;
    this.#inBytes = 0;
  }

  /** The server's max_payload as of now (it follows reloads). */
  get maxPayload(): number {
    return this.#maxPayload;
  }

  /** The server's max_payload changed (`server.reload`). */
  setMaxPayload(maxPayload: number): void {
    this.#maxPayload = maxPayload;
  }

  /** Ends every direct subscription and tap and fails pending requests (server shutdown). */
  close(): void {
    this.#closed = true;
    for (const sub of [...this.#subscriptions]) sub.unsubscribe();
    this.#subscriptions.clear();
    for (const tap of this.#taps) tap.close();
    this.#taps.clear();
    for (const pending of this.#requests.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ServerClosedError("the server closed before the reply came"));
    }
    this.#requests.clear();
    this.#inboxSub = undefined;
  }

  #inbox(): string {
    if (this.#inboxSub === undefined) {
      this.#inboxPrefix = `_INBOX.${randomBytes(16).toString("base64url").replace(/[-_]/g, "x")}.`;
      this.#inboxSub = this.subscribe(`${this.#inboxPrefix}*`, {
        callback: (_err, msg) => {
          const token = msg.subject.slice(this.#inboxPrefix.length);
          const pending = this.#requests.get(token);
          if (pending === undefined) return;
          this.#requests.delete(token);
          clearTimeout(pending.timer);
          pending.resolve(msg);
        },
      });
    }
    return this.#inboxPrefix;
  }
}
