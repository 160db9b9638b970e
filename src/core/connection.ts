/**
 * The connection core every kind stands on (nats-server has one `client` type with a kind:
 * CLIENT, LEAF, ROUTER...): the byte stream, the outbound queue with its pending-bytes limit,
 * one coalesced write per I/O turn, the write deadline, the slow-consumer policy, keepalive
 * and tracing. A kind (the client connection, a leaf link, a route) owns one and adds only
 * what differs: its handshake, its ops and how interest propagates.
 *
 * Composed rather than inherited, so that every connection's core has the same shape and the
 * per-message path through it stays monomorphic whichever kind delivers.
 */
import type { Duplex } from "node:stream";
import { encodeError, PING_FRAME } from "../protocol/encoder.ts";
import { WireError } from "../protocol/wire-errors.ts";
import { CloseReason, type CloseReasonText } from "./close-reason.ts";
import type { ConnectionSettings } from "./connection-settings.ts";
import { Keepalive, type KeepaliveTarget } from "./keepalive.ts";
import { OutboundBuffer } from "./outbound-buffer.ts";
import type { Payload } from "./subscription.ts";
import { ProtocolTrace } from "./trace.ts";

/** What kind of peer a connection serves (nats-server client.go `kind`); only what differs depends on it. */
export const ConnectionKind = {
  Client: "CLIENT",
  Leaf: "LEAF",
  Router: "ROUTER",
} as const;
export type ConnectionKindName = (typeof ConnectionKind)[keyof typeof ConnectionKind];

/** Where the core reads the server-wide limits; read at each use, so a reload applies at once. */
export interface ConnectionHost {
  readonly options: ConnectionSettings;
}

/** What the core asks of its kind. */
export interface ConnectionHooks {
  /** Bytes the peer sent. */
  onData(chunk: Buffer): void;
  /**
   * The connection must end: the stream ended or failed, the peer went stale or fell behind.
   * The kind drops its interest and calls {@link Connection.close}.
   */
  onClose(reason: CloseReasonText): void;
  /** Asks for {@link Connection.flush} once the current I/O turn is over. */
  scheduleFlush(): void;
  /**
   * The core cut the connection for falling behind (no `-ERR`, as nats-server): the host
   * counts it and tells its listeners. Called just before `onClose` with the same reason.
   */
  onSlowConsumer(reason: CloseReasonText): void;
  /** How nats-server names the connection in its logs: `127.0.0.1:4222 - cid:5`. */
  describe(): string;
}

/** How long a closing connection may take to flush before its stream is destroyed, in ms. */
const CLOSE_LINGER = 1000;

export class Connection implements KeepaliveTarget {
  readonly kind: ConnectionKindName;
  /** Last time the peer sent anything (ms since epoch). */
  lastActivity = Date.now();
  readonly keepalive: Keepalive;
  /** Set when the server runs with `trace`: the kind traces each op through it. */
  readonly trace: ProtocolTrace | undefined;

  readonly #host: ConnectionHost;
  readonly #hooks: ConnectionHooks;
  #stream: Duplex;
  readonly #out = new OutboundBuffer();
  #flushScheduled = false;
  /** Bytes handed to the stream that it has not written out yet, as of the last write or drain. */
  #streamBacklog = 0;
  #writeDeadlineTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(kind: ConnectionKindName, stream: Duplex, host: ConnectionHost, hooks: ConnectionHooks) {
    this.kind = kind;
    this.#stream = stream;
    this.#host = host;
    this.#hooks = hooks;
    // client.go processPingTimer: PINGs to routes and leaf nodes are never delayed, they measure the link.
    this.keepalive = new Keepalive(this, host, kind !== ConnectionKind.Client);
    const { trace, logger } = host.options;
    this.trace = trace ? new ProtocolTrace(logger, () => hooks.describe()) : undefined;
    this.attach();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get stream(): Duplex {
    return this.#stream;
  }

  /** Outbound bytes queued and not yet written out by the transport. */
  get pendingBytes(): number {
    return this.#out.queued + this.#streamBacklog;
  }

  // ---- the stream ---------------------------------------------------------------------------

