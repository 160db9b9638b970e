/**
 * Push delivery (`deliver_subject`): the subscriber check, idle heartbeats, and the flow control
 * window (consumer.go needFlowControl / processFlowControl / sendFlowControl). With
 * `flow_control` a consumer counts the bytes it sent, asks the client to confirm with a
 * `100 FlowControl Request` once half the window is used, and stops sending while more than the
 * window is unconfirmed. Each confirmation doubles the window (slow start) up to
 * JsFlowControlMaxPending.
 */
import { randomInt } from "node:crypto";
import { ConsumerDefaults } from "./config.ts";
import { ConsumerStatus, type StatusHeaders } from "./status.ts";
import { timerDelay } from "./pull-requests.ts";

const FLOW_CONTROL_PREFIX = "$JS.FC.";
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export class FlowControlWindow {
  readonly #limit: number;
  #window: number;
  #pendingBytes = 0;
  /** Reply subject of the request the client has not answered yet. */
  #outstanding: string | undefined;
  /** Bytes that the outstanding request covers. */
  #outstandingBytes = 0;
  readonly #replyPrefix: string;

  constructor(stream: string, consumer: string, limit: number = ConsumerDefaults.FLOW_CONTROL_MAX_PENDING) {
    this.#limit = limit;
    this.#window = Math.max(1, Math.floor(limit / 16));
    this.#replyPrefix = `${FLOW_CONTROL_PREFIX}${stream}.${consumer}.`;
  }

  /** Delivery must wait: more than the window is unconfirmed. */
  get stalled(): boolean {
    return this.#pendingBytes > this.#window;
  }

  /** The outstanding request's reply subject (reported as Nats-Consumer-Stalled in heartbeats). */
  get outstanding(): string | undefined {
    return this.#outstanding;
  }

  /** The wildcard a consumer subscribes to for the answers. */
  get replyWildcard(): string {
    return `${this.#replyPrefix}*`;
  }

  /** Accounts a delivery of `size` bytes; true when a flow control request should go out now. */
  delivered(size: number): boolean {
    this.#pendingBytes += size;
    if (this.#outstanding === undefined) return this.#pendingBytes > this.#window / 2;
    if (this.#pendingBytes - this.#outstandingBytes >= this.#window) this.#outstandingBytes += size;
    return false;
  }

  /** Records a request about to be sent; returns its reply subject. */
  newRequest(): string {
    let token = "";
    for (let i = 0; i < 4; i++) token += DIGITS[randomInt(DIGITS.length)];
    this.#outstanding = `${this.#replyPrefix}${token}`;
    this.#outstandingBytes = this.#pendingBytes;
    return this.#outstanding;
  }

  /** The client answered on `subject`; true when it was the outstanding request (delivery may resume). */
  answered(subject: string): boolean {
    if (subject !== this.#outstanding) return false;
    if (this.#window < this.#limit) this.#window = Math.min(this.#limit, this.#window * 2);
    this.#pendingBytes = Math.max(0, this.#pendingBytes - this.#outstandingBytes);
    this.#outstanding = undefined;
    this.#outstandingBytes = 0;
    return true;
  }
}

/** What a push consumer's delivery side needs from its consumer. */
export interface PushHost {
  hasInterest(subject: string): boolean;
  subscribe(subject: string, callback: (subject: string) => void): { unsubscribe(): void };
  /** Publishes a header-only message (status, flow control) to `subject`. */
  send(subject: string, headers: StatusHeaders, reply?: string): void;
  /** The consumer's idle heartbeat as of now, `stalled` naming the unanswered flow control. */
  heartbeat(stalled: string | undefined): StatusHeaders;
  /** The deliver subject gained (true) or lost (false) its subscriber. */
  interestChanged(active: boolean): void;
  /** Delivery may resume (a subscriber came, flow control was answered). */
  wake(): void;
  caught(what: string, err: unknown): void;
}

/** Longest wait between looks for a subscriber on the deliver subject (nats-server is told; we ask). */
const INTEREST_POLL_MS = 100;

/**
 * A push consumer's side of delivery: whether its deliver subject has a subscriber (looked up
 * with backoff while it has none), the flow control window and its answers, and idle
 * heartbeats after `idle_heartbeat` without a delivery (consumer.go hbTimer, sendIdleHeartbeat,
 * updateDeliveryInterest).
 */
export class PushTarget {
  readonly #host: PushHost;
  #deliverSubject: string;
  readonly #flowControl: FlowControlWindow | undefined;
  readonly #heartbeatMs: number;
  #active = false;
  #lastDeliveryMs = Date.now();
  #interestTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #subscription: { unsubscribe(): void } | undefined;
  #stopped = false;

  constructor(host: PushHost, stream: string, consumer: string, options: { deliverSubject: string; flowControl: boolean; heartbeatNs: number }) {
    this.#host = host;
    this.#deliverSubject = options.deliverSubject;
    this.#flowControl = options.flowControl ? new FlowControlWindow(stream, consumer) : undefined;
    this.#heartbeatMs = options.heartbeatNs / 1e6;
  }

  get deliverSubject(): string {
    return this.#deliverSubject;
  }

  /** Delivery must wait for the client to answer flow control. */
  get stalled(): boolean {
    return this.#flowControl?.stalled === true;
  }

  start(): void {
    const fc = this.#flowControl;
    if (fc !== undefined) {
      this.#subscription = this.#host.subscribe(fc.replyWildcard, (subject) => {
        if (fc.answered(subject)) this.#host.wake();
      });
    }
    this.#active = this.#host.hasInterest(this.#deliverSubject);
    if (this.#heartbeatMs > 0) this.#armHeartbeat(this.#heartbeatMs);
    if (!this.#active) this.#watch();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#interestTimer !== undefined) clearTimeout(this.#interestTimer);
    if (this.#heartbeatTimer !== undefined) clearTimeout(this.#heartbeatTimer);
    try {
      this.#subscription?.unsubscribe();
    } catch {
      // The bus may already be closed.
    }
  }

  /** A consumer update moved the deliver subject (allowed only while nobody listened). */
  moveTo(deliverSubject: string): void {
    this.#deliverSubject = deliverSubject;
    this.refresh();
  }

  /** Does the deliver subject have a subscriber now? Starts looking for one when it lost it. */
  refresh(): boolean {
    const active = this.#host.hasInterest(this.#deliverSubject);
    if (active !== this.#active) {
      this.#active = active;
      if (!active) this.#watch();
      this.#host.interestChanged(active);
    }
    return active;
  }

  /** A delivery of `size` bytes went out: flow control accounting, and a request when due. */
  delivered(size: number, now: number): void {
    this.#lastDeliveryMs = now;
    const fc = this.#flowControl;
    if (fc === undefined || !fc.delivered(size)) return;
    const reply = fc.newRequest();
    this.#host.send(this.#deliverSubject, ConsumerStatus.flowControl(), reply);
  }

  /** Nobody received the last delivery: the subscriber is gone (consumer.go didNotDeliver). */
  lost(): void {
    if (this.#active) {
      this.#active = false;
      this.#host.interestChanged(false);
    }
    this.#watch();
  }

  /** Looks for a subscriber quickly at first (clients subscribe right after creating), then backs off. */
  #watch(delayMs = 1): void {
    if (this.#stopped || (this.#interestTimer !== undefined && delayMs === 1)) return;
    this.#interestTimer = setTimeout(() => {
      this.#interestTimer = undefined;
      if (this.#stopped) return;
      try {
        if (this.refresh()) this.#host.wake();
        else this.#watch(Math.min(INTEREST_POLL_MS, delayMs * 2));
      } catch (err) {
        this.#host.caught("interest", err);
      }
    }, delayMs);
    this.#interestTimer.unref();
  }

  /** An idle heartbeat once `heartbeatMs` passed without a delivery. */
  #armHeartbeat(delayMs: number): void {
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatTimer = undefined;
      if (this.#stopped) return;
      try {
        const idleMs = Date.now() - this.#lastDeliveryMs;
        if (idleMs < this.#heartbeatMs) {
          this.#armHeartbeat(this.#heartbeatMs - idleMs);
          return;
        }
        if (this.refresh()) this.#host.send(this.#deliverSubject, this.#host.heartbeat(this.#flowControl?.outstanding));
        this.#lastDeliveryMs = Date.now();
        this.#armHeartbeat(this.#heartbeatMs);
      } catch (err) {
        this.#host.caught("heartbeat", err);
      }
    }, timerDelay(delayMs));
    this.#heartbeatTimer.unref();
  }
}

/**
 * `rate_limit_bps` of a push consumer: a token bucket in bytes, as the golang.org/x/time/rate
 * limiter nats-server uses (consumer.go setRateLimit): `bps / 8` bytes a second, a burst of the
 * stream's max_msg_size (or the max payload). A delivery takes its size now and waits off any debt.
 */
export class ByteRateLimiter {
  readonly #bytesPerMs: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(bitsPerSecond: number, burst: number, now: number) {
    this.#bytesPerMs = bitsPerSecond / 8 / 1000;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#last = now;
  }

  /** Takes `bytes`; returns how many ms to wait before sending them (0: at once). */
  reserve(bytes: number, now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#bytesPerMs);
    this.#last = now;
    this.#tokens -= Math.min(bytes, this.#burst);
    return this.#tokens >= 0 ? 0 : -this.#tokens / this.#bytesPerMs;
  }
}
