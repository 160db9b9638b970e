/**
 * Holding a delivery back (consumer.go loopAndGatherMsgs): `replay_policy: original` waits out
 * the gap a message had to the previous one when they were stored, and `rate_limit_bps` waits
 * until the byte budget allows the message. The held message goes out first when its timer has
 * fired and delivery resumes.
 */
import type { ConsumerCore } from "./core.ts";
import type { NextDelivery } from "./cursor.ts";
import { timerDelay } from "./pull-requests.ts";
import { ByteRateLimiter } from "./push-delivery.ts";

/** rate_limit_bps burst when the stream has no max_msg_size: the default max payload, as nats-server. */
const DEFAULT_RATE_BURST = 1024 * 1024;

export class DeliveryPacing {
  readonly #core: Readonly<ConsumerCore>;
  /** The message held back until its timer fires. */
  #held: NextDelivery | undefined;
  #lastReplayedNs = 0n;
  /** The stream's last sequence when the consumer was created: replay timing applies up to it. */
  readonly #replayUntil: number;
  #replayTimer: NodeJS.Timeout | undefined;
  /** rate_limit_bps: the limiter, the timer of a held message, and whether the held one has paid. */
  #rateLimiter: ByteRateLimiter | undefined;
  #rateTimer: NodeJS.Timeout | undefined;
  #ratePaid = false;

  constructor(core: Readonly<ConsumerCore>) {
    this.#core = core;
    this.#replayUntil = core.stream.store.state().lastSeq;
    this.#rateLimiter = this.#newRateLimiter();
  }

  /** A message is held back: its timer resumes delivery. */
  get holding(): boolean {
    return this.#replayTimer !== undefined || this.#rateTimer !== undefined;
  }

  /** The message held back before, if any; it is no longer held. */
  takeHeld(): NextDelivery | undefined {
    const held = this.#held;
    this.#held = undefined;
    return held;
  }

  /** True when `next` must wait: it is held and a timer will resume delivery. */
  holdBack(next: NextDelivery): boolean {
    if (this.#core.config.replay_policy === "original" && this.#delayForReplay(next)) return true;
    return this.#delayForRate(next);
  }

  /** An update changed rate_limit_bps: start a fresh budget. */
  rateChanged(): void {
    this.#rateLimiter = this.#newRateLimiter();
  }

  stop(): void {
    if (this.#replayTimer !== undefined) clearTimeout(this.#replayTimer);
    if (this.#rateTimer !== undefined) clearTimeout(this.#rateTimer);
  }

  /**
   * replay_policy original: hold `next` back for the gap it had when it was stored, until the
   * consumer has caught up with what the stream held when it was created.
   */
  #delayForReplay(next: NextDelivery): boolean {
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
      this.#core.kick();
    }, timerDelay(delayMs));
    this.#replayTimer.unref();
    return true;
  }

  /** rate_limit_bps: hold `next` back until the limiter allows its bytes. */
  #delayForRate(next: NextDelivery): boolean {
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
      this.#core.kick();
    }, timerDelay(waitMs));
    this.#rateTimer.unref();
    return true;
  }

  #newRateLimiter(): ByteRateLimiter | undefined {
    const bps = this.#core.config.rate_limit_bps ?? 0;
    if (bps <= 0) return undefined;
    const maxMsgSize = this.#core.stream.config["max_msg_size"];
    // The burst is one message of the largest size the stream takes (nats-server's choice).
    const burst = typeof maxMsgSize === "number" && maxMsgSize > 0 ? maxMsgSize : DEFAULT_RATE_BURST;
    return new ByteRateLimiter(bps, burst, Date.now());
  }
}
