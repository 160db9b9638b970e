/**
 * `inactive_threshold` (consumer.go deleteNotActive): a consumer idle that long asks its manager
 * to delete it. A push consumer is idle while its deliver subject has no subscriber; a pull
 * consumer while no request waits and no delivery is still within its ack wait.
 */
import type { ConsumerCore } from "./core.ts";
import type { RedeliveryTimer } from "./redelivery.ts";
import { timerDelay } from "./pull-requests.ts";

/** What the inactivity check needs to know about the consumer's delivery side. */
export interface InactivityHost {
  /** Push consumers: does the deliver subject have a subscriber now? (false for pull consumers, and before start) */
  pushBound(): boolean;
  /** Pull consumers: after expiring old requests, does any still wait? */
  pullsWaiting(now: number): boolean;
  /** Idle past the threshold: the manager deletes the consumer. */
  inactive(): void;
}

export class InactivityTimer {
  readonly #core: Readonly<ConsumerCore>;
  readonly #host: InactivityHost;
  readonly #redelivery: RedeliveryTimer;
  #timer: NodeJS.Timeout | undefined;
  /** Last pull request or delivery, or when the push subscriber went away (ms). */
  #lastActivity = Date.now();

  constructor(core: Readonly<ConsumerCore>, host: InactivityHost, redelivery: RedeliveryTimer) {
    this.#core = core;
    this.#host = host;
    this.#redelivery = redelivery;
  }

  /** Something happened that counts as use (a pull request, a delivery). */
  touch(now: number): void {
    this.#lastActivity = now;
  }

  /** (Re)starts the wait for the threshold in the current config; none while a push subscriber listens. */
  arm(): void {
    const core = this.#core;
    const thresholdMs = (core.config.inactive_threshold ?? 0) / 1e6;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (thresholdMs <= 0 || core.closed) return;
    if (this.#host.pushBound()) return;
    this.#schedule(thresholdMs, thresholdMs);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #schedule(delayMs: number, thresholdMs: number): void {
    this.#timer = setTimeout(() => this.#core.guard("inactivity", () => this.#check(thresholdMs)), timerDelay(delayMs));
    this.#timer.unref();
  }

  #check(thresholdMs: number): void {
    this.#timer = undefined;
    const core = this.#core;
    if (core.closed) return;
    const now = Date.now();
    if (core.config.deliver_subject !== undefined) {
      if (this.#host.pushBound()) return;
      const left = this.#lastActivity + thresholdMs - now;
      if (left > 0) {
        this.#schedule(left, thresholdMs);
        return;
      }
      this.#host.inactive();
      return;
    }
    let idleSince = this.#lastActivity;
    // Messages still within their ack wait count as activity (the client may still be working).
    const s = core.state;
    for (const [seq, p] of s.pending) idleSince = Math.max(idleSince, p.timeMs + this.#redelivery.ackWaitMs(s.deliveryCount(seq) - 1));
    if (this.#host.pullsWaiting(now)) idleSince = now;
    const remaining = idleSince + thresholdMs - now;
    if (remaining > 0) {
      this.#schedule(remaining, thresholdMs);
      return;
    }
    this.#host.inactive();
  }
}
