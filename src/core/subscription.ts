import { encodeHmsgPrefix, encodeMsgPrefix } from "../protocol/encoder.ts";
import type { SublistEntry } from "../subjects/sublist.ts";

/**
 * Whoever receives the messages of a subscription: a network client today, an in-process
 * subscriber tomorrow. The router only ever talks to this.
 */
export interface MessageSink {
  /** False when the sink's own messages must not come back to it (CONNECT `echo:false`). */
  readonly echo: boolean;
  /**
   * Delivers one message whose payload is `data[start, end)`. `headerSize` is -1 when the
   * message has no header block; otherwise the payload starts with that many header bytes.
   * `data` may be a publisher's read buffer: copy the region to keep it. Returns false when
   * nothing was delivered (the sink is closed or the subscription already reached its max).
   */
  deliver(sub: Subscription, subject: string, reply: string, headerSize: number, data: Buffer, start: number, end: number): boolean;
}

/** One SUB: who asked, for what, and how many messages it has had. */
export class Subscription implements SublistEntry {
  /** Messages delivered so far. */
  delivered = 0;
  /** Auto-unsubscribe after this many messages (`UNSUB <sid> <max>`); 0 = never. */
  max = 0;
  /** A wildcard subscription overlapping its owner's deny list: check each delivery. */
  denyCheck = false;
  /**
   * `MSG <subject> <sid> ` / `HMSG <subject> <sid> ` for the last subject delivered: a literal
   * subscription always hits, a wildcard one while the same subject repeats. Saves building and
   * encoding the control line once per message per subscriber.
   */
  #prefixSubject: string | undefined;
  #msgPrefix: Buffer | undefined;
  #hmsgPrefix: Buffer | undefined;

  constructor(
    readonly sink: MessageSink,
    readonly subject: string,
    readonly queue: string | undefined,
    readonly sid: string,
  ) {}

  /** The start of a MSG control line for `subject`, up to and including the blank after the sid. */
  msgPrefix(subject: string): Buffer {
    if (subject !== this.#prefixSubject) this.#resetPrefixes(subject);
    return (this.#msgPrefix ??= encodeMsgPrefix(subject, this.sid));
  }

  /** As {@link msgPrefix}, for HMSG. */
  hmsgPrefix(subject: string): Buffer {
    if (subject !== this.#prefixSubject) this.#resetPrefixes(subject);
    return (this.#hmsgPrefix ??= encodeHmsgPrefix(subject, this.sid));
  }

  #resetPrefixes(subject: string): void {
    this.#prefixSubject = subject;
    this.#msgPrefix = undefined;
    this.#hmsgPrefix = undefined;
  }
}
