import type { SublistEntry } from "../subjects/sublist.ts";

/**
 * Whoever receives the messages of a subscription: a network client today, an in-process
 * subscriber tomorrow. The router only ever talks to this.
 */
export interface MessageSink {
  /** False when the sink's own messages must not come back to it (CONNECT `echo:false`). */
  readonly echo: boolean;
  /**
   * Delivers one message. `headerSize` is -1 when the message has no header block; otherwise
   * `payload` starts with that many header bytes. Returns false when nothing was delivered
   * (the sink is closed or the subscription already reached its max).
   */
  deliver(sub: Subscription, subject: string, reply: string, headerSize: number, payload: Buffer): boolean;
}

/** One SUB: who asked, for what, and how many messages it has had. */
export class Subscription implements SublistEntry {
  /** Messages delivered so far. */
  delivered = 0;
  /** Auto-unsubscribe after this many messages (`UNSUB <sid> <max>`); 0 = never. */
  max = 0;

  constructor(
    readonly sink: MessageSink,
    readonly subject: string,
    readonly queue: string | undefined,
    readonly sid: string,
  ) {}
}