  /** Listens to the current stream; the constructor does it for the first one. */
  attach(): void {
    const stream = this.#stream;
    stream.on("data", this.#onData);
    stream.on("end", this.#onEnd);
    stream.on("close", this.#onEnd);
    stream.on("error", this.#onError);
    stream.on("drain", this.#onDrain);
  }

  /**
   * Moves the connection onto `next` (a TLS socket over the plain one, say). The old stream is
   * no longer listened to; call {@link attach} once `next` is ready to be read.
   */
  replaceStream(next: Duplex): void {
    const stream = this.#stream;
    stream.off("data", this.#onData);
    stream.off("end", this.#onEnd);
    stream.off("close", this.#onEnd);
    stream.off("error", this.#onError);
    stream.off("drain", this.#onDrain);
    this.#stream = next;
    this.#streamBacklog = 0;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    this.lastActivity = Date.now();
    this.#hooks.onData(chunk);
  };

  readonly #onEnd = (): void => {
    if (!this.#closed) this.#hooks.onClose(CloseReason.ClientClosed);
  };

  readonly #onError = (): void => {
    if (!this.#closed) this.#hooks.onClose(CloseReason.ReadError);
  };

  readonly #onDrain = (): void => {
    this.#streamBacklog = this.#stream.writableLength;
    if (this.#writeDeadlineTimer !== undefined) {
      clearTimeout(this.#writeDeadlineTimer);
      this.#writeDeadlineTimer = undefined;
    }
  };

  // ---- outbound -----------------------------------------------------------------------------

  /** Queues a whole frame (INFO, PONG, `-ERR`, `LS+`...). */
  queueFrame(frame: Buffer): void {
    if (this.#closed) return;
    this.#out.appendBytes(frame);
    this.#afterQueue();
  }

  /**
   * Queues one message frame: the cached control-line `prefix`, the tail the encoder writes
   * (reply, header size, size), the payload `data[start, end)` and CRLF. See
   * {@link OutboundBuffer.appendMessage}. The caller checked that the connection is open.
   */
  queueMessage(prefix: Buffer, reply: string, headerSize: number, data: Payload, start: number, end: number): void {
    this.#out.appendMessage(prefix, reply, headerSize, data, start, end);
    this.#afterQueue();
  }

  /** Queues `-ERR '<text>'` (traced). */
  sendError(text: string): void {
    if (this.#closed) return;
    this.trace?.out(`-ERR '${text}'`);
    this.queueFrame(encodeError(text));
  }

  #afterQueue(): void {
    if (this.#out.queued + this.#streamBacklog > this.#host.options.maxPending) {
      // client.go queueOutbound: over max_pending the connection is cut, with no -ERR.
      this.#cut(CloseReason.SlowConsumerPendingBytes);
      return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#hooks.scheduleFlush();
    }
  }

  /** Writes everything queued in one go; its scheduler calls it once per I/O turn. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#closed) return;
    this.#writeOut();
  }

  #writeOut(): void {
    if (this.#out.queued === 0) return;
    const chunks = this.#out.take();
    const stream = this.#stream;
    if (stream.destroyed || !stream.writable) return;
    let ok = true;
    if (chunks.length === 1) {
      ok = stream.write(chunks[0]);
    } else {
      stream.cork();
      for (const chunk of chunks) ok = stream.write(chunk);
      stream.uncork();
    }
    this.#streamBacklog = stream.writableLength;
    if (!ok && this.#writeDeadlineTimer === undefined && !this.#closed) {
      // The peer is not keeping up: it has write_deadline to drain, or it is cut.
      this.#writeDeadlineTimer = setTimeout(this.#onWriteDeadline, this.#host.options.writeDeadline);
      this.#writeDeadlineTimer.unref();
    }
  }

  readonly #onWriteDeadline = (): void => {
    this.#writeDeadlineTimer = undefined;
    this.#cut(CloseReason.SlowConsumerWriteDeadline);
  };

  /** The slow-consumer policy: counted and reported by the host, then cut (client.go markConnAsSlow / closeConnection). */
  #cut(reason: CloseReasonText): void {
    if (this.#closed) return;
    this.#hooks.onSlowConsumer(reason);
    this.#hooks.onClose(reason);
    // A kind that did not close would go on growing: the core closes it anyway.
    if (!this.#closed) this.close(reason);
  }

  // ---- KeepaliveTarget ----------------------------------------------------------------------

  sendPing(): void {
    this.trace?.out("PING");
    this.queueFrame(PING_FRAME);
  }

  stale(): void {
    this.sendError(WireError.StaleConnection);
    this.#hooks.onClose(CloseReason.StaleConnection);
  }

  // ---- close --------------------------------------------------------------------------------

  /**
   * Ends the stream: what is queued (the `-ERR` that explains the close, typically) goes out
   * first, unless the peer is a slow consumer, whose queue is dropped. Safe to call twice.
   */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.keepalive.stop();
    if (this.#writeDeadlineTimer !== undefined) clearTimeout(this.#writeDeadlineTimer);
    this.#writeDeadlineTimer = undefined;
    const stream = this.#stream;
    if (reason === CloseReason.SlowConsumerPendingBytes || reason === CloseReason.SlowConsumerWriteDeadline) {
      // Nothing more can reach a peer that is not reading: drop, don't queue.
      this.#out.clear();
      this.#streamBacklog = 0;
      stream.destroy();
      return;
    }
    this.#writeOut();
    stream.end();
    // A peer that never reads would keep a half-closed socket open; don't wait for it.
    setTimeout(() => stream.destroy(), CLOSE_LINGER).unref();
  }
}
