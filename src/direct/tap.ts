/**
 * A tap records the messages that cross the bus on matching subjects, from every kind of
 * client, so a test can assert what a service published without a client of its own.
 * It does not count as interest: a request that only a tap sees still gets no-responders,
 * and it never takes a queue group's message.
 */
import { TimeoutError } from "../base/errors.ts";
import { SinkKind, type MessageSink, type Payload, type Subscription } from "../core/subscription.ts";
import { DirectMsg, type Responder } from "./direct-message.ts";
import type { TapOptions } from "./public-types.ts";

/** What a tap needs from the server. */
export interface TapHost {
  readonly respond: Responder;
  unsubscribe(entry: Subscription): void;
}

const DEFAULT_LIMIT = 10_000;

interface Waiter {
  /** A `next()` call: it consumes the message, so only one of them may take each. */
  advance: boolean;
  predicate: (msg: DirectMsg) => boolean;
  resolve: (msg: DirectMsg) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Users see it as the `Tap` interface of public-types.ts. */
export class Tap implements MessageSink {
  /** @internal */
  readonly kind = SinkKind.tap;
  /** @internal */
  readonly echo = true;
  /** @internal */
  readonly guard = undefined;
  readonly subject: string;
  /** @internal The sublist entry (set by the server right after construction). */
  entry!: Subscription;
  readonly #host: TapHost;
  readonly #limit: number;
  readonly #messages: DirectMsg[] = [];
  /** How many of the recorded messages `next()` has handed out. */
  #cursor = 0;
  #waiters: Waiter[] = [];
  #closed = false;

  /** @internal */
  constructor(host: TapHost, subject: string, options: TapOptions = {}) {
    this.#host = host;
    this.subject = subject;
    this.#limit = options.limit ?? DEFAULT_LIMIT;
  }

  /** Every message recorded so far (up to the limit), oldest first. */
  get messages(): readonly DirectMsg[] {
    return this.#messages;
  }

  /** @internal Records a copy of the message; returns false so it never counts as a delivery. */
  deliver(_sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    if (this.#closed) return false;
    // A copy of bytes: the test reads it later, after the publisher may have reused its buffer.
    // A string cannot change, so it is kept as it is.
    const kept = typeof data === "string" ? data : Buffer.from(data.subarray(start, end));
    const msg = new DirectMsg(subject, reply, 0, kept, 0, end - start, headerSize, this.#host.respond);
    this.#messages.push(msg);
    if (this.#messages.length > this.#limit) {
      this.#messages.shift();
      if (this.#cursor > 0) this.#cursor--;
    }
    this.#wake(msg);
    return false;
  }

  /** The next message `next()` has not returned yet, waiting for one if needed. */
  next(options: { timeout?: number } = {}): Promise<DirectMsg> {
    const msg = this.#messages[this.#cursor];
    if (msg !== undefined) {
      this.#cursor++;
      return Promise.resolve(msg);
    }
    return this.#wait(() => true, options.timeout, true);
  }

  /** The first message, recorded or still to come, for which `predicate` holds. */
  waitFor(predicate: (msg: DirectMsg) => boolean, options: { timeout?: number } = {}): Promise<DirectMsg> {
    const found = this.#messages.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return this.#wait(predicate, options.timeout, false);
  }

  /** @internal A tap has no `max`. */
  maxReached(): void {}

  /** Forgets what was recorded. */
  clear(): void {
    this.#messages.length = 0;
    this.#cursor = 0;
  }

  /** Stops recording; pending `next()`/`waitFor()` calls are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.unsubscribe(this.entry);
    for (const w of this.#waiters) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.reject(new Error("tap closed"));
    }
    this.#waiters = [];
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #wait(predicate: (msg: DirectMsg) => boolean, timeout: number | undefined, advance: boolean): Promise<DirectMsg> {
    if (this.#closed) return Promise.reject(new Error("tap closed"));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        advance,
        predicate,
        resolve: (msg) => {
          if (advance) this.#cursor = this.#messages.indexOf(msg) + 1;
          resolve(msg);
        },
        reject,
        timer: undefined,
      };
      if (timeout !== undefined) {
        waiter.timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new TimeoutError(`no message on tap "${this.subject}" within ${timeout} ms`));
        }, timeout);
      }
      this.#waiters.push(waiter);
    });
  }

  #wake(msg: DirectMsg): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    let taken = false;
    for (const w of this.#waiters) {
      if (w.predicate(msg) && !(w.advance && taken)) {
        if (w.advance) taken = true;
        if (w.timer !== undefined) clearTimeout(w.timer);
        w.resolve(msg);
      } else {
        still.push(w);
      }
    }
    this.#waiters = still;
  }
}
