/**
 * Push delivery's flow control window (consumer.go needFlowControl / processFlowControl /
 * sendFlowControl): a push consumer with `flow_control` counts the bytes it sent, asks the client
 * to confirm with a `100 FlowControl Request` once half the window is used, and stops sending
 * while more than the window is unconfirmed. Each confirmation doubles the window (slow start)
 * up to JsFlowControlMaxPending.
 */
import { randomInt } from "node:crypto";
import { ConsumerDefaults } from "./consumer-config.ts";

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
