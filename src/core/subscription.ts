import { encodeHmsgPrefix, encodeMsgPrefix } from "../protocol/encoder.ts";
import type { SublistEntry } from "../subjects/sublist.ts";
import type { PublishGuard } from "./publish-guard.ts";

/**
 * A message as the router carries it: bytes (a network client's read buffer, a Buffer or any
 * Uint8Array published in-process), or a string published in-process, which stays a string
 * until a connection needs its bytes.
 */
export type Payload = Uint8Array | string;

/**
 * What kind of subscriber a sink is, as nats-server's client `kind`: the router's rules for
 * who may receive what from whom (a leaf's message never goes back out to the leaf it came
 * from, a tap never counts as interest) read this, not the sink's class.
 */
export const SinkKind = {
  /** A network client (TCP, TLS, WebSocket, memory pipe). */
  client: "client",
  /** A leaf node link (nats-server LEAF). */
  leaf: "leaf",
  /** A route to another server of the cluster (nats-server ROUTER). */
  route: "route",
  /** An in-process subscription (nats-server's internal clients: SYSTEM, JETSTREAM). */
  inProcess: "in-process",
  /** A test tap: sees messages, never takes them. */
  tap: "tap",
} as const;
export type SinkKind = (typeof SinkKind)[keyof typeof SinkKind];

/**
 * Whoever receives the messages of a subscription: a network client, a leaf link, an in-process
 * subscriber, a tap. The router only ever talks to this; the rules every kind shares (echo,
 * `max`, delivery permissions) are the router's, so a sink does only what is its own.
 */
export interface MessageSink {
  readonly kind: SinkKind;
  /** False when the sink's own messages must not come back to it (CONNECT `echo:false`). */
  readonly echo: boolean;
  /** The permissions of whoever the sink acts for; undefined when everything is allowed. */
  readonly guard: PublishGuard | undefined;
  /**
   * Delivers one message: `data[start, end)` when `data` is bytes (`headerSize` header bytes
   * first when it is >= 0, -1 when there is no header block), or the whole string `data` whose
   * UTF-8 length is `end` (never with headers). Bytes may be a publisher's read buffer: copy
   * the region to keep it. Returns false when nothing was delivered (the sink is closed, or a
   * tap, which never counts as interest).
   */
  deliver(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean;
  /** `sub` has just been delivered its `max`-th message: the subscription ends. */
  maxReached(sub: Subscription): void;
  /**
   * Whether a message on `subject` would reach anyone: present only on sinks that pass messages
   * on (a stream import, whose subscription stands in the exporter's account whether or not
   * anyone in the importer's listens). Absent means yes.
   */
  interestIn?(subject: string): boolean;
  /**
   * Who this sink is, for a traced message's `eg` event (message-trace.ts): present on the sinks
   * a message ends at (clients, in-process subscribers), which a trace-only message skips.
   * Absent on links and on what passes messages on inside the server (imports, taps).
   */
  traceTarget?(): TraceTarget;
}

/** A subscriber as a trace event names it (nats-server MsgTraceEgress). */
export interface TraceTarget {
  /** nats-server's connection kind: 0 client, 1 route, 4 leaf. */
  readonly kind: number;
  readonly cid: number;
  /** The connection's name (CONNECT `name`, a peer server's name); "" for none. */
  readonly name: string;
  /** Its account's name. */
  readonly account: string;
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
   * A route's interest that a peer announced with `LS+`: the leaf node cluster it comes from
   * (route.go processRemoteSub). Never told to leaf links of that same cluster, which have it
   * already (leafnode.go initLeafNodeSmapAndSendSubs).
   */
  origin: string | undefined = undefined;
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
