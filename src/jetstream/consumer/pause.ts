/**
 * Consumer pause (nats-server 2.11, consumer.go updatePauseState): while `pause_until` lies in
 * the future the consumer delivers nothing; pull requests wait, expire and get their heartbeats
 * as usual, push heartbeats go on. One timer per consumer wakes delivery at the deadline and
 * tells whoever listens with the pause advisory, as nats-server's unpause timer does.
 */
import type { ConsumerCore } from "./core.ts";
import { timerDelay } from "./pull-requests.ts";
import { nowNanos, parseNanos } from "../shared/rfc3339.ts";

export class PauseTimer {
  readonly #core: Readonly<ConsumerCore>;
  #timer: NodeJS.Timeout | undefined;

  constructor(core: Readonly<ConsumerCore>) {
    this.#core = core;
  }

  /** The deadline in force, in ns since the epoch; 0n when not paused at all. */
  get untilNs(): bigint {
    const text = this.#core.config.pause_until;
    return text === undefined ? 0n : (parseNanos(text) ?? 0n);
  }

  /** Nanoseconds left of the pause, 0 when running (info's `pause_remaining`). */
  remainingNs(now = nowNanos()): number {
    const until = this.untilNs;
    return until > now ? Number(until - now) : 0;
  }

  get paused(): boolean {
    return this.remainingNs() > 0;
  }

  /**
   * The config's `pause_until` changed (or the consumer started): the timer follows it. A deadline
   * far beyond what one setTimeout holds is looked at again when this one fires.
   */
  arm(): void {
    this.stop();
    const remainingMs = this.remainingNs() / 1e6;
    if (remainingMs <= 0 || this.#core.closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#core.guard("unpause", () => {
        if (this.paused) return this.arm();
        this.advise();
        this.#core.kick();
      });
    }, timerDelay(remainingMs));
    this.#timer.unref();
  }

  /** The pause advisory for the current config (consumer.go sendPauseAdvisoryLocked). */
  advise(): void {
    this.#core.advisories.pause(this.untilNs > nowNanos(), this.#core.config.pause_until);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
